/**
 * Micro-benchmark of the matmul variants (not a test): validates each variant on the
 * shape against a float64 reference on a sample of outputs, then prints GFLOP/s for
 * 512³ and 1024³ (median of several timed submissions after a warm-up).
 *
 *   sh scripts/with_webgpu.sh deno run -A bench/kernels_matmul.ts [--reps 5]
 * @module
 */
import { describeGpu, getGpu } from "../src/gpu/device.ts";
import { readF32, storageBuffer, uploadBuffer } from "../src/gpu/buffers.ts";
import { matmul, MATMUL_VARIANTS, matmulVariant } from "../src/nn/dense.ts";

const repsArg = Deno.args.indexOf("--reps");
const REPS = repsArg >= 0 ? Number(Deno.args[repsArg + 1]) : 5;
const { device, info } = await getGpu();
console.log(`adapter: ${describeGpu(info)}; default variant: ${matmulVariant(device)}`);

function rand(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1;
  return a;
}

for (const S of [512, 1024]) {
  const a = rand(S * S), b = rand(S * S);
  const ab = uploadBuffer(device, a),
    bb = uploadBuffer(device, b),
    cb = storageBuffer(device, S * S * 4);
  const kernels = [
    ...MATMUL_VARIANTS.map((v) => ({ name: v as string, variant: v, scalarOnly: false })),
    { name: "rb4x4 (scalar loads)", variant: "rb4x4" as const, scalarOnly: true },
  ];
  for (const { name, variant, scalarOnly } of kernels) {
    const run = async (times: number) => {
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      for (let i = 0; i < times; i++) {
        matmul(device, pass, cb, ab, bb, null, S, S, S, { variant, scalarOnly });
      }
      pass.end();
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
    };
    await run(1); // compile + warm-up
    const c = await readF32(device, cb, S * S);
    let maxErr = 0;
    for (let s = 0; s < 64; s++) {
      const i = Math.floor(Math.random() * S), j = Math.floor(Math.random() * S);
      let ref = 0;
      for (let k = 0; k < S; k++) ref += a[i * S + k]! * b[k * S + j]!;
      maxErr = Math.max(maxErr, Math.abs(c[i * S + j]! - ref));
    }
    const times: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const t0 = performance.now();
      await run(1);
      times.push(performance.now() - t0);
    }
    times.sort((x, y) => x - y);
    const ms = times[Math.floor(times.length / 2)]!;
    const gflops = (2 * S ** 3) / (ms * 1e6);
    console.log(
      `matmul ${name} ${S}^3: ${ms.toFixed(1)} ms median of ${REPS} (incl. one ~10 ms GPU wait), ` +
        `${gflops.toFixed(2)} GFLOP/s; max |err| vs f64 on 64 samples ${maxErr.toExponential(1)}`,
    );
  }
}
