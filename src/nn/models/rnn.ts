/** RNN model: one RNN layer over the offsets, then a per-step dense H → 1. @module */
import type { ModelSpec } from "./graph.ts";
import type { ModelConfig } from "./config.ts";
import { buildRecurrent } from "./recurrent_models.ts";

/** Builds the RNN model of a config. */
export function buildRnn(cfg: ModelConfig): ModelSpec {
  return buildRecurrent("rnn", cfg);
}
