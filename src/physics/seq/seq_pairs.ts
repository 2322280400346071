/**
 * Paired spectra of pulsed `.seq` protocols for training datasets: the input protocol is a
 * `.seq` file, the target another `.seq` file or the steady state of the input's pulse
 * train. Every tissue model runs the same timeline (on the GPU, seq_gpu_sim.ts, or on the
 * float64 CPU reference, seq_cpu_sim.ts) with pulseq-cest's default settings
 * (reset_init_mag true, scale 1, max_pulse_samples 100).
 *
 * Spectrum columns: when the file defines `M0_offset`, every row is divided by the M0
 * row(s) (their mean) and the M0 rows are dropped; otherwise the columns are the raw water
 * Mz of every ADC (the models' water M0 is 1).
 *
 * The steady target (`--target steady`): for each readout, the pulse train before it
 * (from its first pulse to its last, with the delays between) is repeated, separated by the
 * delay that follows its first pulse, until the repeated train lasts at least `steadyS`
 * seconds (default 10 × the longest T1 of the parameter space, so what is left of the
 * start is below e^-10 of it); then the events after the train (spoiler, ...) and the
 * readout follow as in the file. Events before the train (a recovery delay) are kept, and
 * readouts without a pulse before them (M0 scans) are unchanged.
 * @module
 */
import { createHash } from "node:crypto";
import { InputError } from "../../util/errors.ts";
import type { TissueModel } from "../model.ts";
import { definitionNumber, parseSeq } from "./seq_file.ts";
import { adcOffsetsPpm, buildTimeline, type SeqEvent, type SeqTimeline } from "./seq_timeline.ts";
import { DEFAULT_MAX_PULSE_SAMPLES } from "./seq_timeline.ts";
import type { SeqSimSettings } from "./seq_settings.ts";
import { simulateSeqCpu } from "./seq_cpu_sim.ts";
import { SEQ_REG_MAX_N } from "./seq_gpu_maps.ts";
import { stateLayout } from "../bm_matrix.ts";
import { modelFromParams, type ParamSpace, sampleParams } from "../param_space.ts";

/** Settings every dataset model runs with (pulseq-cest's defaults). */
export const DATASET_SEQ_SETTINGS: SeqSimSettings = {
  resetInitMag: true,
  scale: 1,
  maxPulseSamples: DEFAULT_MAX_PULSE_SAMPLES,
};

/** A `.seq` file given to the dataset: its name (as given) and text. */
export interface SeqSource {
  name: string;
  text: string;
}

/** How the pairs run: f32 WebGPU or the float64 CPU reference. */
export type SeqDevice = "gpu" | "cpu";

/**
 * The device `auto` picks for a pulsed dataset: a hardware GPU; on a software adapter
 * (lavapipe, on the CPU's own cores) the GPU too when the space's models fit the register
 * path (≤ 19 states; ~5× the float64 CPU path on all cores), else the CPU.
 * @param gpu the adapter, or null without one
 */
export function autoSeqDevice(gpu: { isSoftware: boolean } | null, space: ParamSpace): SeqDevice {
  if (!gpu) return "cpu";
  if (!gpu.isSoftware) return "gpu";
  const model = modelFromParams(sampleParams(space, 0, 0), space);
  return stateLayout(model).n + 1 <= SEQ_REG_MAX_N ? "gpu" : "cpu";
}

/** A pulsed pair simulator: the columns, the metadata, and the simulation. */
export interface SeqPairs {
  /** Offset of each spectrum column, ppm. */
  offsetsPpm: number[];
  /** Main field of the .seq files (their B0 definition), T, when they define one. */
  b0T?: number;
  /** The protocol description written into the dataset's metadata. */
  protocol: { input: Record<string, unknown>; target: Record<string, unknown> };
  /** Simulates input and target of every model, [models, columns] each. */
  simulate(
    models: TissueModel[],
    opts?: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void },
  ): Promise<{ input: Float32Array; target: Float32Array }>;
}

interface _Prepared {
  timeline: SeqTimeline;
  /** ADC rows kept as columns. */
  columns: number[];
  /** ADC rows of the M0 scan (empty: raw Mz). */
  m0Rows: number[];
  offsetsPpm: number[];
  describe: Record<string, unknown>;
}

/** SHA-256 of a text (its UTF-8 bytes), hex. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(new TextEncoder().encode(text)).digest("hex");
}

function _prepare(src: SeqSource, gammaRadPerSUT: number, fallbackB0T: number): _Prepared & {
  b0T?: number;
} {
  const seq = parseSeq(src.text, src.name);
  const b0T = definitionNumber(seq, "B0");
  if (b0T !== undefined && !(b0T > 0)) {
    throw new InputError(`${src.name}: [DEFINITIONS] B0 must be a field > 0 T, found ${b0T}`);
  }
  const timeline = buildTimeline(seq, DATASET_SEQ_SETTINGS);
  if (timeline.adcCount === 0) {
    throw new InputError(`${src.name}: has no ADC block, so no spectrum to simulate`);
  }
  const all = adcOffsetsPpm(seq, timeline, gammaRadPerSUT, b0T ?? fallbackB0T);
  const m0 = definitionNumber(seq, "M0_offset");
  const m0Rows = m0 === undefined
    ? []
    : all.flatMap((o, i) => Math.abs(o - m0) <= 1e-6 * Math.max(1, Math.abs(m0)) ? [i] : []);
  if (m0 !== undefined && !m0Rows.length) {
    throw new InputError(
      `${src.name}: no ADC is at its M0_offset ${m0} ppm; fix M0_offset or remove it (then the columns are raw Mz)`,
    );
  }
  const columns = all.flatMap((_, i) => m0Rows.includes(i) ? [] : [i]);
  if (!columns.length) {
    throw new InputError(`${src.name}: every ADC is an M0 scan; a spectrum needs other offsets`);
  }
  return {
    timeline,
    columns,
    m0Rows,
    offsetsPpm: columns.map((i) => all[i]!),
    b0T,
    describe: {
      kind: "seq",
      file: src.name,
      sha256: sha256Hex(src.text),
      adc_count: timeline.adcCount,
      normalization: m0Rows.length
        ? `divided by the M0 row(s) at ${m0} ppm, which are dropped`
        : "raw water Mz (no M0_offset)",
    },
  };
}

/** Duration of an event, s (ADC: 0, as pulseq-cest does not simulate it). */
function _duration(ev: SeqEvent): number {
  if (ev.kind === "adc") return 0;
  if (ev.kind === "pulse") return ev.deadTimeS + ev.shape.shapeS + ev.tailS;
  return ev.durationS;
}

/**
 * The steady-state timeline of a `.seq` timeline (module doc): each readout's pulse train
 * repeated until it lasts at least `steadyS` seconds.
 * @param timeline the input timeline
 * @param steadyS least duration of the repeated train, s
 */
export function steadyTimeline(timeline: SeqTimeline, steadyS: number): SeqTimeline {
  const events: SeqEvent[] = [];
  let seg: SeqEvent[] = [];
  const flush = () => {
    const pulses = seg.flatMap((ev, i) => ev.kind === "pulse" ? [i] : []);
    if (!pulses.length) {
      events.push(...seg);
    } else {
      const first = pulses[0]!, last = pulses[pulses.length - 1]!;
      const train = seg.slice(first, last + 1);
      // the delay after the first pulse (free events up to the next pulse)
      const gap: SeqEvent[] = [];
      for (let i = first + 1; i < seg.length && seg[i]!.kind === "free"; i++) gap.push(seg[i]!);
      if (pulses.length === 1) gap.length = 0;
      const period = [...train, ...gap].reduce((s, ev) => s + _duration(ev), 0);
      const repeats = Math.max(1, Math.ceil(steadyS / Math.max(period, 1e-9)));
      events.push(...seg.slice(0, first));
      for (let r = 0; r < repeats; r++) {
        if (r > 0) events.push(...gap);
        events.push(...train);
      }
      events.push(...seg.slice(last + 1));
    }
    seg = [];
  };
  for (const ev of timeline.events) {
    seg.push(ev);
    if (ev.kind === "adc") flush();
  }
  events.push(...seg);
  return { ...timeline, events };
}

/**
 * Runs the float64 simulation of `models` under `timelines` on `count` workers, in chunks
 * of `chunk` models handed to whichever worker is free; `done(c0, out)` receives each
 * chunk's raw Mz (out[timeline][model]). Aborts (and ends the workers) on `o.signal`.
 */
async function _onWorkers(
  count: number,
  timelines: SeqTimeline[],
  models: TissueModel[],
  chunk: number,
  o: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void },
  done: (c0: number, out: Float64Array[][]) => void,
): Promise<void> {
  const starts: number[] = [];
  for (let c0 = 0; c0 < models.length; c0 += chunk) starts.push(c0);
  const pool = Array.from(
    { length: Math.min(count, starts.length) },
    () => new Worker(new URL("./seq_cpu_worker.ts", import.meta.url), { type: "module" }),
  );
  let next = 0, finished = 0;
  const onAbort = () => fail?.(o.signal!.reason);
  let fail: ((e: unknown) => void) | undefined;
  try {
    o.signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      fail = reject;
      o.signal?.addEventListener("abort", onAbort, { once: true });
      const feed = (w: Worker) => {
        if (next >= starts.length) return;
        const c0 = starts[next++]!;
        w.postMessage({ kind: "run", id: c0, models: models.slice(c0, c0 + chunk) });
      };
      for (const w of pool) {
        w.onmessage = (e: MessageEvent) => {
          const { id, out, error } = e.data as {
            id: number;
            out?: Float64Array[][];
            error?: string;
          };
          if (error !== undefined) {
            return reject(new InputError(`the pulsed simulation failed: ${error}`));
          }
          done(id, out!);
          finished += Math.min(chunk, models.length - id);
          o.onProgress?.(finished, models.length);
          if (finished >= models.length) resolve();
          else feed(w);
        };
        w.onerror = (e) => {
          e.preventDefault();
          reject(new Error(`a simulation worker failed: ${e.message}`));
        };
        w.postMessage({ kind: "init", timelines, settings: DATASET_SEQ_SETTINGS });
        feed(w);
      }
    });
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
    for (const w of pool) w.terminate();
  }
}

/**
 * Builds the pair simulator of a pulsed input and its target.
 * @param input the input `.seq` file
 * @param target a target `.seq` file, or the steady state of the input's pulse train
 * @param opts device, γ and the field to use when the files define no B0
 * @throws InputError for malformed files, B0s that disagree, or offsets that differ
 */
export function seqPairs(
  input: SeqSource,
  target: SeqSource | { steadyS: number },
  opts: {
    device: SeqDevice;
    gammaRadPerSUT: number;
    b0T: number;
    chunkModels?: number;
    /** With device "cpu": workers (threads) to spread the models over (default 1). */
    workers?: number;
  },
): SeqPairs {
  const inp = _prepare(input, opts.gammaRadPerSUT, opts.b0T);
  let tgt: _Prepared;
  if ("steadyS" in target) {
    if (!(target.steadyS > 0 && Number.isFinite(target.steadyS))) {
      throw new InputError(`the steady-state train time must be > 0 s, found ${target.steadyS}`);
    }
    tgt = {
      ...inp,
      timeline: steadyTimeline(inp.timeline, target.steadyS),
      describe: {
        kind: "seq-steady",
        file: input.name,
        sha256: inp.describe.sha256,
        train_s: target.steadyS,
        definition:
          "each readout's pulse train repeated (with the delay after its first pulse between repeats) for at least train_s seconds",
        normalization: inp.describe.normalization,
      },
    };
  } else {
    const t = _prepare(target, opts.gammaRadPerSUT, inp.b0T ?? opts.b0T);
    if ((t.b0T ?? inp.b0T) !== (inp.b0T ?? t.b0T)) {
      throw new InputError(
        `${target.name}: B0 ${t.b0T} T differs from ${input.name}'s ${inp.b0T} T; input and target must be for one field`,
      );
    }
    const same = t.offsetsPpm.length === inp.offsetsPpm.length &&
      t.offsetsPpm.every((o, i) => Math.abs(o - inp.offsetsPpm[i]!) <= 1e-6);
    if (!same) {
      throw new InputError(
        `${target.name}: its ${t.offsetsPpm.length} spectrum offsets differ from ${input.name}'s ${inp.offsetsPpm.length}; a dataset needs the same offsets (in the same order) in input and target`,
      );
    }
    tgt = t;
  }
  const T = inp.columns.length;
  const columnsOf = (p: _Prepared, mz: ArrayLike<number>, out: Float32Array, row: number) => {
    let norm = 1;
    if (p.m0Rows.length) norm = p.m0Rows.reduce((s, i) => s + mz[i]!, 0) / p.m0Rows.length;
    p.columns.forEach((i, c) => out[row * T + c] = mz[i]! / norm);
  };
  const run = async (p: _Prepared, models: TissueModel[]): Promise<ArrayLike<number>[]> => {
    if (opts.device === "cpu") {
      return models.map((m) => simulateSeqCpu(m, p.timeline, DATASET_SEQ_SETTINGS));
    }
    const { simulateSeqGpu } = await import("./seq_gpu_sim.ts");
    return await simulateSeqGpu(models, p.timeline, DATASET_SEQ_SETTINGS);
  };
  const workers = opts.device === "cpu" ? Math.max(1, Math.floor(opts.workers ?? 1)) : 1;
  return {
    offsetsPpm: inp.offsetsPpm,
    ...(inp.b0T !== undefined ? { b0T: inp.b0T } : {}),
    protocol: { input: inp.describe, target: tgt.describe },
    async simulate(models, o = {}) {
      const input = new Float32Array(models.length * T);
      const target = new Float32Array(models.length * T);
      const chunk = opts.chunkModels ?? (opts.device === "cpu" ? 16 : 512);
      const threaded = workers > 1 && models.length > 1;
      if (threaded) {
        await _onWorkers(workers, [inp.timeline, tgt.timeline], models, chunk, o, (c0, out) => {
          out[0]!.forEach((mz, k) => {
            columnsOf(inp, mz, input, c0 + k);
            columnsOf(tgt, out[1]![k]!, target, c0 + k);
          });
        });
      }
      for (let c0 = 0; !threaded && c0 < models.length; c0 += chunk) {
        o.signal?.throwIfAborted();
        const part = models.slice(c0, c0 + chunk);
        const [a, b] = [await run(inp, part), await run(tgt, part)];
        part.forEach((_, k) => {
          columnsOf(inp, a[k]!, input, c0 + k);
          columnsOf(tgt, b[k]!, target, c0 + k);
        });
        o.onProgress?.(c0 + part.length, models.length);
      }
      for (let i = 0; i < input.length; i++) {
        if (!Number.isFinite(input[i]!) || !Number.isFinite(target[i]!)) {
          throw new InputError(
            `the pulsed simulation gave a non-finite value (spectrum ${
              Math.floor(i / T)
            } of this chunk); check the pulses' amplitudes and the parameter space`,
          );
        }
      }
      return { input, target };
    },
  };
}
