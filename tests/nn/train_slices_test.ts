/**
 * Batch slicing of a training step: a batch whose buffers exceed one storage binding (the
 * paper preset's LSTM gates on llvmpipe) runs in 256-byte-aligned slices whose gradients
 * add up; the step must equal the one over the whole batch.
 */
import { assertClose, gpuTest } from "../_util.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { batchSliceSize, recordTrainStep, train } from "../../src/nn/train.ts";
import { syntheticTrainingData } from "./_synthetic.ts";
import { resolveConfig } from "../../src/nn/presets.ts";
import { type ArchName, buildModel, type SpectrumFeature } from "../../src/nn/models/mod.ts";
import { GpuModel, maxFloatsPerSample } from "../../src/nn/models/graph.ts";
import { readF32, storageBuffer, uploadBuffer } from "../../src/gpu/buffers.ts";

Deno.test("batchSliceSize() keeps whole batches that fit and 256-byte-aligned slices otherwise", () => {
  assertEquals(batchSliceSize(256, 101, 300), 256);
  assertEquals(batchSliceSize(256, 101, 81), 64); // odd T: slices of 64 spectra
  assertEquals(batchSliceSize(256, 101, 200), 192);
  assertEquals(batchSliceSize(256, 32, 81), 80); // 32 floats a spectrum: slices of 2
  assertEquals(batchSliceSize(256, 64, 81), 81);
  assertEquals(batchSliceSize(256, 64, 81, 1), 64); // one feature a spectrum: slices of 64
  assertEquals(batchSliceSize(256, 32, 81, 2), 64);
  for (let i = 0; i < 50; i++) {
    const T = 1 + Math.floor(Math.random() * 200), maxB = 1 + Math.floor(Math.random() * 300);
    const B = maxB + 1 + Math.floor(Math.random() * 300), C = Math.floor(Math.random() * 3);
    let b: number;
    try {
      b = batchSliceSize(B, T, maxB, C);
    } catch (e) {
      assert(e instanceof RangeError && /aligned/.test(e.message), String(e));
      continue;
    }
    assert(b >= 1 && b <= maxB, `T ${T}, maxB ${maxB}: slice ${b}`);
    assertEquals((b * T * 4) % 256, 0, `T ${T}: slice ${b} is not 256-byte aligned`);
    assertEquals((b * C * 4) % 256, 0, `C ${C}: slice ${b} of the features is not aligned`);
  }
  assertThrows(() => batchSliceSize(256, 101, 40), /64 spectra/);
});

Deno.test("maxFloatsPerSample() counts the gate buffers of recurrent layers", () => {
  for (
    const [arch, gates] of [["lstm", 4], ["gru", 3], ["bilstm", 4], ["lstm-attention", 4]] as const
  ) {
    const m = resolveConfig(arch, "paper", 101).model;
    const per = maxFloatsPerSample(buildModel(m));
    assert(per >= gates * 101 * m.hidden, `${arch}: ${per} floats per spectrum < its gates`);
  }
});

for (
  const [arch, withFeatures] of [["mlp", false], ["mlp", true], ["gru", false], [
    "lstm-attention",
    false,
  ]] as [ArchName, boolean][]
) {
  gpuTest(
    `recordTrainStep() in slices of 64 gives the whole batch's loss and gradients (${arch}${
      withFeatures ? ", two features" : ""
    })`,
    async (device) => {
      const T = 21, B = 160; // slices 64, 64, 32
      const features = withFeatures ? ["noise", "t1"] as SpectrumFeature[] : undefined;
      const cfg = resolveConfig(arch, "tiny", T, { batch: B, features });
      const spec = buildModel(cfg.model);
      const flat = spec.store.initialValues(1 + Math.floor(Math.random() * 1000));
      const x = Float32Array.from({ length: B * T }, () => Math.random());
      const target = Float32Array.from({ length: B * T }, () => Math.random());
      const c = Float32Array.from({ length: B * (spec.C ?? 0) }, () => 2 * Math.random() - 1);
      const total = spec.store.totalFloats;
      const run = async (sliceB: number) => {
        const bufs = spec.store.createBuffers(device, flat);
        const model = new GpuModel(device, spec, bufs);
        const io = {
          x: uploadBuffer(device, x),
          c: c.length ? uploadBuffer(device, c) : undefined,
          target: uploadBuffer(device, target),
          dy: storageBuffer(device, B * T * 4),
          loss: storageBuffer(device, 4),
          scale: storageBuffer(device, 4),
        };
        const enc = device.createCommandEncoder();
        const pass = enc.beginComputePass();
        recordTrainStep(device, pass, model, bufs, io, B, T, cfg.train, 1, sliceB);
        pass.end();
        device.queue.submit([enc.finish()]);
        return {
          loss: await readF32(device, io.loss, 1),
          grads: await readF32(device, bufs.grads, total),
          params: await readF32(device, bufs.params, total),
        };
      };
      const whole = await run(B), sliced = await run(64);
      assertClose(Array.from(sliced.loss), Array.from(whole.loss), { rtol: 1e-5, label: "loss" });
      // float32 sums in another order: relative to each value, floored at 1e-5 of the largest
      const gMax = whole.grads.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
      assertClose(Array.from(sliced.grads), Array.from(whole.grads), {
        rtol: 1e-4,
        atol: 1e-5 * gMax,
        label: "gradients",
      });
      assert(gMax > 0, "the step has gradients");
      // One Adam step after the slices: a weight moves by lr·ĝ/(|ĝ| + ε) against its (clipped)
      // gradient ĝ, so by at most lr, and by nearly lr wherever the gradient is not tiny. (Not
      // compared weight by weight: where |ĝ| is near ε, rounding-level gradient differences
      // become visible weight differences; the gradients are compared above.)
      const lr = cfg.train.lr;
      let stepped = 0;
      sliced.params.forEach((p, i) => {
        const d = p - flat[i]!, g = whole.grads[i]!;
        assert(Math.abs(d) <= lr * 1.001, `weight ${i} moved ${d} > lr ${lr}`);
        if (Math.abs(g) > 1e-4 * gMax) {
          assert(-d * Math.sign(g) > 0.5 * lr, `weight ${i} (gradient ${g}) moved only ${d}`);
          stepped++;
        }
      });
      assert(stepped > 0, "some weights took an Adam step");
    },
  );
}

gpuTest(
  "train() with maxSlice follows the unsliced run (loss curve and validation)",
  async (device) => {
    const T = 21;
    const data = syntheticTrainingData(400, T, 1 + Math.floor(Math.random() * 1000), 150);
    const cfg = resolveConfig("gru", "tiny", T, { epochs: 2, batch: 128, seed: 5, lr: 1e-3 });
    const notes: string[] = [];
    const whole = await train(device, data, cfg);
    const sliced = await train(device, data, cfg, { maxSlice: 64, onNote: (m) => notes.push(m) });
    assertEquals(notes.length, 1);
    assert(notes[0]!.includes("slices of 64"), notes[0]);
    // summation-order differences stay near rounding level (a slice's wrong scale would be ≥ 2×)
    assertClose(sliced.stepLosses, whole.stepLosses, { rtol: 1e-3, label: "step losses" });
    assertClose(sliced.log.map((e) => e.val_loss), whole.log.map((e) => e.val_loss), {
      rtol: 1e-3,
      label: "validation",
    });
  },
);
