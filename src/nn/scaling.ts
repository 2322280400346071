/**
 * Input standardisation and output scaling of a network (`train --normalize`), fitted once on
 * the training split and stored with the model (ModelConfig.scaling).
 *
 * A Z-spectrum varies little from tissue to tissue far from water (a few hundredths) and the
 * residual a network must learn (target − input) is a few thousandths: unscaled, the first
 * layer sees inputs dominated by their mean and the last layer must output tiny numbers, so
 * training stalls at a precision floor. Scaled, the network sees
 *
 *     x' = (x − μ) / σ            (per offset, over the training inputs)
 *
 * and predicts f with y = x + s·f, s the standard deviation of target − input over all
 * training values (one number, so the loss stays the plain MSE up to the factor s²; losses
 * are reported in Z units). x is what the model's input is made of (the spectrum, or the
 * formula's prediction for a T1-informed model); the residual is added on the host, so the
 * graph itself is built without one.
 * @module
 */
import type { ModelConfig } from "./models/config.ts";

/** Fitted scaling (JSON-serialisable). */
export interface Scaling {
  /** μ per offset. */
  inputMean: number[];
  /** σ per offset (floored at {@link MIN_INPUT_STD}). */
  inputStd: number[];
  /** s: the std of target − input over the training values. */
  outputScale: number;
}

/** Smallest per-offset σ used (an offset where every spectrum agrees stays O(1)). */
export const MIN_INPUT_STD = 1e-3;

/**
 * Fits the scaling on rows `idx` of the inputs `x` (as the network's input is made of them,
 * e.g. after the formula transform) and their targets.
 * @param x [*, T] inputs; `target` [*, T] targets
 * @throws RangeError when no row is given
 */
export function fitScaling(
  x: Float32Array,
  target: Float32Array,
  idx: ArrayLike<number>,
  T: number,
): Scaling {
  const n = idx.length;
  if (n < 2) throw new RangeError(`fitting the scaling needs at least 2 spectra (got ${n})`);
  const mean = new Float64Array(T), m2 = new Float64Array(T);
  let rSum = 0, rSq = 0;
  for (let k = 0; k < n; k++) {
    const o = idx[k]! * T;
    for (let i = 0; i < T; i++) {
      const v = x[o + i]!, r = target[o + i]! - v;
      mean[i]! += v;
      m2[i]! += v * v;
      rSum += r;
      rSq += r * r;
    }
  }
  const N = n * T;
  const rVar = Math.max(rSq / N - (rSum / N) ** 2, 0);
  return {
    inputMean: Array.from(mean, (s) => s / n),
    inputStd: Array.from(
      m2,
      (s, i) => Math.max(Math.sqrt(Math.max(s / n - (mean[i]! / n) ** 2, 0)), MIN_INPUT_STD),
    ),
    outputScale: Math.max(Math.sqrt(rVar), 1e-6),
  };
}

/**
 * Standardises `n` rows of `x` in place: x' = (x − μ)/σ.
 * @param x [n, T]
 */
export function scaleInput(x: Float32Array, n: number, s: Scaling): void {
  const T = s.inputMean.length;
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < T; i++) x[j * T + i] = (x[j * T + i]! - s.inputMean[i]!) / s.inputStd[i]!;
  }
}

/**
 * The network's training target from the model's target and unscaled input, in place:
 * t' = (t − x)/s.
 */
export function scaleTarget(t: Float32Array, x: Float32Array, n: number, s: Scaling): void {
  const T = s.inputMean.length;
  for (let k = 0; k < n * T; k++) t[k] = (t[k]! - x[k]!) / s.outputScale;
}

/** The model's output from the network's, in place: y = x + s·f. */
export function unscaleOutput(f: Float32Array, x: Float32Array, n: number, s: Scaling): void {
  const T = s.inputMean.length;
  for (let k = 0; k < n * T; k++) f[k] = x[k]! + s.outputScale * f[k]!;
}

/** The factor from the network's MSE to the model's (s², or 1 without scaling). */
export function lossScale(model: ModelConfig): number {
  return model.scaling ? model.scaling.outputScale ** 2 : 1;
}
