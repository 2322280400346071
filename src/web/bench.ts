/**
 * The Bench page's data: the latest benchmark result files. A group file of `deno task
 * bench` (`{group, info, cases}`) becomes the same table as its section of RESULTS.md
 * (bench/report.ts's groupTableData: medians, ratios, floor, fraction of peak) with the
 * run's facts (adapter, machine, date); any other JSON is turned into tables (every array of
 * flat records found in it) with a bar chart of the most telling numeric column
 * (throughput if present, else time), plus the file's scalar facts.
 * @module
 */
import { type BenchFile, listBench } from "./catalog.ts";
import {
  type GroupResults,
  type GroupTableData,
  groupTableData,
  groupTitle,
} from "../../bench/report.ts";

/** A table extracted from a result file. */
export interface BenchTable {
  /** JSON path of the array, e.g. "results". */
  path: string;
  columns: string[];
  rows: Record<string, string | number | boolean | null>[];
  /** Column charted as bars (numeric), if any. */
  barColumn: string | null;
  /** Column naming each bar. */
  labelColumn: string | null;
}

/** One result file as shown. */
export interface BenchView {
  name: string;
  date: string | null;
  facts: [string, string][];
  tables: BenchTable[];
  /** For a group file of `deno task bench`: its title and table (no rows: no cases). */
  group?: { title: string; table: GroupTableData };
}

type Flat = Record<string, string | number | boolean | null>;

function _isFlatRecord(v: unknown): v is Flat {
  return typeof v === "object" && v !== null && !Array.isArray(v) &&
    Object.values(v).every((x) => x === null || ["string", "number", "boolean"].includes(typeof x));
}

const _THROUGHPUT = /(per_?s|perS|\/s|gflops|throughput|speed|samples|spectra)/i;
const _TIME = /(ms|_s$|S$|time|seconds|median)/;

/** Chooses the column to chart: throughput first, then time, then any number. */
export function pickBarColumn(columns: string[], rows: Flat[]): string | null {
  const numeric = columns.filter((c) => rows.some((r) => typeof r[c] === "number"));
  return numeric.find((c) => _THROUGHPUT.test(c)) ?? numeric.find((c) => _TIME.test(c)) ??
    numeric[0] ?? null;
}

/** Finds arrays of flat records in `v` (depth ≤ 3) and scalar facts at the top level. */
export function benchTables(v: unknown): { facts: [string, string][]; tables: BenchTable[] } {
  const tables: BenchTable[] = [];
  const facts: [string, string][] = [];
  const walk = (x: unknown, path: string, depth: number) => {
    if (Array.isArray(x)) {
      if (x.length && x.every(_isFlatRecord)) {
        const columns = [...new Set(x.flatMap((r) => Object.keys(r)))];
        const labelColumn = columns.find((c) => x.some((r) => typeof r[c] === "string")) ?? null;
        tables.push({
          path: path || "(root)",
          columns,
          rows: x,
          barColumn: pickBarColumn(columns, x),
          labelColumn,
        });
      }
      return;
    }
    if (typeof x === "object" && x !== null && depth < 3) {
      for (const [k, val] of Object.entries(x)) {
        if (depth === 0 && (val === null || ["string", "number", "boolean"].includes(typeof val))) {
          facts.push([k, String(val)]);
        } else if (depth === 0 && _isFlatRecord(val) && Object.keys(val).length <= 12) {
          for (const [k2, v2] of Object.entries(val)) facts.push([`${k}.${k2}`, String(v2)]);
        } else walk(val, path ? `${path}.${k}` : k, depth + 1);
      }
    }
  };
  walk(v, "", 0);
  return { facts, tables };
}

/** True for the content of a `deno task bench` group file (`{group, info, cases: [...]}`). */
export function isGroupResults(v: unknown): v is GroupResults {
  const o = v as Partial<GroupResults> | null;
  return typeof o === "object" && o !== null && typeof o.group === "string" &&
    Array.isArray(o.cases) && o.cases.every((c) => Array.isArray(c?.results));
}

/** One result file as a view (a group file as its table, anything else as found tables). */
export function fileView(f: BenchFile): BenchView {
  if (!isGroupResults(f.content)) {
    return { name: f.name, date: f.date, ...benchTables(f.content) };
  }
  const g = f.content;
  return {
    name: f.name,
    date: f.date,
    facts: benchTables(g.info ?? {}).facts,
    tables: [],
    group: { title: groupTitle(g.group), table: groupTableData(g) },
  };
}

/** The newest `limit` result files as views. */
export async function benchView(benchDir: string, limit = 8): Promise<BenchView[]> {
  const files: BenchFile[] = (await listBench(benchDir)).slice(0, limit);
  return files.map(fileView);
}
