/**
 * The GPU kernels of the recurrent layers (src/nn/recurrent.ts): the per-step forward and
 * backward of each cell (shaders/rnn.wgsl, lstm.wgsl, gru.wgsl, with the shared
 * rec_step.wgsl) and the batched weight-gradient and transpose kernels (recurrent.wgsl).
 * @module
 */
import { defineKernel } from "../gpu/kernel.ts";

const _kernel = (
  name: string,
  file: string,
  bindings: ("read" | "storage" | "uniform")[],
  doc: string,
) =>
  defineKernel({
    name,
    file,
    entryPoint: name,
    bindings,
    workgroupSize: 64,
    doc,
    // The per-step kernels share Step, the load helpers and the backward block.
    ...(file === "recurrent.wgsl" ? {} : { includes: ["rec_step.wgsl"] }),
  });

/** Partial sums over row chunks of [a(t+shift), 1]ᵀ·g (recurrent weight and bias gradients). */
export const REC_DW_PART = _kernel("rec_dw_part", "recurrent.wgsl", [
  "read",
  "read",
  "storage",
  "uniform",
], "recurrent weight gradient aᵀ·dgates, partial sums over row chunks");
/** dW += Σ over chunks of the partial sums. */
export const REC_DW_SUM = _kernel(
  "rec_dw_sum",
  "recurrent.wgsl",
  ["read", "storage", "uniform"],
  "recurrent weight gradient, sum of the partial sums",
);
/** out = aᵀ (the recurrent kernel, for the backward step kernels). */
export const REC_TRANSPOSE = _kernel(
  "rec_transpose",
  "recurrent.wgsl",
  ["read", "storage", "uniform"],
  "transpose of the recurrent kernel",
);
/** One RNN step forward. */
export const RNN_FWD = _kernel(
  "rnn_fwd",
  "rnn.wgsl",
  ["read", "storage", "uniform"],
  "RNN (tanh) step forward",
);
/** One RNN step backward. */
export const RNN_BWD = _kernel("rnn_bwd", "rnn.wgsl", [
  "read",
  "read",
  "read",
  "storage",
  "uniform",
], "RNN (tanh) step backward");
/** One LSTM step forward. */
export const LSTM_FWD = _kernel("lstm_fwd", "lstm.wgsl", [
  "read",
  "storage",
  "storage",
  "storage",
  "uniform",
], "LSTM step forward");
/** One LSTM step backward. */
export const LSTM_BWD = _kernel(
  "lstm_bwd",
  "lstm.wgsl",
  ["read", "read", "read", "read", "storage", "storage", "uniform"],
  "LSTM step backward",
);
/** One GRU step forward. */
export const GRU_FWD = _kernel("gru_fwd", "gru.wgsl", [
  "read",
  "read",
  "storage",
  "storage",
  "storage",
  "uniform",
], "GRU step forward");
/** One GRU step backward. */
export const GRU_BWD = _kernel(
  "gru_bwd",
  "gru.wgsl",
  ["read", "read", "read", "read", "read", "storage", "storage", "storage", "uniform"],
  "GRU step backward",
);

/** The step kernels of each cell. */
export const STEP_KERNELS = {
  rnn: { fwd: RNN_FWD, bwd: RNN_BWD },
  lstm: { fwd: LSTM_FWD, bwd: LSTM_BWD },
  gru: { fwd: GRU_FWD, bwd: GRU_BWD },
} as const;
