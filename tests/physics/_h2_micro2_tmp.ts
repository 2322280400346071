const adapter = await navigator.gpu.requestAdapter();
const device = await adapter!.requestDevice({requiredLimits: {maxStorageBufferBindingSize: adapter!.limits.maxStorageBufferBindingSize, maxBufferSize: adapter!.limits.maxBufferSize}});
const T = 16384, NN = 400;
const code = `
@group(0) @binding(0) var<storage, read_write> o: array<f32>;
@group(0) @binding(1) var<storage, read_write> scr: array<f32>;
const T: u32 = ${T}u;
fn at(m: u32, e: u32, t: u32) -> u32 { return (m * ${NN}u + e) * T + t; }
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x;
  let n = u32(o[0]);
  for (var i = 0u; i < n*n; i++) { scr[at(0u,i,t)] = o[i] * 0.01; scr[at(1u,i,t)] = o[i+1u]*0.01; }
  for (var r = 0u; r < 20u; r++) {
  for (var i = 0u; i < n; i++) { for (var j = 0u; j < n; j++) { var s = 0.0;
    for (var k = 0u; k < n; k++) { s += scr[at(0u,i*20u+k,t)] * scr[at(1u,k*20u+j,t)]; } scr[at(2u,i*20u+j,t)] = s; } }
  }
  o[t] = scr[at(2u, t % n, t)];
}`;
let t0 = performance.now();
const m = device.createShaderModule({ code });
const p = device.createComputePipeline({ layout: "auto", compute: { module: m, entryPoint: "main" } });
const buf = device.createBuffer({ size: T*4, usage: GPUBufferUsage.STORAGE, mappedAtCreation: true });
const f = new Float32Array(buf.getMappedRange()); f.fill(0.5); f[0] = 19; buf.unmap();
const scr = device.createBuffer({ size: T*4*3*NN, usage: GPUBufferUsage.STORAGE });
const bg = device.createBindGroup({ layout: p.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: buf } }, { binding: 1, resource: { buffer: scr } }] });
for (const nwg of [1, T/64]) {
  const enc = device.createCommandEncoder(); const pass = enc.beginComputePass();
  pass.setPipeline(p); pass.setBindGroup(0, bg); pass.dispatchWorkgroups(nwg); pass.end();
  device.queue.submit([enc.finish()]); await device.queue.onSubmittedWorkDone();
  const dt = performance.now() - t0;
  console.log(nwg, dt.toFixed(0), "ms", nwg > 1 ? (T*20*19**3*2/dt/1e6).toFixed(2) + " GFLOP/s" : "");
  t0 = performance.now();
}
