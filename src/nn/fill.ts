/**
 * Filling buffers on the GPU inside a compute pass (zeroing gradients before a backward
 * pass, which accumulates).
 * @module
 */
import { dispatch, getKernel, kernelsOf } from "../gpu/kernel.ts";
import { cachedUniform, checkBinding } from "./_uniforms.ts";
import type { BufRef } from "./types.ts";

/** x[i] = value for i < n. */
export const FILL = kernelsOf("fill.wgsl", 256)(
  "fill",
  ["storage", "uniform"],
  "x[i] = value (zero gradients)",
);

/**
 * Records x[0..n) = value into a pass.
 * @param buf the buffer (or slice) to fill
 * @param n number of f32 values
 * @param value the value (default 0)
 * @example
 * fill(device, pass, moments, n, 0);
 */
export function fill(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  buf: BufRef,
  n: number,
  value = 0,
): void {
  if (n <= 0) return;
  checkBinding(device, n, "fill");
  const p = cachedUniform(device, [{ u32: n }, { f32: value }]);
  dispatch(device, pass, getKernel(device, FILL), [buf, p], n);
}

/**
 * Records x[0..n) = 0 into a pass (backward functions accumulate, so callers zero first).
 * @example
 * zeroFill(device, pass, grads, nParams);
 */
export function zeroFill(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  buf: BufRef,
  n: number,
): void {
  fill(device, pass, buf, n, 0);
}
