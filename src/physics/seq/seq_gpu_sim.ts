/**
 * Batched f32 WebGPU simulation of one `.seq` timeline for many tissue models (the float64
 * reference is seq_cpu_sim.ts; tests/physics/seq/seq_gpu_sim_test.ts compares them).
 *
 * The timeline is the same for every model, and so is its list of distinct maps: one per
 * pulse (shape, amplitude, frequency, dead time) and one per free duration. For every
 * (model, map) the host writes the augmented system [[A, C], [0, 0]] of each constant
 * interval (dead time, each pulse sample at phase 0, ring-down; or the one free interval)
 * in float64 → f32, then on the GPU:
 * 1. `seq_expm`, a thread per interval: F = e^{At} − I (Padé [5/5], squarings in F form);
 * 2. `seq_compose`, ⌈log2 L⌉ levels of a tree that composes each map's intervals in order,
 *    in F form, into one F per (model, map) — computed once, reused for every repetition;
 * 3. `seq_walk`, a thread per model: the events in order (a pulse at phase θ is its phase-0
 *    map conjugated by a rotation of the transverse planes), water Mz at each ADC.
 * Intervals go in batches that fit the scratch and binding limits; everything up to the
 * readout is recorded without waiting on the GPU in between.
 * @module
 */
import { getGpu } from "../../gpu/device.ts";
import { defineKernel, dispatch, getKernel } from "../../gpu/kernel.ts";
import { readF32, storageBuffer, uniformBuffer, uploadBuffer } from "../../gpu/buffers.ts";
import type { TissueModel } from "../model.ts";
import { bmSystem, stateLayout } from "../bm_matrix.ts";
import type { SeqTimeline } from "./seq_timeline.ts";
import type { SeqSimSettings } from "./seq_settings.ts";
import { initialMagnetization, rfSystem } from "./seq_cpu_sim.ts";

/** F = e^{At} − I per interval. */
export const SEQ_EXPM = defineKernel({
  name: "seq_expm",
  file: "seq_expm.wgsl",
  includes: ["bm_linalg.wgsl"],
  bindings: ["read", "read", "storage", "storage", "uniform"],
  workgroupSize: 64,
  doc: ".seq: F = exp(A t) - I of one constant interval (augmented BM system)",
});

/** One level of the interval-composition tree. */
export const SEQ_COMPOSE = defineKernel({
  name: "seq_compose",
  file: "seq_compose.wgsl",
  bindings: ["read", "read", "storage", "uniform"],
  workgroupSize: 64,
  doc: ".seq: (I + Fb)(I + Fa) - I for pairs of consecutive intervals",
});

/** Walks the timeline per model. */
export const SEQ_WALK = defineKernel({
  name: "seq_walk",
  file: "seq_walk.wgsl",
  bindings: ["read", "read", "read", "storage", "storage", "uniform"],
  workgroupSize: 64,
  doc: ".seq: apply the cached maps (with phase rotations), spoil, record water Mz per ADC",
});

/** An operation of the walk: apply map u at phase θ, spoil, or ADC u (θ = 1: reset). */
interface _Op {
  kind: 0 | 1 | 2;
  u: number;
  theta: number;
}

/** A distinct map: its constant intervals as (amplitude Hz, frequency Hz, phase, t) or free. */
type _Interval = { free: true; tS: number } | {
  free: false;
  ampHz: number;
  freqHz: number;
  phaseRad: number;
  tS: number;
};

/** The distinct maps of a timeline and the walk's operations (model-independent). */
export function timelineOps(timeline: SeqTimeline, settings: SeqSimSettings): {
  maps: _Interval[][];
  ops: _Op[];
} {
  const maps: _Interval[][] = [];
  const index = new Map<string, number>();
  const ops: _Op[] = [];
  const mapOf = (key: string, build: () => _Interval[]): number => {
    let u = index.get(key);
    if (u === undefined) {
      u = maps.length;
      index.set(key, u);
      maps.push(build());
    }
    return u;
  };
  const free = (tS: number) => mapOf(`free|${tS}`, () => [{ free: true, tS }]);
  for (const ev of timeline.events) {
    if (ev.kind === "free") ops.push({ kind: 0, u: free(ev.durationS), theta: 0 });
    else if (ev.kind === "spoil") {
      ops.push({ kind: 0, u: free(ev.durationS), theta: 0 }, { kind: 1, u: 0, theta: 0 });
    } else if (ev.kind === "adc") {
      ops.push({ kind: 2, u: ev.index, theta: settings.resetInitMag ? 1 : 0 });
    } else {
      const s = ev.shape;
      const key = `pulse|${s.key}|${ev.ampHz}|${ev.freqHz}|${ev.deadTimeS}`;
      const u = mapOf(key, () => {
        const iv: _Interval[] = [];
        if (ev.deadTimeS > 0) iv.push({ free: true, tS: ev.deadTimeS });
        for (let k = 0; k < s.magnitude.length; k++) {
          iv.push({
            free: false,
            ampHz: s.magnitude[k]! * ev.ampHz,
            freqHz: ev.freqHz,
            phaseRad: -s.phaseRad[k]!,
            tS: s.durationS[k]!,
          });
        }
        if (s.ringdownS > 0) iv.push({ free: true, tS: s.ringdownS });
        if (!iv.length) iv.push({ free: true, tS: 0 });
        return iv;
      });
      ops.push({ kind: 0, u, theta: ev.phaseRad });
      if (ev.tailS > 0) ops.push({ kind: 0, u: free(ev.tailS), theta: 0 });
    }
  }
  return { maps, ops };
}

/** Options of {@link simulateSeqGpu}. */
export interface SeqGpuOptions {
  /** Most intervals per expm batch (default: what the scratch and bindings allow, ≤ 4096). */
  batchIntervals?: number;
  /** Most walk operations per dispatch (lavapipe's loop budget; default 300). */
  opsPerDispatch?: number;
}

/**
 * Simulates one `.seq` timeline for several models on the GPU in f32.
 * @param models tissue models (each at most 31 states: water + 9 CEST pools + MT)
 * @param timeline the events (seq_timeline.ts)
 * @param settings reset_init_mag and scale, shared by all models
 * @returns raw water Mz per ADC, one array per model
 * @example
 * const [mz] = await simulateSeqGpu([model], protocol.timeline, protocol.settings);
 */
export async function simulateSeqGpu(
  models: readonly TissueModel[],
  timeline: SeqTimeline,
  settings: SeqSimSettings,
  opts: SeqGpuOptions = {},
): Promise<Float64Array[]> {
  if (!models.length) return [];
  const { device, info } = await getGpu();
  const maxN1 = Math.max(...models.map((m) => stateLayout(m).n + 1));
  if (maxN1 > 32) {
    throw new RangeError(
      `simulateSeqGpu: a model has ${maxN1 - 1} states; at most 31 are supported`,
    );
  }
  // capacities: every inner loop runs over N, so a small model in a large N wastes most of it
  const N = maxN1 <= 12 ? 12 : maxN1 <= 20 ? 20 : 32;
  const NN = N * N;
  const { maps, ops } = timelineOps(timeline, settings);
  const U = maps.length;
  const maxBind = info.limits.maxStorageBufferBindingSize;
  const scrPerThread = 4 * NN + 8 * N; // bm_linalg.wgsl SCR_PER_THREAD
  const batchMax = Math.max(
    1,
    Math.min(
      opts.batchIntervals ?? 4096,
      Math.floor(maxBind / (scrPerThread * 4)),
      Math.floor(maxBind / (NN * 4)),
    ),
  );
  const expm = getKernel(device, SEQ_EXPM, { N });
  const compose = getKernel(device, SEQ_COMPOSE, { N });
  const walk = getKernel(device, SEQ_WALK, { N });
  const mapBuf = storageBuffer(device, models.length * U * NN * 4, "seq maps");
  const buffers: GPUBuffer[] = [mapBuf];

  // (model, map) items, each a run of intervals; batches of whole items
  type Item = { model: number; u: number };
  const items: Item[] = [];
  for (let m = 0; m < models.length; m++) for (let u = 0; u < U; u++) items.push({ model: m, u });
  const freeSys = models.map((m) => bmSystem(m, 0, 0));
  let next = 0;
  while (next < items.length) {
    const batch: Item[] = [];
    let count = 0;
    while (
      next < items.length &&
      (batch.length === 0 || count + maps[items[next]!.u]!.length <= batchMax)
    ) {
      batch.push(items[next]!);
      count += maps[items[next]!.u]!.length;
      next++;
    }
    const mats = new Float32Array(count * NN);
    const meta = new Float32Array(count * 2);
    const starts: number[] = [];
    let t = 0;
    for (const { model: mi, u } of batch) {
      const model = models[mi]!;
      const n = stateLayout(model).n;
      starts.push(t);
      for (const iv of maps[u]!) {
        const { A, C } = iv.free ? freeSys[mi]! : rfSystem(model, iv.ampHz, iv.freqHz, iv.phaseRad);
        const o = t * NN;
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) mats[o + i * N + j] = A[i * n + j]!;
          mats[o + i * N + n] = C[i]!;
        }
        meta[2 * t] = n + 1;
        meta[2 * t + 1] = iv.tS;
        t++;
      }
    }
    const local: GPUBuffer[] = [];
    const matBuf = uploadBuffer(device, mats, "seq intervals");
    const metaBuf = uploadBuffer(device, meta, "seq interval info");
    let cur = storageBuffer(device, count * NN * 4, "seq F");
    local.push(matBuf, metaBuf, cur);
    const enc = device.createCommandEncoder();
    const threads = Math.min(count, batchMax);
    const scr = storageBuffer(
      device,
      Math.ceil(threads / 64) * 64 * scrPerThread * 4,
      "seq scratch",
    );
    local.push(scr);
    for (let first = 0; first < count; first += threads) {
      const prm = uniformBuffer(device, [{ u32: count }, { u32: first }, { u32: threads }]);
      local.push(prm);
      const pass = enc.beginComputePass();
      dispatch(
        device,
        pass,
        expm,
        [matBuf, metaBuf, cur, scr, prm],
        Math.min(threads, count - first),
      );
      pass.end();
    }
    // tree: each item's run [start, start + len) halves per level
    let runs = batch.map((it, k) => ({ start: starts[k]!, len: maps[it.u]!.length }));
    while (runs.some((r) => r.len > 1)) {
      const pairs: number[] = [];
      const nextRuns: { start: number; len: number }[] = [];
      runs.forEach((r, k) => {
        const n1 = stateLayout(models[batch[k]!.model]!).n + 1;
        nextRuns.push({ start: pairs.length / 3, len: Math.ceil(r.len / 2) });
        for (let i = 0; i < r.len; i += 2) {
          pairs.push(r.start + i, i + 1 < r.len ? r.start + i + 1 : -1, n1);
        }
      });
      const outCount = pairs.length / 3;
      const pairBuf = uploadBuffer(device, Int32Array.from(pairs), "seq pairs");
      const dst = storageBuffer(device, outCount * NN * 4, "seq F");
      const prm = uniformBuffer(device, [{ u32: outCount }]);
      local.push(pairBuf, dst, prm);
      const pass = enc.beginComputePass();
      dispatch(device, pass, compose, [cur, pairBuf, dst, prm], outCount);
      pass.end();
      cur = dst;
      runs = nextRuns;
    }
    batch.forEach((it, k) => {
      const dstOff = (it.model * U + it.u) * NN * 4;
      enc.copyBufferToBuffer(cur, runs[k]!.start * NN * 4, mapBuf, dstOff, NN * 4);
    });
    device.queue.submit([enc.finish()]);
    // free this batch's buffers before the next (many models make many batches)
    await device.queue.onSubmittedWorkDone();
    for (const b of local) b.destroy();
  }

  // the walk
  const opArr = new Float32Array(ops.length * 3);
  ops.forEach((op, i) => opArr.set([op.kind, op.u, op.theta], 3 * i));
  const minfo = new Float32Array(models.length * (2 + N));
  models.forEach((model, m) => {
    const { n, pools } = stateLayout(model);
    const o = m * (2 + N);
    minfo[o] = n + 1;
    minfo[o + 1] = pools;
    minfo.set(initialMagnetization(model, settings), o + 2);
    minfo[o + 2 + n] = 1;
  });
  const opBuf = uploadBuffer(device, opArr, "seq ops");
  const infoBuf = uploadBuffer(device, minfo, "seq models");
  const stateBuf = storageBuffer(device, models.length * 2 * N * 4, "seq state");
  const outBuf = storageBuffer(device, models.length * timeline.adcCount * 4, "seq out");
  buffers.push(opBuf, infoBuf, stateBuf, outBuf);
  const enc = device.createCommandEncoder();
  const per = opts.opsPerDispatch ?? 300;
  for (let first = 0; first < ops.length; first += per) {
    const prm = uniformBuffer(device, [
      { u32: models.length },
      { u32: U },
      { u32: first },
      { u32: Math.min(ops.length, first + per) },
      { u32: timeline.adcCount },
    ]);
    buffers.push(prm);
    const pass = enc.beginComputePass();
    dispatch(device, pass, walk, [mapBuf, opBuf, infoBuf, stateBuf, outBuf, prm], models.length);
    pass.end();
  }
  device.queue.submit([enc.finish()]);
  const got = await readF32(device, outBuf, models.length * timeline.adcCount);
  for (const b of buffers) b.destroy();
  return models.map((_, m) =>
    Float64Array.from(got.subarray(m * timeline.adcCount, (m + 1) * timeline.adcCount))
  );
}
