/**
 * The Metrics page's data: every evaluation report under the reports directory (one per
 * architecture or the analytic baseline), overlaid per-offset SSIM / PSNR, the comparison
 * table (the engine's compareReports), the regressions of the chosen report, and the
 * training curves of every run.
 * @module
 */
import { compareReports, type CompareRow, type MetricsFile, readMetrics } from "../eval/report.ts";
import { listReports, listRuns, readRun } from "./catalog.ts";
import { resolveUnder } from "./paths.ts";

/** One report as the page needs it. */
export interface ReportView {
  name: string;
  label: string;
  metrics: MetricsFile;
  figures: string[];
}

/** Everything the Metrics page shows. */
export interface MetricsView {
  reports: ReportView[];
  /** Reports that could not be read, with the reason. */
  problems: { name: string; problem: string }[];
  selected: string | null;
  /** Shared offsets of the per-offset curves (null when the reports disagree). */
  offsetsPpm: number[] | null;
  table: { offsetsPpm: number[]; rows: CompareRow[]; paper: Record<string, number> } | null;
  tableProblem?: string;
  training: {
    epochs: number[];
    runs: { name: string; train: (number | null)[]; val: (number | null)[] }[];
  };
}

/** A report's display name: its folder, or the method named in its sources. */
function _label(name: string, m: MetricsFile): string {
  if (name !== ".") return name;
  const src = m.sources?.pred ?? m.sources?.prediction;
  return typeof src === "string" ? src.split("/").at(-1)!.replace(/\.nii(\.gz)?$/, "") : "report";
}

/** Builds the page's data (never throws for one bad report: it is listed under problems). */
export async function metricsView(
  reportsDir: string,
  runsDir: string,
  selected: string | null,
): Promise<MetricsView> {
  const reports: ReportView[] = [];
  const problems: MetricsView["problems"] = [];
  for (const r of await listReports(reportsDir)) {
    if (!r.metrics && r.problem) {
      problems.push({ name: r.name, problem: r.problem });
      continue;
    }
    try {
      const dir = await resolveUnder(reportsDir, r.name === "." ? "" : r.name);
      const m = await readMetrics(`${dir}/metrics.json`);
      reports.push({ name: r.name, label: _label(r.name, m), metrics: m, figures: r.figures });
    } catch (e) {
      problems.push({ name: r.name, problem: (e as Error).message });
    }
  }
  const first = reports[0]?.metrics.offsetsPpm;
  const same = first &&
    reports.every((r) =>
      r.metrics.offsetsPpm.length === first.length &&
      r.metrics.offsetsPpm.every((o, i) => Math.abs(o - first[i]!) < 1e-6)
    );
  let table: MetricsView["table"] = null, tableProblem: string | undefined;
  if (reports.length) {
    try {
      table = compareReports(reports.map((r) => ({ name: r.label, metrics: r.metrics })))
        .json as MetricsView["table"];
    } catch (e) {
      tableProblem = (e as Error).message;
    }
  }
  const runs = [];
  const epochSet = new Set<number>();
  for (const s of await listRuns(runsDir)) {
    if (!s.epochs) continue;
    const r = await readRun(runsDir, s.name);
    r.log.forEach((l) => epochSet.add(l.epoch));
    runs.push(r);
  }
  const epochs = [...epochSet].sort((a, b) => a - b);
  const training = {
    epochs,
    runs: runs.map((r) => {
      const by = new Map(r.log.map((l) => [l.epoch, l]));
      return {
        name: `${r.name} (${r.architecture})`,
        train: epochs.map((e) => by.get(e)?.trainLoss ?? null),
        val: epochs.map((e) => by.get(e)?.valLoss ?? null),
      };
    }),
  };
  const sel = selected && reports.some((r) => r.name === selected)
    ? selected
    : reports[0]?.name ?? null;
  return {
    reports,
    problems,
    selected: sel,
    offsetsPpm: same ? first! : null,
    table,
    tableProblem,
    training,
  };
}
