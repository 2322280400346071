/**
 * Principal-component denoising of Z-spectra (Breitling et al., "Adaptive denoising for
 * chemical exchange saturation transfer MR imaging", NMR Biomed. 2019;32:e4133).
 *
 * The masked voxels' spectra form an n×m matrix X (n voxels, m offsets). Each offset's mean
 * over the voxels is subtracted (X̃ = X − 1·x̄ᵀ), the offset×offset covariance
 * C = X̃ᵀX̃ / (n − 1) is eigen-decomposed (sym_eigen.ts, float64), and every spectrum is
 * projected onto the k leading eigenvectors: X_d = X̃·V_k·V_kᵀ + 1·x̄ᵀ. Noise spreads over all
 * m components while the spectra of real tissue live in a few, so dropping the rest removes
 * most of the noise (by about √(k/m)) and little signal.
 *
 * k comes from the eigenvalues λ_1 ≥ … ≥ λ_r (r = min(m, n − 1), the non-trivial ones), by
 * one of the paper's three criteria:
 *
 * - **median** (the default, and the authors' default): the noise level is estimated as
 *   σ̂ = √median{λ_j : √λ_j < 2·median_j √λ_j} (Manjón et al. 2015), and the components with
 *   √λ_j ≥ 1.29·σ̂ are kept;
 * - **malinowski**: the minimum of Malinowski's indicator function
 *   IND(k) = RE(k) / (r − k)², RE(k) = √(Σ_{j>k} λ_j / (n·(r − k))) (Malinowski 1977; the
 *   constant n does not move the minimum), k = 1 … r − 1;
 * - **nelson**: the scree test of Nelson (2005): the first k for which the eigenvalues
 *   λ_k … λ_r lie on a straight line (R² of a least-squares line against the index > 0.80);
 *   k components are kept (r when no such k exists). As in the authors' reference
 *   implementation the first eigenvalue on the line is kept too, so data of rank q with
 *   white noise gets q + 1: the most conservative of the three.
 * @module
 */
import { symmetricEigen } from "./sym_eigen.ts";

/** The criteria for the number of components. */
export const PCA_CRITERIA = ["median", "malinowski", "nelson"] as const;

/** One of {@link PCA_CRITERIA}. */
export type PcaCriterion = typeof PCA_CRITERIA[number];

/** The default criterion (Breitling et al.'s). */
export const DEFAULT_PCA_CRITERION: PcaCriterion = "median";

/** R² above which Nelson's scree test calls the remaining eigenvalues a line. */
export const NELSON_R2 = 0.8;

/** √λ threshold factor of the median criterion (Manjón et al. 2015). */
export const MEDIAN_FACTOR = 1.29;

/** The number of components each criterion proposes for `eigenvalues` (descending). */
export function componentProposals(
  eigenvalues: ArrayLike<number>,
  nSamples: number,
): Record<PcaCriterion, number> {
  return {
    median: medianCriterion(eigenvalues),
    malinowski: malinowskiCriterion(eigenvalues, nSamples),
    nelson: nelsonCriterion(eigenvalues),
  };
}

/**
 * The noise variance per offset the eigenvalues imply: median{λ_j : √λ_j < 2·median √λ}
 * (Manjón et al. 2015; the σ̂² of the median criterion). For white noise of variance σ² on
 * every offset the noise eigenvalues cluster around σ²; for clean data it is tiny.
 */
export function noiseVariance(eigenvalues: ArrayLike<number>): number {
  const lam = Array.from(eigenvalues, (v) => Math.max(0, v));
  if (!lam.length) return 0;
  const s = lam.map(Math.sqrt);
  const med = _median(s);
  const noise = lam.filter((_, j) => s[j]! < 2 * med);
  return _median(noise.length ? noise : lam);
}

/** Median criterion (see the module doc); at least 1. */
export function medianCriterion(eigenvalues: ArrayLike<number>): number {
  const lam = Array.from(eigenvalues, (v) => Math.max(0, v));
  if (lam.length < 2) return lam.length;
  const s = lam.map(Math.sqrt);
  const sigma = Math.sqrt(noiseVariance(lam));
  let k = 0;
  for (let j = 0; j < s.length; j++) if (s[j]! >= MEDIAN_FACTOR * sigma) k = j + 1;
  return Math.max(1, k);
}

/** Malinowski's indicator function (see the module doc); 1 … r − 1. */
export function malinowskiCriterion(eigenvalues: ArrayLike<number>, nSamples: number): number {
  const lam = Array.from(eigenvalues, (v) => Math.max(0, v));
  const r = lam.length;
  if (r < 3) return Math.max(1, r - 1);
  let best = 1, bestInd = Infinity, tail = lam.reduce((a, b) => a + b, 0) - lam[0]!;
  for (let k = 1; k < r; k++) {
    const re = Math.sqrt(tail / (Math.max(1, nSamples) * (r - k)));
    const ind = re / ((r - k) * (r - k));
    if (ind < bestInd) {
      bestInd = ind;
      best = k;
    }
    tail -= lam[k]!;
  }
  return best;
}

/** Nelson's scree test (see the module doc); r when no tail is a line. */
export function nelsonCriterion(eigenvalues: ArrayLike<number>): number {
  const lam = Array.from(eigenvalues, (v) => Math.max(0, v));
  const r = lam.length;
  for (let k = 1; k <= r - 2; k++) {
    // R² of the least-squares line through (j, λ_j), j = k … r (1-based)
    let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    const cnt = r - k + 1;
    for (let j = k; j <= r; j++) {
      const y = lam[j - 1]!;
      sx += j;
      sy += y;
      sxx += j * j;
      syy += y * y;
      sxy += j * y;
    }
    const vx = sxx - sx * sx / cnt, vy = syy - sy * sy / cnt, cxy = sxy - sx * sy / cnt;
    const r2 = vy > 0 ? (cxy * cxy) / (vx * vy) : 1;
    if (r2 > NELSON_R2) return k;
  }
  return r;
}

function _median(v: number[]): number {
  const s = v.slice().sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m]! : 0.5 * (s[m - 1]! + s[m]!);
}

/** Result of {@link pcaDenoise}. */
export interface PcaDenoised {
  /** The series with the listed voxels denoised, [offset][voxel] (others copied). */
  data: Float32Array;
  /** Components kept. */
  components: number;
  /** How {@link components} was chosen ("fixed": given as a number). */
  criterion: PcaCriterion | "fixed";
  /** What every criterion proposed (the chosen one's is {@link components}). */
  proposals: Record<PcaCriterion, number>;
  /** Eigenvalues of the offset covariance, descending (the r non-trivial ones). */
  eigenvalues: Float64Array;
  /** Noise variance per offset implied by the eigenvalues ({@link noiseVariance}). */
  noiseVariance: number;
  /** Voxels used (n). */
  voxels: number;
  /** Offsets (m). */
  offsets: number;
}

/**
 * Denoises the listed voxels of a series stored [offset][voxel] (see the module doc).
 * @param data the series (Z), nvox values per offset
 * @param nvox voxels per offset
 * @param nOffsets offsets (m)
 * @param voxels voxels to use and denoise (finite spectra; at least 3)
 * @param criterion how to choose k, or a fixed number of components
 * @returns the denoised series, k and the eigenvalues
 * @example
 * const d = pcaDenoise(z, nvox, 101, brainVoxels, "median"); // d.components ≈ 5–10
 */
export function pcaDenoise(
  data: ArrayLike<number>,
  nvox: number,
  nOffsets: number,
  voxels: readonly number[],
  criterion: PcaCriterion | number = DEFAULT_PCA_CRITERION,
): PcaDenoised {
  const n = voxels.length, m = nOffsets;
  if (data.length !== nvox * m) {
    throw new RangeError(`Expected ${nvox}×${m} values but found ${data.length}`);
  }
  if (n < 3) throw new RangeError(`PCA denoising needs at least 3 voxels but found ${n}`);
  const mean = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    let s = 0;
    for (const v of voxels) s += data[k * nvox + v]!;
    mean[k] = s / n;
  }
  // centred voxel-major copy, then the covariance (upper triangle)
  const X = new Float64Array(n * m);
  voxels.forEach((v, i) => {
    for (let k = 0; k < m; k++) X[i * m + k] = data[k * nvox + v]! - mean[k]!;
  });
  const C = new Float64Array(m * m);
  for (let i = 0; i < n; i++) {
    const row = i * m;
    for (let a = 0; a < m; a++) {
      const xa = X[row + a]!;
      if (xa === 0) continue;
      const ca = a * m;
      for (let b = a; b < m; b++) C[ca + b]! += xa * X[row + b]!;
    }
  }
  for (let a = 0; a < m; a++) {
    for (let b = a; b < m; b++) C[a * m + b] = C[b * m + a] = C[a * m + b]! / (n - 1);
  }
  const eig = symmetricEigen(C, m);
  const r = Math.min(m, n - 1);
  const eigenvalues = eig.values.slice(0, r);
  const proposals = componentProposals(eigenvalues, n);
  const k = typeof criterion === "number"
    ? Math.max(1, Math.min(m, Math.round(criterion)))
    : proposals[criterion];
  // X_d = X̃ V_k V_kᵀ + mean
  const out = Float32Array.from(data);
  const coef = new Float64Array(k);
  const V = eig.vectors;
  voxels.forEach((v, i) => {
    const row = i * m;
    for (let j = 0; j < k; j++) {
      let s = 0;
      for (let a = 0; a < m; a++) s += X[row + a]! * V[a * m + j]!;
      coef[j] = s;
    }
    for (let a = 0; a < m; a++) {
      let s = mean[a]!;
      for (let j = 0; j < k; j++) s += coef[j]! * V[a * m + j]!;
      out[a * nvox + v] = s;
    }
  });
  return {
    data: out,
    components: k,
    criterion: typeof criterion === "number" ? "fixed" : criterion,
    proposals,
    eigenvalues,
    noiseVariance: noiseVariance(eigenvalues),
    voxels: n,
    offsets: m,
  };
}
