/**
 * Scaled networks (`train --normalize`): the fitted statistics against a float64 count, the
 * transforms' round trip, and a trained scaled model end to end — prediction is
 * base + s·network((x − μ)/σ), and the validation loss the trainer reports is the model's
 * MSE in Z units.
 */
import { assertClose, gpuTest } from "../_util.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import {
  fitScaling,
  MIN_INPUT_STD,
  scaleInput,
  scaleTarget,
  unscaleOutput,
} from "../../src/nn/scaling.ts";
import { train } from "../../src/nn/train.ts";
import { fitScalingOn } from "../../src/nn/training_data.ts";
import { resolveConfig } from "../../src/nn/presets.ts";
import { buildModel, refForward } from "../../src/nn/models/mod.ts";
import { loadModel } from "../../src/nn/checkpoint.ts";
import { Predictor } from "../../src/nn/predict.ts";
import { syntheticTrainingData } from "./_synthetic.ts";
import { withTempDir } from "../_tmp.ts";

Deno.test("fitScaling() gives per-offset mean and std and the residual's std; the transforms invert", () => {
  const T = 7, rows = 40;
  const x = Float32Array.from({ length: rows * T }, (_, k) => (k % T === 3 ? 0.5 : Math.random()));
  const t = Float32Array.from(x, (v) => v + 0.01 * (Math.random() - 0.3));
  const idx = [1, 4, 5, 9, 10, 22, 39];
  const s = fitScaling(x, t, idx, T);
  for (let i = 0; i < T; i++) {
    const v = idx.map((j) => x[j * T + i]!);
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
    assertClose([s.inputMean[i]!, s.inputStd[i]!], [m, Math.max(sd, MIN_INPUT_STD)], {
      rtol: 1e-9,
      atol: 1e-12,
    });
  }
  assertEquals(s.inputStd[3], MIN_INPUT_STD, "a constant offset keeps the floor");
  const r = idx.flatMap((j) => Array.from({ length: T }, (_, i) => t[j * T + i]! - x[j * T + i]!));
  const rm = r.reduce((a, b) => a + b, 0) / r.length;
  const rs = Math.sqrt(r.reduce((a, b) => a + (b - rm) ** 2, 0) / r.length);
  assertClose([s.outputScale], [rs], { rtol: 1e-6 });

  const xs = x.slice(0, 3 * T), ts = t.slice(0, 3 * T);
  scaleTarget(ts, xs, 3, s);
  unscaleOutput(ts, xs, 3, s);
  assertClose(ts, t.slice(0, 3 * T), { atol: 1e-7, label: "target round trip" });
  scaleInput(xs, 3, s);
  assertClose(
    [xs[2]!],
    [(x[2]! - s.inputMean[2]!) / s.inputStd[2]!],
    { rtol: 1e-6, label: "standardised" },
  );
  assertThrows(() => fitScaling(x, t, [0], T), /at least 2/);
});

Deno.test("buildModel() refuses scaling that does not fit the model", () => {
  const good = { inputMean: [0, 0, 0], inputStd: [1, 1, 1], outputScale: 0.1 };
  const cfg = { arch: "mlp" as const, T: 3, hidden: 4, embed: 2, heads: 1, residual: true };
  assert(buildModel({ ...cfg, scaling: good }).ops(1).every((op) => op.kind !== "add"));
  assertThrows(() => buildModel({ ...cfg, scaling: { ...good, inputStd: [1, 0, 1] } }), /stds/);
  assertThrows(() => buildModel({ ...cfg, scaling: { ...good, inputMean: [0] } }), /3 finite/);
  assertThrows(() => buildModel({ ...cfg, residual: false, scaling: good }), /residual/);
});

gpuTest(
  "a scaled model predicts base + s·network((x − μ)/σ), and its validation loss is in Z units",
  async (device) => {
    const T = 21;
    const data = syntheticTrainingData(300, T, 1 + Math.floor(Math.random() * 1e6), 60);
    const cfg = resolveConfig("mlp", "tiny", T, { epochs: 3, batch: 32, seed: 4, hidden: 16 });
    cfg.model.scaling = fitScalingOn(data, cfg.model);
    await withTempDir({}, async (dir) => {
      const res = await train(device, data, cfg, { out: dir });
      assert(res.bestVal < res.initialVal, "it learns");
      const loaded = await loadModel(dir);
      assertEquals(loaded.config.model.scaling, cfg.model.scaling, "stored with the model");
      const s = cfg.model.scaling!;
      // every validation spectrum through the predictor: its MSE is the reported loss
      const n = data.valIdx.length;
      const x = new Float32Array(n * T), y = new Float32Array(n * T);
      data.valIdx.forEach((i, j) => {
        x.set(data.input.subarray(i * T, (i + 1) * T), j * T);
        y.set(data.target.subarray(i * T, (i + 1) * T), j * T);
      });
      const p = new Predictor(device, loaded);
      const got = await p.predict(x, n);
      p.release();
      let mse = 0;
      for (let k = 0; k < n * T; k++) mse += (got[k]! - y[k]!) ** 2;
      assertClose([mse / (n * T)], [res.bestVal], { rtol: 1e-3, label: "val loss in Z units" });
      // and the prediction is the documented composition, in float64
      const xs = x.slice();
      scaleInput(xs, n, s);
      const f =
        refForward(loaded.spec, loaded.spec.store.toF64(loaded.flat), Float64Array.from(xs), n)
          .y;
      const want = Float64Array.from(f, (v, k) => x[k]! + s.outputScale * v);
      assertClose(got, want, { atol: 2e-6, label: "y = x + s·f((x − μ)/σ)" });
    });
  },
);
