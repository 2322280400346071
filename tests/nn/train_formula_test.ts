/**
 * T1-informed training end to end on Bloch–McConnell spectra (float64 CPU simulator, 21
 * offsets, the paper's protocols): the trainer feeds the formula's prediction, the run
 * records it, and prediction applies the same transform; at equal budget it beats a
 * spectrum-only network by a wide margin (the water T1 is what the spectrum hides). A
 * noise-aware model gets the noise feature of the measured (noisy) spectrum, in training
 * and in prediction alike.
 */
import { assertClose, gpuTest } from "../_util.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { scoreOnValidation } from "../../src/eval/validation_score.ts";
import { train } from "../../src/nn/train.ts";
import { trainingDataFromDataset } from "../../src/nn/training_data.ts";
import { resolveConfig } from "../../src/nn/presets.ts";
import { loadModel } from "../../src/nn/checkpoint.ts";
import { refForward } from "../../src/nn/models/mod.ts";
import { applyFormulaInput, formulaInputFromProtocol } from "../../src/nn/formula_input.ts";
import { loadRunPredictor } from "../../src/eval/run_predictor.ts";
import { estimateNoiseSigma, noiseFeatureOf } from "../../src/nn/noise_level.ts";
import { augmentInto } from "../../src/nn/augment.ts";
import { Rng } from "../../src/util/rng.ts";
import type { Dataset } from "../../src/data/dataset.ts";
import { simulateCpu } from "../../src/physics/cpu_sim.ts";
import {
  defaultParamSpace,
  modelFromParams,
  paramNames,
  sampleParams,
} from "../../src/physics/param_space.ts";
import {
  linspaceOffsets,
  paperInputProtocol,
  paperTargetProtocol,
} from "../../src/physics/protocol.ts";
import { withTempDir } from "../_tmp.ts";

const T = 21;

/** n simulated pairs (every 8th row validation) with the metadata data/dataset.ts writes. */
function simulated(n: number, seed: number): Dataset {
  const space = defaultParamSpace();
  const offs = linspaceOffsets(-6, 6, T);
  const inP = { ...paperInputProtocol(), offsetsPpm: offs };
  const tgP = { ...paperTargetProtocol(), offsetsPpm: offs };
  const P = space.ranges.length;
  const ds: Dataset = {
    input: new Float32Array(n * T),
    target: new Float32Array(n * T),
    params: new Float32Array(n * P),
    offsetsPpm: Float64Array.from(offs),
    split: Uint8Array.from({ length: n }, (_, i) => (i % 8 === 0 ? 1 : 0)),
    count: n,
    T,
    metadata: {
      protocol: JSON.stringify({ input: inP, target: tgP }),
      param_names: JSON.stringify(paramNames(space)),
      param_space: JSON.stringify(space),
    },
  };
  for (let i = 0; i < n; i++) {
    const p = sampleParams(space, seed, i);
    const model = modelFromParams(p, space);
    ds.params.set(p, i * P);
    ds.input.set(simulateCpu(model, inP), i * T);
    ds.target.set(simulateCpu(model, tgP), i * T);
  }
  return ds;
}

gpuTest(
  "T1-informed training beats the spectrum alone and predicts through the same transform",
  async (device) => {
    const ds = simulated(136, 1 + Math.floor(Math.random() * 1e6));
    const data = trainingDataFromDataset(ds, "simulated");
    assert(data.t1S && data.t1S[3] === ds.params[3 * 20], "T1 comes from the water_t1_s column");
    const formula = formulaInputFromProtocol(ds.metadata.protocol!, "simulated", data.b0T);
    const budget = { epochs: 25, batch: 16, lr: 3e-3, seed: 2, hidden: 32 };
    const plain = await train(device, data, resolveConfig("mlp", "tiny", T, budget));
    await withTempDir({}, async (dir) => {
      const informed = await train(
        device,
        data,
        resolveConfig("mlp", "tiny", T, { ...budget, input: formula }),
        { out: dir },
      );
      console.log(
        `best validation MSE: spectrum ${plain.bestVal.toExponential(3)}, T1-informed ${
          informed.bestVal.toExponential(3)
        }`,
      );
      // measured: ~10× apart at this budget
      assert(informed.bestVal < plain.bestVal / 3, "the water T1 must pay");

      // prediction applies the formula, then the network
      const run = await loadRunPredictor(dir);
      assert(run.needsT1, "a T1-informed run says it needs T1");
      const n = 5, x = ds.input.slice(0, n * T), t1 = data.t1S!.slice(0, n);
      const got = await run.predict(x, n, t1);
      const loaded = await loadModel(dir);
      const fx = x.slice();
      applyFormulaInput(fx, n, t1, [...ds.offsetsPpm], formula);
      const want =
        refForward(loaded.spec, loaded.spec.store.toF64(loaded.flat), Float64Array.from(fx), n).y;
      assertClose(got, want, { atol: 2e-5, label: "predict = network(formula(x, T1))" });
      assert(x.every((v, i) => v === ds.input[i]), "the caller's spectra are left as they were");
      await assertRejects(() => run.predict(x, n), /needs the water T1/);
    });
  },
);

gpuTest(
  "a T1-informed model with noise and T1 features trains on augmented inputs and predicts with the features of the measured spectrum",
  async (device) => {
    const ds = simulated(48, 1 + Math.floor(Math.random() * 1e6));
    const data = trainingDataFromDataset(ds, "simulated");
    const formula = formulaInputFromProtocol(ds.metadata.protocol!, "simulated", data.b0T);
    await withTempDir({}, async (dir) => {
      const cfg = resolveConfig("mlp", "tiny", T, {
        epochs: 3,
        batch: 16,
        seed: 3,
        hidden: 16,
        input: formula,
        features: ["noise", "t1"],
        snrMin: 50,
        snrMax: 500,
        cleanFraction: 0.5,
      });
      const res = await train(device, data, cfg, { out: dir });
      assert(Number.isFinite(res.bestVal) && res.bestVal < res.initialVal, "it learns");
      const loaded = await loadModel(dir);
      assertEquals(loaded.config.model.features, ["noise", "t1"], "the checkpoint records them");
      assert(loaded.spec.C === 2, "two features per spectrum");

      const run = await loadRunPredictor(dir);
      const n = 6, x = ds.input.slice(0, n * T), t1 = data.t1S!.slice(0, n);
      augmentInto(x, x, n, T, new Rng(9, 1), { snrMin: 30, snrMax: 300, cleanFraction: 0.3 });
      const measured = x.slice();
      const got = await run.predict(x, n, t1);
      const noise = Array.from(
        { length: n },
        (_, j) =>
          noiseFeatureOf(
            estimateNoiseSigma(measured.subarray(j * T, (j + 1) * T), [...ds.offsetsPpm]),
          ),
      );
      const c = Float32Array.from(
        { length: 2 * n },
        (_, i) => (i % 2 ? t1[i >> 1]! : noise[i >> 1]!),
      );
      const fx = measured.slice();
      applyFormulaInput(fx, n, t1, [...ds.offsetsPpm], formula);
      const p64 = loaded.spec.store.toF64(loaded.flat);
      const want = refForward(loaded.spec, p64, Float64Array.from(fx), n, Float64Array.from(c)).y;
      assertClose(got, want, {
        atol: 2e-5,
        label: "predict = network(formula(x, T1), [σ̂(x), T1])",
      });
      // the features must matter: another noise level or T1 predicts otherwise
      for (const k of [0, 1]) {
        const moved = Float64Array.from(c, (v, i) => (i % 2 === k ? v + 1 : v));
        const other = refForward(loaded.spec, p64, Float64Array.from(fx), n, moved).y;
        assert(other.some((v, i) => Math.abs(v - want[i]!) > 1e-6), `feature ${k} is used`);
      }
      assert(x.every((v, i) => v === measured[i]), "the caller's spectra are left as they were");
    });
  },
);

Deno.test("scoreOnValidation() scores against the like-for-like formula: 1× for the formula itself, 0× for the target", async () => {
  const ds = simulated(40, 1 + Math.floor(Math.random() * 1e6));
  const data = trainingDataFromDataset(ds, "simulated");
  const formula = formulaInputFromProtocol(ds.metadata.protocol!, "simulated", data.b0T);
  const offs = [...ds.offsetsPpm];
  const asFormula = {
    name: "formula",
    arch: "mlp",
    offsetsPpm: offs,
    needsT1: true,
    predict: (x: Float32Array, n: number, t1?: ArrayLike<number>) => {
      applyFormulaInput(x, n, t1!, offs, formula);
      return Promise.resolve(x);
    },
  };
  const [clean, noisy] = await scoreOnValidation(asFormula, data, { snrs: [100] });
  assertClose([clean!.ratio, clean!.bestThirdRatio, noisy!.ratio], [1, 1, 1], { rtol: 1e-12 });
  assert(noisy!.formulaMae > clean!.formulaMae, "noise costs the formula");
  const oracle = {
    ...asFormula,
    predict: (_x: Float32Array, n: number) => {
      const y = new Float32Array(n * T);
      for (let j = 0; j < n; j++) {
        const i = data.valIdx[j]!;
        y.set(ds.target.subarray(i * T, (i + 1) * T), j * T);
      }
      return Promise.resolve(y);
    },
  };
  const [o] = await scoreOnValidation(oracle, data, { snrs: [] });
  assertEquals(o!.ratio, 0);
});
