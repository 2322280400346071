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

/**
 * The time loop shared by the forward of every cell: for each batch row and step in
 * processing order, a = start(m) + h₋·Wh (the step's G·H pre-activations; row m = b·T + t),
 * then unit(m, j, tp, a) for every hidden unit j (tp: the previous step's time index, −1:
 * none).
 */
function _forwardThroughTime(
  { h, wh, B, T, H, gh, reverse }: {
    h: Float64Array;
    wh: Float64Array;
    B: number;
    T: number;
    H: number;
    gh: number;
    reverse: boolean;
  },
  start: (m: number, a: Float64Array) => void,
  unit: (m: number, j: number, b: number, tp: number, a: Float64Array) => void,
): void {
  const a = new Float64Array(gh);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < T; s++) {
      const [t, tp] = _order(s, T, reverse);
      const m = b * T + t;
      start(m, a);
      _recurrentProduct(a, h, wh, b, tp, T, H, gh);
      for (let j = 0; j < H; j++) unit(m, j, b, tp, a);
    }
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
  _forwardThroughTime(
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
  const pre = _inputProjection(x, p, B, T, C, gh);
  const h = new Float64Array(B * T * H), c = new Float64Array(B * T * H);
  const gates = new Float64Array(B * T * gh);
  _forwardThroughTime(
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
  const pre = _inputProjection(x, p, B, T, C, gh);
  const h = new Float64Array(B * T * H), hn = new Float64Array(B * T * H);
  const gates = new Float64Array(B * T * gh);
  _forwardThroughTime(
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
 * The time loop shared by the backward of every cell. For each batch row, steps run in
 * reverse processing order; unit(m, j, b, tp, dht, carry) writes the pre-activation
 * gradients of unit j at row m = b·T + t into gx and gh (the same array except for GRU),
 * where dht is the output gradient plus what reached it from the step processed next, and
 * `carry` [H] is per-unit state zeroed per batch row. The gradient reaching the previous
 * step's output is then gh·Whᵀ, plus `carry` when `carryToDh` (GRU's direct path z⊙dh).
 * @returns new arrays dx, dwx, dwh, db
 */
function _backwardThroughTime(
  { dh, h, x, p, B, T, C, H, G, reverse, gx, gh, carryToDh }: {
    dh: Float64Array;
    h: Float64Array;
    x: Float64Array;
    p: RecurrentParamsRef;
    B: number;
    T: number;
    C: number;
    H: number;
    G: number;
    reverse: boolean;
    gx: Float64Array;
    gh: Float64Array;
    carryToDh: boolean;
  },
  unit: (m: number, j: number, b: number, tp: number, dht: number, carry: Float64Array) => void,
): RecurrentGradsRef {
  const n = G * H;
  const dhCarry = new Float64Array(H), carry = new Float64Array(H);
  for (let b = 0; b < B; b++) {
    dhCarry.fill(0);
    carry.fill(0);
    for (let s = T - 1; s >= 0; s--) {
      const [t, tp] = _order(s, T, reverse);
      const m = b * T + t;
      for (let j = 0; j < H; j++) unit(m, j, b, tp, dh[m * H + j]! + dhCarry[j]!, carry);
      _backRecurrent(dhCarry, gh, p.wh, m, H, n);
      if (carryToDh) { for (let j = 0; j < H; j++) dhCarry[j] = dhCarry[j]! + carry[j]!; }
    }
  }
  const out = _newGrads(p, B, T, C);
  _accumulateGrads(out, gx, gh, x, h, p, B, T, C, H, G, reverse);
  return out;
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
  return _backwardThroughTime(
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
  return _backwardThroughTime(
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
  return _backwardThroughTime(
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
