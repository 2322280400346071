/** LSTM model: one LSTM layer over the offsets, then a per-step dense H → 1. @module */
import type { ModelSpec } from "./graph.ts";
import type { ModelConfig } from "./config.ts";
import { buildRecurrent } from "./recurrent_models.ts";

/** Builds the LSTM model of a config. */
export function buildLstm(cfg: ModelConfig): ModelSpec {
  return buildRecurrent("lstm", cfg);
}
