/**
 * Multi-head self-attention core without a causal mask (llm.c attention_forward/backward):
 * scores = q·kᵀ/sqrt(D/NH), softmax over keys, out = att·v, per head. The Q/K/V and
 * output projections are dense layers in the model.
 * @module
 */
import {
  type BindingKind,
  defineKernel,
  dispatch,
  getKernel,
  type KernelDescriptor,
} from "../gpu/kernel.ts";
import { cachedUniform, checkBinding, scratchBuffer } from "./_uniforms.ts";
import type { BufRef } from "./types.ts";

function _k(entry: string, bindings: BindingKind[], doc: string): KernelDescriptor {
  return defineKernel({
    name: entry,
    file: "attention.wgsl",
    entryPoint: entry,
    bindings,
    workgroupSize: 64,
    doc,
  });
}

/** att = scale·q·kᵀ (pre-softmax), one thread per score. */
export const ATTN_SCORES = _k(
  "attn_scores",
  ["storage", "read", "uniform"],
  "attention scores q.k/sqrt(hs)",
);
/** Row softmax in place. */
export const ATTN_SOFTMAX = _k(
  "attn_softmax",
  ["storage", "uniform"],
  "attention softmax over keys, in place",
);
/** out = att·v. */
export const ATTN_VALUES = _k(
  "attn_values",
  ["storage", "read", "read", "uniform"],
  "attention out = att.v",
);
/** datt = dout·vᵀ. */
export const ATTN_DATT = _k(
  "attn_datt",
  ["storage", "read", "read", "uniform"],
  "attention backward: datt = dout.v",
);
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
    throw new RangeError(
      `Attention width D=${D} must be a multiple of the number of heads NH=${NH}`,
    );
  }
  const hs = D / NH;
  checkBinding(device, B * T * 3 * D, "attention qkv");
  checkBinding(device, B * NH * T * T, "attention probabilities");
  checkBinding(device, B * T * D, "attention output");
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
 * Batches whose operands exceed one binding (qkv at B=256, T=101, D=1024 is 318 MB; llvmpipe
 * allows 128 MiB) run in blocks of 64·k sequences.
 * @throws RangeError when D is not a multiple of NH
 * @example
 * attentionForward(device, pass, y, att, qkv, B, 101, 64, 4);
 */
/**
 * Batch elements per block so that every operand fits one binding. Blocks are multiples
 * of 64 sequences, so every block's byte offset is a multiple of 256 (WebGPU's storage
 * offset alignment) whatever T, D and NH are.
 */
function _batchBlock(
  device: GPUDevice,
  B: number,
  T: number,
  D: number,
  NH: number,
  maxBindingBytes?: number,
): number {
  const limit = maxBindingBytes ?? device.limits.maxStorageBufferBindingSize;
  const perSeq = 4 * Math.max(T * 3 * D, NH * T * T);
  if (B * perSeq <= limit) return B;
  const blk = Math.floor(limit / perSeq / 64) * 64;
  return blk >= 64 ? blk : B; // B as one block: checkBinding then says what is too large
}

/** A sub-range of a buffer reference, in f32 elements. */
function _sub(r: BufRef, offsetFloats: number, sizeFloats: number): GPUBufferBinding {
  const off = offsetFloats * 4, size = sizeFloats * 4;
  if ("buffer" in r) return { buffer: r.buffer, offset: (r.offset ?? 0) + off, size };
  return { buffer: r, offset: off, size };
}

/** Options of the attention functions. */
export interface AttentionOptions {
  /** Largest binding in bytes before the batch is split (default: the device limit). */
  maxBindingBytes?: number;
}

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
  opts: AttentionOptions = {},
): void {
  if (B * T <= 0) return;
  const blk = _batchBlock(device, B, T, D, NH, opts.maxBindingBytes);
  if (blk < B) {
    for (let b0 = 0; b0 < B; b0 += blk) {
      const nb = Math.min(blk, B - b0);
      attentionForward(
        device,
        pass,
        _sub(out, b0 * T * D, nb * T * D),
        _sub(att, b0 * NH * T * T, nb * NH * T * T),
        _sub(qkv, b0 * T * 3 * D, nb * T * 3 * D),
        nb,
        T,
        D,
        NH,
      );
    }
    return;
  }
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
  opts: AttentionOptions = {},
): void {
  if (B * T <= 0) return;
  const blk = _batchBlock(device, B, T, D, NH, opts.maxBindingBytes);
  if (blk < B) {
    for (let b0 = 0; b0 < B; b0 += blk) {
      const nb = Math.min(blk, B - b0);
      attentionBackward(
        device,
        pass,
        _sub(dqkv, b0 * T * 3 * D, nb * T * 3 * D),
        _sub(dout, b0 * T * D, nb * T * D),
        _sub(qkv, b0 * T * 3 * D, nb * T * 3 * D),
        _sub(att, b0 * NH * T * T, nb * NH * T * T),
        nb,
        T,
        D,
        NH,
      );
    }
    return;
  }
  const u = _params(device, B, T, D, NH);
  const datt = scratchBuffer(device, "attention-datt", B * NH * T * T * 4);
  dispatch(device, pass, getKernel(device, ATTN_DATT), [datt, dout, qkv, u], B * NH * T * T);
  dispatch(device, pass, getKernel(device, ATTN_SOFTMAX_BACKWARD), [datt, att, u], B * NH * T);
  dispatch(device, pass, getKernel(device, ATTN_DQKV), [dqkv, datt, att, qkv, dout, u], B * T * D);
}
