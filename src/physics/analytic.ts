/**
 * Analytic CW saturation (Zaiss & Bachert R1ρ) and QUASS reconstruction (Sun 2021), as in
 * docs/physics/quass_formulas.md §3–4. All rates are positive, in 1/s; offsets in ppm;
 * frequencies in rad/s. Functions are scalar and cheap so that image code can call them
 * per voxel and offset; `*Spectrum` helpers loop over offsets.
 * @module
 */
import type { TissueModel } from "./model.ts";
import { mtLineshape } from "./bm_matrix.ts";
import { luFactor, luSolve } from "./expm.ts";

/** Which closed form of the exchange term R_ex (§3.2). */
export type RexForm = "lorentz" | "minilorentz" | "hyper";

/**
 * cos²θ = Δω²/(Δω² + ω1²) of the effective field (θ → π/2 on water). γ cancels, so only
 * B1/(B0·ppm) matters. At Δω = ω1 = 0 it is 1 (no RF: the field is along z).
 */
export function cos2Theta(offsetPpm: number, b1UT: number, b0T: number): number {
  const dw = offsetPpm * b0T, w1 = b1UT;
  const d = dw * dw + w1 * w1;
  return d === 0 ? 1 : (dw * dw) / d;
}

/** R_eff = R1w cos²θ + R2w sin²θ (§3.1). */
export function rEffPerS(r1wPerS: number, r2wPerS: number, cos2: number): number {
  return r1wPerS * cos2 + r2wPerS * (1 - cos2);
}

/**
 * Exchange-dependent relaxation R_ex of one CEST pool (§3.2).
 * @param form lorentz | minilorentz | hyper
 * @param fPool pool size relative to water
 * @param kPerS exchange rate pool → water, 1/s
 * @param r2PerS the pool's R2, 1/s
 * @param dwaRad RF offset from water Δω_a, rad/s
 * @param deltaRad the pool's chemical shift δ_i, rad/s (Δω_i = Δω_a − δ_i)
 * @param w1Rad ω1, rad/s
 */
export function rexPool(
  form: RexForm,
  fPool: number,
  kPerS: number,
  r2PerS: number,
  dwaRad: number,
  deltaRad: number,
  w1Rad: number,
): number {
  const k = kPerS, r2 = r2PerS, ka = fPool * k, w1s = w1Rad * w1Rad;
  if (k === 0 || ka === 0 || w1s === 0) return 0;
  const dwi = dwaRad - deltaRad, dwa2 = dwaRad * dwaRad;
  const gamma2 = ((k + r2) / k) * w1s + (k + r2) ** 2; // (Γ/2)²
  if (form === "lorentz") {
    return (ka * w1s / (dwa2 + w1s)) *
      (deltaRad * deltaRad + ((dwa2 + w1s) * r2) / k + r2 * (k + r2)) / (gamma2 + dwi * dwi);
  }
  if (form === "minilorentz") {
    return (ka * w1s / (w1s + k * (k + r2))) * gamma2 / (gamma2 + dwi * dwi);
  }
  const num = ka * k * w1s *
    (deltaRad * deltaRad + (r2 * (dwa2 + (ka + k) ** 2 + k * r2 + w1s)) / k);
  const den = (ka + k) * (dwi * dwi * w1s + ka * r2 * w1s) +
    (ka + k) *
      ((dwaRad * dwi - ka * r2) ** 2 + (dwi * ka + dwaRad * (k + r2)) ** 2 +
        (ka + k + r2) ** 2 * w1s) +
    (ka + k + r2) * (dwa2 * w1s + w1s * w1s);
  return num / den;
}

/**
 * MT contribution R_ex,MT of a z-only semisolid pool (§3.3, Rex_MT.m).
 * @param r1aPerS water R1; r2aPerS water R2; r1cPerS MT pool R1 (all 1/s)
 * @param kcaPerS MT → water exchange; kacPerS water → MT (= f·k)
 * @param rfmtPerS ω1²·G(Δω_c), the RF saturation rate of the MT pool
 * @param rEff R_eff of water (§3.1)
 */
export function rexMtPerS(
  r1aPerS: number,
  r2aPerS: number,
  r1cPerS: number,
  kcaPerS: number,
  kacPerS: number,
  rfmtPerS: number,
  rEff: number,
  dwaRad: number,
  w1Rad: number,
): number {
  const r1a = r1aPerS - rEff, r2a = r2aPerS - rEff, r1c = r1cPerS - rEff;
  const kca = kcaPerS, kac = kacPerS, rf = rfmtPerS, w1s = w1Rad * w1Rad, dwa2 = dwaRad * dwaRad;
  const num = (dwa2 + r2a * r2a) * (kca * r1a + (kac + r1a) * (r1c + rf)) +
    r2a * (kca + r1c + rf) * w1s;
  const den = dwa2 * (kac + kca + r1a + r1c + rf) +
    r2a *
      (kca * (2 * r1a + r2a) + r2a * (r1c + rf) + kac * (2 * r1c + r2a + 2 * rf) +
        r1a * (2 * r1c + r2a + 2 * rf)) +
    (kca + r1c + r2a + rf) * w1s;
  return num / den;
}

/**
 * R1obs: the slow eigen-rate of the water–MT pair without RF (§3.3); R1w without MT.
 */
export function r1ObsPerS(model: TissueModel): number {
  const r1a = 1 / model.water.t1S;
  const mt = model.mt;
  if (!mt) return r1a;
  const r1c = 1 / mt.t1S, kca = mt.kPerS, kac = mt.f * mt.kPerS;
  const s = kac + kca + r1a + r1c;
  return 0.5 * (s - Math.sqrt(s * s - 4 * (kca * r1a + kac * r1c + r1a * r1c)));
}

/** Options of the analytic R1ρ / Z_ss. */
export interface AnalyticOptions {
  /** R_ex closed form (default "lorentz"). */
  form?: RexForm;
  /** Main field, T (default: the model's). */
  b0T?: number;
}

/**
 * Zaiss–Bachert R1ρ = R_eff + Σ R_ex,i (+ R_ex,MT for a z-only MT pool) (§3.4).
 * @param model tissue model (water + CEST pools, optional z-only MT)
 * @param b1UT CW amplitude, µT (× model.relB1)
 * @param offsetPpm RF offset, ppm (the model's b0InhomPpm shifts it as in bm_matrix.ts)
 * @returns R1ρ in 1/s
 * @example
 * r1rhoAnalytic(model, 1.0, 3.5, { form: "hyper" });
 */
export function r1rhoAnalytic(
  model: TissueModel,
  b1UT: number,
  offsetPpm: number,
  opts: AnalyticOptions = {},
): number {
  const form = opts.form ?? "lorentz";
  const w0 = model.gammaRadPerSUT * (opts.b0T ?? model.b0T);
  const dwa = (offsetPpm - model.b0InhomPpm) * w0;
  const w1 = model.gammaRadPerSUT * b1UT * model.relB1;
  const d = dwa * dwa + w1 * w1;
  const cos2 = d === 0 ? 1 : (dwa * dwa) / d;
  const r1w = 1 / model.water.t1S, r2w = 1 / model.water.t2S;
  const rEff = rEffPerS(r1w, r2w, cos2);
  let r = rEff;
  for (const p of model.cest) r += rexPool(form, p.f, p.kPerS, 1 / p.t2S, dwa, p.dwPpm * w0, w1);
  const mt = model.mt;
  if (mt) {
    const rfmt = w1 * w1 * mtLineshape(mt.lineshape, mt.t2S, dwa - mt.dwPpm * w0, w0);
    r += rexMtPerS(r1w, r2w, 1 / mt.t1S, mt.kPerS, mt.f * mt.kPerS, rfmt, rEff, dwa, w1);
  }
  return r;
}

/**
 * Analytic steady state Z_ss = cos²θ · R1obs / R1ρ (§3.5; R1obs = R1w without MT).
 * @param r1rhoPerS optional R1ρ to use (e.g. the exact eigen-rate); default analytic
 */
export function zssAnalytic(
  model: TissueModel,
  b1UT: number,
  offsetPpm: number,
  opts: AnalyticOptions & { r1rhoPerS?: number } = {},
): number {
  const b0T = opts.b0T ?? model.b0T;
  const c2 = cos2Theta(offsetPpm - model.b0InhomPpm, b1UT * model.relB1, b0T);
  const r1rho = opts.r1rhoPerS ?? r1rhoAnalytic(model, b1UT, offsetPpm, opts);
  return (c2 * r1ObsPerS(model)) / r1rho;
}

/**
 * CW transient (§3.6): Z(t) = (cos²θ·Z_i − Z_ss)·e^{−R1ρ t} + Z_ss (projection onto and back
 * from the effective field; pass cos2 = 1 for the papers' unprojected form).
 */
export function zTransient(
  zi: number,
  zss: number,
  r1rhoPerS: number,
  tS: number,
  cos2 = 1,
): number {
  return (cos2 * zi - zss) * Math.exp(-r1rhoPerS * tS) + zss;
}

/** The acquisition parameters QUASS needs (§4). */
export interface QuassTiming {
  /** Water R1 = 1/T1w, 1/s. */
  r1wPerS: number;
  /** Saturation time, s. */
  tsS: number;
  /** Recovery delay after the readout nulls Mz, s (Infinity = relaxed start, Z_i = 1). */
  tdS: number;
  /** Z is divided by a control scan at a far offset with the same Ts, Td. */
  normalisedByControl: boolean;
}

function _ziN(t: QuassTiming): { zi: number; n: number } {
  const zi = 1 - Math.exp(-t.r1wPerS * t.tdS);
  const n = t.normalisedByControl ? 1 - Math.exp(-t.r1wPerS * (t.tsS + t.tdS)) : 1;
  return { zi, n };
}

/**
 * Apparent Z of a finite-Ts, finite-Td scan (§4.1):
 * Z_app = [Z_i e^{−R1ρ Ts} + Z_ss (1 − e^{−R1ρ Ts})] / N.
 */
export function apparentZ(zss: number, r1rhoPerS: number, t: QuassTiming): number {
  const { zi, n } = _ziN(t);
  const e = Math.exp(-r1rhoPerS * t.tsS);
  return (zi * e + zss * (1 - e)) / n;
}

/**
 * QUASS inversion (§4.2): Z_ss = (N·Z_app − cos2·Z_i·E)/(1 − E), E = e^{−R1ρ Ts}.
 * @param cos2 projection factor cos²θ (default 1 = Sun 2021's form)
 */
export function quassInvert(zApp: number, r1rhoPerS: number, t: QuassTiming, cos2 = 1): number {
  const { zi, n } = _ziN(t);
  const e = Math.exp(-r1rhoPerS * t.tsS);
  return (n * zApp - cos2 * zi * e) / (1 - e);
}

/** Bounds of the per-offset R1ρ fit, 1/s (QUASSprocess.m). */
export const R1RHO_FIT_BOUNDS_PER_S: readonly [number, number] = [0.01, 30];

/**
 * Per-offset R1ρ fit (§4.3): solves [Z_i e^{−R Ts} + cos²θ R1w/R (1 − e^{−R Ts})]/N = Z_app
 * for R on [0.01, 30] 1/s. The model decreases monotonically in R, so a bracketed bisection
 * finds the unique root (or the bound the least-squares fit would stop at).
 * @returns R1ρ, 1/s
 */
export function fitR1rho(zApp: number, cos2: number, t: QuassTiming): number {
  const { zi, n } = _ziN(t);
  const model = (r: number) => {
    const e = Math.exp(-r * t.tsS);
    return (zi * e + ((cos2 * t.r1wPerS) / r) * (1 - e)) / n;
  };
  let [lo, hi] = R1RHO_FIT_BOUNDS_PER_S;
  if (!(model(lo) > zApp)) return lo;
  if (!(model(hi) < zApp)) return hi;
  // bisection in log R: 60 halvings of a factor-3000 bracket reach float64 resolution
  let a = Math.log(lo), b = Math.log(hi);
  for (let i = 0; i < 60; i++) {
    const m = 0.5 * (a + b);
    if (model(Math.exp(m)) > zApp) a = m;
    else b = m;
  }
  lo = Math.exp(a);
  hi = Math.exp(b);
  return 0.5 * (lo + hi);
}

/** Options of {@link quassFitSpectrum}. */
export interface QuassFitOptions extends QuassTiming {
  /** CW amplitude, µT. */
  b1UT: number;
  /** Main field, T. */
  b0T: number;
  /** Known B0 shift, ppm (the spectrum's water resonance sits at +shift); default 0. */
  b0ShiftPpm?: number;
}

/**
 * Analytic QUASS of one apparent Z-spectrum (§4.3): per offset, fit R1ρ, then
 * Z_ss = cos²θ·R1w/R1ρ.
 * @param zApp apparent Z per offset (normalised by M0, or by a control scan if
 *   `normalisedByControl`)
 * @param offsetsPpm offsets, ppm
 * @returns the quasi-steady-state Z per offset
 * @example
 * const zss = quassFitSpectrum(z, offsets, { r1wPerS: 1 / 1.8, b1UT: 1, b0T: 7, tsS: 1.5, tdS: 4.5, normalisedByControl: false });
 */
export function quassFitSpectrum(
  zApp: ArrayLike<number>,
  offsetsPpm: ArrayLike<number>,
  opts: QuassFitOptions,
): Float64Array {
  if (zApp.length !== offsetsPpm.length) {
    throw new TypeError(
      `Expected zApp to have ${offsetsPpm.length} entries but found ${zApp.length}`,
    );
  }
  const out = new Float64Array(zApp.length);
  const shift = opts.b0ShiftPpm ?? 0;
  for (let i = 0; i < out.length; i++) {
    const c2 = cos2Theta(offsetsPpm[i]! - shift, opts.b1UT, opts.b0T);
    const r = fitR1rho(zApp[i]!, c2, opts);
    out[i] = (c2 * opts.r1wPerS) / r;
  }
  return out;
}

/** The protocol a QUASS prediction is for: a finite Ts/Td scan or the steady state. */
export type QuassTarget = "steady" | { tsS: number; tdS: number };

/**
 * Analytic QUASS of one apparent Z-spectrum, predicted for a target protocol: per offset,
 * fit R1ρ (§4.3), then Z_ss = cos²θ·R1w/R1ρ, and for a finite target the apparent Z of a
 * saturation-recovery scan with the target's Ts and Td (§4.1, M0-normalised):
 * Z_t = Z_i,t·e^{−R1ρ Ts,t} + Z_ss·(1 − e^{−R1ρ Ts,t}), Z_i,t = 1 − e^{−R1w Td,t}.
 * This is the formula's like-for-like answer to a network trained for that target.
 * @param target `"steady"` (= {@link quassFitSpectrum}) or `{ tsS, tdS }`
 * @returns Z at the target protocol per offset
 * @example
 * const z5 = quassPredictSpectrum(z, offsets, opts, { tsS: 5, tdS: 1 });
 */
export function quassPredictSpectrum(
  zApp: ArrayLike<number>,
  offsetsPpm: ArrayLike<number>,
  opts: QuassFitOptions,
  target: QuassTarget,
): Float64Array {
  if (target === "steady") return quassFitSpectrum(zApp, offsetsPpm, opts);
  if (zApp.length !== offsetsPpm.length) {
    throw new TypeError(
      `Expected zApp to have ${offsetsPpm.length} entries but found ${zApp.length}`,
    );
  }
  const out = new Float64Array(zApp.length);
  const shift = opts.b0ShiftPpm ?? 0;
  const tgt: QuassTiming = {
    r1wPerS: opts.r1wPerS,
    tsS: target.tsS,
    tdS: target.tdS,
    normalisedByControl: false,
  };
  for (let i = 0; i < out.length; i++) {
    const c2 = cos2Theta(offsetsPpm[i]! - shift, opts.b1UT, opts.b0T);
    const r = fitR1rho(zApp[i]!, c2, opts);
    const zss = (c2 * opts.r1wPerS) / r;
    out[i] = Number.isFinite(target.tsS) ? apparentZ(zss, r, tgt) : zss;
  }
  return out;
}

/**
 * The numerically exact R1ρ: −λ for the eigenvalue λ of A with the smallest magnitude
 * (real for Bloch–McConnell systems), by inverse iteration with LU. A test oracle for the
 * closed forms (tests/fixtures/bmsim/generated/ref7T_r1rho_eig.csv holds the same quantity).
 * @param a row-major n×n system matrix
 * @returns −λ_min, 1/s
 */
export function slowestEigenRate(a: Float64Array): number {
  const f = luFactor(a);
  const n = f.n;
  let x: Float64Array = new Float64Array(n).fill(1 / Math.sqrt(n));
  const normalise = (y: Float64Array) => {
    const norm = Math.hypot(...y);
    for (let i = 0; i < n; i++) y[i]! /= norm;
    return y;
  };
  // inverse iteration picks out the eigenvector of the smallest |λ| ...
  let lambda = 0;
  for (let it = 0; it < 60; it++) {
    const y = luSolve(f, x);
    let dot = 0;
    for (let i = 0; i < n; i++) dot += y[i]! * x[i]!;
    lambda = 1 / dot;
    x = normalise(y);
  }
  // ... then shifted inverse iteration (A − σI)⁻¹ with σ = the estimate converges fast even
  // when the next eigenvalue is close
  for (let it = 0; it < 4; it++) {
    const shifted = Float64Array.from(a);
    for (let i = 0; i < n; i++) shifted[i * n + i]! -= lambda;
    let g: ReturnType<typeof luFactor>;
    try {
      g = luFactor(shifted);
    } catch {
      break; // σ is an eigenvalue to working precision
    }
    const y = luSolve(g, x);
    let dot = 0;
    for (let i = 0; i < n; i++) dot += y[i]! * x[i]!;
    if (!Number.isFinite(dot) || dot === 0) break;
    lambda += 1 / dot;
    x = normalise(y);
  }
  return -lambda;
}
