/**
 * Geometry and parameter maps of the digital rat-brain phantom: a label image (background,
 * grey matter, white matter, a C6-glioma-like tumour and its heterogeneous rim), smooth
 * seeded spatial variation of every tissue parameter, an M0 (proton density × coil) map, an
 * optional B0 shift map and an optional relative-B1 map. Pure CPU and seeded: the same seed
 * gives the same maps (each field has its own random stream, so adding one leaves the others
 * as they were).
 *
 * The 20 tissue parameters follow docs/physics/pool_parameters.md §2 (the order of the
 * dataset's parameter space): water T1, T2, then (f, k, T2) for amide +3.5, guanidyl +2.0,
 * hydroxyl +1.3, NOE −1.6, MT −2.4 and NOE −3.5 ppm.
 * @module
 */
import { Rng } from "../util/rng.ts";
import { defaultParamSpace } from "../physics/param_space.ts";

/** Labels of the phantom's label map. */
export const LABELS = { background: 0, gm: 1, wm: 2, tumour: 3, rim: 4 } as const;

/** The names of the labels in tables and the phantom's manifest (label value → name). */
export const LABEL_NAMES: Readonly<Record<string, string>> = {
  [LABELS.gm]: "grey matter",
  [LABELS.wm]: "white matter",
  [LABELS.tumour]: "tumour",
  [LABELS.rim]: "tumour rim",
};

/** Names of the 20 tissue parameters, in the parameter-space order (param_space.ts). */
export const PHANTOM_PARAM_NAMES: readonly string[] = defaultParamSpace().ranges.map((r) => r.name);

/** Number of tissue parameters per voxel (20). */
export const N_PARAMS: number = PHANTOM_PARAM_NAMES.length;

/**
 * Lower and upper bounds of each parameter (param_space.ts, pool_parameters.md §2): the
 * phantom's values are clamped into them so networks trained on that box see
 * in-distribution tissue.
 */
export const PARAM_BOUNDS: readonly (readonly [number, number])[] = defaultParamSpace().ranges.map((
  r,
) => [r.lo, r.hi] as const);

/**
 * Mean parameters of each tissue class. GM is tests/fixtures/bmsim/generated/
 * rat_brain_7T_7pool_normal_example.yaml, the tumour core its tumour twin (longer water
 * T1/T2, twice the amide, half the MT, less NOE −3.5); WM has shorter T1/T2 and more MT and
 * NOE (myelin); the rim lies between tumour and GM with the most amide (proliferating edge).
 */
// deno-fmt-ignore: one tissue a row, in parameter order
export const TISSUE_MEANS: Readonly<Record<"gm" | "wm" | "tumour" | "rim", readonly number[]>> = {
  gm: [1.8, 0.05, 1e-3, 50, 0.02, 1e-3, 800, 0.02, 1e-3, 2500, 0.02, 1.5e-3, 20, 0.002, 0.10, 30, 1.5e-5, 5e-3, 20, 0.001],
  wm: [1.5, 0.04, 1e-3, 50, 0.02, 1e-3, 800, 0.02, 1e-3, 2500, 0.02, 2e-3, 20, 0.002, 0.14, 30, 1.5e-5, 7e-3, 20, 0.001],
  tumour: [2.2, 0.08, 2e-3, 50, 0.02, 1e-3, 800, 0.02, 1e-3, 2500, 0.02, 1.5e-3, 20, 0.002, 0.05, 30, 1.5e-5, 3e-3, 20, 0.001],
  rim: [2.0, 0.065, 2.4e-3, 60, 0.02, 1.1e-3, 800, 0.02, 1e-3, 2500, 0.02, 1.5e-3, 20, 0.002, 0.07, 30, 1.5e-5, 4e-3, 20, 0.001],
};

/** Relative proton density (M0) of each class (tumour oedema: more water). */
const _PD: Readonly<Record<number, number>> = { 1: 1.0, 2: 0.88, 3: 1.1, 4: 1.05 };

/** Options of {@link phantomMaps}. */
export interface PhantomMapOptions {
  /** Matrix size (square), voxels; 1 mm each. Default 64. */
  size?: number;
  /** Seed of every random choice (geometry jitter, parameter fields). Default 1. */
  seed?: number;
  /** Relative standard deviation of the smooth parameter variation. Default 0.05. */
  variation?: number;
  /** Peak |B0 shift| of the smooth B0 map, ppm (0 = none). Default 0. */
  b0ShiftPpm?: number;
  /** Peak |relB1 − 1| of the smooth relative-B1 map (relB1 in 1 ± F; 0 = none). Default 0. */
  b1Inhom?: number;
  /**
   * Strength of the smooth receive-coil shading of M0: M0 = proton density × (1 + F·field),
   * with a unit-RMS field of at most one cycle over the FOV. Default 0.06.
   */
  m0Inhom?: number;
}

/** The phantom's maps, each row-major [y][x] (x fastest) of size × size. */
export interface PhantomMaps {
  size: number;
  /** Label per voxel, see {@link LABELS}. */
  labels: Uint8Array;
  /** 1 inside the brain. */
  mask: Uint8Array;
  /** Parameters per voxel, [voxel][20] (0 outside the brain). */
  params: Float64Array;
  /** Equilibrium water magnetisation (proton density × receive coil), arbitrary units ≈ 1. */
  m0: Float64Array;
  /** B0 shift per voxel, ppm (0 where none). */
  b0ShiftPpm: Float64Array;
  /** Relative B1 per voxel (multiplies the protocol's B1; 1 where none). */
  relB1: Float64Array;
}

/**
 * A smooth random field on the unit square: a sum of a few low-frequency cosines with
 * random directions and phases, scaled to unit RMS over the grid.
 */
export function smoothField(rng: Rng, size: number, maxCycles: number, terms = 5): Float64Array {
  const waves = Array.from({ length: terms }, () => ({
    kx: rng.range(-maxCycles, maxCycles),
    ky: rng.range(-maxCycles, maxCycles),
    ph: rng.range(0, 2 * Math.PI),
    a: rng.range(0.5, 1),
  }));
  const f = new Float64Array(size * size);
  let ss = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = x / size, v = y / size;
      let s = 0;
      for (const w of waves) s += w.a * Math.cos(2 * Math.PI * (w.kx * u + w.ky * v) + w.ph);
      f[y * size + x] = s;
      ss += s * s;
    }
  }
  const rms = Math.sqrt(ss / f.length) || 1;
  for (let i = 0; i < f.length; i++) f[i] = f[i]! / rms;
  return f;
}

/** The label image (before parameters): brain ellipse, cortex/WM arcs, tumour and rim. */
function _labels(size: number, rng: Rng): Uint8Array {
  const labels = new Uint8Array(size * size);
  // Small seeded jitter of the anatomy so different seeds give different slices.
  const j = () => rng.range(-0.015, 0.015);
  const brainA = 0.36 + j(), brainB = 0.29 + j();
  const tx = 0.15 + j(), ty = -0.06 + j(), tr = 0.105 + j();
  const lobes = Array.from(
    { length: 4 },
    () => ({ k: 2 + rng.int(4), ph: rng.range(0, 2 * Math.PI), a: rng.range(0.05, 0.15) }),
  );
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Normalised coordinates centred on the FOV, v up.
      const u = (x + 0.5) / size - 0.5, v = 0.5 - (y + 0.5) / size;
      const i = y * size + x;
      const rb = (u / brainA) ** 2 + ((v - 0.02) / brainB) ** 2;
      if (rb > 1) continue;
      labels[i] = LABELS.gm;
      // Corpus-callosum-like arc and two capsule-like blobs of white matter.
      const rc = (u / 0.24) ** 2 + ((v + 0.02) / 0.15) ** 2;
      const cc = rc > 0.6 && rc < 1 && v > -0.05;
      const cap = ((Math.abs(u) - 0.2) / 0.05) ** 2 + ((v + 0.1) / 0.08) ** 2 < 1;
      if (cc || cap) labels[i] = LABELS.wm;
      // Tumour: irregular outline (angular lobes), rim of ~2 voxels.
      const du = u - tx, dv = v - ty;
      const ang = Math.atan2(dv, du);
      let rr = tr;
      for (const l of lobes) rr *= 1 + l.a * Math.cos(l.k * ang + l.ph) / 2;
      const d = Math.hypot(du, dv);
      if (d < rr) labels[i] = d < rr - 2.2 / size ? LABELS.tumour : LABELS.rim;
    }
  }
  return labels;
}

/**
 * Builds the phantom's label, mask, parameter, M0, B0 and relative-B1 maps.
 * @param opts size, seed, variation, b0ShiftPpm, b1Inhom, m0Inhom
 * @returns the maps (see {@link PhantomMaps})
 * @example
 * const maps = phantomMaps({ size: 64, seed: 7 });
 * const t1OfVoxel0 = maps.params[0 * 20 + 0];
 */
export function phantomMaps(opts: PhantomMapOptions = {}): PhantomMaps {
  const size = opts.size ?? 64;
  const seed = opts.seed ?? 1;
  const variation = opts.variation ?? 0.05;
  if (!Number.isInteger(size) || size < 8) {
    throw new RangeError(`Expected a phantom size ≥ 8 but found ${size}`);
  }
  const labels = _labels(size, new Rng(seed, 1));
  const nv = size * size;
  const mask = new Uint8Array(nv);
  for (let i = 0; i < nv; i++) mask[i] = labels[i]! > 0 ? 1 : 0;

  const fieldRng = new Rng(seed, 2);
  const params = new Float64Array(nv * N_PARAMS);
  const classes = [
    undefined,
    TISSUE_MEANS.gm,
    TISSUE_MEANS.wm,
    TISSUE_MEANS.tumour,
    TISSUE_MEANS.rim,
  ];
  for (let p = 0; p < N_PARAMS; p++) {
    // Smooth variation (≤ 2 cycles over the FOV) everywhere, plus a finer, stronger
    // heterogeneity (up to 6 cycles) in the tumour rim.
    const smooth = smoothField(fieldRng, size, 2);
    const fine = smoothField(fieldRng, size, 6);
    const [lo, hi] = PARAM_BOUNDS[p]!;
    for (let i = 0; i < nv; i++) {
      const mean = classes[labels[i]!];
      if (!mean) continue;
      let g = variation * smooth[i]!;
      if (labels[i] === LABELS.rim) g += 3 * variation * fine[i]!;
      // log-normal so every parameter stays positive; clamp into the sampled box
      const val = mean[p]! * Math.exp(g);
      params[i * N_PARAMS + p] = Math.min(hi, Math.max(lo, val));
    }
  }

  const coil = smoothField(new Rng(seed, 3), size, 1, 3);
  const m0Inhom = opts.m0Inhom ?? 0.06;
  if (!(m0Inhom >= 0 && m0Inhom < 0.5)) {
    throw new RangeError(`Expected an M0 coil shading in [0, 0.5) but found ${m0Inhom}`);
  }
  const m0 = new Float64Array(nv);
  for (let i = 0; i < nv; i++) {
    const pd = _PD[labels[i]!];
    // floored so a strong shading never reaches zero signal
    if (pd !== undefined) m0[i] = pd * Math.max(0.2, 1 + m0Inhom * coil[i]!);
  }

  const b0ShiftPpm = new Float64Array(nv);
  const b0Peak = opts.b0ShiftPpm ?? 0;
  if (b0Peak !== 0) {
    const f = smoothField(new Rng(seed, 4), size, 1, 3);
    let peak = 0;
    for (let i = 0; i < nv; i++) if (mask[i]) peak = Math.max(peak, Math.abs(f[i]!));
    for (let i = 0; i < nv; i++) if (mask[i]) b0ShiftPpm[i] = (b0Peak * f[i]!) / (peak || 1);
  }
  const relB1 = new Float64Array(nv).fill(1);
  const b1Peak = opts.b1Inhom ?? 0;
  if (!(b1Peak >= 0 && b1Peak < 1)) {
    throw new RangeError(`Expected a relative-B1 spread in [0, 1) but found ${b1Peak}`);
  }
  if (b1Peak !== 0) {
    // a broad transmit profile: at most one cycle over the FOV, peak |relB1 − 1| = F in the brain
    const f = smoothField(new Rng(seed, 6), size, 1, 3);
    let peak = 0;
    for (let i = 0; i < nv; i++) if (mask[i]) peak = Math.max(peak, Math.abs(f[i]!));
    for (let i = 0; i < nv; i++) if (mask[i]) relB1[i] = 1 + (b1Peak * f[i]!) / (peak || 1);
  }
  return { size, labels, mask, params, m0, b0ShiftPpm, relB1 };
}

/** Mean of parameter `p` over the voxels with label `label` (NaN when there are none). */
export function classMean(maps: PhantomMaps, label: number, p: number): number {
  let s = 0, n = 0;
  for (let i = 0; i < maps.labels.length; i++) {
    if (maps.labels[i] === label) {
      s += maps.params[i * N_PARAMS + p]!;
      n++;
    }
  }
  return n ? s / n : NaN;
}
