/**
 * Model configuration shared by the six architectures, and the helpers they share.
 * @module
 */
import type { Op } from "./graph.ts";
import type { FormulaInput } from "../formula_input.ts";

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
   * true: the network also sees each input spectrum's estimated noise level (one feature,
   * nn/noise_level.ts), so one model can trust clean spectra and smooth noisy ones. MLP only.
   */
  noiseInput?: boolean;
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
