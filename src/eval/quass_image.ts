/**
 * The analytic QUASS baseline on images: Sun 2021's quasi-steady-state reconstruction
 * (docs/physics/quass_formulas.md §4.3) applied voxel by voxel, with a water T1 map or one T1
 * for every voxel. With a target protocol it predicts that protocol's image instead of the
 * steady state (physics/analytic.ts's `quassPredictSpectrum`), so it can be scored like for
 * like against a network trained for the same target.
 * @module
 */
import { InputError } from "../util/errors.ts";
import { DEFAULT_B0_T } from "../physics/constants.ts";
import { quassPredictSpectrum, type QuassTarget } from "../physics/analytic.ts";
import { checkDims, readNifti, writeNifti } from "../data/nifti.ts";
import {
  readSidecar,
  resolveOffsets,
  sidecarPath,
  withSidecar,
  writeSidecar,
} from "../data/sidecar.ts";
import { checkNotInput, checkWritable } from "../util/output.ts";
import { checkB1UT, checkT1MapSeconds, MAX_T1_S } from "../util/limits.ts";
import { NO_PREPROCESSING, type PreprocessChoice } from "../preprocess/options.ts";
import {
  assertPositiveM0,
  b0MapPathFor,
  preprocessScan,
  readPreprocessInputs,
  writeB0Map,
} from "../preprocess/pipeline.ts";

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

/** "Ts 5 s / Td 1 s" or "steady state": the protocol a QUASS prediction is for, in words. */
export function describeQuassTarget(target: QuassTarget): string {
  if (target === "steady" || target.tsS === Infinity) return "steady state";
  return `Ts ${target.tsS} s / Td ${target.tdS} s`;
}

/**
 * Checks a target protocol: "steady", or Ts > 0 s (Infinity = steady) and a finite Td ≥ 0 s.
 * @throws InputError naming `what` (e.g. the flag) and the fix
 */
export function checkQuassTarget(target: QuassTarget, what = "target"): QuassTarget {
  if (target === "steady") return target;
  const { tsS, tdS } = target;
  if (!(tsS > 0) || !(tdS >= 0 && Number.isFinite(tdS))) {
    throw new InputError(
      `${what}: Ts ${tsS} s, Td ${tdS} s is not a protocol; give Ts > 0 s and a finite Td ≥ 0 s, or steady`,
    );
  }
  return tsS === Infinity ? "steady" : target;
}

/**
 * One voxel's QUASS spectrum with physics/analytic.ts's `quassPredictSpectrum` (§4.3: per
 * offset, fit R1ρ on [0.01, 30] 1/s, then Z_ss = cos²θ·R1w/R1ρ; for a finite target, the
 * target scan's apparent Z from that R1ρ and Z_ss, §4.1).
 * @param zApp measured Z at the offsets
 * @param r1wPerS water R1 = 1/T1, 1/s
 * @param scan offsets, B1, B0, Ts, Td and normalisation
 * @param b0ShiftPpm B0 shift of the voxel, ppm
 * @param target protocol to predict: "steady" (default: Z_ss) or `{ tsS, tdS }`
 * @returns Z at the target per offset
 * @example
 * const zss = quassFitVoxel(zApp, 1 / 1.8, { offsetsPpm, b1UT: 1, tsS: 1.5, tdS: 4.5 });
 * const z5 = quassFitVoxel(zApp, 1 / 1.8, { offsetsPpm, b1UT: 1, tsS: 1.5, tdS: 4.5 }, 0, { tsS: 5, tdS: 1 });
 */
export function quassFitVoxel(
  zApp: ArrayLike<number>,
  r1wPerS: number,
  scan: QuassScanParams,
  b0ShiftPpm = 0,
  target: QuassTarget = "steady",
): Float64Array {
  return quassPredictSpectrum(zApp, scan.offsetsPpm, {
    r1wPerS,
    b1UT: scan.b1UT,
    b0T: scan.b0T ?? DEFAULT_B0_T,
    tsS: scan.tsS,
    tdS: scan.tdS,
    normalisedByControl: scan.normalisedByControl ?? false,
    b0ShiftPpm,
  }, target);
}

/** Result of {@link quassImage}. */
export interface QuassImageResult {
  /**
   * QUASS Z per voxel and offset in NIfTI order ([offset][voxel], voxel fastest): the steady
   * state, or the target protocol's Z when a finite target was given.
   */
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
 * @param opts mask (nonzero = fit), per-voxel B0 shift map in ppm, target protocol
 *   (default "steady")
 * @returns the QUASS volume and which voxels were skipped
 * @throws InputError when no voxel can be fitted (every T1 ≤ 0 or input non-finite, or an
 *   empty mask): an all-zero volume is never a result
 * @example
 * const { zss } = quassImage(vol, 64 * 64, 1.8, { offsetsPpm, b1UT: 1, tsS: 1.5, tdS: 4.5 });
 */
export function quassImage(
  zApp: ArrayLike<number>,
  nvox: number,
  t1S: number | ArrayLike<number>,
  scan: QuassScanParams,
  opts: {
    mask?: ArrayLike<number>;
    b0ShiftPpm?: ArrayLike<number>;
    target?: QuassTarget;
    /** The T1 map's file name, for messages. */
    t1Source?: string;
  } = {},
): QuassImageResult {
  const target = checkQuassTarget(opts.target ?? "steady");
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
    const shift = opts.b0ShiftPpm ? opts.b0ShiftPpm[v]! : 0;
    const out = quassFitVoxel(spec, 1 / t1, scan, shift, target);
    for (let k = 0; k < nOff; k++) zss[k * nvox + v] = out[k]!;
    fitted++;
  }
  if (fitted === 0) {
    throw new InputError(
      skipped.length === 0
        ? "no voxel to fit: the mask selects none; give a mask that covers the tissue"
        : `${opts.t1Source ?? "--t1"}: no voxel can be fitted: all ${skipped.length} ${
          opts.mask ? "masked " : ""
        }voxels have a water T1 ≤ 0 (or NaN) or NaN/Inf input; give a T1 map in seconds > 0 over the tissue (or one T1, e.g. --t1 1.8) and a finite scan`,
    );
  }
  return { zss, fitted, skipped };
}

/** The map path a `--t1` value names, or undefined when it is seconds (a number or numeric text). */
export function t1MapPath(t1: string | number | undefined): string | undefined {
  if (t1 === undefined || typeof t1 === "number" || /^[\d.eE+-]+$/.test(t1.trim())) {
    return undefined;
  }
  return t1;
}

/**
 * A water T1 given as seconds (number or numeric text) or as a map path read by `readMap`,
 * checked to be in seconds (util/limits.ts: ≤ 20 s, a map by its median), as the dashboard does.
 * @throws InputError for a value that is not positive seconds
 */
export async function readT1(
  t1: string | number,
  readMap: (path: string) => Promise<Float32Array>,
): Promise<number | Float32Array> {
  const path = t1MapPath(t1);
  const num = path === undefined ? Number(t1) : NaN;
  if (Number.isFinite(num)) {
    if (!(num > 0 && num <= MAX_T1_S)) {
      throw new InputError(
        `--t1 ${t1}: water T1 must be in seconds, in (0, ${MAX_T1_S}] (a T1 in ms: divide by 1000)`,
      );
    }
    return num;
  }
  const map = await readMap(String(t1));
  checkT1MapSeconds(map, String(t1));
  return map;
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
  /** B0 shift map path (ppm), handed to the formula (the output stays on the scan's offsets). */
  b0Shift?: string;
  /** M0 volume: the input is raw signal (the preprocessing divides by it). */
  m0?: string;
  /**
   * B0 correction and denoising before the fit (preprocess/pipeline.ts): the spectra are
   * resampled onto the scan's nominal offsets in the water frame, so the formula sees no shift.
   */
  preprocess?: PreprocessChoice;
  /** Called with one line per preprocessing stage. */
  onStage?: (line: string) => void;
  /** Z normalised by a control scan with the same Ts, Td. */
  control?: boolean;
  /** Protocol to predict (default "steady": Z_ss; `{ tsS: 5, tdS: 1 }`: the Ts 5 s image). */
  target?: QuassTarget;
  /** Output path (.nii/.nii.gz). */
  out: string;
}

/**
 * Reads a Z volume, fits QUASS per voxel and writes the result for the target protocol with
 * a sidecar recording that protocol (tsS "inf" for the steady state). Scan parameters come
 * from the flags, else the sidecar, else the paper's input protocol (B1 1 µT, Ts 1.5 s,
 * Td 4.5 s, 7 T). Everything is checked before anything is written.
 * @param o paths and overrides
 * @returns voxel counts
 * @example
 * await quassFitFile({ input: "phantom/input.nii.gz", t1: "phantom/t1.nii.gz", out: "quass.nii.gz" });
 */
export async function quassFitFile(
  o: QuassFitFileOptions,
): Promise<{ fitted: number; skipped: number; b0MapPath?: string }> {
  if (!/\.nii(\.gz)?$/.test(o.out)) {
    throw new InputError(`--out ${o.out}: the output name must end in .nii or .nii.gz`);
  }
  await checkWritable(o.out, "--out");
  await checkNotInput(withSidecar("--out", o.out), [
    ...withSidecar("--input", o.input),
    ...withSidecar("--t1", t1MapPath(o.t1)),
    ...withSidecar("--mask", o.mask),
    ...withSidecar("--b0-shift", o.b0Shift),
  ]);
  const target = checkQuassTarget(o.target ?? "steady", "--target");
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
  const t1 = await readT1(
    o.t1,
    (path) => map3(path, `a water T1 map in seconds with the scan's x, y, z`),
  );
  const mask = o.mask ? await map3(o.mask, "a mask with the scan's x, y, z") : undefined;
  const b0ShiftPpm = o.b0Shift
    ? await map3(o.b0Shift, "a B0 shift map (ppm) with the scan's x, y, z")
    : undefined;
  checkB1UT(
    o.b1UT === undefined && side.b1UT !== undefined ? `${sidecarPath(o.input)}: b1UT` : "--b1",
    scan.b1UT,
  );
  const choice = o.preprocess ?? NO_PREPROCESSING;
  if (o.b0Shift && choice.b0.kind !== "none") {
    throw new InputError(
      `--b0-shift ${o.b0Shift} and a B0 correction (--b0/--wassr/--b0-map) both given: the first hands the shift to the formula, the second removes it from the spectra; keep one`,
    );
  }
  const m0 = o.m0
    ? await map3(o.m0, `an M0 volume with the scan's x, y, z = ${nx}, ${ny}, ${nz}`)
    : undefined;
  const pipeline = m0 !== undefined || choice.b0.kind !== "none" || choice.denoise.kind !== "none";
  let data: ArrayLike<number> = vol.data;
  let pp: ReturnType<typeof preprocessScan> | undefined;
  if (pipeline) {
    const pre = await readPreprocessInputs(choice, [nx, ny, nz], scan.b0T);
    if (m0 && mask) assertPositiveM0(m0, mask, [nx, ny, nz], o.m0);
    pp = preprocessScan(
      { data: vol.data, dims: [nx, ny, nz], offsetsPpm, mask, m0, source: o.input, m0Source: o.m0 },
      pre,
      { log: o.onStage },
    );
    data = pp.data;
  }
  const res = quassImage(data, nvox, t1, scan, {
    mask: mask ?? pp?.mask,
    b0ShiftPpm,
    target,
    t1Source: typeof t1 === "number" ? undefined : String(o.t1),
  });
  const b0MapPath = pp?.b0ShiftPpm ? b0MapPathFor(o.out) : undefined;
  const targetText = describeQuassTarget(target);
  await writeNifti(o.out, {
    dims: vol.dims,
    data: res.zss,
    affine: vol.affine,
    pixdim: vol.pixdim,
    ndim: 4,
  }, {
    description: `quass analytic QUASS -> ${target === "steady" ? "steady" : `Ts ${target.tsS} s`}`,
  });
  await writeSidecar(o.out, {
    offsetsPpm,
    ...(target === "steady" ? { tsS: Infinity } : { tsS: target.tsS, tdS: target.tdS }),
    b1UT: scan.b1UT,
    b0T: scan.b0T,
    source: `quass quass-fit (Sun 2021 QUASS, per-offset R1rho fit) → ${targetText}`,
    target: targetText,
    inputScan: { path: o.input, tsS: scan.tsS, tdS: scan.tdS },
    t1: typeof t1 === "number" ? t1 : String(o.t1),
    skippedVoxels: res.skipped.length,
    ...(pp ? { preprocessing: { ...pp.report, ...(b0MapPath ? { b0Map: b0MapPath } : {}) } } : {}),
  });
  if (b0MapPath && pp?.b0ShiftPpm) {
    await writeB0Map(b0MapPath, pp.b0ShiftPpm, vol, pp.report.b0, scan.b0T);
  }
  return { fitted: res.fitted, skipped: res.skipped.length, ...(b0MapPath ? { b0MapPath } : {}) };
}
