/**
 * The FLOPs the register saturation kernel (shaders/bm_sat_reg.wgsl) executes, counted from
 * its code, for the simulation benchmark's floor. One thread per (model, offset) works on
 * dense 20×20 matrices (19 states + the affine 1, unused pools' rows zero but multiplied all
 * the same):
 *
 * - `mm` (a product): n²(2n − 1) FLOPs — n multiplies and n − 1 adds per entry (the 125
 *   mat4x4 block products and the adds that sum 5 of them per block);
 * - `lin` (a·x + b·y): 3n²; once for X = Ã·h/2^s, once for the first Taylor term, then once
 *   after every product;
 * - products: TAYLOR − 1 = 7 (degree-8 Taylor in F form) + s squarings to F(h) + one per
 *   further ladder level (levels = bit length of the largest slot multiple), where
 *   s = ⌈log2(‖Ã‖∞·h / θ)⌉ (θ = 0.5; 0 when ‖Ã‖∞·h ≤ θ);
 * - `ladder_step` (w + F·(v + w)): n + 2n², once per set bit of each slot's multiple;
 * - `norm_inf`: n² adds of |entries| (the maxima not counted).
 *
 * Not counted (< 0.1 %): building Ã (~40 FLOPs), the post-delay readout (~4 per z pool),
 * the prologue's MT lineshape. The same count holds on every adapter; what differs is how
 * close the adapter gets to its arithmetic peak (bench/harness.ts `ARITH_PEAK_WGSL`).
 * @module
 */
import { bmSystem } from "../src/physics/bm_matrix.ts";
import type { TissueModel } from "../src/physics/model.ts";

/** The register kernel's matrix size: 19 states + the affine 1. */
export const REG_N = 20;
/** Taylor degree of the register kernel (TAYLOR in bm_sat_reg.wgsl). */
export const REG_TAYLOR = 8;
/** Norm bound of the scaled matrix (THETA in bm_sat_reg.wgsl). */
export const REG_THETA = 0.5;

/** What one thread of the register kernel does. */
export interface RegThreadWork {
  /** Squarings s to reach F(h) from F(h/2^s). */
  squarings: number;
  /** Ladder levels: the bit length of the largest slot multiple (0 = nothing to do). */
  levels: number;
  /** Ladder steps: the set bits of every slot's multiple, summed. */
  ladderSteps: number;
}

/** Products of one thread: Taylor (TAYLOR − 1) + squarings + further ladder levels. */
export function regProducts(w: RegThreadWork): number {
  return w.levels === 0 ? 0 : REG_TAYLOR - 1 + w.squarings + w.levels - 1;
}

/** FLOPs of one thread of bm_sat_reg.wgsl (see the module comment); n is the matrix size. */
export function regThreadFlops(w: RegThreadWork, n = REG_N): number {
  if (w.levels === 0) return 0;
  const p = regProducts(w);
  const mm = n * n * (2 * n - 1), lin = 3 * n * n, ladder = n + 2 * n * n, norm = n * n;
  return p * mm + (p + 2) * lin + w.ladderSteps * ladder + norm;
}

/** Squarings the kernel takes for ‖Ã‖∞ and a step h (s). */
export function regSquarings(normInf: number, hS: number): number {
  const x = normInf * hS;
  return x > REG_THETA ? Math.ceil(Math.log2(x / REG_THETA)) : 0;
}

/** Ladder levels and steps of slots with these multiples of h. */
export function ladderOf(multiples: number[]): { levels: number; ladderSteps: number } {
  const bits = (m: number) => m.toString(2);
  const levels = Math.max(0, ...multiples.filter((m) => m > 0).map((m) => bits(m).length));
  const ladderSteps = multiples.reduce(
    (s, m) => s + [...bits(m)].filter((b) => b === "1").length,
    0,
  );
  return { levels, ladderSteps };
}

/** ‖Ã‖∞ of the augmented system [[A, C], [0, 0]] at one offset (float64, bm_matrix.ts). */
export function augmentedNormInf(model: TissueModel, b1UT: number, offsetPpm: number): number {
  const { A, C } = bmSystem(model, b1UT, offsetPpm);
  const n = C.length;
  let best = 0;
  for (let i = 0; i < n; i++) {
    let r = Math.abs(C[i]!);
    for (let j = 0; j < n; j++) r += Math.abs(A[i * n + j]!);
    best = Math.max(best, r);
  }
  return best;
}

/** FLOPs of a register-kernel workload and the range of squarings it took. */
export interface SimFlops {
  flops: number;
  threads: number;
  minSquarings: number;
  maxSquarings: number;
  /** Mean products per thread. */
  meanProducts: number;
}

/**
 * FLOPs of simulating `models` × `offsetsPpm` on the register kernel with slots at
 * `multiples` × `hS` (e.g. the dataset pair: h 0.5 s, multiples [3, 10]; one protocol of
 * Ts 1.5 s: h 1.5 s, [1]). Squarings follow from each (model, offset)'s float64 ‖Ã‖∞; the
 * kernel's f32 norm can land on the other side of a power of two (one squaring more or
 * less) on rare offsets.
 */
export function simFlops(
  models: TissueModel[],
  offsetsPpm: readonly number[],
  b1UT: number,
  hS: number,
  multiples: number[],
): SimFlops {
  const lad = ladderOf(multiples);
  let flops = 0, products = 0, minS = Infinity, maxS = 0;
  for (const m of models) {
    for (const off of offsetsPpm) {
      const squarings = regSquarings(augmentedNormInf(m, b1UT, off), hS);
      const w = { squarings, ...lad };
      flops += regThreadFlops(w);
      products += regProducts(w);
      minS = Math.min(minS, squarings);
      maxS = Math.max(maxS, squarings);
    }
  }
  const threads = models.length * offsetsPpm.length;
  return {
    flops,
    threads,
    minSquarings: minS,
    maxSquarings: maxS,
    meanProducts: products / threads,
  };
}
