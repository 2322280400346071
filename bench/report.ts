/**
 * Benchmark output: one JSON file per group (`<out>/<group>.json`, written atomically) and
 * a regenerated Markdown report (RESULTS.md) built from every group file in `<out>`, with
 * ratios against each baseline, the floor and the fraction of the measured peak, and the
 * adapter, machine and caveats named.
 * @module
 */
import { writeFileAtomic } from "../src/util/atomic.ts";
import type { BenchCase, ImplResult, Peak } from "./harness.ts";
import { fmtMs } from "./harness.ts";

/** Where and how a set of results was measured. */
export interface RunInfo {
  date: string;
  quick: boolean;
  adapter: string;
  /** CPU model and logical cores. */
  machine: string;
  deno: string;
  /** Load average when the run started (the machine may be shared). */
  loadavg: string;
  tfjs?: { version: string; flags: Record<string, unknown> };
  peak: Peak;
  /** Set when rows of an earlier run were kept (partial re-run). */
  merged?: string;
}

/** The content of one `<group>.json`. */
export interface GroupResults {
  group: string;
  info: RunInfo;
  cases: BenchCase[];
}

/** CPU model, core count and load average of this machine (Linux; "unknown" elsewhere). */
export function machineInfo(): { machine: string; loadavg: string } {
  let model = "unknown CPU", loadavg = "unknown";
  try {
    const m = Deno.readTextFileSync("/proc/cpuinfo").match(/model name\s*:\s*(.*)/);
    if (m) model = m[1]!.trim();
    loadavg = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch { /* not Linux */ }
  return { machine: `${model}, ${navigator.hardwareConcurrency} logical cores`, loadavg };
}

/**
 * Writes `<out>/<group>.json` atomically. With `merge`, cases of an existing file that this
 * run did not repeat (other name or size) are kept (partial re-runs: --archs, --sizes).
 */
export async function writeGroup(out: string, r: GroupResults, merge = false): Promise<string> {
  await Deno.mkdir(out, { recursive: true });
  const path = `${out}/${r.group}.json`;
  if (merge) {
    try {
      const old = JSON.parse(await Deno.readTextFile(path)) as GroupResults;
      const key = (c: BenchCase) => `${c.name}|${c.size}`;
      const fresh = new Map(r.cases.map((c) => [key(c), c]));
      const kept = old.cases.filter((c) => !fresh.has(key(c)));
      // Keep the old order, with re-run cases in place of the old ones.
      const cases = old.cases.map((c) => fresh.get(key(c)) ?? c);
      for (const c of r.cases) if (!old.cases.some((o) => key(o) === key(c))) cases.push(c);
      r = {
        ...r,
        cases,
        info: {
          ...r.info,
          merged: kept.length > 0 ? `${kept.length} rows from ${old.info.date}` : undefined,
        },
      };
    } catch { /* nothing to merge */ }
  }
  await writeFileAtomic(path, JSON.stringify(r, null, 1) + "\n");
  return path;
}

/** Reads every `<group>.json` in `out` (ignores other files). */
export async function readGroups(out: string): Promise<GroupResults[]> {
  const groups: GroupResults[] = [];
  for await (const e of Deno.readDir(out)) {
    if (!e.isFile || !e.name.endsWith(".json")) continue;
    try {
      const g = JSON.parse(await Deno.readTextFile(`${out}/${e.name}`)) as GroupResults;
      if (g.group && Array.isArray(g.cases)) groups.push(g);
    } catch { /* not ours */ }
  }
  const order = ["layers", "train", "infer", "sim"];
  return groups.sort((a, b) => order.indexOf(a.group) - order.indexOf(b.group));
}

const _TITLES: Record<string, string> = {
  layers: "Layers (batch 256, 101 steps)",
  train: "One training step (forward, MSE, backward, clip, Adam)",
  infer: "Inference of a 64×64×101 volume (4,096 spectra), end to end",
  sim: "Simulation (Bloch–McConnell Z-spectra)",
};

/** The single-call time of a result skipped for time (field, or parsed from older reasons). */
function _oneCall(r: ImplResult): number | undefined {
  if (r.oneCallMs !== undefined) return r.oneCallMs;
  const m = r.skipped?.match(/a call after the first \([\d.]+ s\) took ([\d.]+) s/);
  return m ? Number(m[1]) * 1e3 : undefined;
}

function _cell(r: ImplResult | undefined): string {
  if (!r) return "—";
  const one = _oneCall(r);
  if (r.skipped && one !== undefined) return `≈${fmtMs(one)} (1 call)¹`;
  const first = _firstCall(r);
  if (first !== undefined) return `≤${fmtMs(first)} (first call)¹`;
  if (r.skipped) return "skipped¹";
  const t = r.timing!;
  return `${fmtMs(t.medianMs)} (${fmtMs(t.minMs)}–${fmtMs(t.maxMs)})`;
}

/** Upper bound from a "the first call took X s" skip (compile and readback included). */
function _firstCall(r: ImplResult): number | undefined {
  const m = r.skipped?.match(/^the first call took ([\d.]+) s/);
  return m ? Number(m[1]) * 1e3 : undefined;
}

function _ratio(ours: ImplResult | undefined, other: ImplResult | undefined): string {
  if (!ours || !other) return "—";
  const bound = !ours.timing && _oneCall(ours) === undefined ? _firstCall(ours) : undefined;
  const a = ours.timing?.medianMs ?? _oneCall(ours) ?? bound,
    b = other.timing?.medianMs ?? _oneCall(other);
  if (a === undefined || b === undefined) return "—";
  const x = b / a;
  const approx = bound !== undefined ? "≥" : !ours.timing || !other.timing ? "≈" : "";
  return `${approx}${x >= 10 ? x.toFixed(0) : x.toFixed(1)}×`;
}

const _pct = (f: number | undefined) =>
  f === undefined
    ? "—"
    : f >= 0.1
    ? `${(f * 100).toFixed(0)} %`
    : f >= 0.001
    ? `${(f * 100).toFixed(1)} %`
    : `${(f * 100).toExponential(0)} %`;

/** One group's table: column heads, a row per case (name and shape apart), skip notes. */
export interface GroupTableData {
  /** Heads of the columns after the benchmark's name. */
  head: string[];
  rows: { name: string; shape: string; cells: string[] }[];
  /** "name (size) impl: why it was skipped" for every skipped result. */
  notes: string[];
}

/**
 * The table of one group as data (RESULTS.md and the dashboard's Bench page both show
 * it): per case the median (min–max) of every implementation, the ratios against the first
 * one, the floor, its fraction of the peak, GFLOP/s, compile time and the agreement.
 */
export function groupTableData(g: GroupResults): GroupTableData {
  const impls: string[] = [];
  for (const c of g.cases) {
    for (const r of c.results) if (!impls.includes(r.impl)) impls.push(r.impl);
  }
  const base = impls[0] ?? "ours";
  const others = impls.slice(1);
  const head = [
    "size",
    ...impls.map((i) => `${i} median (min–max)`),
    ...others.map((o) => `${base} vs ${o}`),
    "floor",
    `${base} % of peak`,
    `${base} GFLOP/s`,
    `${base} compile`,
    "max |Δ| vs ours",
  ];
  const rows: GroupTableData["rows"] = [];
  const notes: string[] = [];
  for (const c of g.cases) {
    const by = new Map(c.results.map((r) => [r.impl, r]));
    const o = by.get(base);
    for (const r of c.results) {
      if (r.skipped) notes.push(`${c.name} (${c.size}) ${r.impl}: ${r.skipped}`);
    }
    const diffs = c.results.filter((r) => r.maxAbsDiff !== undefined).map((r) =>
      `${r.impl} ${r.maxAbsDiff!.toExponential(0)}`
    );
    rows.push({
      name: c.name,
      shape: c.shape,
      cells: [
        c.size,
        ...impls.map((i) => _cell(by.get(i))),
        ...others.map((x) => _ratio(o, by.get(x))),
        c.floorMs !== undefined ? fmtMs(c.floorMs) : "—",
        _pct(o?.fractionOfPeak),
        o?.flopsPerS !== undefined ? (o.flopsPerS / 1e9).toFixed(2) : "—",
        o?.timing?.compileMs !== undefined ? fmtMs(o.timing.compileMs) : "—",
        diffs.join(", ") || "—",
      ],
    });
  }
  return { head, rows, notes };
}

/** A group's title ("Layers (batch 256, 101 steps)", ...; the group's name when unknown). */
export function groupTitle(group: string): string {
  return _TITLES[group] ?? group;
}

/** The Markdown table of one group. */
export function groupTable(g: GroupResults): string {
  const t = groupTableData(g);
  const head = ["benchmark", ...t.head];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`];
  for (const r of t.rows) {
    lines.push(`| ${[`${r.name}<br><sub>${r.shape}</sub>`, ...r.cells].join(" | ")} |`);
  }
  let out = lines.join("\n") + "\n";
  if (t.notes.length) out += `\n¹ Skipped:\n${t.notes.map((n) => `- ${n}`).join("\n")}\n`;
  return out;
}

/**
 * Regenerates the Markdown report from every group file in `out`, then `<out>/NOTES.md`
 * (the hand-written analysis of the latest full run) when present.
 * @param preamble text placed after the title (how to run, what limits each number)
 */
export async function writeResultsMd(out: string, mdPath: string, preamble = ""): Promise<string> {
  const groups = await readGroups(out);
  const parts = [
    `# quass benchmark results\n`,
    "_Generated by `deno task bench` (bench/report.ts) — do not edit by hand; see bench/README.md._\n",
  ];
  if (preamble) parts.push(preamble + "\n");
  for (const g of groups) {
    const i = g.info;
    parts.push(
      `## ${groupTitle(g.group)}${i.quick ? " — quick (smoke-test sizes)" : ""}\n`,
    );
    parts.push(
      `Measured ${i.date} on **${i.adapter}**; machine: ${i.machine}; Deno ${i.deno}; load average at start ${i.loadavg}.` +
        (i.tfjs ? ` tfjs ${i.tfjs.version}, flags ${JSON.stringify(i.tfjs.flags)}.` : "") +
        ` Peak (measured): ${
          i.peak.arithFlopsPerS === undefined
            ? `${(i.peak.flopsPerS / 1e9).toFixed(2)} GFLOP/s`
            : `${(i.peak.arithFlopsPerS / 1e9).toFixed(2)} GFLOP/s arithmetic (register FMA; ` +
              `our matmul ${(i.peak.flopsPerS / 1e9).toFixed(2)}; floors use the higher)`
        }, ${(i.peak.bytesPerS / 1e9).toFixed(2)} GB/s ` +
        `(${i.peak.note}).` +
        (i.merged ? ` Partial re-run: ${i.merged} kept (their floor used that run's peak).` : "") +
        "\n",
    );
    parts.push(groupTable(g));
  }
  parts.push(
    "\n## Caveats\n" +
      '- On a software adapter (Mesa llvmpipe/lavapipe) "GPU" kernels run on the CPU: llvmpipe uses all cores, ' +
      "tfjs-cpu uses one. Ratios measured here say nothing about a real GPU.\n" +
      "- Every timed run ends with one GPU wait (≥ 10 ms on llvmpipe, see `sync` in the peak note); times are per " +
      "iteration of runs that repeat the operation until they last ≥ 300 ms (≥ 30 ms with --quick).\n" +
      "- The development machine is shared: the load average above says how busy it was; min–max shows the spread.\n",
  );
  // The hand-written analysis of the latest full run (what limits each number), if any.
  try {
    parts.push("\n" + (await Deno.readTextFile(`${out}/NOTES.md`)).trim() + "\n");
  } catch { /* none */ }
  const text = parts.join("\n");
  await writeFileAtomic(mdPath, text);
  return mdPath;
}
