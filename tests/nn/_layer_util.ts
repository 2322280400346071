/** Helpers for the layer tests: record a pass, upload float64 data as f32, finite differences. */
import { readF32, uploadBuffer } from "../../src/gpu/buffers.ts";

/** Records `fn` into one compute pass, submits it and reads back the given buffers. */
export async function runPass(
  device: GPUDevice,
  fn: (pass: GPUComputePassEncoder) => void,
  read: { buf: GPUBuffer; n: number }[] = [],
): Promise<Float32Array[]> {
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  fn(pass);
  pass.end();
  device.queue.submit([enc.finish()]);
  return await Promise.all(read.map((r) => readF32(device, r.buf, r.n)));
}

/** Rounds float64 values to f32 (what the GPU sees) and back to float64. */
export function f32(a: ArrayLike<number>): Float64Array {
  return Float64Array.from(Float32Array.from(a as ArrayLike<number>));
}

/** A storage buffer holding `a` as f32. */
export function up(device: GPUDevice, a: ArrayLike<number>): GPUBuffer {
  return uploadBuffer(device, Float32Array.from(a as ArrayLike<number>));
}

/**
 * Central finite differences of a scalar function with respect to every entry of `x`
 * (changed in place and restored): (f(x + eps) − f(x − eps)) / 2eps.
 */
export function finiteDiff(x: Float64Array, f: () => number, eps = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const x0 = x[i]!;
    x[i] = x0 + eps;
    const fp = f();
    x[i] = x0 - eps;
    const fm = f();
    x[i] = x0;
    g[i] = (fp - fm) / (2 * eps);
  }
  return g;
}

/** Σ a·b (a random projection of a layer's output gives a scalar loss to differentiate). */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
