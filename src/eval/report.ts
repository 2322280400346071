/**
 * Evaluation reports: `metrics.json`, `summary.md` (the paper-style table next to the
 * paper's values) and the figures as SVG + PNG; and the multi-model comparison table for
 * `quass compare`.
 * @module
 */
import { writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";
import {
  type Evaluation,
  type EvaluationResult,
  evaluationSummary,
  type Volume4D,
} from "./evaluate.ts";
import { imageGridSvg, metricsCurvesSvg, regressionSvg, spectraSvg } from "./figures.ts";
import { canRasterise, svgToPng } from "./svg.ts";

/**
 * The paper's numbers for the LSTM-attention network on in vivo rat brain data (Ts 1.5 s
 * input → QUASS): R² of the six regressions (all ≥ 0.9748), mean SSIM, PSNR (dB), MSE.
 */
export const PAPER_VALUES = { r2Min: 0.9748, ssim: 0.9991, psnr: 49.67, mse: 1.68e-4 } as const;

/** The content of `metrics.json`. */
export interface MetricsFile extends EvaluationResult {
  format: "quass-metrics";
  version: 1;
  createdAt: string;
  /** Where the volumes came from (paths or names). */
  sources: Record<string, string>;
  paper: typeof PAPER_VALUES;
}

/** Inputs of {@link writeReport}. */
export interface ReportInput {
  evaluation: Evaluation;
  pred: Volume4D;
  reference: Volume4D;
  input?: Volume4D;
  /** Paths or names of the volumes (pred, reference, mask, input ...). */
  sources?: Record<string, string>;
  /** A title for the summary (e.g. the model name). */
  title?: string;
  /**
   * The protocol the reference holds, in words ("Ts 5 s / Td 1 s", "steady state"): the
   * summary says what the scores are against (see {@link sidecarProtocol}).
   */
  referenceProtocol?: string;
  /** Lines added under the sources (e.g. {@link targetMismatch}'s warning). */
  notes?: string[];
  /** z-slice for the image grid (default the middle one). */
  slice?: number;
}

/** What {@link writeReport} wrote. */
export interface ReportFiles {
  files: string[];
  /** Problems that did not stop the report (e.g. no font for PNGs: SVGs only). */
  warnings: string[];
}

/** JSON.stringify with non-finite numbers as null (PSNR of identical images is +∞). */
function _json(v: unknown): string {
  return JSON.stringify(
    v,
    (_k, x) => (typeof x === "number" && !Number.isFinite(x) ? null : x),
    2,
  ) + "\n";
}

function _num(v: number | null | undefined, digits = 4): string {
  if (v === null || v === undefined || Number.isNaN(v)) return "n/a";
  if (v === Infinity) return "∞";
  if (Math.abs(v) !== 0 && Math.abs(v) < 1e-2) return v.toExponential(digits - 2);
  return v.toFixed(digits);
}

function _ppm(v: number): string {
  return `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(2)}`;
}

/**
 * The protocol a volume's sidecar records, in words: "steady state" for tsS "inf",
 * "Ts 5 s / Td 1 s" (Td when recorded), or undefined when the sidecar has no tsS.
 */
export function sidecarProtocol(side: { tsS?: number; tdS?: number } | null): string | undefined {
  if (side?.tsS === undefined) return undefined;
  if (side.tsS === Infinity) return "steady state";
  return `Ts ${side.tsS} s${side.tdS !== undefined ? ` / Td ${side.tdS} s` : ""}`;
}

/**
 * A warning when a prediction and its reference are for different protocols (scores are
 * then not like for like: a Ts 5 s prediction against the steady state, or the converse), or
 * undefined when they match or either is unknown.
 */
export function targetMismatch(
  pred: { tsS?: number; tdS?: number } | null,
  reference: { tsS?: number; tdS?: number } | null,
): string | undefined {
  const p = sidecarProtocol(pred), r = sidecarProtocol(reference);
  if (p === undefined || r === undefined) return undefined;
  const same = (a?: number, b?: number) =>
    a === undefined || b === undefined || a === b ||
    Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  const steady = pred!.tsS === Infinity || reference!.tsS === Infinity;
  if (same(pred!.tsS, reference!.tsS) && (steady || same(pred!.tdS, reference!.tdS))) {
    return undefined;
  }
  return `the prediction is for ${p} but the reference is ${r}: the scores are not like for like (compare with the reference of the prediction's own target)`;
}

/** The paper-style markdown table of one evaluation (with the paper's values alongside). */
export function summaryTable(m: EvaluationResult): string {
  const rows: string[] = [
    "| metric | this evaluation | paper |",
    "| --- | ---: | ---: |",
  ];
  for (const r of m.regressions) {
    const used = Math.abs(r.offsetPpm - r.requestedPpm) > 1e-9
      ? ` (nearest: ${_ppm(r.offsetPpm)})`
      : "";
    rows.push(
      `| R² at ${_ppm(r.requestedPpm)} ppm${used} (slope ${_num(r.slope, 3)}, intercept ${
        _num(r.intercept, 3)
      }) | ${_num(r.r2)} | ≥ ${PAPER_VALUES.r2Min} |`,
    );
  }
  rows.push(`| mean SSIM | ${_num(m.mean.ssim)} | ${PAPER_VALUES.ssim} |`);
  rows.push(`| mean PSNR (dB, data range 1) | ${_num(m.mean.psnr, 2)} | ${PAPER_VALUES.psnr} |`);
  rows.push(`| mean MSE | ${_num(m.mean.mse, 3)} | ${PAPER_VALUES.mse.toExponential(2)} |`);
  rows.push(`| masked MAE (Z) | ${_num(m.mean.mae, 3)} | — |`);
  if (m.inputMae !== undefined) {
    rows.push(`| masked MAE of the input vs reference (Z) | ${_num(m.inputMae, 3)} | — |`);
  }
  return rows.join("\n");
}

/**
 * Writes `metrics.json`, `summary.md` and the figures (`ssim_psnr`, `regression`,
 * `images`, `spectra` as .svg and .png) into `outDir`. Every file is written atomically.
 * @returns the files written and any warnings (PNGs are skipped with a warning when no
 *   font is installed; the SVGs are always written)
 */
export async function writeReport(outDir: string, r: ReportInput): Promise<ReportFiles> {
  const ev = r.evaluation;
  const files: string[] = [], warnings: string[] = [];
  await Deno.mkdir(outDir, { recursive: true });
  const put = async (name: string, data: string | Uint8Array) => {
    await writeFileAtomic(`${outDir}/${name}`, data);
    files.push(`${outDir}/${name}`);
  };
  const metrics: MetricsFile = {
    format: "quass-metrics",
    version: 1,
    createdAt: new Date().toISOString(),
    sources: {
      ...r.sources,
      ...(r.referenceProtocol ? { referenceProtocol: r.referenceProtocol } : {}),
    },
    ...evaluationSummary(ev),
    paper: PAPER_VALUES,
  };
  const figures: [string, string][] = [
    [
      "ssim_psnr",
      metricsCurvesSvg(ev, r.title ? `${r.title}: SSIM and PSNR per offset` : undefined),
    ],
    [
      "regression",
      regressionSvg(
        ev,
        r.pred,
        r.reference,
        r.title ? `${r.title}: prediction vs reference` : undefined,
      ),
    ],
    [
      "images",
      imageGridSvg(ev, { pred: r.pred, reference: r.reference, input: r.input }, {
        slice: r.slice,
      }),
    ],
    ["spectra", spectraSvg(ev)],
  ];
  const png = await canRasterise();
  if (!png) {
    warnings.push(
      "no TrueType font found: wrote SVG figures only (install fonts-dejavu-core for PNGs)",
    );
  }
  for (const [name, svg] of figures) {
    await put(`${name}.svg`, svg);
    if (png) await put(`${name}.png`, await svgToPng(svg));
  }
  const md = [
    `# ${r.title ?? "Evaluation"}`,
    "",
    ...Object.entries(r.sources ?? {}).map(([k, v]) => `- ${k}: \`${v}\``),
    ...(r.referenceProtocol ? [`- scored against: the ${r.referenceProtocol} reference`] : []),
    ...(r.notes ?? []).map((n) => `- ${n}`),
    `- volume [x, y, z, offsets]: [${ev.dims.join(", ")}], ${ev.maskVoxels} masked voxels` +
    (ev.nonFiniteVoxels ? ` (${ev.nonFiniteVoxels} left out: NaN/Inf)` : ""),
    "",
    summaryTable(ev),
    "",
    `Paper: LSTM-attention, in vivo rat brain at 7 T, Ts 1.5 s input → QUASS. Conventions here: ${ev.conventions}.`,
    "",
    ...figures.map(([name]) => `![${name}](${name}.${png ? "png" : "svg"})`),
    "",
  ].join("\n");
  await put("metrics.json", _json(metrics));
  await put("summary.md", md);
  return { files, warnings };
}

/**
 * Reads a `metrics.json` written by {@link writeReport}.
 * @throws InputError when the file is missing or not a quass metrics file
 */
export async function readMetrics(path: string): Promise<MetricsFile> {
  let obj: MetricsFile;
  try {
    obj = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new InputError(`${path}: file not found (run quass evaluate first)`);
    }
    throw new InputError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (obj?.format !== "quass-metrics" || !Array.isArray(obj.regressions) || !obj.mean) {
    throw new InputError(`${path}: not a quass metrics.json (missing "format": "quass-metrics")`);
  }
  return obj;
}

/** One model in a comparison. */
export interface CompareEntry {
  /** Row name: architecture or "analytic QUASS → …". */
  name: string;
  /**
   * What the row predicts, in words ("Ts 5 s / Td 1 s", "steady state", "— (uncorrected
   * floor)"); when any entry has one the table gets a "predicts" column.
   */
  target?: string;
  metrics: EvaluationResult;
}

/** A comparison row in JSON. */
export interface CompareRow {
  name: string;
  /** What the row predicts (see {@link CompareEntry.target}), when given. */
  target?: string;
  r2: (number | null)[];
  ssim: number | null;
  psnr: number | null;
  mse: number | null;
  mae: number | null;
}

/**
 * The table across models evaluated on the same phantom against one reference (the paper's
 * Figures 6–8 as numbers): what each row predicts (when the entries say), R² at the
 * regression offsets, mean SSIM, PSNR, MSE and masked MAE, best value per column in bold,
 * the paper's row last. Put only rows that predict the reference's protocol (plus the
 * uncorrected input as a floor) in one table: the bold marks are comparisons.
 * @throws TypeError when the entries were evaluated at different regression offsets
 */
export function compareReports(
  entries: CompareEntry[],
): {
  markdown: string;
  json: { offsetsPpm: number[]; rows: CompareRow[]; paper: typeof PAPER_VALUES };
} {
  if (!entries.length) throw new TypeError("compareReports() needs at least one entry");
  const offs = entries[0]!.metrics.regressions.map((r) => r.requestedPpm);
  for (const e of entries) {
    const o = e.metrics.regressions.map((r) => r.requestedPpm);
    if (o.length !== offs.length || o.some((v, i) => v !== offs[i])) {
      throw new TypeError(
        `"${e.name}" has regressions at [${o}] ppm but "${entries[0]!.name}" at [${offs}] ppm`,
      );
    }
  }
  const f = (v: number) => (Number.isFinite(v) ? v : null);
  const withTarget = entries.some((e) => e.target !== undefined);
  const rows: CompareRow[] = entries.map((e) => ({
    name: e.name,
    ...(e.target !== undefined ? { target: e.target } : {}),
    r2: e.metrics.regressions.map((r) => f(r.r2)),
    ssim: f(e.metrics.mean.ssim),
    psnr: f(e.metrics.mean.psnr),
    mse: f(e.metrics.mean.mse),
    mae: f(e.metrics.mean.mae),
  }));
  // which value is best in each column (max for R², SSIM, PSNR; min for MSE, MAE)
  const cols: { get: (r: CompareRow) => number | null; max: boolean; digits: number }[] = [
    ...offs.map((_, i) => ({ get: (r: CompareRow) => r.r2[i] ?? null, max: true, digits: 4 })),
    { get: (r) => r.ssim, max: true, digits: 4 },
    { get: (r) => r.psnr, max: true, digits: 2 },
    { get: (r) => r.mse, max: false, digits: 3 },
    { get: (r) => r.mae, max: false, digits: 3 },
  ];
  const best = cols.map((c) => {
    const vals = rows.map(c.get).filter((v): v is number => v !== null);
    return vals.length ? (c.max ? Math.max(...vals) : Math.min(...vals)) : null;
  });
  const header = `| model |${withTarget ? " predicts |" : ""} ${
    offs.map((o) => `R² ${_ppm(o)} ppm`).join(" | ")
  } | SSIM | PSNR (dB) | MSE | MAE |`;
  const lines = [header, `| --- |${withTarget ? " --- |" : ""}${" ---: |".repeat(cols.length)}`];
  for (const r of rows) {
    const cells = cols.map((c, i) => {
      const v = c.get(r), s = _num(v, c.digits);
      return v !== null && rows.length > 1 && v === best[i] ? `**${s}**` : s;
    });
    lines.push(`| ${r.name} |${withTarget ? ` ${r.target ?? "—"} |` : ""} ${cells.join(" | ")} |`);
  }
  lines.push(
    `| paper (LSTM-attention, in vivo) |${withTarget ? " — (published, in vivo) |" : ""} ${
      offs.map(() => `≥ ${PAPER_VALUES.r2Min}`).join(" | ")
    } | ${PAPER_VALUES.ssim} | ${PAPER_VALUES.psnr} | ${PAPER_VALUES.mse.toExponential(2)} | — |`,
  );
  return {
    markdown: lines.join("\n") + "\n",
    json: { offsetsPpm: offs, rows, paper: PAPER_VALUES },
  };
}
