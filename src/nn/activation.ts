/**
 * Element-wise activations (none, relu, tanh) and their backward passes.
 * @module
 */
import { dispatch, getKernel, kernelsOf } from "../gpu/kernel.ts";
import { cachedUniform, checkBinding, dummyBuffer } from "./_uniforms.ts";
import type { Act, BufRef } from "./types.ts";

const _kernel = kernelsOf("activation.wgsl", 256);
const _BINDINGS = ["storage", "read", "read", "uniform"] as const;

/** out = f(inp). */
export const ACT_FORWARD = _kernel("act_forward", _BINDINGS, "out = act(inp) for none/relu/tanh");
/** dinp += dout·f'(out). */
export const ACT_BACKWARD = _kernel("act_backward", _BINDINGS, "dinp += dout * act'(out)");

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
