/**
 * The Bloch–McConnell system dM/dt = A·M + C in pulseq-cest's layout
 * (docs/physics/quass_formulas.md §1): M = [Mx_0..Mx_P-1, My_0..My_P-1, Mz_0..Mz_P-1, (Mz_MT)],
 * pool 0 = water, P = 1 + number of CEST pools.
 *
 * B0 inhomogeneity convention: a positive `b0InhomPpm` moves every resonance (and so the
 * whole Z-spectrum) to higher offsets, i.e. Z(offset; s) = Z(offset − s; 0). This is
 * BMCTool's sign; pulseq-cest's C++ uses the opposite (pulseq-cest issue #26).
 * @module
 */
import type { MtLineshape, TissueModel } from "./model.ts";
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
 * (pulseq-cest convention: Lorentzian T2/(1+(Δω T2)²), no 1/π; "None" → 0).
 * @param lineshape the pool's lineshape
 * @param t2S the MT pool's T2, s
 * @param dwRadPerS RF offset from the MT pool's resonance, rad/s
 * @param w0PerPpm γ·B0 in rad/s per ppm (sets the SuperLorentzian's 1-ppm bridge)
 */
export function mtLineshape(
  lineshape: MtLineshape,
  t2S: number,
  dwRadPerS: number,
  w0PerPpm: number,
): number {
  if (lineshape === "Lorentzian") return t2S / (1 + (dwRadPerS * t2S) ** 2);
  if (lineshape === "None") return 0;
  return superLorentzian(t2S, dwRadPerS, w0PerPpm);
}

/**
 * The SuperLorentzian integral π·∫₀¹ √(2/π) T2/|3u²−1| exp(−2(Δω T2/|3u²−1|)²) du,
 * sampled as pulseq-cest does (101 points u = 0, 0.01, …, 1, step 0.01, no end weights).
 */
export function superLorentzianIntegral(t2S: number, dwRadPerS: number): number {
  let s = 0;
  const c = Math.sqrt(2 / Math.PI);
  for (let i = 0; i < 101; i++) {
    const u = 0.01 * i;
    const d = Math.abs(3 * u * u - 1);
    s += (c * t2S / d) * Math.exp(-2 * ((dwRadPerS * t2S) / d) ** 2);
  }
  return s * Math.PI * 0.01;
}

/**
 * SuperLorentzian lineshape exactly as pulseq-cest's `MTPool::GetMTLineAtCurrentOffset`
 * (SimulationParameters.cpp): the integral for |Δω| ≥ ω0 (1 ppm); inside, where the integral
 * has its pole (u = 1/√3), a cubic Hermite spline through the integral at
 * x1 = −100 − ω0 and x2 = 100 + ω0 rad/s with tangents 30·(y(x1) − y(−300 − ω0)) and
 * 30·(y(300 + ω0) − y(x2)), parameter c = |(Δω − x1 + 1)/(x2 − x1 + 1)|. The constants
 * (30, ±100, ±300, the +1) are pulseq-cest's empirical choices, kept so that spectra match.
 */
export function superLorentzian(t2S: number, dwRadPerS: number, w0PerPpm: number): number {
  if (Math.abs(dwRadPerS) >= w0PerPpm) return superLorentzianIntegral(t2S, dwRadPerS);
  const x0 = -300 - w0PerPpm, x1 = -100 - w0PerPpm, x2 = 100 + w0PerPpm, x3 = 300 + w0PerPpm;
  const y0 = superLorentzianIntegral(t2S, x0), y1 = superLorentzianIntegral(t2S, x1);
  const y2 = superLorentzianIntegral(t2S, x2), y3 = superLorentzianIntegral(t2S, x3);
  const d1 = 30 * (y1 - y0), d2 = 30 * (y3 - y2);
  const c = Math.abs((dwRadPerS - x1 + 1) / (x2 - x1 + 1));
  const c2 = c * c, c3 = c2 * c;
  return (2 * c3 - 3 * c2 + 1) * y1 + (-2 * c3 + 3 * c2) * y2 + (c3 - 2 * c2 + c) * d1 +
    (c3 - c2) * d2;
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
