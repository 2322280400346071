/**
 * Micro-benchmark of the attention kernels (not a test): validates forward and backward
 * against the float64 reference on a small shape, then times them at the paper's T = 101,
 * D = 1024, NH = 4 for a batch B (default 8; the paper trains with 256) and prints the
 * napkin math (GFLOP/s of the four T×T×hs products forward, eight backward).
 *
 *   sh scripts/with_webgpu.sh deno run -A bench/kernels_attention.ts [--batch 8] [--reps 3]
 * @module
 */
import { describeGpu, getGpu } from "../src/gpu/device.ts";
import { readF32, storageBuffer, uploadBuffer } from "../src/gpu/buffers.ts";
import { attentionBackward, attentionForward } from "../src/nn/attention.ts";
import { attentionBackwardRef, attentionForwardRef } from "../src/nn/reference/attention.ts";

function arg(name: string, dflt: number): number {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : dflt;
}
const B = arg("--batch", 8), REPS = arg("--reps", 3);
const T = 101, D = 1024, NH = 4, hs = D / NH;
const { device, info } = await getGpu();
console.log(`adapter: ${describeGpu(info)}`);

function rand(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5;
  return a;
}

async function run(
  b: number,
  t: number,
  d: number,
  nh: number,
  qkv: GPUBuffer,
  dout: GPUBuffer,
  which: "fwd" | "bwd",
) {
  const out = storageBuffer(device, b * t * d * 4), att = storageBuffer(device, b * nh * t * t * 4);
  const dqkv = storageBuffer(device, b * t * 3 * d * 4);
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  attentionForward(device, pass, out, att, qkv, b, t, d, nh);
  pass.end();
  device.queue.submit([enc.finish()]);
  await device.queue.onSubmittedWorkDone();
  const t0 = performance.now();
  const enc2 = device.createCommandEncoder();
  const pass2 = enc2.beginComputePass();
  if (which === "fwd") attentionForward(device, pass2, out, att, qkv, b, t, d, nh);
  else attentionBackward(device, pass2, dqkv, dout, qkv, att, b, t, d, nh);
  pass2.end();
  device.queue.submit([enc2.finish()]);
  await device.queue.onSubmittedWorkDone();
  return { ms: performance.now() - t0, out, att, dqkv };
}

// validate on a small shape first (llm.c dev/cuda habit)
{
  const b = 2, t = 17, d = 32, nh = 4;
  const q = rand(b * t * 3 * d), g = rand(b * t * d);
  const r = await run(b, t, d, nh, uploadBuffer(device, q), uploadBuffer(device, g), "bwd");
  const ref = attentionForwardRef(q, b, t, d, nh);
  const want = new Float64Array(b * t * 3 * d);
  attentionBackwardRef(want, g, q, ref.att, b, t, d, nh);
  const got = await readF32(device, r.dqkv, want.length);
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i]! - want[i]!));
  console.log(
    `validation B=${b} T=${t} D=${d} NH=${nh}: max |dqkv - f64| = ${err.toExponential(1)}`,
  );
  if (!(err < 1e-4)) throw new Error("attention kernels disagree with the reference; not timing");
}

const qkv = uploadBuffer(device, rand(B * T * 3 * D)), dout = uploadBuffer(device, rand(B * T * D));
for (const which of ["fwd", "bwd"] as const) {
  const times: number[] = [];
  for (let r = 0; r < REPS; r++) times.push((await run(B, T, D, NH, qkv, dout, which)).ms);
  times.sort((x, y) => x - y);
  const ms = times[Math.floor(times.length / 2)]!;
  const flops = (which === "fwd" ? 4 : 8) * B * NH * T * T * hs;
  console.log(
    `attention ${which} B=${B} T=${T} D=${D} NH=${NH}: ${ms.toFixed(1)} ms median of ${REPS} ` +
      `(incl. one ~10 ms GPU wait), ${(flops / (ms * 1e6)).toFixed(2)} GFLOP/s`,
  );
}
