/**
 * The time loops shared by the float64 recurrent references (reference/recurrent.ts): the
 * processing order of a sequence in either direction, the batched input projection, and
 * the forward and backward through time around a cell's per-unit step; the backward ends
 * with the parameter and input gradients every cell shares. Layout as in
 * reference/recurrent.ts.
 * @module
 */

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

/** Time index processed at step s, and the index of the previous step's output (−1: none). */
export function stepOrder(s: number, T: number, reverse: boolean): [number, number] {
  if (!reverse) return [s, s - 1];
  return [T - 1 - s, s === 0 ? -1 : T - s];
}

/** pre[b,t,:] = x[b,t,:]·Wx + bias (first G·H entries of b). */
export function inputProjection(
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
export function forwardThroughTime(
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
      const [t, tp] = stepOrder(s, T, reverse);
      const m = b * T + t;
      start(m, a);
      _recurrentProduct(a, h, wh, b, tp, T, H, gh);
      for (let j = 0; j < H; j++) unit(m, j, b, tp, a);
    }
  }
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
export function backwardThroughTime(
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
      const [t, tp] = stepOrder(s, T, reverse);
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
