/**
 * Where the GPU simulator's groups run: bucketed by layout (pool count, MT) and saturation
 * kernel (register or scratch), and on a software adapter the Ts = ∞ slots on the float64
 * CPU reference instead of the scratch kernel.
 * @module
 */
import { getGpu } from "../gpu/device.ts";
import type { Protocol } from "./protocol.ts";
import { stateLayout } from "./bm_matrix.ts";
import { type BmGroup, type BmLayout, bmLayout, NSLOT } from "./bm_record.ts";
import { type GpuSimOptions, REG_MAX_STATES, runLayout } from "./bm_chunks.ts";
import { simulateCpuStates } from "./cpu_sim.ts";

/** Whether a group runs on the register kernel (bm_sat_reg.wgsl): ≤ 19 states, no Ts = ∞. */
function _useRegisterKernel(g: BmGroup, lay: BmLayout, opts: GpuSimOptions): boolean {
  return opts.satKernel !== "scratch" && lay.N <= REG_MAX_STATES &&
    g.slots.every((sl) => sl.mode >= 0);
}

/** Runs groups of any layouts; returns for each group its [NSLOT, noff] block and noff. */
export async function runGroups(
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
    const { out, noff } = await runLayout(
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
