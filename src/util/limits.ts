/**
 * The documented limits of quass's inputs (README, "Limits"): physical ranges and the sizes the
 * engine runs. The CLI and the web both check against these, so one value answers for both.
 * Each check throws an `InputError` that names the flag or field, the value and the limit.
 * @module
 */
import { InputError } from "./errors.ts";

/**
 * Highest CW saturation amplitude, µT. In vivo CEST uses 0.5–6 µT (SAR caps it well below
 * 20); far above, the float32 GPU propagator saturates to Z = 1 and the float64 CPU reference
 * overflows to NaN, so neither gives a spectrum worth having.
 */
export const B1_MAX_UT = 20;

/**
 * Longest finite saturation time or delay, s (11.6 days). Anything near it is already the
 * steady state (`--ts inf` computes that exactly); far above, float32 overflows and the GPU
 * propagator answers Z = 1.
 */
export const MAX_DURATION_S = 1e6;

/** Most saturation offsets per spectrum (the paper uses 101). */
export const MAX_OFFSETS = 10_000;

/** Most samples of one simulated dataset (350,000 is the paper's size). */
export const MAX_DATASET_N = 10_000_000;

/** Most training steps recorded into one GPU submission (each holds a batch of staging). */
export const MAX_STEPS_PER_SUBMIT = 1_024;

/** Largest mini-batch, spectra (the paper uses 256). */
export const MAX_BATCH = 65_536;

/** Largest hidden size H (and embedding size E) of a network (the paper's LSTM uses 1,024). */
export const MAX_HIDDEN = 4_096;

/**
 * Most CEST pools of a tissue model, beside water and an optional z-only MT pool: what the GPU
 * simulator runs (src/physics/gpu_sim.ts: 31 state entries = water 3 + 9 CEST pools × 3 + MT 1).
 */
export const MAX_CEST_POOLS = 9;

/**
 * Largest phantom matrix (size × size voxels). NIfTI-1 itself holds at most 32,767 per
 * dimension; 512 (262,144 voxels, ~15 min of simulation on a software adapter) is the
 * practical cap.
 */
export const MAX_PHANTOM_SIZE = 512;

/** Largest size of one NIfTI-1 dimension (a signed 16-bit field). */
export const NIFTI1_MAX_DIM = 32_767;

/**
 * Checks that a value is at most `max`.
 * @param what the flag or field (e.g. "--batch")
 * @param fix what to do instead, appended to the message
 * @throws InputError naming `what`, the value and the limit
 */
export function checkAtMost(what: string, value: number, max: number, fix = ""): void {
  if (!(value <= max)) {
    throw new InputError(
      `${what}: ${value} is above the limit of ${max.toLocaleString("en-US")}${
        fix ? `; ${fix}` : ""
      }`,
    );
  }
}

/**
 * Checks a saturation amplitude: a finite number in [0, {@link B1_MAX_UT}] µT.
 * @param what the flag or field (e.g. "--b1", "b1UT")
 * @throws InputError naming `what`, the value and the range
 */
export function checkB1UT(what: string, b1UT: number): number {
  if (!(Number.isFinite(b1UT) && b1UT >= 0 && b1UT <= B1_MAX_UT)) {
    throw new InputError(
      `${what}: B1 must be 0–${B1_MAX_UT} µT but is ${b1UT}; give the saturation amplitude in µT (e.g. ${what} 1)`,
    );
  }
  return b1UT;
}

/**
 * Checks a number of saturation offsets before anything is allocated for them.
 * @param what the flag or file the offsets come from
 * @throws InputError above {@link MAX_OFFSETS}
 */
export function checkOffsetCount(what: string, n: number): void {
  checkAtMost(what, n, MAX_OFFSETS, `give at most ${MAX_OFFSETS} offsets (the paper uses 101)`);
}

/** Largest plausible water T1, s: a larger value (or map median) means the unit is ms. */
export const MAX_T1_S = 20;

/**
 * Refuses a water T1 map that is evidently not in seconds (the median of its positive values
 * above {@link MAX_T1_S}: a map in ms) or has no positive value.
 * @param what the map's name in the message (file or form field)
 * @throws InputError naming the map and the fix
 */
export function checkT1MapSeconds(t1: ArrayLike<number>, what: string): void {
  const pos = Array.from(t1).filter((v) => v > 0 && Number.isFinite(v)).sort((a, b) => a - b);
  if (!pos.length) {
    throw new InputError(`${what}: the T1 map has no positive value; give the water T1 in seconds`);
  }
  const median = pos[Math.floor(pos.length / 2)]!;
  if (median > MAX_T1_S) {
    throw new InputError(
      `${what}: median T1 ${+median.toPrecision(
        4,
      )}: the T1 map must be in seconds (divide a map in ms by 1000)`,
    );
  }
}
