/**
 * Multi-head self-attention core without a causal mask (llm.c attention_forward/backward):
 * scores = q·kᵀ/sqrt(D/NH), softmax over keys, out = att·v, per head. The Q/K/V and
 * output projections are dense layers in the model.
 * @module
 */
import { defineKernel, dispatch, getKernel, type BindingKind, type KernelDescriptor } from "../gpu/kernel.ts";
import { cachedUniform, scratchBuffer } from "./_uniforms.ts";
import type { BufRef } from "./types.ts";

function _k(entry: string, bindings: BindingKind[], doc: string): KernelDescriptor {
  return defineKernel({ name: entry, file: "attention.wgsl", entryPoint: entry, bindings, workgroupSize: 64, doc });
}

/** att = scale·q·kᵀ (pre-softmax), one thread per score. */
export const ATTN_SCORES = _k("attn_scores", ["storage", "read", "uniform"], "attention scores q.k/sqrt(hs)");
/** Row softmax in place. */
export const ATTN_SOFTMAX = _k("attn_softmax", ["storage", "uniform"], "attention softmax over keys, in place");
/** out = att·v. */
export const ATTN_VALUES = _k("attn_values", ["storage", "read", "read", "uniform"], "attention out = att.v");
/** datt = dout·vᵀ. */
export const ATTN_DATT = _k("attn_datt", ["storage", "read", "read", "uniform"], "attention backward: datt = dout.v");
/** Softmax backward in place. */
export const ATTN_SOFTMAX_BACKWARD = _k(
  "attn_softmax_backward",
  ["storage", "read", "uniform"],
  "attention backward through the softmax, in place",
);
/** dqkv += ... */
export const ATTN_DQKV = _k(
  "attn_dqkv",
  ["storage", "read", "read", "read", "read", "uniform"],
  "attention backward: dq, dk, dv accumulated",
);

function _params(device: GPUDevice, B: number, T: number, D: number, NH: number): GPUBuffer {
  if (!Number.isInteger(D / NH)) {
    throw new RangeError(`Attention width D=${D} must be a multiple of the number of heads NH=${NH}`);
  }
  const hs = D / NH;
  return cachedUniform(device, [
    { u32: B },
    { u32: T },
    { u32: D },
    { u32: NH },
    { u32: hs },
    { f32: 1 / Math.sqrt(hs) },
  ]);
}

/**
 * Records the attention forward pass.
 * @param out [B, T, D] attention output (before the output projection)
 * @param att [B, NH, T, T] softmax probabilities, saved for the backward pass
 * @param qkv [B, T, 3D] queries, keys and values side by side
 * @throws RangeError when D is not a multiple of NH
 * @example
 * attentionForward(device, pass, y, att, qkv, B, 101, 64, 4);
 */
export function attentionForward(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  out: BufRef,
  att: BufRef,
  qkv: BufRef,
  B: number,
  T: number,
  D: number,
  NH: number,
): void {
  if (B * T <= 0) return;
  const u = _params(device, B, T, D, NH);
  dispatch(device, pass, getKernel(device, ATTN_SCORES), [att, qkv, u], B * NH * T * T);
  dispatch(device, pass, getKernel(device, ATTN_SOFTMAX), [att, u], B * NH * T);
  dispatch(device, pass, getKernel(device, ATTN_VALUES), [out, att, qkv, u], B * T * D);
}

/**
 * Records the attention backward pass, accumulating into dqkv [B, T, 3D]. Uses an
 * internal [B, NH, T, T] scratch buffer (shared by every call on the device; calls are
 * ordered inside one pass, so that is safe).
 */
export function attentionBackward(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  dqkv: BufRef,
  dout: BufRef,
  qkv: BufRef,
  att: BufRef,
  B: number,
  T: number,
  D: number,
  NH: number,
): void {
  if (B * T <= 0) return;
  const u = _params(device, B, T, D, NH);
  const datt = scratchBuffer(device, "attention-datt", B * NH * T * T * 4);
  dispatch(device, pass, getKernel(device, ATTN_DATT), [datt, dout, qkv, u], B * NH * T * T);
  dispatch(device, pass, getKernel(device, ATTN_SOFTMAX_BACKWARD), [datt, att, u], B * NH * T);
  dispatch(device, pass, getKernel(device, ATTN_DQKV), [dqkv, datt, att, qkv, dout, u], B * T * D);
}
