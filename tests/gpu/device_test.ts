/** The adapter test of gpu/device.ts (decides the matmul variant and what reports call the device). */
Deno.test("isSoftwareAdapter() knows the CPU adapters and nothing else", async () => {
  const { isSoftwareAdapter } = await import("../../src/gpu/device.ts");
  const yes = [
    { vendor: "mesa", device: "llvmpipe (LLVM 15.0.6, 256 bits)" },
    { description: "Lavapipe" },
    { vendor: "Google", architecture: "swiftshader" },
    { vendor: "nvidia", isFallbackAdapter: true },
  ];
  const no = [
    { vendor: "nvidia", architecture: "hopper", device: "NVIDIA H100 80GB HBM3" },
    { vendor: "amd", description: "Radeon RX 7900" },
    {},
  ];
  for (const i of yes) {
    if (!isSoftwareAdapter(i)) throw new Error(`${JSON.stringify(i)} is software`);
  }
  for (const i of no) if (isSoftwareAdapter(i)) throw new Error(`${JSON.stringify(i)} is hardware`);
});
