/**
 * The noise level of one measured Z-spectrum, estimated from the spectrum alone, as a
 * network input: a noise-aware model sees it beside the spectrum, so it can trust a clean
 * spectrum and smooth a noisy one (one model for clean and noisy scans).
 *
 * Estimator: away from water (|Δ| ≥ {@link NOISE_MIN_OFFSET_PPM}) a Z-spectrum is smooth at
 * the sampling of a CEST scan, so the residual of each point against the cubic through its
 * four neighbours (two each side, Lagrange weights w_k for any grid),
 * r_j = z_j − Σ w_k z_{j+k}, is noise: Var r_j = σ²(1 + Σ w_k²) (σ²·(1 + 34/36) on an even
 * grid). σ̂ = 1.4826 · median |r_j| / √(1 + Σ w_k²) (the median of |N(0, 1)| is 1/1.4826),
 * robust to the few points on a CEST or NOE peak. On the paper's grid (0.12 ppm) a clean
 * spectrum gives about 4e-5 (the cubic's error), a scan at SNR 1000 about 1.1e-3 and at SNR
 * 100 about 0.010: a straight line through two neighbours instead would leave a floor of
 * 8e-4, too close to SNR 1000 to tell apart.
 *
 * The network input is the feature log10(max(σ̂, 1e-5)) + 2: 0 at σ̂ = 0.01 (SNR 100 of an
 * M0-normalised scan), −1 at SNR 1000, −3 at most for a clean spectrum. The same function computes it in
 * training (on the augmented input) and in prediction (on the measured spectrum), so the
 * network learns whatever the estimate means, bias included.
 * @module
 */

/** Offsets closer to water than this are left out of the estimate, ppm. */
export const NOISE_MIN_OFFSET_PPM = 1;

/** The usable points of a grid, their neighbours' Lagrange weights and the residuals' scale. */
interface _Plan {
  /** Centre index j of each usable point. */
  centre: Int32Array;
  /** Weights w_k of the neighbours j−2, j−1, j+1, j+2, four per point. */
  w: Float64Array;
  /** √(1 + Σ w_k²) per point. */
  norm: Float64Array;
  /** Scratch for the residuals. */
  r: Float64Array;
}

/** The neighbours of a point, relative to it. */
const _NEIGHBOURS = [-2, -1, 1, 2] as const;

/** Plans by grid: the trainer and the predictor pass the same offsets array each time. */
const _plans = new WeakMap<readonly number[], _Plan>();

/** The points of `offsetsPpm` the estimate uses and their cubic weights (computed once). */
function _plan(offsetsPpm: readonly number[]): _Plan {
  let plan = _plans.get(offsetsPpm);
  if (plan) return plan;
  const centre: number[] = [], w: number[] = [], norm: number[] = [];
  for (let j = 2; j + 2 < offsetsPpm.length; j++) {
    const xs = _NEIGHBOURS.map((k) => offsetsPpm[j + k]!), x0 = offsetsPpm[j]!;
    if (xs.some((v) => Math.abs(v) < NOISE_MIN_OFFSET_PPM || Math.sign(v) !== Math.sign(x0))) {
      continue;
    }
    // Lagrange weights of the cubic through the four neighbours, evaluated at x0.
    let w2 = 1;
    for (let a = 0; a < 4; a++) {
      let wa = 1;
      for (let b = 0; b < 4; b++) if (b !== a) wa *= (x0 - xs[b]!) / (xs[a]! - xs[b]!);
      w.push(wa);
      w2 += wa * wa;
    }
    centre.push(j);
    norm.push(Math.sqrt(w2));
  }
  plan = {
    centre: Int32Array.from(centre),
    w: Float64Array.from(w),
    norm: Float64Array.from(norm),
    r: new Float64Array(centre.length),
  };
  _plans.set(offsetsPpm, plan);
  return plan;
}

/**
 * σ̂ of one spectrum (see the module doc).
 * @param z the spectrum, T values (M0-normalised)
 * @param offsetsPpm its T offsets, ppm, ascending
 * @returns σ̂, or 0 when fewer than three points are usable
 */
export function estimateNoiseSigma(z: ArrayLike<number>, offsetsPpm: readonly number[]): number {
  const { centre, w, norm, r } = _plan(offsetsPpm);
  const n = centre.length;
  if (n < 3) return 0;
  for (let p = 0; p < n; p++) {
    const j = centre[p]!;
    let pred = 0;
    for (let a = 0; a < 4; a++) pred += w[4 * p + a]! * z[j + _NEIGHBOURS[a]!]!;
    r[p] = Math.abs(z[j]! - pred) / norm[p]!;
  }
  r.sort();
  const m = n >> 1;
  const med = n % 2 ? r[m]! : 0.5 * (r[m - 1]! + r[m]!);
  return 1.4826 * med;
}

/** The network input of a noise level σ̂: log10(max(σ̂, 1e-5)) + 2. */
export function noiseFeatureOf(sigma: number): number {
  return Math.log10(Math.max(sigma, 1e-5)) + 2;
}
