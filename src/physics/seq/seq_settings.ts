/**
 * The simulation settings a pulseq-cest YAML model carries beside its pools
 * (`reset_init_mag`, `scale`, `max_pulse_samples`), read from `model.extra`.
 * @module
 */
import { InputError } from "../../util/errors.ts";
import type { TissueModel } from "../model.ts";
import { DEFAULT_MAX_PULSE_SAMPLES } from "./seq_timeline.ts";

/** How pulseq-cest runs a `.seq` timeline for one model. */
export interface SeqSimSettings {
  /** After each ADC, restart from the initial magnetisation (default true). */
  resetInitMag: boolean;
  /** Initial magnetisation = scale × equilibrium (default 1). */
  scale: number;
  /** Shaped pulses with more runs than this are resampled (default 100, as pulseq-cest). */
  maxPulseSamples: number;
}

/**
 * Reads the settings from a model's pulseq-cest keys.
 * @param model the tissue model (its `extra` holds the keys as written)
 * @param source the model's file name, for messages
 * @throws InputError naming the key when a value has the wrong type or range
 */
export function seqSimSettings(model: TissueModel, source = "model"): SeqSimSettings {
  const extra = model.extra ?? {};
  const fail = (key: string, msg: string): never => {
    throw new InputError(`${source}: ${key}: ${msg}`);
  };
  let resetInitMag = true;
  const r = extra.reset_init_mag;
  if (r !== undefined) {
    if (typeof r === "boolean") resetInitMag = r;
    else if (r === 0 || r === 1) resetInitMag = r === 1;
    else fail("reset_init_mag", `expected True or False but found ${JSON.stringify(r)}`);
  }
  let scale = 1;
  if (extra.scale !== undefined) {
    const s = extra.scale;
    if (typeof s !== "number" || !Number.isFinite(s) || s < 0) {
      fail(
        "scale",
        `expected a number ≥ 0 (the initial magnetisation / M0) but found ${JSON.stringify(s)}`,
      );
    }
    scale = s as number;
  }
  let maxPulseSamples = DEFAULT_MAX_PULSE_SAMPLES;
  if (extra.max_pulse_samples !== undefined) {
    const m = extra.max_pulse_samples;
    if (typeof m !== "number" || !Number.isInteger(m) || m < 1) {
      fail("max_pulse_samples", `expected an integer ≥ 1 but found ${JSON.stringify(m)}`);
    }
    maxPulseSamples = m as number;
  }
  return { resetInitMag, scale, maxPulseSamples };
}
