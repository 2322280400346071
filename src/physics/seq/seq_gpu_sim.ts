/**
 * Batched f32 WebGPU simulation of one `.seq` timeline for many tissue models (the float64
 * reference is seq_cpu_sim.ts; tests/physics/seq/seq_gpu_sim_test.ts compares them).
 *
 * The timeline is the same for every model, and so is its list of distinct maps: one per
 * pulse (shape, amplitude, frequency, dead time) and one per free duration. On the GPU:
 * 1. seq_gpu_maps.ts: for every (model, map), F = e^{At} − I of each constant interval
 *    (dead time, each pulse sample at phase 0, ring-down; or the one free interval), a thread
 *    per interval, and a tree that composes each map's intervals in order, in F form, into
 *    one F per (model, map) — computed once, reused for every repetition;
 * 2. `seq_walk`, a thread per model: the events in order (a pulse at phase θ is its phase-0
 *    map conjugated by a rotation of the transverse planes), water Mz at each ADC.
 * Systems of up to 19 states keep every matrix in registers (shaders/mat20.wgsl); larger ones
 * use the storage-scratch kernels.
 * @module
 */
import { getGpu } from "../../gpu/device.ts";
import { defineKernel, dispatch, getKernel } from "../../gpu/kernel.ts";
import { readF32, storageBuffer, uniformBuffer, uploadBuffer } from "../../gpu/buffers.ts";
import type { TissueModel } from "../model.ts";
import { stateLayout } from "../bm_matrix.ts";
import type { SeqTimeline } from "./seq_timeline.ts";
import type { SeqSimSettings } from "./seq_settings.ts";
import { initialMagnetization } from "./seq_cpu_sim.ts";
import { type SeqInterval, type SeqMapOptions, seqMapsGpu } from "./seq_gpu_maps.ts";
import { registerOrder } from "../mat20.ts";

/** Walks the timeline per model. */
export const SEQ_WALK = defineKernel({
  name: "seq_walk",
  file: "seq_walk.wgsl",
  bindings: ["read", "read", "read", "storage", "storage", "uniform"],
  workgroupSize: 64,
  doc: ".seq: apply the cached maps (with phase rotations), spoil, record water Mz per ADC",
});

/** Walks the timeline per model, state and maps in registers (≤ 19 states). */
export const SEQ_WALK_REG = defineKernel({
  name: "seq_walk_reg",
  file: "seq_walk_reg.wgsl",
  includes: ["mat20.wgsl", "mat20_load.wgsl"],
  bindings: ["read", "read", "read", "storage", "storage", "uniform"],
  workgroupSize: 64,
  doc: ".seq: the walk of seq_walk with state and maps in registers (≤ 19 states)",
});

/** An operation of the walk: apply map u at phase θ, spoil, or ADC u (θ = 1: reset). */
interface _Op {
  kind: 0 | 1 | 2;
  u: number;
  theta: number;
}

/** The distinct maps of a timeline and the walk's operations (model-independent). */
export function timelineOps(timeline: SeqTimeline, settings: SeqSimSettings): {
  maps: SeqInterval[][];
  ops: _Op[];
} {
  const maps: SeqInterval[][] = [];
  const index = new Map<string, number>();
  const ops: _Op[] = [];
  const mapOf = (key: string, build: () => SeqInterval[]): number => {
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
        const iv: SeqInterval[] = [];
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
export interface SeqGpuOptions extends SeqMapOptions {
  /** Most walk operations per dispatch (lavapipe's loop budget; default 8192 on the register
   * path, 300 on the storage-scratch one). */
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
  const { maps, ops } = timelineOps(timeline, settings);
  const U = maps.length;
  const maxBind = info.limits.maxStorageBufferBindingSize;
  const table = await seqMapsGpu(device, maxBind, models, maps, opts);
  const { N } = table;
  const buffers: GPUBuffer[] = [table.buffer];
  const walk = table.register
    ? getKernel(device, SEQ_WALK_REG)
    : getKernel(device, SEQ_WALK, { N });

  // the walk
  const opArr = new Float32Array(ops.length * 3);
  ops.forEach((op, i) => opArr.set([op.kind, op.u, op.theta], 3 * i));
  // start states: register order (N = 20 entries, 5 vec4), or [n + 1, pools, state] over N
  const per = table.register ? N : 2 + N;
  const minfo = new Float32Array(models.length * per);
  models.forEach((model, m) => {
    const layout = stateLayout(model);
    const init = initialMagnetization(model, settings);
    const o = m * per;
    if (table.register) {
      const pos = registerOrder(layout);
      init.forEach((v, k) => (minfo[o + pos[k]!] = v));
      minfo[o + pos[layout.n]!] = 1;
      return;
    }
    minfo[o] = layout.n + 1;
    minfo[o + 1] = layout.pools;
    minfo.set(init, o + 2);
    minfo[o + 2 + layout.n] = 1;
  });
  const opBuf = uploadBuffer(device, opArr, "seq ops");
  const infoBuf = uploadBuffer(device, minfo, "seq models");
  // the state between dispatches: [M; 1] (register), or it and a scratch copy over N
  const stateBuf = storageBuffer(
    device,
    models.length * (table.register ? N : 2 * N) * 4,
    "seq state",
  );
  const outBuf = storageBuffer(device, models.length * timeline.adcCount * 4, "seq out");
  buffers.push(opBuf, infoBuf, stateBuf, outBuf);
  const enc = device.createCommandEncoder();
  // lavapipe's loop budget: the scratch walk's inner loops count, the register walk has none
  const step = opts.opsPerDispatch ?? (table.register ? 8192 : 300);
  for (let first = 0; first < ops.length; first += step) {
    const prm = uniformBuffer(device, [
      { u32: models.length },
      { u32: U },
      { u32: first },
      { u32: Math.min(ops.length, first + step) },
      { u32: timeline.adcCount },
    ]);
    buffers.push(prm);
    const pass = enc.beginComputePass();
    dispatch(
      device,
      pass,
      walk,
      [table.buffer, opBuf, infoBuf, stateBuf, outBuf, prm],
      models.length,
    );
    pass.end();
  }
  device.queue.submit([enc.finish()]);
  const got = await readF32(device, outBuf, models.length * timeline.adcCount);
  for (const b of buffers) b.destroy();
  return models.map((_, m) =>
    Float64Array.from(got.subarray(m * timeline.adcCount, (m + 1) * timeline.adcCount))
  );
}
