/** Small element-wise kernels. */
import { defineKernel, dispatch, getKernel } from "./kernel.ts";
import { uniformBuffer } from "./buffers.ts";

/** y ← αx + y. */
export const AXPY = defineKernel({
  name: "axpy",
  file: "elementwise.wgsl",
  entryPoint: "axpy",
  bindings: ["read", "storage", "uniform"],
  workgroupSize: 256,
  doc: "y = alpha*x + y",
});

/** Records y ← αx + y for n values into a pass. */
export function axpyGpu(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  x: GPUBuffer,
  y: GPUBuffer,
  alpha: number,
  n: number,
): void {
  const p = uniformBuffer(device, [{ u32: n }, { f32: alpha }]);
  dispatch(device, pass, getKernel(device, AXPY), [x, y, p], n);
}

/** CPU float64 reference of {@link axpyGpu}. */
export function axpyRef(x: ArrayLike<number>, y: Float64Array, alpha: number): void {
  for (let i = 0; i < y.length; i++) y[i] = alpha * x[i]! + y[i]!;
}
