/**
 * What the dashboard lists: trained runs (`runs/NAME/`), datasets (`*.safetensors`),
 * phantoms (folders of NIfTI files), evaluation reports (`metrics.json`) and benchmark
 * results (`*.json`). Only reads under the configured directories; a missing directory
 * is an empty list, a malformed file is listed with its problem instead of failing the page.
 * @module
 */
import { checkName, PathError, resolveUnder, SAFE_NAME } from "./paths.ts";
import { PRESET_VALUES, PRESETS } from "../nn/presets.ts";

/** One training epoch from `log.jsonl`. */
export interface EpochLog {
  epoch: number;
  trainLoss?: number;
  valLoss?: number;
  /** Seconds since the start of training, when logged. */
  timeS?: number;
}

/** Summary of a run directory. */
export interface RunSummary {
  name: string;
  architecture: string;
  preset: string;
  dataset: string;
  bestValLoss: number | null;
  epochs: number;
  /** ISO date of the last write of the weights (or the config). */
  date: string | null;
  hasWeights: boolean;
  /** T1-informed model (`model.input.kind` "formula"): predicting needs the water T1. */
  t1Informed: boolean;
  problem?: string;
}

/** A run with its config and loss curve. */
export interface RunDetail extends RunSummary {
  config: Record<string, unknown>;
  log: EpochLog[];
}

function _num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** The first present value among `keys` (dotted paths reach into nested objects). */
function _pick(o: Record<string, unknown>, keys: string[]): unknown {
  for (const k of keys) {
    let v: unknown = o;
    for (const part of k.split(".")) {
      v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[part] : undefined;
    }
    if (v !== undefined && v !== null) return v;
  }
  return undefined;
}

/** The preset whose model sizes and main training settings match the config ("custom" if none). */
export function inferPreset(config: Record<string, unknown>): string {
  const m = config.model as Record<string, unknown> | undefined;
  const t = config.train as Record<string, unknown> | undefined;
  if (!m || !t) return "—";
  for (const name of PRESETS) {
    const p = PRESET_VALUES[name];
    if (
      p.model.hidden === m.hidden && p.model.embed === m.embed && p.model.heads === m.heads &&
      p.train.lr === t.lr && p.train.batch === t.batch
    ) return name;
  }
  return "custom";
}

function _str(v: unknown): string {
  return typeof v === "string" ? v : v === undefined ? "—" : JSON.stringify(v);
}

/** Parses `log.jsonl` (one JSON object per epoch); tolerant of snake/camel case keys. */
export function parseTrainingLog(text: string): EpochLog[] {
  const out: EpochLog[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line);
    } catch {
      continue; // a half-written last line while training is running
    }
    if (typeof o !== "object" || o === null) continue;
    const epoch = _num(_pick(o, ["epoch", "ep"]));
    if (epoch === undefined) continue;
    out.push({
      epoch,
      trainLoss: _num(_pick(o, ["trainLoss", "train_loss", "train", "loss"])),
      valLoss: _num(_pick(o, ["valLoss", "val_loss", "validationLoss", "val"])),
      timeS: _num(_pick(o, ["time", "elapsedS", "elapsed_s", "timeS", "time_s"])),
    });
  }
  return out;
}

async function _readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/** A JSON file of a run or report folder: its value, or why there is none. */
async function _readJson(
  dir: string,
  file: string,
): Promise<{ value: unknown; problem?: undefined } | { value?: undefined; problem: string }> {
  const text = await _readText(`${dir}/${file}`);
  if (text === undefined) return { problem: `no ${file}` };
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { problem: `${file} is not valid JSON (${(e as Error).message})` };
  }
}

async function _dirs(root: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(root)) {
      if (e.isDirectory && !e.name.startsWith(".")) out.push(e.name);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  return out.sort();
}

/** True when a run's config describes a T1-informed model (`model.input.kind` "formula"). */
export function isT1Informed(config: Record<string, unknown>): boolean {
  return _pick(config, ["model.input.kind"]) === "formula";
}

/** Reads one run directory (name checked; must lie under `runsDir`). */
export async function readRun(runsDir: string, name: string): Promise<RunDetail> {
  checkName(name, "run");
  const dir = await resolveUnder(runsDir, name);
  const { value, problem } = await _readJson(dir, "config.json");
  const config = (problem === undefined ? value : {}) as Record<string, unknown>;
  const log = parseTrainingLog((await _readText(`${dir}/log.jsonl`)) ?? "");
  const vals = log.map((l) => l.valLoss).filter((v): v is number => v !== undefined);
  let date: string | null = null, hasWeights = false;
  try {
    const st = await Deno.stat(`${dir}/model.safetensors`);
    hasWeights = true;
    date = st.mtime?.toISOString() ?? null;
  } catch { /* not trained yet */ }
  if (!date) date = (await Deno.stat(dir).catch(() => null))?.mtime?.toISOString() ?? null;
  const data = _pick(config, ["data", "dataset", "train.data", "dataPath"]);
  return {
    name,
    architecture: _str(_pick(config, ["model.arch", "arch", "architecture"])),
    preset: typeof config.preset === "string" ? config.preset : inferPreset(config),
    dataset: typeof data === "string" ? data.split("/").at(-1)! : _str(data),
    bestValLoss: vals.length
      ? Math.min(...vals)
      : (_num(_pick(config, ["bestValLoss", "best_val_loss"])) ?? null),
    epochs: log.length,
    date,
    hasWeights,
    t1Informed: isT1Informed(config),
    problem,
    config,
    log,
  };
}

/** Every run under `runsDir`, newest first. */
export async function listRuns(runsDir: string): Promise<RunSummary[]> {
  const out: RunSummary[] = [];
  for (const name of await _dirs(runsDir)) {
    try {
      const { config: _c, log: _l, ...s } = await readRun(runsDir, name);
      out.push(s);
    } catch (e) {
      if (e instanceof PathError) continue; // e.g. a symlink pointing outside
      out.push({
        name,
        architecture: "—",
        preset: "—",
        dataset: "—",
        bestValLoss: null,
        epochs: 0,
        date: null,
        hasWeights: false,
        t1Informed: false,
        problem: (e as Error).message,
      });
    }
  }
  return out.sort((a, b) => (b.date ?? "").localeCompare(a.date ?? ""));
}

/** The shipped pretrained model, as the Predict page and the home page show it. */
export interface PretrainedSummary {
  /** The folder's name (e.g. quass-7t-cw). */
  name: string;
  architecture: string;
  t1Informed: boolean;
}

/**
 * The pretrained model folder `dir` (config.json + model.safetensors), or null when it has
 * no weights (not installed) or an unreadable config.
 */
export async function readPretrained(dir: string): Promise<PretrainedSummary | null> {
  const d = dir.replace(/\/+$/, "");
  try {
    if (!(await Deno.stat(`${d}/model.safetensors`)).isFile) return null;
    const config = JSON.parse(await Deno.readTextFile(`${d}/config.json`));
    if (typeof config !== "object" || config === null) return null;
    return {
      name: d.split("/").at(-1)!,
      architecture: _str(_pick(config, ["model.arch", "arch", "architecture"])),
      t1Informed: isT1Informed(config),
    };
  } catch {
    return null;
  }
}

/** A dataset file. */
export interface DatasetSummary {
  name: string;
  sizeBytes: number;
  /** Number of spectra (from the `input` tensor's shape). */
  n: number | null;
  metadata: Record<string, string>;
}

/** Reads only the safetensors header (datasets can be hundreds of MB). */
export async function readSafetensorsHeader(path: string): Promise<Record<string, unknown>> {
  const f = await Deno.open(path);
  try {
    const len = new Uint8Array(8);
    if ((await f.read(len)) !== 8) throw new Error("shorter than 8 bytes");
    const n = Number(new DataView(len.buffer).getBigUint64(0, true));
    if (n > 100 << 20) throw new Error(`header length ${n} is implausible`);
    const buf = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const r = await f.read(buf.subarray(o));
      if (r === null) throw new Error("truncated header");
      o += r;
    }
    return JSON.parse(new TextDecoder().decode(buf));
  } finally {
    f.close();
  }
}

/** `*.safetensors` datasets directly under `dataDir` (and one level down). */
export async function listDatasets(dataDir: string): Promise<DatasetSummary[]> {
  const out: DatasetSummary[] = [];
  const files: string[] = [];
  try {
    for await (const e of Deno.readDir(dataDir)) {
      if (e.isFile && e.name.endsWith(".safetensors")) files.push(e.name);
      if (e.isDirectory && !e.name.startsWith(".")) {
        for await (const f of Deno.readDir(`${dataDir}/${e.name}`)) {
          if (f.isFile && f.name.endsWith(".safetensors")) files.push(`${e.name}/${f.name}`);
        }
      }
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  for (const name of files.sort()) {
    try {
      const path = await resolveUnder(dataDir, name);
      const hdr = await readSafetensorsHeader(path);
      const input = hdr["input"] as { shape?: number[] } | undefined;
      out.push({
        name,
        sizeBytes: (await Deno.stat(path)).size,
        n: input?.shape?.[0] ?? null,
        metadata: (hdr["__metadata__"] ?? {}) as Record<string, string>,
      });
    } catch { /* not a dataset we can read: leave it out */ }
  }
  return out;
}

/** A folder under `dataDir` holding a phantom or scan (NIfTI files). */
export interface PhantomSummary {
  name: string;
  files: string[];
}

/**
 * Folders under `dataDir` that contain `.nii`/`.nii.gz` files; folders whose names are not
 * plain names (SAFE_NAME: they could not be chosen for a prediction) or cannot be read are
 * left out.
 */
export async function listPhantoms(dataDir: string): Promise<PhantomSummary[]> {
  const out: PhantomSummary[] = [];
  for (const name of await _dirs(dataDir)) {
    if (!SAFE_NAME.test(name)) continue;
    const files: string[] = [];
    try {
      for await (const f of Deno.readDir(`${dataDir}/${name}`)) {
        if (f.isFile && /\.nii(\.gz)?$/.test(f.name)) files.push(f.name);
      }
    } catch {
      continue;
    }
    if (files.length) out.push({ name, files: files.sort() });
  }
  return out;
}

/** An evaluation report folder. */
export interface ReportSummary {
  /** Path under reportsDir ("." for a report directly in it). */
  name: string;
  date: string | null;
  figures: string[];
  metrics: Record<string, unknown> | null;
  problem?: string;
}

/** Reads `metrics.json` of one report (name: "." or a folder under reportsDir). */
export async function readReport(reportsDir: string, name: string): Promise<ReportSummary> {
  if (name !== ".") checkName(name, "report");
  const dir = await resolveUnder(reportsDir, name === "." ? "" : name);
  const figures: string[] = [];
  for await (const f of Deno.readDir(dir)) {
    if (f.isFile && /\.(png|svg)$/.test(f.name)) figures.push(f.name);
  }
  const { value, problem } = await _readJson(dir, "metrics.json");
  const metrics = (problem === undefined ? value : null) as Record<string, unknown> | null;
  const st = await Deno.stat(`${dir}/metrics.json`).catch(() => null);
  return {
    name,
    date: st?.mtime?.toISOString() ?? null,
    figures: figures.sort(),
    metrics,
    problem,
  };
}

/**
 * Reports under `reportsDir`: the directory itself and each sub-folder with a metrics.json.
 * Never fails for one folder: a name that is not a plain name (e.g. with a space) or a
 * folder that cannot be read is listed with its problem and no metrics; one that resolves
 * outside is left out.
 */
export async function listReports(reportsDir: string): Promise<ReportSummary[]> {
  const out: ReportSummary[] = [];
  const names = [".", ...await _dirs(reportsDir)];
  for (const name of names) {
    try {
      await Deno.stat(`${reportsDir}/${name === "." ? "" : name + "/"}metrics.json`);
    } catch {
      continue;
    }
    const unlisted = (problem: string) =>
      out.push({ name, date: null, figures: [], metrics: null, problem });
    if (name !== "." && !SAFE_NAME.test(name)) {
      unlisted(
        "the folder name has characters other than letters, digits, '.', '_' and '-'; rename it to show this report",
      );
      continue;
    }
    try {
      out.push(await readReport(reportsDir, name));
    } catch (e) {
      if (!(e instanceof PathError)) unlisted((e as Error).message);
    }
  }
  return out;
}

/** One benchmark result file. */
export interface BenchFile {
  name: string;
  date: string | null;
  content: unknown;
}

/** `*.json` files in `benchDir`, newest first. */
export async function listBench(benchDir: string): Promise<BenchFile[]> {
  const out: BenchFile[] = [];
  try {
    for await (const e of Deno.readDir(benchDir)) {
      if (!e.isFile || !e.name.endsWith(".json")) continue;
      const path = await resolveUnder(benchDir, e.name).catch(() => null);
      if (!path) continue;
      try {
        const st = await Deno.stat(path);
        out.push({
          name: e.name,
          date: st.mtime?.toISOString() ?? null,
          content: JSON.parse(await Deno.readTextFile(path)),
        });
      } catch { /* skip unreadable JSON */ }
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  return out.sort((a, b) => (b.date ?? "").localeCompare(a.date ?? ""));
}
