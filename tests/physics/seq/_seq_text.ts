/**
 * Test helper: one small saturation protocol written as Pulseq 1.3 and as Pulseq 1.4 (block
 * durations on a 10 µs raster), meant to give the same timeline:
 * block pulse (100 µs dead time, 1 ms, 30 µs ring-down, rest of a 2 ms block) → spoiler →
 * ADC → a three-step pulse with a phase step (500 µs) → a one-axis gradient → ADC.
 * @module
 */

const HEAD = (minor: number, extra = "") =>
  `# test protocol
[VERSION]
major 1
minor ${minor}
revision 1

[DEFINITIONS]
B0 3
M0_offset -300
${extra}offsets_ppm -300 2
`;

const COMMON = `[TRAP]
1 1e6 1000 4500 1000 0
2 5e5 100 200 100 0

[ADC]
1 1 1000000 0 0 0
`;

/** The [SHAPES] section both versions share (compressed magnitude and phase). */
const SHAPES = `[SHAPES]

shape_id 1
num_samples 1030
1
0
0
997
-1
0
0
27

shape_id 2
num_samples 1030
0
0
1028

shape_id 3
num_samples 500
0.5
0
0
197
0.5
0
0
197
-0.75
0
0
97

shape_id 4
num_samples 500
0
0
248
0.25
0
0
247
`;

/** The protocol in Pulseq 1.3 (delays in [DELAYS], RF on the 1 µs raster). */
export function seqV13(): string {
  return HEAD(3) + `
# id delay rf gx gy gz adc ext
[BLOCKS]
1 3 1 0 0 0 0 0
2 0 0 1 1 1 0 0
3 0 0 0 0 0 1 0
4 4 2 0 0 0 0 0
5 0 0 2 0 0 0 0
6 0 0 0 0 0 1 0

# id amplitude mag_id phase_id delay freq phase
[RF]
1 40 1 2 100 -250 0
2 60 3 4 0 127.5 0.5

${COMMON}
[DELAYS]
3 2000
4 300

${SHAPES}`;
}

/** The same protocol in Pulseq 1.4 (block durations on a 10 µs raster). */
export function seqV14(): string {
  return HEAD(4, "BlockDurationRaster 1e-05\nRadiofrequencyRasterTime 1e-06\n") + `
# id duration rf gx gy gz adc ext
[BLOCKS]
1 200 1 0 0 0 0 0
2 650 0 1 1 1 0 0
3 100 0 0 0 0 1 0
4 50 2 0 0 0 0 0
5 40 0 2 0 0 0 0
6 100 0 0 0 0 1 0

# id amplitude mag_id phase_id time_shape_id delay freq phase
[RF]
1 40 1 2 0 100 -250 0
2 60 3 4 0 0 127.5 0.5

${COMMON}
${SHAPES}`;
}

/**
 * The 1.4 protocol with its first pulse time-shaped: points at 10, 20, 40 and 45 µs with
 * magnitudes 0, 1, 1, 0 (a trapezoid after 10 µs at zero).
 */
export function seqV14TimeShaped(): string {
  return seqV14().replace("1 40 1 2 0 100 -250 0", "1 40 7 0 8 100 -250 0") +
    "\nshape_id 7\nnum_samples 4\n0\n1\n1\n0\n\nshape_id 8\nnum_samples 4\n10\n20\n40\n45\n";
}

/**
 * A small pulsed CEST protocol in Pulseq 1.3: per offset a recovery delay, `pulses` block
 * pulses (`tpMs` each, B1 `b1UT`) with `tdMs` between, a spoiler and an ADC; the first
 * offset is the M0 scan at -300 ppm (same train, as pulseq-cest's examples do).
 */
/**
 * Pulseq's shape compression of `samples`: first differences, a value repeated k ≥ 2 times
 * written as `v v k−2`.
 */
export function compressShape(samples: ArrayLike<number>): string {
  const d = Array.from(samples, (v, i) => +(v - (i ? samples[i - 1]! : 0)).toPrecision(9));
  const out: string[] = [];
  for (let i = 0; i < d.length;) {
    let j = i + 1;
    while (j < d.length && d[j] === d[i]) j++;
    const run = j - i;
    out.push(...(run >= 2 ? [`${d[i]}`, `${d[i]}`, `${run - 2}`] : [`${d[i]}`]));
    i = j;
  }
  return out.join("\n");
}

/** Magnitude and phase (units of 2π) shapes of a Gaussian or sinc pulse of n samples. */
export function pulseShape(kind: "block" | "gauss" | "sinc", n: number): {
  magnitude: number[];
  phase: number[];
} {
  const x = (i: number) => (i + 0.5) / n - 0.5; // −½ … ½ over the pulse
  const signal = Array.from({ length: n }, (_, i) => {
    if (kind === "block") return 1;
    if (kind === "gauss") return Math.exp(-0.5 * (x(i) / 0.18) ** 2); // time-bandwidth ≈ 2
    const t = 6 * x(i); // three zero crossings each side, Hann-apodised
    return (t === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t)) *
      (0.5 + 0.5 * Math.cos(2 * Math.PI * x(i)));
  });
  const peak = Math.max(...signal.map(Math.abs));
  return {
    magnitude: signal.map((v) => Math.abs(v) / peak),
    phase: signal.map((v) => (v < 0 ? 0.5 : 0)),
  };
}

export function pulseTrainSeq(opts: {
  offsetsPpm: number[];
  pulses: number;
  /** Pulse shape (default block). */
  shape?: "block" | "gauss" | "sinc";
  b0T?: number;
  b1UT?: number;
  tpMs?: number;
  tdMs?: number;
  trecS?: number;
  m0?: boolean;
}): string {
  const b0 = opts.b0T ?? 3, b1 = opts.b1UT ?? 1, tp = Math.round((opts.tpMs ?? 5) * 1000);
  const td = Math.round((opts.tdMs ?? 5) * 1000), trec = Math.round((opts.trecS ?? 1) * 1e6);
  const offsets = opts.m0 === false ? opts.offsetsPpm : [-300, ...opts.offsetsPpm];
  const shape = pulseShape(opts.shape ?? "block", tp);
  const hzPerPpm = 42.57747892 * b0;
  const blocks: string[] = [];
  const rf: string[] = [];
  let id = 1;
  offsets.forEach((o, k) => {
    rf.push(`${k + 1} ${(42.57747892 * b1).toFixed(6)} 1 2 0 ${(o * hzPerPpm).toFixed(6)} 0`);
    blocks.push(`${id++} 1 0 0 0 0 0 0`);
    for (let p = 0; p < opts.pulses; p++) {
      if (p > 0) blocks.push(`${id++} 2 0 0 0 0 0 0`);
      blocks.push(`${id++} 0 ${k + 1} 0 0 0 0 0`);
    }
    blocks.push(`${id++} 0 0 1 1 1 0 0`, `${id++} 0 0 0 0 0 1 0`);
  });
  return `# small pulsed protocol
[VERSION]
major 1
minor 3
revision 1

[DEFINITIONS]
B0 ${b0}
${opts.m0 === false ? "" : "M0_offset -300\n"}offsets_ppm ${offsets.join(" ")}

# id delay rf gx gy gz adc ext
[BLOCKS]
${blocks.join("\n")}

# id amplitude mag_id phase_id delay freq phase
[RF]
${rf.join("\n")}

[TRAP]
1 1e6 1000 4500 1000 0

[ADC]
1 1 1000000 0 0 0

[DELAYS]
1 ${trec}
2 ${td}

[SHAPES]

shape_id 1
num_samples ${tp}
${compressShape(shape.magnitude)}

shape_id 2
num_samples ${tp}
${compressShape(shape.phase)}
`;
}
