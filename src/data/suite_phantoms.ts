/**
 * The evaluation suite's phantoms: single-slice 64×64 objects whose geometry differs from the
 * rat-brain phantom (phantom_maps.ts) and whose tissue is NOT drawn from the training
 * sampler: every tissue class takes its 7-pool parameters from the literature rows of
 * docs/physics/pool_parameters.md §1 (copied below, source named per class), several lie
 * outside the training box, the z-only MT lineshape is Lorentzian in some classes and
 * SuperLorentzian in others, and a smooth relative-B1 field (0.85–1.15) multiplies the
 * nominal 1 µT. Quality claims are measured on these, never tuned on them.
 *
 * - `human-axial`: a human-like axial slice: gyrated cortical GM ribbon, WM core, deep GM
 *   nuclei, and two ventricles left out of the mask (no CSF is simulated);
 * - `tumour`: a brain with GM/WM, a lobulated tumour with necrotic core, enhancing rim and
 *   finger-like peritumoural oedema;
 * - `vials`: seven vials (six on a ring, one central), one literature tissue each.
 *
 * Each class's parameters vary smoothly over the slice: parameter p of a voxel is
 * mean·(1 + variation·field_p), field_p a smooth random field scaled to peak |1| over the
 * slice, so it stays within mean·[1 − variation, 1 + variation] (variation 3–15 % by class).
 * Noise (Rician on signal and M0, phantom.ts's addRicianNoise) is added after one noiseless
 * simulation per phantom.
 * @module
 */
import { Rng } from "../util/rng.ts";
import { InputError } from "../util/errors.ts";
import { exists } from "../util/atomic.ts";
import { readSafetensors, type SafeTensors, writeSafetensors } from "./safetensors.ts";
import { smoothField } from "./phantom_maps.ts";
import {
  addRicianNoise,
  type NoisyImages,
  type PairSimulator,
  simulateVolumes,
} from "./phantom.ts";
import type { CestPool, TissueModel } from "../physics/model.ts";
import { PAPER_POOLS } from "../physics/param_space.ts";
import { DEFAULT_B0_T, GAMMA_RAD_PER_S_UT } from "../physics/constants.ts";

/** Names of the suite phantoms. */
export const SUITE_PHANTOMS = ["human-axial", "tumour", "vials"] as const;
/** One of {@link SUITE_PHANTOMS}. */
export type SuitePhantomName = typeof SUITE_PHANTOMS[number];

/**
 * FROZEN seeds of the suite (geometry jitter, parameter fields, B1 field, noise). They were
 * fixed on 2026-12-01, before any model or hyper-parameter was tuned against the suite;
 * never change them (a change makes every earlier quality number incomparable).
 */
export const SUITE_SEEDS: Readonly<Record<SuitePhantomName, number>> = Object.freeze({
  "human-axial": 7_310_001,
  tumour: 7_310_002,
  vials: 7_310_003,
});

/** SNRs of the suite (Infinity = noiseless), relative to the mean M0 inside the mask. */
export const SUITE_SNRS: readonly number[] = Object.freeze([Infinity, 200, 100, 50]);

/** Nominal saturation B1 of every suite scan, µT (relB1 maps vary around it). */
export const SUITE_B1_UT = 1;

/** Range of the relative-B1 field over each phantom's mask. */
export const SUITE_REL_B1_RANGE: readonly [number, number] = [0.85, 1.15];

export {
  SUITE_CLASSES,
  SUITE_DESCRIPTIONS,
  SUITE_N_PARAMS,
  SUITE_PARAM_NAMES,
  type SuiteTissueClass,
} from "./suite_tissues.ts";
import { SUITE_CLASSES, SUITE_N_PARAMS, type SuiteTissueClass } from "./suite_tissues.ts";

/** The maps of a suite phantom, each row-major [y][x] (x fastest) of size × size. */
export interface SuiteMaps {
  name: SuitePhantomName;
  size: number;
  seed: number;
  /** Class label per voxel (0 = background / left out), see {@link SUITE_CLASSES}. */
  labels: Uint8Array;
  /** 1 inside the object. */
  mask: Uint8Array;
  /** Parameters per voxel, [voxel][20] ({@link SUITE_PARAM_NAMES}; 0 outside the mask). */
  params: Float64Array;
  /** Relative B1 per voxel (1 outside the mask). */
  relB1: Float64Array;
  /** Noiseless M0 (proton density × receive coil; 0 outside the mask). */
  m0: Float64Array;
  classes: readonly SuiteTissueClass[];
}

function _checkName(name: string): asserts name is SuitePhantomName {
  if (!(SUITE_PHANTOMS as readonly string[]).includes(name)) {
    throw new InputError(
      `unknown suite phantom "${name}"; use one of ${SUITE_PHANTOMS.join(", ")}`,
    );
  }
}

/** Human-like axial slice: labels 1 cortical GM, 2 WM, 3 deep GM; ventricles 0. */
function _humanLabels(size: number, rng: Rng): Uint8Array {
  const labels = new Uint8Array(size * size);
  const a = 0.4, b = 0.46;
  const gyri = Array.from({ length: 3 }, () => ({
    k: 7 + rng.int(6),
    ph: rng.range(0, 2 * Math.PI),
    amp: rng.range(0.25, 0.45),
  }));
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size - 0.5, v = 0.5 - (y + 0.5) / size;
      const rho = Math.hypot(u / a, v / b);
      if (rho > 1) continue;
      const th = Math.atan2(v / b, u / a);
      let depth = 0.16;
      for (const g of gyri) depth *= 1 + g.amp * Math.cos(g.k * th + g.ph) / 1.5;
      const i = y * size + x;
      labels[i] = rho > 1 - depth ? 1 : 2;
      // deep GM nuclei (thalamus / basal ganglia)
      for (const s of [-1, 1]) {
        if (((u - s * 0.12) / 0.065) ** 2 + ((v + 0.03) / 0.09) ** 2 < 1) labels[i] = 3;
      }
      // lateral ventricles: tilted ellipses, left out of the mask (no CSF is simulated)
      for (const s of [-1, 1]) {
        const du = u - s * 0.045, dv = v - 0.06;
        const c = Math.cos(s * 0.25), sn = Math.sin(s * 0.25);
        const p = du * c - dv * sn, q = du * sn + dv * c;
        if ((p / 0.03) ** 2 + (q / 0.13) ** 2 < 1) labels[i] = 0;
      }
    }
  }
  return labels;
}

/** Tumour slice: 1 GM, 2 WM, 3 oedema, 4 enhancing rim, 5 necrotic core. */
function _tumourLabels(size: number, rng: Rng): Uint8Array {
  const labels = new Uint8Array(size * size);
  const a = 0.43, b = 0.4;
  const tx = 0.1 + rng.range(-0.01, 0.01), ty = 0.06 + rng.range(-0.01, 0.01);
  const tr = 0.15;
  const lobes = Array.from(
    { length: 3 },
    () => ({ k: 2 + rng.int(3), ph: rng.range(0, 2 * Math.PI), a: rng.range(0.08, 0.18) }),
  );
  const fingers = { k: 5 + rng.int(3), ph: rng.range(0, 2 * Math.PI) };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size - 0.5, v = 0.5 - (y + 0.5) / size;
      const rho = Math.hypot(u / a, v / b);
      if (rho > 1) continue;
      const i = y * size + x;
      labels[i] = rho > 0.72 ? 1 : 2;
      const du = u - tx, dv = v - ty;
      const ang = Math.atan2(dv, du);
      let rr = tr;
      for (const l of lobes) rr *= 1 + l.a * Math.cos(l.k * ang + l.ph) / 2;
      const d = Math.hypot(du, dv);
      const oedema = rr + 0.06 * (1 + Math.cos(fingers.k * ang + fingers.ph));
      if (d < rr) labels[i] = d < 0.5 * rr ? 5 : 4;
      else if (d < oedema) labels[i] = 3;
    }
  }
  return labels;
}

/** Seven vials: six on a ring, one central (labels 1..7). */
function _vialLabels(size: number): Uint8Array {
  const labels = new Uint8Array(size * size);
  const centres = [
    ...Array.from({ length: 6 }, (_, j) => {
      const t = (j * Math.PI) / 3 + Math.PI / 6;
      return [0.29 * Math.cos(t), 0.29 * Math.sin(t)] as const;
    }),
    [0, 0] as const,
  ];
  const r = 0.1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size - 0.5, v = 0.5 - (y + 0.5) / size;
      centres.forEach(([cx, cy], j) => {
        if (Math.hypot(u - cx, v - cy) < r) labels[y * size + x] = j + 1;
      });
    }
  }
  return labels;
}

/** A smooth field scaled to peak |1| over the grid. */
function _peakField(rng: Rng, size: number, maxCycles: number, terms = 5): Float64Array {
  const f = smoothField(rng, size, maxCycles, terms);
  let peak = 0;
  for (const x of f) peak = Math.max(peak, Math.abs(x));
  for (let i = 0; i < f.length; i++) f[i] = f[i]! / (peak || 1);
  return f;
}

/** Options of {@link suiteMaps}. */
export interface SuiteMapOptions {
  /** Matrix size (square), 1 mm-like voxels. Default 64. */
  size?: number;
  /** Seed (default: the frozen {@link SUITE_SEEDS} entry). */
  seed?: number;
}

/**
 * Builds a suite phantom's labels, mask, parameter, relative-B1 and M0 maps (pure CPU,
 * deterministic from the seed).
 * @param name one of {@link SUITE_PHANTOMS}
 * @throws InputError for an unknown name; RangeError for a size below 8
 * @example
 * const maps = suiteMaps("tumour");
 */
export function suiteMaps(name: string, opts: SuiteMapOptions = {}): SuiteMaps {
  _checkName(name);
  const size = opts.size ?? 64;
  const seed = opts.seed ?? SUITE_SEEDS[name];
  if (!Number.isInteger(size) || size < 8) {
    throw new RangeError(`Expected a phantom size ≥ 8 but found ${size}`);
  }
  const labels = name === "human-axial"
    ? _humanLabels(size, new Rng(seed, 1))
    : name === "tumour"
    ? _tumourLabels(size, new Rng(seed, 1))
    : _vialLabels(size);
  const classes = SUITE_CLASSES[name];
  const nv = size * size;
  const mask = new Uint8Array(nv);
  for (let i = 0; i < nv; i++) mask[i] = labels[i]! > 0 ? 1 : 0;
  const fieldRng = new Rng(seed, 2);
  const params = new Float64Array(nv * SUITE_N_PARAMS);
  for (let p = 0; p < SUITE_N_PARAMS; p++) {
    const field = _peakField(fieldRng, size, 2.5);
    for (let i = 0; i < nv; i++) {
      const cls = classes[labels[i]! - 1];
      if (!cls) continue;
      params[i * SUITE_N_PARAMS + p] = cls.params[p]! * (1 + cls.variation * field[i]!);
    }
  }
  // relative B1: a centre-bright profile (7 T dielectric effect) plus a smooth random field,
  // mapped affinely onto SUITE_REL_B1_RANGE over the mask
  const b1Field = smoothField(new Rng(seed, 3), size, 1, 3);
  const raw = new Float64Array(nv);
  let lo = Infinity, hi = -Infinity;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const u = (x + 0.5) / size - 0.5, v = 0.5 - (y + 0.5) / size;
      raw[i] = 1.5 * Math.exp(-(u * u + v * v) / (2 * 0.2 * 0.2)) + 0.6 * b1Field[i]!;
      if (mask[i]) lo = Math.min(lo, raw[i]!), hi = Math.max(hi, raw[i]!);
    }
  }
  const [b1Lo, b1Hi] = SUITE_REL_B1_RANGE;
  const relB1 = new Float64Array(nv).fill(1);
  for (let i = 0; i < nv; i++) {
    if (mask[i]) relB1[i] = hi > lo ? b1Lo + ((raw[i]! - lo) / (hi - lo)) * (b1Hi - b1Lo) : 1;
  }
  const coil = smoothField(new Rng(seed, 4), size, 1, 3);
  const m0 = new Float64Array(nv);
  for (let i = 0; i < nv; i++) {
    const cls = classes[labels[i]! - 1];
    if (cls) m0[i] = cls.pd * (1 + 0.06 * coil[i]!);
  }
  return { name, size, seed, labels, mask, params, relB1, m0, classes };
}

/**
 * The TissueModel of voxel `v`: its class's MT lineshape, MT shift and solute T1, the
 * voxel's 20 parameters and relative B1 (no B0 shift).
 */
export function suiteVoxelModel(maps: SuiteMaps, v: number): TissueModel {
  const cls = maps.classes[maps.labels[v]! - 1];
  if (!cls) throw new RangeError(`voxel ${v} of ${maps.name} is outside the mask`);
  const p = maps.params.subarray(v * SUITE_N_PARAMS, (v + 1) * SUITE_N_PARAMS);
  const cest: CestPool[] = [];
  let mt: TissueModel["mt"];
  PAPER_POOLS.forEach((pool, j) => {
    const f = p[2 + 3 * j]!, kPerS = p[3 + 3 * j]!, t2S = p[4 + 3 * j]!;
    if (pool.name === "MT") {
      mt = { f, kPerS, t2S, t1S: cls.soluteT1S, dwPpm: cls.mtDwPpm, lineshape: cls.mtLineshape };
    } else cest.push({ name: pool.name, f, kPerS, t2S, t1S: cls.soluteT1S, dwPpm: pool.dwPpm });
  });
  return {
    water: { t1S: p[0]!, t2S: p[1]!, f: 1 },
    cest,
    mt,
    b0T: DEFAULT_B0_T,
    gammaRadPerSUT: GAMMA_RAD_PER_S_UT,
    b0InhomPpm: 0,
    relB1: maps.relB1[v]!,
  };
}

/** A simulated (noiseless) suite phantom; volumes are [offset][voxel]. */
export interface SuitePhantom {
  maps: SuiteMaps;
  offsetsPpm: number[];
  b1UT: number;
  b0T: number;
  /** Noiseless Z at the input protocol (Ts 1.5 s, Td 4.5 s), 0 outside the mask. */
  inputClean: Float32Array;
  /** Noiseless Z at Ts 5 s, Td 1 s (the reference), 0 outside the mask. */
  reference: Float32Array;
}

/** Options of {@link simulateSuitePhantom}. */
export interface SuiteSimOptions extends SuiteMapOptions {
  /** The simulator (default: the GPU engine). */
  simulate?: PairSimulator;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Simulates a suite phantom once, noiselessly, at the input and reference protocols.
 * @example
 * const ph = await simulateSuitePhantom("vials", { size: 64 });
 * const noisy = suiteNoise(ph, 100);
 */
export async function simulateSuitePhantom(
  name: string,
  opts: SuiteSimOptions = {},
): Promise<SuitePhantom> {
  const maps = suiteMaps(name, opts);
  const nvox = maps.size * maps.size;
  const voxels: number[] = [];
  for (let v = 0; v < nvox; v++) if (maps.mask[v]) voxels.push(v);
  const models = voxels.map((v) => suiteVoxelModel(maps, v));
  const sim = await simulateVolumes(models, voxels, nvox, {
    b1UT: SUITE_B1_UT,
    simulate: opts.simulate,
    onProgress: (_s, d, t) => opts.onProgress?.(d, t),
  });
  return {
    maps,
    offsetsPpm: sim.offsetsPpm,
    b1UT: SUITE_B1_UT,
    b0T: DEFAULT_B0_T,
    inputClean: sim.inputClean,
    reference: sim.reference,
  };
}

/**
 * The noisy acquisition of a suite phantom at an SNR: Rician noise on the raw series and M0
 * (σ = mean M0 in the mask / SNR), from a stream fixed by the phantom's seed and the SNR.
 * @param snr > 0; Infinity gives the noiseless images
 */
export function suiteNoise(ph: SuitePhantom, snr: number): NoisyImages {
  if (!(snr > 0)) {
    throw new InputError(`--snrs: an SNR must be positive (or inf for no noise), found ${snr}`);
  }
  const code = Number.isFinite(snr) ? Math.round(snr * 1000) : 0;
  return addRicianNoise(
    ph.inputClean,
    ph.maps.m0,
    ph.maps.mask,
    snr,
    new Rng(ph.maps.seed, 5, code),
  );
}

/** Version of the cache layout and of the suite's physics; bump to invalidate caches. */
const _CACHE_VERSION = "quass-suite-1";

/** Cache key: changes with the phantom's name, size, seed, classes and the cache version. */
export function suiteCacheKey(name: string, size: number, seed: number): string {
  _checkName(name);
  const text = JSON.stringify([_CACHE_VERSION, name, size, seed, SUITE_CLASSES[name]]);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `${_CACHE_VERSION}:${name}:${size}:${seed}:${h.toString(16)}`;
}

/** Options of {@link loadSuitePhantom}. */
export interface SuiteCacheOptions extends SuiteSimOptions {
  /** Cache folder (e.g. bench/quality/phantoms); undefined = no cache. */
  cacheDir?: string;
}

/**
 * A suite phantom from the cache folder when a file with the same key is there, else
 * simulated and written there atomically (`<cacheDir>/<name>-<size>.safetensors`).
 * @returns the phantom and whether it came from the cache
 */
export async function loadSuitePhantom(
  name: string,
  opts: SuiteCacheOptions = {},
): Promise<{ phantom: SuitePhantom; cached: boolean; path?: string }> {
  _checkName(name);
  const size = opts.size ?? 64;
  const seed = opts.seed ?? SUITE_SEEDS[name];
  const key = suiteCacheKey(name, size, seed);
  const path = opts.cacheDir
    ? `${opts.cacheDir.replace(/\/+$/, "")}/${name}-${size}.safetensors`
    : undefined;
  if (path && await exists(path)) {
    try {
      const st = await readSafetensors(path);
      const inp = st.tensors.input_clean?.data, ref = st.tensors.reference?.data;
      const offs = st.tensors.offsets_ppm?.data;
      if (
        st.metadata.key === key && inp instanceof Float32Array && ref instanceof Float32Array &&
        offs instanceof Float64Array && inp.length === size * size * offs.length
      ) {
        return {
          phantom: {
            maps: suiteMaps(name, { size, seed }),
            offsetsPpm: Array.from(offs),
            b1UT: SUITE_B1_UT,
            b0T: DEFAULT_B0_T,
            inputClean: inp,
            reference: ref,
          },
          cached: true,
          path,
        };
      }
    } catch { /* unreadable or stale: simulate again */ }
  }
  const phantom = await simulateSuitePhantom(name, { ...opts, size, seed });
  if (path) {
    const nOff = phantom.offsetsPpm.length;
    const file: SafeTensors = {
      tensors: {
        input_clean: { data: phantom.inputClean, shape: [nOff, size, size] },
        reference: { data: phantom.reference, shape: [nOff, size, size] },
        offsets_ppm: { data: Float64Array.from(phantom.offsetsPpm), shape: [nOff] },
      },
      metadata: { key, note: "quass quality-suite cache (noiseless Z, [offset][y][x])" },
    };
    await writeSafetensors(path, file);
  }
  return { phantom, cached: false, path };
}
