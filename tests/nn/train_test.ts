/**
 * Trainer tests: learning (validation MSE falls ≥ 10×), determinism (same seed → same loss
 * curve), exact resume, and batched prediction against the float64 reference model.
 */
import { assertClose, gpuTest } from "../_util.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { readTrainingData, train, trainingDataFrom } from "../../src/nn/train.ts";
import { resolveConfig } from "../../src/nn/presets.ts";
import { loadModel, runPaths } from "../../src/nn/checkpoint.ts";
import { predictSpectra } from "../../src/nn/predict.ts";
import { refForward } from "../../src/nn/models/mod.ts";
import { writeSafetensors } from "../../src/data/safetensors.ts";
import { InputError } from "../../src/util/errors.ts";
import { syntheticDataset } from "./_synthetic.ts";

const T = 101;

gpuTest("train() of a tiny LSTM-Attention cuts validation MSE ≥ 10× in a few hundred steps", async (device) => {
  const data = trainingDataFrom(syntheticDataset(640, T, 1, 64), "synthetic");
  const cfg = resolveConfig("lstm-attention", "tiny", T, { epochs: 12, batch: 32, lr: 1e-2, seed: 3 });
  const t0 = performance.now();
  const res = await train(device, data, cfg);
  const s = (performance.now() - t0) / 1000;
  const ratio = res.initialVal / res.bestVal;
  console.log(
    `${res.step} steps in ${s.toFixed(1)} s; val MSE ${res.initialVal.toExponential(3)} → ${res.bestVal.toExponential(3)} (${ratio.toFixed(1)}×)`,
  );
  console.log(res.log.map((e) => `${e.epoch}:${e.val_loss.toExponential(2)}`).join(" "));
  assert(res.step >= 200, `only ${res.step} steps`);
  assert(ratio >= 10, `validation MSE fell only ${ratio.toFixed(2)}×`);
});
