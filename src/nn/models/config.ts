/**
 * Model configuration shared by the six architectures, and the helpers they share.
 * @module
 */
import type { Op } from "./graph.ts";
import type { FormulaInput } from "../formula_input.ts";
import type { Scaling } from "../scaling.ts";

/** The architectures, as spelled on the command line (`--arch`). */
export const ARCHS = ["mlp", "rnn", "lstm", "gru", "bilstm", "lstm-attention"] as const;

/** One of {@link ARCHS}. */
export type ArchName = typeof ARCHS[number];

/** Everything that fixes a model's shape (stored in checkpoints). */
export interface ModelConfig {
  arch: ArchName;
  /** Sequence length = number of offsets (101 for the paper's protocol). */
  T: number;
  /** Hidden size H (MLP width; recurrent state size; attention model width). */
  hidden: number;
  /** Embedding size E of the LSTM-Attention input projection (ignored by the others). */
  embed: number;
  /** Attention heads (LSTM-Attention only); must divide `hidden`. */
  heads: number;
  /**
   * true: the network outputs target − input and the model adds the input back
   * (y = x + f(x)); false: it outputs the target directly. See presets.ts for the
   * measurement behind the default.
   */
  residual: boolean;
  /**
   * Absent: the network sees the measured spectrum. `kind: "formula"`: it sees the analytic
   * QUASS formula's prediction of the target from the spectrum and the water T1
   * (formula_input.ts; a T1-informed model needs a T1 per spectrum). The layers are the same.
   */
  input?: FormulaInput;
  /**
   * Per-spectrum features the network sees beside the spectrum, in this order (absent or
   * empty: none; MLP only; made by nn/model_input.ts): "noise", the spectrum's estimated
   * noise level (nn/noise_level.ts), so one model can trust clean spectra and smooth noisy
   * ones; "t1", the water T1 in seconds.
   */
  features?: SpectrumFeature[];
  /**
   * Input standardisation and output scale fitted on the training split (nn/scaling.ts);
   * the residual y = x + s·f is then added outside the graph. Absent: unscaled.
   */
  scaling?: Scaling;
}

/** The per-spectrum features a model can take (`--features`). */
export const SPECTRUM_FEATURES = ["noise", "t1"] as const;

/** One of {@link SPECTRUM_FEATURES}. */
export type SpectrumFeature = typeof SPECTRUM_FEATURES[number];

/**
 * Checks a model's feature list: distinct known names, and only for the MLP.
 * @throws RangeError naming --features and what it takes
 */
export function checkFeatures(features: readonly string[], arch: ArchName): void {
  if (!features.length) return;
  if (arch !== "mlp") {
    throw new RangeError(`--features are available for the MLP only, not ${arch}`);
  }
  for (const [i, f] of features.entries()) {
    if (!(SPECTRUM_FEATURES as readonly string[]).includes(f) || features.indexOf(f) !== i) {
      throw new RangeError(
        `--features must be distinct names among ${SPECTRUM_FEATURES.join(", ")} (got "${
          features.join(",")
        }")`,
      );
    }
  }
}

/**
 * Ends an op list: the last layer wrote `last`; with `residual` adds the input x to give
 * y, else renames `last` to y by rewriting the op that produced it.
 */
export function finish(ops: Op[], residual: boolean, n: number): Op[] {
  const last = ops[ops.length - 1]!;
  if (!residual) {
    last.out = "y";
    return ops;
  }
  ops.push({ kind: "add", out: "y", a: last.out, b: "x", n });
  return ops;
}
