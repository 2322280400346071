/**
 * Float64 CPU simulation of a `.seq` timeline (seq_timeline.ts) for one tissue model, as
 * pulseq-cest does it: start from scale × equilibrium, walk the events, record the raw
 * water Mz at each ADC (restarting from the initial magnetisation after it when
 * `reset_init_mag`). Each constant interval is the affine map M → e^{At}(M + A⁻¹C) − A⁻¹C
 * (Padé(6) scaling-and-squaring, expm.ts). A whole pulse (dead time, samples, ring-down) of
 * one shape, amplitude and frequency is one affine map, computed once at phase 0 and reused
 * for every repetition: a pulse with phase θ is that map conjugated by a rotation of every
 * pool's transverse plane by θ.
 * @module
 */
import type { TissueModel } from "../model.ts";
import { bmSystem, equilibrium, stateLayout } from "../bm_matrix.ts";
import { expm, expmHigham, identity, matmul, matvec, normInf, solve } from "../expm.ts";
import type { PulseShape, SeqTimeline } from "./seq_timeline.ts";
import type { SeqSimSettings } from "./seq_settings.ts";

/** An affine map M → E·M + d. */
export interface Affine {
  E: Float64Array;
  d: Float64Array;
}

/**
 * The affine map of dM/dt = A·M + C over tS seconds. Short intervals (‖A t‖ ≤ 5, pulse
 * samples) use Higham's expm (no squaring, half the products); longer ones pulseq-cest's
 * Padé(6) with scaling, so long blocks reproduce pulseq-cest to its rounding.
 */
export function intervalMap(A: Float64Array, C: Float64Array, tS: number): Affine {
  const a = solve(A, C);
  const E = normInf(A) * Math.abs(tS) <= 5 ? expmHigham(A, tS) : expm(A, tS);
  const d = matvec(E, a);
  for (let i = 0; i < d.length; i++) d[i]! -= a[i]!;
  return { E, d };
}

/** `second ∘ first`. */
export function composeAffine(second: Affine, first: Affine): Affine {
  const d = matvec(second.E, first.d);
  for (let i = 0; i < d.length; i++) d[i]! += second.d[i]!;
  return { E: matmul(second.E, first.E), d };
}

/** Applies an affine map to a state. */
export function applyAffine(f: Affine, m: ArrayLike<number>): Float64Array {
  const out = matvec(f.E, m);
  for (let i = 0; i < out.length; i++) out[i]! += f.d[i]!;
  return out;
}

/**
 * The Bloch–McConnell system during an RF sample, in pulseq-cest's convention: amplitude
 * (Hz) and frequency (Hz) of the RF, phase φ with ω1 = 2π·amp·relB1 acting as
 * −ω1 sin φ on x ← z and ω1 cos φ on y ← z (bm_matrix.ts is the φ = 0 case).
 */
export function rfSystem(
  model: TissueModel,
  ampHz: number,
  freqHz: number,
  phaseRad: number,
): { A: Float64Array; C: Float64Array } {
  const b1UT = (2 * Math.PI * ampHz) / model.gammaRadPerSUT;
  const offsetPpm = (2 * Math.PI * freqHz) / (model.gammaRadPerSUT * model.b0T);
  const { A, C, layout } = bmSystem(model, b1UT, offsetPpm);
  if (phaseRad !== 0) {
    const { pools: P, n } = layout;
    const w1 = A[P * n + 2 * P]!;
    const c = w1 * Math.cos(phaseRad), s = w1 * Math.sin(phaseRad);
    for (let i = 0; i < P; i++) {
      const z = 2 * P + i;
      A[i * n + z] = -s;
      A[z * n + i] = s;
      A[(P + i) * n + z] = c;
      A[z * n + P + i] = -c;
    }
  }
  return { A, C };
}

/** RF samples with one key have the same system and duration (for caching their maps). */
export function rfSampleKey(ampHz: number, freqHz: number, phaseRad: number, tS: number): string {
  return `${ampHz}|${freqHz}|${phaseRad}|${tS}`;
}

/** Rotates every pool's (Mx, My) by θ in place. */
export function rotateTransverse(m: Float64Array, pools: number, thetaRad: number): void {
  if (thetaRad === 0) return;
  const c = Math.cos(thetaRad), s = Math.sin(thetaRad);
  for (let i = 0; i < pools; i++) {
    const x = m[i]!, y = m[pools + i]!;
    m[i] = c * x - s * y;
    m[pools + i] = s * x + c * y;
  }
}

/** The initial magnetisation: scale × equilibrium. */
export function initialMagnetization(model: TissueModel, settings: SeqSimSettings): Float64Array {
  return equilibrium(model).map((v) => v * settings.scale);
}

/**
 * Simulates a `.seq` timeline for one model in float64.
 * @param model tissue model (its own b0, γ, rel_b1 and b0_inhom are used)
 * @param timeline the events of the .seq file
 * @param settings reset_init_mag, scale (max_pulse_samples is already in the timeline)
 * @returns raw water Mz at each ADC, in order (not normalised)
 * @example
 * const mz = simulateSeqCpu(model, buildTimeline(parseSeq(text, "a.seq")), seqSimSettings(model));
 */
export function simulateSeqCpu(
  model: TissueModel,
  timeline: SeqTimeline,
  settings: SeqSimSettings,
): Float64Array {
  const { pools, waterZ } = stateLayout(model);
  const free = bmSystem(model, 0, 0);
  const freeMaps = new Map<number, Affine>();
  const freeMap = (tS: number): Affine => {
    let f = freeMaps.get(tS);
    if (!f) freeMaps.set(tS, f = intervalMap(free.A, free.C, tS));
    return f;
  };
  // an RF sample that recurs (a symmetric shape, another pulse at the same frequency) is
  // exponentiated once
  const sampleMaps = new Map<string, Affine>();
  const sampleMap = (ampHz: number, freqHz: number, phaseRad: number, tS: number): Affine => {
    const key = rfSampleKey(ampHz, freqHz, phaseRad, tS);
    let f = sampleMaps.get(key);
    if (!f) {
      const { A, C } = rfSystem(model, ampHz, freqHz, phaseRad);
      sampleMaps.set(key, f = intervalMap(A, C, tS));
    }
    return f;
  };
  const pulseMaps = new Map<string, Affine>();
  const pulseMap = (shape: PulseShape, ampHz: number, freqHz: number, deadS: number): Affine => {
    const key = `${shape.key}|${ampHz}|${freqHz}|${deadS}`;
    let f = pulseMaps.get(key);
    if (f) return f;
    f = deadS > 0 ? freeMap(deadS) : undefined;
    for (let k = 0; k < shape.magnitude.length; k++) {
      const step = sampleMap(
        shape.magnitude[k]! * ampHz,
        freqHz,
        -shape.phaseRad[k]!,
        shape.durationS[k]!,
      );
      f = f ? composeAffine(step, f) : step;
    }
    if (shape.ringdownS > 0) {
      f = f ? composeAffine(freeMap(shape.ringdownS), f) : freeMap(shape.ringdownS);
    }
    f ??= { E: identity(free.C.length), d: new Float64Array(free.C.length) };
    pulseMaps.set(key, f);
    return f;
  };
  const init = initialMagnetization(model, settings);
  const out = new Float64Array(timeline.adcCount);
  let m: Float64Array = Float64Array.from(init);
  for (const ev of timeline.events) {
    switch (ev.kind) {
      case "free":
        m = applyAffine(freeMap(ev.durationS), m);
        break;
      case "spoil":
        m = applyAffine(freeMap(ev.durationS), m);
        m.fill(0, 0, 2 * pools);
        break;
      case "pulse": {
        const f = pulseMap(ev.shape, ev.ampHz, ev.freqHz, ev.deadTimeS);
        rotateTransverse(m, pools, -ev.phaseRad);
        m = applyAffine(f, m);
        rotateTransverse(m, pools, ev.phaseRad);
        if (ev.tailS > 0) m = applyAffine(freeMap(ev.tailS), m);
        break;
      }
      case "adc":
        out[ev.index] = m[waterZ]!;
        if (settings.resetInitMag) m = Float64Array.from(init);
        break;
    }
  }
  return out;
}
