/** The Pulseq reader: shape decompression, the tables, block durations and clear errors. */
import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import { decompressShape } from "../../../src/physics/seq/seq_shapes.ts";
import { parseSeq } from "../../../src/physics/seq/seq_file.ts";
import {
  blockDurationS,
  buildTimeline,
  pulseShape,
} from "../../../src/physics/seq/seq_timeline.ts";
import { InputError } from "../../../src/util/errors.ts";
import { BMSIM } from "../../fixtures/mod.ts";
import { seqV13, seqV14, seqV14TimeShaped } from "./_seq_text.ts";

/** Pulseq's compression (test side): differences, runs of ≥ 2 written as v v (count − 2). */
function compress(samples: number[]): number[] {
  const d = samples.map((v, i) => (i ? v - samples[i - 1]! : v));
  const out: number[] = [];
  for (let i = 0; i < d.length;) {
    let j = i;
    while (j + 1 < d.length && d[j + 1] === d[i]) j++;
    const run = j - i + 1;
    if (run >= 2) out.push(d[i]!, d[i]!, run - 2);
    else out.push(d[i]!);
    i = j + 1;
  }
  return out;
}

Deno.test("decompressShape() undoes Pulseq's run-length + difference compression (random shapes)", () => {
  assertEquals([...(decompressShape([1, 0, 0, 1, -1], 5) as Float64Array)], [1, 1, 1, 1, 0]);
  for (let trial = 0; trial < 20; trial++) {
    // small integers × 2^-4 are exact in float32, so the float32 sum is exact too
    const n = 1 + Math.floor(200 * Math.random());
    const s: number[] = [];
    for (let i = 0; i < n; i++) {
      s.push(Math.random() < 0.7 && i ? s[i - 1]! : Math.floor(16 * Math.random()) / 16);
    }
    const got = decompressShape(compress(s), n);
    assert(got instanceof Float64Array, String(got));
    assertEquals([...got], s);
  }
  // uncompressed (Pulseq 1.4 may write every sample)
  assertEquals([...(decompressShape([0.5, 0.25, 1], 3, true) as Float64Array)], [0.5, 0.25, 1]);
  assertEquals([...(decompressShape([0.5, 0.25, 1], 3) as Float64Array)], [0.5, 0.75, 1.75]);
  assert(typeof decompressShape([1, 1], 5) === "string", "missing repeat count");
  assert(typeof decompressShape([1, 1, 10], 5) === "string", "too many samples");
  assert(typeof decompressShape([1, 0, 0, 1], 9) === "string", "too few samples");
});

Deno.test("parseSeq() reads pulseq-cest's APTw_3T_example.seq (Pulseq 1.3, shaped pulses)", () => {
  const path = BMSIM + "pulseq-cest/APTw_3T_example.seq";
  const seq = parseSeq(Deno.readTextFileSync(path), path);
  assertEquals(seq.version, { major: 1, minor: 3, revision: 1 });
  assertEquals(seq.definitions.get("offsets_ppm")!.length, 41);
  assertEquals(seq.definitions.get("M0_offset"), ["-300"]);
  assertEquals(seq.shapes.get(1)!.samples.length, 50030);
  assertEquals(seq.delaysUs.get(3), 2_400_000);
  const tl = buildTimeline(seq, { maxPulseSamples: 300 });
  assertEquals(tl.adcCount, 41);
  const pulses = tl.events.filter((e) => e.kind === "pulse");
  assertEquals(pulses.length, 41 * 20);
  const p = pulses[0]!;
  assert(p.kind === "pulse");
  // 50.03 ms shape whose last 57 samples are ≤ 1e-6 (the ring-down, as pulseq-cest finds
  // it); > 300 runs, so resampled every ⌈49973/300⌉ = 167 µs, ⌊49973/167⌋ = 299 samples
  assertEquals(p.shape.ringdownS.toFixed(9), "0.000057000");
  assertEquals(p.shape.lengthUs, 49973);
  assertEquals(p.shape.magnitude.length, 299);
  assertEquals(Math.fround(p.shape.durationS[0]!), Math.fround(167e-6));
  assertEquals(p.deadTimeS.toFixed(9), "0.000100000");
  assertEquals(tl.events.filter((e) => e.kind === "spoil").length, 41);
  // spoiler block: 1000 + 4500 + 1000 µs
  const spoilBlock = seq.blocks.find((b) => b.gx && b.gy && b.gz)!;
  assertEquals(blockDurationS(seq, spoilBlock).toFixed(9), "0.006500000");
});

Deno.test("parseSeq() reads Pulseq 1.4 (block durations) into the same timeline as 1.3", () => {
  const a = buildTimeline(parseSeq(seqV13(), "a.seq"));
  const b = buildTimeline(parseSeq(seqV14(), "b.seq"));
  assertEquals(a.adcCount, 2);
  assertEquals(b.adcCount, 2);
  const durations = (tl: typeof a) =>
    tl.events.map((e) =>
      e.kind === "pulse"
        ? `pulse ${e.deadTimeS.toFixed(7)} ${e.shape.lengthS.toFixed(7)} ${
          e.shape.ringdownS.toFixed(7)
        } ${e.tailS.toFixed(7)} ${e.ampHz} ${e.freqHz}`
        : e.kind === "adc"
        ? "adc"
        : `${e.kind} ${e.durationS.toFixed(7)}`
    );
  assertEquals(durations(b), durations(a));
});

function expectLine(text: string, line: number, re: RegExp): void {
  const e = assertThrows(() => buildTimeline(parseSeq(text, "bad.seq")), re);
  assert(e instanceof InputError, `InputError, not ${e.name}`);
  assert(e.message.startsWith(`bad.seq:${line}: `), `names the line ${line}: ${e.message}`);
}

Deno.test("parseSeq(): malformed or unsupported lines are InputErrors naming file and line", () => {
  const ok = seqV13();
  const lines = ok.split("\n");
  const lineOf = (s: string) => lines.findIndex((l) => l.startsWith(s)) + 1;
  expectLine(ok.replace("minor 3", "minor 1"), lineOf("major"), /version 1\.1 is not supported/);
  expectLine(
    ok.replace("[DELAYS]", "[CONTROLS]"),
    lineOf("[DELAYS]"),
    /unsupported section \[CONTROLS\]/,
  );
  expectLine(
    ok.replace("1 3 1 0 0 0 0 0", "1 3 1 1 1 1 0 0"),
    lineOf("1 3 1 0"),
    /RF together with a gradient/,
  );
  expectLine(
    ok.replace("1 3 1 0 0 0 0 0", "1 3 7 0 0 0 0 0"),
    lineOf("1 3 1 0"),
    /RF 7 is not defined/,
  );
  expectLine(
    ok.replace("2 0 0 1 1 1 0 0", "2 0 0 1 1 1 1 0"),
    lineOf("2 0 0 1"),
    /ADC together with/,
  );
  expectLine(
    ok.replace("1 40 1 2 100 -250 0", "1 40 9 2 100 -250 0"),
    lineOf("1 40 1 2"),
    /shape 9 is not in \[SHAPES\]/,
  );
  expectLine(
    ok.replace("1 40 1 2 100 -250 0", "1 40 1 2 100 -250"),
    lineOf("1 40 1 2"),
    /expected 7 numbers/,
  );
  expectLine(
    ok.replace("1 40 1 2 100 -250 0", "1 4x0 1 2 100 -250 0"),
    lineOf("1 40 1 2"),
    /"4x0" is not a number/,
  );
  expectLine(
    ok.replace("num_samples 1030", "num_samples 1031"),
    lineOf("shape_id 1"),
    /decompresses to 1030 samples/,
  );
  const e = assertThrows(
    () =>
      buildTimeline(
        parseSeq(
          ok.replace("3 0 0 0 0 0 1 0", "3 0 0 0 0 0 0 0").replace(
            "6 0 0 0 0 0 1 0",
            "6 0 0 0 0 0 0 0",
          ),
          "bad.seq",
        ),
      ),
    /no ADC event/,
  );
  assert(e instanceof InputError);
});

Deno.test("pulseShape(): a 1.4 time shape is a piecewise-linear waveform, one sample per segment at its mean", () => {
  const text = seqV14TimeShaped();
  const seq = parseSeq(text, "t.seq");
  const s = pulseShape(seq, seq.rf.get(1)!, 100);
  // zero before the first point, ramp 0→1 (mean ½), flat 1, ramp 1→0 (mean ½)
  assertEquals([...s.magnitude], [0, 0.5, 1, 0.5]);
  assertEquals(s.durationS.map((d) => Math.round(d * 1e6)).join(","), "10,10,20,5");
  assertEquals(Math.round(s.shapeS * 1e6), 45);
  assertEquals(s.ringdownS, 0);
  expectLine(
    text.replace("\n40\n45\n", "\n40\n40\n"),
    text.split("\n").indexOf("shape_id 8") + 1,
    /must increase strictly/,
  );
});
