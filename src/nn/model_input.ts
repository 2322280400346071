/**
 * What a network actually sees, made from measured spectra: the one place where the trainer
 * and every prediction path turn Z-spectra (and water T1) into a model's inputs.
 *
 * - Per-spectrum features (`features`, in order): "noise", the noise level estimated from
 *   the measured spectrum before anything else touches it (noise_level.ts); "t1", the
 *   water T1 in seconds.
 * - T1-informed models (`input.kind === "formula"`) see the analytic QUASS formula's
 *   prediction in place of the spectrum (formula_input.ts).
 * - Scaled models (`scaling`) see that input standardised per offset (scaling.ts); the
 *   unscaled input is kept as the base the residual is added to.
 * @module
 */
import type { ModelConfig } from "./models/config.ts";
import { estimateNoiseSigma, noiseFeatureOf } from "./noise_level.ts";
import { applyFormulaInput, checkT1Count, waterT1Of } from "./formula_input.ts";
import { InputError } from "../util/errors.ts";
import { scaleInput } from "./scaling.ts";

/** What {@link prepareModelInput} returns besides the network input written into x. */
export interface PreparedInput {
  /** Per-spectrum features [n, C], when the model takes some. */
  features?: Float32Array;
  /** The unscaled input [n, T] the output is added to, for a scaled model. */
  base?: Float32Array;
}

/** Features per spectrum a model takes besides the spectrum (0: none). */
export function featureCount(model: ModelConfig): number {
  return model.features?.length ?? 0;
}

/** True when a model needs the water T1 of every spectrum (formula input or T1 feature). */
export function needsT1(model: ModelConfig): boolean {
  return model.input !== undefined || (model.features ?? []).includes("t1");
}

/**
 * Turns `n` measured spectra (rows of `x`, in place) into a model's input.
 * @param x [n, T] measured Z (M0-normalised); overwritten with the network input
 * @param t1S water T1 per spectrum, s (n values, or one for all), for models that need it
 * @param offsetsPpm the T offsets, ppm
 * @param out arrays to write the features (n·C) and the base (n·T) into (default: new ones)
 * @returns the features and, for a scaled model, the unscaled input
 * @throws InputError when a model that needs T1 gets none, or a T1 is not positive
 */
export function prepareModelInput(
  model: ModelConfig,
  x: Float32Array,
  n: number,
  t1S: ArrayLike<number> | undefined,
  offsetsPpm: readonly number[],
  out: { features?: Float32Array; base?: Float32Array } = {},
): PreparedInput {
  const T = offsetsPpm.length, features = model.features ?? [], C = features.length;
  if (needsT1(model)) {
    if (!t1S) {
      throw new InputError(
        "this model needs the water T1 of every spectrum (a T1 map, or one value: --t1)",
      );
    }
    checkT1Count(t1S, n);
  }
  let c: Float32Array | undefined;
  if (C) {
    c = out.features ?? new Float32Array(n * C);
    for (let j = 0; j < n; j++) {
      features.forEach((f, k) => {
        if (f === "noise") {
          c![j * C + k] = noiseFeatureOf(
            estimateNoiseSigma(x.subarray(j * T, (j + 1) * T), offsetsPpm),
          );
        } else {
          c![j * C + k] = waterT1Of(t1S!, j);
        }
      });
    }
  }
  if (model.input) applyFormulaInput(x, n, t1S!, offsetsPpm, model.input);
  let base: Float32Array | undefined;
  if (model.scaling) {
    base = out.base ?? new Float32Array(n * T);
    base.set(x.subarray(0, n * T));
    scaleInput(x, n, model.scaling);
  }
  return { features: c, base };
}
