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
 *
 * This file holds the public API (protocols to groups, normalisation); the work is in
 * bm_record.ts (the packed group record and the kernels' offsets), bm_routing.ts (buckets
 * and CPU/GPU routing), bm_chunks.ts (the kernels and the chunk scheduler) and
 * bm_capacity.ts (matrix capacity and lavapipe's loop budget).
 * @module
 */
import type { TissueModel } from "./model.ts";
import type { Protocol } from "./protocol.ts";
import { InputError } from "../util/errors.ts";
import { MAX_CEST_POOLS } from "../util/limits.ts";
import type { BmGroup, BmSlot } from "./bm_record.ts";
import type { GpuSimOptions } from "./bm_chunks.ts";
import { runGroups } from "./bm_routing.ts";

export { BM_PREP, BM_SAT, BM_SAT_REG, type GpuSimOptions, REG_MAX_STATES } from "./bm_chunks.ts";
export { MAX_STATE_SIZE } from "./bm_capacity.ts";

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
  const res = await runGroups(groups, opts);
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
  const res = await runGroups(groups, opts);
  for (let i = 0; i < n; i++) {
    const { data, noff } = res[i]!;
    _normalise(input, models[i]!, data.subarray(0, noff), nOff, inZ, i * nOff);
    _normalise(target, models[i]!, data.subarray(noff, 2 * noff), nOff, tgZ, i * nOff);
  }
  return { input: inZ, target: tgZ, nOffsets: nOff };
}
