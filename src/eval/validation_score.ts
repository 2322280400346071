/**
 * Scores a trained model on a dataset's validation split against the like-for-like formula:
 * the numbers model configurations are chosen by, never the evaluation suite's.
 *
 * The first `count` validation spectra, once clean and once with Rician noise at each SNR
 * (nn/augment.ts, one fixed draw per SNR), are predicted by the model and by the analytic
 * QUASS formula with the true water T1 (nn/formula_input.ts, nominal B1). Reported per input:
 * mean absolute error of each against the dataset's target, their ratio, and the ratio on
 * the third of the spectra the formula predicts best (where a network most easily does harm).
 * @module
 */
import type { TrainingData } from "../nn/training_data.ts";
import { augmentInto } from "../nn/augment.ts";
import { applyFormulaInput, formulaInputFromProtocol } from "../nn/formula_input.ts";
import { Rng } from "../util/rng.ts";
import { InputError } from "../util/errors.ts";
import type { RunPredictor } from "./predict_volume.ts";

/** Noise stream of the validation draws (one per SNR). */
const _VALIDATION_NOISE_STREAM = 0x5a1d;

/** Scores of one input condition. */
export interface ValidationScore {
  /** Input SNR (Infinity: clean). */
  snr: number;
  modelMae: number;
  formulaMae: number;
  /** modelMae / formulaMae. */
  ratio: number;
  /** The same ratio over the third of the spectra with the lowest formula error. */
  bestThirdRatio: number;
}

/** Mean absolute error per spectrum of `y` against `ref` rows. */
function _maePerRow(y: Float32Array, ref: Float32Array, n: number, T: number): Float64Array {
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < T; i++) s += Math.abs(y[j * T + i]! - ref[j * T + i]!);
    e[j] = s / T;
  }
  return e;
}

const _mean = (a: ArrayLike<number>, idx: ArrayLike<number>) => {
  let s = 0;
  for (let k = 0; k < idx.length; k++) s += a[idx[k]!]!;
  return s / idx.length;
};

/**
 * Scores `model` on the first `count` validation spectra of `data`, clean and at each SNR.
 * @throws InputError when the dataset has no water T1 column or too few validation spectra
 */
export async function scoreOnValidation(
  model: RunPredictor,
  data: TrainingData,
  opts: { count?: number; snrs?: number[]; seed?: number } = {},
): Promise<ValidationScore[]> {
  const T = data.T, n = Math.min(opts.count ?? 3000, data.valIdx.length);
  if (!data.t1S) {
    throw new InputError(`${data.source}: the validation score needs the water_t1_s column`);
  }
  if (n < 3) throw new InputError(`${data.source}: too few validation spectra (${n})`);
  const clean = new Float32Array(n * T), target = new Float32Array(n * T);
  const t1S = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    const s = data.valIdx[j]! * T;
    clean.set(data.input.subarray(s, s + T), j * T);
    target.set(data.target.subarray(s, s + T), j * T);
    t1S[j] = data.t1S[data.valIdx[j]!]!;
  }
  const formula = formulaInputFromProtocol(data.protocol, data.source, data.b0T);
  const out: ValidationScore[] = [];
  for (const snr of [Infinity, ...(opts.snrs ?? [100])]) {
    const x = clean.slice();
    if (Number.isFinite(snr)) {
      const rng = new Rng(opts.seed ?? 0, _VALIDATION_NOISE_STREAM, snr);
      augmentInto(x, x, n, T, rng, { snrMin: snr, snrMax: snr, cleanFraction: 0 });
    }
    const f = x.slice();
    applyFormulaInput(f, n, t1S, data.offsetsPpm, formula);
    const y = await model.predict(x.slice(), n, t1S);
    const em = _maePerRow(y, target, n, T), ef = _maePerRow(f, target, n, T);
    const all = Array.from({ length: n }, (_, j) => j);
    const best = all.slice().sort((a, b) => ef[a]! - ef[b]!).slice(0, Math.floor(n / 3));
    const modelMae = _mean(em, all), formulaMae = _mean(ef, all);
    out.push({
      snr,
      modelMae,
      formulaMae,
      ratio: modelMae / formulaMae,
      bestThirdRatio: _mean(em, best) / _mean(ef, best),
    });
  }
  return out;
}
