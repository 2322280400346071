/**
 * The simulation benchmark (`deno task bench sim`): the dataset workload — N tissue models
 * drawn from the paper's 20-parameter space, 7 pools (z-only MT, 19 states), 101 offsets,
 * input (Ts 1.5 s after Td 4.5 s) and target (Ts 5 s after Td 1 s) — on the WGSL kernel
 * (`simulatePairsGpu`, one propagator ladder for both Ts) vs our float64 CPU reference
 * (`simulateCpu`, once per protocol) in the same run, with agreement checked first; plus
 * bench/sim_python.ts' case (single protocol vs SciPy / NumPy) when Python is there; and
 * bench/sim_seq.ts' pulsed case (a shaped .seq protocol: GPU vs f64 CPU vs a SciPy loop).
 * Spectra/s are in each result's note. On llvmpipe the "GPU" is the same 2 CPU cores.
 * @module
 */
import { simulateCpu } from "../src/physics/cpu_sim.ts";
import { commonStep, simulatePairsGpu } from "../src/physics/gpu_sim.ts";
import { simFlops } from "./sim_flops.ts";
import { defaultParamSpace, modelFromParams, sampleParams } from "../src/physics/param_space.ts";
import { paperInputProtocol, paperTargetProtocol } from "../src/physics/protocol.ts";
import { compileTimeMs } from "../src/gpu/kernel.ts";
import {
  type BenchCase,
  type BenchContext,
  checkAgree,
  finishCase,
  type ImplResult,
  logResult,
  timeRuns,
} from "./harness.ts";

/**
 * The dataset-workload case: N pairs (2N spectra) on the GPU, a subset on the CPU reference.
 * @param ctx bench context (device, peak, quick)
 * @param n number of models (pairs)
 */
export async function datasetCase(ctx: BenchContext, n = ctx.quick ? 32 : 256): Promise<BenchCase> {
  const space = defaultParamSpace();
  const seed = Math.floor(Math.random() * 2 ** 31);
  const models = Array.from(
    { length: n },
    (_, i) => modelFromParams(sampleParams(space, seed, i), space),
  );
  const input = paperInputProtocol(1), target = paperTargetProtocol(1);
  const K = input.offsetsPpm.length, s = 19;
  // FLOPs counted from the register kernel (bench/sim_flops.ts): per (model, offset) Taylor
  // (7 products of 20×20), s squarings to F(h = 0.5 s) (s from ‖Ã‖∞, 13–15 here), 3 more
  // ladder levels (Ts 1.5 s = 3h, 5 s = 10h), the a·x + b·y after each and 4 ladder steps.
  const step = commonStep([input.tsS, target.tsS])!;
  const fl = simFlops(models, input.offsetsPpm, input.b1UT, step.hS, step.multiples);
  const c: BenchCase = {
    group: "sim",
    name: "Dataset pairs (Ts 1.5 s + Ts 5 s, 7 pools, z-only MT)",
    size: `N=${n}`,
    shape: `${n} models × ${K} offsets × 2 protocols, n=${s}; ${
      fl.meanProducts.toFixed(1)
    } products of 20×20 per (model, offset), squarings ${fl.minSquarings}–${fl.maxSquarings}`,
    flops: fl.flops,
    bytes: 4 * n * (2 * K + 63),
    results: [],
  };
  // Agreement first: the CPU reference on a subset (it costs ~0.1 s per spectrum here).
  const nCpu = Math.min(n, ctx.quick ? 4 : 8);
  const refIn = new Float64Array(nCpu * K), refTg = new Float64Array(nCpu * K);
  const t0 = performance.now();
  for (let i = 0; i < nCpu; i++) {
    refIn.set(simulateCpu(models[i]!, input), i * K);
    refTg.set(simulateCpu(models[i]!, target), i * K);
  }
  const cpuMs = performance.now() - t0;
  const c0 = compileTimeMs();
  const first = performance.now();
  const z = await simulatePairsGpu(models, input, target);
  const firstMs = performance.now() - first;
  const gpu: ImplResult = { impl: "ours (GPU f32)" };
  gpu.maxAbsDiff = Math.max(
    checkAgree("dataset input vs f64", z.input.subarray(0, nCpu * K), refIn, {
      atol: 2e-5,
      rtol: 0,
    }),
    checkAgree("dataset target vs f64", z.target.subarray(0, nCpu * K), refTg, {
      atol: 2e-5,
      rtol: 0,
    }),
  );
  gpu.timing = await timeRuns(async (iters) => {
    for (let i = 0; i < iters; i++) await simulatePairsGpu(models, input, target);
  }, { targetMs: 0, maxIters: 1, runs: 5, warm: { firstMs, compileMs: compileTimeMs() - c0 } });
  gpu.note = `${
    ((2 * n) / (gpu.timing.medianMs / 1e3)).toFixed(1)
  } spectra/s (${n} pairs per call)`;
  c.results.push(gpu);
  logResult(c, gpu);
  const cpu: ImplResult = { impl: "ours (CPU f64)" };
  const perPairMs = cpuMs / nCpu;
  cpu.timing = await timeRuns((iters) => {
    for (let k = 0; k < iters; k++) {
      for (let i = 0; i < nCpu; i++) {
        simulateCpu(models[i]!, input);
        simulateCpu(models[i]!, target);
      }
    }
    return Promise.resolve();
  }, { targetMs: 0, maxIters: 1, runs: 5, warm: { firstMs: cpuMs } });
  // Scale the CPU subset to the case's N so the two columns compare like for like.
  const scale = n / nCpu;
  const t = cpu.timing;
  cpu.timing = {
    ...t,
    medianMs: t.medianMs * scale,
    minMs: t.minMs * scale,
    maxMs: t.maxMs * scale,
    runsMs: t.runsMs.map((x) => x * scale),
  };
  cpu.note =
    `${((2 * nCpu) / (t.medianMs / 1e3)).toFixed(1)} spectra/s, measured on ${nCpu} pairs ` +
    `(first pass ${perPairMs.toFixed(0)} ms/pair) and scaled to N=${n}`;
  c.results.push(cpu);
  logResult(c, cpu);
  console.error(
    `[sim] GPU ${gpu.note}; CPU ${cpu.note}; max |ΔZ| ${gpu.maxAbsDiff.toExponential(2)}`,
  );
  return finishCase(c, ctx.peak);
}

/** Cases of the sim suite, for `--only`: CW dataset pairs, CW vs Python, pulsed .seq. */
export const SIM_CASES = ["dataset", "cw", "pulsed"] as const;

/**
 * The sim suite for bench/main.ts.
 * @param only a subset of {@link SIM_CASES} (default: all)
 */
export async function benchSim(ctx: BenchContext, only?: string[]): Promise<BenchCase[]> {
  const want = (k: string) => !only || only.includes(k);
  const cases = [];
  if (want("dataset")) cases.push(await datasetCase(ctx));
  if (want("cw")) {
    const { simCase } = await import("./sim_python.ts");
    cases.push(await simCase(ctx, 16));
  }
  if (want("pulsed")) {
    const { pulsedCase } = await import("./sim_seq.ts");
    cases.push(await pulsedCase(ctx));
  }
  return cases;
}
