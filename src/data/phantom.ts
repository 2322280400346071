/**
 * The digital rat-brain phantom: the maps of phantom_maps.ts simulated with the
 * Bloch–McConnell engine at the input protocol (Ts 1.5 s, Td 4.5 s), the target protocol
 * (Ts 5 s, Td 1 s) and the exact steady state (Ts = ∞), plus an M0 image, with Rician noise
 * on the acquired images, written as NIfTI-1 volumes with JSON sidecars.
 *
 * Files in the phantom directory (4-D volumes are [x, y, 1, offset]):
 * - `input.nii.gz`   noisy Z at Ts 1.5 s (noisy signal / noisy M0; 0 outside the brain)
 * - `input_raw.nii.gz` + `m0.nii.gz` the same acquisition as raw signal (Z × M0 + noise) and
 *   its M0 scan (proton density × a smooth receive-coil shading)
 * - `input_clean.nii.gz` noiseless Z at Ts 1.5 s
 * - `reference_ts5.nii.gz` noiseless Z at Ts 5 s, Td 1 s (the networks' target)
 * - `steady_state.nii.gz` noiseless exact steady state (the true QUASS)
 * - `mask.nii.gz`, `labels.nii.gz` (1 GM, 2 WM, 3 tumour, 4 rim), `t1.nii.gz` (water T1, s),
 *   `params.nii.gz` ([x, y, 1, 20], names in its sidecar)
 * - ground-truth fields: `b0_shift.nii.gz` (water shift, ppm) and `rel_b1.nii.gz` (relative
 *   B1), each with a sidecar giving its unit
 * - `phantom.json`   manifest: seed, size, SNR, B1, fields, label names, voxel counts
 *
 * With a B0 field the acquired series (`input*`) are simulated with each voxel's shift, as a
 * scanner measures them, while the references (`reference_ts5`, `steady_state`) are
 * simulated without it: they are what a B0-corrected prediction should match (the image a
 * perfectly shimmed magnet would give). A B1 field acts on every image alike (it is part of
 * the tissue's saturation, which the long-Ts reference sees too).
 * @module
 */
import {
  LABEL_NAMES,
  N_PARAMS,
  PHANTOM_PARAM_NAMES,
  type PhantomMaps,
  phantomMaps,
} from "./phantom_maps.ts";
import { writeNifti } from "./nifti.ts";
import { type Sidecar, writeSidecar } from "./sidecar.ts";
import { exists, writeFileAtomic } from "../util/atomic.ts";
import { Rng } from "../util/rng.ts";
import { InputError } from "../util/errors.ts";
import { checkAtMost, checkB1UT, MAX_PHANTOM_SIZE, NIFTI1_MAX_DIM } from "../util/limits.ts";
import type { TissueModel } from "../physics/model.ts";
import { paperInputProtocol, paperTargetProtocol, type Protocol } from "../physics/protocol.ts";
import { simulatePairsGpu } from "../physics/gpu_sim.ts";
import { DEFAULT_B0_T } from "../physics/constants.ts";
import { defaultParamSpace, modelFromParams } from "../physics/param_space.ts";

const _SPACE = defaultParamSpace();

/**
 * Simulates every model under two protocols; returns Z as [N, offsets] for each (the
 * signature of gpu_sim.ts's simulatePairsGpu, which shares one propagator ladder between
 * Ts 1.5 s and 5 s).
 */
export type PairSimulator = (
  models: TissueModel[],
  input: Protocol,
  target: Protocol,
  opts?: { onProgress?: (done: number, total: number) => void },
) => Promise<{ input: Float32Array; target: Float32Array }>;

/** Options of {@link makePhantom}. */
export interface PhantomOptions {
  /** Matrix size (square), 1 mm voxels. Default 64. */
  size?: number;
  /** Seed of geometry, parameter fields and noise. Default 1. */
  seed?: number;
  /** Signal-to-noise ratio relative to the mean brain M0 (Infinity = noiseless). Default 100. */
  snr?: number;
  /** Saturation B1, µT. Default 1. */
  b1UT?: number;
  /** Peak |B0 shift| of the smooth B0 map, ppm (0 = none, the default). */
  b0ShiftPpm?: number;
  /** Peak |relB1 − 1| of the smooth relative-B1 map (0 = none, the default). */
  b1Inhom?: number;
  /** Receive-coil shading of M0 (default 0.06, see phantom_maps.ts). */
  m0Inhom?: number;
  /** The simulator (default: the GPU engine). */
  simulate?: PairSimulator;
  /** Called with (stage, done, total). */
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** A simulated phantom (volumes in NIfTI order, [offset][voxel]). */
export interface Phantom {
  maps: PhantomMaps;
  offsetsPpm: number[];
  b1UT: number;
  b0T: number;
  snr: number;
  seed: number;
  /** Receive-coil shading of M0 (phantom_maps.ts). */
  m0Inhom: number;
  /** Noisy Z at the input protocol (0 outside the brain). */
  input: Float32Array;
  /** Noisy raw signal (M0·Z + Rician noise, everywhere). */
  inputRaw: Float32Array;
  /** Noisy M0 image. */
  m0: Float32Array;
  /** Noiseless Z at the input protocol (B0-shifted like the acquisition). */
  inputClean: Float32Array;
  /** Noiseless Z at the input protocol without the B0 field (only with one). */
  inputCleanUnshifted?: Float32Array;
  /** Noiseless Z at Ts 5 s, Td 1 s. */
  reference: Float32Array;
  /** Noiseless exact steady-state Z. */
  steady: Float32Array;
}

/** Number of tissue voxels simulated per simulator call (keeps GPU buffers modest). */
const _CHUNK = 4096;

/**
 * The TissueModel of voxel `v`: the datasets' parameter space (param_space.ts, so networks
 * see in-distribution tissue) plus the voxel's B0 shift (unless `withB0` is false) and
 * relative B1.
 */
export function voxelModel(maps: PhantomMaps, v: number, withB0 = true): TissueModel {
  const model = modelFromParams(maps.params.subarray(v * N_PARAMS, (v + 1) * N_PARAMS), _SPACE);
  return { ...model, b0InhomPpm: withB0 ? maps.b0ShiftPpm[v]! : 0, relB1: maps.relB1[v] ?? 1 };
}

/**
 * Builds and simulates the phantom.
 * @param opts size, seed, SNR, B1, B0 shift, simulator, progress callback
 * @returns every volume of the phantom (see {@link Phantom})
 * @example
 * const ph = await makePhantom({ size: 64, seed: 1, snr: 100 });
 * await writePhantom("phantom/", ph);
 */
export async function makePhantom(opts: PhantomOptions = {}): Promise<Phantom> {
  const seed = opts.seed ?? 1;
  const snr = opts.snr ?? 100;
  const b1UT = opts.b1UT ?? 1;
  if (!(snr > 0)) {
    throw new InputError(`--snr must be positive (or Infinity for no noise), found ${snr}`);
  }
  if (!(b1UT > 0 && Number.isFinite(b1UT))) {
    throw new InputError(`--b1 must be a positive number of µT, found ${b1UT}`);
  }
  checkB1UT("--b1", b1UT);
  const size = opts.size ?? 64;
  if (!Number.isInteger(size) || size < 8) {
    throw new InputError(`--size must be an integer ≥ 8 (voxels per side), found ${size}`);
  }
  checkAtMost(
    "--size",
    size,
    MAX_PHANTOM_SIZE,
    `the phantom is size × size voxels (NIfTI-1 holds at most ${NIFTI1_MAX_DIM} per dimension); use e.g. --size 64`,
  );
  const maps = phantomMaps({
    size,
    seed,
    b0ShiftPpm: opts.b0ShiftPpm ?? 0,
    b1Inhom: opts.b1Inhom ?? 0,
    m0Inhom: opts.m0Inhom,
  });
  const nvox = maps.size * maps.size;
  const brain: number[] = [];
  for (let v = 0; v < nvox; v++) if (maps.mask[v]) brain.push(v);
  const hasB0 = brain.some((v) => maps.b0ShiftPpm[v] !== 0);
  // the references never see the B0 field (module doc)
  const models = brain.map((v) => voxelModel(maps, v, false));
  const b0T = models[0]?.b0T ?? DEFAULT_B0_T;
  const sim = await simulateVolumes(models, brain, nvox, {
    b1UT,
    simulate: opts.simulate,
    steady: true,
    onProgress: opts.onProgress,
  });
  const out: Pick<Phantom, "inputClean" | "reference" | "steady" | "inputCleanUnshifted"> = {
    inputClean: sim.inputClean,
    reference: sim.reference,
    steady: sim.steady!,
  };
  if (hasB0) {
    const shifted = await simulateVolumes(brain.map((v) => voxelModel(maps, v)), brain, nvox, {
      b1UT,
      simulate: opts.simulate,
      onProgress: (_stage, d, t) => opts.onProgress?.("simulate B0-shifted input", d, t),
    });
    out.inputCleanUnshifted = sim.inputClean;
    out.inputClean = shifted.inputClean;
  }
  const offsetsPpm = sim.offsetsPpm;
  const { input, inputRaw, m0 } = addRicianNoise(
    out.inputClean,
    maps.m0,
    maps.mask,
    snr,
    new Rng(seed, 5),
  );
  const m0Inhom = opts.m0Inhom ?? 0.06;
  return { maps, offsetsPpm, b1UT, b0T, snr, seed, m0Inhom, input, inputRaw, m0, ...out };
}

/** Options of {@link simulateVolumes}. */
export interface SimulateVolumesOptions {
  /** Saturation B1, µT (each model's relB1 multiplies it). */
  b1UT: number;
  /** The simulator (default: the GPU engine). */
  simulate?: PairSimulator;
  /** Also simulate the exact steady state (Ts = ∞). Default false. */
  steady?: boolean;
  /** Called with (stage, done, total). */
  onProgress?: (stage: string, done: number, total: number) => void;
}

/** Noiseless volumes of {@link simulateVolumes}, each [offset][voxel] (0 outside the voxels). */
export interface SimulatedVolumes {
  offsetsPpm: number[];
  /** Z at the input protocol (Ts 1.5 s, Td 4.5 s). */
  inputClean: Float32Array;
  /** Z at Ts 5 s, Td 1 s. */
  reference: Float32Array;
  /** Exact steady-state Z (with `steady: true`). */
  steady?: Float32Array;
}

/**
 * Simulates one tissue model per listed voxel at the paper's input and target protocols
 * (and optionally the steady state), in chunks, and scatters the Z-spectra into volumes.
 * @param models one model per entry of `voxels`
 * @param voxels voxel index of each model
 * @param nvox voxels of the volume
 * @returns the volumes, [offset][voxel]
 */
export async function simulateVolumes(
  models: TissueModel[],
  voxels: readonly number[],
  nvox: number,
  opts: SimulateVolumesOptions,
): Promise<SimulatedVolumes> {
  if (models.length !== voxels.length) {
    throw new TypeError(`Expected one model per voxel: ${models.length} vs ${voxels.length}`);
  }
  const simulate = opts.simulate ?? simulatePairsGpu;
  const protocols = {
    input: paperInputProtocol(opts.b1UT),
    reference: paperTargetProtocol(opts.b1UT, false),
    steady: paperTargetProtocol(opts.b1UT, true),
  };
  const offsetsPpm = [...protocols.input.offsetsPpm];
  const nOff = offsetsPpm.length;
  const out: SimulatedVolumes = {
    offsetsPpm,
    inputClean: new Float32Array(nvox * nOff),
    reference: new Float32Array(nvox * nOff),
    ...(opts.steady ? { steady: new Float32Array(nvox * nOff) } : {}),
  };
  const scatter = (dst: Float32Array, src: Float32Array, idx: readonly number[]) =>
    idx.forEach((v, j) => {
      for (let k = 0; k < nOff; k++) dst[k * nvox + v] = src[j * nOff + k]!;
    });
  const perChunk = opts.steady ? 2 : 1;
  const total = voxels.length * perChunk;
  let done = 0;
  for (let c = 0; c < voxels.length; c += _CHUNK) {
    const idx = voxels.slice(c, c + _CHUNK);
    const ms = models.slice(c, c + _CHUNK);
    const tick = (d: number) => opts.onProgress?.("simulate", done + d, total);
    // Ts 1.5 s and 5 s share one ladder; the steady state (−A⁻¹C) is cheap on its own.
    const pair = await simulate(ms, protocols.input, protocols.reference, {
      onProgress: (d, t) => tick((d / t) * idx.length),
    });
    scatter(out.inputClean, pair.input, idx);
    scatter(out.reference, pair.target, idx);
    done += idx.length;
    if (out.steady) {
      const ss = await simulate(ms, protocols.steady, protocols.steady);
      scatter(out.steady, ss.input, idx);
      done += idx.length;
    }
    tick(0);
  }
  return out;
}

/** Noisy images of {@link addRicianNoise}. */
export interface NoisyImages {
  /** Noisy Z (noisy signal / noisy M0 inside the mask, 0 outside), [offset][voxel]. */
  input: Float32Array;
  /** Noisy raw signal (M0·Z + Rician noise, everywhere), [offset][voxel]. */
  inputRaw: Float32Array;
  /** Noisy M0 image. */
  m0: Float32Array;
}

/**
 * Rician noise |S + σ(n1 + i·n2)| with σ = mean M0 over the mask / SNR, drawn first on the
 * M0 image and then on the raw series M0·Z (offset by offset), from `rng`.
 * @param clean noiseless Z, [offset][voxel]
 * @param m0Map noiseless M0 per voxel (0 in the background)
 * @param mask nonzero inside the object
 * @param snr signal-to-noise ratio (Infinity = no noise)
 * @param rng the noise stream
 */
export function addRicianNoise(
  clean: Float32Array,
  m0Map: ArrayLike<number>,
  mask: ArrayLike<number>,
  snr: number,
  rng: Rng,
): NoisyImages {
  const nvox = m0Map.length;
  const nOff = clean.length / nvox;
  let m0Mean = 0, nIn = 0;
  for (let v = 0; v < nvox; v++) if (mask[v]) (m0Mean += m0Map[v]!, nIn++);
  m0Mean /= Math.max(1, nIn);
  const sigma = Number.isFinite(snr) ? m0Mean / snr : 0;
  const rician = (
    s: number,
  ) => (sigma ? Math.hypot(s + sigma * rng.normal(), sigma * rng.normal()) : s);
  const m0 = new Float32Array(nvox);
  for (let v = 0; v < nvox; v++) m0[v] = rician(m0Map[v]!);
  const inputRaw = new Float32Array(nvox * nOff);
  const input = new Float32Array(nvox * nOff);
  for (let k = 0; k < nOff; k++) {
    for (let v = 0; v < nvox; v++) {
      const i = k * nvox + v;
      inputRaw[i] = rician(m0Map[v]! * clean[i]!);
      if (mask[v]) input[i] = inputRaw[i]! / m0[v]!;
    }
  }
  return { input, inputRaw, m0 };
}

/** File names of a phantom directory. */
export const PHANTOM_FILES = {
  input: "input.nii.gz",
  inputRaw: "input_raw.nii.gz",
  m0: "m0.nii.gz",
  inputClean: "input_clean.nii.gz",
  reference: "reference_ts5.nii.gz",
  steady: "steady_state.nii.gz",
  mask: "mask.nii.gz",
  labels: "labels.nii.gz",
  t1: "t1.nii.gz",
  b0Shift: "b0_shift.nii.gz",
  relB1: "rel_b1.nii.gz",
  params: "params.nii.gz",
  manifest: "phantom.json",
} as const;

/**
 * Writes a phantom as NIfTI-1 volumes with JSON sidecars; the manifest `phantom.json` is
 * written last, so a directory with a manifest is complete.
 * @param dir output directory (created)
 * @param ph the phantom from {@link makePhantom}
 */
export async function writePhantom(dir: string, ph: Phantom): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const { size } = ph.maps;
  const nvox = size * size;
  const nOff = ph.offsetsPpm.length;
  const p = (f: string) => `${dir.replace(/\/$/, "")}/${f}`;
  const vol4 = (data: Float32Array, nt: number) => ({
    dims: [size, size, 1, nt] as [number, number, number, number],
    data,
    ndim: 4,
  });
  const vol3 = (data: ArrayLike<number>) => ({
    dims: [size, size, 1, 1] as [number, number, number, number],
    data: Float32Array.from(data),
    ndim: 3,
  });
  const pixdim: [number, number, number, number] = [1, 1, 1, 1];
  const base = { b1UT: ph.b1UT, b0T: ph.b0T, offsetsPpm: ph.offsetsPpm };
  // the acquired series carry the B0 field, the references do not (module doc)
  const acquired = ph.inputCleanUnshifted ? { b0Field: PHANTOM_FILES.b0Shift } : {};
  const series: [keyof typeof PHANTOM_FILES, Float32Array, Sidecar][] = [
    ["input", ph.input, {
      ...base,
      ...acquired,
      tsS: 1.5,
      tdS: 4.5,
      normalisation: "m0",
      snr: _snrJson(ph.snr),
      source: "quass phantom",
    }],
    ["inputRaw", ph.inputRaw, {
      ...base,
      ...acquired,
      tsS: 1.5,
      tdS: 4.5,
      normalisation: "none",
      m0: PHANTOM_FILES.m0,
      snr: _snrJson(ph.snr),
      source: "quass phantom",
    }],
    ["inputClean", ph.inputClean, {
      ...base,
      ...acquired,
      tsS: 1.5,
      tdS: 4.5,
      normalisation: "m0",
      snr: null,
      source: "quass phantom",
    }],
    ["reference", ph.reference, {
      ...base,
      tsS: 5,
      tdS: 1,
      normalisation: "m0",
      snr: null,
      source: "quass phantom",
    }],
    ["steady", ph.steady, {
      ...base,
      tsS: Infinity,
      tdS: 1,
      normalisation: "m0",
      snr: null,
      source: "quass phantom",
    }],
  ];
  for (const [key, data, side] of series) {
    await writeNifti(p(PHANTOM_FILES[key]), vol4(data, nOff), {
      pixdim,
      description: `quass phantom ${key}`,
    });
    await writeSidecar(p(PHANTOM_FILES[key]), side);
  }
  /** Writes one 3-D map of the phantom, and its sidecar when given. */
  const map3 = async (
    key: keyof typeof PHANTOM_FILES,
    data: ArrayLike<number>,
    description: string,
    sidecar?: Sidecar,
  ) => {
    await writeNifti(p(PHANTOM_FILES[key]), vol3(data), { pixdim, description });
    if (sidecar) await writeSidecar(p(PHANTOM_FILES[key]), sidecar);
  };
  await map3("m0", ph.m0, "quass phantom M0");
  await map3("mask", ph.maps.mask, "brain mask");
  await map3("labels", ph.maps.labels, "1 GM 2 WM 3 tumour 4 rim");
  const t1 = new Float32Array(nvox);
  for (let v = 0; v < nvox; v++) t1[v] = ph.maps.params[v * N_PARAMS]!;
  await map3("t1", t1, "water T1 (s)");
  await map3("b0Shift", ph.maps.b0ShiftPpm, "B0 shift (ppm)", {
    unit: "ppm",
    b0T: ph.b0T,
    description: "true water frequency shift per voxel (the water dip sits at +shift), ppm",
    source: "quass phantom",
  });
  await map3("relB1", ph.maps.relB1, "relative B1", {
    unit: "fraction of the nominal B1",
    b1UT: ph.b1UT,
    description: "true relative B1 per voxel (the saturation is b1UT × this)",
    source: "quass phantom",
  });
  const params = new Float32Array(nvox * N_PARAMS);
  for (let v = 0; v < nvox; v++) {
    for (let j = 0; j < N_PARAMS; j++) params[j * nvox + v] = ph.maps.params[v * N_PARAMS + j]!;
  }
  await writeNifti(p(PHANTOM_FILES.params), vol4(params, N_PARAMS), {
    pixdim,
    description: "tissue parameters",
  });
  await writeSidecar(p(PHANTOM_FILES.params), {
    names: [...PHANTOM_PARAM_NAMES],
    units: "s, 1/s, fraction of water",
  });
  const counts: Record<string, number> = { gm: 0, wm: 0, tumour: 0, rim: 0 };
  const names = ["", "gm", "wm", "tumour", "rim"];
  for (const l of ph.maps.labels) if (l) counts[names[l]!]!++;
  const manifest = {
    format: "quass-phantom-1",
    seed: ph.seed,
    size,
    voxelMm: 1,
    snr: _snrJson(ph.snr),
    b1UT: ph.b1UT,
    b0T: ph.b0T,
    maxB0ShiftPpm: Math.max(0, ...Array.from(ph.maps.b0ShiftPpm, Math.abs)),
    maxRelB1Deviation: Math.max(0, ...Array.from(ph.maps.relB1, (r) => Math.abs(r - 1))),
    m0Inhom: ph.m0Inhom,
    labels: LABEL_NAMES,
    counts,
    files: PHANTOM_FILES,
    input: { tsS: 1.5, tdS: 4.5 },
    reference: { tsS: 5, tdS: 1 },
  };
  await writeFileAtomic(p(PHANTOM_FILES.manifest), JSON.stringify(manifest, null, 2) + "\n");
}

/** True when `dir` holds a complete phantom (its manifest is written last). */
export function phantomExists(dir: string): Promise<boolean> {
  return exists(`${dir.replace(/\/$/, "")}/${PHANTOM_FILES.manifest}`);
}

function _snrJson(snr: number): number | null {
  return Number.isFinite(snr) ? snr : null;
}
