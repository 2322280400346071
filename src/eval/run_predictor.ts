/**
 * Connects image prediction to trained runs: loads `runs/NAME/model.safetensors`, keeps the
 * weights on the GPU and predicts batches of spectra (nn/predict.ts's Predictor).
 * @module
 */
import { loadModel } from "../nn/checkpoint.ts";
import { Predictor } from "../nn/predict.ts";
import { getGpu } from "../gpu/device.ts";
import type { RunPredictor } from "./predict_volume.ts";
import { InputError } from "../util/errors.ts";
import { needsT1 } from "../nn/model_input.ts";

/**
 * Loads a run directory as a {@link RunPredictor} for predict_volume.ts. The target
 * protocol's Ts/Td come from the checkpoint's dataset protocol metadata when it has them.
 * @param runDir run directory (or its model.safetensors)
 * @returns the predictor; its GPU workspaces are freed after each call
 * @throws InputError when the checkpoint is missing or invalid
 * @example
 * const run = await loadRunPredictor("runs/lstm-attention");
 * const y = await run.predict(spectra, n);
 */
export async function loadRunPredictor(runDir: string): Promise<RunPredictor> {
  const loaded = await loadModel(runDir);
  const { device } = await getGpu();
  const p = new Predictor(device, loaded);
  const target = _targetTiming(loaded.meta.protocol);
  return {
    name: runDir.replace(/\/+$/, ""),
    arch: loaded.config.model.arch,
    offsetsPpm: loaded.meta.offsetsPpm,
    ...target,
    needsT1: needsT1(loaded.config.model),
    predict: async (x, n, t1S) => {
      try {
        return await p.predict(x, n, { t1S });
      } catch (e) {
        if (e instanceof InputError) throw new InputError(`${runDir}: ${e.message}`);
        throw e;
      } finally {
        p.release();
      }
    },
  };
}

/** Reads Ts/Td of the target protocol from the dataset's protocol metadata (JSON), if present. */
function _targetTiming(protocolJson: string): { targetTsS?: number; targetTdS?: number } {
  try {
    const p = JSON.parse(protocolJson, (_k, v) => (v === "Infinity" || v === "inf" ? Infinity : v));
    const t = p?.target ?? p?.targetProtocol;
    const ts = t?.tsS, td = t?.start?.tdS ?? t?.tdS;
    return {
      ...(typeof ts === "number" ? { targetTsS: ts } : {}),
      ...(typeof td === "number" ? { targetTdS: td } : {}),
    };
  } catch {
    return {};
  }
}
