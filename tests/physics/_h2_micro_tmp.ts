const adapter = await navigator.gpu.requestAdapter();
const device = await adapter!.requestDevice();
async function timeit(label: string, code: string) {
  const t = performance.now();
  const m = device.createShaderModule({ code });
  const p = device.createComputePipeline({ layout: "auto", compute: { module: m, entryPoint: "main" } });
  const buf = device.createBuffer({ size: 4096, usage: GPUBufferUsage.STORAGE });
  const bg = device.createBindGroup({ layout: p.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buf } }] });
  const enc = device.createCommandEncoder(); const pass = enc.beginComputePass();
  pass.setPipeline(p); pass.setBindGroup(0, bg); pass.dispatchWorkgroups(1); pass.end();
  device.queue.submit([enc.finish()]); await device.queue.onSubmittedWorkDone();
  console.log(label, (performance.now() - t).toFixed(0), "ms");
}
const S = Number(Deno.args[0] ?? 400);
const priv = `
@group(0) @binding(0) var<storage, read_write> o: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  var a: array<f32, ${S}>; var b: array<f32, ${S}>; var c: array<f32, ${S}>;
  let n = u32(o[0]);
  for (var i = 0u; i < n*n; i++) { a[i] = o[i]; b[i] = o[i+1u]; }
  for (var i = 0u; i < n; i++) { for (var j = 0u; j < n; j++) { var s = 0.0;
    for (var k = 0u; k < n; k++) { s += a[i*20u+k] * b[k*20u+j]; } c[i*20u+j] = s; } }
  o[gid.x] = c[gid.x % n];
}`;
await timeit(`private ${S}`, priv);
