/**
 * The Python baselines of the simulation benchmark (bench/sim_python.py): a SciPy `expm`
 * loop and a NumPy batched computation of the same spectra, for the sim bench to call.
 * The Bloch–McConnell matrices come from our bm_matrix.ts (identical physics); the
 * Python side propagates them and its Z is checked against our float64 CPU reference
 * before its timings are used. Skipped cleanly (null) when no python3 with NumPy and SciPy
 * is found (Debian's /usr/bin/python3 is tried first: the pyenv one may lack them).
 *
 * Also {@link simCase}: a complete simulation case (our GPU kernel, our f64 CPU reference,
 * SciPy loop, NumPy batched) that bench/main.ts runs when bench/sim.ts provides none.
 * @module
 */
import { encodeSafetensors } from "../src/data/safetensors.ts";
import { bmSystem, stateLayout } from "../src/physics/bm_matrix.ts";
import { initialState, simulateCpu } from "../src/physics/cpu_sim.ts";
import { simulateSpectraGpu } from "../src/physics/gpu_sim.ts";
import { GAMMA_RAD_PER_S_UT } from "../src/physics/constants.ts";
import type { TissueModel } from "../src/physics/model.ts";
import { paperInputProtocol, type Protocol } from "../src/physics/protocol.ts";
import {
  type BenchCase,
  type BenchContext,
  checkAgree,
  finishCase,
  type ImplResult,
  logResult,
  timeRuns,
  type Timing,
} from "./harness.ts";
import { simFlops } from "./sim_flops.ts";

/** A python3 that imports numpy and scipy, or null. */
export async function findPython(): Promise<string | null> {
  for (const exe of ["/usr/bin/python3", "python3"]) {
    try {
      const r = await new Deno.Command(exe, {
        args: ["-c", "import numpy, scipy"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (r.success) return exe;
    } catch { /* not installed */ }
  }
  return null;
}

/** Python's answer: per implementation, its timing and Z [N·K]. */
export interface PythonSim {
  versions: string;
  results: { impl: string; timing: Timing; z: number[] }[];
}

/**
 * Runs bench/sim_python.py on `models` (all with the same state size) under `protocol`.
 * @returns the timings and spectra, or null without python3 + NumPy + SciPy
 * @throws Error when Python fails
 */
export async function pythonSimBaselines(
  models: TissueModel[],
  protocol: Protocol,
  runs = 5,
): Promise<PythonSim | null> {
  const py = await findPython();
  if (!py) return null;
  const n = stateLayout(models[0]!).n, K = protocol.offsetsPpm.length, N = models.length;
  if (models.some((m) => stateLayout(m).n !== n)) {
    throw new RangeError("pythonSimBaselines needs models of one state size");
  }
  const A = new Float64Array(N * K * n * n), C = new Float64Array(N * K * n);
  const m0 = new Float64Array(N * n), norm = new Float64Array(N);
  models.forEach((model, i) => {
    m0.set(initialState(model, protocol), i * n);
    norm[i] = model.water.f;
    protocol.offsetsPpm.forEach((off, k) => {
      const s = bmSystem(model, protocol.b1UT, off, protocol.b0T ?? model.b0T);
      A.set(s.A, (i * K + k) * n * n);
      C.set(s.C, (i * K + k) * n);
    });
  });
  const file = await Deno.makeTempFile({ suffix: ".safetensors" });
  try {
    await Deno.writeFile(
      file,
      encodeSafetensors({
        tensors: {
          A: { data: A, shape: [N * K, n, n] },
          C: { data: C, shape: [N * K, n] },
          m0: { data: m0, shape: [N, n] },
          norm: { data: norm, shape: [N] },
        },
        metadata: {
          tsS: String(protocol.tsS),
          waterZ: String(stateLayout(models[0]!).waterZ),
          offsets: String(K),
        },
      }),
    );
    const script = new URL("./sim_python.py", import.meta.url).pathname;
    // One BLAS thread: for 19×19 matrices threading only adds overhead (measured here: the
    // SciPy loop was ~30× slower with OpenBLAS' default threads on the loaded 2-core box).
    const env = { OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
    const r = await new Deno.Command(py, {
      args: [script, file, "--runs", String(runs)],
      env,
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    if (!r.success) {
      throw new Error(`bench/sim_python.py failed: ${new TextDecoder().decode(r.stderr)}`);
    }
    const j = JSON.parse(new TextDecoder().decode(r.stdout));
    const results = ["scipy-expm-loop", "numpy-batched"].map((impl) => {
      const t = j[impl].timing;
      return {
        impl,
        z: j[impl].z as number[],
        timing: { ...t, iters: 1, firstMs: NaN } as Timing,
      };
    });
    return { versions: `Python ${j.python}, NumPy ${j.numpy}, SciPy ${j.scipy}`, results };
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

const _u = (lo: number, hi: number) => lo + (hi - lo) * Math.random();

/**
 * A random tissue model: water + `pools` CEST pools + a z-only Lorentzian MT pool (the
 * 7-pool, 19-state size of the seed dataset with pools = 5), fresh each call.
 */
export function benchModel(pools = 5): TissueModel {
  return {
    water: { f: 1, t1S: _u(0.8, 3), t2S: _u(0.02, 0.12) },
    cest: Array.from({ length: pools }, (_, i) => ({
      name: `p${i}`,
      f: 10 ** _u(-4, -2),
      t1S: _u(0.8, 1.5),
      t2S: 10 ** _u(-3, -1.3),
      kPerS: 10 ** _u(1, 3.5),
      dwPpm: _u(-4, 4),
    })),
    mt: {
      f: _u(0.02, 0.15),
      t1S: 1,
      t2S: _u(1e-5, 4e-5),
      kPerS: _u(10, 60),
      dwPpm: _u(-3, 0),
      lineshape: "Lorentzian",
    },
    b0T: 7,
    gammaRadPerSUT: GAMMA_RAD_PER_S_UT,
    b0InhomPpm: 0,
    relB1: 1,
  };
}

/**
 * The simulation case: N random 19-state models × 101 offsets under the paper's input
 * protocol (Ts 1.5 s after Td 4.5 s) — our GPU kernel (f32) vs our float64 CPU reference vs
 * a SciPy expm loop vs NumPy batched. Agreement with the f64 reference is checked first
 * (GPU: |ΔZ| ≤ 1e-4; Python: ≤ 1e-7).
 */
export async function simCase(ctx: BenchContext, N = ctx.quick ? 4 : 32): Promise<BenchCase> {
  const protocol = paperInputProtocol(1);
  const models = Array.from({ length: N }, () => benchModel());
  const K = protocol.offsetsPpm.length, n = stateLayout(models[0]!).n;
  // FLOPs counted from the register kernel the GPU runs (bench/sim_flops.ts): per (model,
  // offset) Taylor (7 products of 20×20) + s squarings to F(Ts) (one ladder level, h = Ts).
  // The other implementations do other work (SciPy: Padé + squarings, in float64); the
  // floor is ours.
  const fl = simFlops(models, protocol.offsetsPpm, protocol.b1UT, protocol.tsS, [1]);
  const c: BenchCase = {
    group: "sim",
    name: "Z-spectra (saturation recovery, 19-state BM)",
    size: `N=${N}`,
    shape: `${N} models × ${K} offsets, n=${n}, Ts 1.5 s, Td 4.5 s; ${
      fl.meanProducts.toFixed(1)
    } products of 20×20 per (model, offset)`,
    flops: fl.flops,
    bytes: 4 * N * (20 + K),
    results: [],
  };
  const refZ = new Float64Array(N * K);
  const t0 = performance.now();
  models.forEach((m, i) => refZ.set(simulateCpu(m, protocol), i * K));
  const cpuFirst = performance.now() - t0;
  const jobs = models.map((model) => ({ model, protocol }));
  const gpu: ImplResult = { impl: "ours (GPU f32)" };
  const flat = (zs: Float32Array[]) => {
    const out = new Float32Array(N * K);
    zs.forEach((z, i) => out.set(z, i * K));
    return out;
  };
  if (ctx.quick) {
    gpu.skipped =
      "--quick: compiling the BM kernels takes ~1–2 min on llvmpipe (measured on the loaded 2-core machine)";
  } else {
    const first = performance.now();
    gpu.maxAbsDiff = checkAgree(
      "GPU sim vs f64 reference",
      flat(await simulateSpectraGpu(jobs)),
      refZ,
      { atol: 1e-4, rtol: 0 },
    );
    gpu.timing = await timeRuns(async (iters) => {
      for (let i = 0; i < iters; i++) await simulateSpectraGpu(jobs);
    }, {
      targetMs: 300,
      maxIters: 8,
      warm: { firstMs: performance.now() - first, compileMs: undefined },
    });
  }
  c.results.push(gpu);
  logResult(c, gpu);
  const cpu: ImplResult = { impl: "ours (CPU f64)" };
  if (cpuFirst * 6 > ctx.budgetMs) {
    cpu.oneCallMs = cpuFirst;
    cpu.skipped = `one call took ${
      (cpuFirst / 1e3).toFixed(1)
    } s; 5 timed runs would exceed the budget`;
  } else {
    cpu.timing = await timeRuns((iters) => {
      for (let i = 0; i < iters; i++) for (const m of models) simulateCpu(m, protocol);
      return Promise.resolve();
    }, { targetMs: 0, maxIters: 1, warm: { firstMs: cpuFirst, oneMs: cpuFirst } });
  }
  c.results.push(cpu);
  logResult(c, cpu);
  const py = await pythonSimBaselines(models, protocol);
  if (!py) {
    c.results.push({ impl: "scipy-expm-loop", skipped: "no python3 with NumPy and SciPy" });
  } else {
    for (const r of py.results) {
      const res: ImplResult = { impl: r.impl, timing: r.timing, note: py.versions };
      res.maxAbsDiff = checkAgree(`${r.impl} vs f64 reference`, r.z, refZ, { atol: 1e-7, rtol: 0 });
      c.results.push(res);
      logResult(c, res);
    }
  }
  return finishCase(c, ctx.peak);
}
