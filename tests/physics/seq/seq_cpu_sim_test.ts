/**
 * The float64 `.seq` simulator: pulseq-cest's own outputs (CW block, WASABI, shaped APTw
 * example), the timeline semantics against a hand-written propagation, and the phase
 * rotation shortcut against simulating the phase in the matrix.
 */
import { assert, assertEquals } from "../../_assert.ts";
import { assertClose } from "../../_util.ts";
import { loadModelSync } from "../../../src/physics/model_yaml.ts";
import { propagate } from "../../../src/physics/cpu_sim.ts";
import { bmSystem, equilibrium, stateLayout } from "../../../src/physics/bm_matrix.ts";
import type { TissueModel } from "../../../src/physics/model.ts";
import { parseSeq } from "../../../src/physics/seq/seq_file.ts";
import { buildTimeline, type PulseShape } from "../../../src/physics/seq/seq_timeline.ts";
import { seqSimSettings } from "../../../src/physics/seq/seq_settings.ts";
import {
  rfSystem,
  rotateTransverse,
  simulateSeqCpu,
} from "../../../src/physics/seq/seq_cpu_sim.ts";
import { seqProtocol, simulateSeqSpectrumCpu } from "../../../src/physics/seq/seq_spectrum.ts";
import { BMSIM } from "../../fixtures/mod.ts";
import { randomModel } from "../_random_model.ts";
import { seqV13, seqV14 } from "./_seq_text.ts";

const LIB = BMSIM + "pulseq-cest-library/";
const WM = LIB + "WM_3T_default_7pool_bmsim__at_8db2433.yaml";

function lines(path: string): number[] {
  return Deno.readTextFileSync(path).trim().split(/\r?\n/).map(Number);
}

function run(seqPath: string, modelPath: string) {
  const model = loadModelSync(modelPath);
  const protocol = seqProtocol(model, Deno.readTextFileSync(seqPath), seqPath, modelPath);
  const t0 = performance.now();
  const out = simulateSeqSpectrumCpu(model, protocol);
  return { ...out, ms: performance.now() - t0 };
}

for (
  const [name, seq, txt, atol] of [
    [
      "CW block APTw_3T_000",
      "APTw_3T_000_2uT_1block_2s_braintumor__at_8db2433.seq",
      "M_z_APTw_3T_000_2uT_1block_2s_braintumor__at_8db2433.txt",
      1e-10,
    ],
    [
      "WASABI_3T_001",
      "WASABI_3T_001_3p7uT_1block_5ms__at_8db2433.seq",
      "M_z_WASABI_3T_001_3p7uT_1block_5ms__at_8db2433.txt",
      1e-10,
    ],
  ] as const
) {
  Deno.test(`simulateSeqCpu() reproduces pulseq-cest's ${name} M_z to ${atol}`, () => {
    const want = lines(LIB + txt);
    const got = run(LIB + seq, WM);
    assertEquals(got.z.length, want.length);
    const r = assertClose(got.z, want, { atol, label: name });
    console.log(`${name}: max |ΔMz| = ${r.maxAbs.toExponential(2)} (${got.ms.toFixed(0)} ms)`);
  });
}

Deno.test("simulateSeqCpu() reproduces pulseq-cest's shaped APTw_3T_example (ZMagAfterStandardProtocol) to 1e-8", () => {
  const dir = BMSIM + "pulseq-cest/";
  const rows = Deno.readTextFileSync(dir + "ZMagAfterStandardProtocol.csv").trim().split(/\r?\n/);
  assertEquals(rows[0], "offset_ppm,Mz_water_raw");
  const want = rows.slice(1).map((l) => Number(l.split(",")[1]));
  const wantOffsets = rows.slice(1).map((l) => Number(l.split(",")[0]));
  const got = run(dir + "APTw_3T_example.seq", dir + "GM_3T_example_bmsim.yaml");
  assertEquals(got.offsetsPpm, wantOffsets);
  const r = assertClose(got.z, want, { atol: 1e-8, label: "APTw_3T_example" });
  console.log(
    `APTw_3T_example (shaped): max |ΔMz| = ${r.maxAbs.toExponential(2)} (${got.ms.toFixed(0)} ms)`,
  );
});

/** The small test protocol propagated by hand with cpu_sim.ts's `propagate`. */
function byHand(model: TissueModel, scale: number, reset: boolean): number[] {
  const { pools, waterZ } = stateLayout(model);
  const free = bmSystem(model, 0, 0);
  const f = (m: Float64Array, t: number) => propagate(free.A, free.C, m, t);
  const rf = (m: Float64Array, amp: number, freq: number, phase: number, t: number) => {
    const { A, C } = rfSystem(model, amp, freq, phase);
    return propagate(A, C, m, t);
  };
  const init = equilibrium(model).map((v) => v * scale);
  let m: Float64Array = Float64Array.from(init);
  m = f(m, 100e-6);
  m = rf(m, Math.fround(40), Math.fround(-250), 0, 1000e-6);
  m = f(m, 30e-6);
  m = f(m, 870e-6); // rest of the 2 ms block
  m = f(m, 6.5e-3);
  m.fill(0, 0, 2 * pools);
  const adc1 = m[waterZ]!;
  if (reset) m = Float64Array.from(init);
  // pulse 1 turned the frame by trunc(1 ms · 360° · −250 Hz) = −90°
  const theta = Math.fround(0.5) - Math.fround(-Math.PI / 2);
  const quarter = Math.fround(0.25 * Math.fround(2 * Math.PI)); // phase shape 0.25 × 2π, float32
  const steps: [number, number, number][] = [
    [0.5, 0, 200e-6],
    [1, 0, 50e-6],
    [1, quarter, 150e-6],
    [0.25, quarter, 100e-6],
  ];
  for (const [mag, ph, t] of steps) m = rf(m, mag * 60, 127.5, theta - ph, t);
  m = f(m, 400e-6); // one-axis gradient: free
  return [adc1, m[waterZ]!];
}

Deno.test("simulateSeqCpu(): the timeline (dead time, samples with phase, ring-down, spoiler, scale, reset) matches a hand propagation, Pulseq 1.3 and 1.4", () => {
  for (let trial = 0; trial < 3; trial++) {
    const model = randomModel({ pools: 1 + trial });
    const scale = 0.3 + Math.random();
    const reset = trial !== 1;
    model.extra = { scale, reset_init_mag: reset };
    const settings = seqSimSettings(model);
    const want = byHand(model, scale, reset);
    for (const text of [seqV13(), seqV14()]) {
      const got = simulateSeqCpu(model, buildTimeline(parseSeq(text, "t.seq"), settings), settings);
      assertClose(got, want, { atol: 1e-12, rtol: 1e-10, label: `trial ${trial}` });
    }
  }
});

Deno.test("rotating the transverse plane by θ around a phase-0 pulse equals the pulse with phase θ (random models)", () => {
  for (let trial = 0; trial < 4; trial++) {
    const model = randomModel();
    const { n, pools } = stateLayout(model);
    const m0 = Float64Array.from({ length: n }, () => Math.random() - 0.5);
    const theta = 2 * Math.PI * Math.random();
    const amp = 10 + 200 * Math.random(), freq = 2000 * (Math.random() - 0.5);
    const t = 1e-4 + 5e-3 * Math.random();
    const direct = propagate(
      ...Object.values(rfSystem(model, amp, freq, theta)) as [
        Float64Array,
        Float64Array,
      ],
      m0,
      t,
    );
    const sys0 = rfSystem(model, amp, freq, 0);
    const m = Float64Array.from(m0);
    rotateTransverse(m, pools, -theta);
    const e = propagate(sys0.A, sys0.C, m, t);
    rotateTransverse(e, pools, theta);
    assertClose(e, direct, { atol: 1e-12, label: `trial ${trial}` });
  }
});

Deno.test("pulse shapes: one affine map per shape reproduces the sample-by-sample propagation", () => {
  const model = randomModel({ pools: 2 });
  const shape: PulseShape = {
    key: "test",
    magnitude: Float64Array.of(0.2, 1, 0.6, 0),
    phaseRad: Float64Array.of(0, 0.3, -1, 2),
    durationS: Float64Array.of(1e-3, 2e-3, 5e-4, 1e-3),
    lengthS: 4.5e-3,
    lengthUs: 4500,
    ringdownS: 2e-5,
    shapeS: 4.52e-3,
  };
  const settings = seqSimSettings(model);
  const timeline = {
    adcCount: 1,
    adcFreqHz: [300],
    events: [
      {
        kind: "pulse" as const,
        shape,
        ampHz: 80,
        freqHz: 300,
        phaseRad: 0.7,
        deadTimeS: 1e-4,
        tailS: 0,
      },
      {
        kind: "pulse" as const,
        shape,
        ampHz: 80,
        freqHz: 300,
        phaseRad: -0.2,
        deadTimeS: 1e-4,
        tailS: 0,
      },
      { kind: "adc" as const, index: 0 },
    ],
  };
  const got = simulateSeqCpu(model, timeline, settings)[0]!;
  const free = bmSystem(model, 0, 0);
  let m: Float64Array = equilibrium(model);
  for (const theta of [0.7, -0.2]) {
    m = propagate(free.A, free.C, m, 1e-4);
    for (let k = 0; k < 4; k++) {
      const { A, C } = rfSystem(model, 80 * shape.magnitude[k]!, 300, theta - shape.phaseRad[k]!);
      m = propagate(A, C, m, shape.durationS[k]!);
    }
    m = propagate(free.A, free.C, m, 2e-5);
  }
  assertClose([got], [m[stateLayout(model).waterZ]!], { atol: 1e-12 });
});

Deno.test("Pulseq 1.4 time-shaped pulses: BMCTool's WASABI example, with BMCTool's timeline, to 1e-6", () => {
  // BMCTool (a Python port of pulseq-cest) reads Pulseq 1.4 files with pypulseq but skips the
  // RF dead time and the rest of the RF block; with those two removed the timelines agree.
  const dir = BMSIM + "BMCTool/";
  const model = loadModelSync(dir + "config_1pool.yaml");
  const p = seqProtocol(model, Deno.readTextFileSync(dir + "WASABI.seq"), "WASABI.seq");
  assertEquals(p.seq.version.minor, 4);
  const events = p.timeline.events.map((e) =>
    e.kind === "pulse" ? { ...e, deadTimeS: 0, tailS: 0 } : e
  );
  const pulse = events.find((e) => e.kind === "pulse")!;
  assert(pulse.kind === "pulse");
  assertEquals(pulse.shape.magnitude.length, 1); // two points 0 and 5000 µs → one 5 ms sample
  assertEquals(pulse.shape.lengthS.toFixed(9), "0.005000000");
  const got = simulateSeqCpu(model, { ...p.timeline, events }, p.settings);
  const want = lines(dir + "example_results.txt");
  const r = assertClose(got, want, { atol: 1e-6, label: "BMCTool example" });
  console.log(`BMCTool WASABI example (1.4): max |ΔMz| = ${r.maxAbs.toExponential(2)}`);
});
