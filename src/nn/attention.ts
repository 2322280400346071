/**
 * Multi-head self-attention core without a causal mask (llm.c attention_forward/backward):
 * scores = q·kᵀ/sqrt(D/NH), softmax over keys, out = att·v, per head. The Q/K/V and
 * output projections are dense layers in the model.
 * @module
 */
import { rowsPerBinding } from "../gpu/buffers.ts";
import { dispatch, getKernel, kernelsOf } from "../gpu/kernel.ts";
import { cachedUniform, checkBinding, scratchBuffer, subRef } from "./_uniforms.ts";
import type { BufRef } from "./types.ts";

const _k = kernelsOf("attention.wgsl", 64);

/** Strided batched matmul over (batch, head), 4×4 register tiles: all six attention products. */
export const ATTN_BMM = _k(
  "attn_bmm",
  ["storage", "read", "read", "uniform"],
  "attention products (q.k, att.v and their gradients) as a strided batched matmul",
);
/** Row softmax in place. */
export const ATTN_SOFTMAX = _k(
  "attn_softmax",
  ["storage", "uniform"],
  "attention softmax over keys, in place",
);
/** Softmax backward in place. */
export const ATTN_SOFTMAX_BACKWARD = _k(
  "attn_softmax_backward",
  ["storage", "read", "uniform"],
  "attention backward through the softmax, in place",
);

/** A strided view X[z](i, j) = x[base + b·sb + h·sh + i·si + j·sj] of one bmm operand. */
interface _View {
  buf: BufRef;
  base: number;
  sb: number;
  sh: number;
  si: number;
  sj: number;
}

/** Sizes of one batched product: nz = B·NH matrices of [M, K]·[K, N]. */
interface _BmmShape {
  nz: number;
  NH: number;
  M: number;
  N: number;
  K: number;
  alpha: number;
  accumulate: boolean;
}

/** Records C[z] (=|+=) alpha·A[z]·B[z] for z over B·NH (b, h) pairs. */
function _bmm(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  c: _View,
  a: _View,
  b: _View,
  { nz, NH, M, N, K, alpha, accumulate }: _BmmShape,
): void {
  const u = cachedUniform(device, [
    { u32: M },
    { u32: N },
    { u32: K },
    { u32: NH },
    { u32: nz },
    { f32: alpha },
    { u32: accumulate ? 1 : 0 },
    { u32: 0 },
    { u32: a.base },
    { u32: a.sb },
    { u32: a.sh },
    { u32: a.si },
    { u32: a.sj },
    { u32: b.base },
    { u32: b.sb },
    { u32: b.sh },
    { u32: b.si },
    { u32: b.sj },
    { u32: c.base },
    { u32: c.sb },
    { u32: c.sh },
    { u32: c.si },
    { u32: c.sj },
    { u32: 0 },
  ]);
  const threads = nz * Math.ceil(M / 4) * Math.ceil(N / 4);
  dispatch(device, pass, getKernel(device, ATTN_BMM), [c.buf, a.buf, b.buf, u], threads);
}

/** The strided views of att-shaped, qkv and out-shaped tensors for one (T, D, NH). */
function _views(T: number, D: number, NH: number) {
  const hs = D / NH, C3 = 3 * D;
  return {
    /** att or datt [B, NH, T, T] per head as [T, T] (or its transpose) */
    att: (buf: BufRef, transposed: boolean): _View => ({
      buf,
      base: 0,
      sb: NH * T * T,
      sh: T * T,
      si: transposed ? 1 : T,
      sj: transposed ? T : 1,
    }),
    /** q, k or v (part 0, 1, 2 of qkv [B, T, 3D]) per head as [T, hs] (or [hs, T]) */
    qkv: (buf: BufRef, part: number, transposed: boolean): _View => ({
      buf,
      base: part * D,
      sb: T * C3,
      sh: hs,
      si: transposed ? 1 : C3,
      sj: transposed ? C3 : 1,
    }),
    /** out or dout [B, T, D] per head as [T, hs] */
    out: (buf: BufRef): _View => ({ buf, base: 0, sb: T * D, sh: hs, si: D, sj: 1 }),
  };
}

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
  const blk = rowsPerBinding(limit, perSeq, 64);
  return blk >= 64 ? blk : B; // B as one block: checkBinding then says what is too large
}

/** One block's part of an attention tensor: out or dout, att, qkv or dqkv. */
interface _BlockSlices {
  out(r: BufRef): BufRef;
  att(r: BufRef): BufRef;
  qkv(r: BufRef): BufRef;
}

/**
 * Runs `part(nb, s)` on each block of nb spectra when the batch's operands exceed one
 * binding (see {@link _batchBlock}), `s` slicing a tensor to the block.
 * @returns true when the batch ran in blocks (nothing is left for the caller to do)
 */
function _inBlocks(
  device: GPUDevice,
  { B, T, D, NH }: { B: number; T: number; D: number; NH: number },
  opts: AttentionOptions,
  part: (nb: number, s: _BlockSlices) => void,
): boolean {
  const blk = _batchBlock(device, B, T, D, NH, opts.maxBindingBytes);
  if (blk >= B) return false;
  for (let b0 = 0; b0 < B; b0 += blk) {
    const nb = Math.min(blk, B - b0);
    part(nb, {
      out: (r) => subRef(r, b0 * T * D, nb * T * D),
      att: (r) => subRef(r, b0 * NH * T * T, nb * NH * T * T),
      qkv: (r) => subRef(r, b0 * T * 3 * D, nb * T * 3 * D),
    });
  }
  return true;
}

/** Options of the attention functions. */
export interface AttentionOptions {
  /** Largest binding in bytes before the batch is split (default: the device limit). */
  maxBindingBytes?: number;
}

/**
 * Records the attention forward pass. Batches whose operands exceed one binding (qkv at
 * B=256, T=101, D=1024 is 318 MB; llvmpipe allows 128 MiB) run in blocks of 64·k sequences.
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
  opts: AttentionOptions = {},
): void {
  if (B * T <= 0) return;
  const split = _inBlocks(
    device,
    { B, T, D, NH },
    opts,
    (nb, s) => attentionForward(device, pass, s.out(out), s.att(att), s.qkv(qkv), nb, T, D, NH),
  );
  if (split) return;
  const u = _params(device, B, T, D, NH);
  const hs = D / NH, nz = B * NH, v = _views(T, D, NH);
  // scores = scale·q·kᵀ, softmax, out = att·v
  const scale = 1 / Math.sqrt(hs);
  _bmm(device, pass, v.att(att, false), v.qkv(qkv, 0, false), v.qkv(qkv, 1, true), {
    nz,
    NH,
    M: T,
    N: T,
    K: hs,
    alpha: scale,
    accumulate: false,
  });
  dispatch(device, pass, getKernel(device, ATTN_SOFTMAX), [att, u], B * NH * T);
  _bmm(device, pass, v.out(out), v.att(att, false), v.qkv(qkv, 2, false), {
    nz,
    NH,
    M: T,
    N: hs,
    K: T,
    alpha: 1,
    accumulate: false,
  });
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
  const split = _inBlocks(device, { B, T, D, NH }, opts, (nb, s) =>
    attentionBackward(
      device,
      pass,
      s.qkv(dqkv),
      s.out(dout),
      s.qkv(qkv),
      s.att(att),
      nb,
      T,
      D,
      NH,
    ));
  if (split) return;
  const u = _params(device, B, T, D, NH);
  const datt = scratchBuffer(device, "attention-datt", B * NH * T * T * 4);
  const hs = D / NH, nz = B * NH, scale = 1 / Math.sqrt(hs), v = _views(T, D, NH);
  // datt = dout·vᵀ; dpre = softmax backward (in place); then
  // dq += scale·dpre·k, dk += scale·dpreᵀ·q, dv += attᵀ·dout
  const tt = { nz, NH, M: T, N: T, K: hs, alpha: 1, accumulate: false };
  const th = { nz, NH, M: T, N: hs, K: T, accumulate: true };
  _bmm(device, pass, v.att(datt, false), v.out(dout), v.qkv(qkv, 2, true), tt);
  dispatch(device, pass, getKernel(device, ATTN_SOFTMAX_BACKWARD), [datt, att, u], B * NH * T);
  _bmm(device, pass, v.qkv(dqkv, 0, false), v.att(datt, false), v.qkv(qkv, 1, false), {
    ...th,
    alpha: scale,
  });
  _bmm(device, pass, v.qkv(dqkv, 1, false), v.att(datt, true), v.qkv(qkv, 0, false), {
    ...th,
    alpha: scale,
  });
  _bmm(device, pass, v.qkv(dqkv, 2, false), v.att(att, true), v.out(dout), { ...th, alpha: 1 });
}
