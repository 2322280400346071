/**
 * The maps of a `.seq` timeline on the GPU: for every (model, distinct map) one F = E − I of
 * the map's constant intervals composed in order (seq_gpu_sim.ts walks them). Two paths:
 * - register (systems of up to 19 states): matrices in registers, in the fixed register state
 *   order (shaders/mat20.wgsl, src/physics/mat20.ts); the host writes, per (model, RF
 *   frequency), Ã at zero amplitude and two scalars (ω1 per Hz, the MT saturation rate per
 *   Hz²), and a thread per interval adds its RF — `seq_expm_reg`; a tree of fan-in 8 composes
 *   — `seq_compose_reg`;
 * - scratch (larger systems): the host writes every interval's Ã, matrices live in a storage
 *   scratch (bm_linalg.wgsl) — `seq_expm`; a tree of pairs composes — `seq_compose`.
 * Both work in batches of whole (model, map) items, exponentiate each distinct (model,
 * interval) of a batch once, and copy one F per item into the map table.
 * @module
 */
import { defineKernel, dispatch, getKernel } from "../../gpu/kernel.ts";
import { storageBuffer, uniformBuffer, uploadBuffer } from "../../gpu/buffers.ts";
import type { TissueModel } from "../model.ts";
import { bmSystem, stateLayout } from "../bm_matrix.ts";
import { MAT20_SIZE, putAugmented, registerOrder } from "../mat20.ts";
import { rfSampleKey, rfSystem } from "./seq_cpu_sim.ts";

/** A constant interval of a map: free evolution, or an RF sample (amplitude, frequency, phase). */
export type SeqInterval = { free: true; tS: number } | {
  free: false;
  ampHz: number;
  freqHz: number;
  phaseRad: number;
  tS: number;
};

/** F = e^{At} − I per interval, matrices in a storage scratch. */
export const SEQ_EXPM = defineKernel({
  name: "seq_expm",
  file: "seq_expm.wgsl",
  includes: ["bm_linalg.wgsl"],
  bindings: ["read", "read", "storage", "storage", "uniform"],
  workgroupSize: 64,
  doc: ".seq: F = exp(A t) - I of one constant interval (augmented BM system)",
});

/** One level of the interval-composition tree, matrices in a storage scratch. */
export const SEQ_COMPOSE = defineKernel({
  name: "seq_compose",
  file: "seq_compose.wgsl",
  bindings: ["read", "read", "storage", "uniform"],
  workgroupSize: 64,
  doc: ".seq: (I + Fb)(I + Fa) - I for pairs of consecutive intervals",
});

/** F = e^{At} − I per interval, matrices in registers (≤ 19 states). */
export const SEQ_EXPM_REG = defineKernel({
  name: "seq_expm_reg",
  file: "seq_expm_reg.wgsl",
  includes: ["mat20.wgsl", "mat20_load.wgsl", "mat20_store.wgsl"],
  bindings: ["read", "read", "read", "storage", "uniform"],
  workgroupSize: 64,
  doc: ".seq: F = exp(A t) - I of one constant interval, matrices in registers (≤ 19 states)",
});

/** One level of the interval-composition tree, matrices in registers (≤ 19 states). */
export const SEQ_COMPOSE_REG = defineKernel({
  name: "seq_compose_reg",
  file: "seq_compose_reg.wgsl",
  includes: ["mat20.wgsl", "mat20_load.wgsl", "mat20_store.wgsl"],
  bindings: ["read", "read", "storage", "uniform"],
  workgroupSize: 64,
  doc: ".seq: compose up to 8 consecutive F = E - I in order, matrices in registers (≤ 19 states)",
});

/** Largest augmented system of the register path (19 states and the constant 1). */
export const SEQ_REG_MAX_N = 20;

/** Options of {@link seqMapsGpu}. */
export interface SeqMapOptions {
  /** Most intervals per batch (default 65,536 on the register path, 4,096 on the scratch one,
   * fewer where the binding limit says so). */
  batchIntervals?: number;
  /** Force the storage-scratch path even where the register path fits (tests). */
  scratch?: boolean;
}

/** The map table: F per (model, map), N×N floats each. */
export interface SeqMapTable {
  buffer: GPUBuffer;
  /** Matrix capacity N (the walk's state size). */
  N: number;
  /** Register path: blocked matrices in register state order (mat20.ts); else row-major. */
  register: boolean;
}

type Item = { model: number; u: number };

/** An interval of one model to exponentiate. */
type Entry = { model: number; iv: SeqInterval };

/** How one path writes and exponentiates a batch's intervals and composes pairs. */
interface MapPath {
  /** Floats per matrix. */
  size: number;
  /** Most intervals per batch. */
  batchMax: number;
  /** Records the expm of the entries; returns the F buffer (one per entry, in order). */
  expm(enc: GPUCommandEncoder, entries: Entry[], local: GPUBuffer[]): GPUBuffer;
  /** Matrices composed per thread and level. */
  fanIn: number;
  /** One composition level: groups of up to fanIn of one model's matrices, in order. */
  compose(
    enc: GPUCommandEncoder,
    src: GPUBuffer,
    groups: { idx: number[]; model: number }[],
    local: GPUBuffer[],
  ): GPUBuffer;
}

/** Intervals with one key have the same system and duration in every model (free ones: any map). */
export function seqIntervalKey(iv: SeqInterval): string {
  return iv.free ? `free|${iv.tS}` : rfSampleKey(iv.ampHz, iv.freqHz, iv.phaseRad, iv.tS);
}

/** The RF amplitude (Hz) at which the register path's RF scalars are taken. */
const REF_AMP_HZ = 1000;

/**
 * Ã at zero RF amplitude at one frequency, ω1 per Hz of amplitude and the MT saturation rate
 * per Hz², from rfSystem (the float64 reference's own system; linear in a and a²).
 */
function _rfBasis(model: TissueModel, freqHz: number) {
  const a = REF_AMP_HZ;
  const { pools: P, n, mtZ } = stateLayout(model);
  const s0 = rfSystem(model, 0, freqHz, 0);
  const sp = rfSystem(model, a, freqHz, 0);
  const sn = rfSystem(model, -a, freqHz, 0);
  const w1PerHz = sp.A[P * n + 2 * P]! / a; // ω1 couples z into y at phase 0
  const d = mtZ * n + mtZ;
  const mtPerHz2 = mtZ < 0 ? 0 : -((sp.A[d]! + sn.A[d]!) / 2 - s0.A[d]!) / (a * a);
  return { A: s0.A, C: s0.C, w1PerHz, mtPerHz2 };
}

/** Groups of up to `k` in a Int32Array [groups, k], −1 padded. */
function _padGroups(groups: { idx: number[] }[], k: number): Int32Array {
  const out = new Int32Array(groups.length * k).fill(-1);
  groups.forEach((g, i) => out.set(g.idx, i * k));
  return out;
}

function _registerPath(
  device: GPUDevice,
  models: readonly TissueModel[],
  maps: SeqInterval[][],
  batchMax: number,
): MapPath {
  const fanIn = 8;
  const expmK = getKernel(device, SEQ_EXPM_REG);
  const composeK = getKernel(device, SEQ_COMPOSE_REG, { FANIN: fanIn });
  const freqs = new Map<number, number>([[0, 0]]); // free intervals: no RF, frequency 0
  for (const ivs of maps) {
    for (const iv of ivs) if (!iv.free && !freqs.has(iv.freqHz)) freqs.set(iv.freqHz, freqs.size);
  }
  return {
    size: MAT20_SIZE,
    batchMax,
    fanIn,
    expm(enc, entries, local) {
      const count = entries.length;
      const first = entries[0]!.model;
      const nm = entries[count - 1]!.model - first + 1;
      const bases = new Float32Array(nm * freqs.size * MAT20_SIZE);
      const rf = new Float32Array(nm * freqs.size * 2);
      for (let m = 0; m < nm; m++) {
        const model = models[first + m]!;
        const pos = registerOrder(stateLayout(model));
        for (const [f, k] of freqs) {
          const b = m * freqs.size + k;
          const { A, C, w1PerHz, mtPerHz2 } = _rfBasis(model, f);
          putAugmented(bases, b * MAT20_SIZE, A, C, pos);
          rf[2 * b] = w1PerHz;
          rf[2 * b + 1] = mtPerHz2;
        }
      }
      // struct Iv { base: u32, cx, sy, w2, t: f32 } (20 bytes)
      const raw = new ArrayBuffer(count * 20);
      const u32 = new Uint32Array(raw), f32 = new Float32Array(raw);
      entries.forEach(({ model, iv }, t) => {
        const o = 5 * t;
        f32[o + 4] = iv.tS;
        u32[o] = (model - first) * freqs.size + (iv.free ? 0 : freqs.get(iv.freqHz)!);
        if (iv.free) return;
        f32[o + 1] = iv.ampHz * Math.cos(iv.phaseRad);
        f32[o + 2] = iv.ampHz * Math.sin(iv.phaseRad);
        f32[o + 3] = iv.ampHz * iv.ampHz;
      });
      const basesBuf = uploadBuffer(device, bases, "seq bases");
      const rfBuf = uploadBuffer(device, rf, "seq rf");
      const ivBuf = uploadBuffer(device, u32, "seq intervals");
      const out = storageBuffer(device, count * MAT20_SIZE * 4, "seq F");
      const prm = uniformBuffer(device, [{ u32: count }]);
      local.push(basesBuf, rfBuf, ivBuf, out, prm);
      const pass = enc.beginComputePass();
      dispatch(device, pass, expmK, [basesBuf, rfBuf, ivBuf, out, prm], count);
      pass.end();
      return out;
    },
    compose(enc, src, groups, local) {
      const flat = _padGroups(groups, fanIn);
      return _composeLevel(device, enc, composeK, src, flat, groups.length, MAT20_SIZE, local);
    },
  };
}

function _scratchPath(
  device: GPUDevice,
  models: readonly TissueModel[],
  N: number,
  batchMax: number,
): MapPath {
  const NN = N * N;
  const expmK = getKernel(device, SEQ_EXPM, { N });
  const composeK = getKernel(device, SEQ_COMPOSE, { N });
  const scrPerThread = 4 * NN + 8 * N; // bm_linalg.wgsl SCR_PER_THREAD
  const freeSys = models.map((m) => bmSystem(m, 0, 0));
  const n1 = models.map((m) => stateLayout(m).n + 1);
  return {
    size: NN,
    batchMax,
    fanIn: 2,
    expm(enc, entries, local) {
      const count = entries.length;
      const mats = new Float32Array(count * NN);
      const meta = new Float32Array(count * 2);
      entries.forEach(({ model: mi, iv }, t) => {
        const n = n1[mi]! - 1;
        const { A, C } = iv.free
          ? freeSys[mi]!
          : rfSystem(models[mi]!, iv.ampHz, iv.freqHz, iv.phaseRad);
        const o = t * NN;
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) mats[o + i * N + j] = A[i * n + j]!;
          mats[o + i * N + n] = C[i]!;
        }
        meta[2 * t] = n + 1;
        meta[2 * t + 1] = iv.tS;
      });
      const matBuf = uploadBuffer(device, mats, "seq intervals");
      const metaBuf = uploadBuffer(device, meta, "seq interval info");
      const cur = storageBuffer(device, count * NN * 4, "seq F");
      const threads = Math.min(count, batchMax);
      const scr = storageBuffer(
        device,
        Math.ceil(threads / 64) * 64 * scrPerThread * 4,
        "seq scratch",
      );
      local.push(matBuf, metaBuf, cur, scr);
      for (let first = 0; first < count; first += threads) {
        const prm = uniformBuffer(device, [{ u32: count }, { u32: first }, { u32: threads }]);
        local.push(prm);
        const pass = enc.beginComputePass();
        dispatch(
          device,
          pass,
          expmK,
          [matBuf, metaBuf, cur, scr, prm],
          Math.min(threads, count - first),
        );
        pass.end();
      }
      return cur;
    },
    compose(enc, src, groups, local) {
      const flat = Int32Array.from(
        groups.flatMap(({ idx, model }) => [idx[0]!, idx[1] ?? -1, n1[model]!]),
      );
      return _composeLevel(device, enc, composeK, src, flat, groups.length, NN, local);
    },
  };
}

function _composeLevel(
  device: GPUDevice,
  enc: GPUCommandEncoder,
  kernel: ReturnType<typeof getKernel>,
  src: GPUBuffer,
  pairs: Int32Array,
  count: number,
  size: number,
  local: GPUBuffer[],
): GPUBuffer {
  const pairBuf = uploadBuffer(device, pairs, "seq pairs");
  const dst = storageBuffer(device, count * size * 4, "seq F");
  const prm = uniformBuffer(device, [{ u32: count }]);
  local.push(pairBuf, dst, prm);
  const pass = enc.beginComputePass();
  dispatch(device, pass, kernel, [src, pairBuf, dst, prm], count);
  pass.end();
  return dst;
}

/**
 * F per (model, map) of a timeline's distinct maps, on the GPU.
 * @param maps each map's constant intervals in order (timelineOps in seq_gpu_sim.ts)
 * @returns the map table (the caller destroys its buffer)
 */
export async function seqMapsGpu(
  device: GPUDevice,
  maxBindBytes: number,
  models: readonly TissueModel[],
  maps: SeqInterval[][],
  opts: SeqMapOptions = {},
): Promise<SeqMapTable> {
  const maxN1 = Math.max(...models.map((m) => stateLayout(m).n + 1));
  const reg = maxN1 <= SEQ_REG_MAX_N && !opts.scratch;
  // capacities: every inner loop of the scratch kernels runs over N
  const N = reg ? SEQ_REG_MAX_N : maxN1 <= 12 ? 12 : maxN1 <= 20 ? 20 : 32;
  const NN = N * N;
  const perInterval = reg ? NN * 4 : (4 * NN + 8 * N) * 4; // F, or the scratch per thread
  const batchMax = Math.max(
    1,
    Math.min(opts.batchIntervals ?? (reg ? 65536 : 4096), Math.floor(maxBindBytes / perInterval)),
  );
  const path = reg
    ? _registerPath(device, models, maps, batchMax)
    : _scratchPath(device, models, N, batchMax);
  const U = maps.length;
  const size = path.size;
  const table = storageBuffer(device, models.length * U * size * 4, "seq maps");
  const items: Item[] = [];
  for (let m = 0; m < models.length; m++) for (let u = 0; u < U; u++) items.push({ model: m, u });
  let next = 0;
  while (next < items.length) {
    // a batch of whole items
    const batch: Item[] = [];
    let count = 0;
    while (
      next < items.length &&
      (batch.length === 0 || count + maps[items[next]!.u]!.length <= path.batchMax)
    ) {
      batch.push(items[next]!);
      count += maps[items[next]!.u]!.length;
      next++;
    }
    // the batch's distinct (model, interval) pairs; each item's run of indices into them
    const entries: Entry[] = [];
    const index = new Map<string, number>();
    let runs = batch.map(({ model, u }) =>
      maps[u]!.map((iv) => {
        const key = `${model}|${seqIntervalKey(iv)}`;
        let e = index.get(key);
        if (e === undefined) {
          index.set(key, e = entries.length);
          entries.push({ model, iv });
        }
        return e;
      })
    );
    const local: GPUBuffer[] = [];
    const enc = device.createCommandEncoder();
    let cur = path.expm(enc, entries, local);
    // tree: each level composes groups of up to fanIn consecutive matrices of each run
    while (runs.some((r) => r.length > 1)) {
      const groups: { idx: number[]; model: number }[] = [];
      runs = runs.map((r, k) => {
        const next: number[] = [];
        for (let i = 0; i < r.length; i += path.fanIn) {
          next.push(groups.length);
          groups.push({ idx: r.slice(i, i + path.fanIn), model: batch[k]!.model });
        }
        return next;
      });
      cur = path.compose(enc, cur, groups, local);
    }
    batch.forEach((it, k) => {
      const dstOff = (it.model * U + it.u) * size * 4;
      enc.copyBufferToBuffer(cur, runs[k]![0]! * size * 4, table, dstOff, size * 4);
    });
    device.queue.submit([enc.finish()]);
    // free this batch's buffers before the next (many models make many batches)
    await device.queue.onSubmittedWorkDone();
    for (const b of local) b.destroy();
  }
  return { buffer: table, N, register: reg };
}
