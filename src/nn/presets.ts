/**
 * Training configuration and the named presets (`--preset paper|default|tiny`). Every field
 * can be overridden by a flag; {@link resolveConfig} merges preset, flags and checks ranges.
 * @module
 */
import type { FormulaInput } from "./formula_input.ts";
import type { LrSchedule } from "./schedule.ts";
import {
  type ArchName,
  checkFeatures,
  type ModelConfig,
  type SpectrumFeature,
} from "./models/config.ts";
import { checkSnrAugment, type SnrAugment } from "./augment.ts";
import { MAX_BATCH, MAX_HIDDEN, MAX_STEPS_PER_SUBMIT } from "../util/limits.ts";

/** Optimiser and loop settings (stored in config.json and the checkpoint). */
export interface TrainConfig {
  epochs: number;
  /** Spectra per mini-batch. */
  batch: number;
  /** Adam learning rate. */
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay (AdamW); 0 = plain Adam. */
  weightDecay: number;
  /** Global gradient-norm clip; Infinity = off. */
  clip: number;
  /** Early stopping: stop after this many epochs without a better validation loss; 0 = off. */
  patience: number;
  /** σ of Gaussian noise added to the training inputs (Z units); 0 = off. */
  noise: number;
  /**
   * Rician noise augmentation of the training inputs, per spectrum, like an M0-normalised
   * magnitude scan (src/nn/augment.ts: SNR log-uniform in [snrMin, snrMax], a fraction
   * clean); null = off. Applied before the Gaussian `noise` when both are set. Absent in
   * runs made before it existed (= null).
   */
  snrAugment: SnrAugment | null;
  /**
   * Validate on inputs augmented the same way (one fixed draw per run, so epochs compare);
   * false = clean validation inputs (the default).
   */
  noisyValidation: boolean;
  /**
   * Learning-rate schedule (schedule.ts): constant, or cosine decay after a short warm-up
   * over the run's epochs. Absent in runs made before it existed (= constant).
   */
  lrSchedule: LrSchedule;
  seed: number;
  /** Training steps encoded per GPU submission (losses are read back once per submission). */
  stepsPerSubmit: number;
}

/** Model + training configuration of a run. */
export interface RunConfig {
  model: ModelConfig;
  train: TrainConfig;
}

/** Names of the presets. */
export const PRESETS = ["paper", "default", "tiny"] as const;
/** One of {@link PRESETS}. */
export type PresetName = typeof PRESETS[number];

type Sizes = Pick<ModelConfig, "hidden" | "embed" | "heads" | "residual">;
type PresetValues = { model: Sizes; train: Omit<TrainConfig, "seed"> };

const _ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

/**
 * Whether models predict the residual by default (y = x + f(x), f learns target − input).
 * Measured on the dataset described at {@link PRESET_VALUES}, 10 epochs of the default preset: residual vs
 * direct best validation MSE — lstm 4.8e-4 vs 1.4e-3, mlp 1.7e-4 vs 2.0e-3. The change
 * from the input is small and smooth, so residual learning wins; `--direct` turns it off.
 */
export const DEFAULT_RESIDUAL = true;

/**
 * The presets.
 * - paper: the QUASS paper's LSTM-Attention (H 1024, 4 heads, Adam lr 1e-4, batch 256,
 *   100 epochs, MSE, uniform initialisation). The paper does not state the embedding
 *   width; 64 is our choice.
 * - default: H 32 (E 16, 4 heads), batch 64, Adam lr 3e-3 with global-norm clip 1,
 *   10 epochs, early stopping after 5 epochs without improvement. Measured on llvmpipe
 *   (Vulkan, 2 shared cores, load average ~10 from other jobs) on 2,000 simulated pairs
 *   (7-pool models sampled uniformly from docs/physics/pool_parameters.md, input Ts 1.5 s /
 *   Td 4.5 s, target Ts 5 s / Td 1 s, B1 1 µT, 1,800 train / 200 validation); best
 *   validation MSE (identity baseline, input taken as the prediction: 3.9e-3) and wall time:
 *   mlp 1.7e-4 (2 s), rnn 5.0e-4 (26 s), gru 4.2e-4 (76 s), lstm 4.8e-4 (68 s),
 *   bilstm 1.7e-4 (200 s), lstm-attention 1.3e-4 (epoch 4 of 9, early stop; 538 s).
 *   Larger H mostly costs time here (e.g. mlp H 128: 1.3e-4 in 7 s).
 * - tiny: for tests (seconds).
 *
 * Residual vs direct: see {@link DEFAULT_RESIDUAL}.
 */
export const PRESET_VALUES: Record<PresetName, PresetValues> = {
  paper: {
    model: { hidden: 1024, embed: 64, heads: 4, residual: DEFAULT_RESIDUAL },
    train: {
      ..._ADAM,
      epochs: 100,
      batch: 256,
      lr: 1e-4,
      clip: Infinity,
      patience: 0,
      noise: 0,
      snrAugment: null,
      noisyValidation: false,
      lrSchedule: "constant",
      stepsPerSubmit: 4,
    },
  },
  default: {
    model: { hidden: 32, embed: 16, heads: 4, residual: DEFAULT_RESIDUAL },
    train: {
      ..._ADAM,
      epochs: 10,
      batch: 64,
      lr: 3e-3,
      clip: 1,
      patience: 5,
      noise: 0,
      snrAugment: null,
      noisyValidation: false,
      lrSchedule: "constant",
      stepsPerSubmit: 16,
    },
  },
  tiny: {
    model: { hidden: 8, embed: 4, heads: 2, residual: DEFAULT_RESIDUAL },
    train: {
      ..._ADAM,
      epochs: 2,
      batch: 16,
      lr: 1e-2,
      clip: 1,
      patience: 0,
      noise: 0,
      snrAugment: null,
      noisyValidation: false,
      lrSchedule: "constant",
      stepsPerSubmit: 8,
    },
  },
};

/** Overrides from the command line (undefined = keep the preset's value). */
export interface ConfigOverrides {
  epochs?: number;
  batch?: number;
  lr?: number;
  hidden?: number;
  embed?: number;
  heads?: number;
  seed?: number;
  patience?: number;
  noise?: number;
  /** Rician augmentation: lowest and highest SNR (both or neither). */
  snrMin?: number;
  snrMax?: number;
  /** Fraction of clean spectra under augmentation (default 0). */
  cleanFraction?: number;
  noisyValidation?: boolean;
  lrSchedule?: LrSchedule;
  /** T1-informed input (formula_input.ts); undefined = the measured spectrum. */
  input?: FormulaInput;
  /** Per-spectrum features beside the spectrum (ModelConfig.features; MLP only). */
  features?: SpectrumFeature[];
  clip?: number;
  residual?: boolean;
  weightDecay?: number;
  stepsPerSubmit?: number;
}

function _check(name: string, v: number, ok: boolean, want: string): void {
  if (!ok) throw new RangeError(`--${name} must be ${want} (got ${v})`);
}

function _snrAugment(o: ConfigOverrides): SnrAugment | undefined {
  if (o.snrMin === undefined && o.snrMax === undefined) {
    if (o.cleanFraction !== undefined) {
      throw new RangeError("--clean-fraction needs --snr MIN:MAX (the noise of the other spectra)");
    }
    return undefined;
  }
  if (o.snrMin === undefined || o.snrMax === undefined) {
    throw new RangeError("--snr needs both the lowest and the highest SNR, e.g. --snr 30:1000");
  }
  return { snrMin: o.snrMin, snrMax: o.snrMax, cleanFraction: o.cleanFraction ?? 0 };
}

/**
 * The run configuration for an architecture, preset and flags.
 * @param T number of offsets (from the dataset)
 * @throws RangeError naming the flag when a value is out of range
 * @example
 * const cfg = resolveConfig("lstm-attention", "default", 101, { epochs: 5 });
 */
export function resolveConfig(
  arch: ArchName,
  preset: PresetName,
  T: number,
  o: ConfigOverrides = {},
): RunConfig {
  const p = PRESET_VALUES[preset];
  if (!p) throw new RangeError(`Unknown preset "${preset}"; expected one of ${PRESETS.join(", ")}`);
  const model: ModelConfig = {
    arch,
    T,
    hidden: o.hidden ?? p.model.hidden,
    embed: o.embed ?? p.model.embed,
    heads: o.heads ?? p.model.heads,
    residual: o.residual ?? p.model.residual,
    ...(o.input ? { input: o.input } : {}),
    ...(o.features?.length ? { features: o.features } : {}),
  };
  checkFeatures(o.features ?? [], arch);
  const train: TrainConfig = {
    ...p.train,
    epochs: o.epochs ?? p.train.epochs,
    batch: o.batch ?? p.train.batch,
    lr: o.lr ?? p.train.lr,
    patience: o.patience ?? p.train.patience,
    noise: o.noise ?? p.train.noise,
    snrAugment: _snrAugment(o) ?? p.train.snrAugment,
    noisyValidation: o.noisyValidation ?? p.train.noisyValidation,
    lrSchedule: o.lrSchedule ?? p.train.lrSchedule,
    clip: o.clip ?? p.train.clip,
    weightDecay: o.weightDecay ?? p.train.weightDecay,
    stepsPerSubmit: o.stepsPerSubmit ?? p.train.stepsPerSubmit,
    seed: o.seed ?? 0,
  };
  const posInt = (v: number) => Number.isInteger(v) && v >= 1;
  const upTo = (v: number, max: number) => posInt(v) && v <= max;
  const most = (max: number) => `a positive integer ≤ ${max} (the documented limit)`;
  _check("hidden", model.hidden, upTo(model.hidden, MAX_HIDDEN), most(MAX_HIDDEN));
  _check("embed", model.embed, upTo(model.embed, MAX_HIDDEN), most(MAX_HIDDEN));
  _check("heads", model.heads, posInt(model.heads), "a positive integer");
  if (arch === "lstm-attention") {
    _check(
      "heads",
      model.heads,
      model.hidden % model.heads === 0,
      `a divisor of --hidden ${model.hidden}`,
    );
  }
  _check("epochs", train.epochs, posInt(train.epochs), "a positive integer");
  _check("batch", train.batch, upTo(train.batch, MAX_BATCH), most(MAX_BATCH));
  _check("lr", train.lr, train.lr > 0 && Number.isFinite(train.lr), "a positive number");
  _check(
    "patience",
    train.patience,
    Number.isInteger(train.patience) && train.patience >= 0,
    "an integer ≥ 0",
  );
  _check("noise", train.noise, train.noise >= 0 && Number.isFinite(train.noise), "a number ≥ 0");
  if (train.snrAugment) checkSnrAugment(train.snrAugment);
  if (train.noisyValidation && !train.snrAugment) {
    throw new RangeError("--noisy-validation needs --snr MIN:MAX (the noise to validate on)");
  }
  _check("clip", train.clip, train.clip > 0, "a positive number (Infinity = off)");
  _check("seed", train.seed, Number.isInteger(train.seed) && train.seed >= 0, "an integer ≥ 0");
  _check(
    "steps-per-submit",
    train.stepsPerSubmit,
    upTo(train.stepsPerSubmit, MAX_STEPS_PER_SUBMIT),
    most(MAX_STEPS_PER_SUBMIT),
  );
  return { model, train };
}
