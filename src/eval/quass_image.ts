/**
 * The analytic QUASS baseline on images: Sun 2021's quasi-steady-state reconstruction
 * (reference/quass_formulas.md §4.3) applied voxel by voxel, with a water T1 map or one T1
 * for every voxel. This is the physics method the networks must beat.
 * @module
 */
import { InputError } from "../util/errors.ts";
import { DEFAULT_B0_T } from "../physics/constants.ts";
import { quassFitSpectrum } from "../physics/analytic.ts";
import { checkDims, readNifti, writeNifti } from "../data/nifti.ts";
import { readSidecar, resolveOffsets, writeSidecar } from "../data/sidecar.ts";

/** Acquisition parameters of the short-saturation scan being corrected. */
export interface QuassScanParams {
  /** Saturation offsets, ppm. */
  offsetsPpm: readonly number[];
  /** CW saturation amplitude, µT. */
  b1UT: number;
  /** Main field, T. */
  b0T?: number;
  /** Saturation time of the scan, s. */
  tsS: number;
  /** Relaxation delay before saturation, s (the readout is assumed to null Mz). */
  tdS: number;
  /** True when Z was divided by a control scan with the same Ts, Td (§4.1 denominator). */
  normalisedByControl?: boolean;
}

/**
 * One voxel's QUASS spectrum with physics/analytic.ts's `quassFitSpectrum` (§4.3: per
 * offset, fit R1ρ on [0.01, 30] 1/s, then Z_ss = cos²θ·R1w/R1ρ).
 * @param zApp measured Z at the offsets
 * @param r1wPerS water R1 = 1/T1, 1/s
 * @param scan offsets, B1, B0, Ts, Td and normalisation
 * @param b0ShiftPpm B0 shift of the voxel, ppm
 * @returns Z_ss per offset
 * @example
 * const zss = quassFitVoxel(zApp, 1 / 1.8, { offsetsPpm, b1UT: 1, tsS: 1.5, tdS: 4.5 });
 */
export function quassFitVoxel(
  zApp: ArrayLike<number>,
  r1wPerS: number,
  scan: QuassScanParams,
  b0ShiftPpm = 0,
): Float64Array {
  return quassFitSpectrum(zApp, scan.offsetsPpm, {
    r1wPerS,
    b1UT: scan.b1UT,
    b0T: scan.b0T ?? DEFAULT_B0_T,
    tsS: scan.tsS,
    tdS: scan.tdS,
    normalisedByControl: scan.normalisedByControl ?? false,
    b0ShiftPpm,
  });
}

/** Result of {@link quassImage}. */
export interface QuassImageResult {
  /** QUASS Z per voxel and offset in NIfTI order ([offset][voxel], voxel fastest). */
  zss: Float32Array;
  /** Voxels fitted. */
  fitted: number;
  /** Voxel indices left out (non-finite input or T1), set to 0 in {@link zss}. */
  skipped: number[];
}

/**
 * Applies {@link quassFitVoxel} to every masked voxel of a volume stored in NIfTI order.
 * @param zApp input Z, [offset][voxel] (nvox·nOffsets values)
 * @param nvox voxels per offset (x·y·z)
 * @param t1S water T1 in s: one number, or a map of nvox values
 * @param scan the short-saturation scan's parameters
 * @param opts mask (nonzero = fit), per-voxel B0 shift map in ppm
 * @returns the QUASS volume and which voxels were skipped
 * @example
 * const { zss } = quassImage(vol, 64 * 64, 1.8, { offsetsPpm, b1UT: 1, tsS: 1.5, tdS: 4.5 });
 */
export function quassImage(
  zApp: ArrayLike<number>,
  nvox: number,
  t1S: number | ArrayLike<number>,
  scan: QuassScanParams,
  opts: { mask?: ArrayLike<number>; b0ShiftPpm?: ArrayLike<number> } = {},
): QuassImageResult {
  const nOff = scan.offsetsPpm.length;
  if (zApp.length !== nvox * nOff) {
    throw new InputError(
      `Expected ${nvox}×${nOff} values (voxels × offsets) but found ${zApp.length}`,
    );
  }
  if (typeof t1S !== "number" && t1S.length !== nvox) {
    throw new InputError(
      `Expected a T1 map of ${nvox} voxels but found ${t1S.length}: give a map with the scan's x, y, z dimensions or one T1 in seconds`,
    );
  }
  if (typeof t1S === "number" && !(t1S > 0 && Number.isFinite(t1S))) {
    throw new InputError(`Expected a positive water T1 in seconds but found ${t1S}`);
  }
  const zss = new Float32Array(nvox * nOff);
  const spec = new Float64Array(nOff);
  const skipped: number[] = [];
  let fitted = 0;
  for (let v = 0; v < nvox; v++) {
    if (opts.mask && !opts.mask[v]) continue;
    const t1 = typeof t1S === "number" ? t1S : t1S[v]!;
    let ok = t1 > 0 && Number.isFinite(t1);
    for (let k = 0; k < nOff && ok; k++) {
      spec[k] = zApp[k * nvox + v]!;
      if (!Number.isFinite(spec[k]!)) ok = false;
    }
    if (!ok) {
      skipped.push(v);
      continue;
    }
    const out = quassFitVoxel(spec, 1 / t1, scan, opts.b0ShiftPpm ? opts.b0ShiftPpm[v]! : 0);
    for (let k = 0; k < nOff; k++) zss[k * nvox + v] = out[k]!;
    fitted++;
  }
  return { zss, fitted, skipped };
}

/** Options of {@link quassFitFile} (the `quass quass-fit` command). */
export interface QuassFitFileOptions {
  /** Z volume (.nii/.nii.gz, 4-D) with a sidecar. */
  input: string;
  /** Water T1: a map path or a number of seconds (as text or number). */
  t1: string | number;
  /** Overrides of the sidecar's b1UT, tsS, tdS, b0T. */
  b1UT?: number;
  tsS?: number;
  tdS?: number;
  b0T?: number;
  /** `--offsets` flag text. */
  offsets?: string;
  /** Mask path. */
  mask?: string;
  /** B0 shift map path (ppm). */
  b0Shift?: string;
  /** Z normalised by a control scan with the same Ts, Td. */
  control?: boolean;
  /** Output path (.nii/.nii.gz). */
  out: string;
}

/**
 * Reads a Z volume, fits QUASS per voxel and writes the result with a sidecar. Scan
 * parameters come from the flags, else the sidecar, else the paper's input protocol
 * (B1 1 µT, Ts 1.5 s, Td 4.5 s, 7 T). Everything is checked before anything is written.
 * @param o paths and overrides
 * @returns voxel counts
 * @example
 * await quassFitFile({ input: "phantom/input.nii.gz", t1: "phantom/t1.nii.gz", out: "quass.nii.gz" });
 */
export async function quassFitFile(
  o: QuassFitFileOptions,
): Promise<{ fitted: number; skipped: number }> {
  if (!/\.nii(\.gz)?$/.test(o.out)) {
    throw new InputError(`--out ${o.out}: the output name must end in .nii or .nii.gz`);
  }
  const vol = await readNifti(o.input);
  checkDims(vol, o.input, { minT: 2, what: "a 4-D Z-spectral series [x, y, z, offset]" });
  const [nx, ny, nz, nt] = vol.dims;
  const nvox = nx * ny * nz;
  const offsetsPpm = await resolveOffsets(o.input, nt, o.offsets);
  const side = (await readSidecar(o.input, nt)) ?? {};
  const scan: QuassScanParams = {
    offsetsPpm,
    b1UT: o.b1UT ?? side.b1UT ?? 1,
    tsS: o.tsS ?? side.tsS ?? 1.5,
    tdS: o.tdS ?? side.tdS ?? 4.5,
    b0T: o.b0T ?? side.b0T ?? DEFAULT_B0_T,
    normalisedByControl: o.control ?? false,
  };
  if (!Number.isFinite(scan.tsS) || scan.tsS <= 0) {
    throw new InputError(
      `${o.input}: Ts is ${scan.tsS}; QUASS corrects a finite saturation time (pass --ts SECONDS)`,
    );
  }
  const map3 = async (path: string, what: string) => {
    const m = await readNifti(path);
    checkDims(m, path, { dims: [nx, ny, nz], maxT: 1, what });
    return m.data;
  };
  let t1: number | Float32Array;
  const t1Num = typeof o.t1 === "number"
    ? o.t1
    : /^[\d.eE+-]+$/.test(o.t1.trim())
    ? Number(o.t1)
    : NaN;
  if (Number.isFinite(t1Num)) {
    if (!(t1Num > 0)) throw new InputError(`--t1 ${o.t1}: water T1 must be positive seconds`);
    t1 = t1Num;
  } else {
    t1 = await map3(String(o.t1), `a water T1 map in seconds with the scan's x, y, z`);
  }
  const mask = o.mask ? await map3(o.mask, "a mask with the scan's x, y, z") : undefined;
  const b0ShiftPpm = o.b0Shift
    ? await map3(o.b0Shift, "a B0 shift map (ppm) with the scan's x, y, z")
    : undefined;
  const res = quassImage(vol.data, nvox, t1, scan, { mask, b0ShiftPpm });
  await writeNifti(o.out, {
    dims: vol.dims,
    data: res.zss,
    affine: vol.affine,
    pixdim: vol.pixdim,
    ndim: 4,
  }, {
    description: "quass analytic QUASS",
  });
  await writeSidecar(o.out, {
    offsetsPpm,
    tsS: Infinity,
    b1UT: scan.b1UT,
    b0T: scan.b0T,
    source: "quass quass-fit (Sun 2021 QUASS, per-offset R1rho fit)",
    inputScan: { path: o.input, tsS: scan.tsS, tdS: scan.tdS },
    t1: typeof t1 === "number" ? t1 : String(o.t1),
    skippedVoxels: res.skipped.length,
  });
  return { fitted: res.fitted, skipped: res.skipped.length };
}
