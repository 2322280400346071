/**
 * What the Predict page shows of a finished prediction: one slice at one offset (input,
 * prediction, reference, error, mask), one voxel's spectra, the result as .nii.gz and a
 * summary.
 * @module
 */
import { InputError } from "../util/errors.ts";
import { encodeNifti, gzip } from "../data/nifti.ts";
import type { PredictionResult } from "./predict.ts";

/** One z-slice at one offset: the images the viewer draws (row-major, x fastest). */
export interface SliceData {
  nx: number;
  ny: number;
  z: number;
  offsetIndex: number;
  offsetPpm: number;
  input: number[] | null;
  prediction: number[];
  reference: number[] | null;
  /** |prediction − reference| inside the mask (null without a reference). */
  error: number[] | null;
  mask: number[];
}

function _intParam(v: string | null, name: string, max: number): number {
  const n = Number(v);
  if (v === null || !Number.isInteger(n) || n < 0 || n >= max) {
    throw new InputError(
      `Query parameter "${name}" must be an integer in 0…${max - 1}, found ${JSON.stringify(v)}`,
    );
  }
  return n;
}

/** Extracts slice `z` at offset index `k` (query parameters `z`, `k`). */
export function sliceOf(r: PredictionResult, q: URLSearchParams): SliceData {
  const [nx, ny, nz, nt] = r.dims;
  const z = _intParam(q.get("z") ?? "0", "z", nz);
  const k = _intParam(q.get("k"), "k", nt);
  const nvox = nx * ny * nz, n2 = nx * ny;
  const pick = (a: Float32Array) =>
    Array.from(a.subarray(k * nvox + z * n2, k * nvox + (z + 1) * n2), (v) => +v.toPrecision(6));
  const mask = Array.from(r.mask.subarray(z * n2, (z + 1) * n2));
  const prediction = pick(r.prediction);
  const reference = r.reference ? pick(r.reference) : null;
  return {
    nx,
    ny,
    z,
    offsetIndex: k,
    offsetPpm: r.offsetsPpm[k]!,
    input: r.input.length ? pick(r.input) : null,
    prediction,
    reference,
    error: reference
      ? prediction.map((p, i) => (mask[i] ? +Math.abs(p - reference[i]!).toPrecision(6) : 0))
      : null,
    mask,
  };
}

/** The three Z-spectra of voxel (x, y, z) (query parameters). */
export function voxelOf(r: PredictionResult, q: URLSearchParams) {
  const [nx, ny, nz, nt] = r.dims;
  const x = _intParam(q.get("x"), "x", nx),
    y = _intParam(q.get("y"), "y", ny),
    z = _intParam(q.get("z") ?? "0", "z", nz);
  const nvox = nx * ny * nz, v = x + nx * (y + ny * z);
  const spec = (
    a: Float32Array | undefined,
  ) => (a && a.length ? Array.from({ length: nt }, (_, k) => a[k * nvox + v]!) : null);
  return {
    x,
    y,
    z,
    inMask: r.mask[v] === 1,
    offsetsPpm: r.offsetsPpm,
    input: spec(r.input),
    prediction: spec(r.prediction)!,
    reference: spec(r.reference),
  };
}

/** The prediction as .nii.gz bytes (float32, the scan's affine). */
export async function resultNiftiGz(r: PredictionResult): Promise<Uint8Array> {
  return await gzip(
    encodeNifti({ dims: r.dims, data: r.prediction, affine: r.affine, pixdim: r.pixdim, ndim: 4 }, {
      description: `quass predict ${r.arch}`,
    }),
  );
}

/** Summary of a result for JSON (no voxel data). */
export function resultSummary(r: PredictionResult) {
  return {
    runName: r.runName,
    pretrained: r.pretrained,
    t1Informed: r.t1Informed,
    arch: r.arch,
    source: r.sourceLabel,
    dims: r.dims,
    offsetsPpm: r.offsetsPpm,
    hasReference: !!r.reference,
    hasInput: r.input.length > 0,
    predicted: r.predicted,
    notes: r.notes,
    seconds: r.seconds,
  };
}
