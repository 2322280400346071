/**
 * The spatial step of the denoising, after the PCA (pca_denoise.ts): two things PCA cannot
 * do, both borrowing strength from in-plane neighbours of the same kind of tissue.
 *
 * 1. **M0 noise** ({@link smoothScale}). Z = signal / M0 carries the M0 scan's noise as one
 *    factor (1 + ε) on the whole spectrum of a voxel. That error lies inside the spectra's
 *    own subspace (it looks like a change of tissue), so PCA keeps it; at SNR 100 it is most
 *    of what is left after PCA (on the digital phantom: input error 6.4e-3 after PCA, 2.1e-3
 *    with a noiseless M0). But ε is white (one draw per voxel), while the level of a
 *    tissue's Z-spectrum away from water changes smoothly within a tissue. So the level
 *    q_v = mean of the denoised Z over |Δ| ≥ {@link SCALE_FAR_PPM} is averaged over the
 *    neighbours of similar shape, and each spectrum is rescaled to it:
 *
 *        q̂_v = Σ_u w_uv q_u / Σ_u w_uv,   Z_v ← Z_v · q̂_v / q_v,
 *        w_uv = exp(−r²_uv / 2σ²) · exp(−d_uv / h²),   d_uv = mean_k (Z_v/q_v − Z_u/q_u)²,
 *
 *    within ±{@link SCALE_RADIUS} voxels (σ = {@link SCALE_SIGMA}). d compares shapes, blind
 *    to scale, so tissue of another kind (another shape) hardly counts.
 * 2. **What the k components keep of the noise** ({@link guidedAverage}): each spectrum
 *    becomes the same kind of weighted mean of its neighbours' spectra, with d the mean
 *    squared difference of the spectra themselves, within ±{@link AVERAGE_RADIUS} voxels
 *    (σ = {@link AVERAGE_SIGMA}): a non-local-means filter on the denoised spectra.
 *
 * In both, h² scales with the noise the PCA left: two spectra of like tissue differ by
 * d₀ = 2·σ̂²·k/m (σ̂² the noise variance per offset that the PCA's eigenvalues imply, k of m
 * components kept); h² = {@link AVERAGE_H_FACTOR}·d₀ for the spectra and
 * {@link SCALE_H_FACTOR}·d₀/q̄² for the shapes (q̄ the median level). So noisy data is
 * smoothed among like neighbours, and clean data (σ̂ ≈ 0) is left alone. Measured on the
 * 64×64 phantom (bench/PREPROCESS.md): at SNR 100 the network's MAE after the PCA alone is
 * 1.39× lower than without denoising, after the PCA and this step 3.2× lower; noiseless,
 * nothing changes (also on 16×16 and 24×24 phantoms, whose small structures a fixed amount
 * of smoothing blurs). Neighbourhoods stay within a slice (slices are often thick or apart).
 * @module
 */

/** Offsets at least this far from water set a spectrum's level, ppm. */
export const SCALE_FAR_PPM = 3;
/** Neighbourhood half-width, voxels (7×7 in-plane). */
export const SCALE_RADIUS = 3;
/** Spatial weight σ, voxels. */
export const SCALE_SIGMA = 2;
/** h² of the level step = this × the noise distance d₀ / (median level)². */
export const SCALE_H_FACTOR = 2;
/** Neighbourhood half-width of the spectral average, voxels (5×5 in-plane). */
export const AVERAGE_RADIUS = 2;
/** Spatial weight σ of the spectral average, voxels. */
export const AVERAGE_SIGMA = 1.5;
/** h² of the spectral average = this × the noise distance d₀. */
export const AVERAGE_H_FACTOR = 4;

/** Result of {@link smoothScale}. */
export interface ScaleSmoothed {
  /** The rescaled series, [offset][voxel] (voxels not listed copied). */
  data: Float32Array;
  /** False when the step could not run (fewer than 3 offsets with |Δ| ≥ 3 ppm). */
  applied: boolean;
  /** RMS of the factors q̂/q − 1 over the voxels: the scale noise removed. */
  rmsCorrection: number;
}

/**
 * Rescales each listed voxel's spectrum to the shape-weighted local mean level (module doc,
 * step 1).
 * @param z the denoised series (Z), [offset][voxel]
 * @param dims [x, y, z] of the volume
 * @param offsetsPpm the series' offsets, ppm
 * @param voxels the voxels to use and rescale (finite spectra)
 * @param noiseDistance d₀, the mean squared difference noise alone makes between two spectra
 */
export function smoothScale(
  z: ArrayLike<number>,
  dims: readonly number[],
  offsetsPpm: readonly number[],
  voxels: readonly number[],
  noiseDistance: number,
): ScaleSmoothed {
  const nvox = (dims[0] ?? 1) * (dims[1] ?? 1) * (dims[2] ?? 1);
  const m = offsetsPpm.length;
  const out = Float32Array.from(z);
  const far: number[] = [];
  offsetsPpm.forEach((o, k) => Math.abs(o) >= SCALE_FAR_PPM && far.push(k));
  if (far.length < 3 || voxels.length < 2) return { data: out, applied: false, rmsCorrection: 0 };
  const neighbour = _grid(dims, voxels);
  const q = new Float64Array(voxels.length);
  const shape = new Float64Array(voxels.length * m);
  voxels.forEach((v, i) => {
    let s = 0;
    for (const k of far) s += z[k * nvox + v]!;
    q[i] = s / far.length;
    for (let k = 0; k < m; k++) shape[i * m + k] = z[k * nvox + v]! / q[i]!;
  });
  const dist = (i: number, j: number) => {
    let d = 0;
    for (let k = 0; k < m; k++) d += (shape[i * m + k]! - shape[j * m + k]!) ** 2;
    return d / m;
  };
  // shapes are spectra / level: their noise distance is the spectra's over the level²
  const levels = Array.from(q).sort((a, b) => a - b);
  const qMid = levels[levels.length >> 1]!;
  const h2 = Math.max((SCALE_H_FACTOR * noiseDistance) / (qMid * qMid), 1e-300);
  let ss = 0;
  voxels.forEach((v, i) => {
    let sw = 0, sq = 0;
    for (let dy = -SCALE_RADIUS; dy <= SCALE_RADIUS; dy++) {
      for (let dx = -SCALE_RADIUS; dx <= SCALE_RADIUS; dx++) {
        const j = neighbour(v, dx, dy);
        if (j < 0) continue;
        const w = Math.exp(-(dx * dx + dy * dy) / (2 * SCALE_SIGMA * SCALE_SIGMA)) *
          Math.exp(-dist(i, j) / h2);
        sw += w;
        sq += w * q[j]!;
      }
    }
    const c = sq / sw / q[i]!;
    if (!Number.isFinite(c)) return;
    ss += (c - 1) ** 2;
    for (let k = 0; k < m; k++) out[k * nvox + v] = z[k * nvox + v]! * c;
  });
  return { data: out, applied: true, rmsCorrection: Math.sqrt(ss / voxels.length) };
}

/** The in-plane neighbourhood of a voxel list: slot of each voxel and neighbour lookup. */
function _grid(dims: readonly number[], voxels: readonly number[]) {
  const nx = dims[0] ?? 1, ny = dims[1] ?? 1, nz = dims[2] ?? 1;
  const slot = new Int32Array(nx * ny * nz).fill(-1);
  voxels.forEach((v, i) => (slot[v] = i));
  return (v: number, dx: number, dy: number): number => {
    const x = v % nx, y = Math.floor(v / nx) % ny;
    const xx = x + dx, yy = y + dy;
    if (xx < 0 || yy < 0 || xx >= nx || yy >= ny) return -1;
    return slot[v + dx + dy * nx]!;
  };
}

/**
 * Replaces each listed voxel's spectrum by the similarity-weighted mean of its in-plane
 * neighbours' spectra (module doc, step 2).
 * @param z the series (Z), [offset][voxel]
 * @param dims [x, y, z] of the volume
 * @param nOffsets offsets per spectrum
 * @param voxels the voxels to use and average (finite spectra)
 * @param noiseDistance d₀, the mean squared difference noise alone makes between two spectra
 * @returns the averaged series, or null when no voxel has a neighbour
 */
export function guidedAverage(
  z: ArrayLike<number>,
  dims: readonly number[],
  nOffsets: number,
  voxels: readonly number[],
  noiseDistance: number,
): Float32Array | null {
  const nvox = (dims[0] ?? 1) * (dims[1] ?? 1) * (dims[2] ?? 1), m = nOffsets;
  const neighbour = _grid(dims, voxels);
  const spec = new Float64Array(voxels.length * m);
  voxels.forEach((v, i) => {
    for (let k = 0; k < m; k++) spec[i * m + k] = z[k * nvox + v]!;
  });
  const dist = (i: number, j: number) => {
    let d = 0;
    for (let k = 0; k < m; k++) d += (spec[i * m + k]! - spec[j * m + k]!) ** 2;
    return d / m;
  };
  const h2 = Math.max(AVERAGE_H_FACTOR * noiseDistance, 1e-300);
  let any = false;
  const out = Float32Array.from(z);
  const acc = new Float64Array(m);
  voxels.forEach((v, i) => {
    acc.fill(0);
    let sw = 0;
    for (let dy = -AVERAGE_RADIUS; dy <= AVERAGE_RADIUS; dy++) {
      for (let dx = -AVERAGE_RADIUS; dx <= AVERAGE_RADIUS; dx++) {
        const j = neighbour(v, dx, dy);
        if (j < 0) continue;
        if (j !== i) any = true;
        const w = Math.exp(-(dx * dx + dy * dy) / (2 * AVERAGE_SIGMA * AVERAGE_SIGMA)) *
          Math.exp(-dist(i, j) / h2);
        sw += w;
        for (let k = 0; k < m; k++) acc[k]! += w * spec[j * m + k]!;
      }
    }
    for (let k = 0; k < m; k++) out[k * nvox + v] = acc[k]! / sw;
  });
  return any ? out : null;
}

/** Result of {@link spatialDenoise}. */
export interface SpatialDenoised {
  data: Float32Array;
  /** Step 1 ran (it needs ≥ 3 offsets beyond ±3 ppm and neighbours). */
  scaleApplied: boolean;
  /** RMS of step 1's factors − 1: the M0 noise removed. */
  scaleRms: number;
  /** Step 2 ran (it needs neighbours). */
  averaged: boolean;
}

/**
 * Both steps of the module doc, in order.
 * @param z the PCA-denoised series (Z), [offset][voxel]
 * @param dims [x, y, z] of the volume
 * @param offsetsPpm the series' offsets, ppm
 * @param voxels the voxels to use and denoise (finite spectra)
 * @param noiseVariance the noise variance per offset before the PCA (pca_denoise.ts's
 *   noiseVariance of the eigenvalues)
 * @param components the components the PCA kept (k)
 * @example
 * const s = spatialDenoise(pca.data, [64, 64, 1], offsetsPpm, brain, pca.noiseVariance, pca.components);
 */
export function spatialDenoise(
  z: ArrayLike<number>,
  dims: readonly number[],
  offsetsPpm: readonly number[],
  voxels: readonly number[],
  noiseVariance: number,
  components: number,
): SpatialDenoised {
  // two spectra of like tissue differ by the noise the k components kept, on both
  const d0 = (2 * noiseVariance * Math.min(components, offsetsPpm.length)) / offsetsPpm.length;
  const sc = smoothScale(z, dims, offsetsPpm, voxels, d0);
  const avg = guidedAverage(sc.data, dims, offsetsPpm.length, voxels, d0);
  return {
    data: avg ?? sc.data,
    scaleApplied: sc.applied,
    scaleRms: sc.rmsCorrection,
    averaged: avg !== null,
  };
}
