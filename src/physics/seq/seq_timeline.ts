/**
 * The simulation timeline of a `.seq` file, as pulseq-cest's `BMCSim::RunSimulation` walks
 * it, block by block:
 *
 * - a block with an ADC records the magnetisation (the block's own duration is not
 *   simulated, as in pulseq-cest);
 * - a block with trapezoids on all three axes is a spoiler: free evolution for the block's
 *   duration, then every transverse component is set to zero;
 * - a block with RF is a pulse: free evolution for the RF dead time (its delay), the
 *   pulse as piecewise-constant samples with phase, free evolution for the ring-down (the
 *   zero samples at the end of the shape), then free evolution for whatever is left of the
 *   block;
 * - any other block (a delay, a gradient on one or two axes, an arbitrary gradient) is free
 *   evolution for the block's duration.
 *
 * Pulse samples follow pulseq-cest: runs of equal (magnitude, phase) samples become one
 * sample; when either shape has more than `maxPulseSamples` runs, the pulse is resampled
 * every ⌈n/maxPulseSamples⌉ raster points. A Pulseq 1.4 time shape makes the shape a
 * piecewise-linear waveform: one sample per segment, at its mean. pulseq-cest simulates in the frame of each
 * pulse's frequency and carries the phase that frame accumulates from pulse to pulse
 * (whole degrees of the pulse length × frequency, in float32); so does this timeline.
 * @module
 */
import { InputError } from "../../util/errors.ts";
import { checkOffsetCount } from "../../util/limits.ts";
import type { SeqBlock, SeqFile, SeqRf } from "./seq_file.ts";
import { definitionNumber } from "./seq_file.ts";

/** A pulse shape as simulated: piecewise-constant samples. */
export interface PulseShape {
  /** Identifies the shape (magnitude, phase and time shapes, raster, resampling). */
  key: string;
  /** Relative magnitude of each sample (× the RF amplitude). */
  magnitude: Float64Array;
  /** Phase of each sample, rad (enters the RF phase with a minus sign, as in pulseq-cest). */
  phaseRad: Float64Array;
  /** Duration of each sample, s. */
  durationS: Float64Array;
  /** Length of the pulse without its ring-down, s. */
  lengthS: number;
  /** The same in µs, computed as pulseq-cest does (samples × raster/1 µs). */
  lengthUs: number;
  /** Zero samples at the end of the shape (ring-down), s. */
  ringdownS: number;
  /** Length of the whole shape, s. */
  shapeS: number;
}

/** One step of the timeline. */
export type SeqEvent =
  | { kind: "free"; durationS: number }
  | { kind: "spoil"; durationS: number }
  | {
    kind: "pulse";
    shape: PulseShape;
    ampHz: number;
    freqHz: number;
    /** Phase of the pulse in the simulation frame, rad (RF phase − accumulated phase). */
    phaseRad: number;
    deadTimeS: number;
    /** Free evolution after the ring-down to the end of the block, s. */
    tailS: number;
  }
  | { kind: "adc"; index: number };

/** The events of a `.seq` file and what the readouts are. */
export interface SeqTimeline {
  events: SeqEvent[];
  /** Number of ADC events. */
  adcCount: number;
  /** Frequency of the last RF pulse before each ADC, Hz (NaN when none). */
  adcFreqHz: number[];
}

/** Options of {@link buildTimeline}. */
export interface TimelineOptions {
  /** pulseq-cest's `max_pulse_samples` (default 100, as pulseq-cest's C++). */
  maxPulseSamples?: number;
}

/** pulseq-cest's default `max_pulse_samples`. */
export const DEFAULT_MAX_PULSE_SAMPLES = 100;

/**
 * Duration of a block, s: from 1.4 on the block's own duration; before, the longest event
 * (RF: delay + samples on the 1 µs raster; trapezoid: delay + ramps + flat top; arbitrary
 * gradient: delay + 10 µs per sample; ADC: delay + samples × dwell) or the block's delay
 * when that is longer (Pulseq ≥ 1.2).
 */
export function blockDurationS(seq: SeqFile, b: SeqBlock): number {
  if (seq.version.minor >= 4) return b.delayOrDuration * seq.blockRasterS;
  let us = 0;
  if (b.rf) {
    const rf = seq.rf.get(b.rf)!;
    us = Math.max(us, rf.delayUs + seq.shapes.get(rf.magShapeId)!.samples.length);
  }
  for (const g of [b.gx, b.gy, b.gz]) {
    if (!g) continue;
    const t = seq.traps.get(g);
    if (t) us = Math.max(us, t.riseUs + t.flatUs + t.fallUs + t.delayUs);
    else {
      const a = seq.gradients.get(g)!;
      const n = a.shapeId ? seq.shapes.get(a.shapeId)!.samples.length : 0;
      us = Math.max(us, 10 * n + a.delayUs);
    }
  }
  if (b.adc) {
    const a = seq.adcs.get(b.adc)!;
    us = Math.max(us, a.delayUs + Math.floor((a.numSamples * a.dwellNs) / 1000));
  }
  const delay = b.delayOrDuration ? seq.delaysUs.get(b.delayOrDuration)! : 0;
  return Math.max(us, delay) * 1e-6;
}

/** Start indices of the runs of equal values in a[0..n). */
function _runStarts(a: Float64Array, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (i === 0 || a[i] !== a[i - 1]) out.push(i);
  return out;
}

/**
 * Turns an RF event's shapes into simulated samples (pulseq-cest's `DecodeSeqRFInfo`).
 * @param seq the file
 * @param rf the RF event
 * @param maxPulseSamples most samples before the pulse is resampled
 */
export function pulseShape(seq: SeqFile, rf: SeqRf, maxPulseSamples: number): PulseShape {
  const mag0 = seq.shapes.get(rf.magShapeId)!.samples;
  const n0 = mag0.length;
  const phase0 = new Float64Array(n0);
  if (rf.phaseShapeId) {
    const p = seq.shapes.get(rf.phaseShapeId)!.samples;
    if (p.length !== n0) {
      throw new InputError(
        `${seq.source}:${rf.line}: [RF]: the phase shape ${rf.phaseShapeId} has ${p.length} samples but the magnitude shape ${rf.magShapeId} has ${n0}; they must match`,
      );
    }
    // float32 × float32(2π), as Pulseq's C++ reader
    const twoPi = Math.fround(2 * Math.PI);
    for (let i = 0; i < n0; i++) phase0[i] = Math.fround(p[i]! * twoPi);
  }
  // piecewise-constant samples: magnitude, phase and start times (raster units, one more)
  let mag = mag0, phase = phase0, n = n0;
  let t: Float64Array;
  if (rf.timeShapeId) {
    // Pulseq 1.4 time shape: the points of a piecewise-linear waveform that ends at the last
    // point; each segment becomes one sample at the mean of its ends (zero before the first)
    const ts = seq.shapes.get(rf.timeShapeId)!;
    if (ts.samples.length !== n0) {
      throw new InputError(
        `${seq.source}:${rf.line}: [RF]: the time shape ${rf.timeShapeId} has ${ts.samples.length} samples but the magnitude shape has ${n0}; they must match`,
      );
    }
    for (let i = 1; i < n0; i++) {
      if (!(ts.samples[i]! > ts.samples[i - 1]!)) {
        throw new InputError(
          `${seq.source}:${ts.line}: [SHAPES]: time shape ${rf.timeShapeId} must increase strictly (sample ${i})`,
        );
      }
    }
    if (!(ts.samples[0]! >= 0)) {
      throw new InputError(
        `${seq.source}:${ts.line}: [SHAPES]: time shape ${rf.timeShapeId} must start at a time ≥ 0`,
      );
    }
    const lead = ts.samples[0]! > 0 ? 1 : 0;
    n = lead + Math.max(0, n0 - 1);
    mag = new Float64Array(n);
    phase = new Float64Array(n);
    t = new Float64Array(n + 1);
    if (lead) phase[0] = phase0[0]!;
    for (let i = 0; i + 1 < n0; i++) {
      mag[lead + i] = (mag0[i]! + mag0[i + 1]!) / 2;
      phase[lead + i] = (phase0[i]! + phase0[i + 1]!) / 2;
      t[lead + i] = ts.samples[i]!;
    }
    t[n] = ts.samples[n0 - 1]!;
  } else {
    t = new Float64Array(n + 1);
    for (let i = 0; i <= n; i++) t[i] = i;
  }
  const dt = seq.rfRasterS;
  // trailing (near-)zero samples are the ring-down (pulseq-cest: |magnitude| ≤ 1e-6)
  let end = n;
  while (end > 0 && Math.abs(mag[end - 1]!) <= 1e-6) end--;
  const lengthS = (t[end]! - t[0]!) * dt;
  const lengthUs = (t[end]! - t[0]!) * (dt / 1e-6);
  const ringdownS = (t[n]! - t[end]!) * dt;
  const ampRuns = _runStarts(mag, end), phaseRuns = _runStarts(phase, end);
  const key = `${rf.magShapeId}/${rf.phaseShapeId}/${rf.timeShapeId}`;
  if (!rf.timeShapeId && Math.max(ampRuns.length, phaseRuns.length) > maxPulseSamples) {
    // pulseq-cest: every ⌈n/max⌉-th raster point, ⌊n/factor⌋ samples (the rest is dropped)
    const resampled = Math.ceil(end / maxPulseSamples);
    const count = Math.floor(end / resampled);
    const stepS = Math.fround(resampled * 1e-6) * (dt / 1e-6);
    return {
      key: `${key}/r${resampled}`,
      magnitude: Float64Array.from({ length: count }, (_, i) => mag[i * resampled]!),
      phaseRad: Float64Array.from({ length: count }, (_, i) => phase[i * resampled]!),
      durationS: new Float64Array(count).fill(stepS),
      lengthS,
      lengthUs,
      ringdownS,
      shapeS: (t[n]! - t[0]!) * dt,
    };
  }
  // a new sample wherever the magnitude or the phase changes
  const starts = [...new Set([...ampRuns, ...phaseRuns])].sort((a, b) => a - b);
  return {
    key,
    magnitude: Float64Array.from(starts, (i) => mag[i]!),
    phaseRad: Float64Array.from(starts, (i) => phase[i]!),
    durationS: Float64Array.from(starts, (s, k) => (t[starts[k + 1] ?? end]! - t[s]!) * dt),
    lengthS,
    lengthUs,
    ringdownS,
    shapeS: (t[n]! - t[0]!) * dt,
  };
}

/**
 * Builds the timeline of a parsed `.seq` file.
 * @param seq the parsed file
 * @param opts resampling of long shaped pulses
 * @throws InputError naming the block's line for blocks that mix RF or ADC with other events
 */
export function buildTimeline(seq: SeqFile, opts: TimelineOptions = {}): SeqTimeline {
  const maxPulseSamples = opts.maxPulseSamples ?? DEFAULT_MAX_PULSE_SAMPLES;
  const shapes = new Map<string, PulseShape>();
  const events: SeqEvent[] = [];
  const adcFreqHz: number[] = [];
  let adcCount = 0;
  let accumPhase = 0; // float32, as pulseq-cest's `accummPhase`
  let lastFreq = NaN;
  const fail = (b: SeqBlock, msg: string): never => {
    throw new InputError(`${seq.source}:${b.line}: [BLOCKS]: block ${b.id}: ${msg}`);
  };
  for (const b of seq.blocks) {
    const grads = [b.gx, b.gy, b.gz].filter((g) => g !== 0);
    const durationS = blockDurationS(seq, b);
    if (b.adc) {
      if (b.rf || grads.length) {
        fail(
          b,
          "an ADC together with RF or gradients is not supported; put the ADC in a block of its own",
        );
      }
      events.push({ kind: "adc", index: adcCount++ });
      adcFreqHz.push(lastFreq);
    } else if (b.rf) {
      if (grads.length) {
        fail(
          b,
          "RF together with a gradient is not supported (no slice selection in saturation); put the gradient in a block of its own",
        );
      }
      const rf = seq.rf.get(b.rf)!;
      const key = `${rf.magShapeId}/${rf.phaseShapeId}/${rf.timeShapeId}`;
      let shape = shapes.get(key);
      if (!shape) shapes.set(key, shape = pulseShape(seq, rf, maxPulseSamples));
      const deadTimeS = rf.delayUs * 1e-6;
      const used = deadTimeS + shape.shapeS;
      events.push({
        kind: "pulse",
        shape,
        ampHz: rf.ampHz,
        freqHz: rf.freqHz,
        phaseRad: rf.phaseRad - accumPhase,
        deadTimeS,
        tailS: durationS > used + 1e-12 ? durationS - used : 0,
      });
      lastFreq = rf.freqHz;
      // pulseq-cest: int degrees = length [µs] · 1e-6 · 360 · freq (float), mod 360
      const deg = Math.trunc(shape.lengthUs * 1e-6 * 360 * rf.freqHz) % 360;
      accumPhase = Math.fround(accumPhase + (Math.fround(deg / 180) * Math.PI));
    } else if (grads.length === 3 && grads.every((g) => seq.traps.has(g))) {
      events.push({ kind: "spoil", durationS });
    } else if (durationS > 0) {
      events.push({ kind: "free", durationS });
    }
  }
  checkOffsetCount(`${seq.source}: ADC events`, adcCount);
  if (adcCount === 0) {
    throw new InputError(
      `${seq.source}: no ADC event in [BLOCKS]; a CEST .seq file has one ADC per offset (that is where Mz is recorded)`,
    );
  }
  return { events, adcCount, adcFreqHz };
}

/**
 * The offset of each ADC, ppm: the file's `offsets_ppm` definition when it has one value
 * per ADC, else the frequency of the last pulse before each ADC over γ/2π·B0 (`B0` from the
 * definitions, else the given field).
 * @param seq the parsed file
 * @param timeline its timeline
 * @param gammaRadPerSUT γ, rad/(s·µT)
 * @param b0T fallback main field, T
 * @throws InputError when `offsets_ppm` has a different count from the ADCs
 */
export function adcOffsetsPpm(
  seq: SeqFile,
  timeline: SeqTimeline,
  gammaRadPerSUT: number,
  b0T: number,
): number[] {
  const listed = seq.definitions.get("offsets_ppm");
  if (listed) {
    const v = listed.map(Number);
    if (v.some((x) => !Number.isFinite(x))) {
      throw new InputError(
        `${seq.source}: [DEFINITIONS] offsets_ppm: every value must be a number`,
      );
    }
    if (v.length !== timeline.adcCount) {
      throw new InputError(
        `${seq.source}: [DEFINITIONS] offsets_ppm lists ${v.length} offsets but the file has ${timeline.adcCount} ADC events; they must match`,
      );
    }
    return v;
  }
  const b0 = definitionNumber(seq, "B0") ?? b0T;
  const hzPerPpm = (gammaRadPerSUT * b0) / (2 * Math.PI);
  return timeline.adcFreqHz.map((f) => (Number.isNaN(f) ? NaN : f / hzPerPpm));
}
