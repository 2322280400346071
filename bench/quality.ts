/**
 * `deno task bench quality`: QUASS quality on the unseen suite phantoms
 * (src/data/suite_phantoms.ts, scored by src/eval/quality_suite.ts).
 *
 *     deno task bench quality [--model DIR]... [--quick] [--phantoms human-axial,tumour,vials]
 *       [--snrs inf,200,100,50] [--size 64] [--cache bench/quality/phantoms]
 *       [--out bench/results] [--md bench/QUALITY.md]
 *       [--archs DATA.safetensors [--budget-epochs 10] [--batch N] [--preset default]
 *        [--arch-list mlp,...] [--runs bench/quality/runs]]
 *
 * Methods: every `--model` run (default `models/quass-7t-cw` when it exists), the runs
 * trained by `--archs`, the analytic formula (true T1, nominal B1) and the uncorrected input.
 * Writes `<out>/quality.json` and the Markdown report atomically.
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { InputError } from "../src/util/errors.ts";
import { runWithErrorPolicy } from "../src/cli/run.ts";
import { exists } from "../src/util/atomic.ts";
import { describeGpu, getGpu } from "../src/gpu/device.ts";
import { loadSuitePhantom, SUITE_PHANTOMS, SUITE_SNRS } from "../src/data/suite_phantoms.ts";
import {
  formulaMethod,
  inputMethod,
  networkMethod,
  type QualityMethod,
  qualityReport,
  runQualitySuite,
  type SuiteCase,
  suiteCase,
  writeQualityReport,
} from "../src/eval/quality_suite.ts";
import { loadRunPredictor } from "../src/eval/run_predictor.ts";
import { trainArchRuns } from "../src/eval/quality_archs.ts";
import type { ConfigOverrides, PresetName } from "../src/nn/presets.ts";
import { isLrSchedule, LR_SCHEDULES } from "../src/nn/schedule.ts";
import { parseSnrRange } from "../src/cli/train.ts";
import { parseNonNegative, parsePositive } from "../src/cli/_args.ts";

/** The default model, used when it exists. */
export const DEFAULT_MODEL_DIR = "models/quass-7t-cw";

/** Options of {@link runQuality}. */
export interface QualityOptions {
  models: string[];
  quick: boolean;
  phantoms: string[];
  snrs: number[];
  size: number;
  cacheDir: string;
  out: string;
  md: string;
  archsData?: string;
  budgetEpochs: number;
  batch?: number;
  preset: string;
  archList?: string[];
  runsDir: string;
  /** The --archs runs are T1-informed. */
  formulaInput: boolean;
  /** Shared settings of the --archs runs. */
  overrides: ConfigOverrides;
}

function _inputKind(v: string | undefined): boolean {
  if (v === undefined || v === "spectrum") return false;
  if (v === "formula") return true;
  throw new InputError(`--input must be spectrum or formula, found "${v}"`);
}

function _archOverrides(
  o: { lr?: string; schedule?: string; snr?: string; cleanFraction?: string },
): ConfigOverrides {
  const ov: ConfigOverrides = {};
  if (o.lr !== undefined) ov.lr = parsePositive("--lr", o.lr);
  if (o.schedule !== undefined) {
    if (!isLrSchedule(o.schedule)) {
      throw new InputError(`--schedule must be one of ${LR_SCHEDULES.join(", ")}`);
    }
    ov.lrSchedule = o.schedule;
  }
  if (o.snr !== undefined) [ov.snrMin, ov.snrMax] = parseSnrRange(o.snr);
  if (o.cleanFraction !== undefined) {
    ov.cleanFraction = parseNonNegative("--clean-fraction", o.cleanFraction);
  }
  return ov;
}

function _int(flag: string, v: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    throw new InputError(`${flag} must be an integer ≥ ${min}, found "${v}"`);
  }
  return n;
}

function _snrs(v: string): number[] {
  return v.split(",").map((s) => s.trim()).map((s) => {
    const x = /^(inf|∞|infinity)$/i.test(s) ? Infinity : Number(s);
    if (!(x > 0)) throw new InputError(`--snrs: "${s}" is not a positive SNR (or inf)`);
    return x;
  });
}

/** Parses the flags after `quality`. */
export function parseQualityArgs(args: string[]): QualityOptions {
  const cmd = new Command("bench quality")
    .exitOverride()
    .description("QUASS quality on the unseen suite phantoms")
    .option("--model <dir>", "trained run directory (repeatable)", (v, acc: string[]) => [
      ...acc,
      v,
    ], [] as string[])
    .option("--quick", "smoke test: one small phantom (vials 24×24), SNR ∞ and 100", false)
    .option("--phantoms <list>", `comma-separated subset of ${SUITE_PHANTOMS.join(",")}`)
    .option("--snrs <list>", "comma-separated SNRs (inf = noiseless); default inf,200,100,50")
    .option("--size <n>", "matrix size of the phantoms (default 64; 24 with --quick)")
    .option("--cache <dir>", "cache of simulated phantoms", "bench/quality/phantoms")
    .option(
      "--out <dir>",
      "results directory (default bench/results, bench/results/quick with --quick)",
    )
    .option(
      "--md <file>",
      "Markdown report (default bench/QUALITY.md, <out>/QUALITY.md with --quick)",
    )
    .option("--archs <data>", "train the six architectures on this dataset and add them")
    .option("--budget-epochs <n>", "epochs of every --archs run", "10")
    .option("--batch <n>", "mini-batch of every --archs run (default: the preset's)")
    .option("--preset <name>", "size preset of the --archs runs", "default")
    .option("--arch-list <list>", "subset of the architectures for --archs")
    .option("--runs <dir>", "folder of the --archs runs", "bench/quality/runs")
    .option("--input <kind>", "input of the --archs runs: spectrum (default) or formula")
    .option("--lr <x>", "learning rate of the --archs runs (default: the preset's)")
    .option("--schedule <name>", "learning-rate schedule of the --archs runs (constant, cosine)")
    .option("--snr <min:max>", "Rician augmentation of the --archs runs (as quass train --snr)")
    .option("--clean-fraction <f>", "with --snr: fraction of clean spectra");
  cmd.parse(args, { from: "user" });
  const o = cmd.opts();
  const phantoms = o.phantoms
    ? o.phantoms.split(",").map((s) => s.trim())
    : o.quick
    ? ["vials"]
    : [...SUITE_PHANTOMS];
  for (const p of phantoms) {
    if (!(SUITE_PHANTOMS as readonly string[]).includes(p)) {
      throw new InputError(`--phantoms: unknown phantom "${p}"; use ${SUITE_PHANTOMS.join(",")}`);
    }
  }
  const out = o.out ?? (o.quick ? "bench/results/quick" : "bench/results");
  return {
    models: o.model,
    quick: o.quick,
    phantoms,
    snrs: o.snrs ? _snrs(o.snrs) : o.quick ? [Infinity, 100] : [...SUITE_SNRS],
    size: o.size ? _int("--size", o.size, 8) : o.quick ? 24 : 64,
    cacheDir: o.cache,
    out,
    md: o.md ?? (o.quick ? `${out}/QUALITY.md` : "bench/QUALITY.md"),
    archsData: o.archs,
    budgetEpochs: _int("--budget-epochs", o.budgetEpochs),
    batch: o.batch ? _int("--batch", o.batch) : undefined,
    preset: o.preset,
    archList: o.archList?.split(",").map((s) => s.trim()),
    runsDir: o.runs,
    formulaInput: _inputKind(o.input),
    overrides: _archOverrides(o),
  };
}

/** Runs the suite and writes the reports; returns the paths written. */
export async function runQuality(o: QualityOptions): Promise<{ json: string; md: string }> {
  const log = (s: string) => console.error(s);
  const { info } = await getGpu();
  log(`quality: on ${describeGpu(info)}; phantoms ${o.phantoms.join(", ")}, size ${o.size}`);
  const models = [...o.models];
  if (!models.length && await exists(DEFAULT_MODEL_DIR)) models.push(DEFAULT_MODEL_DIR);
  for (const m of models) {
    if (!await exists(m)) {
      throw new InputError(
        `--model ${m}: no such run directory; give a folder with model.safetensors`,
      );
    }
  }
  if (o.archsData) {
    const runs = await trainArchRuns({
      data: o.archsData,
      runsDir: o.runsDir,
      epochs: o.budgetEpochs,
      batch: o.batch,
      preset: o.preset as PresetName,
      archs: o.archList,
      formulaInput: o.formulaInput,
      overrides: o.overrides,
      onLine: log,
    });
    for (const r of runs) models.push(r.dir);
  }
  const methods: QualityMethod[] = [];
  for (const m of models) methods.push(networkMethod(await loadRunPredictor(m)));
  methods.push(formulaMethod(), inputMethod());
  const size = o.size;
  async function* cases(): AsyncGenerator<SuiteCase> {
    for (const name of o.phantoms) {
      let last = -1;
      const { phantom, cached, path } = await loadSuitePhantom(name, {
        size,
        cacheDir: o.cacheDir,
        onProgress: (d, t) => {
          const pct = Math.floor((100 * d) / Math.max(1, t));
          if (pct >= last + 25) (last = pct, log(`quality: simulating ${name}: ${pct} %`));
        },
      });
      log(`quality: ${name} ${cached ? "from the cache" : "simulated"}${path ? ` (${path})` : ""}`);
      for (const snr of o.snrs) yield suiteCase(phantom, snr);
    }
  }
  const rows = await runQualitySuite(cases(), methods, log);
  const report = qualityReport(rows, {
    size,
    phantoms: o.phantoms,
    snrs: o.snrs,
    methods,
    notes: o.quick ? ["`--quick` smoke test: one small phantom, two SNRs; not a result."] : [],
  });
  const paths = { json: `${o.out.replace(/\/+$/, "")}/quality.json`, md: o.md };
  await writeQualityReport(report, paths, fmtMarkdown);
  log(`quality: wrote ${paths.json} and ${paths.md}`);
  return paths;
}

/** Formats Markdown with `deno fmt` (the repository's settings) so the report stays fmt-clean. */
export async function fmtMarkdown(md: string): Promise<string> {
  const p = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext", "md", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const w = p.stdin.getWriter();
  await w.write(new TextEncoder().encode(md));
  await w.close();
  const out = await p.output();
  if (!out.success) throw new Error("deno fmt failed");
  return new TextDecoder().decode(out.stdout);
}

/** Entry from bench/main.ts: `quality` and its flags. */
export async function qualityMain(args: string[]): Promise<void> {
  await runWithErrorPolicy(() => runQuality(parseQualityArgs(args)));
}

if (import.meta.main) await qualityMain(Deno.args);
