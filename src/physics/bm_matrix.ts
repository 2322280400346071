/**
 * The Bloch–McConnell system dM/dt = A·M + C in pulseq-cest's layout
 * (reference/quass_formulas.md §1): M = [Mx_0..Mx_P-1, My_0..My_P-1, Mz_0..Mz_P-1, (Mz_MT)],
 * pool 0 = water, P = 1 + number of CEST pools.
 *
 * B0 inhomogeneity convention: a positive `b0InhomPpm` moves every resonance (and so the
 * whole Z-spectrum) to higher offsets, i.e. Z(offset; s) = Z(offset − s; 0). This is
 * BMCTool's sign; pulseq-cest's C++ uses the opposite (pulseq-cest issue #26).
 * @module
 */
import type { TissueModel } from "./model.ts";
import { stateSize } from "./model.ts";

/** Indices of the state vector. */
export interface StateLayout {
  /** Number of water + CEST pools. */
  pools: number;
  /** Total state size (3·pools, +1 with a z-only MT pool). */
  n: number;
  /** Index of water Mz. */
  waterZ: number;
  /** Index of the MT pool's Mz, or −1. */
  mtZ: number;
}

/** The state layout of a model. */
export function stateLayout(model: TissueModel): StateLayout {
  const pools = model.cest.length + 1;
  return { pools, n: stateSize(model), waterZ: 2 * pools, mtZ: model.mt ? 3 * pools : -1 };
}

/** ω0 per ppm in rad/s: γ·B0. */
export function omega0PerPpm(model: TissueModel, b0T = model.b0T): number {
  return model.gammaRadPerSUT * b0T;
}

/**
 * MT absorption lineshape G(Δω) in s such that the saturation rate is ω1²·G
 * (pulseq-cest convention: Lorentzian T2/(1+(Δω T2)²), no 1/π).
 */
export function mtLineshape(
  lineshape: "Lorentzian" | "SuperLorentzian",
  t2S: number,
  dwRadPerS: number,
  w0PerPpm: number,
): number {
  if (lineshape === "Lorentzian") return t2S / (1 + (dwRadPerS * t2S) ** 2);
  return superLorentzian(t2S, dwRadPerS, w0PerPpm);
}

function _slRaw(t2S: number, dw: number): number {
  // π·∫₀¹ √(2/π) T2/|3u²−1| exp(−2(Δω T2/|3u²−1|)²) du, sampled at u = 0, 0.01, …, 1
  let s = 0;
  for (let i = 0; i <= 100; i++) {
    const u = i / 100;
    const d = Math.abs(3 * u * u - 1);
    s += 0.01 * Math.sqrt(2 / Math.PI) * (t2S / d) * Math.exp(-2 * ((dw * t2S) / d) ** 2);
  }
  return Math.PI * s;
}

/**
 * SuperLorentzian lineshape as in pulseq-cest: the integral for |Δω| ≥ 1 ppm, a cubic
 * Hermite bridge (tangent weight 30 Hz-equivalent) inside, where the integral diverges.
 */
export function superLorentzian(t2S: number, dwRadPerS: number, w0PerPpm: number): number {
  const cutoff = w0PerPpm; // 1 ppm in rad/s
  if (Math.abs(dwRadPerS) >= cutoff) return _slRaw(t2S, dwRadPerS);
  // Bridge from −cutoff to +cutoff with slopes taken from the integral just outside.
  const h = 1e-6 * cutoff;
  const y0 = _slRaw(t2S, -cutoff), y1 = _slRaw(t2S, cutoff);
  const d0 = ((_slRaw(t2S, -cutoff) - _slRaw(t2S, -cutoff - h)) / h) * 30;
  const d1 = ((_slRaw(t2S, cutoff + h) - _slRaw(t2S, cutoff)) / h) * 30;
  const t = (dwRadPerS + cutoff) / (2 * cutoff);
  const h00 = 2 * t ** 3 - 3 * t ** 2 + 1, h10 = t ** 3 - 2 * t ** 2 + t;
  const h01 = -2 * t ** 3 + 3 * t ** 2, h11 = t ** 3 - t ** 2;
  const span = 2 * cutoff / 30;
  return h00 * y0 + h10 * span * d0 + h01 * y1 + h11 * span * d1;
}

/**
 * Builds A (n×n, row-major) and C (n) for one RF offset and amplitude.
 * @param model the tissue model
 * @param b1UT CW amplitude in µT (0 = free evolution); multiplied by model.relB1
 * @param offsetPpm RF offset from water, ppm
 * @param b0T main field (default: the model's)
 * @example
 * const { A, C, layout } = bmSystem(model, 1.0, 3.5);
 */
export function bmSystem(
  model: TissueModel,
  b1UT: number,
  offsetPpm: number,
  b0T = model.b0T,
): { A: Float64Array; C: Float64Array; layout: StateLayout } {
  const layout = stateLayout(model);
  const { pools: P, n } = layout;
  const A = new Float64Array(n * n);
  const C = new Float64Array(n);
  const w0 = omega0PerPpm(model, b0T);
  const wRf = offsetPpm * w0;
  const dw0 = model.b0InhomPpm * w0;
  const w1 = model.gammaRadPerSUT * b1UT * model.relB1;
  const set = (r: number, c: number, v: number) => (A[r * n + c] = v);
  const add = (r: number, c: number, v: number) => (A[r * n + c] = A[r * n + c]! + v);

  const r1w = 1 / model.water.t1S, r2w = 1 / model.water.t2S;
  let sumFk = 0;
  model.cest.forEach((p, j) => {
    const i = j + 1;
    const k = p.kPerS, fk = p.f * p.kPerS;
    const r1 = 1 / p.t1S, r2 = 1 / p.t2S;
    sumFk += fk;
    for (const off of [0, P]) { // x and y blocks
      set(off + 0, off + i, k);
      set(off + i, off + 0, fk);
      set(off + i, off + i, -(r2 + k));
    }
    set(2 * P, 2 * P + i, k);
    set(2 * P + i, 2 * P, fk);
    set(2 * P + i, 2 * P + i, -(r1 + k));
    C[2 * P + i] = p.f * r1;
  });
  set(0, 0, -(r2w + sumFk));
  set(P, P, -(r2w + sumFk));
  set(2 * P, 2 * P, -(r1w + sumFk));
  C[2 * P] = model.water.f * r1w;

  for (let i = 0; i < P; i++) {
    const dwPpm = i === 0 ? 0 : model.cest[i - 1]!.dwPpm;
    const detune = dwPpm * w0 + dw0 - wRf; // resonance − RF, rad/s
    set(i, P + i, -detune);
    set(P + i, i, detune);
    // RF along x (phase 0): rotates y into z.
    set(P + i, 2 * P + i, w1);
    set(2 * P + i, P + i, -w1);
  }

  const mt = model.mt;
  if (mt) {
    const m = 3 * P;
    const fk = mt.f * mt.kPerS;
    add(2 * P, 2 * P, -fk);
    set(2 * P, m, mt.kPerS);
    set(m, 2 * P, fk);
    const dwMt = wRf - (mt.dwPpm * w0 + dw0);
    set(m, m, -(1 / mt.t1S) - mt.kPerS - w1 * w1 * mtLineshape(mt.lineshape, mt.t2S, dwMt, w0));
    C[m] = mt.f / mt.t1S;
  }
  return { A, C, layout };
}

/** Equilibrium magnetisation: z = f for every pool, transverse 0. */
export function equilibrium(model: TissueModel): Float64Array {
  const { pools: P, n, mtZ } = stateLayout(model);
  const m = new Float64Array(n);
  m[2 * P] = model.water.f;
  model.cest.forEach((p, j) => (m[2 * P + j + 1] = p.f));
  if (mtZ >= 0) m[mtZ] = model.mt!.f;
  return m;
}
