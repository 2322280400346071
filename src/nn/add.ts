/**
 * Element-wise addition (residual connections), broadcast addition of a [T, C] table
 * (positional encoding) and their backward passes.
 * @module
 */
import { dispatch, getKernel, kernelsOf } from "../gpu/kernel.ts";
import { cachedUniform, checkBinding, dummyBuffer, scratchBuffer } from "./_uniforms.ts";
import type { BufRef } from "./types.ts";

const _kernel = kernelsOf("add.wgsl", 256);
const _BINDINGS = ["storage", "read", "read", "uniform"] as const;
const _k = (entry: string, doc: string) => _kernel(entry, _BINDINGS, doc);

/** out = a + b. */
export const ADD = _k("add", "out = a + b");
/** out[r, j] = a[r, j] + table[j]. */
export const ADD_BROADCAST = _k("add_broadcast", "out = a + table broadcast over rows");
/** out += a. */
export const ADD_ACC = _k("add_acc", "out += a");
/** out[j] += Σ_r a[r, j]. */
export const COL_SUM_ACC = _k("col_sum_acc", "out[j] += column sums of a (bias / table gradient)");
/** Partial column sums over blocks of rows. */
export const COL_PARTIAL = _k(
  "col_partial",
  "partial column sums over blocks of COL_BLOCK_ROWS rows",
);

/**
 * Rows per block of the first stage of a column sum. Above this many rows a column sum
 * runs in two stages (blocks, then the block sums), which keeps a GPU busy when there are
 * few columns and many rows (25,856 = 256 × 101 in training). Must match ROWS_PER in
 * shaders/add.wgsl.
 */
export const COL_BLOCK_ROWS = 128;

/**
 * Records out = a + b over n values.
 * @example
 * addForward(device, pass, resid, x, attnOut, B * T * D);
 */
export function addForward(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  out: BufRef,
  a: BufRef,
  b: BufRef,
  n: number,
): void {
  if (n <= 0) return;
  checkBinding(device, n, "addForward");
  dispatch(device, pass, getKernel(device, ADD), [
    out,
    a,
    b,
    cachedUniform(device, [{ u32: n }, { u32: 1 }]),
  ], n);
}

/**
 * Records da += dout and db += dout (the backward of {@link addForward}); either may be null.
 */
export function addBackward(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  da: BufRef | null,
  db: BufRef | null,
  dout: BufRef,
  n: number,
): void {
  if (da) accumulate(device, pass, da, dout, n);
  if (db) accumulate(device, pass, db, dout, n);
}

/** Records dst += src over n values. */
export function accumulate(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  dst: BufRef,
  src: BufRef,
  n: number,
): void {
  if (n <= 0) return;
  checkBinding(device, n, "accumulate");
  const u = cachedUniform(device, [{ u32: n }, { u32: 1 }]);
  dispatch(device, pass, getKernel(device, ADD_ACC), [dst, src, dummyBuffer(device), u], n);
}

/**
 * Records out[b, i] = inp[b, i] + table[i] for b < B, i < inner (a [T, C] table added to
 * every sequence of a [B, T, C] tensor: inner = T·C).
 * @example
 * addBroadcastForward(device, pass, x, emb, posTable, B, T * E);
 */
export function addBroadcastForward(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  out: BufRef,
  inp: BufRef,
  table: BufRef,
  B: number,
  inner: number,
): void {
  const n = B * inner;
  if (n <= 0) return;
  checkBinding(device, n, "addBroadcastForward");
  const u = cachedUniform(device, [{ u32: n }, { u32: inner }]);
  dispatch(device, pass, getKernel(device, ADD_BROADCAST), [out, inp, table, u], n);
}

/**
 * Records the backward of {@link addBroadcastForward}: dinp += dout and, when dtable is
 * given, dtable[i] += Σ_b dout[b, i].
 */
export function addBroadcastBackward(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  dinp: BufRef | null,
  dtable: BufRef | null,
  dout: BufRef,
  B: number,
  inner: number,
): void {
  if (dinp) accumulate(device, pass, dinp, dout, B * inner);
  if (dtable) colSumAcc(device, pass, dtable, dout, B, inner);
}

/**
 * Records out[j] += Σ_r inp[r, j] for an [rows, cols] input (bias gradients).
 */
export function colSumAcc(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  out: BufRef,
  inp: BufRef,
  rows: number,
  cols: number,
): void {
  if (rows <= 0 || cols <= 0) return;
  checkBinding(device, rows * cols, "colSumAcc");
  const u = cachedUniform(device, [{ u32: rows * cols }, { u32: cols }]);
  if (rows <= COL_BLOCK_ROWS) {
    dispatch(
      device,
      pass,
      getKernel(device, COL_SUM_ACC),
      [out, inp, dummyBuffer(device), u],
      cols,
    );
    return;
  }
  const blocks = Math.ceil(rows / COL_BLOCK_ROWS);
  const part = scratchBuffer(device, "col-partial", blocks * cols * 4);
  dispatch(
    device,
    pass,
    getKernel(device, COL_PARTIAL),
    [part, inp, dummyBuffer(device), u],
    blocks * cols,
  );
  const u2 = cachedUniform(device, [{ u32: blocks * cols }, { u32: cols }]);
  dispatch(
    device,
    pass,
    getKernel(device, COL_SUM_ACC),
    [out, part, dummyBuffer(device), u2],
    cols,
  );
}
