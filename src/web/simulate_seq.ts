/**
 * The simulator page's pulsed protocol: an uploaded Pulseq `.seq` file simulated for the
 * page's tissue model with the CLI's function (`simulateSeqSpectrumCpu`, float64, as
 * `quass simulate spectrum --seq`). Size- and work-limited; a malformed file is an
 * InputError naming `file:line` (400).
 *
 * Field: a bundled model (7 T) takes the file's `B0` when the file defines one (the
 * result says so); an uploaded YAML model must match it, as on the command line.
 * Normalisation: when the file defines `M0_offset`, Z is divided by the M0 row(s), which
 * are left out of the spectrum; otherwise the raw water Mz of every ADC is returned.
 * @module
 */
import { InputError } from "../util/errors.ts";
import { definitionNumber } from "../physics/seq/seq_file.ts";
import { seqProtocol, simulateSeqSpectrumCpu } from "../physics/seq/seq_spectrum.ts";
import { timelineOps } from "../physics/seq/seq_gpu_sim.ts";
import { mtrAsym, requestModel } from "./simulate.ts";

/** Most bytes of an uploaded `.seq` text (the JSON body limit is 256 KiB). */
export const SEQ_UPLOAD_LIMIT_BYTES = 200 << 10;

/** Most constant intervals (one matrix exponential each) and events of an uploaded file. */
export const SEQ_WORK_LIMITS = { intervals: 20_000, events: 200_000 } as const;

/** A pulsed simulation request. */
export interface SeqSimRequest {
  model?: string;
  modelYaml?: string;
  params?: Record<string, number>;
  /** The `.seq` file's text. */
  seq: string;
  /** Its file name, for messages. */
  seqName: string;
}

/** The spectrum of a `.seq` file for the page's model. */
export interface SeqSimResult {
  offsetsPpm: number[];
  z: number[];
  /** Divided by the M0 row(s) (left out), or raw water Mz. */
  normalized: boolean;
  mtrOffsetsPpm: number[];
  mtr: number[];
  settings: { model: string; seq: string; b0T: number; adcCount: number };
  /** What was changed to run the file (e.g. the model's field), for the page. */
  notes: string[];
  elapsedMs: number;
}

/** Validates a request body (InputError naming the field). */
export function parseSeqSimRequest(body: unknown): SeqSimRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new InputError(`Expected a JSON object like {"model": "normal", "seq": "<.seq text>"}`);
  }
  const b = body as Record<string, unknown>;
  const known = ["model", "modelYaml", "params", "seq", "seqName"];
  for (const k of Object.keys(b)) {
    if (!known.includes(k)) {
      throw new InputError(`Unknown field ${JSON.stringify(k)}; known: ${known.join(", ")}`);
    }
  }
  if (typeof b.seq !== "string" || !b.seq.trim()) {
    throw new InputError("seq: expected the text of a Pulseq .seq file");
  }
  const bytes = new TextEncoder().encode(b.seq).length;
  if (bytes > SEQ_UPLOAD_LIMIT_BYTES) {
    throw new InputError(
      `seq: the file has ${bytes} bytes; at most ${SEQ_UPLOAD_LIMIT_BYTES} here (use quass simulate spectrum --seq for larger files)`,
    );
  }
  if (b.seqName !== undefined && typeof b.seqName !== "string") {
    throw new InputError("seqName: expected the file name as a string");
  }
  if (b.modelYaml !== undefined && typeof b.modelYaml !== "string") {
    throw new InputError("modelYaml: expected the YAML text as a string");
  }
  if (b.model !== undefined && typeof b.model !== "string") {
    throw new InputError("model: expected a bundled model id (normal, tumour)");
  }
  if (
    b.params !== undefined &&
    (typeof b.params !== "object" || b.params === null || Array.isArray(b.params))
  ) {
    throw new InputError(`params: expected an object like {"water.t1S": 1.8}`);
  }
  const name = ((b.seqName as string | undefined) ?? "uploaded.seq").replace(/[^\w.\- ]/g, "_")
    .slice(0, 100) || "uploaded.seq";
  return {
    model: b.model as string | undefined,
    modelYaml: b.modelYaml as string | undefined,
    params: b.params as Record<string, number> | undefined,
    seq: b.seq,
    seqName: name,
  };
}

/**
 * Simulates an uploaded `.seq` file for the request's model (float64 CPU).
 * @throws InputError for a malformed file (naming its line), a field mismatch, or a file
 *   over the work limits
 */
export async function simulateSeqForPage(
  modelsDir: string,
  req: SeqSimRequest,
): Promise<SeqSimResult> {
  const t0 = performance.now();
  const { model, name } = await requestModel(modelsDir, {
    model: req.model,
    modelYaml: req.modelYaml,
    params: req.params,
  });
  const notes: string[] = [];
  // a bundled model takes the file's field (its RF frequencies are for it)
  const b0 = /^\s*B0\s+(\S+)/m.exec(req.seq)?.[1];
  if (req.modelYaml === undefined && b0 !== undefined) {
    const v = Number(b0);
    if (Number.isFinite(v) && v > 0 && Math.abs(v - model.b0T) > 1e-3 * model.b0T) {
      notes.push(
        `the model's field was set to the file's B0 ${v} T (it is defined at ${model.b0T} T)`,
      );
      model.b0T = v;
    }
  }
  const protocol = seqProtocol(
    model,
    req.seq,
    req.seqName,
    req.modelYaml !== undefined ? "the uploaded model" : `model ${name}`,
  );
  const { maps } = timelineOps(protocol.timeline, protocol.settings);
  const intervals = maps.reduce((s, m) => s + m.length, 0);
  const events = protocol.timeline.events.length;
  if (intervals > SEQ_WORK_LIMITS.intervals || events > SEQ_WORK_LIMITS.events) {
    throw new InputError(
      `${req.seqName}: ${intervals} distinct pulse samples and ${events} events; the page simulates at most ${SEQ_WORK_LIMITS.intervals} and ${SEQ_WORK_LIMITS.events} (use quass simulate spectrum --seq)`,
    );
  }
  const m0 = definitionNumber(protocol.seq, "M0_offset");
  const normalized = m0 !== undefined &&
    protocol.offsetsPpm.some((o) => Math.abs(o - m0) <= 1e-6 * Math.max(1, Math.abs(m0)));
  const { offsetsPpm, z } = simulateSeqSpectrumCpu(model, protocol, normalized);
  const keep = offsetsPpm.flatMap((o, i) =>
    normalized && Math.abs(o - m0!) <= 1e-6 * Math.max(1, Math.abs(m0!)) ? [] : [i]
  );
  const off = keep.map((i) => offsetsPpm[i]!), zz = keep.map((i) => z[i]!);
  const mtr = mtrAsym(off, zz);
  return {
    offsetsPpm: off,
    z: zz,
    normalized,
    mtrOffsetsPpm: mtr.offsetsPpm,
    mtr: mtr.values,
    settings: { model: name, seq: req.seqName, b0T: model.b0T, adcCount: offsetsPpm.length },
    notes,
    elapsedMs: performance.now() - t0,
  };
}
