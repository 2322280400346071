/**
 * The GPU kernels of the recurrent layers (src/nn/recurrent.ts): the per-step forward and
 * backward of each cell (shaders/rnn.wgsl, lstm.wgsl, gru.wgsl, with the shared
 * rec_step.wgsl) and the batched weight-gradient and transpose kernels (recurrent.wgsl).
 * @module
 */
import { kernelsOf } from "../gpu/kernel.ts";

const _rec = kernelsOf("recurrent.wgsl", 64);
// The per-step kernels share Step, the load helpers and the backward block.
const _stepKernelsOf = (file: string) => kernelsOf(file, 64, ["rec_step.wgsl"]);
const _rnn = _stepKernelsOf("rnn.wgsl");
const _lstm = _stepKernelsOf("lstm.wgsl");
const _gru = _stepKernelsOf("gru.wgsl");

/** Partial sums over row chunks of [a(t+shift), 1]ᵀ·g (recurrent weight and bias gradients). */
export const REC_DW_PART = _rec(
  "rec_dw_part",
  ["read", "read", "storage", "uniform"],
  "recurrent weight gradient aᵀ·dgates, partial sums over row chunks",
);
/** dW += Σ over chunks of the partial sums. */
export const REC_DW_SUM = _rec(
  "rec_dw_sum",
  ["read", "storage", "uniform"],
  "recurrent weight gradient, sum of the partial sums",
);
/** out = aᵀ (the recurrent kernel, for the backward step kernels). */
export const REC_TRANSPOSE = _rec(
  "rec_transpose",
  ["read", "storage", "uniform"],
  "transpose of the recurrent kernel",
);
/** One RNN step forward. */
export const RNN_FWD = _rnn("rnn_fwd", ["read", "storage", "uniform"], "RNN (tanh) step forward");
/** One RNN step backward. */
export const RNN_BWD = _rnn(
  "rnn_bwd",
  ["read", "read", "read", "storage", "uniform"],
  "RNN (tanh) step backward",
);
/** One LSTM step forward. */
export const LSTM_FWD = _lstm(
  "lstm_fwd",
  ["read", "storage", "storage", "storage", "uniform"],
  "LSTM step forward",
);
/** One LSTM step backward. */
export const LSTM_BWD = _lstm(
  "lstm_bwd",
  ["read", "read", "read", "read", "storage", "storage", "uniform"],
  "LSTM step backward",
);
/** One GRU step forward. */
export const GRU_FWD = _gru(
  "gru_fwd",
  ["read", "read", "storage", "storage", "storage", "uniform"],
  "GRU step forward",
);
/** One GRU step backward. */
export const GRU_BWD = _gru(
  "gru_bwd",
  ["read", "read", "read", "read", "read", "storage", "storage", "storage", "uniform"],
  "GRU step backward",
);

/** The step kernels of each cell. */
export const STEP_KERNELS = {
  rnn: { fwd: RNN_FWD, bwd: RNN_BWD },
  lstm: { fwd: LSTM_FWD, bwd: LSTM_BWD },
  gru: { fwd: GRU_FWD, bwd: GRU_BWD },
} as const;
