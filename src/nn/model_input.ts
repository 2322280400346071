/**
 * What a network actually sees, made from measured spectra: the one place where the trainer
 * and every prediction path turn Z-spectra (and water T1) into a model's inputs.
 *
 * - Noise-aware models (`noiseInput`) get each spectrum's noise feature, estimated from the
 *   measured spectrum before anything else touches it (noise_level.ts).
 * - T1-informed models (`input.kind === "formula"`) see the analytic QUASS formula's
 *   prediction in place of the spectrum (formula_input.ts).
 * @module
 */
import type { ModelConfig } from "./models/config.ts";
import { NOISE_FEATURES, noiseFeature } from "./noise_level.ts";
import { applyFormulaInput } from "./formula_input.ts";
import { InputError } from "../util/errors.ts";

/** Features per spectrum a model takes besides the spectrum (0: none). */
export function featureCount(model: ModelConfig): number {
  return model.noiseInput ? NOISE_FEATURES : 0;
}

/**
 * Turns `n` measured spectra (rows of `x`, in place) into a model's input and returns the
 * per-spectrum features when the model takes some.
 * @param x [n, T] measured Z (M0-normalised); overwritten with the network input
 * @param t1S water T1 per spectrum, s (n values, or one for all); needed by T1-informed models
 * @param offsetsPpm the T offsets, ppm
 * @param featuresOut receives n·C features (default: a new array)
 * @returns the features [n, C], or undefined for a model that takes none
 * @throws InputError when a T1-informed model gets no T1
 */
export function prepareModelInput(
  model: ModelConfig,
  x: Float32Array,
  n: number,
  t1S: ArrayLike<number> | undefined,
  offsetsPpm: readonly number[],
  featuresOut?: Float32Array,
): Float32Array | undefined {
  const c = model.noiseInput ? noiseFeature(x, n, offsetsPpm, featuresOut) : undefined;
  if (model.input) {
    if (!t1S) {
      throw new InputError(
        "a T1-informed model needs the water T1 of every spectrum (a T1 map, or one value: --t1)",
      );
    }
    applyFormulaInput(x, n, t1S, offsetsPpm, model.input);
  }
  return c;
}
