/**
 * One spectrum of a `.seq` protocol for one tissue model: the offset and raw water Mz of
 * every ADC, in order (M0 rows included), as pulseq-cest writes them; optionally divided
 * by the M0 row(s).
 * @module
 */
import { InputError } from "../../util/errors.ts";
import type { TissueModel } from "../model.ts";
import { definitionNumber, parseSeq, type SeqFile } from "./seq_file.ts";
import { adcOffsetsPpm, buildTimeline, type SeqTimeline } from "./seq_timeline.ts";
import { type SeqSimSettings, seqSimSettings } from "./seq_settings.ts";
import { simulateSeqCpu } from "./seq_cpu_sim.ts";

/** A `.seq` protocol ready to simulate for one model. */
export interface SeqProtocol {
  seq: SeqFile;
  timeline: SeqTimeline;
  settings: SeqSimSettings;
  /** Offset of each ADC, ppm. */
  offsetsPpm: number[];
}

/**
 * Parses a `.seq` file and builds its timeline with the model's settings. The file's `B0`
 * definition, when present, must be the model's field (its RF frequencies in Hz are for it).
 * @param model tissue model (its `max_pulse_samples`, `scale`, `reset_init_mag`)
 * @param seqText the `.seq` file's text
 * @param seqSource the `.seq` file's name, for messages
 * @param modelSource the model's file name, for messages
 * @throws InputError for a malformed file, bad settings, or a B0 other than the model's
 */
export function seqProtocol(
  model: TissueModel,
  seqText: string,
  seqSource: string,
  modelSource = "model",
): SeqProtocol {
  const settings = seqSimSettings(model, modelSource);
  const seq = parseSeq(seqText, seqSource);
  const seqB0 = definitionNumber(seq, "B0");
  if (seqB0 !== undefined && !(Math.abs(seqB0 - model.b0T) <= 1e-3 * model.b0T)) {
    throw new InputError(
      `${seqSource}: [DEFINITIONS] B0 is ${seqB0} T but ${modelSource} has b0: ${model.b0T} T; the file's RF frequencies are for ${seqB0} T: use a model for that field or a .seq file made for ${model.b0T} T`,
    );
  }
  const timeline = buildTimeline(seq, settings);
  const offsetsPpm = adcOffsetsPpm(seq, timeline, model.gammaRadPerSUT, model.b0T);
  return { seq, timeline, settings, offsetsPpm };
}

/**
 * Divides every row by the M0 scan: the ADC rows whose offset is the file's `M0_offset`
 * definition (their mean when there are several).
 * @param protocol the protocol (offsets and definitions)
 * @param mz raw water Mz per ADC
 * @throws InputError when the file names no M0 offset or no ADC is at it
 */
export function normalizeByM0(protocol: SeqProtocol, mz: ArrayLike<number>): Float64Array {
  const { seq, offsetsPpm } = protocol;
  const m0 = definitionNumber(seq, "M0_offset");
  if (m0 === undefined) {
    throw new InputError(
      `${seq.source}: --normalize needs the M0 scan's offset: add "M0_offset -300" (or yours) to [DEFINITIONS], or drop --normalize`,
    );
  }
  const rows = offsetsPpm.flatMap((o, i) =>
    Math.abs(o - m0) <= 1e-6 * Math.max(1, Math.abs(m0)) ? [i] : []
  );
  if (!rows.length) {
    throw new InputError(
      `${seq.source}: --normalize: no ADC is at M0_offset ${m0} ppm (offsets_ppm); fix M0_offset or drop --normalize`,
    );
  }
  const norm = rows.reduce((s, i) => s + mz[i]!, 0) / rows.length;
  return Float64Array.from(mz, (v) => v / norm);
}

/**
 * Simulates a `.seq` protocol for one model on the CPU (float64).
 * @returns offset and raw (or, with `normalize`, M0-normalised) water Mz per ADC
 * @example
 * const { offsetsPpm, z } = simulateSeqSpectrumCpu(model, seqProtocol(model, text, "a.seq"));
 */
export function simulateSeqSpectrumCpu(
  model: TissueModel,
  protocol: SeqProtocol,
  normalize = false,
): { offsetsPpm: number[]; z: Float64Array } {
  const mz = simulateSeqCpu(model, protocol.timeline, protocol.settings);
  for (let i = 0; i < mz.length; i++) {
    if (!Number.isFinite(mz[i]!)) {
      throw new InputError(
        `${protocol.seq.source}: the simulation gave a non-finite Mz at ADC ${
          i + 1
        }; check the model's pools and the pulses' amplitudes`,
      );
    }
  }
  return { offsetsPpm: protocol.offsetsPpm, z: normalize ? normalizeByM0(protocol, mz) : mz };
}
