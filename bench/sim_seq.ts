/**
 * The pulsed simulation case of `deno task bench sim`: pulseq-cest's shaped APTw_3T_example
 * (tests/fixtures/bmsim/pulseq-cest; 41 readouts, each after 20 Gaussian-like pulses of
 * 50 ms, resampled to at most 100 samples as in a pulsed dataset), many random 19-state
 * tissue models at 3 T: our WGSL path (`simulateSeqGpu`, f32) vs our float64 CPU reference
 * (`simulateSeqCpu`) vs a SciPy loop (bench/sim_python.py --pulsed: scipy.linalg.expm per
 * interval of each distinct pulse, composed once per model, then the walk) — agreement with
 * the float64 reference first, spectra/s (one spectrum = one model's 41 readouts) and their
 * ratios in the notes. The CPU and SciPy columns are measured on a few models and scaled to
 * the case's N (both are loops over models).
 * @module
 */
import { encodeSafetensors } from "../src/data/safetensors.ts";
import { bmSystem, stateLayout } from "../src/physics/bm_matrix.ts";
import type { TissueModel } from "../src/physics/model.ts";
import { parseSeq } from "../src/physics/seq/seq_file.ts";
import { buildTimeline, type SeqTimeline } from "../src/physics/seq/seq_timeline.ts";
import { initialMagnetization, rfSystem, simulateSeqCpu } from "../src/physics/seq/seq_cpu_sim.ts";
import { simulateSeqGpu, timelineOps } from "../src/physics/seq/seq_gpu_sim.ts";
import { seqIntervalKey } from "../src/physics/seq/seq_gpu_maps.ts";
import { DATASET_SEQ_SETTINGS } from "../src/physics/seq/seq_pairs.ts";
import { isSoftwareDevice } from "../src/gpu/device.ts";
import {
  type BenchCase,
  type BenchContext,
  checkAgree,
  finishCase,
  type ImplResult,
  logResult,
  type Timing,
} from "./harness.ts";
import { benchModel, findPython } from "./sim_python.ts";

const SEQ = new URL(
  "../tests/fixtures/bmsim/pulseq-cest/APTw_3T_example.seq",
  import.meta.url,
).pathname;

/** Times `run` once warm (the first call given) and `runs` more times. */
async function _timeFew(run: () => Promise<unknown>, firstMs: number, runs: number) {
  const runsMs: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await run();
    runsMs.push(performance.now() - t0);
  }
  const s = [...runsMs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const medianMs = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return {
    medianMs,
    minMs: s[0]!,
    maxMs: s[s.length - 1]!,
    runsMs,
    iters: 1,
    firstMs,
  } as Timing;
}

/** The events of a timeline up to its k-th readout. */
function _firstReadouts(tl: SeqTimeline, k: number): SeqTimeline {
  let seen = 0;
  const end = tl.events.findIndex((ev) => ev.kind === "adc" && ++seen === k);
  if (end < 0) return tl;
  return {
    ...tl,
    events: tl.events.slice(0, end + 1),
    adcCount: k,
    adcFreqHz: tl.adcFreqHz.slice(0, k),
  };
}

/** Scales a timing measured on `k` models to `n`. */
function _scaled(t: Timing, k: number, n: number): Timing {
  const f = n / k;
  return {
    ...t,
    medianMs: t.medianMs * f,
    minMs: t.minMs * f,
    maxMs: t.maxMs * f,
    runsMs: t.runsMs.map((x) => x * f),
    firstMs: t.firstMs * f,
  };
}

/**
 * Runs the SciPy loop of bench/sim_python.py on the timeline for `models`.
 * @returns its timing and raw Mz [models × ADCs], or null without python3 + SciPy
 */
async function _scipy(
  models: TissueModel[],
  timeline: SeqTimeline,
  runs: number,
): Promise<{ timing: Timing; z: number[]; versions: string } | null> {
  const py = await findPython();
  if (!py) return null;
  const S = DATASET_SEQ_SETTINGS;
  const { maps, ops } = timelineOps(timeline, S);
  const { n, pools, waterZ } = stateLayout(models[0]!);
  const L = maps.reduce((s, m) => s + m.length, 0), N = models.length;
  const A = new Float64Array(N * L * n * n), C = new Float64Array(N * L * n);
  const t = new Float64Array(L), start = new Float64Array(maps.length);
  const key = new Float64Array(L);
  const keys = new Map<string, number>();
  const length = Float64Array.from(maps, (m) => m.length);
  let j = 0;
  maps.forEach((m, u) => {
    start[u] = j;
    for (const iv of m) {
      const k = seqIntervalKey(iv);
      if (!keys.has(k)) keys.set(k, keys.size);
      key[j] = keys.get(k)!;
      t[j++] = iv.tS;
    }
  });
  const m0 = new Float64Array(N * n);
  models.forEach((model, i) => {
    m0.set(initialMagnetization(model, S), i * n);
    const free = bmSystem(model, 0, 0);
    let k = 0;
    for (const m of maps) {
      for (const iv of m) {
        const s = iv.free ? free : rfSystem(model, iv.ampHz, iv.freqHz, iv.phaseRad);
        A.set(s.A, (i * L + k) * n * n);
        C.set(s.C, (i * L + k) * n);
        k++;
      }
    }
  });
  const opArr = new Float64Array(ops.length * 3);
  ops.forEach((op, i) => opArr.set([op.kind, op.u, op.theta], 3 * i));
  const file = await Deno.makeTempFile({ suffix: ".safetensors" });
  try {
    await Deno.writeFile(
      file,
      encodeSafetensors({
        tensors: {
          A: { data: A, shape: [N, L, n, n] },
          C: { data: C, shape: [N, L, n] },
          t: { data: t, shape: [L] },
          key: { data: key, shape: [L] },
          start: { data: start, shape: [maps.length] },
          length: { data: length, shape: [maps.length] },
          ops: { data: opArr, shape: [ops.length, 3] },
          m0: { data: m0, shape: [N, n] },
        },
        metadata: {
          waterZ: String(waterZ),
          pools: String(pools),
          adcCount: String(timeline.adcCount),
        },
      }),
    );
    const script = new URL("./sim_python.py", import.meta.url).pathname;
    const r = await new Deno.Command(py, {
      args: [script, file, "--pulsed", "--runs", String(runs)],
      env: { OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!r.success) {
      throw new Error(`bench/sim_python.py --pulsed failed: ${new TextDecoder().decode(r.stderr)}`);
    }
    const out = JSON.parse(new TextDecoder().decode(r.stdout));
    const res = out["scipy-expm-loop"];
    return {
      timing: { ...res.timing, iters: 1, firstMs: NaN },
      z: res.z,
      versions: `Python ${out.python}, NumPy ${out.numpy}, SciPy ${out.scipy}`,
    };
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

/**
 * The pulsed case.
 * @param ctx bench context
 * @param n models (default: 2 with --quick, 8 on a software adapter, 256 on hardware)
 */
export async function pulsedCase(ctx: BenchContext, n?: number): Promise<BenchCase> {
  const software = isSoftwareDevice(ctx.device);
  const N = n ?? (ctx.quick ? 2 : software ? 8 : 256);
  const S = DATASET_SEQ_SETTINGS;
  const full = buildTimeline(parseSeq(await Deno.readTextFile(SEQ), "APTw_3T_example.seq"), S);
  // --quick: the first 6 readouts (M0 + 5 offsets) only, to keep the smoke test short
  const timeline = ctx.quick ? _firstReadouts(full, 6) : full;
  const { maps, ops } = timelineOps(timeline, S);
  const intervals = maps.reduce((s, m) => s + m.length, 0);
  const distinct = new Set(maps.flat().map(seqIntervalKey)).size;
  const models = Array.from({ length: N }, () => ({ ...benchModel(), b0T: 3 }));
  const K = timeline.adcCount;
  const c: BenchCase = {
    group: "sim",
    name: "Pulsed .seq spectra (APTw_3T_example: 20 shaped pulses × 41 readouts, 19-state BM)",
    size: `N=${N}`,
    shape:
      `${N} models × ${K} readouts${
        ctx.quick ? ` (--quick: the first ${K} of ${full.adcCount})` : ""
      }; ${maps.length} distinct maps of ${intervals} ` +
      `constant intervals (${distinct} distinct: one expm each), ${ops.length} walk operations per model`,
    // approximate, per model: ~11 products of 20×20 per distinct interval's expm (Taylor 8
    // and squarings) + 1 per interval to compose, one 20×20 matrix-vector product per walk
    // operation
    flops: N * ((distinct * 11 + intervals) * 2 * 20 ** 3 + ops.length * 2 * 20 ** 2),
    bytes: 4 * N * (K + 20),
    results: [],
  };
  // the float64 reference on a few models (agreement first, then its timing)
  const nCpu = Math.min(N, ctx.quick ? 1 : 4);
  const sub = models.slice(0, nCpu);
  const t0 = performance.now();
  const ref = new Float64Array(nCpu * K);
  sub.forEach((m, i) => ref.set(simulateSeqCpu(m, timeline, S), i * K));
  const cpuFirst = performance.now() - t0;

  // the register kernels (≤ 19 states, tuned where matrices in registers pay: lavapipe); on a
  // hardware GPU the storage-scratch kernels too, to see which path suits it
  const gpuPath = async (impl: string, opts: { scratch?: boolean }) => {
    const r: ImplResult = { impl };
    const t0 = performance.now();
    const got = await simulateSeqGpu(models, timeline, S, opts);
    const first = performance.now() - t0;
    r.maxAbsDiff = checkAgree(
      `pulsed ${impl} vs f64 reference`,
      Float64Array.from(got.slice(0, nCpu).flatMap((z) => Array.from(z))),
      ref,
      { atol: 2e-5, rtol: 0 },
    );
    r.timing = await _timeFew(
      () => simulateSeqGpu(models, timeline, S, opts),
      first,
      ctx.quick ? 2 : 5,
    );
    c.results.push(r);
    return r;
  };
  const gpu = await gpuPath("ours (GPU f32)", {});
  const gpuSps = N / (gpu.timing!.medianMs / 1e3);
  if (!software && !ctx.quick) {
    const scr = await gpuPath("ours (GPU f32, scratch kernels)", { scratch: true });
    scr.note = `${(N / (scr.timing!.medianMs / 1e3)).toFixed(2)} spectra/s`;
  }

  const cpu: ImplResult = { impl: "ours (CPU f64)" };
  const cpuT = await _timeFew(
    () => {
      for (const m of sub) simulateSeqCpu(m, timeline, S);
      return Promise.resolve();
    },
    cpuFirst,
    ctx.quick ? 2 : 5,
  );
  cpu.timing = _scaled(cpuT, nCpu, N);
  const cpuSps = nCpu / (cpuT.medianMs / 1e3);
  c.results.push(cpu);

  const nPy = Math.min(N, ctx.quick ? 1 : 4);
  const py = await _scipy(models.slice(0, nPy), timeline, ctx.quick ? 1 : 3);
  let pySps: number | undefined;
  if (!py) {
    c.results.push({ impl: "scipy-expm-loop", skipped: "no python3 with NumPy and SciPy" });
  } else {
    const res: ImplResult = { impl: "scipy-expm-loop", timing: _scaled(py.timing, nPy, N) };
    res.maxAbsDiff = checkAgree(
      "pulsed SciPy vs f64 reference",
      py.z.slice(0, Math.min(nPy, nCpu) * K),
      ref.subarray(0, Math.min(nPy, nCpu) * K),
      { atol: 1e-8, rtol: 0 },
    );
    pySps = nPy / (py.timing.medianMs / 1e3);
    res.note = `${
      pySps.toFixed(2)
    } spectra/s, measured on ${nPy} models, scaled to N=${N}; ${py.versions}`;
    c.results.push(res);
  }
  const ratio = (a: number, b?: number) => b === undefined ? "–" : `${(a / b).toFixed(2)}×`;
  gpu.note = `${gpuSps.toFixed(2)} spectra/s (${N} models per call): ${
    ratio(gpuSps, cpuSps)
  } our f64 CPU, ${ratio(gpuSps, pySps)} SciPy${
    software ? "; software adapter (lavapipe on the same CPU cores)" : ""
  }`;
  cpu.note = `${cpuSps.toFixed(2)} spectra/s, measured on ${nCpu} models, scaled to N=${N}: ${
    ratio(cpuSps, pySps)
  } SciPy`;
  for (const r of c.results) logResult(c, r);
  console.error(`[sim] pulsed: GPU ${gpu.note}; CPU ${cpu.note}`);
  return finishCase(c, ctx.peak);
}
