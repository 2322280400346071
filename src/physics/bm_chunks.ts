/**
 * The chunk scheduler of the GPU simulator: the bm_* kernels, and the run of groups that
 * share one layout and saturation kernel in chunks (packed records, bm_prep and the
 * saturation kernel in one submission per chunk, two chunks in flight).
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
import { InputError } from "../util/errors.ts";
import { omega0PerPpm, superLorentzian } from "./bm_matrix.ts";
import { BM_RECORD_CONSTANTS, type BmGroup, type BmLayout, NSLOT, packGroup } from "./bm_record.ts";
import { checkLoopBudget, matrixCapacity } from "./bm_capacity.ts";

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
  includes: ["mat20.wgsl", "bm_record.wgsl", "bm_mt.wgsl", "bm_sat_thread.wgsl"],
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
export async function runLayout(
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
    for (const g of groups) checkLoopBudget(g, lay);
  }
  // One pipeline per matrix capacity, not per pool count (see bm_system.wgsl).
  const consts = { ...BM_RECORD_CONSTANTS, N: matrixCapacity(lay.N) };
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
