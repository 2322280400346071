/**
 * Recurrent layers on the GPU: RNN (tanh), LSTM and GRU (Keras `reset_after=true`) over
 * whole sequences, forward and backward through time, in either direction (reverse=true
 * for the backward half of a BiLSTM). The maths and the parameter layout are those of the
 * float64 references in ./reference/recurrent.ts.
 *
 * How the work is split (all recorded into the caller's compute pass, no submits):
 * - forward: one batched product x·Wx + b over all B·T rows (the tuned matmul of dense.ts:
 *   2.1–2.7× faster than the former naive kernel on llvmpipe at B 256, T 101, C 16, H 32),
 *   then one small dispatch per time step that adds h₋·Wh, applies the gates and saves what
 *   backward needs;
 * - backward: one dispatch per time step in reverse processing order that turns dh into
 *   pre-activation gate gradients (saved for all steps, [B,T,G·H]) and passes dgates·Whᵀ
 *   on to the step before, then batched products over all B·T rows for dWx and db, dWh
 *   (with the outputs shifted by one step) and dx (the tuned matmul: ~4× faster there for
 *   LSTM and GRU, 1.5–3.8× for the RNN).
 * The step kernels give each thread 4 batch rows × 4 hidden units (register blocking).
 * On llvmpipe a dispatch costs ~40 µs, so the 2 × 101 step dispatches cost ~8 ms; at
 * B=256, T=101, C=1, H=32 an LSTM forward + backward measured ~0.5 s of CPU time there.
 * @module
 */
import { dispatch, getKernel } from "../gpu/kernel.ts";
import { cachedUniform, scratchBuffer } from "./_uniforms.ts";
import type { BufRef } from "./types.ts";
import { matmul } from "./dense.ts";
import { type Cell, gateCount } from "./reference/recurrent.ts";
import { bwdScratch, type RecurrentActs } from "./recurrent_acts.ts";
import { REC_DW_PART, REC_DW_SUM, REC_TRANSPOSE, STEP_KERNELS } from "./recurrent_kernels.ts";

export { type Cell, gateCount, recurrentParamShapes } from "./reference/recurrent.ts";
export { allocRecurrentActs, destroyRecurrentActs, type RecurrentActs } from "./recurrent_acts.ts";
export {
  GRU_BWD,
  GRU_FWD,
  LSTM_BWD,
  LSTM_FWD,
  REC_DW_PART,
  REC_DW_SUM,
  REC_TRANSPOSE,
  RNN_BWD,
  RNN_FWD,
} from "./recurrent_kernels.ts";

/** The parameters of one recurrent layer (or their gradients), each a buffer or a slice. */
export interface RecurrentParams {
  /** Input kernel [C, G·H]. */
  wx: BufRef;
  /** Recurrent kernel [H, G·H]. */
  wh: BufRef;
  /** Bias [G·H] (GRU: [2, 3H], input bias then recurrent bias). */
  b: BufRef;
}

function _dims(
  device: GPUDevice,
  M: number,
  K: number,
  N: number,
  T: number,
  shift: number,
  off: number,
) {
  return cachedUniform(device, [
    { u32: M },
    { u32: K },
    { u32: N },
    { u32: T },
    { i32: shift },
    { u32: off },
    { u32: 0 },
    { u32: 0 },
  ]);
}

/** Threads the weight-gradient kernel should have at least (enough for any device). */
const DW_MIN_THREADS = 8192;

/**
 * dw += Σ_rows a(t + shift)ᵀ·g and, unless db is null, db[dbOff…] += Σ_rows g, as partial
 * sums over row chunks (rec_dw_part) added up by rec_dw_sum.
 */
function _weightGrad(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  a: BufRef,
  g: BufRef,
  dw: BufRef,
  db: BufRef | null,
  dbOff: number,
  B: number,
  T: number,
  K: number,
  N: number,
  shift: number,
): void {
  const M = B * T;
  const ones = db ? 1 : 0;
  const K1 = K + ones;
  const blocks = Math.ceil(K1 / 8) * Math.ceil(N / 8);
  const S = Math.max(1, Math.min(Math.ceil(M / 32), Math.ceil(DW_MIN_THREADS / blocks)));
  const part = scratchBuffer(device, "recurrent-dw", S * K1 * N * 4);
  const dims = (row0: number, rows: number, off: number) =>
    cachedUniform(device, [
      { u32: M },
      { u32: K },
      { u32: N },
      { u32: T },
      { i32: shift },
      { u32: ones },
      { u32: S },
      { u32: row0 },
      { u32: rows },
      { u32: off },
      { u32: 0 },
      { u32: 0 },
    ]);
  dispatch(device, pass, getKernel(device, REC_DW_PART), [a, g, part, dims(0, 0, 0)], S * blocks);
  const sum = getKernel(device, REC_DW_SUM);
  dispatch(device, pass, sum, [part, dw, dims(0, K, 0)], K * N);
  if (db) dispatch(device, pass, sum, [part, db, dims(K, 1, dbOff)], N);
}

/** The step uniform: time index of step s, of the step before it and of the one after it. */
function _step(device: GPUDevice, B: number, T: number, s: number, reverse: boolean) {
  const at = (k: number) => (reverse ? T - 1 - k : k);
  return cachedUniform(device, [
    { u32: B },
    { u32: T },
    { u32: at(s) },
    { u32: s > 0 ? at(s - 1) : 0 },
    { u32: s > 0 ? 1 : 0 },
    { u32: s < T - 1 ? at(s + 1) : 0 },
    { u32: s < T - 1 ? 1 : 0 },
    { u32: 0 },
  ]);
}

/**
 * Batch rows per thread of the step kernels (fixed at 4 in the WGSL); each thread also
 * takes 4 hidden units forward and 8 backward, so a loaded weight serves 4 rows and a
 * loaded h (or dgates) value 4 (8) units.
 */
const ROWS_PER_THREAD = 4;

function _stepThreads(B: number, H: number, unitsPerThread: number): number {
  return Math.ceil(B / ROWS_PER_THREAD) * Math.ceil(H / unitsPerThread);
}

function _checkActs(
  acts: RecurrentActs,
  cell: Cell,
  B: number,
  T: number,
  C: number,
  H: number,
): void {
  for (const [name, v] of [["B", B], ["T", T], ["C", C], ["H", H]] as const) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`Expected ${name} to be a positive integer but got ${v}`);
    }
  }
  if (acts.cell !== cell || acts.B !== B || acts.T !== T || acts.H !== H) {
    throw new TypeError(
      `Expected activations for ${cell} B=${B} T=${T} H=${H} but got ${acts.cell} ` +
        `B=${acts.B} T=${acts.T} H=${acts.H}; allocate them with allocRecurrentActs()`,
    );
  }
}

/** The forward of `cell` (see {@link RecurrentForward}). */
function _forwardOf(cell: Cell): RecurrentForward {
  return (device, pass, acts, x, p, B, T, C, H, reverse = false) => {
    _checkActs(acts, cell, B, T, C, H);
    const N = gateCount(cell) * H;
    const M = B * T;
    // The projection lands where each step expects it and overwrites it in place.
    const projOut = cell === "rnn" ? acts.h : acts.gates!;
    // (GRU's b is [2, 3H]: the product reads the input bias, its first N entries)
    matmul(device, pass, projOut, x, p.wx, p.b, M, C, N);
    const k = getKernel(device, STEP_KERNELS[cell].fwd, { H });
    for (let s = 0; s < T; s++) {
      const st = _step(device, B, T, s, reverse);
      const bufs: BufRef[] = cell === "rnn"
        ? [p.wh, acts.h, st]
        : cell === "lstm"
        ? [p.wh, acts.h, acts.c!, acts.gates!, st]
        : [p.wh, p.b, acts.h, acts.gates!, acts.hn!, st];
      dispatch(device, pass, k, bufs, _stepThreads(B, H, 4));
    }
  };
}

/** The backward of `cell` (see {@link RecurrentBackward}). */
function _backwardOf(cell: Cell): RecurrentBackward {
  return (device, pass, dx, dp, dh, acts, x, p, B, T, C, H, reverse = false) => {
    _checkActs(acts, cell, B, T, C, H);
    const N = gateCount(cell) * H;
    const M = B * T;
    const sc = bwdScratch(device, acts);
    const k = getKernel(device, STEP_KERNELS[cell].bwd, { H });
    dispatch(device, pass, getKernel(device, REC_TRANSPOSE), [
      p.wh,
      sc.whT,
      _dims(device, H, 0, N, T, 0, 0),
    ], H * N);
    for (let s = T - 1; s >= 0; s--) {
      const st = _step(device, B, T, s, reverse);
      const bufs: BufRef[] = cell === "rnn"
        ? [sc.whT, dh, acts.h, sc.dgx, st]
        : cell === "lstm"
        ? [sc.whT, dh, acts.c!, acts.gates!, sc.dgx, sc.carry, st]
        : [sc.whT, dh, acts.h, acts.gates!, acts.hn!, sc.dgx, sc.dgh, sc.carry, st];
      dispatch(device, pass, k, bufs, _stepThreads(B, H, 8));
    }
    _weightGrad(device, pass, x, sc.dgx, dp.wx, dp.b, 0, B, T, C, N, 0);
    // The recurrent kernel multiplied the previous step's output: h shifted by one step
    // against the processing direction (zero before the first step). GRU's recurrent bias
    // has its own gradient (the candidate's differs from the input side's).
    _weightGrad(
      device,
      pass,
      acts.h,
      sc.dgh,
      dp.wh,
      cell === "gru" ? dp.b : null,
      N,
      B,
      T,
      H,
      N,
      reverse ? 1 : -1,
    );
    if (dx) {
      matmul(device, pass, dx, sc.dgx, p.wx, null, M, N, C, { transB: true, accumulate: true });
    }
  };
}

/**
 * The arguments every recurrent layer call ends with: inputs x [B,T,C], the weights, the
 * sizes and the direction.
 */
export type RecurrentLayerArgs = [
  x: BufRef,
  p: RecurrentParams,
  B: number,
  T: number,
  C: number,
  H: number,
  reverse?: boolean,
];

/**
 * Signature of {@link rnnForward}, {@link lstmForward} and {@link gruForward}: records the
 * forward of one layer over a whole sequence into `pass`.
 * @param acts from {@link allocRecurrentActs}(device, cell, B, T, H)
 * @param x inputs [B,T,C]
 * @param reverse process t = T−1 … 0 (outputs stay at their positions)
 */
export type RecurrentForward = (
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  acts: RecurrentActs,
  ...layer: RecurrentLayerArgs
) => void;

/**
 * Signature of {@link rnnBackward}, {@link lstmBackward} and {@link gruBackward}: backward
 * through time, accumulating (+=) into dx (unless null) and dp.
 * @param dh gradient w.r.t. the outputs [B,T,H] (read only)
 * @param acts filled by the cell's forward with the same x, p and direction
 */
export type RecurrentBackward = (
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  dx: BufRef | null,
  dp: RecurrentParams,
  dh: BufRef,
  acts: RecurrentActs,
  ...layer: RecurrentLayerArgs
) => void;

/**
 * RNN (tanh) forward over a whole sequence, recorded into `pass` ({@link RecurrentForward}).
 * acts from allocRecurrentActs(device, "rnn", B, T, H) receive h [B,T,H]; p: wx [C,H],
 * wh [H,H], b [H].
 * @example
 * rnnForward(device, pass, acts, x, p, 256, 101, 1, 32);
 */
export const rnnForward: RecurrentForward = _forwardOf("rnn");

/**
 * LSTM forward over a whole sequence (gate order i, f, g, o), recorded into `pass`
 * ({@link RecurrentForward}). acts from allocRecurrentActs(device, "lstm", B, T, H) receive
 * h, c, gates; p: wx [C,4H], wh [H,4H], b [4H].
 * @example
 * lstmForward(device, pass, acts, x, p, 256, 101, 1, 32);
 */
export const lstmForward: RecurrentForward = _forwardOf("lstm");

/**
 * GRU forward (Keras `reset_after=true`, gate order z, r, h) over a whole sequence
 * ({@link RecurrentForward}). acts from allocRecurrentActs(device, "gru", B, T, H) receive
 * h, gates, hn; p: wx [C,3H], wh [H,3H], b [2,3H] (input bias, recurrent bias).
 * @example
 * gruForward(device, pass, acts, x, p, 256, 101, 1, 32);
 */
export const gruForward: RecurrentForward = _forwardOf("gru");

/**
 * RNN backward through time ({@link RecurrentBackward}); acts filled by
 * {@link rnnForward} with the same x, p and direction.
 * @example
 * rnnBackward(device, pass, dx, grads, dh, acts, x, p, 256, 101, 1, 32);
 */
export const rnnBackward: RecurrentBackward = _backwardOf("rnn");

/**
 * LSTM backward through time ({@link RecurrentBackward}); acts filled by
 * {@link lstmForward} with the same x, p and direction.
 * @example
 * lstmBackward(device, pass, dx, grads, dh, acts, x, p, 256, 101, 1, 32);
 */
export const lstmBackward: RecurrentBackward = _backwardOf("lstm");

/**
 * GRU backward through time ({@link RecurrentBackward}; dp.b is [2,3H]); acts filled by
 * {@link gruForward} with the same x, p and direction.
 * @example
 * gruBackward(device, pass, dx, grads, dh, acts, x, p, 256, 101, 1, 32);
 */
export const gruBackward: RecurrentBackward = _backwardOf("gru");

/** The forward of each cell, by cell. */
export const RECURRENT_FORWARD: Readonly<Record<Cell, RecurrentForward>> = {
  rnn: rnnForward,
  lstm: lstmForward,
  gru: gruForward,
};

/** The backward of each cell, by cell. */
export const RECURRENT_BACKWARD: Readonly<Record<Cell, RecurrentBackward>> = {
  rnn: rnnBackward,
  lstm: lstmBackward,
  gru: gruBackward,
};
