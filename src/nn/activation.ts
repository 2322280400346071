/**
 * Element-wise activations (none, relu, tanh) and their backward passes.
 * @module
 */
import { defineKernel, dispatch, getKernel } from "../gpu/kernel.ts";
import { cachedUniform, checkBinding, dummyBuffer } from "./_uniforms.ts";
import type { Act, BufRef } from "./types.ts";

/** out = f(inp). */
export const ACT_FORWARD = defineKernel({
  name: "act_forward",
  file: "activation.wgsl",
  entryPoint: "act_forward",
  bindings: ["storage", "read", "read", "uniform"],
  workgroupSize: 256,
  doc: "out = act(inp) for none/relu/tanh",
});

/** dinp += dout·f'(out). */
export const ACT_BACKWARD = defineKernel({
  name: "act_backward",
  file: "activation.wgsl",
  entryPoint: "act_backward",
  bindings: ["storage", "read", "read", "uniform"],
  workgroupSize: 256,
  doc: "dinp += dout * act'(out)",
});

const ACT_CODE: Record<Act, number> = { none: 0, relu: 1, tanh: 2 };

function _code(act: Act): number {
  const c = ACT_CODE[act];
  if (c === undefined) {
    throw new RangeError(`Unknown activation "${act}"; expected none, relu or tanh`);
  }
  return c;
}

/**
 * Records out = act(inp) over n values (out and inp in different buffers, see BufRef).
 * @example
 * actForward(device, pass, h1, z1, B * hidden, "relu");
 */
export function actForward(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  out: BufRef,
  inp: BufRef,
  n: number,
  act: Act,
): void {
  if (n <= 0) return;
  checkBinding(device, n, "actForward");
  const k = getKernel(device, ACT_FORWARD, { ACT: _code(act) });
  dispatch(
    device,
    pass,
    k,
    [out, inp, dummyBuffer(device), cachedUniform(device, [{ u32: n }])],
    n,
  );
}

/**
 * Records dinp += dout·act'(x) over n values, with the derivative taken from the
 * post-activation output `out` (relu: out > 0; tanh: 1 − out²).
 */
export function actBackward(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  dinp: BufRef,
  dout: BufRef,
  out: BufRef,
  n: number,
  act: Act,
): void {
  if (n <= 0) return;
  checkBinding(device, n, "actBackward");
  const k = getKernel(device, ACT_BACKWARD, { ACT: _code(act) });
  dispatch(device, pass, k, [dinp, dout, out, cachedUniform(device, [{ u32: n }])], n);
}
