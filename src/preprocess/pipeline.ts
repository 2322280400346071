/**
 * The real-scan preprocessing in front of every prediction path (`quass predict`,
 * `quass-fit`, `evaluate`, the dashboard): M0 → B0 → denoise, one stage after another on
 * the masked voxels, each reporting one line.
 *
 * 1. **M0**: Z = signal / M0. The M0 must be positive and finite at every voxel processed
 *    (the mask's): anything else is an input error, since a voxel without M0 has no Z.
 *    Without a mask the voxels with signal are those with M0 ≥ 10 % of its 99th percentile
 *    ({@link signalMask}; the background's noise would swamp the B0 fits and the PCA), and
 *    the M0 may be 0 (background) but never negative or NaN.
 * 2. **B0** (b0.ts, b0_correct.ts): the water shift per voxel — estimated from the Z-spectra
 *    (`auto`), from a WASSR series, or read from a map (ppm, or Hz converted with the main
 *    field) — and each spectrum resampled onto the nominal grid in the water frame (natural
 *    cubic spline; offsets beyond the measured range held at the end sample and counted).
 *    Voxels without a water dip get no shift and are left out (NaN, so prediction skips
 *    and reports them).
 * 3. **Denoise** (pca_denoise.ts): PCA over the processed voxels, k by the chosen criterion;
 *    then (unless `nospatial`) the spatial step of spatial_denoise.ts: the per-voxel scale
 *    error an M0 scan's noise leaves on the whole spectrum, and what the kept components
 *    hold of the noise, both averaged over neighbours of similar spectra.
 *
 * Voxels whose spectrum has a NaN/Inf, or is all zeros (the background of an M0-normalised
 * file), are not processed; the first stay NaN, the second 0. Everything here is computed
 * in memory: the callers write the outputs (the data, {@link writeB0Map}) only after every
 * stage succeeded, so a bad input writes nothing.
 * @module
 */
import { InputError } from "../util/errors.ts";
import { assertHasDip, B0_FIT_WINDOW_PPM, estimateB0Map } from "./b0.ts";
import { assertCoversGrid, resampleToGrid } from "./b0_correct.ts";
import { type PcaCriterion, pcaDenoise } from "./pca_denoise.ts";
import { spatialDenoise } from "./spatial_denoise.ts";
import { type B0MapUnit, type PreprocessChoice } from "./options.ts";

/** A B0 source with its file read and checked. */
export type B0Input =
  | { kind: "none" }
  | { kind: "auto" }
  | { kind: "wassr"; path: string; data: Float32Array; offsetsPpm: number[] }
  | { kind: "map"; path: string; shiftPpm: Float32Array; unit: B0MapUnit };

/** The preprocessing of a scan with its files read ({@link readPreprocessInputs}). */
export interface PreprocessInputs {
  choice: PreprocessChoice;
  b0: B0Input;
}

/** The scan as arrays. */
export interface ScanArrays {
  /** Signal or Z, [offset][voxel] (voxel fastest, NIfTI order). */
  data: ArrayLike<number>;
  /** [x, y, z] of the scan (for positions in messages). */
  dims: readonly [number, number, number] | readonly number[];
  /** The scan's nominal offsets, ppm. */
  offsetsPpm: readonly number[];
  /** Nonzero = process this voxel (default every voxel). */
  mask?: ArrayLike<number>;
  /** M0 per voxel: the scan is raw signal and is divided by it. */
  m0?: ArrayLike<number>;
  /** File names for messages. */
  source: string;
  m0Source?: string;
}

/** What each stage did, as recorded in output sidecars ("preprocessing"). */
export interface PreprocessReport {
  /** Voxels processed (masked, finite, not all zero). */
  voxels: number;
  /** Masked voxels left out: NaN/Inf input, or no B0 estimate. */
  leftOut: number;
  m0?: { file: string };
  b0?: {
    source: "z-spectra" | "wassr" | "map";
    file?: string;
    unit?: B0MapUnit;
    method: string;
    /** Voxels with a shift. */
    estimated: number;
    /** Voxels whose Lorentzian fit failed (parabola vertex used). */
    parabola: number;
    /** Voxels without a water dip (or a NaN map value): left out. */
    noEstimate: number;
    minPpm: number;
    maxPpm: number;
    meanPpm: number;
    interpolation: string;
    /** Grid offsets beyond the measured range, held at the end sample. */
    clamped: { voxels: number; values: number; maxBeyondPpm: number };
  };
  denoise?: {
    method: "pca";
    criterion: PcaCriterion;
    components: number;
    offsets: number;
    voxels: number;
    proposals: Record<PcaCriterion, number>;
    /** The spatial step: whether each part ran, and the RMS of the M0-noise factors − 1. */
    spatial: { scaleApplied: boolean; scaleRms: number; averaged: boolean } | "off";
  };
}

/** Result of {@link preprocessScan}. */
export interface PreprocessResult {
  /** Z, [offset][voxel]: on the grid when B0-corrected, else on the scan's offsets. */
  data: Float32Array;
  offsetsPpm: number[];
  /** The water shift per voxel, ppm (NaN: no estimate; 0 outside the processed voxels). */
  b0ShiftPpm?: Float32Array;
  report: PreprocessReport;
  /**
   * The voxels processed (1) — the given mask, or without one and with an M0 the signal mask
   * of {@link signalMask}: predict only these.
   */
  mask: Uint8Array;
  /** One line per stage (also passed to `log`). */
  lines: string[];
}

function _where(v: number, dims: readonly number[]): string {
  const nx = dims[0] ?? 1, ny = dims[1] ?? 1;
  return `x=${v % nx}, y=${Math.floor(v / nx) % ny}, z=${Math.floor(v / (nx * ny))}`;
}

/**
 * The voxels with signal, from an M0 image: M0 ≥ 10 % of its 99th percentile (robust to a few
 * hot voxels). Background noise in a magnitude M0 is a few per cent of tissue at most.
 */
export function signalMask(
  m0: ArrayLike<number>,
): { mask: Uint8Array; threshold: number; count: number } {
  const vals = Array.from(m0).filter(Number.isFinite).sort((a, b) => a - b);
  const p99 = vals.length ? vals[Math.min(vals.length - 1, Math.floor(0.99 * vals.length))]! : 0;
  const threshold = 0.1 * p99;
  const mask = new Uint8Array(m0.length);
  let count = 0;
  for (let v = 0; v < m0.length; v++) {
    if (m0[v]! >= threshold && m0[v]! > 0) {
      mask[v] = 1;
      count++;
    }
  }
  return { mask, threshold, count };
}

/**
 * Checks that the M0 is positive and finite wherever Z will be computed (inside the mask, or
 * everywhere without one; `allowZero`: only that it is not negative or NaN).
 * @param m0 M0 per voxel
 * @param mask nonzero = processed
 * @param dims [x, y, z] for the position in the message
 * @param source the M0 file's name
 * @throws InputError with the count, the first position and the fix
 */
export function assertPositiveM0(
  m0: ArrayLike<number>,
  mask: ArrayLike<number> | undefined,
  dims: readonly number[],
  source = "the M0 volume",
  allowZero = false,
): void {
  let bad = 0, first = -1;
  for (let v = 0; v < m0.length; v++) {
    const m = m0[v]!;
    const ok = allowZero ? m >= 0 && Number.isFinite(m) : m > 0 && Number.isFinite(m);
    if ((!mask || mask[v] !== 0) && !ok) {
      if (first < 0) first = v;
      bad++;
    }
  }
  if (bad) {
    throw new InputError(
      `${source}: M0 is ${
        allowZero ? "negative or not finite" : "zero, negative or not finite"
      } at ${bad} voxel(s)${mask ? " inside the mask" : ""} (first at ${
        _where(first, dims)
      }, value ${m0[first]}); Z = signal / M0 needs M0 > 0 there: check the M0 file${
        mask ? " or the mask" : ", or pass --mask to leave the background out"
      }`,
    );
  }
}

/**
 * Runs M0 → B0 → denoise on a scan (see the module doc).
 * @param scan the scan's arrays, mask and M0
 * @param inputs the choice with its files read ({@link readPreprocessInputs})
 * @param opts `gridPpm`: the offsets to resample onto when B0-correcting (the network's;
 *   default the scan's own); `log`: called with each stage's line
 * @returns Z (on the grid when B0-corrected), the B0 map and the report
 * @throws InputError for an M0 ≤ 0 in the processed voxels, a grid the offsets do not
 *   cover, a series without a water dip, or too few voxels for the PCA
 * @example
 * const r = preprocessScan({ data, dims, offsetsPpm, mask, m0, source: "raw.nii.gz" }, inputs, { gridPpm });
 */
export function preprocessScan(
  scan: ScanArrays,
  inputs: PreprocessInputs,
  opts: { gridPpm?: readonly number[]; log?: (line: string) => void } = {},
): PreprocessResult {
  const dims = scan.dims;
  const nvox = (dims[0] ?? 1) * (dims[1] ?? 1) * (dims[2] ?? 1);
  const nIn = scan.offsetsPpm.length;
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    opts.log?.(line);
  };
  if (scan.data.length !== nvox * nIn) {
    throw new InputError(
      `${scan.source}: expected ${nvox} voxels × ${nIn} offsets = ${
        nvox * nIn
      } values but found ${scan.data.length}; the 4th dimension must match the offsets`,
    );
  }
  for (
    const [arr, what] of [[scan.mask, "the mask"], [scan.m0, scan.m0Source ?? "the M0"]] as const
  ) {
    if (arr && arr.length !== nvox) {
      throw new InputError(
        `${what}: expected ${nvox} voxels (the scan's x·y·z) but found ${arr.length}; give it the scan's x, y, z`,
      );
    }
  }
  // without a mask, an M0 tells signal from background (its noise would swamp the PCA)
  const autoMask = !scan.mask && scan.m0 ? signalMask(scan.m0) : undefined;
  const userMask = scan.mask ?? autoMask?.mask;
  const inMask = (v: number) => !userMask || userMask[v] !== 0;
  // 1. M0: positive where processed; without a mask a magnitude M0 still cannot be < 0 or NaN
  if (scan.m0) {
    if (autoMask) assertPositiveM0(scan.m0, undefined, dims, scan.m0Source, true);
    assertPositiveM0(scan.m0, userMask, dims, scan.m0Source);
  }
  let z: Float32Array = new Float32Array(nvox * nIn);
  const voxels: number[] = [];
  let leftOut = 0;
  for (let v = 0; v < nvox; v++) {
    if (!inMask(v)) continue;
    const s = scan.m0 ? 1 / scan.m0[v]! : 1;
    let finite = true, zero = true;
    for (let k = 0; k < nIn; k++) {
      const val = scan.data[k * nvox + v]! * s;
      z[k * nvox + v] = val;
      if (!Number.isFinite(val)) finite = false;
      else if (val !== 0) zero = false;
    }
    if (!finite) leftOut++;
    else if (!zero) voxels.push(v);
  }
  const report: PreprocessReport = { voxels: voxels.length, leftOut };
  if (scan.m0) {
    report.m0 = {
      file: scan.m0Source ?? "M0",
      ...(autoMask
        ? { signalMask: { threshold: autoMask.threshold, voxels: autoMask.count } }
        : {}),
    };
    say(
      `M0: Z = signal / M0 in ${voxels.length} voxels${
        autoMask
          ? ` (no mask given: the ${autoMask.count} voxels with M0 ≥ ${+autoMask.threshold
            .toPrecision(3)}, 10 % of its 99th percentile; pass --mask to choose)`
          : ""
      }`,
    );
  }
  if (!voxels.length) {
    throw new InputError(
      `${scan.source}: no voxel to process: ${
        leftOut
          ? `all ${leftOut} masked voxels have NaN/Inf values`
          : "the mask is empty or the spectra are all zero"
      }; check the scan and the mask`,
    );
  }
  let offsetsPpm = [...scan.offsetsPpm];
  let b0ShiftPpm: Float32Array | undefined;
  let kept = voxels;
  // 2. B0
  const b = inputs.b0;
  if (b.kind !== "none") {
    const grid = opts.gridPpm ?? scan.offsetsPpm;
    assertCoversGrid(scan.offsetsPpm, grid, scan.source);
    let shift: ArrayLike<number>;
    let parabola = 0;
    let method: string;
    if (b.kind === "map") {
      shift = b.shiftPpm;
      method = `given map (${b.unit === "hz" ? "Hz, converted to ppm" : "ppm"})`;
    } else {
      const series = b.kind === "wassr" ? b.data : z;
      const seriesOffsets = b.kind === "wassr" ? b.offsetsPpm : scan.offsetsPpm;
      const name = b.kind === "wassr" ? b.path : scan.source;
      const what = b.kind === "wassr" ? "the WASSR series" : "the Z-spectra";
      const usable = b.kind === "wassr"
        ? voxels.filter((v) => {
          for (let k = 0; k < seriesOffsets.length; k++) {
            if (!Number.isFinite(series[k * nvox + v]!)) return false;
          }
          return true;
        })
        : voxels;
      if (!usable.length) {
        throw new InputError(`${name}: every processed voxel has NaN/Inf values in ${what}`);
      }
      assertHasDip(series, nvox, seriesOffsets, usable, name, what);
      const est = estimateB0Map(series, nvox, seriesOffsets, usable, { source: name });
      shift = est.shiftPpm;
      parabola = est.parabola.length;
      method = `Lorentzian + linear baseline fit within ±${B0_FIT_WINDOW_PPM} ppm of the dip`;
    }
    kept = voxels.filter((v) => Number.isFinite(shift[v]!));
    const noEstimate = voxels.length - kept.length;
    b0ShiftPpm = new Float32Array(nvox);
    let lo = Infinity, hi = -Infinity, sum = 0;
    for (const v of voxels) {
      const s = shift[v]!;
      b0ShiftPpm[v] = Number.isFinite(s) ? s : NaN;
      if (!Number.isFinite(s)) continue;
      lo = Math.min(lo, s);
      hi = Math.max(hi, s);
      sum += s;
    }
    if (!kept.length) {
      throw new InputError(
        `${b.kind === "map" ? b.path : scan.source}: no processed voxel has a B0 shift (${
          b.kind === "map" ? "the map is NaN there" : "no water dip found"
        }); check the B0 source and the mask`,
      );
    }
    const res = resampleToGrid(z, nvox, scan.offsetsPpm, b0ShiftPpm, grid, kept, scan.source);
    const zGrid = res.data;
    // not resampled: NaN where a masked voxel had NaN/Inf input or no shift, else 0
    const resampled = new Uint8Array(nvox);
    for (const v of kept) resampled[v] = 1;
    const nonFinite = new Uint8Array(nvox);
    for (const v of voxels) if (!resampled[v]) nonFinite[v] = 1;
    for (let v = 0; v < nvox; v++) {
      if (resampled[v] || !inMask(v)) continue;
      if (!nonFinite[v]) {
        for (let k = 0; k < nIn && !nonFinite[v]; k++) {
          if (!Number.isFinite(z[k * nvox + v]!)) nonFinite[v] = 1;
        }
      }
    }
    for (let v = 0; v < nvox; v++) {
      if (resampled[v]) continue;
      for (let k = 0; k < grid.length; k++) zGrid[k * nvox + v] = nonFinite[v] ? NaN : 0;
    }
    z = zGrid;
    offsetsPpm = [...grid];
    const mean = sum / kept.length;
    report.leftOut += noEstimate;
    report.b0 = {
      source: b.kind === "auto" ? "z-spectra" : b.kind,
      ...(b.kind === "wassr" || b.kind === "map" ? { file: b.path } : {}),
      ...(b.kind === "map" ? { unit: b.unit } : {}),
      method,
      estimated: kept.length,
      parabola,
      noEstimate,
      minPpm: lo,
      maxPpm: hi,
      meanPpm: mean,
      interpolation:
        "natural cubic spline; offsets beyond the measured range held at the end sample",
      clamped: {
        voxels: res.clampedVoxels,
        values: res.clampedValues,
        maxBeyondPpm: res.maxBeyondPpm,
      },
    };
    const from = b.kind === "auto"
      ? "from the Z-spectra"
      : b.kind === "wassr"
      ? `from the WASSR series ${b.path}`
      : `from the map ${b.path}`;
    say(
      `B0: ${from}: ${kept.length} voxels, shift ${_f(lo)}…${_f(hi)} ppm (mean ${_f(mean)})${
        parabola ? `; ${parabola} fit(s) fell back to the 3-point parabola` : ""
      }${
        noEstimate
          ? `; ${noEstimate} voxel(s) without ${
            b.kind === "map" ? "a map value" : "a water dip"
          } left out`
          : ""
      }`,
    );
    say(
      `B0: resampled onto ${grid.length} offsets (natural cubic spline)${
        res.clampedVoxels
          ? `; ${res.clampedVoxels} voxel(s) had ${res.clampedValues} offset value(s) beyond the measured range (by up to ${
            _f(res.maxBeyondPpm)
          } ppm), held at the end sample`
          : ""
      }`,
    );
  }
  // 3. denoise
  const d = inputs.choice.denoise;
  if (d.kind === "pca") {
    if (kept.length < 3) {
      throw new InputError(
        `${scan.source}: PCA denoising needs at least 3 voxels but ${kept.length} are left; widen the mask or drop --denoise`,
      );
    }
    const m = offsetsPpm.length;
    const res = pcaDenoise(z, nvox, m, kept, d.criterion);
    z = res.data;
    const sp = d.spatial
      ? spatialDenoise(z, dims, offsetsPpm, kept, res.noiseVariance, res.components)
      : undefined;
    if (sp) z = sp.data;
    report.denoise = {
      method: "pca",
      criterion: d.criterion,
      components: res.components,
      offsets: m,
      voxels: kept.length,
      proposals: res.proposals,
      spatial: sp
        ? { scaleApplied: sp.scaleApplied, scaleRms: sp.scaleRms, averaged: sp.averaged }
        : "off",
    };
    const others = Object.entries(res.proposals).filter(([c]) => c !== d.criterion)
      .map(([c, k]) => `${c} ${k}`).join(", ");
    const spatialNote = !sp
      ? ""
      : `; spatial step: ${
        sp.scaleApplied
          ? `M0 noise ${(100 * sp.scaleRms).toFixed(2)} % RMS removed`
          : "M0-noise part skipped (it needs offsets beyond ±3 ppm)"
      }, ${sp.averaged ? "neighbourhood average" : "no neighbours to average"}`;
    say(
      `denoise: PCA kept ${res.components} of ${m} components (${d.criterion} criterion; ${others}) over ${kept.length} voxels${
        kept.length < 2 * m ? " (few voxels for the offsets: weak denoising)" : ""
      }${spatialNote}`,
    );
  }
  const mask = new Uint8Array(nvox);
  for (let v = 0; v < nvox; v++) mask[v] = inMask(v) ? 1 : 0;
  return { data: z, offsetsPpm, ...(b0ShiftPpm ? { b0ShiftPpm } : {}), mask, report, lines };
}

function _f(x: number): string {
  return (Math.round(x * 1000) / 1000).toFixed(3);
}

export {
  b0MapPathFor,
  preprocessVolume,
  type PreprocessVolumeOptions,
  readPreprocessInputs,
  writeB0Map,
} from "./pipeline_files.ts";
