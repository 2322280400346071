/**
 * Trainer tests: learning (validation MSE falls ≥ 10×), determinism (same seed → same loss
 * curve), exact resume, and batched prediction against the float64 reference model.
 * Sizes are small (T 21–41 offsets) to keep the file well under a minute on llvmpipe.
 */
import { assertClose, gpuTest } from "../_util.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { train } from "../../src/nn/train.ts";
import { resolveConfig } from "../../src/nn/presets.ts";
import { loadModel, runPaths } from "../../src/nn/checkpoint.ts";
import { predictSpectra } from "../../src/nn/predict.ts";
import { refForward } from "../../src/nn/models/mod.ts";
import { decodeSafetensors } from "../../src/data/safetensors.ts";
import { syntheticTrainingData } from "./_synthetic.ts";
import { withTempDir } from "../_tmp.ts";

gpuTest(
  "train() of a tiny LSTM-Attention cuts validation MSE ≥ 10× in a few hundred steps",
  async (device) => {
    const T = 41;
    const data = syntheticTrainingData(464, T, 1, 64);
    const cfg = resolveConfig("lstm-attention", "tiny", T, {
      epochs: 12,
      batch: 16,
      lr: 1e-2,
      seed: 3,
    });
    const t0 = performance.now();
    const res = await train(device, data, cfg);
    const s = (performance.now() - t0) / 1000;
    const ratio = res.initialVal / res.bestVal;
    console.log(
      `${res.step} steps in ${s.toFixed(1)} s; val MSE ${res.initialVal.toExponential(3)} → ` +
        `${res.bestVal.toExponential(3)} (${ratio.toFixed(1)}×)`,
    );
    assertEquals(res.step, 12 * 25);
    assertEquals(res.log.length, 13);
    assert(ratio >= 10, `validation MSE fell only ${ratio.toFixed(2)}×`);
  },
);

const SMALL_T = 21;
const small = () => syntheticTrainingData(120, SMALL_T, 5, 24, "synthetic-small");
const smallCfg = (epochs: number) =>
  resolveConfig("lstm-attention", "tiny", SMALL_T, {
    epochs,
    batch: 16,
    seed: 11,
    noise: 0.01,
    stepsPerSubmit: 4,
  });

gpuTest("train() with the same seed twice gives the same loss curve", async (device) => {
  const data = small();
  const a = await train(device, data, smallCfg(2));
  const b = await train(device, data, smallCfg(2));
  assertEquals(a.stepLosses.length, 12);
  assertEquals(a.stepLosses, b.stepLosses);
  assertEquals(a.log.map((e) => e.val_loss), b.log.map((e) => e.val_loss));
  assertEquals(a.finalParams, b.finalParams);
  const c = await train(
    device,
    data,
    resolveConfig("lstm-attention", "tiny", SMALL_T, { ...smallCfg(2).train, seed: 12 }),
  );
  assert(c.stepLosses.some((l, i) => l !== a.stepLosses[i]), "another seed gives another curve");
});

gpuTest(
  "train() resumed after an interruption reproduces the uninterrupted final weights",
  async (device) => {
    const data = small();
    await withTempDir({ prefix: "quass_resume_" }, async (dir) => {
      const full = await train(device, data, smallCfg(3), { out: `${dir}/full` });
      await assertRejects(
        () => train(device, data, smallCfg(3), { out: `${dir}/full` }),
        /already holds a training run/,
      );
      const part = await train(device, data, smallCfg(3), {
        out: `${dir}/part`,
        stopAfterEpochs: 1,
      });
      assertEquals(part.log.length, 2);
      assert(
        part.finalParams.some((v, i) => v !== full.finalParams[i]),
        "the interrupted run is not yet done",
      );
      const rest = await train(device, data, smallCfg(3), { out: `${dir}/part`, resume: true });
      assertEquals(rest.step, full.step);
      assertEquals(
        new Uint8Array(rest.finalParams.buffer),
        new Uint8Array(full.finalParams.buffer),
      );
      const opt = (d: string) => decodeSafetensors(Deno.readFileSync(runPaths(d).optimizer));
      const [o1, o2] = [opt(`${dir}/full`), opt(`${dir}/part`)];
      for (const k of ["params", "m", "v", "rng_state"]) {
        assertEquals(
          o1.tensors[k]!.data,
          o2.tensors[k]!.data,
          k,
        );
      }
      assertEquals(
        Deno.readFileSync(runPaths(`${dir}/full`).model),
        Deno.readFileSync(runPaths(`${dir}/part`).model),
      );
      const log = Deno.readTextFileSync(runPaths(`${dir}/part`).log).trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      assertEquals(log.map((e) => e.epoch), [0, 1, 2, 3]);
      assertEquals(log.map((e) => e.val_loss), full.log.map((e) => e.val_loss));
      // Resuming with another architecture or model size is refused with a clear message.
      const other = resolveConfig("lstm-attention", "tiny", SMALL_T, {
        ...smallCfg(4).train,
        hidden: 12,
      });
      await assertRejects(
        () => train(device, data, other, { out: `${dir}/part`, resume: true }),
        /started with model/,
      );
      await assertRejects(
        () => train(device, data, smallCfg(4), { out: `${dir}/none`, resume: true }),
        /nothing to resume/,
      );
    });
  },
);

gpuTest(
  "predictSpectra() in small chunks matches the float64 reference model of the best checkpoint",
  async (device) => {
    const data = small();
    await withTempDir({ prefix: "quass_predict_" }, async (dir) => {
      const res = await train(
        device,
        data,
        resolveConfig("gru", "tiny", SMALL_T, { epochs: 2, batch: 16, seed: 2 }),
        {
          out: dir,
        },
      );
      const loaded = await loadModel(dir, "gru");
      assertEquals(loaded.flat, res.bestParams);
      const n = 37;
      const x = data.input.slice(0, n * SMALL_T);
      const got = await predictSpectra(dir, x, n, { chunk: 7, chunksPerSubmit: 2, device });
      const whole = await predictSpectra(loaded, x, n, { device });
      const want =
        refForward(loaded.spec, loaded.spec.store.toF64(loaded.flat), Float64Array.from(x), n).y;
      const r = assertClose(got, want, { atol: 1e-5, rtol: 1e-5, label: "prediction" });
      assertEquals(got, whole);
      console.log(`prediction vs float64 reference: max abs err ${r.maxAbs.toExponential(2)}`);
    });
  },
);

gpuTest(
  "train() with Rician SNR augmentation: noisy batches, clean or noisy validation, exact resume",
  async (device) => {
    const data = small();
    const base = { epochs: 2, batch: 16, seed: 11, stepsPerSubmit: 4 };
    const snr = { ...base, snrMin: 20, snrMax: 200, cleanFraction: 0.2 };
    const plainCfg = resolveConfig("mlp", "tiny", SMALL_T, base);
    const augCfg = resolveConfig("mlp", "tiny", SMALL_T, snr);
    assertEquals(augCfg.train.snrAugment, { snrMin: 20, snrMax: 200, cleanFraction: 0.2 });
    assertEquals(plainCfg.train.snrAugment, null);
    await withTempDir({ prefix: "quass_snr_" }, async (dir) => {
      const plain = await train(device, data, plainCfg);
      const aug = await train(device, data, augCfg, { out: `${dir}/full` });
      // validation is clean by default: the same initial weights give the same epoch-0 loss
      assertEquals(aug.log[0]!.val_loss, plain.log[0]!.val_loss);
      assert(aug.stepLosses[0] !== plain.stepLosses[0], "the first batch is augmented");
      const saved = JSON.parse(await Deno.readTextFile(runPaths(`${dir}/full`).config));
      assertEquals(saved.train.snrAugment, augCfg.train.snrAugment);
      assertEquals(saved.train.noisyValidation, false);
      // noisy validation changes the validation loss, not the training batches (own stream)
      const nv = await train(
        device,
        data,
        resolveConfig("mlp", "tiny", SMALL_T, { ...snr, noisyValidation: true }),
      );
      assertEquals(nv.stepLosses, aug.stepLosses);
      assert(nv.log[0]!.val_loss !== aug.log[0]!.val_loss, "validation inputs are noisy");
      // an interrupted augmented run resumes to the same weights
      await train(device, data, augCfg, { out: `${dir}/part`, stopAfterEpochs: 1 });
      const rest = await train(device, data, augCfg, { out: `${dir}/part`, resume: true });
      assertEquals(
        new Uint8Array(rest.finalParams.buffer),
        new Uint8Array(aug.finalParams.buffer),
      );
      // a run whose config.json predates the augmentation fields resumes as "off"
      await train(device, data, plainCfg, { out: `${dir}/old`, stopAfterEpochs: 1 });
      const p = runPaths(`${dir}/old`).config;
      const old = JSON.parse(await Deno.readTextFile(p));
      delete old.train.snrAugment;
      delete old.train.noisyValidation;
      await Deno.writeTextFile(p, JSON.stringify(old));
      const oldRest = await train(device, data, plainCfg, { out: `${dir}/old`, resume: true });
      assertEquals(oldRest.finalParams, plain.finalParams);
    });
  },
);
