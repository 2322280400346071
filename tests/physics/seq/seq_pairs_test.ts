/**
 * Pulsed pairs for datasets (seq_pairs.ts): columns and M0 normalisation, the steady
 * target's convergence, mismatched target files, and the GPU pairs against the float64
 * reference on fresh random tissue.
 */
import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import { assertClose, gpuTest } from "../../_util.ts";
import { generateDataset } from "../../../src/data/dataset.ts";
import {
  defaultParamSpace,
  modelFromParams,
  sampleParams,
} from "../../../src/physics/param_space.ts";
import { GAMMA_RAD_PER_S_UT } from "../../../src/physics/constants.ts";
import { parseSeq } from "../../../src/physics/seq/seq_file.ts";
import { buildTimeline } from "../../../src/physics/seq/seq_timeline.ts";
import { simulateSeqCpu } from "../../../src/physics/seq/seq_cpu_sim.ts";
import {
  autoSeqDevice,
  DATASET_SEQ_SETTINGS,
  seqPairs,
  sha256Hex,
  steadyTimeline,
} from "../../../src/physics/seq/seq_pairs.ts";
import { pulseTrainSeq } from "./_seq_text.ts";

const OPTS = { gammaRadPerSUT: GAMMA_RAD_PER_S_UT, b0T: 3 };
const SPACE = { ...defaultParamSpace(), b0T: 3 };
const TEXT = pulseTrainSeq({ offsetsPpm: [-3.5, 0, 3.5], pulses: 3 });
const freshSeed = () => 1 + Math.floor(Math.random() * 1e6);

Deno.test("seqPairs(): columns are the non-M0 ADCs divided by the M0 row; metadata names the file and its hash", async () => {
  const p = seqPairs({ name: "a.seq", text: TEXT }, {
    name: "b.seq",
    text: pulseTrainSeq({ offsetsPpm: [-3.5, 0, 3.5], pulses: 6 }),
  }, { ...OPTS, device: "cpu" });
  assertClose(p.offsetsPpm, [-3.5, 0, 3.5], { atol: 1e-6 });
  assertEquals(p.b0T, 3);
  assertEquals(p.protocol.input.sha256, sha256Hex(TEXT));
  assertEquals(p.protocol.input.file, "a.seq");
  assertEquals(p.protocol.target.file, "b.seq");
  const model = modelFromParams(sampleParams(SPACE, freshSeed(), 0), SPACE);
  const { input } = await p.simulate([model]);
  const mz = simulateSeqCpu(
    model,
    buildTimeline(parseSeq(TEXT, "a.seq"), DATASET_SEQ_SETTINGS),
    DATASET_SEQ_SETTINGS,
  );
  assertClose(input, [mz[1]! / mz[0]!, mz[2]! / mz[0]!, mz[3]! / mz[0]!], { atol: 1e-6 });
});

Deno.test("seqPairs(): the steady target has converged (20 s vs 40 s of train within 1e-4) and differs from the input", async () => {
  const models = [0, 1].map((i) => modelFromParams(sampleParams(SPACE, freshSeed(), i), SPACE));
  const run = (steadyS: number) =>
    seqPairs({ name: "a.seq", text: TEXT }, { steadyS }, { ...OPTS, device: "cpu" }).simulate(
      models,
    );
  const a = await run(20), b = await run(40);
  const d = assertClose(a.target, b.target, { atol: 1e-4, label: "steady 20 s vs 40 s" });
  console.log(`steady target, 20 s vs 40 s of train: max |ΔZ| = ${d.maxAbs.toExponential(2)}`);
  assertEquals(a.input, b.input);
  assert(a.target.some((v, i) => Math.abs(v - a.input[i]!) > 1e-2), "steady = input");
  // the repeated train: 3 pulses per readout become ⌈10 s / 30 ms⌉ × 3
  const tl = buildTimeline(parseSeq(TEXT, "a.seq"), DATASET_SEQ_SETTINGS);
  const st = steadyTimeline(tl, 10);
  const pulses = (t: typeof tl) => t.events.filter((e) => e.kind === "pulse").length;
  assertEquals(pulses(tl), 12);
  assertEquals(pulses(st), 4 * 3 * Math.ceil(10 / 0.03 - 1e-9));
  assertEquals(st.adcCount, tl.adcCount);
});

Deno.test("autoSeqDevice(): a hardware GPU; a software adapter only for models of ≤ 19 states", () => {
  const space = defaultParamSpace(); // 6 solute pools, z-only MT: 19 states
  assertEquals(autoSeqDevice(null, space), "cpu");
  assertEquals(autoSeqDevice({ isSoftware: false }, space), "gpu");
  assertEquals(autoSeqDevice({ isSoftware: true }, space), "gpu");
  const full = { ...space, mtForm: "xyz" as const }; // MT as an x, y, z pool: 21 states
  assertEquals(autoSeqDevice({ isSoftware: true }, full), "cpu");
  assertEquals(autoSeqDevice({ isSoftware: false }, full), "gpu");
});

Deno.test("seqPairs(): a target with other offsets or another B0 is an InputError naming it", () => {
  assertThrows(
    () =>
      seqPairs({ name: "a.seq", text: TEXT }, {
        name: "b.seq",
        text: pulseTrainSeq({ offsetsPpm: [-3.5, 3.5], pulses: 3 }),
      }, { ...OPTS, device: "cpu" }),
    /^b\.seq: its 2 spectrum offsets differ/,
  );
  assertThrows(
    () =>
      seqPairs({ name: "a.seq", text: TEXT }, {
        name: "b.seq",
        text: pulseTrainSeq({ offsetsPpm: [-3.5, 0, 3.5], pulses: 3, b0T: 7 }),
      }, { ...OPTS, device: "cpu" }),
    /^b\.seq: B0 7 T differs/,
  );
});

Deno.test("seqPairs(): the float64 path on workers gives the same bytes as on one thread", async () => {
  const models = Array.from(
    { length: 5 },
    (_, i) => modelFromParams(sampleParams(SPACE, freshSeed(), i), SPACE),
  );
  const make = (workers: number) =>
    seqPairs({ name: "a.seq", text: TEXT }, { steadyS: 2 }, {
      ...OPTS,
      device: "cpu",
      workers,
      chunkModels: 2,
    });
  const one = await make(1).simulate(models);
  let progress = 0;
  const two = await make(2).simulate(models, { onProgress: (d) => progress = d });
  assertEquals(two.input, one.input);
  assertEquals(two.target, one.target);
  assertEquals(progress, 5);
});

gpuTest(
  "pulsed dataset on the GPU matches the float64 CPU reference on fresh random tissue (steady and .seq targets)",
  async () => {
    const seed = freshSeed();
    for (
      const target of [{ steadyS: 5 }, {
        name: "b.seq",
        text: pulseTrainSeq({ offsetsPpm: [-3.5, 0, 3.5], pulses: 5, b1UT: 0.6 }),
      }]
    ) {
      const make = (device: "gpu" | "cpu") =>
        generateDataset({
          n: 3,
          seed,
          space: SPACE,
          pairs: seqPairs({ name: "a.seq", text: TEXT }, target, { ...OPTS, device }),
        });
      const [g, c] = [await make("gpu"), await make("cpu")];
      assertEquals(g.params, c.params);
      const di = assertClose(g.input, c.input, { atol: 1e-4, label: "input" });
      const dt = assertClose(g.target, c.target, { atol: 1e-4, label: "target" });
      console.log(
        `seed ${seed}: GPU vs f64 max |ΔZ| input ${di.maxAbs.toExponential(2)}, target ${
          dt.maxAbs.toExponential(2)
        }`,
      );
    }
  },
);
