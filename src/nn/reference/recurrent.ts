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

/** The three recurrent cells. */
export type Cell = "rnn" | "lstm" | "gru";

/** Weights (or their gradients) of one recurrent layer, row-major. */
export interface RecurrentParamsRef {
  /** Input kernel [C, G·H]. */
  wx: Float64Array;
  /** Recurrent kernel [H, G·H]. */
  wh: Float64Array;
  /** Bias [G·H] (GRU: [2·3H], input bias then recurrent bias). */
  b: Float64Array;
}

/** Gradients of a recurrent layer's inputs and parameters. */
export interface RecurrentGradsRef {
  dx: Float64Array;
  dwx: Float64Array;
  dwh: Float64Array;
  db: Float64Array;
}

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

/** Time index processed at step s, and the index of the previous step's output (−1: none). */
function _order(s: number, T: number, reverse: boolean): [number, number] {
  if (!reverse) return [s, s - 1];
  return [T - 1 - s, s === 0 ? -1 : T - s];
}

/** pre[b,t,:] = x[b,t,:]·Wx + bias (first G·H entries of b). */
function _inputProjection(
  x: Float64Array,
  p: RecurrentParamsRef,
  B: number,
  T: number,
  C: number,
  gh: number,
) {
  const pre = new Float64Array(B * T * gh);
  for (let m = 0; m < B * T; m++) {
    for (let n = 0; n < gh; n++) {
      let s = p.b[n]!;
      for (let k = 0; k < C; k++) s += x[m * C + k]! * p.wx[k * gh + n]!;
      pre[m * gh + n] = s;
    }
  }
  return pre;
}

/** Adds h_prev[b,:]·Wh[:, n] to out[n] for n < gh (nothing when tp < 0). */
function _recurrentProduct(
  out: Float64Array,
  h: Float64Array,
  wh: Float64Array,
  b: number,
  tp: number,
  T: number,
  H: number,
  gh: number,
) {
  if (tp < 0) return;
  const base = (b * T + tp) * H;
  for (let k = 0; k < H; k++) {
    const hk = h[base + k]!;
    for (let n = 0; n < gh; n++) out[n] = out[n]! + hk * wh[k * gh + n]!;
  }
}

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
  const pre = _inputProjection(x, p, B, T, C, H);
  const h = new Float64Array(B * T * H);
  const a = new Float64Array(H);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < T; s++) {
      const [t, tp] = _order(s, T, reverse);
      a.set(pre.subarray((b * T + t) * H, (b * T + t + 1) * H));
      _recurrentProduct(a, h, p.wh, b, tp, T, H, H);
      for (let j = 0; j < H; j++) h[(b * T + t) * H + j] = Math.tanh(a[j]!);
    }
  }
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
  const pre = _inputProjection(x, p, B, T, C, gh);
  const h = new Float64Array(B * T * H), c = new Float64Array(B * T * H);
  const gates = new Float64Array(B * T * gh);
  const a = new Float64Array(gh);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < T; s++) {
      const [t, tp] = _order(s, T, reverse);
      const m = b * T + t;
      a.set(pre.subarray(m * gh, (m + 1) * gh));
      _recurrentProduct(a, h, p.wh, b, tp, T, H, gh);
      for (let j = 0; j < H; j++) {
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
      }
    }
  }
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
  const pre = _inputProjection(x, p, B, T, C, gh);
  const h = new Float64Array(B * T * H), hn = new Float64Array(B * T * H);
  const gates = new Float64Array(B * T * gh);
  const a = new Float64Array(gh);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < T; s++) {
      const [t, tp] = _order(s, T, reverse);
      const m = b * T + t;
      a.set(p.b.subarray(gh, 2 * gh));
      _recurrentProduct(a, h, p.wh, b, tp, T, H, gh);
      for (let j = 0; j < H; j++) {
        const z = sigmoid(pre[m * gh + j]! + a[j]!);
        const r = sigmoid(pre[m * gh + H + j]! + a[H + j]!);
        const n = Math.tanh(pre[m * gh + 2 * H + j]! + r * a[2 * H + j]!);
        const hp = tp < 0 ? 0 : h[(b * T + tp) * H + j]!;
        h[m * H + j] = z * hp + (1 - z) * n;
        hn[m * H + j] = a[2 * H + j]!;
        gates[m * gh + j] = z;
        gates[m * gh + H + j] = r;
        gates[m * gh + 2 * H + j] = n;
      }
    }
  }
  return { h, gates, hn };
}

/**
 * The parameter and input gradients shared by every cell, given the pre-activation
 * gradients: gx (input side) and gh (recurrent side) [B,T,G·H]; they differ only for GRU.
 */
function _accumulateGrads(
  out: RecurrentGradsRef,
  gx: Float64Array,
  gh: Float64Array,
  x: Float64Array,
  h: Float64Array,
  p: RecurrentParamsRef,
  B: number,
  T: number,
  C: number,
  H: number,
  G: number,
  reverse: boolean,
) {
  const n = G * H;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const m = b * T + t;
      const tp = reverse ? t + 1 : t - 1;
      for (let q = 0; q < n; q++) {
        const gxq = gx[m * n + q]!, ghq = gh[m * n + q]!;
        out.db[q] = out.db[q]! + gxq;
        if (out.db.length > n) out.db[n + q] = out.db[n + q]! + ghq;
        for (let k = 0; k < C; k++) {
          out.dwx[k * n + q] = out.dwx[k * n + q]! + x[m * C + k]! * gxq;
          out.dx[m * C + k] = out.dx[m * C + k]! + gxq * p.wx[k * n + q]!;
        }
        if (tp >= 0 && tp < T) {
          for (let k = 0; k < H; k++) {
            out.dwh[k * n + q] = out.dwh[k * n + q]! + h[(b * T + tp) * H + k]! * ghq;
          }
        }
      }
    }
  }
}

function _newGrads(p: RecurrentParamsRef, B: number, T: number, C: number): RecurrentGradsRef {
  return {
    dx: new Float64Array(B * T * C),
    dwx: new Float64Array(p.wx.length),
    dwh: new Float64Array(p.wh.length),
    db: new Float64Array(p.b.length),
  };
}

/** dh_prev[b,k] = Σ_q g[b,t,q]·Wh[k,q]: the gradient reaching the previous step's output. */
function _backRecurrent(
  dst: Float64Array,
  g: Float64Array,
  wh: Float64Array,
  m: number,
  H: number,
  n: number,
) {
  for (let k = 0; k < H; k++) {
    let s = 0;
    for (let q = 0; q < n; q++) s += g[m * n + q]! * wh[k * n + q]!;
    dst[k] = s;
  }
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
  const carry = new Float64Array(H);
  for (let b = 0; b < B; b++) {
    carry.fill(0);
    for (let s = T - 1; s >= 0; s--) {
      const [t] = _order(s, T, reverse);
      const m = b * T + t;
      for (let j = 0; j < H; j++) {
        const ht = cache.h[m * H + j]!;
        g[m * H + j] = (dh[m * H + j]! + carry[j]!) * (1 - ht * ht);
      }
      _backRecurrent(carry, g, p.wh, m, H, H);
    }
  }
  const out = _newGrads(p, B, T, C);
  _accumulateGrads(out, g, g, x, cache.h, p, B, T, C, H, 1, reverse);
  return out;
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
  const dhCarry = new Float64Array(H), dcCarry = new Float64Array(H);
  for (let b = 0; b < B; b++) {
    dhCarry.fill(0);
    dcCarry.fill(0);
    for (let s = T - 1; s >= 0; s--) {
      const [t, tp] = _order(s, T, reverse);
      const m = b * T + t;
      for (let j = 0; j < H; j++) {
        const i = cache.gates[m * n + j]!, f = cache.gates[m * n + H + j]!;
        const gg = cache.gates[m * n + 2 * H + j]!, o = cache.gates[m * n + 3 * H + j]!;
        const tc = Math.tanh(cache.c[m * H + j]!);
        const cp = tp < 0 ? 0 : cache.c[(b * T + tp) * H + j]!;
        const dht = dh[m * H + j]! + dhCarry[j]!;
        const dc = dcCarry[j]! + dht * o * (1 - tc * tc);
        g[m * n + j] = dc * gg * i * (1 - i);
        g[m * n + H + j] = dc * cp * f * (1 - f);
        g[m * n + 2 * H + j] = dc * i * (1 - gg * gg);
        g[m * n + 3 * H + j] = dht * tc * o * (1 - o);
        dcCarry[j] = dc * f;
      }
      _backRecurrent(dhCarry, g, p.wh, m, H, n);
    }
  }
  const out = _newGrads(p, B, T, C);
  _accumulateGrads(out, g, g, x, cache.h, p, B, T, C, H, 4, reverse);
  return out;
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
  const dhCarry = new Float64Array(H);
  const direct = new Float64Array(H);
  for (let b = 0; b < B; b++) {
    dhCarry.fill(0);
    for (let s = T - 1; s >= 0; s--) {
      const [t, tp] = _order(s, T, reverse);
      const m = b * T + t;
      for (let j = 0; j < H; j++) {
        const z = cache.gates[m * n + j]!,
          r = cache.gates[m * n + H + j]!,
          nn = cache.gates[m * n + 2 * H + j]!;
        const hp = tp < 0 ? 0 : cache.h[(b * T + tp) * H + j]!;
        const dht = dh[m * H + j]! + dhCarry[j]!;
        const dan = dht * (1 - z) * (1 - nn * nn);
        const daz = dht * (hp - nn) * z * (1 - z);
        const dar = dan * cache.hn[m * H + j]! * r * (1 - r);
        gx[m * n + j] = gh[m * n + j] = daz;
        gx[m * n + H + j] = gh[m * n + H + j] = dar;
        gx[m * n + 2 * H + j] = dan;
        gh[m * n + 2 * H + j] = dan * r;
        direct[j] = dht * z;
      }
      _backRecurrent(dhCarry, gh, p.wh, m, H, n);
      for (let j = 0; j < H; j++) dhCarry[j] = dhCarry[j]! + direct[j]!;
    }
  }
  const out = _newGrads(p, B, T, C);
  _accumulateGrads(out, gx, gh, x, cache.h, p, B, T, C, H, 3, reverse);
  return out;
}
