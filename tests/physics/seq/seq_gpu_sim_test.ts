/**
 * The batched f32 `.seq` kernels (seq_expm, seq_compose, seq_walk) against the float64
 * reference (seq_cpu_sim.ts): fresh random models on the small 1.3/1.4 test protocol, the
 * chunking, and pulseq-cest's shaped APTw example.
 */
import { assertEquals } from "../../_assert.ts";
import { assertClose, gpuTest } from "../../_util.ts";
import { loadModelSync } from "../../../src/physics/model_yaml.ts";
import { parseSeq } from "../../../src/physics/seq/seq_file.ts";
import { buildTimeline } from "../../../src/physics/seq/seq_timeline.ts";
import { simulateSeqCpu } from "../../../src/physics/seq/seq_cpu_sim.ts";
import { simulateSeqGpu } from "../../../src/physics/seq/seq_gpu_sim.ts";
import { seqProtocol } from "../../../src/physics/seq/seq_spectrum.ts";
import type { SeqSimSettings } from "../../../src/physics/seq/seq_settings.ts";
import { BMSIM } from "../../fixtures/mod.ts";
import { randomModel } from "../_random_model.ts";
import { pulseTrainSeq, seqV13, seqV14, seqV14TimeShaped } from "./_seq_text.ts";

// f32 propagators in F form: measured ≤ ~1e-6 on these protocols (lavapipe)
const ATOL = 2e-5;

gpuTest(
  "simulateSeqGpu() matches the float64 reference on fresh random models (1.3, 1.4 and time-shaped 1.4 protocol), within 2e-5",
  async () => {
    const models = [
      randomModel({ pools: 1 }),
      randomModel({ pools: 2 }),
      randomModel({ pools: 3 }),
    ];
    const settings: SeqSimSettings = {
      resetInitMag: Math.random() < 0.5,
      scale: 0.3 + Math.random(),
      maxPulseSamples: 100,
    };
    for (const text of [seqV13(), seqV14(), seqV14TimeShaped()]) {
      const timeline = buildTimeline(parseSeq(text, "t.seq"), settings);
      const got = await simulateSeqGpu(models, timeline, settings);
      // chunked: one interval per batch, two operations per walk dispatch
      const chunked = await simulateSeqGpu(models, timeline, settings, {
        batchIntervals: 1,
        opsPerDispatch: 2,
      });
      models.forEach((m, i) => {
        const want = simulateSeqCpu(m, timeline, settings);
        const r = assertClose(got[i]!, want, { atol: ATOL, label: `model ${i}` });
        assertClose(chunked[i]!, got[i]!, { atol: 1e-6, label: `chunked ${i}` });
        console.log(`random model ${i}: max |ΔMz| gpu vs f64 = ${r.maxAbs.toExponential(2)}`);
      });
    }
  },
);

gpuTest(
  "simulateSeqGpu() runs models above 19 states (capacity 32) within 2e-5 of float64",
  async () => {
    const models = [randomModel({ pools: 7 }), randomModel({ pools: 2, mt: false })];
    const settings: SeqSimSettings = { resetInitMag: true, scale: 1, maxPulseSamples: 100 };
    const timeline = buildTimeline(parseSeq(seqV13(), "t.seq"), settings);
    const got = await simulateSeqGpu(models, timeline, settings);
    models.forEach((m, i) => {
      assertClose(got[i]!, simulateSeqCpu(m, timeline, settings), {
        atol: ATOL,
        label: `model ${i}`,
      });
    });
  },
);

gpuTest(
  "simulateSeqGpu() reproduces pulseq-cest's shaped APTw_3T_example within 2e-5",
  async () => {
    const dir = BMSIM + "pulseq-cest/";
    const model = loadModelSync(dir + "GM_3T_example_bmsim.yaml");
    const seqPath = dir + "APTw_3T_example.seq";
    const p = seqProtocol(model, Deno.readTextFileSync(seqPath), seqPath);
    const want = Deno.readTextFileSync(dir + "ZMagAfterStandardProtocol.csv").trim().split(/\r?\n/)
      .slice(1).map((l) => Number(l.split(",")[1]));
    const t0 = performance.now();
    const [got] = await simulateSeqGpu([model], p.timeline, p.settings);
    assertEquals(got!.length, 41);
    const r = assertClose(got!, want, { atol: ATOL, label: "APTw_3T_example gpu" });
    console.log(
      `APTw_3T_example gpu: max |ΔMz| = ${r.maxAbs.toExponential(2)} (${
        (performance.now() - t0).toFixed(0)
      } ms)`,
    );
  },
);

gpuTest(
  "simulateSeqGpu() matches the float64 reference on Gaussian and sinc trains with random 2–7-pool models, within 2e-5",
  async () => {
    const offsetsPpm = Array.from({ length: 5 }, () => -5 + 10 * Math.random());
    const models = [2, 4, 7].map((pools) => randomModel({ pools, b0T: 3 }));
    const settings: SeqSimSettings = { resetInitMag: true, scale: 1, maxPulseSamples: 100 };
    const train = { offsetsPpm, pulses: 2 + Math.floor(3 * Math.random()), b1UT: 2, tpMs: 8 };
    const timelineOf = (shape: "block" | "gauss" | "sinc") =>
      buildTimeline(parseSeq(pulseTrainSeq({ ...train, shape }), `${shape}.seq`), settings);
    const block = simulateSeqCpu(models[0]!, timelineOf("block"), settings);
    for (const shape of ["gauss", "sinc"] as const) {
      const timeline = timelineOf(shape);
      const got = await simulateSeqGpu(models, timeline, settings);
      models.forEach((m, i) => {
        const want = simulateSeqCpu(m, timeline, settings);
        if (i === 0) {
          // the shape matters: the same train of block pulses saturates otherwise
          const d = Math.max(...want.map((v, k) => Math.abs(v - block[k]!)));
          assertEquals(d > 1e-3, true, `${shape} differs from block by ${d}`);
        }
        const r = assertClose(got[i]!, want, { atol: ATOL, label: `${shape} model ${i}` });
        console.log(`${shape}, ${m.cest.length} pools: max |ΔMz| = ${r.maxAbs.toExponential(2)}`);
      });
    }
  },
);

gpuTest(
  "simulateSeqGpu() spoils every pool's transverse magnetisation (register and scratch paths), within 2e-5 of float64",
  async () => {
    // large, slowly relaxing pools and no reset after the readout: a pool whose x or y
    // survived a spoiler would carry into the next offset's train and feed water
    const model = randomModel({ pools: 5, mt: false, b0T: 3 });
    model.cest.forEach((p) =>
      Object.assign(p, { f: 0.1 + 0.1 * Math.random(), kPerS: 50, t2S: 0.05, dwPpm: 0.5 })
    );
    const settings: SeqSimSettings = { resetInitMag: false, scale: 1, maxPulseSamples: 100 };
    const offsetsPpm = Array.from({ length: 4 }, () => -4 + 8 * Math.random());
    const seq = pulseTrainSeq({ offsetsPpm, pulses: 2, b1UT: 4, tpMs: 4, trecS: 0.01 });
    const timeline = buildTimeline(parseSeq(seq, "spoil.seq"), settings);
    const want = simulateSeqCpu(model, timeline, settings);
    for (const scratch of [false, true]) {
      const [got] = await simulateSeqGpu([model], timeline, settings, { scratch });
      const r = assertClose(got!, want, { atol: ATOL, label: scratch ? "scratch" : "register" });
      console.log(`${scratch ? "scratch" : "register"}: max |ΔMz| = ${r.maxAbs.toExponential(2)}`);
    }
  },
);

for (
  const [name, seq, txt] of [
    [
      "APTw_3T_000 (one 2 s block pulse)",
      "APTw_3T_000_2uT_1block_2s_braintumor__at_8db2433.seq",
      "M_z_APTw_3T_000_2uT_1block_2s_braintumor__at_8db2433.txt",
    ],
    [
      "WASABI_3T_001 (one 5 ms block pulse)",
      "WASABI_3T_001_3p7uT_1block_5ms__at_8db2433.seq",
      "M_z_WASABI_3T_001_3p7uT_1block_5ms__at_8db2433.txt",
    ],
  ] as const
) {
  gpuTest(`simulateSeqGpu() reproduces pulseq-cest-library's ${name} M_z within 2e-5`, async () => {
    const lib = BMSIM + "pulseq-cest-library/";
    const model = loadModelSync(lib + "WM_3T_default_7pool_bmsim__at_8db2433.yaml");
    const p = seqProtocol(model, Deno.readTextFileSync(lib + seq), seq);
    const want = Deno.readTextFileSync(lib + txt).trim().split(/\r?\n/).map(Number);
    const [got] = await simulateSeqGpu([model], p.timeline, p.settings);
    const r = assertClose(got!, want, { atol: ATOL, label: name });
    console.log(`${name} gpu: max |ΔMz| = ${r.maxAbs.toExponential(2)}`);
  });
}
