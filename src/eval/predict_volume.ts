/**
 * Image prediction: turns a short-saturation CEST volume (NIfTI order, [offset][z][y][x])
 * into a QUASS volume with a trained network. Masks, normalises by M0, checks (or
 * interpolates) the offsets against the network's, leaves out and reports voxels with
 * NaN/Inf, and sends the rest to the GPU in large batches.
 * @module
 */
import { InputError } from "../util/errors.ts";
import { checkDims, readNifti, writeNifti } from "../data/nifti.ts";
import { readSidecar, resolveOffsets, withSidecar, writeSidecar } from "../data/sidecar.ts";
import { checkNotInput, checkWritable } from "../util/output.ts";
import { readT1, t1MapPath } from "./quass_image.ts";
import { DEFAULT_B0_T } from "../physics/constants.ts";
import { NO_PREPROCESSING, type PreprocessChoice } from "../preprocess/options.ts";
import {
  assertPositiveM0,
  b0MapPathFor,
  type PreprocessReport,
  preprocessScan,
  readPreprocessInputs,
  writeB0Map,
} from "../preprocess/pipeline.ts";

/** The shipped pretrained model (7 T, CW 1 µT, Ts 1.5 s / Td 4.5 s → Ts 5 s / Td 1 s). */
export const DEFAULT_MODEL_DIR = decodeURIComponent(
  new URL("../../models/quass-7t-cw", import.meta.url).pathname,
);

/** Offsets closer than this are the same offset, ppm. */
export const OFFSET_TOLERANCE_PPM = 1e-3;

/**
 * Predicts `n` spectra at once: input [n][inOffsets] → output [n][outOffsets]; `t1S` holds
 * each spectrum's water T1 in s (T1-informed models need it, others ignore it).
 */
export type SpectraPredictor = (
  input: Float32Array,
  n: number,
  t1S?: Float32Array,
) => Promise<Float32Array>;

/** Inputs of {@link predictVolumeData}. */
export interface PredictVolumeInput {
  /** The scan, [offset][voxel] (voxel fastest, NIfTI order), Z or raw signal. */
  data: ArrayLike<number>;
  /** Voxels per offset (x·y·z). */
  nvox: number;
  /** Offsets of the scan, ppm. */
  offsetsPpm: readonly number[];
  /** Offsets the network expects as input, ppm. */
  modelInputOffsetsPpm: readonly number[];
  /** Number of values the network returns per spectrum. */
  modelOutputLength: number;
  /** Nonzero = predict this voxel (default: every voxel). */
  mask?: ArrayLike<number>;
  /** M0 per voxel: the scan is divided by it (raw signal → Z). */
  m0?: ArrayLike<number>;
  /** Water T1 in s, one value or one per voxel; required when {@link needsT1}. */
  t1S?: number | ArrayLike<number>;
  /** The network is T1-informed: voxels without a valid T1 are left out. */
  needsT1?: boolean;
  /** Resample the scan onto the network's offsets (linear) instead of failing. */
  interpolate?: boolean;
  /** Voxels per predictor call (default 8192). */
  batch?: number;
  /** Called after each batch with (done, total) voxels. */
  onProgress?: (done: number, total: number) => void;
  /** Where the scan came from, for error messages. */
  source?: string;
}

/** Result of {@link predictVolumeData}. */
export interface PredictVolumeResult {
  /** Predicted QUASS Z, [offset][voxel]; 0 outside the mask and at skipped voxels. */
  data: Float32Array;
  /** Voxels predicted. */
  predicted: number;
  /** Voxel indices left out because the input (or M0) had NaN/Inf or M0 ≤ 0. */
  skipped: number[];
  /** True when the scan was resampled onto the network's offsets. */
  interpolated: boolean;
}

/** True when both offset lists are the same within {@link OFFSET_TOLERANCE_PPM}. */
export function offsetsMatch(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => Math.abs(x - b[i]!) <= OFFSET_TOLERANCE_PPM);
}

/**
 * Linear interpolation weights taking values at `from` (sorted ascending or descending)
 * to `to`; throws InputError when a target offset lies outside `from` (no extrapolation).
 */
export function interpolationPlan(
  from: readonly number[],
  to: readonly number[],
  source = "the scan",
): { lo: Int32Array; w: Float64Array } {
  const idx = from.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]);
  const xs = idx.map((p) => p[0]);
  for (let i = 1; i < xs.length; i++) {
    if (xs[i]! - xs[i - 1]! <= 0) {
      throw new InputError(`${source}: offsets must be distinct, but ${xs[i]} ppm appears twice`);
    }
  }
  const lo = new Int32Array(to.length * 2);
  const w = new Float64Array(to.length);
  const first = xs[0]!, last = xs[xs.length - 1]!;
  to.forEach((t, k) => {
    if (t < first - OFFSET_TOLERANCE_PPM || t > last + OFFSET_TOLERANCE_PPM) {
      throw new InputError(
        `${source}: cannot interpolate to ${t} ppm, outside the scan's offsets ${first}…${last} ppm (no extrapolation); acquire the network's range or train on the scan's offsets`,
      );
    }
    let j = 0;
    while (j < xs.length - 2 && xs[j + 1]! < t) j++;
    const x0 = xs[j]!, x1 = xs[Math.min(j + 1, xs.length - 1)]!;
    const f = x1 > x0 ? Math.min(1, Math.max(0, (t - x0) / (x1 - x0))) : 0;
    lo[2 * k] = idx[j]![1];
    lo[2 * k + 1] = idx[Math.min(j + 1, xs.length - 1)]![1];
    w[k] = f;
  });
  return { lo, w };
}

/**
 * Predicts every masked voxel of a volume (pure function of arrays; see
 * predictVolumeFile for the NIfTI front end).
 * @param inp the scan, its offsets, the network's offsets, mask, M0 and options
 * @param predict the network: [n][inOffsets] → [n][outOffsets]
 * @returns the predicted volume, counts and the voxels left out
 * @example
 * const res = await predictVolumeData({ data, nvox, offsetsPpm, modelInputOffsetsPpm, modelOutputLength: 101 }, fn);
 */
export async function predictVolumeData(
  inp: PredictVolumeInput,
  predict: SpectraPredictor,
): Promise<PredictVolumeResult> {
  const { nvox, offsetsPpm: offs } = inp;
  const source = inp.source ?? "the scan";
  const nIn = offs.length;
  if (inp.data.length !== nvox * nIn) {
    throw new InputError(
      `${source}: expected ${nvox} voxels × ${nIn} offsets = ${
        nvox * nIn
      } values but found ${inp.data.length}; the 4th dimension must match the offsets in the sidecar (or --offsets)`,
    );
  }
  if (inp.mask && inp.mask.length !== nvox) {
    throw new InputError(
      `the mask: expected ${nvox} voxels (the scan's x·y·z) but found ${inp.mask.length}; give a mask with the scan's dimensions`,
    );
  }
  if (inp.m0 && inp.m0.length !== nvox) {
    throw new InputError(
      `the M0 volume: expected ${nvox} voxels (the scan's x·y·z) but found ${inp.m0.length}; give an M0 with the scan's dimensions`,
    );
  }
  const t1 = inp.t1S;
  if (inp.needsT1 && t1 === undefined) {
    throw new InputError(
      `${source}: this model is T1-informed (it corrects the analytic QUASS formula, which needs the water T1); pass --t1 with a T1 map in seconds or one value`,
    );
  }
  if (t1 !== undefined && typeof t1 !== "number" && t1.length !== nvox) {
    throw new InputError(
      `the T1 map: expected ${nvox} voxels (the scan's x·y·z) but found ${t1.length}; give a T1 map with the scan's dimensions`,
    );
  }
  const t1Of = (v: number) => (t1 === undefined ? 1 : typeof t1 === "number" ? t1 : t1[v]!);
  const modelOffs = inp.modelInputOffsetsPpm;
  const nModel = modelOffs.length;
  let plan: { lo: Int32Array; w: Float64Array } | undefined;
  if (!offsetsMatch(offs, modelOffs)) {
    if (!inp.interpolate) {
      throw new InputError(
        `${source}: offsets do not match the network's: the scan has ${nIn} offsets ${
          _range(offs)
        }, the network expects ${nModel} offsets ${
          _range(modelOffs)
        }; pass --interpolate to resample the scan, or use a network trained on these offsets`,
      );
    }
    plan = interpolationPlan(offs, modelOffs, source);
  }

  // Gather the voxels to predict.
  const voxels: number[] = [];
  const skipped: number[] = [];
  for (let v = 0; v < nvox; v++) {
    if (inp.mask && !inp.mask[v]) continue;
    let ok = true;
    const m0 = inp.m0 ? inp.m0[v]! : 1;
    if (!(m0 > 0 && Number.isFinite(m0))) ok = false;
    if (inp.needsT1 && !(t1Of(v) > 0 && Number.isFinite(t1Of(v)))) ok = false;
    for (let k = 0; k < nIn && ok; k++) if (!Number.isFinite(inp.data[k * nvox + v]!)) ok = false;
    if (ok) voxels.push(v);
    else skipped.push(v);
  }

  if (voxels.length === 0) {
    throw new InputError(
      `${source}: no voxel to predict: ${
        skipped.length
          ? `all ${skipped.length} masked voxels have NaN/Inf values, an invalid M0${
            inp.needsT1 ? " or an invalid T1" : ""
          }`
          : "the mask is empty"
      }; check the scan, the M0 and the mask`,
    );
  }
  const nOut = inp.modelOutputLength;
  const out = new Float32Array(nvox * nOut);
  const batch = Math.max(1, inp.batch ?? 8192);
  const spec = new Float64Array(nIn);
  for (let b0 = 0; b0 < voxels.length; b0 += batch) {
    const n = Math.min(batch, voxels.length - b0);
    const x = new Float32Array(n * nModel);
    const t1Batch = new Float32Array(n);
    for (let j = 0; j < n; j++) {
      const v = voxels[b0 + j]!;
      t1Batch[j] = t1Of(v);
      const s = inp.m0 ? 1 / inp.m0[v]! : 1;
      for (let k = 0; k < nIn; k++) spec[k] = inp.data[k * nvox + v]! * s;
      if (plan) {
        for (let k = 0; k < nModel; k++) {
          const f = plan.w[k]!;
          x[j * nModel + k] = (1 - f) * spec[plan.lo[2 * k]!]! + f * spec[plan.lo[2 * k + 1]!]!;
        }
      } else {
        for (let k = 0; k < nModel; k++) x[j * nModel + k] = spec[k]!;
      }
    }
    const y = await predict(x, n, t1 === undefined ? undefined : t1Batch);
    if (y.length !== n * nOut) {
      throw new Error(
        `the network returned ${y.length} values for ${n} spectra; expected ${n * nOut}`,
      );
    }
    for (let j = 0; j < n; j++) {
      const v = voxels[b0 + j]!;
      for (let k = 0; k < nOut; k++) out[k * nvox + v] = y[j * nOut + k]!;
    }
    inp.onProgress?.(b0 + n, voxels.length);
  }
  return { data: out, predicted: voxels.length, skipped, interpolated: plan !== undefined };
}

function _range(o: readonly number[]): string {
  if (!o.length) return "(none)";
  return `${o[0]}…${o[o.length - 1]} ppm`;
}

/** Formats skipped voxel indices as (x, y, z) for a report line. */
export function describeSkipped(
  skipped: readonly number[],
  dims: readonly number[],
  max = 5,
): string {
  const nx = dims[0] ?? 1, ny = dims[1] ?? 1;
  const list = skipped.slice(0, max).map((v) =>
    `(${v % nx}, ${Math.floor(v / nx) % ny}, ${Math.floor(v / (nx * ny))})`
  );
  return `${skipped.length} voxel(s) with NaN/Inf input or invalid M0/T1 left out (set to 0): ${
    list.join(", ")
  }${skipped.length > max ? ", …" : ""}`;
}

/** A trained network ready to predict (run_predictor.ts loads one from a run directory). */
export interface RunPredictor {
  /** Display name (the run directory). */
  name: string;
  /** Architecture name. */
  arch: string;
  /** Offsets of the network's input (and output), ppm. */
  offsetsPpm: number[];
  /** The target protocol's Ts and Td, s, when the checkpoint records them. */
  targetTsS?: number;
  targetTdS?: number;
  /** True for T1-informed models: `predict` needs each spectrum's water T1. */
  needsT1?: boolean;
  predict: SpectraPredictor;
}

/** Loads a run directory into a {@link RunPredictor}. */
export type RunLoader = (runDir: string) => Promise<RunPredictor>;

/** Options of {@link predictVolumeFile} (the `quass predict` command). */
export interface PredictFileOptions {
  /** Run directory (runs/NAME); default: the shipped pretrained model. */
  run?: string;
  /** Water T1: a map path or seconds (T1-informed models need it). */
  t1?: string | number;
  /** Scan (.nii/.nii.gz, 4-D; 3-D only with one offset). */
  input: string;
  mask?: string;
  m0?: string;
  /** `--offsets` flag text (else the sidecar's). */
  offsets?: string;
  interpolate?: boolean;
  /**
   * B0 correction and denoising (preprocess/pipeline.ts). With it, or with an M0, the scan
   * goes through the preprocessing pipeline (M0 → B0 → denoise) before the network.
   */
  preprocess?: PreprocessChoice;
  /** Output (.nii/.nii.gz); a sidecar is written beside it. */
  out: string;
  batch?: number;
  onProgress?: (done: number, total: number) => void;
  /** Called with one line per preprocessing stage. */
  onStage?: (line: string) => void;
}

/** Result of {@link predictVolumeFile}. */
export interface PredictFileResult {
  predicted: number;
  skipped: number[];
  dims: [number, number, number, number];
  interpolated: boolean;
  /** Human-readable line about skipped voxels, or "". */
  skippedNote: string;
  seconds: number;
  /** What the preprocessing did (when it ran). */
  preprocessing?: PreprocessReport;
  /** Where the B0 map was written (with B0 correction). */
  b0MapPath?: string;
}

/**
 * Reads a scan (+ mask, M0), predicts every masked voxel with a trained run and writes the
 * QUASS volume and its sidecar atomically. Every input is read and checked before the
 * network is loaded; nothing is written when anything is wrong.
 * @param o paths and flags
 * @param loader how to load the run (run_predictor.ts's loadRunPredictor for trained runs)
 * @returns counts, skipped voxels and timing
 * @example
 * await predictVolumeFile({ run: "runs/lstm-attention", input: "phantom/input.nii.gz", out: "pred.nii.gz" }, loadRunPredictor);
 */
export async function predictVolumeFile(
  o: PredictFileOptions,
  loader: RunLoader,
): Promise<PredictFileResult> {
  const t0 = performance.now();
  if (!/\.nii(\.gz)?$/.test(o.out)) {
    throw new InputError(`--out ${o.out}: the output name must end in .nii or .nii.gz`);
  }
  await checkWritable(o.out, "--out");
  await checkNotInput(withSidecar("--out", o.out), [
    ...withSidecar("--input", o.input),
    ...withSidecar("--mask", o.mask),
    ...withSidecar("--m0", o.m0),
    ...withSidecar("--t1", t1MapPath(o.t1)),
  ]);
  const vol = await readNifti(o.input);
  const [nx, ny, nz, nt] = vol.dims;
  const nvox = nx * ny * nz;
  if (nt < 2) {
    throw new InputError(
      `${o.input}: dims are [${vol.dims}]: a Z-spectral series needs offsets along the 4th dimension [x, y, z, offset]`,
    );
  }
  const offsetsPpm = await resolveOffsets(o.input, nt, o.offsets);
  const map3 = async (path: string, what: string) => {
    const m = await readNifti(path);
    checkDims(m, path, { dims: [nx, ny, nz], maxT: 1, what });
    return m.data;
  };
  const mask = o.mask
    ? await map3(o.mask, `a mask with the scan's x, y, z = ${nx}, ${ny}, ${nz}`)
    : undefined;
  const m0 = o.m0
    ? await map3(o.m0, `an M0 volume with the scan's x, y, z = ${nx}, ${ny}, ${nz}`)
    : undefined;
  const t1S = o.t1 === undefined
    ? undefined
    : await readT1(o.t1, (path) =>
      map3(path, `a water T1 map in seconds with the scan's x, y, z = ${nx}, ${ny}, ${nz}`));
  const side = (await readSidecar(o.input, nt)) ?? {};
  const choice = o.preprocess ?? NO_PREPROCESSING;
  // the pipeline runs for an M0 (its check and Z) or any B0/denoise stage
  const pipeline = m0 !== undefined || choice.b0.kind !== "none" || choice.denoise.kind !== "none";
  const b0T = side.b0T ?? DEFAULT_B0_T;
  const pre = pipeline ? await readPreprocessInputs(choice, [nx, ny, nz], b0T) : undefined;
  // before the network loads (without a mask, preprocessScan checks its signal mask)
  if (pipeline && m0 && mask) assertPositiveM0(m0, mask, [nx, ny, nz], o.m0);
  const run = await loader(o.run ?? DEFAULT_MODEL_DIR);
  const pp = pre
    ? preprocessScan(
      {
        data: vol.data,
        dims: [nx, ny, nz],
        offsetsPpm,
        mask,
        m0,
        source: o.input,
        m0Source: o.m0,
      },
      pre,
      { gridPpm: run.offsetsPpm, log: o.onStage },
    )
    : undefined;
  const res = await predictVolumeData({
    data: pp ? pp.data : vol.data,
    nvox,
    offsetsPpm: pp ? pp.offsetsPpm : offsetsPpm,
    modelInputOffsetsPpm: run.offsetsPpm,
    modelOutputLength: run.offsetsPpm.length,
    mask: mask ?? pp?.mask,
    m0: pp ? undefined : m0,
    t1S,
    needsT1: run.needsT1,
    interpolate: o.interpolate,
    batch: o.batch,
    onProgress: o.onProgress,
    source: o.input,
  }, run.predict);
  const dims: [number, number, number, number] = [nx, ny, nz, run.offsetsPpm.length];
  await writeNifti(
    o.out,
    { dims, data: res.data, affine: vol.affine, pixdim: vol.pixdim, ndim: 4 },
    {
      description: `quass predict ${run.arch}`,
    },
  );
  const b0MapPath = pp?.b0ShiftPpm ? b0MapPathFor(o.out) : undefined;
  if (b0MapPath && pp?.b0ShiftPpm) {
    await writeB0Map(b0MapPath, pp.b0ShiftPpm, vol, pp.report.b0, b0T);
  }
  await writeSidecar(o.out, {
    offsetsPpm: run.offsetsPpm,
    ...(run.targetTsS !== undefined ? { tsS: run.targetTsS } : {}),
    ...(run.targetTdS !== undefined ? { tdS: run.targetTdS } : {}),
    ...(side.b1UT !== undefined ? { b1UT: side.b1UT } : {}),
    ...(side.b0T !== undefined ? { b0T: side.b0T } : {}),
    source: `quass predict (${run.arch}, ${run.name})`,
    model: run.name,
    ...(run.needsT1 ? { t1: typeof o.t1 === "number" ? o.t1 : String(o.t1) } : {}),
    input: o.input,
    interpolated: res.interpolated,
    predictedVoxels: res.predicted,
    skippedVoxels: res.skipped.length,
    ...(pp ? { preprocessing: { ...pp.report, ...(b0MapPath ? { b0Map: b0MapPath } : {}) } } : {}),
  });
  return {
    predicted: res.predicted,
    skipped: res.skipped,
    dims,
    interpolated: res.interpolated,
    skippedNote: res.skipped.length ? describeSkipped(res.skipped, vol.dims) : "",
    seconds: (performance.now() - t0) / 1000,
    ...(pp ? { preprocessing: pp.report } : {}),
    ...(b0MapPath ? { b0MapPath } : {}),
  };
}
