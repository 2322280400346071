/**
 * Batched f32 Bloch–McConnell simulator on WebGPU (shaders/bm_*.wgsl).
 *
 * Work is organised in *groups*: one tissue model, one B1/B0 and one list of offsets, with
 * up to two *slots* (timelines) that share the system matrix A at each offset, its steady
 * state and the propagator: slot s saturates for m_s·h, so the paper's input (Ts 1.5 s)
 * and target (Ts 5 s) are 3·0.5 s and 10·0.5 s of one ladder F(0.5), F(1), F(2), F(4).
 * Per chunk, bm_prep and one saturation kernel run in one submission:
 * - `bm_prep` (a thread per group): the offset-independent z-block parts — saturation
 *   recovery for Td, the pre-delay, the post-delay propagator;
 * - `bm_sat_reg` (a thread per group × offset), for up to 19 states (the paper's 7-pool
 *   model) and finite Ts: the augmented system [[A, C], [0, 0]] in registers, F(h) by
 *   Taylor + squaring in F form, the ladder, the post-delay and the readout of water Mz;
 * - `bm_sat`, the general kernel (up to 31 states, Ts = ∞; on a software adapter Ts = ∞ comes
 *   from the float64 CPU reference instead, faster there and exact): A, −A⁻¹C, F(h) = e^{Ah} − I by
 *   Padé [5/5] in F form, same ladder and readout. Its per-thread matrices live in a
 *   storage-buffer scratch and every innermost loop runs over the compiled capacity (20 or
 *   32) so the compiler unrolls it: lavapipe turns indexed private arrays into if-ladders
 *   (minutes of compile) and aborts an invocation after 65,535 loop iterations in total
 *   (see shaders/bm_linalg.wgsl). On lavapipe the register kernel is ~25× faster (matrices
 *   held as constant-indexed mat4x4 blocks instead of per-lane storage loads).
 *
 * Measured on lavapipe against float64 (tests/physics/gpu_sim_test.ts): register kernel max
 * |ΔZ| ≈ 1e-5 on the 70 reference spectra and on 200 parameter-space draws (Ts 1.5 s, 5 s),
 * 1.3e-5 at most over 400 random models × protocols; scratch kernel 4.8e-6, 5.5e-6 and 1.2e-5
 * — it solves for the steady state (LU), the register kernel reaches it through the squarings.
 * Speed (bench/RESULTS.md, 2 cores, lavapipe): ~600 dataset pairs/s on the register kernel,
 * 16–22 on the scratch kernel.
 * @module
 */
import { getGpu } from "../gpu/device.ts";
import { defineKernel, dispatch, getKernel } from "../gpu/kernel.ts";
import {
  readF32,
  rowsPerBinding,
  storageBuffer,
  uniformBuffer,
  uploadBuffer,
} from "../gpu/buffers.ts";
import type { TissueModel } from "./model.ts";
import type { Protocol } from "./protocol.ts";
import { InputError } from "../util/errors.ts";
import { MAX_CEST_POOLS } from "../util/limits.ts";
import { omega0PerPpm, stateLayout, superLorentzian } from "./bm_matrix.ts";
import {
  BM_RECORD_CONSTANTS,
  type BmGroup,
  type BmLayout,
  bmLayout,
  type BmSlot,
  NSLOT,
  packGroup,
} from "./bm_record.ts";
import { simulateCpuStates } from "./cpu_sim.ts";

/** Per-group z-block preparation: Td recovery, pre-delay, post-delay propagator. */
export const BM_PREP = defineKernel({
  name: "bm_prep",
  file: "bm_prep.wgsl",
  includes: ["bm_linalg.wgsl", "bm_record.wgsl", "bm_system.wgsl"],
  bindings: ["read", "storage", "storage", "uniform"],
  workgroupSize: 64,
  doc: "Bloch–McConnell z-block start states and post-delay propagators, a thread per group",
});

/** CW saturation and readout, a thread per (group, offset). */
export const BM_SAT = defineKernel({
  name: "bm_sat",
  file: "bm_sat.wgsl",
  includes: [
    "bm_linalg.wgsl",
    "bm_record.wgsl",
    "bm_mt.wgsl",
    "bm_sat_thread.wgsl",
    "bm_system.wgsl",
  ],
  bindings: ["read", "read", "read", "read", "storage", "storage", "uniform"],
  workgroupSize: 64,
  doc: "Bloch–McConnell CW saturation (f32, F = e^{At} − I form), a thread per group × offset",
});

/**
 * The fast path of `bm_sat` (shaders/bm_sat_reg.wgsl): matrices in registers, for up to
 * {@link REG_MAX_STATES} states and finite saturation times.
 */
export const BM_SAT_REG = defineKernel({
  name: "bm_sat_reg",
  file: "bm_sat_reg.wgsl",
  includes: ["bm_record.wgsl", "bm_mt.wgsl", "bm_sat_thread.wgsl"],
  bindings: ["read", "read", "read", "read", "storage", "uniform"],
  workgroupSize: 64,
  doc:
    "Bloch–McConnell CW saturation, matrices in registers (≤ 19 states, finite Ts), a thread per group × offset",
});

/** Largest state size of the register kernel: water + 5 CEST pools + a z-only MT pool. */
export const REG_MAX_STATES = 19;

/** Options of the batched simulators. */
export interface GpuSimOptions {
  /** Groups per submission at most (default 8192; also capped by the binding size limit). */
  maxGroupsPerChunk?: number;
  /** Overrides the device's maxStorageBufferBindingSize (tests use it to force chunking). */
  maxBindingBytes?: number;
  /**
   * Saturation kernel: "auto" (default) takes the register kernel where it applies
   * (≤ 19 states, no Ts = ∞) and, on a software adapter, the float64 CPU steady state for
   * Ts = ∞; "scratch" always the general kernel (tests and benchmarks).
   */
  satKernel?: "auto" | "scratch";
  /** Called after each chunk with the number of groups done and the total. */
  onProgress?: (done: number, total: number) => void;
  /** Stops between chunks (rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** Largest state size the kernels take: 10 water + CEST pools and a z-only MT pool. */
export const MAX_STATE_SIZE = 31;

// The pool cap of util/limits.ts is what these kernels hold: 3·(9 + 1) + 1 = MAX_STATE_SIZE.
if (3 * (MAX_CEST_POOLS + 1) + 1 > MAX_STATE_SIZE) {
  throw new Error(`MAX_CEST_POOLS ${MAX_CEST_POOLS} exceeds the kernels' ${MAX_STATE_SIZE} states`);
}

/**
 * Refuses a model the GPU simulator cannot run (more than {@link MAX_CEST_POOLS} CEST
 * pools), before any work is queued.
 * @param name the model's name in the message (e.g. its file)
 * @throws InputError naming the pool count and the fix
 */
export function checkGpuModel(model: TissueModel, name: string): void {
  if (model.cest.length > MAX_CEST_POOLS) {
    throw new InputError(
      `${name}: ${model.cest.length} CEST pools, but the GPU simulator takes at most ${MAX_CEST_POOLS} besides water (plus one z-only MT pool); remove pools, or simulate it on the CPU (quass simulate spectrum --device cpu)`,
    );
  }
}

/** Matrix capacity compiled for a state size: 20 covers the 7-pool model (19). */
function _capacity(n: number): number {
  if (n > MAX_STATE_SIZE) {
    throw new RangeError(
      `The GPU simulator takes up to ${MAX_STATE_SIZE} state entries (9 CEST pools + MT) but the model has ${n}; use the CPU reference`,
    );
  }
  return n <= 20 ? 20 : 32;
}

/** Mesa lavapipe (gallivm) ends every invocation after this many loop iterations in total. */
const LAVAPIPE_LOOP_LIMIT = 65535;

/**
 * Rejects a group whose kernel run would pass lavapipe's loop limit (loops then end early
 * and the numbers are silently wrong). Upper bound of the iterations of `bm_sat`: each
 * n×n product or squaring counts n + n² (the innermost loop is unrolled), the ladder and
 * the two LU solves a few n² more; the number of squarings follows from a bound on ‖A‖∞.
 */
function _checkLoopBudget(g: BmGroup, lay: BmLayout): void {
  const m = g.model;
  const w0 = omega0PerPpm(m, g.b0T);
  const w1 = m.gammaRadPerSUT * g.b1UT * m.relB1;
  const maxOff = Math.max(0, ...Array.from(g.offsetsPpm, Math.abs)) + Math.abs(m.b0InhomPpm);
  let norm = 1 / m.water.t2S + 1 / m.water.t1S + w1 + maxOff * w0;
  for (const p of m.cest) {
    norm += p.f * p.kPerS;
    norm = Math.max(
      norm,
      1 / p.t2S + p.kPerS + p.f * p.kPerS + w1 + (maxOff + Math.abs(p.dwPpm)) * w0,
    );
  }
  if (m.mt) norm += m.mt.f * m.mt.kPerS + m.mt.kPerS + w1 * w1 * m.mt.t2S;
  const maxMode = Math.max(0, ...g.slots.map((s) => s.mode));
  if (maxMode < 1) return;
  const squarings = Math.max(0, Math.ceil(Math.log2((norm * g.hS) / 0.5))) +
    Math.ceil(Math.log2(maxMode + 1));
  // Count with the compiled capacity (loops may run over it, not over n) and keep a 25 %
  // margin: the estimate undercounted by ~10 % on a 9-pool model at Ts 1e15 s, and refusing
  // a little early (with a clear error) is safe where answering wrongly is not.
  const n = _capacity(lay.N);
  const iters = (squarings + 8) * (n + n * n) + 6 * n * n;
  if (iters > 0.75 * LAVAPIPE_LOOP_LIMIT) {
    throw new RangeError(
      `This simulation (${lay.P - 1} CEST pools${m.mt ? " + MT" : ""}, Ts ${
        maxMode * g.hS
      } s) needs ~${squarings} ` +
        `squarings per offset, beyond the 65,535 loop iterations per invocation that Mesa's software ` +
        `adapter (lavapipe) allows; use --device cpu, a shorter Ts, or a hardware GPU`,
    );
  }
}

interface _Chunk {
  out: GPUBuffer;
  bufs: GPUBuffer[];
  first: number;
  count: number;
}

/**
 * Runs groups that share one layout (pool count, MT) and saturation kernel (`useReg`: the
 * register kernel) in chunks; returns water Mz as [groups, NSLOT, noff] where noff is the
 * largest offset count (shorter rows are padded).
 */
async function _runLayout(
  groups: BmGroup[],
  lay: BmLayout,
  useReg: boolean,
  opts: GpuSimOptions,
): Promise<{ out: Float32Array; noff: number }> {
  const { device, info } = await getGpu();
  const noff = Math.max(1, ...groups.map((g) => g.offsetsPpm.length));
  const maxBind = opts.maxBindingBytes ?? info.limits.maxStorageBufferBindingSize;
  const perGroupBytes = 4 * Math.max(lay.GR, NSLOT * noff, NSLOT * lay.zpSlot);
  const byLimit = rowsPerBinding(maxBind, perGroupBytes);
  if (byLimit < 1) {
    throw new RangeError(
      `One group needs ${perGroupBytes} bytes, above the ${maxBind}-byte binding limit`,
    );
  }
  const chunkGroups = Math.max(1, Math.min(opts.maxGroupsPerChunk ?? 8192, byLimit));
  if (info.isSoftware && !useReg) {
    for (const g of groups) _checkLoopBudget(g, lay);
  }
  // One pipeline per matrix capacity, not per pool count (see bm_system.wgsl).
  const consts = { ...BM_RECORD_CONSTANTS, N: _capacity(lay.N) };
  // bm_prep works on the z block only (≤ 11 entries): a small capacity compiles in seconds
  // where capacity 20 took ~2 minutes on lavapipe (every innermost loop is unrolled).
  const capPrep = lay.NZ <= 8 ? 8 : 12;
  const prep = getKernel(device, BM_PREP, { ...BM_RECORD_CONSTANTS, N: capPrep });
  const sat = useReg
    ? getKernel(device, BM_SAT_REG, BM_RECORD_CONSTANTS)
    : getKernel(device, BM_SAT, consts);
  const out = new Float32Array(groups.length * NSLOT * noff);

  // Per-thread matrices of the scratch kernels live in one scratch buffer (bm_linalg.wgsl);
  // a dispatch covers at most `span` threads, a chunk as many dispatches as it needs, all in
  // one submission. The register kernel needs it only for bm_prep (a thread per group).
  const cap = useReg ? capPrep : consts.N;
  const scrPerThread = 4 * cap * cap + 8 * cap;
  const wg = BM_SAT.workgroupSize;
  const most = Math.min(chunkGroups, groups.length) * (useReg ? 1 : Math.max(noff, 1));
  // 2^18 threads (~1.8 GB of scratch at capacity 20) already fill an H100 (132 SMs × 2048).
  const scrBytes = Math.min(maxBind, info.limits.maxBufferSize);
  const byBind = Math.floor(Math.min(scrBytes / (4 * scrPerThread), 1 << 18) / wg) * wg;
  const span = Math.max(wg, Math.min(byBind, Math.ceil(most / wg) * wg));
  const scratch = storageBuffer(device, 4 * scrPerThread * span, "bm scratch");

  const submit = (first: number): _Chunk => {
    const count = Math.min(chunkGroups, groups.length - first);
    const rec = new Float32Array(count * lay.GR);
    const offs = new Float32Array(count * noff);
    const anyTable = groups.slice(first, first + count).some((g) =>
      g.model.mt?.lineshape === "SuperLorentzian"
    );
    const mtg = new Float32Array(anyTable ? count * noff : 1);
    for (let j = 0; j < count; j++) {
      const g = groups[first + j]!;
      packGroup(g, lay, rec, j * lay.GR);
      offs.set(Array.from(g.offsetsPpm), j * noff);
      const mt = g.model.mt;
      if (mt?.lineshape === "SuperLorentzian") {
        // The SuperLorentzian integral (101 samples + a spline bridge) is tabulated in f64 here.
        const w0 = omega0PerPpm(g.model, g.b0T);
        const w1 = g.model.gammaRadPerSUT * g.b1UT * g.model.relB1;
        for (let o = 0; o < g.offsetsPpm.length; o++) {
          const dwMt = g.offsetsPpm[o]! * w0 - (mt.dwPpm * w0 + g.model.b0InhomPpm * w0);
          mtg[j * noff + o] = w1 * w1 * superLorentzian(mt.t2S, dwMt, w0);
        }
      }
    }
    const recB = uploadBuffer(device, rec, "bm groups");
    const offB = uploadBuffer(device, offs, "bm offsets");
    const mtgB = uploadBuffer(device, mtg, "bm mt table");
    const zpB = storageBuffer(device, 4 * count * NSLOT * lay.zpSlot, "bm zprep");
    const outB = storageBuffer(device, 4 * count * NSLOT * noff, "bm out");
    const bufs = [recB, offB, mtgB, zpB, outB];
    const enc = device.createCommandEncoder({ label: "bm sim" });
    const pass = enc.beginComputePass();
    for (let t0 = 0; t0 < count; t0 += span) {
      const n = Math.min(span, count - t0);
      const u = uniformBuffer(device, [
        { u32: count },
        { u32: lay.P },
        { u32: lay.MT },
        { u32: t0 },
        { u32: n },
      ]);
      bufs.push(u);
      dispatch(device, pass, prep, [recB, zpB, scratch, u], n);
    }
    const threads = count * noff;
    const satSpan = useReg ? threads : span;
    for (let t0 = 0; t0 < threads; t0 += satSpan) {
      const n = Math.min(satSpan, threads - t0);
      const u = uniformBuffer(device, [
        { u32: count },
        { u32: noff },
        { u32: lay.P },
        { u32: lay.MT },
        { u32: t0 },
        { u32: n },
      ]);
      bufs.push(u);
      const bound = useReg
        ? [recB, offB, mtgB, zpB, outB, u]
        : [recB, offB, mtgB, zpB, outB, scratch, u];
      dispatch(device, pass, sat, bound, n);
    }
    pass.end();
    device.queue.submit([enc.finish()]);
    return { out: outB, bufs, first, count };
  };

  // Two chunks in flight: the next one is packed and queued before we wait on the previous.
  let pending: _Chunk | undefined;
  for (let first = 0; first < groups.length || pending; first += chunkGroups) {
    opts.signal?.throwIfAborted();
    const next = first < groups.length ? submit(first) : undefined;
    if (pending) {
      const got = await readF32(device, pending.out, pending.count * NSLOT * noff);
      const bad = got.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        const g = groups[pending.first + Math.floor(bad / (NSLOT * noff))]!;
        throw new InputError(
          `GPU Bloch–McConnell simulation gave a non-finite Z (model with ${g.model.cest.length} CEST pools, ` +
            `B1 ${g.b1UT} µT); check the model's parameters or use --device cpu`,
        );
      }
      out.set(got, pending.first * NSLOT * noff);
      for (const b of pending.bufs) b.destroy();
      opts.onProgress?.(pending.first + pending.count, groups.length);
    }
    pending = next;
  }
  scratch.destroy();
  return { out, noff };
}

/** Whether a group runs on the register kernel (bm_sat_reg.wgsl): ≤ 19 states, no Ts = ∞. */
function _useRegisterKernel(g: BmGroup, lay: BmLayout, opts: GpuSimOptions): boolean {
  return opts.satKernel !== "scratch" && lay.N <= REG_MAX_STATES &&
    g.slots.every((sl) => sl.mode >= 0);
}

/** Runs groups of any layouts; returns for each group its [NSLOT, noff] block and noff. */
async function _runGroups(
  groups: BmGroup[],
  opts: GpuSimOptions,
): Promise<{ data: Float32Array; noff: number }[]> {
  const { info } = await getGpu();
  if (
    !info.isSoftware || opts.satKernel === "scratch" ||
    !groups.some((g) => g.slots.some((sl) => sl.mode < 0))
  ) {
    return _runBuckets(groups, opts);
  }
  const steady = await _steadySlotsOnCpu(groups, opts);
  // Groups with a finite slot still go to the GPU, their Ts = ∞ slots only starting the
  // timeline there (mode 0) and filled in below; groups with none do not go at all.
  const onGpu = groups.flatMap((g, i) => (g.slots.some((sl) => sl.mode >= 0) ? [i] : []));
  const cpuOnly = groups.length - onGpu.length;
  if (cpuOnly) opts.onProgress?.(cpuOnly, groups.length);
  const gpuRes = await _runBuckets(
    onGpu.map((i) => ({
      ...groups[i]!,
      slots: groups[i]!.slots.map((sl) => (sl.mode < 0 ? { ...sl, mode: 0 } : sl)),
    })),
    {
      ...opts,
      onProgress: opts.onProgress && ((d) => opts.onProgress!(cpuOnly + d, groups.length)),
    },
  );
  const res: { data: Float32Array; noff: number }[] = groups.map((g) => {
    const noff = g.offsetsPpm.length;
    return { data: new Float32Array(NSLOT * noff), noff };
  });
  onGpu.forEach((gi, j) => (res[gi] = gpuRes[j]!));
  for (const { group, slot, waterZ } of steady) {
    res[group]!.data.set(waterZ, slot * res[group]!.noff);
  }
  return res;
}

/**
 * The Ts = ∞ slots of the groups, from the float64 CPU reference (simulateCpuStates): on a
 * software adapter it makes ~550 steady spectra/s on one core (an LU solve per offset),
 * the scratch kernel ~20, and it is exact. Yields to the event loop now and then (SIGINT,
 * abort). Returns raw water Mz per slot, like the kernels.
 */
async function _steadySlotsOnCpu(
  groups: BmGroup[],
  opts: GpuSimOptions,
): Promise<{ group: number; slot: number; waterZ: Float32Array }[]> {
  const out: { group: number; slot: number; waterZ: Float32Array }[] = [];
  for (let gi = 0; gi < groups.length; gi++) {
    const g = groups[gi]!;
    g.slots.forEach((sl, slot) => {
      if (sl.mode >= 0) return;
      const protocol: Protocol = {
        b1UT: g.b1UT,
        b0T: g.b0T,
        tsS: Infinity,
        start: sl.start === "satrec" ? { kind: "satrec", tdS: sl.tdS } : { kind: "relaxed" },
        preDelayS: sl.preDelayS,
        postDelayS: sl.postDelayS,
        offsetsPpm: Array.from(g.offsetsPpm),
      };
      const wz = stateLayout(g.model).waterZ;
      out.push({
        group: gi,
        slot,
        waterZ: Float32Array.from(simulateCpuStates(g.model, protocol), (m) => m[wz]!),
      });
    });
    if (gi % 256 === 255) {
      await new Promise((r) => setTimeout(r, 0));
      opts.signal?.throwIfAborted();
    }
  }
  return out;
}

/** Runs groups bucketed by layout and saturation kernel. */
async function _runBuckets(
  groups: BmGroup[],
  opts: GpuSimOptions,
): Promise<{ data: Float32Array; noff: number }[]> {
  const buckets = new Map<string, number[]>();
  groups.forEach((g, i) => {
    const l = bmLayout(g.model);
    const key = `${l.P}|${l.MT}|${_useRegisterKernel(g, l, opts)}`;
    const b = buckets.get(key) ?? [];
    b.push(i);
    buckets.set(key, b);
  });
  const res: { data: Float32Array; noff: number }[] = new Array(groups.length);
  let done = 0;
  for (const idx of buckets.values()) {
    const first = groups[idx[0]!]!;
    const lay = bmLayout(first.model);
    const base = done;
    const { out, noff } = await _runLayout(
      idx.map((i) => groups[i]!),
      lay,
      _useRegisterKernel(first, lay, opts),
      {
        ...opts,
        onProgress: opts.onProgress && ((d) => opts.onProgress!(base + d, groups.length)),
      },
    );
    idx.forEach((
      gi,
      j,
    ) => (res[gi] = { data: out.subarray(j * NSLOT * noff, (j + 1) * NSLOT * noff), noff }));
    done += idx.length;
  }
  return res;
}

function _slot(p: Protocol, mode: number): BmSlot {
  return {
    mode,
    start: p.start.kind,
    tdS: p.start.kind === "satrec" ? p.start.tdS : 0,
    preDelayS: p.preDelayS,
    postDelayS: p.postDelayS,
  };
}

function _checkProtocol(p: Protocol): void {
  const bad = (what: string) => {
    throw new RangeError(`Protocol ${what}`);
  };
  if (!(p.tsS >= 0)) bad(`tsS must be ≥ 0 or Infinity but is ${p.tsS}`);
  if (!(p.preDelayS >= 0) || !Number.isFinite(p.preDelayS)) {
    bad(`preDelayS must be finite and ≥ 0 but is ${p.preDelayS}`);
  }
  if (!(p.postDelayS >= 0) || !Number.isFinite(p.postDelayS)) {
    bad(`postDelayS must be finite and ≥ 0 but is ${p.postDelayS}`);
  }
  if (p.start.kind === "satrec" && !(p.start.tdS >= 0 && Number.isFinite(p.start.tdS))) {
    bad(`start.tdS must be finite and ≥ 0 but is ${p.start.tdS}`);
  }
}

/**
 * A step h with every saturation time an integer multiple m·h (m ≤ maxMultiple), so the
 * slots can share one propagator ladder; undefined when there is none.
 * @param tsS finite saturation times > 0, s
 * @param maxMultiple the largest multiple allowed (each doubling costs one squaring)
 * @example
 * commonStep([1.5, 5]); // { hS: 0.5, multiples: [3, 10] }
 */
export function commonStep(
  tsS: number[],
  maxMultiple = 256,
): { hS: number; multiples: number[] } | undefined {
  if (tsS.length === 0) return undefined;
  const tmin = Math.min(...tsS);
  for (let d = 1; d <= maxMultiple; d++) {
    const h = tmin / d;
    const ms = tsS.map((t) => t / h);
    if (ms.every((m) => Math.abs(m - Math.round(m)) <= 1e-9 * m && Math.round(m) <= maxMultiple)) {
      return { hS: h, multiples: ms.map(Math.round) };
    }
  }
  return undefined;
}

function _mode(tsS: number): { mode: number; hS: number } {
  if (tsS === Infinity) return { mode: -1, hS: 1 };
  if (tsS === 0) return { mode: 0, hS: 1 };
  return { mode: 1, hS: tsS };
}

function _offsetsWithM0(p: Protocol): number[] {
  return p.m0OffsetPpm === undefined ? [...p.offsetsPpm] : [...p.offsetsPpm, p.m0OffsetPpm];
}

function _normalise(
  p: Protocol,
  model: TissueModel,
  row: Float32Array,
  nOff: number,
  dst: Float32Array,
  at: number,
): void {
  const norm = p.m0OffsetPpm === undefined ? model.water.f : row[nOff]!;
  for (let o = 0; o < nOff; o++) dst[at + o] = row[o]! / norm;
}

/**
 * Simulates Z-spectra on the GPU in f32, many (model, protocol) pairs per submission.
 * Same timeline and normalisation as {@link simulateCpu} (cpu_sim.ts).
 * @param jobs models with their protocols (any pool counts; z-only MT Lorentzian,
 *   SuperLorentzian or None)
 * @param opts chunking, progress and cancellation
 * @returns Z per offset of each job's protocol
 * @example
 * const [z] = await simulateSpectraGpu([{ model, protocol: paperInputProtocol(1) }]);
 */
export async function simulateSpectraGpu(
  jobs: { model: TissueModel; protocol: Protocol }[],
  opts: GpuSimOptions = {},
): Promise<Float32Array[]> {
  const groups = jobs.map(({ model, protocol }): BmGroup => {
    _checkProtocol(protocol);
    const { mode, hS } = _mode(protocol.tsS);
    return {
      model,
      b1UT: protocol.b1UT,
      b0T: protocol.b0T ?? model.b0T,
      hS,
      offsetsPpm: _offsetsWithM0(protocol),
      slots: [_slot(protocol, mode)],
    };
  });
  const res = await _runGroups(groups, opts);
  return jobs.map(({ model, protocol }, i) => {
    const nOff = protocol.offsetsPpm.length;
    const z = new Float32Array(nOff);
    _normalise(protocol, model, res[i]!.data, nOff, z, 0);
    return z;
  });
}

/** Z-spectra of many models under an input and a target protocol, row-major [N, offsets]. */
export interface SpectrumPairs {
  input: Float32Array;
  target: Float32Array;
  /** Offsets per spectrum (the protocols'). */
  nOffsets: number;
}

/**
 * The dataset workload: every model under the input and the target protocol. When both
 * share B1, B0 and offsets, each (model, offset) is one GPU thread that builds A once and
 * walks one propagator ladder for both saturation times (1.5 s and 5 s = 3 and 10 × 0.5 s);
 * otherwise the two protocols run as separate jobs.
 * @param models tissue models (one per sample)
 * @param input input protocol (e.g. paperInputProtocol())
 * @param target target protocol (e.g. paperTargetProtocol())
 * @param opts chunking, progress and cancellation
 * @returns input and target Z, [N, offsets] each
 * @example
 * const { input, target } = await simulatePairsGpu(models, paperInputProtocol(1), paperTargetProtocol(1));
 */
export async function simulatePairsGpu(
  models: TissueModel[],
  input: Protocol,
  target: Protocol,
  opts: GpuSimOptions = {},
): Promise<SpectrumPairs> {
  _checkProtocol(input);
  _checkProtocol(target);
  const nOff = input.offsetsPpm.length;
  if (target.offsetsPpm.length !== nOff) {
    throw new TypeError(
      `Expected the target protocol to have ${nOff} offsets but found ${target.offsetsPpm.length}`,
    );
  }
  const n = models.length;
  const inZ = new Float32Array(n * nOff), tgZ = new Float32Array(n * nOff);
  const sameOffsets = input.offsetsPpm.every((v, i) => v === target.offsetsPpm[i]);
  const finite = [input.tsS, target.tsS].filter((t) => t > 0 && Number.isFinite(t));
  const step = commonStep(finite);
  const shareable = sameOffsets && input.b1UT === target.b1UT && input.b0T === target.b0T &&
    input.m0OffsetPpm === target.m0OffsetPpm && (finite.length === 0 || step !== undefined);
  if (!shareable) {
    const jobs = models.flatMap((
      model,
    ) => [{ model, protocol: input }, { model, protocol: target }]);
    const z = await simulateSpectraGpu(jobs, opts);
    for (let i = 0; i < n; i++) {
      inZ.set(z[2 * i]!, i * nOff);
      tgZ.set(z[2 * i + 1]!, i * nOff);
    }
    return { input: inZ, target: tgZ, nOffsets: nOff };
  }
  const modeOf = (t: number) => {
    if (t === Infinity) return -1;
    if (t === 0) return 0;
    return step!.multiples[finite.indexOf(t)]!;
  };
  const hS = step?.hS ?? 1;
  const offs = _offsetsWithM0(input);
  const slots = [_slot(input, modeOf(input.tsS)), _slot(target, modeOf(target.tsS))];
  const groups = models.map((model): BmGroup => ({
    model,
    b1UT: input.b1UT,
    b0T: input.b0T ?? model.b0T,
    hS,
    offsetsPpm: offs,
    slots,
  }));
  const res = await _runGroups(groups, opts);
  for (let i = 0; i < n; i++) {
    const { data, noff } = res[i]!;
    _normalise(input, models[i]!, data.subarray(0, noff), nOff, inZ, i * nOff);
    _normalise(target, models[i]!, data.subarray(noff, 2 * noff), nOff, tgZ, i * nOff);
  }
  return { input: inZ, target: tgZ, nOffsets: nOff };
}
