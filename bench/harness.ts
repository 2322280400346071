/**
 * The benchmark harness: timing, agreement checks and napkin math shared by every
 * benchmark in bench/.
 *
 * Method (issue 6):
 * - every implementation is run once before timing (warm-up); for our kernels the shader
 *   compile time of that first run is read from {@link compileTimeMs} and reported
 *   separately, for tfjs the first call's time (its compile included) is reported;
 * - then ≥ 5 timed runs; each run repeats the operation `iters` times (chosen so a run
 *   lasts ≥ `targetMs`, amortising the ≥ 10 ms GPU wait of the software adapter) and ends
 *   only when the GPU work has finished (`onSubmittedWorkDone`); the reported time is per
 *   iteration: median, min and max over the runs;
 * - outputs of every implementation are compared with ours BEFORE anything is timed
 *   ({@link checkAgree} throws, the benchmark fails loudly);
 * - napkin math: each case states its FLOPs and minimum bytes; the floor is
 *   max(FLOPs / peak FLOP/s, bytes / peak bytes/s) with the peaks measured on this
 *   adapter ({@link measurePeak}: our best matmul, a large buffer copy).
 * @module
 */
import { compileTimeMs } from "../src/gpu/kernel.ts";
import { storageBuffer, uploadBuffer } from "../src/gpu/buffers.ts";
import { matmul } from "../src/nn/dense.ts";

/** Median, min and max (ms per iteration) of the timed runs. */
export interface Timing {
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Per-iteration ms of every timed run. */
  runsMs: number[];
  /** Operation repeats per timed run. */
  iters: number;
  /** Wall time of the warm-up (first) call, ms, compile included. */
  firstMs: number;
  /** Shader compile time of our kernels during the warm-up, ms (undefined for tfjs). */
  compileMs?: number;
}

/** One implementation's result in a benchmark case. */
export interface ImplResult {
  /** "ours", "tfjs-webgpu", "tfjs-cpu", "cpu-f64", "scipy-expm", ... */
  impl: string;
  timing?: Timing;
  /** Why it was not timed (too slow here, does not fit, API missing). */
  skipped?: string;
  /** When skipped for time: the wall time of one call after the first, ms (no statistics). */
  oneCallMs?: number;
  /** Max |ours − this| over the compared outputs (the agreement check). */
  maxAbsDiff?: number;
  /** Achieved FLOP/s (FLOPs / median time). */
  flopsPerS?: number;
  /** Floor time / median time (fraction of the adapter's measured peak). */
  fractionOfPeak?: number;
  /** Free-form note (e.g. which gradients were compared). */
  note?: string;
}

/** One benchmark case: an operation at one size, run by several implementations. */
export interface BenchCase {
  /** "layers", "train", "infer", "sim". */
  group: string;
  /** e.g. "lstm fwd+bwd". */
  name: string;
  /** "tiny", "default", "paper", or a free label. */
  size: string;
  /** Human-readable shape, e.g. "B=256 T=101 C=16 H=32". */
  shape: string;
  /** Floating-point operations per iteration (multiply-add = 2). */
  flops: number;
  /** Minimum bytes that must move per iteration (inputs read once, outputs written once). */
  bytes: number;
  /** Lower bound time at the measured peaks, ms. */
  floorMs?: number;
  results: ImplResult[];
}

/** The adapter's measured peaks. */
export interface Peak {
  /** FLOP/s of our best matmul at 1024³ (fastest timed run). */
  flopsPerS: number;
  /**
   * FLOP/s of a register-only kernel (independent vec4 FMA chains, no memory traffic,
   * {@link ARITH_PEAK_WGSL}): the adapter's arithmetic ceiling, above the matmul where that
   * is load-bound (llvmpipe). Absent in results measured before it existed.
   */
  arithFlopsPerS?: number;
  /** Bytes/s of a large buffer-to-buffer copy (read + write counted). */
  bytesPerS: number;
  /** The wall time of one empty submission + wait, ms (the fixed cost of a sync). */
  syncMs: number;
  /** How the peak was measured. */
  note: string;
}

/** Timing options. */
export interface TimeOptions {
  /** Timed runs (≥ 5). */
  runs?: number;
  /** Aim for at least this many ms per timed run (repeats the operation). */
  targetMs?: number;
  /** Never repeat more than this. */
  maxIters?: number;
  /**
   * The warm-up already happened (e.g. the agreement check ran the operation once):
   * its wall time and compile time; no extra warm-up call is made.
   */
  warm?: { firstMs: number; compileMs?: number; oneMs?: number };
}

const _median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Times an operation: one warm-up call (compile time of our kernels measured through
 * {@link compileTimeMs}), then `runs` timed calls of `run(iters)`. `run(iters)` must repeat
 * the operation `iters` times and resolve only when all its GPU work has finished.
 * @returns per-iteration timing
 * @example
 * const t = await timeRuns(async (n) => { encodeNTimes(n); await device.queue.onSubmittedWorkDone(); });
 */
export async function timeRuns(
  run: (iters: number) => Promise<void>,
  opts: TimeOptions = {},
): Promise<Timing> {
  const runs = Math.max(5, opts.runs ?? 5);
  const targetMs = opts.targetMs ?? 200;
  let t0: number, firstMs: number, compileMs: number | undefined;
  if (opts.warm) {
    ({ firstMs, compileMs } = opts.warm);
  } else {
    const c0 = compileTimeMs();
    t0 = performance.now();
    await run(1);
    firstMs = performance.now() - t0;
    compileMs = compileTimeMs() - c0;
  }
  // A single call (no compile) to size the repeats, unless one call is long anyway.
  let oneMs = opts.warm?.oneMs ?? firstMs - (compileMs ?? 0);
  if (oneMs < targetMs && opts.warm?.oneMs === undefined) {
    t0 = performance.now();
    await run(1);
    oneMs = Math.max(performance.now() - t0, 1e-3);
  }
  const iters = Math.max(1, Math.min(opts.maxIters ?? 64, Math.ceil(targetMs / oneMs)));
  const runsMs: number[] = [];
  for (let r = 0; r < runs; r++) {
    t0 = performance.now();
    await run(iters);
    runsMs.push((performance.now() - t0) / iters);
  }
  return {
    medianMs: _median(runsMs),
    minMs: Math.min(...runsMs),
    maxMs: Math.max(...runsMs),
    runsMs,
    iters,
    firstMs,
    compileMs,
  };
}

/**
 * Records `record(pass)` `iters` times into one compute pass and submission, then waits
 * for the GPU (our kernels' `run` for {@link timeRuns}).
 */
export function gpuRunner(
  device: GPUDevice,
  record: (pass: GPUComputePassEncoder, i: number) => void,
): (iters: number) => Promise<void> {
  return async (iters: number) => {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass();
    for (let i = 0; i < iters; i++) record(pass, i);
    pass.end();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
  };
}

/** Tolerances of an agreement check: |a − b| ≤ atol + rtol·|b| elementwise. */
export interface Tolerance {
  atol: number;
  rtol: number;
}

/** Raised when two implementations disagree: the benchmark must not time them. */
export class DisagreementError extends Error {
  constructor(msg: string) {
    super(msg);
    this.name = "DisagreementError";
  }
}

/**
 * Checks that `other` agrees with `ours` (|ours − other| ≤ atol + rtol·|other|).
 * @returns the max absolute difference
 * @throws DisagreementError naming the case, the worst index and both values
 */
export function checkAgree(
  label: string,
  ours: ArrayLike<number>,
  other: ArrayLike<number>,
  tol: Tolerance,
): number {
  if (ours.length !== other.length) {
    throw new DisagreementError(
      `${label}: ours has ${ours.length} values, the baseline ${other.length}`,
    );
  }
  let maxAbs = 0, bad = -1, nBad = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = Math.abs(ours[i]! - other[i]!);
    if (!(d <= tol.atol + tol.rtol * Math.abs(other[i]!))) {
      if (bad < 0) bad = i;
      nBad++;
    }
    if (d > maxAbs || Number.isNaN(d)) maxAbs = Number.isNaN(d) ? NaN : d;
  }
  if (nBad > 0) {
    throw new DisagreementError(
      `${label}: outputs disagree at ${nBad} of ${ours.length} values (atol ${tol.atol}, rtol ${tol.rtol}); ` +
        `first at [${bad}]: ours ${ours[bad]} vs baseline ${other[bad]}; max |diff| ${
          maxAbs.toExponential(3)
        }`,
    );
  }
  return maxAbs;
}

/** Independent vec4 FMA chains per thread, and FMA rounds written out per loop iteration. */
const ARITH_CHAINS = 4, ARITH_UNROLL = 16;

/**
 * The arithmetic-peak kernel: each thread runs {@link ARITH_CHAINS} independent chains of
 * vec4 FMAs (x ← x·a + b, a just below 1 so nothing overflows or goes denormal),
 * {@link ARITH_UNROLL} rounds written out per loop iteration, and touches memory once.
 * Written out because llvmpipe pays a lane-mask update per loop iteration (one FMA round per
 * iteration ran at a third of this), and only 4 chains because AVX2 has 16 registers and
 * llvmpipe keeps each vec4 component of 8 invocations in one (8 chains spilled: 6 vs 18
 * GFLOP/s on the 2-core development machine).
 */
export const ARITH_PEAK_WGSL = (() => {
  const xs = Array.from({ length: ARITH_CHAINS }, (_, j) => `x${j}`);
  const round = xs.map((x) => `${x} = fma(${x}, va, vb);`).join(" ");
  return `
struct P { iters: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> prm: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let s = f32(i & 255u) * 1e-3;
  let va = vec4<f32>(0.9999 + s * 1e-6);
  let vb = vec4<f32>(1e-4);
  ${xs.map((x, j) => `var ${x} = vec4<f32>(s + ${j}.0 * 0.1);`).join(" ")}
  for (var k = 0u; k < prm.iters; k++) {
${Array.from({ length: ARITH_UNROLL }, () => `    ${round}`).join("\n")}
  }
  let r = ${xs.join(" + ")};
  out[i] = r.x + r.y + r.z + r.w;
}`;
})();

/**
 * FLOPs of one dispatch of {@link ARITH_PEAK_WGSL}: threads × iterations × chains × rounds
 * per iteration × 4 lanes × 2 (an FMA).
 */
export function arithPeakFlops(threads: number, iters: number): number {
  return threads * iters * ARITH_CHAINS * ARITH_UNROLL * 4 * 2;
}

/** Times {@link ARITH_PEAK_WGSL}; its FLOP/s (fastest run) and a note. */
async function measureArithPeak(
  device: GPUDevice,
  quick: boolean,
): Promise<{ flopsPerS: number; note: string }> {
  const groups = quick ? 256 : 2048, threads = groups * 64, iters = 64;
  const module = device.createShaderModule({ code: ARITH_PEAK_WGSL });
  const pipeline = device.createComputePipeline({
    layout: "auto",
    compute: { module, entryPoint: "main" },
  });
  const out = storageBuffer(device, threads * 4);
  const u = uploadBuffer(device, new Uint32Array([iters, 0, 0, 0]));
  const bind = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: out } }, { binding: 1, resource: { buffer: u } }],
  });
  const t = await timeRuns(
    gpuRunner(device, (pass) => {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bind);
      pass.dispatchWorkgroups(groups);
    }),
    { targetMs: quick ? 50 : 200 },
  );
  out.destroy();
  u.destroy();
  return {
    flopsPerS: arithPeakFlops(threads, iters) / (t.minMs / 1e3),
    note: `register FMA ${threads} threads × ${
      iters * ARITH_UNROLL
    } rounds of ${ARITH_CHAINS} vec4 FMAs best ${t.minMs.toFixed(2)} ms`,
  };
}

/**
 * Measures the adapter's peaks: our best matmul (rb4x4/tiled64 per adapter, as the layers
 * use it) at 1024³ and a 64 MiB buffer copy, plus the cost of one empty sync.
 * @param quick smaller sizes (smoke test)
 */
export async function measurePeak(device: GPUDevice, quick = false): Promise<Peak> {
  const S = quick ? 512 : 1024;
  const rand = (n: number) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
  const a = uploadBuffer(device, rand(S * S)), b = uploadBuffer(device, rand(S * S));
  const c = storageBuffer(device, S * S * 4);
  const mm = await timeRuns(
    gpuRunner(device, (pass) => matmul(device, pass, c, a, b, null, S, S, S)),
    {
      targetMs: quick ? 100 : 400,
    },
  );
  const copyBytes = (quick ? 16 : 64) * 1024 * 1024;
  const src = storageBuffer(device, copyBytes), dst = storageBuffer(device, copyBytes);
  const copy = await timeRuns(async (iters) => {
    const enc = device.createCommandEncoder();
    for (let i = 0; i < iters; i++) enc.copyBufferToBuffer(src, 0, dst, 0, copyBytes);
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
  }, { targetMs: quick ? 50 : 200 });
  const sync = await timeRuns(async (iters) => {
    for (let i = 0; i < iters; i++) {
      device.queue.submit([device.createCommandEncoder().finish()]);
      await device.queue.onSubmittedWorkDone();
    }
  }, { targetMs: 50, maxIters: 8 });
  for (const x of [a, b, c, src, dst]) x.destroy();
  const arith = await measureArithPeak(device, quick);
  // A peak is the best the adapter did: the fastest run, not the median.
  return {
    flopsPerS: (2 * S ** 3) / (mm.minMs / 1e3),
    arithFlopsPerS: arith.flopsPerS,
    bytesPerS: (2 * copyBytes) / (copy.minMs / 1e3),
    syncMs: sync.medianMs,
    note:
      `matmul ${S}^3 (our default variant) best ${mm.minMs.toFixed(1)} ms (median ${
        mm.medianMs.toFixed(1)
      }); ` +
      `${arith.note}; ` +
      `copy ${copyBytes / 2 ** 20} MiB best ${copy.minMs.toFixed(2)} ms; empty submit+wait ${
        sync.medianMs.toFixed(1)
      } ms`,
  };
}

/**
 * The FLOP/s a floor is computed with: the highest rate measured on the adapter (the
 * register-FMA peak, or the matmul where that is all a result recorded), so no kernel
 * that does the FLOPs its case counts can beat its floor.
 */
export function peakFlopsPerS(peak: Peak): number {
  return Math.max(peak.flopsPerS, peak.arithFlopsPerS ?? 0);
}

/** The floor of a case in ms at the measured peaks. */
export function floorMs(flops: number, bytes: number, peak: Peak): number {
  return Math.max(flops / peakFlopsPerS(peak), bytes / peak.bytesPerS) * 1e3;
}

/** Fills the derived numbers (floor, FLOP/s, fraction of peak) of a case. */
export function finishCase(c: BenchCase, peak: Peak): BenchCase {
  c.floorMs = floorMs(c.flops, c.bytes, peak);
  for (const r of c.results) {
    if (!r.timing) continue;
    r.flopsPerS = c.flops / (r.timing.medianMs / 1e3);
    r.fractionOfPeak = c.floorMs / r.timing.medianMs;
  }
  return c;
}

/** Fresh uniform random values in [lo, hi) (Math.random: every run sees new inputs). */
export function randomF32(n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * Math.random();
  return a;
}

/** Formats ms compactly for logs and tables. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(0)} µs`;
}

/** One log line for an implementation's result (stderr). */
export function logResult(c: BenchCase, r: ImplResult): void {
  const head = `[${c.group}] ${c.name} (${c.size}) ${r.impl}:`;
  if (r.skipped) {
    console.error(`${head} skipped — ${r.skipped}`);
    return;
  }
  const t = r.timing!;
  const comp = t.compileMs !== undefined ? `, compile ${fmtMs(t.compileMs)}` : "";
  const agree = r.maxAbsDiff !== undefined
    ? `, max|Δ| vs ours ${r.maxAbsDiff.toExponential(1)}`
    : "";
  console.error(
    `${head} median ${fmtMs(t.medianMs)} (min ${fmtMs(t.minMs)}, max ${
      fmtMs(t.maxMs)
    }; ${t.runsMs.length} runs × ${t.iters}), ` +
      `first call ${fmtMs(t.firstMs)}${comp}${agree}`,
  );
}

/** Benchmark settings passed from the dispatcher. */
export interface BenchContext {
  device: GPUDevice;
  peak: Peak;
  /** Only the tiny sizes, short runs (smoke test). */
  quick: boolean;
  /** Time one implementation of one case may take (first call + timed runs), ms. */
  budgetMs: number;
  /** Layer sizes to run (default: all; --quick: tiny). */
  sizes?: string[];
  /** Architectures of the train and infer groups (default: all six; --quick: a subset). */
  archs?: string[];
  /** Implementations to run (default: all); the others are recorded as not run. */
  impls?: string[];
}
