/**
 * Saturation protocols: what happens to the magnetisation before each readout.
 *
 * Timeline per offset: start state (relaxed = equilibrium, or saturation recovery: the
 * previous readout nulls every pool, then free evolution for Td) → pre-saturation delay
 * (free evolution) → CW saturation for Ts at B1 (Ts = Infinity: exact steady state) →
 * post-saturation delay (free evolution) → spoil (transverse → 0) → readout of water Mz.
 * @module
 */
import { InputError } from "../util/errors.ts";

/** How each offset's magnetisation starts. */
export type StartState =
  | { kind: "relaxed" }
  | { kind: "satrec"; /** free recovery after the readout nulls everything, s */ tdS: number };

/** One acquisition protocol. */
export interface Protocol {
  /** CW saturation amplitude, µT (multiplied by the model's relB1). */
  b1UT: number;
  /** Saturation time, s; Infinity gives the exact steady state −A⁻¹C. */
  tsS: number;
  start: StartState;
  /** Free evolution before saturation, s. */
  preDelayS: number;
  /** Free evolution after saturation, before the spoiler, s. */
  postDelayS: number;
  /** Saturation offsets, ppm. */
  offsetsPpm: number[];
  /** When set, Z is divided by the signal at this offset (an M0 scan with the same protocol). */
  m0OffsetPpm?: number;
  /** Main field override, T (default: the model's b0). */
  b0T?: number;
}

/** `n` evenly spaced offsets from `lo` to `hi` ppm inclusive (the paper: −6, 6, 101). */
export function linspaceOffsets(lo: number, hi: number, n: number): number[] {
  if (n === 1) return [lo];
  return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

/** The paper's 101 offsets, −6…+6 ppm in steps of 0.12 ppm. */
export const PAPER_OFFSETS_PPM: readonly number[] = linspaceOffsets(-6, 6, 101);

/** Repetition time of the paper's protocol, s (Ts + Td = TR for both scans). */
export const PAPER_TR_S = 6;

/** The paper's input protocol: Ts 1.5 s after Td 4.5 s of recovery, B1 1 µT, 101 offsets. */
export function paperInputProtocol(b1UT = 1): Protocol {
  return {
    b1UT,
    tsS: 1.5,
    start: { kind: "satrec", tdS: 4.5 },
    preDelayS: 0,
    postDelayS: 0,
    offsetsPpm: [...PAPER_OFFSETS_PPM],
  };
}

/** The paper's target protocol: Ts 5 s after Td 1 s (or the exact steady state). */
export function paperTargetProtocol(b1UT = 1, steady = false): Protocol {
  return {
    b1UT,
    tsS: steady ? Infinity : 5,
    start: { kind: "satrec", tdS: 1 },
    preDelayS: 0,
    postDelayS: 0,
    offsetsPpm: [...PAPER_OFFSETS_PPM],
  };
}

/**
 * Simulated Z must be finite: a NaN or ±Inf means the model or protocol is outside what the
 * simulator handles, and is an error rather than an output.
 * @param z Z per offset (or several spectra back to back)
 * @param what the simulation in words, for the message (e.g. "model m.yaml at B1 1 µT")
 * @throws InputError naming the offset and what to check
 */
export function checkFiniteZ(
  z: ArrayLike<number>,
  offsetsPpm: readonly number[],
  what: string,
): void {
  for (let i = 0; i < z.length; i++) {
    if (!Number.isFinite(z[i]!)) {
      const off = offsetsPpm.length ? offsetsPpm[i % offsetsPpm.length] : undefined;
      throw new InputError(
        `${what}: the simulation gave a non-finite Z (${z[i]})${
          off === undefined ? "" : ` at ${off} ppm`
        }; the model or protocol is outside what the simulator handles: check B1, Ts, Td and the pool parameters`,
      );
    }
  }
}
