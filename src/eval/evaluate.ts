/**
 * Evaluation of a predicted QUASS volume against a reference volume over a brain mask, as in
 * the paper: per-offset SSIM / PSNR / MSE and their means, masked MAE, the regression of
 * prediction on reference at six offsets, absolute-error maps and Z-spectra at chosen voxels.
 *
 * Conventions (recorded in the result): both volumes are multiplied by the mask (voxels
 * outside it are 0 in both), SSIM is computed on every z-slice of an offset and averaged
 * over slices, PSNR (data range 1) and MSE over the whole slab of that offset; MAE and the
 * regressions use the masked voxels only. Voxels that are NaN/Inf in either volume are
 * removed from the mask and counted.
 * @module
 */
import { linearRegression, mae, mse, psnr, ssim } from "./metrics.ts";

/** The offsets of the paper's regression plots, ppm. */
export const REGRESSION_OFFSETS_PPM = [-3.48, -2.40, -1.56, 1.32, 2.04, 3.48] as const;

/** A 4-D volume [x, y, z, offset], x fastest (a NiftiVolume fits). */
export interface Volume4D {
  dims: readonly [number, number, number, number];
  data: ArrayLike<number>;
}

/** A voxel whose Z-spectra the report plots. */
export interface VoxelSpec {
  label: string;
  x: number;
  y: number;
  z: number;
}

/** Inputs of {@link evaluateVolumes}. */
export interface EvaluateInput {
  /** Predicted Z volume [x, y, z, offsets]. */
  pred: Volume4D;
  /** Reference Z volume, same dims. */
  reference: Volume4D;
  /** Saturation offsets of the 4th dimension, ppm. */
  offsetsPpm: readonly number[];
  /** Brain mask [x, y, z] (or [x, y, z, 1]); non-zero = inside. Default: every voxel. */
  mask?: Volume4D;
  /** The short-saturation input volume (for the spectra and image figures). */
  input?: Volume4D;
  /** Voxels whose spectra to keep (default: the mask's centre voxel). */
  voxels?: VoxelSpec[];
  /** Offsets for the regressions (default {@link REGRESSION_OFFSETS_PPM}). */
  regressionOffsetsPpm?: readonly number[];
}

/** Metrics at one offset. */
export interface OffsetMetrics {
  offsetPpm: number;
  /** SSIM averaged over z-slices (skimage convention, data range 1). */
  ssim: number;
  /** PSNR in dB with data range 1. */
  psnr: number;
  mse: number;
  /** MAE over masked voxels. */
  mae: number;
}

/** Regression of prediction on reference at one requested offset. */
export interface OffsetRegression {
  /** The offset asked for, ppm. */
  requestedPpm: number;
  /** The nearest acquired offset actually used, ppm, and its index. */
  offsetPpm: number;
  index: number;
  slope: number;
  intercept: number;
  r2: number;
  /** Number of masked voxels. */
  n: number;
}

/** Z-spectra at one voxel. */
export interface VoxelSpectra extends VoxelSpec {
  input?: number[];
  pred: number[];
  reference: number[];
}

/** What {@link evaluateVolumes} returns (JSON-serialisable except the error maps). */
export interface EvaluationResult {
  dims: [number, number, number, number];
  offsetsPpm: number[];
  /** Voxels in the mask (after removing non-finite ones). */
  maskVoxels: number;
  /** Masked voxels dropped because pred, reference or input was NaN/Inf at some offset. */
  nonFiniteVoxels: number;
  perOffset: OffsetMetrics[];
  /** Means over all offsets (PSNR: mean of the per-offset dB values). */
  mean: { ssim: number; psnr: number; mse: number; mae: number };
  /** Masked MAE of the input against the reference (how far the unprocessed input is), when input is given. */
  inputMae?: number;
  regressions: OffsetRegression[];
  spectra: VoxelSpectra[];
  conventions: string;
}

/** Evaluation result plus the image data the figures use. */
export interface Evaluation extends EvaluationResult {
  /** |pred − ref| inside the mask (0 outside), [x, y, z, offsets]. */
  errorMap: Float32Array;
  /** Final mask [x, y, z] as 0/1. */
  maskData: Uint8Array;
}

/** Index of the acquired offset nearest to `ppm` (first one on ties). */
export function nearestOffsetIndex(offsetsPpm: readonly number[], ppm: number): number {
  let best = 0;
  for (let i = 1; i < offsetsPpm.length; i++) {
    if (Math.abs(offsetsPpm[i]! - ppm) < Math.abs(offsetsPpm[best]! - ppm)) best = i;
  }
  return best;
}

function _sameDims(a: Volume4D, b: Volume4D, what: string): void {
  if (a.dims.some((d, i) => d !== b.dims[i])) {
    throw new TypeError(`${what}: dims [${b.dims}] differ from the prediction's [${a.dims}]`);
  }
}

/**
 * Picks one voxel per label value of a label map: the labelled voxel nearest to the label's
 * centroid (a representative voxel for GM, WM, tumour ...).
 * @param labels integer label volume [x, y, z]
 * @param names label value → name (values without a name are called "label N"; 0 is skipped)
 */
export function voxelsFromLabels(
  labels: Volume4D,
  names: Record<number, string> = {},
): VoxelSpec[] {
  const [nx, ny, nz] = labels.dims;
  const acc = new Map<number, [number, number, number, number]>();
  for (let i = 0; i < nx * ny * nz; i++) {
    const v = Math.round(labels.data[i]!);
    if (!v) continue;
    const a = acc.get(v) ?? [0, 0, 0, 0];
    a[0] += i % nx, a[1] += Math.floor(i / nx) % ny, a[2] += Math.floor(i / (nx * ny)), a[3]++;
    acc.set(v, a);
  }
  const out: VoxelSpec[] = [];
  for (const [v, [sx, sy, sz, n]] of [...acc].sort((a, b) => a[0] - b[0])) {
    const cx = sx / n, cy = sy / n, cz = sz / n;
    let best = -1, bestD = Infinity;
    for (let i = 0; i < nx * ny * nz; i++) {
      if (Math.round(labels.data[i]!) !== v) continue;
      const d = (i % nx - cx) ** 2 + (Math.floor(i / nx) % ny - cy) ** 2 +
        (Math.floor(i / (nx * ny)) - cz) ** 2;
      if (d < bestD) bestD = d, best = i;
    }
    out.push({
      label: names[v] ?? `label ${v}`,
      x: best % nx,
      y: Math.floor(best / nx) % ny,
      z: Math.floor(best / (nx * ny)),
    });
  }
  return out;
}

/**
 * Evaluates a prediction against a reference (both Z volumes [x, y, z, offsets]).
 * @returns per-offset metrics, means, regressions at the six offsets, spectra and error maps
 * @throws TypeError when dims disagree or offsets do not match the 4th dimension
 * @example
 * ```ts
 * const ev = evaluateVolumes({ pred, reference, mask, offsetsPpm });
 * console.log(ev.mean.ssim, ev.regressions.map((r) => r.r2));
 * ```
 */
export function evaluateVolumes(inp: EvaluateInput): Evaluation {
  const { pred, reference } = inp;
  _sameDims(pred, reference, "reference");
  if (inp.input) _sameDims(pred, inp.input, "input");
  const [nx, ny, nz, nt] = pred.dims;
  const nvox = nx * ny * nz;
  if (inp.offsetsPpm.length !== nt) {
    throw new TypeError(
      `Expected ${nt} offsets (the 4th dimension) but found ${inp.offsetsPpm.length}`,
    );
  }
  if (
    inp.mask &&
    (inp.mask.dims[0] !== nx || inp.mask.dims[1] !== ny || inp.mask.dims[2] !== nz ||
      inp.mask.dims[3] !== 1)
  ) {
    throw new TypeError(
      `mask: dims [${inp.mask.dims}] do not match the prediction's [${nx},${ny},${nz}]`,
    );
  }
  // mask minus voxels that are non-finite anywhere along the spectrum
  const mask = new Uint8Array(nvox);
  let nonFiniteVoxels = 0;
  for (let v = 0; v < nvox; v++) {
    if (inp.mask && !inp.mask.data[v]) continue;
    let ok = true;
    for (let t = 0; t < nt && ok; t++) {
      const i = v + nvox * t;
      ok = Number.isFinite(pred.data[i]!) && Number.isFinite(reference.data[i]!) &&
        (!inp.input || Number.isFinite(inp.input.data[i]!));
    }
    if (ok) mask[v] = 1;
    else nonFiniteVoxels++;
  }
  const maskVoxels = mask.reduce((a, b) => a + b, 0);
  const slabPred = new Float64Array(nvox), slabRef = new Float64Array(nvox);
  const errorMap = new Float32Array(nvox * nt);
  const perOffset: OffsetMetrics[] = [];
  const slice = nx * ny;
  for (let t = 0; t < nt; t++) {
    for (let v = 0; v < nvox; v++) {
      const i = v + nvox * t;
      slabPred[v] = mask[v] ? pred.data[i]! : 0;
      slabRef[v] = mask[v] ? reference.data[i]! : 0;
      errorMap[i] = mask[v] ? Math.abs(slabPred[v]! - slabRef[v]!) : 0;
    }
    let s = 0;
    for (let z = 0; z < nz; z++) {
      s += ssim(
        slabPred.subarray(z * slice, (z + 1) * slice),
        slabRef.subarray(z * slice, (z + 1) * slice),
        nx,
        ny,
      );
    }
    perOffset.push({
      offsetPpm: inp.offsetsPpm[t]!,
      ssim: s / nz,
      psnr: psnr(slabPred, slabRef),
      mse: mse(slabPred, slabRef),
      mae: mae(slabPred, slabRef, mask),
    });
  }
  const avg = (f: (m: OffsetMetrics) => number) => perOffset.reduce((a, m) => a + f(m), 0) / nt;
  const sub = (vol: Volume4D, t: number) => {
    const out = new Float64Array(nvox);
    for (let v = 0; v < nvox; v++) out[v] = vol.data[v + nvox * t]!;
    return out;
  };
  const regressions = (inp.regressionOffsetsPpm ?? REGRESSION_OFFSETS_PPM).map((ppm) => {
    const index = nearestOffsetIndex(inp.offsetsPpm, ppm);
    const r = linearRegression(sub(reference, index), sub(pred, index), mask);
    return { requestedPpm: ppm, offsetPpm: inp.offsetsPpm[index]!, index, ...r };
  });
  let inputMae: number | undefined;
  if (inp.input) {
    let s = 0;
    for (let t = 0; t < nt; t++) s += mae(sub(inp.input, t), sub(reference, t), mask);
    inputMae = s / nt;
  }
  const voxels = inp.voxels ?? [_centreVoxel(mask, nx, ny, nz)];
  const spectra = voxels.map((vx) => {
    if (vx.x < 0 || vx.x >= nx || vx.y < 0 || vx.y >= ny || vx.z < 0 || vx.z >= nz) {
      throw new RangeError(
        `Voxel "${vx.label}" at (${vx.x}, ${vx.y}, ${vx.z}) is outside the volume [${nx},${ny},${nz}]`,
      );
    }
    const v = vx.x + nx * (vx.y + ny * vx.z);
    const at = (vol: Volume4D) => Array.from({ length: nt }, (_, t) => vol.data[v + nvox * t]!);
    return {
      ...vx,
      ...(inp.input ? { input: at(inp.input) } : {}),
      pred: at(pred),
      reference: at(reference),
    };
  });
  return {
    dims: [nx, ny, nz, nt],
    offsetsPpm: [...inp.offsetsPpm],
    maskVoxels,
    nonFiniteVoxels,
    perOffset,
    mean: {
      ssim: avg((m) => m.ssim),
      psnr: avg((m) => m.psnr),
      mse: avg((m) => m.mse),
      mae: avg((m) => m.mae),
    },
    ...(inputMae !== undefined ? { inputMae } : {}),
    regressions,
    spectra,
    conventions:
      "pred and reference multiplied by the mask; SSIM (Wang 2004 / skimage, Gaussian σ 1.5, 11×11, K1 0.01, K2 0.03, " +
      "data range 1) per z-slice averaged over slices; PSNR (data range 1) and MSE over the whole slab of each offset; " +
      "MAE and regressions (pred on reference) over masked voxels; means are over offsets",
    errorMap,
    maskData: mask,
  };
}

/** The masked voxel nearest the mask's centroid. */
function _centreVoxel(mask: Uint8Array, nx: number, ny: number, nz: number): VoxelSpec {
  const v = voxelsFromLabels({ dims: [nx, ny, nz, 1], data: mask }, { 1: "centre" });
  return v[0] ?? { label: "centre", x: nx >> 1, y: ny >> 1, z: nz >> 1 };
}

/** The JSON-serialisable part of an evaluation (drops the error maps and mask). */
export function evaluationSummary(ev: Evaluation): EvaluationResult {
  const { errorMap: _e, maskData: _m, ...rest } = ev;
  return rest;
}
