/**
 * Reader for Pulseq `.seq` files (versions 1.2–1.4) as pulseq-cest uses them for CEST
 * saturation: [VERSION], [DEFINITIONS], [BLOCKS], [RF], [GRADIENTS], [TRAP], [ADC], [DELAYS]
 * (before 1.4), [SHAPES] (compressed as in Pulseq), [EXTENSIONS] and [SIGNATURE] (kept but
 * not interpreted). RF amplitude, frequency and phase are read as float32, as Pulseq's C++
 * reader does (pulseq-cest uses it). Every malformed or unsupported line is an InputError naming the file,
 * the line and the fix. No physics here: seq_timeline.ts turns the blocks into events.
 * @module
 */
import { InputError } from "../../util/errors.ts";
import { decompressShape } from "./seq_shapes.ts";

/** One RF event of the [RF] table. */
export interface SeqRf {
  /** Peak amplitude, Hz (= γ/2π · B1). */
  ampHz: number;
  magShapeId: number;
  /** 0: zero phase. */
  phaseShapeId: number;
  /** 0: samples on the RF raster (always 0 before Pulseq 1.4). */
  timeShapeId: number;
  /** Dead time before the first sample, µs. */
  delayUs: number;
  freqHz: number;
  phaseRad: number;
  /** Line in the file (1-based). */
  line: number;
}

/** A trapezoid gradient ([TRAP]); only its timing matters here. */
export interface SeqTrap {
  riseUs: number;
  flatUs: number;
  fallUs: number;
  delayUs: number;
  line: number;
}

/** An arbitrary gradient ([GRADIENTS]); only its timing matters here. */
export interface SeqGradient {
  shapeId: number;
  delayUs: number;
  line: number;
}

/** An ADC event ([ADC]). */
export interface SeqAdc {
  numSamples: number;
  dwellNs: number;
  delayUs: number;
  line: number;
}

/** One row of [BLOCKS]. */
export interface SeqBlock {
  /** Block number as written. */
  id: number;
  /** Before 1.4: the [DELAYS] id; from 1.4 on: the block duration in BlockDurationRaster units. */
  delayOrDuration: number;
  rf: number;
  gx: number;
  gy: number;
  gz: number;
  adc: number;
  ext: number;
  line: number;
}

/** A shape of [SHAPES], decompressed. */
export interface SeqShape {
  samples: Float64Array;
  line: number;
}

/** A parsed `.seq` file. */
export interface SeqFile {
  /** File name used in messages. */
  source: string;
  version: { major: number; minor: number; revision: number };
  /** [DEFINITIONS]: name → the values after it (as text). */
  definitions: Map<string, string[]>;
  blocks: SeqBlock[];
  rf: Map<number, SeqRf>;
  traps: Map<number, SeqTrap>;
  gradients: Map<number, SeqGradient>;
  adcs: Map<number, SeqAdc>;
  /** [DELAYS] (before 1.4): id → µs. */
  delaysUs: Map<number, number>;
  shapes: Map<number, SeqShape>;
  /** RF raster, s (1 µs before 1.4; RadiofrequencyRasterTime from 1.4 on). */
  rfRasterS: number;
  /** Block duration raster, s (1 µs before 1.4; BlockDurationRaster from 1.4 on). */
  blockRasterS: number;
}

/**
 * Most samples of one shape (20 s on the 1 µs raster; BMsim's longest CW block is 15 s): the
 * samples are decompressed into memory.
 */
export const MAX_SHAPE_SAMPLES = 20_000_000;

const KNOWN = [
  "VERSION",
  "DEFINITIONS",
  "BLOCKS",
  "RF",
  "GRADIENTS",
  "TRAP",
  "ADC",
  "DELAYS",
  "SHAPES",
  "EXTENSIONS",
  "SIGNATURE",
];

/** Numeric value of a [DEFINITIONS] entry, or undefined when absent. */
export function definitionNumber(seq: SeqFile, name: string): number | undefined {
  const v = seq.definitions.get(name);
  if (v === undefined || v.length === 0) return undefined;
  const x = Number(v[0]);
  if (!Number.isFinite(x)) {
    throw new InputError(
      `${seq.source}: [DEFINITIONS] ${name}: expected a number but found "${v.join(" ")}"`,
    );
  }
  return x;
}

/**
 * The numbers of one row, as many as its section has fields (checked by `_Lines.nums`),
 * typed as the widest row ([BLOCKS]: eight) so that rows destructure without casts.
 */
type _Row = [number, number, number, number, number, number, number, number];

class _Lines {
  constructor(readonly source: string) {}
  fail(line: number, msg: string): never {
    throw new InputError(`${this.source}:${line}: ${msg}`);
  }
  nums(line: number, text: string, count: number[], what: string, format: string): _Row {
    const parts = text.split(/\s+/);
    if (!count.includes(parts.length)) {
      this.fail(
        line,
        `${what}: expected ${count.join(" or ")} numbers (${format}) but found ${parts.length}`,
      );
    }
    return parts.map((p) => {
      const v = Number(p);
      if (p === "" || !Number.isFinite(v)) {
        this.fail(line, `${what}: "${p}" is not a number (${format})`);
      }
      return v;
    }) as _Row;
  }
}

function _id(ctx: _Lines, line: number, v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0) {
    ctx.fail(line, `${what}: an id must be an integer ≥ 0 but is ${v}`);
  }
  return v;
}

/**
 * Parses a Pulseq `.seq` file.
 * @param text the file's text
 * @param source the file name for messages
 * @returns the parsed tables (shapes decompressed)
 * @throws InputError naming `source:line` for a malformed or unsupported line
 * @example
 * const seq = parseSeq(Deno.readTextFileSync("APTw.seq"), "APTw.seq");
 */
export function parseSeq(text: string, source: string): SeqFile {
  const ctx: _Lines = new _Lines(source);
  const seq: SeqFile = {
    source,
    version: { major: 0, minor: 0, revision: 0 },
    definitions: new Map(),
    blocks: [],
    rf: new Map(),
    traps: new Map(),
    gradients: new Map(),
    adcs: new Map(),
    delaysUs: new Map(),
    shapes: new Map(),
    rfRasterS: 1e-6,
    blockRasterS: 1e-6,
  };
  const sections = new Map<string, { line: number; text: string }[]>();
  let cur: string | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.replace(/#.*$/, "").trim();
    if (!t) continue;
    const m = /^\[([A-Z0-9_]+)\]$/.exec(t);
    if (m) {
      cur = m[1]!;
      if (!KNOWN.includes(cur)) {
        ctx.fail(
          i + 1,
          `unsupported section [${cur}]; a CEST saturation file has ${
            KNOWN.map((k) => `[${k}]`).join(", ")
          }`,
        );
      }
      if (sections.has(cur)) ctx.fail(i + 1, `section [${cur}] appears twice; merge them`);
      sections.set(cur, []);
      continue;
    }
    const rows = cur === undefined ? undefined : sections.get(cur);
    if (!rows) ctx.fail(i + 1, `"${t}" before the first [SECTION]; start with [VERSION]`);
    rows.push({ line: i + 1, text: t });
  }
  _version(ctx, seq, sections.get("VERSION"));
  const v14 = seq.version.minor >= 4;
  for (const { line, text: t } of sections.get("DEFINITIONS") ?? []) {
    const [k, ...vals] = t.split(/\s+/);
    seq.definitions.set(k!, vals);
    if (v14 && (k === "RadiofrequencyRasterTime" || k === "BlockDurationRaster")) {
      const x = Number(vals[0]);
      if (!(x > 0)) ctx.fail(line, `[DEFINITIONS] ${k}: must be a time > 0 s but is "${vals[0]}"`);
      if (k === "RadiofrequencyRasterTime") seq.rfRasterS = x;
      else seq.blockRasterS = x;
    }
  }
  if (v14 && !seq.definitions.has("BlockDurationRaster")) seq.blockRasterS = 1e-5;
  _shapes(ctx, seq, sections.get("SHAPES") ?? []);
  _events(ctx, seq, sections, v14);
  _blocks(ctx, seq, sections.get("BLOCKS") ?? []);
  return seq;
}

function _version(
  ctx: _Lines,
  seq: SeqFile,
  rows: { line: number; text: string }[] | undefined,
): void {
  if (!rows) {
    ctx.fail(1, "no [VERSION] section; a Pulseq file starts with [VERSION] major 1 minor 4");
  }
  for (const { line, text } of rows) {
    const [k, v] = text.split(/\s+/);
    const x = Number(v);
    if (k === "major") seq.version.major = x;
    else if (k === "minor") seq.version.minor = x;
    else if (k === "revision") seq.version.revision = Number.isFinite(x) ? x : 0;
    else ctx.fail(line, `[VERSION]: unknown entry "${k}"; expected major, minor, revision`);
  }
  const { major, minor } = seq.version;
  if (major !== 1 || !(minor >= 2 && minor <= 4)) {
    ctx.fail(
      rows[0]?.line ?? 1,
      `Pulseq version ${major}.${minor} is not supported; write the file as version 1.2, 1.3 or 1.4`,
    );
  }
}

function _shapes(ctx: _Lines, seq: SeqFile, rows: { line: number; text: string }[]): void {
  for (let i = 0; i < rows.length;) {
    const head = rows[i]!;
    const m = /^shape_id\s+(\d+)$/.exec(head.text);
    if (!m) ctx.fail(head.line, `[SHAPES]: expected "shape_id N" but found "${head.text}"`);
    const numRow = rows[i + 1];
    const n = numRow ? /^num_samples\s+(\d+)$/.exec(numRow.text) : null;
    if (!numRow || !n) {
      ctx.fail(numRow?.line ?? head.line, `[SHAPES]: shape ${m[1]} needs "num_samples N" next`);
    }
    const numSamples = Number(n[1]);
    if (numSamples > MAX_SHAPE_SAMPLES) {
      ctx.fail(
        numRow.line,
        `[SHAPES]: shape ${m[1]} has ${numSamples} samples, above the limit of ${
          MAX_SHAPE_SAMPLES.toLocaleString("en-US")
        }; use a coarser raster or a shorter pulse`,
      );
    }
    const packed: number[] = [];
    i += 2;
    while (i < rows.length && !rows[i]!.text.startsWith("shape_id")) {
      const r = rows[i]!;
      const x = Number(r.text);
      if (!Number.isFinite(x) || r.text === "") {
        ctx.fail(r.line, `[SHAPES]: shape ${m[1]}: "${r.text}" is not a number`);
      }
      packed.push(x);
      i++;
    }
    const samples = decompressShape(packed, numSamples, seq.version.minor >= 4);
    if (typeof samples === "string") ctx.fail(head.line, `[SHAPES]: shape ${m[1]} ${samples}`);
    const id = Number(m[1]);
    if (seq.shapes.has(id)) ctx.fail(head.line, `[SHAPES]: shape ${id} is defined twice`);
    seq.shapes.set(id, { samples, line: head.line });
  }
}

function _events(
  ctx: _Lines,
  seq: SeqFile,
  sections: Map<string, { line: number; text: string }[]>,
  v14: boolean,
): void {
  const once = <T>(map: Map<number, T>, id: number, line: number, sec: string, v: T) => {
    if (map.has(id)) ctx.fail(line, `[${sec}]: id ${id} is defined twice`);
    map.set(id, v);
  };
  const shape = (line: number, id: number, what: string) => {
    if (id !== 0 && !seq.shapes.has(id)) {
      ctx.fail(line, `${what} shape ${id} is not in [SHAPES]; add it or fix the id`);
    }
  };
  for (const { line, text } of sections.get("RF") ?? []) {
    const fmt = v14
      ? "id amplitude mag_id phase_id time_shape_id delay freq phase"
      : "id amplitude mag_id phase_id delay freq phase";
    const v = ctx.nums(line, text, [v14 ? 8 : 7], "[RF]", fmt);
    const [id, ampHz, magShapeId, phaseShapeId] = v;
    const timeShapeId = v14 ? v[4]! : 0;
    const [delayUs, freqHz, phaseRad] = v.slice(v14 ? 5 : 4) as [number, number, number];
    _id(ctx, line, id, "[RF]");
    if (magShapeId === 0) ctx.fail(line, "[RF]: the magnitude shape id must not be 0");
    shape(line, magShapeId, "[RF]: magnitude");
    shape(line, phaseShapeId, "[RF]: phase");
    shape(line, timeShapeId, "[RF]: time");
    if (!(delayUs >= 0)) ctx.fail(line, `[RF]: the delay must be ≥ 0 µs but is ${delayUs}`);
    // float32 as in Pulseq's C++ reader (pulseq-cest reads its files with it)
    once(seq.rf, id, line, "RF", {
      ampHz: Math.fround(ampHz),
      magShapeId,
      phaseShapeId,
      timeShapeId,
      delayUs,
      freqHz: Math.fround(freqHz),
      phaseRad: Math.fround(phaseRad),
      line,
    });
  }
  for (const { line, text } of sections.get("TRAP") ?? []) {
    const v = ctx.nums(line, text, [6], "[TRAP]", "id amplitude rise flat fall delay");
    const [id, , riseUs, flatUs, fallUs, delayUs] = v;
    _id(ctx, line, id, "[TRAP]");
    if (![riseUs, flatUs, fallUs, delayUs].every((x) => x >= 0)) {
      ctx.fail(line, "[TRAP]: rise, flat, fall and delay must be ≥ 0 µs");
    }
    once(seq.traps, id, line, "TRAP", { riseUs, flatUs, fallUs, delayUs, line });
  }
  for (const { line, text } of sections.get("GRADIENTS") ?? []) {
    const fmt = v14
      ? "id amplitude amp_shape_id time_shape_id delay"
      : "id amplitude shape_id delay";
    const v = ctx.nums(line, text, [v14 ? 5 : 4], "[GRADIENTS]", fmt);
    const id = _id(ctx, line, v[0]!, "[GRADIENTS]");
    shape(line, v[2]!, "[GRADIENTS]: amplitude");
    const delayUs = v[v.length - 1]!;
    if (!(delayUs >= 0)) ctx.fail(line, `[GRADIENTS]: the delay must be ≥ 0 µs but is ${delayUs}`);
    if (id !== 0 && seq.traps.has(id)) {
      ctx.fail(line, `[GRADIENTS]: id ${id} is also a [TRAP] id; gradient ids must be unique`);
    }
    once(seq.gradients, id, line, "GRADIENTS", { shapeId: v[2]!, delayUs, line });
  }
  for (const { line, text } of sections.get("ADC") ?? []) {
    const v = ctx.nums(line, text, [6], "[ADC]", "id num dwell delay freq phase");
    const id = _id(ctx, line, v[0]!, "[ADC]");
    const [numSamples, dwellNs, delayUs] = v.slice(1, 4) as [number, number, number];
    if (![numSamples, dwellNs, delayUs].every((x) => x >= 0)) {
      ctx.fail(line, "[ADC]: num, dwell and delay must be ≥ 0");
    }
    once(seq.adcs, id, line, "ADC", { numSamples, dwellNs, delayUs, line });
  }
  const delays = sections.get("DELAYS") ?? [];
  if (v14 && delays.length) {
    ctx.fail(
      delays[0]!.line,
      "[DELAYS] is not part of Pulseq 1.4; give block durations in [BLOCKS]",
    );
  }
  for (const { line, text } of delays) {
    const [id, us] = ctx.nums(line, text, [2], "[DELAYS]", "id delay_us");
    _id(ctx, line, id, "[DELAYS]");
    if (!(us >= 0)) ctx.fail(line, `[DELAYS]: the delay must be ≥ 0 µs but is ${us}`);
    once(seq.delaysUs, id, line, "DELAYS", us);
  }
}

function _blocks(ctx: _Lines, seq: SeqFile, rows: { line: number; text: string }[]): void {
  const v14 = seq.version.minor >= 4;
  const fmt = v14 ? "id duration rf gx gy gz adc ext" : "id delay rf gx gy gz adc ext";
  for (const { line, text } of rows) {
    const v = ctx.nums(line, text, [8], "[BLOCKS]", fmt);
    for (let k = 1; k < 8; k++) _id(ctx, line, v[k]!, "[BLOCKS]");
    const [id, delayOrDuration, rf, gx, gy, gz, adc, ext] = v;
    const missing = (what: string, ok: boolean) => {
      if (!ok) {
        ctx.fail(line, `[BLOCKS]: block ${id}: ${what} is not defined; add it or fix the id`);
      }
    };
    if (!v14 && delayOrDuration) {
      missing(`delay ${delayOrDuration}`, seq.delaysUs.has(delayOrDuration));
    }
    if (rf) missing(`RF ${rf}`, seq.rf.has(rf));
    for (const [g, name] of [[gx, "gx"], [gy, "gy"], [gz, "gz"]] as const) {
      if (g) missing(`gradient ${name} ${g}`, seq.traps.has(g) || seq.gradients.has(g));
    }
    if (adc) missing(`ADC ${adc}`, seq.adcs.has(adc));
    seq.blocks.push({ id, delayOrDuration, rf, gx, gy, gz, adc, ext, line });
  }
}
