/**
 * Float64 CPU references of the recurrent layers (RNN with tanh, LSTM, GRU) over whole
 * sequences, forward and backward through time, in either direction. The GPU kernels in
 * src/nn/recurrent.ts are tested against these, and these against central finite
 * differences and against tfjs-layers.
 *
 * Layout (Keras/tfjs): x [B,T,C]; wx [C, G·H]; wh [H, G·H]; b [G·H] (GRU: [2, 3H], the
 * input bias then the recurrent bias, Keras `reset_after=true`). Gate g of hidden unit j
 * is column g·H + j. Gate order: LSTM i, f, g, o; GRU z, r, h. Initial h and c are 0.
 * With `reverse` the sequence is processed from t = T−1 down to 0, but the output of the
 * step that read x[t] is stored at h[t].
 *
 * Cells (σ the logistic sigmoid, ⊙ element-wise):
 * - rnn:  h = tanh(x·Wx + h₋·Wh + b)
 * - lstm: [i,f,g,o] = [σ,σ,tanh,σ](x·Wx + h₋·Wh + b); c = f⊙c₋ + i⊙g; h = o⊙tanh(c)
 * - gru:  z = σ(xWz + bz + h₋Uz + b'z); r = σ(xWr + br + h₋Ur + b'r);
 *         n = tanh(xWn + bn + r⊙(h₋Un + b'n)); h = z⊙h₋ + (1−z)⊙n
 * @module
 */
import {
  backwardThroughTime,
  forwardThroughTime,
  inputProjection,
  type RecurrentGradsRef,
  type RecurrentParamsRef,
} from "./through_time.ts";

export type { RecurrentGradsRef, RecurrentParamsRef } from "./through_time.ts";

/** The three recurrent cells. */
export type Cell = "rnn" | "lstm" | "gru";

/** Number of gates G: 1 (rnn), 4 (lstm), 3 (gru). */
export function gateCount(cell: Cell): number {
  return cell === "rnn" ? 1 : cell === "lstm" ? 4 : 3;
}

/**
 * Shapes of a layer's three parameter tensors.
 * @example
 * recurrentParamShapes("lstm", 1, 32); // { wx: [1, 128], wh: [32, 128], b: [128] }
 */
export function recurrentParamShapes(
  cell: Cell,
  C: number,
  H: number,
): { wx: number[]; wh: number[]; b: number[] } {
  const gh = gateCount(cell) * H;
  return { wx: [C, gh], wh: [H, gh], b: cell === "gru" ? [2, gh] : [gh] };
}

const sigmoid = (a: number) => 1 / (1 + Math.exp(-a));

/** Saved forward state of {@link rnnForwardRef}. */
export interface RnnCacheRef {
  /** Outputs [B,T,H]. */
  h: Float64Array;
}

/**
 * RNN (tanh) forward over a whole sequence.
 * @returns the outputs h [B,T,H]
 */
export function rnnForwardRef(
  x: Float64Array,
  p: RecurrentParamsRef,
  B: number,
  T: number,
  C: number,
  H: number,
  reverse = false,
): RnnCacheRef {
  const pre = inputProjection(x, p, B, T, C, H);
  const h = new Float64Array(B * T * H);
  forwardThroughTime(
    { h, wh: p.wh, B, T, H, gh: H, reverse },
    (m, a) => a.set(pre.subarray(m * H, (m + 1) * H)),
    (m, j, _b, _tp, a) => {
      h[m * H + j] = Math.tanh(a[j]!);
    },
  );
  return { h };
}

/** Saved forward state of {@link lstmForwardRef}. */
export interface LstmCacheRef {
  /** Outputs [B,T,H]. */
  h: Float64Array;
  /** Cell states [B,T,H]. */
  c: Float64Array;
  /** Gate activations after their non-linearity [B,T,4H] (i, f, g, o). */
  gates: Float64Array;
}

/**
 * LSTM forward over a whole sequence (σ gates, tanh cell input and output).
 * @returns outputs h, cell states c and gate activations
 */
export function lstmForwardRef(
  x: Float64Array,
  p: RecurrentParamsRef,
  B: number,
  T: number,
  C: number,
  H: number,
  reverse = false,
): LstmCacheRef {
  const gh = 4 * H;
  const pre = inputProjection(x, p, B, T, C, gh);
  const h = new Float64Array(B * T * H), c = new Float64Array(B * T * H);
  const gates = new Float64Array(B * T * gh);
  forwardThroughTime(
    { h, wh: p.wh, B, T, H, gh, reverse },
    (m, a) => a.set(pre.subarray(m * gh, (m + 1) * gh)),
    (m, j, b, tp, a) => {
      const i = sigmoid(a[j]!),
        f = sigmoid(a[H + j]!),
        g = Math.tanh(a[2 * H + j]!),
        o = sigmoid(a[3 * H + j]!);
      const cp = tp < 0 ? 0 : c[(b * T + tp) * H + j]!;
      const ct = f * cp + i * g;
      c[m * H + j] = ct;
      h[m * H + j] = o * Math.tanh(ct);
      gates[m * gh + j] = i;
      gates[m * gh + H + j] = f;
      gates[m * gh + 2 * H + j] = g;
      gates[m * gh + 3 * H + j] = o;
    },
  );
  return { h, c, gates };
}

/** Saved forward state of {@link gruForwardRef}. */
export interface GruCacheRef {
  /** Outputs [B,T,H]. */
  h: Float64Array;
  /** Gate activations [B,T,3H] (z, r, n). */
  gates: Float64Array;
  /** Recurrent part of the candidate before the reset gate, h₋·Un + b'n [B,T,H]. */
  hn: Float64Array;
}

/**
 * GRU forward over a whole sequence, Keras `reset_after=true` (the reset gate multiplies
 * the recurrent candidate term after the matrix product; two bias vectors).
 * @returns outputs h, gate activations and the recurrent candidate term
 */
export function gruForwardRef(
  x: Float64Array,
  p: RecurrentParamsRef,
  B: number,
  T: number,
  C: number,
  H: number,
  reverse = false,
): GruCacheRef {
  const gh = 3 * H;
  const pre = inputProjection(x, p, B, T, C, gh);
  const h = new Float64Array(B * T * H), hn = new Float64Array(B * T * H);
  const gates = new Float64Array(B * T * gh);
  forwardThroughTime(
    { h, wh: p.wh, B, T, H, gh, reverse },
    (_m, a) => a.set(p.b.subarray(gh, 2 * gh)),
    (m, j, b, tp, a) => {
      const z = sigmoid(pre[m * gh + j]! + a[j]!);
      const r = sigmoid(pre[m * gh + H + j]! + a[H + j]!);
      const n = Math.tanh(pre[m * gh + 2 * H + j]! + r * a[2 * H + j]!);
      const hp = tp < 0 ? 0 : h[(b * T + tp) * H + j]!;
      h[m * H + j] = z * hp + (1 - z) * n;
      hn[m * H + j] = a[2 * H + j]!;
      gates[m * gh + j] = z;
      gates[m * gh + H + j] = r;
      gates[m * gh + 2 * H + j] = n;
    },
  );
  return { h, gates, hn };
}

/**
 * RNN backward through time.
 * @param dh gradient of the loss w.r.t. the outputs h [B,T,H]
 * @param cache what {@link rnnForwardRef} returned
 * @returns new arrays dx [B,T,C], dwx, dwh, db
 */
export function rnnBackwardRef(
  dh: Float64Array,
  cache: RnnCacheRef,
  x: Float64Array,
  p: RecurrentParamsRef,
  B: number,
  T: number,
  C: number,
  H: number,
  reverse = false,
): RecurrentGradsRef {
  const g = new Float64Array(B * T * H);
  return backwardThroughTime(
    { dh, h: cache.h, x, p, B, T, C, H, G: 1, reverse, gx: g, gh: g, carryToDh: false },
    (m, j, _b, _tp, dht) => {
      const ht = cache.h[m * H + j]!;
      g[m * H + j] = dht * (1 - ht * ht);
    },
  );
}

/**
 * LSTM backward through time.
 * @param dh gradient of the loss w.r.t. the outputs h [B,T,H]
 * @param cache what {@link lstmForwardRef} returned
 * @returns new arrays dx [B,T,C], dwx, dwh, db
 */
export function lstmBackwardRef(
  dh: Float64Array,
  cache: LstmCacheRef,
  x: Float64Array,
  p: RecurrentParamsRef,
  B: number,
  T: number,
  C: number,
  H: number,
  reverse = false,
): RecurrentGradsRef {
  const n = 4 * H;
  const g = new Float64Array(B * T * n);
  // carry: the cell-state gradient dc flowing to the previous step.
  return backwardThroughTime(
    { dh, h: cache.h, x, p, B, T, C, H, G: 4, reverse, gx: g, gh: g, carryToDh: false },
    (m, j, b, tp, dht, dcCarry) => {
      const i = cache.gates[m * n + j]!, f = cache.gates[m * n + H + j]!;
      const gg = cache.gates[m * n + 2 * H + j]!, o = cache.gates[m * n + 3 * H + j]!;
      const tc = Math.tanh(cache.c[m * H + j]!);
      const cp = tp < 0 ? 0 : cache.c[(b * T + tp) * H + j]!;
      const dc = dcCarry[j]! + dht * o * (1 - tc * tc);
      g[m * n + j] = dc * gg * i * (1 - i);
      g[m * n + H + j] = dc * cp * f * (1 - f);
      g[m * n + 2 * H + j] = dc * i * (1 - gg * gg);
      g[m * n + 3 * H + j] = dht * tc * o * (1 - o);
      dcCarry[j] = dc * f;
    },
  );
}

/**
 * GRU (`reset_after=true`) backward through time.
 * @param dh gradient of the loss w.r.t. the outputs h [B,T,H]
 * @param cache what {@link gruForwardRef} returned
 * @returns new arrays dx [B,T,C], dwx, dwh, db ([2·3H]: input then recurrent bias)
 */
export function gruBackwardRef(
  dh: Float64Array,
  cache: GruCacheRef,
  x: Float64Array,
  p: RecurrentParamsRef,
  B: number,
  T: number,
  C: number,
  H: number,
  reverse = false,
): RecurrentGradsRef {
  const n = 3 * H;
  const gx = new Float64Array(B * T * n), gh = new Float64Array(B * T * n);
  // carry: the direct path z⊙dh to the previous output.
  return backwardThroughTime(
    { dh, h: cache.h, x, p, B, T, C, H, G: 3, reverse, gx, gh, carryToDh: true },
    (m, j, b, tp, dht, direct) => {
      const z = cache.gates[m * n + j]!,
        r = cache.gates[m * n + H + j]!,
        nn = cache.gates[m * n + 2 * H + j]!;
      const hp = tp < 0 ? 0 : cache.h[(b * T + tp) * H + j]!;
      const dan = dht * (1 - z) * (1 - nn * nn);
      const daz = dht * (hp - nn) * z * (1 - z);
      const dar = dan * cache.hn[m * H + j]! * r * (1 - r);
      gx[m * n + j] = gh[m * n + j] = daz;
      gx[m * n + H + j] = gh[m * n + H + j] = dar;
      gx[m * n + 2 * H + j] = dan;
      gh[m * n + 2 * H + j] = dan * r;
      direct[j] = dht * z;
    },
  );
}

/** Saved forward state of any cell. */
export type RecurrentCacheRef = RnnCacheRef | LstmCacheRef | GruCacheRef;

/** Forward of any cell ({@link rnnForwardRef}, {@link lstmForwardRef}, {@link gruForwardRef}). */
export function recurrentForwardRef(
  cell: Cell,
  x: Float64Array,
  p: RecurrentParamsRef,
  B: number,
  T: number,
  C: number,
  H: number,
  reverse = false,
): RecurrentCacheRef {
  if (cell === "rnn") return rnnForwardRef(x, p, B, T, C, H, reverse);
  if (cell === "lstm") return lstmForwardRef(x, p, B, T, C, H, reverse);
  return gruForwardRef(x, p, B, T, C, H, reverse);
}

/**
 * Backward of any cell, given what {@link recurrentForwardRef} returned for the same cell.
 * @returns new arrays dx [B,T,C], dwx, dwh, db
 */
export function recurrentBackwardRef(
  cell: Cell,
  dh: Float64Array,
  cache: RecurrentCacheRef,
  x: Float64Array,
  p: RecurrentParamsRef,
  B: number,
  T: number,
  C: number,
  H: number,
  reverse = false,
): RecurrentGradsRef {
  if (cell === "rnn") return rnnBackwardRef(dh, cache, x, p, B, T, C, H, reverse);
  if (cell === "lstm") return lstmBackwardRef(dh, cache as LstmCacheRef, x, p, B, T, C, H, reverse);
  return gruBackwardRef(dh, cache as GruCacheRef, x, p, B, T, C, H, reverse);
}
