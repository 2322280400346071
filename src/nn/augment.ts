/**
 * Noise augmentation of training inputs like a real M0-normalised magnitude scan.
 *
 * A scan measures the complex signal S·z(Δω) and the unsaturated S·1 (M0), each with
 * complex Gaussian noise of σ·S per channel, and divides the magnitudes. So for a clean
 * Z-spectrum z and σ = 1/SNR (SNR of the M0 image) the noisy input at offset j is
 *
 *     z̃_j = |z_j + σ(n1_j + i·n2_j)| / |1 + σ(m1 + i·m2)|
 *
 * with n1, n2, m1, m2 standard normal: Rician per offset (the numerator) and one M0 draw
 * shared by the whole spectrum (the denominator). Per spectrum, with probability
 * `cleanFraction` the spectrum is left clean (SNR ∞); otherwise SNR is drawn log-uniform in
 * [snrMin, snrMax].
 *
 * Draws per spectrum, in order: one uniform (clean or not); if noisy, one uniform (SNR),
 * one normal pair (M0), then one normal pair per offset (Box–Muller, both outputs used).
 * The implementation reads and writes float32 rows only (no float64 arrays), so it is
 * cheap inside the trainer's batch fill.
 * @module
 */
import type { Rng } from "../util/rng.ts";

/** Rician SNR augmentation settings (TrainConfig.snrAugment). */
export interface SnrAugment {
  /** Lowest SNR (M0 signal / noise σ per channel), ≥ 1. */
  snrMin: number;
  /** Highest SNR, finite and ≥ snrMin (equal: one fixed SNR). */
  snrMax: number;
  /** Fraction of spectra left clean (SNR ∞), in [0, 1). */
  cleanFraction: number;
}

/**
 * Checks augmentation settings.
 * @throws RangeError naming the flag (`--snr`, `--clean-fraction`) and the fix
 */
export function checkSnrAugment(cfg: SnrAugment): void {
  const { snrMin, snrMax, cleanFraction } = cfg;
  if (!(Number.isFinite(snrMin) && snrMin >= 1)) {
    throw new RangeError(`--snr: the lowest SNR must be a number ≥ 1 (got ${snrMin})`);
  }
  if (!(Number.isFinite(snrMax) && snrMax >= snrMin)) {
    throw new RangeError(
      `--snr: the highest SNR must be finite and ≥ the lowest ${snrMin} (got ${snrMax}); ` +
        `write MIN:MAX, e.g. --snr 30:1000, and add clean spectra with --clean-fraction`,
    );
  }
  if (!(cleanFraction >= 0 && cleanFraction < 1)) {
    throw new RangeError(
      `--clean-fraction must be in [0, 1) (got ${cleanFraction}); leave out --snr to train on clean inputs`,
    );
  }
}

/**
 * Writes noisy copies of `rows` clean spectra of length T from `src` into `dst` (they may
 * be the same array: in place), by the law of the module doc.
 * @param dst output rows [rows, T]
 * @param src clean rows [rows, T]
 * @param rows number of spectra
 * @param T offsets per spectrum
 * @param rng the noise stream (advanced by the draws listed in the module doc)
 * @param cfg SNR range and clean fraction (see {@link checkSnrAugment})
 * @param sigmaOut optional, receives σ = 1/SNR per row (0 for a clean row)
 * @example
 * augmentInto(x, x, 1, 101, new Rng(0, 7), { snrMin: 30, snrMax: 1000, cleanFraction: 0.2 });
 */
export function augmentInto(
  dst: Float32Array,
  src: Float32Array,
  rows: number,
  T: number,
  rng: Rng,
  cfg: SnrAugment,
  sigmaOut?: Float32Array,
): void {
  const lnMin = Math.log(cfg.snrMin), lnSpan = Math.log(cfg.snrMax) - lnMin;
  for (let r = 0; r < rows; r++) {
    const o = r * T;
    if (rng.uniform() < cfg.cleanFraction) {
      if (dst !== src) dst.set(src.subarray(o, o + T), o);
      if (sigmaOut) sigmaOut[r] = 0;
      continue;
    }
    const sigma = Math.exp(-(lnMin + lnSpan * rng.uniform()));
    if (sigmaOut) sigmaOut[r] = sigma;
    _normalPair(rng);
    const m0 = Math.hypot(1 + sigma * _pair[0], sigma * _pair[1]);
    for (let j = 0; j < T; j++) {
      _normalPair(rng);
      dst[o + j] = Math.hypot(src[o + j]! + sigma * _pair[0], sigma * _pair[1]) / m0;
    }
  }
}

const _pair: [number, number] = [0, 0];

/** Two independent standard normals into `_pair` (both Box–Muller outputs). */
function _normalPair(rng: Rng): void {
  let u = 0;
  while (u === 0) u = rng.uniform();
  const r = Math.sqrt(-2 * Math.log(u)), th = 2 * Math.PI * rng.uniform();
  _pair[0] = r * Math.cos(th);
  _pair[1] = r * Math.sin(th);
}
