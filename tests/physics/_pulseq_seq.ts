/**
 * Test helper: just enough of a Pulseq 1.3 `.seq` reader to turn the block-pulse CEST
 * files of tests/fixtures/bmsim/pulseq-cest-library/ into our Protocol timeline (its README:
 * RF dead time → block pulse → ring-down → spoiler (free) → spoil → ADC).
 */

/** One saturation event: a block pulse with the free intervals around it. */
export interface SeqSaturation {
  /** RF amplitude, Hz (= γ/2π · B1). */
  ampHz: number;
  /** RF frequency offset, Hz. */
  freqHz: number;
  /** Dead time before the pulse (RF delay), s. */
  deadTimeS: number;
  /** Duration of the non-zero samples, s. */
  pulseS: number;
  /** Zero-amplitude samples after the pulse (ring-down), s. */
  ringDownS: number;
  /** Duration of the spoiler gradient block (free relaxation), s. */
  spoilerS: number;
}

function _sections(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let cur = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^\[(\w+)\]$/.exec(line);
    if (m) {
      cur = m[1]!;
      out.set(cur, []);
    } else if (cur) out.get(cur)!.push(line);
  }
  return out;
}

/**
 * Decompresses a Pulseq shape: the samples' differences, run-length encoded (two equal
 * values followed by a count of further repeats), then cumulatively summed.
 */
export function decompressShape(values: number[], numSamples: number): Float64Array {
  const deriv: number[] = [];
  for (let i = 0; i < values.length;) {
    const v = values[i]!;
    if (i + 2 < values.length && values[i + 1] === v) {
      const reps = values[i + 2]! + 2;
      for (let k = 0; k < reps; k++) deriv.push(v);
      i += 3;
    } else {
      deriv.push(v);
      i += 1;
    }
  }
  const out = new Float64Array(numSamples);
  let s = 0;
  for (let i = 0; i < numSamples; i++) out[i] = s += deriv[i] ?? 0;
  return out;
}

/** Parses the saturation events (one per ADC) and the offsets of a block-pulse .seq file. */
export function parseCestSeq(text: string): { offsetsPpm: number[]; events: SeqSaturation[] } {
  const sec = _sections(text);
  const defs = new Map<string, number[]>();
  for (const l of sec.get("DEFINITIONS") ?? []) {
    const [k, ...v] = l.split(/\s+/);
    defs.set(k!, v.map(Number));
  }
  const shapes = new Map<number, Float64Array>();
  const shapeLines = sec.get("SHAPES") ?? [];
  for (let i = 0; i < shapeLines.length;) {
    const id = Number(shapeLines[i]!.split(/\s+/)[1]);
    const num = Number(shapeLines[i + 1]!.split(/\s+/)[1]);
    const vals: number[] = [];
    i += 2;
    while (i < shapeLines.length && !shapeLines[i]!.startsWith("shape_id")) {
      vals.push(Number(shapeLines[i++]));
    }
    shapes.set(id, decompressShape(vals, num));
  }
  const rf = new Map<number, number[]>();
  for (const l of sec.get("RF") ?? []) {
    const v = l.split(/\s+/).map(Number);
    rf.set(v[0]!, v);
  }
  const traps = new Map<number, number[]>();
  for (const l of sec.get("TRAP") ?? []) {
    const v = l.split(/\s+/).map(Number);
    traps.set(v[0]!, v);
  }
  const events: SeqSaturation[] = [];
  let spoilerS = 0;
  let pending: Omit<SeqSaturation, "spoilerS"> | undefined;
  for (const l of sec.get("BLOCKS") ?? []) {
    const [, , rfId, gx] = l.split(/\s+/).map(Number);
    if (rfId) {
      const [, amp, magId, , delayUs, freq] = rf.get(rfId)!;
      const shape = shapes.get(magId!)!;
      let on = 0;
      for (const s of shape) if (s !== 0) on++;
      pending = {
        ampHz: amp!,
        freqHz: freq!,
        deadTimeS: delayUs! * 1e-6,
        pulseS: on * 1e-6,
        ringDownS: (shape.length - on) * 1e-6,
      };
    }
    if (gx && pending) {
      const [, , rise, flat, fall, delay] = traps.get(gx)!;
      spoilerS = (rise! + flat! + fall! + delay!) * 1e-6;
      events.push({ ...pending, spoilerS });
      pending = undefined;
    }
  }
  return { offsetsPpm: defs.get("offsets_ppm") ?? [], events };
}
