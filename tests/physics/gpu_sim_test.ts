/**
 * The batched f32 WGSL Bloch–McConnell simulator against float64 references: the BMCTool /
 * scipy-expm reference spectra (tests/fixtures/bmsim/generated/ref7T_cw_zspectra.csv), our CPU
 * reference (cpu_sim.ts) on random draws of the parameter space and on random models and
 * protocols, and chunked vs unchunked runs. Tolerance: max |ΔZ| ≤ 2e-5 (issue 2).
 */
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { assertClose, gpuTest } from "../_util.ts";
import { commonStep, simulatePairsGpu, simulateSpectraGpu } from "../../src/physics/gpu_sim.ts";
import { simulateCpu } from "../../src/physics/cpu_sim.ts";
import { loadModel } from "../../src/physics/model_yaml.ts";
import { defaultParamSpace, modelFromParams, sampleParams } from "../../src/physics/param_space.ts";
import {
  linspaceOffsets,
  paperInputProtocol,
  paperTargetProtocol,
  type Protocol,
} from "../../src/physics/protocol.ts";
import type { TissueModel } from "../../src/physics/model.ts";
import { randomModel } from "./_random_model.ts";
import { BMSIM } from "../fixtures/mod.ts";

const ATOL = 2e-5;
const REF_DIR = BMSIM + "generated/";

Deno.test("commonStep() finds the shared ladder step of 1.5 s and 5 s, and none for incommensurate times", () => {
  assertEquals(commonStep([1.5, 5]), { hS: 0.5, multiples: [3, 10] });
  assertEquals(commonStep([2, 2]), { hS: 2, multiples: [1, 1] });
  assertEquals(commonStep([1, Math.PI]), undefined);
});

gpuTest(
  "simulateSpectraGpu() reproduces the 70 reference spectra of ref7T_cw_zspectra.csv",
  async () => {
    const csv = (await Deno.readTextFile(REF_DIR + "ref7T_cw_zspectra.csv")).trim().split(
      "\n",
    ).slice(1);
    const spectra = new Map<
      string,
      {
        model: string;
        b1: number;
        ts: number;
        init: string;
        td: number;
        off: number[];
        z: number[];
      }
    >();
    for (const line of csv) {
      const [model, b1, ts, init, td, off, z] = line.split(",");
      const key = `${model},${b1},${ts},${init},${td}`;
      const s = spectra.get(key) ??
        {
          model: model!,
          b1: Number(b1),
          ts: ts === "inf" ? Infinity : Number(ts),
          init: init!,
          td: Number(td),
          off: [],
          z: [],
        };
      s.off.push(Number(off));
      s.z.push(Number(z));
      spectra.set(key, s);
    }
    assertEquals(spectra.size, 70);
    const models = new Map<string, TissueModel>();
    for (const s of spectra.values()) {
      if (!models.has(s.model)) {
        models.set(
          s.model,
          await loadModel(`${REF_DIR}${s.model}.yaml`),
        );
      }
    }
    const list = [...spectra.values()];
    const jobs = list.map((s) => ({
      model: models.get(s.model)!,
      protocol: {
        b1UT: s.b1,
        tsS: s.ts,
        start: s.init === "relaxed"
          ? { kind: "relaxed" as const }
          : { kind: "satrec" as const, tdS: s.td },
        preDelayS: 0,
        postDelayS: 0,
        offsetsPpm: s.off,
      },
    }));
    const z = await simulateSpectraGpu(jobs);
    let worst = 0;
    list.forEach((s, i) => {
      const r = assertClose(z[i]!, s.z, {
        atol: ATOL,
        label: `${s.model} B1 ${s.b1} Ts ${s.ts} ${s.init}`,
      });
      worst = Math.max(worst, r.maxAbs);
    });
    console.log(
      `  GPU f32 vs reference CSV: max |ΔZ| ${worst.toExponential(2)} over ${list.length} spectra`,
    );
  },
);

gpuTest(
  "simulatePairsGpu() matches simulateCpu() on 200 random draws of the parameter space (Ts 1.5/5 s and steady state)",
  async () => {
    const space = defaultParamSpace();
    const seed = Math.floor(Math.random() * 2 ** 31);
    const n = 200;
    const models = Array.from(
      { length: n },
      (_, i) => modelFromParams(sampleParams(space, seed, i), space),
    );
    // Every 5th paper offset keeps the float64 reference affordable (≈ 0.1 s per spectrum).
    const offsets = linspaceOffsets(-6, 6, 101).filter((_, i) => i % 5 === 0);
    const b1 = 0.5 + Math.random();
    const input: Protocol = { ...paperInputProtocol(b1), offsetsPpm: offsets };
    const target: Protocol = { ...paperTargetProtocol(b1), offsetsPpm: offsets };
    const steady: Protocol = { ...paperTargetProtocol(b1, true), offsetsPpm: offsets };
    const a = await simulatePairsGpu(models, input, target);
    const b = await simulatePairsGpu(models, input, steady);
    const k = offsets.length;
    const want = {
      in: new Float64Array(n * k),
      tg: new Float64Array(n * k),
      ss: new Float64Array(n * k),
    };
    models.forEach((m, i) => {
      want.in.set(simulateCpu(m, input), i * k);
      want.tg.set(simulateCpu(m, target), i * k);
      want.ss.set(simulateCpu(m, steady), i * k);
    });
    const r1 = assertClose(a.input, want.in, {
      atol: ATOL,
      label: `input Ts 1.5 s (seed ${seed})`,
    });
    const r2 = assertClose(a.target, want.tg, {
      atol: ATOL,
      label: `target Ts 5 s (seed ${seed})`,
    });
    const r3 = assertClose(b.target, want.ss, { atol: ATOL, label: `steady state (seed ${seed})` });
    // With a steady target the ladder step is 1.5 s instead of 0.5 s: same Z within f32 rounding.
    assertClose(b.input, want.in, {
      atol: ATOL,
      label: `input Ts 1.5 s beside a steady target (seed ${seed})`,
    });
    console.log(
      `  GPU f32 vs CPU f64, ${n} draws × ${k} offsets, B1 ${b1.toFixed(2)} µT: max |ΔZ| input ${
        r1.maxAbs.toExponential(2)
      }, ` +
        `target ${r2.maxAbs.toExponential(2)}, steady ${r3.maxAbs.toExponential(2)}`,
    );
  },
);

function _randomProtocol(): Protocol {
  const u = (lo: number, hi: number) => lo + (hi - lo) * Math.random();
  const tsChoices = [0, u(0.05, 0.5), u(0.5, 3), u(3, 10), Infinity];
  return {
    b1UT: u(0.3, 2),
    tsS: tsChoices[Math.floor(Math.random() * tsChoices.length)]!,
    start: Math.random() < 0.5 ? { kind: "relaxed" } : { kind: "satrec", tdS: u(0, 5) },
    preDelayS: Math.random() < 0.5 ? 0 : u(0, 0.5),
    postDelayS: Math.random() < 0.5 ? 0 : u(0, 0.05),
    offsetsPpm: Array.from({ length: 9 }, () => u(-8, 8)),
    m0OffsetPpm: Math.random() < 0.5 ? undefined : -300,
    b0T: Math.random() < 0.3 ? u(3, 11.7) : undefined,
  };
}

gpuTest(
  "simulateSpectraGpu() matches simulateCpu() for 1, 2, 5 and 9 pools with and without MT under random protocols",
  async () => {
    const jobs: { model: TissueModel; protocol: Protocol }[] = [];
    for (const pools of [0, 1, 4, 8]) { // CEST pools besides water: 1, 2, 5, 9 pools in all
      for (const mt of [false, true]) {
        for (let r = 0; r < 3; r++) {
          const model = randomModel({ pools: Math.max(pools, 0), mt });
          if (pools === 0) model.cest = [];
          model.b0InhomPpm = Math.random() < 0.5 ? 0 : (Math.random() - 0.5) * 0.6;
          model.relB1 = 0.8 + 0.4 * Math.random();
          jobs.push({ model, protocol: _randomProtocol() });
        }
      }
    }
    const wants = jobs.map(({ model, protocol }) => simulateCpu(model, protocol));
    // "auto" runs ≤ 19-state models with finite Ts on the register kernel, the rest on the
    // scratch kernel; "scratch" runs everything on the general kernel.
    for (const satKernel of ["auto", "scratch"] as const) {
      const z = await simulateSpectraGpu(jobs, { satKernel });
      let worst = 0;
      jobs.forEach(({ model, protocol }, i) => {
        const label =
          `${satKernel}: ${model.cest.length + 1} pools${
            model.mt ? " + MT" : ""
          }, Ts ${protocol.tsS}, ` +
          `${protocol.start.kind}, pre ${protocol.preDelayS}, post ${protocol.postDelayS}, m0 ${protocol.m0OffsetPpm}`;
        worst = Math.max(worst, assertClose(z[i]!, wants[i]!, { atol: ATOL, label }).maxAbs);
      });
      console.log(
        `  GPU f32 (${satKernel}) vs CPU f64, ${jobs.length} random models/protocols: max |ΔZ| ${
          worst.toExponential(2)
        }`,
      );
    }
  },
);

gpuTest(
  "simulateSpectraGpu() handles the SuperLorentzian MT lineshape like simulateCpu()",
  async () => {
    const model = randomModel({ pools: 2, mt: true, b0T: 3 });
    model.mt!.lineshape = "SuperLorentzian";
    model.mt!.dwPpm = 0;
    const protocol: Protocol = {
      ...paperInputProtocol(1.2),
      offsetsPpm: linspaceOffsets(-6, 6, 25),
    };
    const [z] = await simulateSpectraGpu([{ model, protocol }]);
    assertClose(z!, simulateCpu(model, protocol), { atol: ATOL, label: "SuperLorentzian MT" });
  },
);

gpuTest(
  "simulatePairsGpu() gives identical bytes when work is split into chunks and dispatches",
  async () => {
    const space = defaultParamSpace();
    const seed = Math.floor(Math.random() * 1e6);
    const models = Array.from(
      { length: 11 },
      (_, i) => modelFromParams(sampleParams(space, seed, i), space),
    );
    const input = { ...paperInputProtocol(1), offsetsPpm: linspaceOffsets(-6, 6, 17) };
    const target = { ...paperTargetProtocol(1), offsetsPpm: linspaceOffsets(-6, 6, 17) };
    const whole = await simulatePairsGpu(models, input, target);
    const progress: number[] = [];
    // 3 groups per chunk (4 submissions) and a 400 kB binding limit (the scratch then holds
    // 64 threads, so each chunk needs several dispatches).
    const split = await simulatePairsGpu(models, input, target, {
      maxGroupsPerChunk: 3,
      maxBindingBytes: 400_000,
      onProgress: (d) => progress.push(d),
    });
    assertEquals(progress, [3, 6, 9, 11]);
    assertEquals(new Uint8Array(split.input.buffer), new Uint8Array(whole.input.buffer));
    assertEquals(new Uint8Array(split.target.buffer), new Uint8Array(whole.target.buffer));
    assert(whole.input.every(Number.isFinite));
  },
);

gpuTest(
  "simulateSpectraGpu() rejects models larger than the kernel capacity and stops on abort",
  async () => {
    const big = randomModel({ pools: 11, mt: true });
    await assertRejects(
      () => simulateSpectraGpu([{ model: big, protocol: paperInputProtocol(1) }]),
      /up to 31 state entries/,
    );
    const ctl = new AbortController();
    ctl.abort(new Error("stopped by test"));
    const m = randomModel({ pools: 1 });
    await assertRejects(
      () =>
        simulateSpectraGpu([{ model: m, protocol: paperInputProtocol(1) }], { signal: ctl.signal }),
      /stopped by test/,
    );
  },
);

gpuTest(
  "simulateSpectraGpu() never returns silently wrong spectra past lavapipe's loop limit",
  async () => {
    // Ts = 1e15 s needs ~70 squarings of a 31-state matrix: beyond the 65,535 loop iterations
    // Mesa's software adapter allows per invocation. There it must fail loudly; on a GPU
    // without the limit it must give the steady state.
    const model = randomModel({ pools: 9, mt: true });
    const protocol: Protocol = { ...paperInputProtocol(1), tsS: 1e15, offsetsPpm: [-3, 0.5, 2] };
    let z: Float32Array | undefined;
    try {
      [z] = await simulateSpectraGpu([{ model, protocol }]);
    } catch (e) {
      assert(/65,535 loop iterations/.test((e as Error).message), (e as Error).message);
      assert(e instanceof RangeError);
      return;
    }
    assertClose(z!, simulateCpu(model, { ...protocol, tsS: Infinity }), {
      atol: ATOL,
      label: "Ts 1e15 s vs steady state",
    });
  },
);

gpuTest(
  "simulateSpectraGpu() on the register kernel reaches the steady state at Ts = 1e15 s",
  async () => {
    // ~75 squarings of the 19-state augmented matrix in F form: F must converge, not drift.
    const model = randomModel({ pools: 5, mt: true });
    const protocol: Protocol = {
      ...paperInputProtocol(1),
      tsS: 1e15,
      offsetsPpm: [-3, 0.5, 2, 3.5],
    };
    const [z] = await simulateSpectraGpu([{ model, protocol }]);
    assertClose(z!, simulateCpu(model, { ...protocol, tsS: Infinity }), {
      atol: ATOL,
      label: "register kernel, Ts 1e15 s vs steady state",
    });
  },
);
