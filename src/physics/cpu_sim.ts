/**
 * CPU float64 reference simulator for CW-saturated Z-spectra (the oracle for the GPU
 * kernels). Per offset it follows the timeline of protocol.ts exactly:
 * start (relaxed = equilibrium; satrec = every pool nulled, then free BM evolution for Td)
 * → pre-delay (free) → CW saturation for Ts (Ts = ∞: the exact steady state −A⁻¹C)
 * → post-delay (free) → spoil (transverse → 0) → water Mz / water M0.
 * Each constant-A interval uses M(t) = e^{At}(M(0) + A⁻¹C) − A⁻¹C (pulseq-cest's
 * `SolveBlochEquation`), with e^{At} by Padé(6) scaling-and-squaring (expm.ts).
 * @module
 */
import type { TissueModel } from "./model.ts";
import { checkFiniteZ, type Protocol } from "./protocol.ts";
import { bmSystem, equilibrium, stateLayout } from "./bm_matrix.ts";
import { expm, matvec, solve } from "./expm.ts";

/**
 * Propagates dM/dt = A M + C for t seconds: e^{At}(M + A⁻¹C) − A⁻¹C.
 * @param A row-major n×n system matrix
 * @param C constant term (n)
 * @param m state at the start (n)
 * @param tS duration, s (Infinity gives the steady state −A⁻¹C)
 * @returns the state after tS
 */
export function propagate(
  A: Float64Array,
  C: Float64Array,
  m: ArrayLike<number>,
  tS: number,
): Float64Array {
  const aInvC = solve(A, C);
  if (tS === Infinity) return aInvC.map((v) => -v);
  if (tS === 0) return Float64Array.from(m);
  const e = expm(A, tS);
  const shifted = new Float64Array(aInvC.length);
  for (let i = 0; i < shifted.length; i++) shifted[i] = m[i]! + aInvC[i]!;
  const out = matvec(e, shifted);
  for (let i = 0; i < out.length; i++) out[i]! -= aInvC[i]!;
  return out;
}

/**
 * The exact CW steady state −A⁻¹C (whole state vector).
 * @param model tissue model
 * @param b1UT CW amplitude, µT
 * @param offsetPpm RF offset, ppm
 * @param b0T main field, T (default: the model's)
 */
export function steadyState(
  model: TissueModel,
  b1UT: number,
  offsetPpm: number,
  b0T = model.b0T,
): Float64Array {
  const { A, C } = bmSystem(model, b1UT, offsetPpm, b0T);
  return solve(A, C).map((v) => -v);
}

/**
 * Z_ss = water Mz of the exact steady state / water M0 (the QUASS target).
 * @example
 * steadyStateZ(model, 1.0, 3.5); // Z at the amide offset after infinite saturation
 */
export function steadyStateZ(
  model: TissueModel,
  b1UT: number,
  offsetPpm: number,
  b0T = model.b0T,
): number {
  const m = steadyState(model, b1UT, offsetPpm, b0T);
  return m[stateLayout(model).waterZ]! / model.water.f;
}

/**
 * Free Bloch–McConnell evolution (no RF) for tS seconds. Without RF the z block does not
 * couple to the transverse one, so for z-only states (all our free intervals start with
 * transverse = 0 or end in a spoiler) the result does not depend on the RF frequency.
 */
export function freeEvolve(model: TissueModel, m: ArrayLike<number>, tS: number): Float64Array {
  if (tS === 0) return Float64Array.from(m);
  const { A, C } = bmSystem(model, 0, 0);
  return propagate(A, C, m, tS);
}

/** Sets every transverse entry to 0 (the spoiler gradient). */
export function spoil(model: TissueModel, m: Float64Array): Float64Array {
  const { pools } = stateLayout(model);
  const out = Float64Array.from(m);
  out.fill(0, 0, 2 * pools);
  return out;
}

/** The state at the start of saturation: start state, then the pre-delay. */
export function initialState(model: TissueModel, protocol: Protocol): Float64Array {
  const n = stateLayout(model).n;
  let m: Float64Array;
  if (protocol.start.kind === "relaxed") m = equilibrium(model);
  else m = freeEvolve(model, new Float64Array(n), protocol.start.tdS);
  return freeEvolve(model, m, protocol.preDelayS);
}

/**
 * The whole final state (after post-delay and spoiler) at each offset of the protocol, in
 * bm_matrix.ts's layout. No normalisation.
 * @param model tissue model
 * @param protocol acquisition protocol
 * @param offsetsPpm offsets to simulate (default: the protocol's)
 */
export function simulateCpuStates(
  model: TissueModel,
  protocol: Protocol,
  offsetsPpm: readonly number[] = protocol.offsetsPpm,
): Float64Array[] {
  const b0T = protocol.b0T ?? model.b0T;
  // Td recovery and pre-delay do not depend on the offset: compute them once.
  const m0 = initialState(model, protocol);
  let post: Float64Array | undefined;
  let postC: Float64Array | undefined;
  if (protocol.postDelayS > 0) {
    // e^{A t} of the free system, shared by every offset
    const { A, C } = bmSystem(model, 0, 0, b0T);
    post = expm(A, protocol.postDelayS);
    postC = solve(A, C);
  }
  return offsetsPpm.map((offsetPpm) => {
    const { A, C } = bmSystem(model, protocol.b1UT, offsetPpm, b0T);
    let m = propagate(A, C, m0, protocol.tsS);
    if (post && postC) {
      const shifted = m.map((v, i) => v + postC![i]!);
      m = matvec(post, shifted);
      for (let i = 0; i < m.length; i++) m[i]! -= postC[i]!;
    }
    return spoil(model, m);
  });
}

/**
 * Simulates a Z-spectrum in float64: water Mz after the protocol / water M0 at each offset,
 * or, when `protocol.m0OffsetPpm` is set, divided by the water Mz of the same protocol run
 * at that offset (an M0 scan).
 * @param model tissue model
 * @param protocol acquisition protocol
 * @returns Z per offset of `protocol.offsetsPpm`
 * @example
 * const z = simulateCpu(model, paperInputProtocol(1.0)); // 101 values
 */
export function simulateCpu(model: TissueModel, protocol: Protocol): Float64Array {
  const wz = stateLayout(model).waterZ;
  const states = simulateCpuStates(model, protocol);
  let norm = model.water.f;
  if (protocol.m0OffsetPpm !== undefined) {
    norm = simulateCpuStates(model, protocol, [protocol.m0OffsetPpm])[0]![wz]!;
  }
  const z = Float64Array.from(states, (m) => m[wz]! / norm);
  checkFiniteZ(
    z,
    protocol.offsetsPpm,
    `float64 simulation (B1 ${protocol.b1UT} µT, Ts ${protocol.tsS} s)`,
  );
  return z;
}
