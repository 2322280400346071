/**
 * The model registry: `--arch` name → builder.
 * @module
 */
import type { ModelSpec } from "./graph.ts";
import { type ArchName, ARCHS, checkFeatures, type ModelConfig } from "./config.ts";
import { buildMlp } from "./mlp.ts";
import { buildRnn } from "./rnn.ts";
import { buildLstm } from "./lstm.ts";
import { buildGru } from "./gru.ts";
import { buildBilstm } from "./bilstm.ts";
import { buildLstmAttention } from "./lstm_attention.ts";

export { type ArchName, ARCHS, type ModelConfig };
export { SPECTRUM_FEATURES, type SpectrumFeature } from "./config.ts";
export { GpuModel, type ModelSpec, type Op, refBackward, refForward } from "./graph.ts";

/** Builders by architecture name. */
export const MODELS: Record<ArchName, (cfg: ModelConfig) => ModelSpec> = {
  "mlp": buildMlp,
  "rnn": buildRnn,
  "lstm": buildLstm,
  "gru": buildGru,
  "bilstm": buildBilstm,
  "lstm-attention": buildLstmAttention,
};

/** True when `s` names an architecture. */
export function isArch(s: string): s is ArchName {
  return (ARCHS as readonly string[]).includes(s);
}

/**
 * Builds the model of a config.
 * @throws RangeError for an unknown architecture or an invalid size
 * @example
 * const spec = buildModel({ arch: "lstm", T: 101, hidden: 32, embed: 8, heads: 4, residual: true });
 */
export function buildModel(cfg: ModelConfig): ModelSpec {
  if (!isArch(cfg.arch)) {
    throw new RangeError(`Unknown architecture "${cfg.arch}"; expected one of ${ARCHS.join(", ")}`);
  }
  for (const k of ["T", "hidden", "embed", "heads"] as const) {
    if (!Number.isInteger(cfg[k]) || cfg[k] < 1) {
      throw new RangeError(`${k} must be a positive integer (got ${cfg[k]})`);
    }
  }
  checkFeatures(cfg.features ?? [], cfg.arch);
  if (cfg.scaling) {
    const s = cfg.scaling;
    if (!cfg.residual) throw new RangeError("a scaled model (--normalize) must be residual");
    if (
      s.inputMean?.length !== cfg.T || s.inputStd?.length !== cfg.T ||
      ![...s.inputMean, ...s.inputStd, s.outputScale].every(Number.isFinite) ||
      !s.inputStd.every((v) => v > 0) || !(s.outputScale > 0)
    ) {
      throw new RangeError(
        `scaling must hold ${cfg.T} finite means, ${cfg.T} stds > 0 and a scale > 0`,
      );
    }
    // the residual y = x + s·f is added outside the graph (nn/scaling.ts)
    return MODELS[cfg.arch]({ ...cfg, residual: false });
  }
  return MODELS[cfg.arch](cfg);
}
