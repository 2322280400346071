/**
 * B0 correction: resamples each voxel's Z-spectrum onto the nominal offsets (the network's
 * grid) in the water frame. A voxel whose water resonance is shifted by s ppm was measured at
 * true offset Δ_true = Δ_nominal − s, so its value at grid offset g is the measured spectrum
 * at nominal offset g + s, read off a natural cubic spline through the measured samples
 * (spline.ts; why cubic: its module doc).
 *
 * Offsets off the measured range: with a grid as wide as the scan, g + s leaves it at one end
 * for every shifted voxel (e.g. g = 6 ppm, s = +0.2 ppm). Those values are never
 * extrapolated: they are held at the measured end sample (far from water a Z-spectrum is
 * flat: on simulated 7-pool spectra with |s| ≤ 0.3 ppm this is off by at most 3.9e-3) and
 * counted — how many voxels and grid offsets, and the largest distance beyond the range — so
 * the caller reports them. A scan whose nominal offsets do not cover the grid is an input
 * error ({@link assertCoversGrid}), not something to clamp.
 * @module
 */
import { InputError } from "../util/errors.ts";
import { NaturalSpline } from "./spline.ts";
import { sortedOffsets } from "./b0.ts";

/** Offsets closer than this are the same, ppm. */
const _TOL_PPM = 1e-3;

/** Result of {@link resampleToGrid}. */
export interface B0Resampled {
  /** The spectra on the grid, [grid offset][voxel]; NaN at voxels not resampled. */
  data: Float32Array;
  /** Voxels that had at least one grid offset held at the measured end sample. */
  clampedVoxels: number;
  /** Grid values held at the end sample, summed over voxels. */
  clampedValues: number;
  /** The largest distance of a held offset beyond the measured range, ppm. */
  maxBeyondPpm: number;
}

/**
 * Checks that the scan's nominal offsets span the grid (within 1e-3 ppm).
 * @throws InputError naming `source`, both ranges and the fix
 */
export function assertCoversGrid(
  offsetsPpm: readonly number[],
  gridPpm: readonly number[],
  source: string,
): void {
  const lo = Math.min(...offsetsPpm), hi = Math.max(...offsetsPpm);
  const glo = Math.min(...gridPpm), ghi = Math.max(...gridPpm);
  if (lo > glo + _TOL_PPM || hi < ghi - _TOL_PPM) {
    throw new InputError(
      `${source}: offsets ${_p(lo)}…${_p(hi)} ppm do not cover the network's offsets ${_p(glo)}…${
        _p(ghi)
      } ppm; acquire at least the network's range (the B0 correction never extrapolates)`,
    );
  }
}

/** A ppm value for messages (no float tails). */
function _p(x: number): number {
  return +x.toPrecision(6);
}

/**
 * Resamples the listed voxels onto `gridPpm` in the water frame (see the module doc).
 * @param data the series, [offset][voxel], Z (after M0 normalisation)
 * @param nvox voxels per offset
 * @param offsetsPpm the series' nominal offsets, ppm (any order, distinct)
 * @param shiftPpm water shift per voxel, ppm (0 for no B0 correction; NaN leaves the voxel out)
 * @param gridPpm where to resample, ppm
 * @param voxels the voxels to resample (finite spectra)
 * @returns the resampled spectra and how many values were held at the range's ends
 * @example
 * const r = resampleToGrid(z, nvox, offsets, b0.shiftPpm, PAPER_OFFSETS_PPM, voxels);
 */
export function resampleToGrid(
  data: ArrayLike<number>,
  nvox: number,
  offsetsPpm: readonly number[],
  shiftPpm: ArrayLike<number>,
  gridPpm: readonly number[],
  voxels: readonly number[],
  source = "the scan",
): B0Resampled {
  const { xs, order } = sortedOffsets(offsetsPpm, source);
  const spline = new NaturalSpline(xs);
  const n = xs.length, nGrid = gridPpm.length;
  const lo = xs[0]!, hi = xs[n - 1]!;
  const out = new Float32Array(nvox * nGrid).fill(NaN);
  const ys = new Float64Array(n), m = new Float64Array(n);
  let clampedVoxels = 0, clampedValues = 0, maxBeyondPpm = 0;
  for (const v of voxels) {
    const s = shiftPpm[v]!;
    if (!Number.isFinite(s)) continue;
    for (let i = 0; i < n; i++) ys[i] = data[order[i]! * nvox + v]!;
    spline.fit(ys, m);
    let held = 0;
    for (let k = 0; k < nGrid; k++) {
      const x = gridPpm[k]! + s;
      let val: number;
      if (x < lo - _TOL_PPM) {
        val = ys[0]!;
        held++;
        maxBeyondPpm = Math.max(maxBeyondPpm, lo - x);
      } else if (x > hi + _TOL_PPM) {
        val = ys[n - 1]!;
        held++;
        maxBeyondPpm = Math.max(maxBeyondPpm, x - hi);
      } else val = spline.at(ys, m, Math.min(hi, Math.max(lo, x)));
      out[k * nvox + v] = val;
    }
    if (held) {
      clampedVoxels++;
      clampedValues += held;
    }
  }
  return { data: out, clampedVoxels, clampedValues, maxBeyondPpm };
}
