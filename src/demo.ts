/**
 * The end-to-end pipeline as library functions: {@link comparePhantom} (every trained run
 * and the analytic QUASS baseline on the same phantom, one table) and {@link runDemo}
 * (dataset → train the default LSTM-Attention → phantom → predict → evaluate → table).
 * Each stage is skipped when its output already exists, so a re-run resumes.
 * @module
 */
import { readNifti, type NiftiVolume } from "./data/nifti.ts";
import { makePhantom, PHANTOM_FILES, phantomExists, writePhantom } from "./data/phantom.ts";
import { predictVolumeFile, type RunLoader } from "./eval/predict_volume.ts";
import { quassFitFile } from "./eval/quass_image.ts";
import { evaluateVolumes, evaluationSummary, type EvaluationResult, voxelsFromLabels } from "./eval/evaluate.ts";
import { compareReports, type CompareEntry, writeReport } from "./eval/report.ts";
import { exists, writeFileAtomic } from "./util/atomic.ts";
import { InputError } from "./util/errors.ts";
import { resolveOffsets } from "./data/sidecar.ts";

/** Progress reporting of the pipeline: one line per stage event. */
export type StageLog = (line: string) => void;

/** Options of {@link comparePhantom}. */
export interface CompareOptions {
  /** Phantom directory (from `quass phantom`). */
  phantom: string;
  /** Directory whose subdirectories holding model.safetensors are the runs to compare. */
  runs: string;
  /** Report directory. */
  out: string;
  /** Loads a run for prediction. */
  loader: RunLoader;
  /** Include the analytic QUASS baseline (default true). */
  analytic?: boolean;
  log?: StageLog;
}

/** One compared method. */
export interface CompareResult {
  /** Rows against the Ts = 5 s reference and against the exact steady state. */
  vsTs5: CompareEntry[];
  vsSteady: CompareEntry[];
  /** The markdown written to `out/compare.md`. */
  markdown: string;
  /** Masked MAE per method against the Ts = 5 s reference. */
  maeTs5: Record<string, number>;
  files: string[];
}

/** Subdirectories of `runsDir` that hold a trained model, sorted by name. */
export async function listRuns(runsDir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(runsDir)) {
      if (e.isDirectory && (await exists(`${runsDir}/${e.name}/model.safetensors`))) out.push(`${runsDir.replace(/\/+$/, "")}/${e.name}`);
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new InputError(`${runsDir}: directory not found; train a model with quass train --out ${runsDir}/NAME`);
    throw e;
  }
  return out.sort();
}

async function _phantomVolumes(dir: string) {
  if (!(await phantomExists(dir))) {
    throw new InputError(`${dir}: no phantom here (${PHANTOM_FILES.manifest} missing); make one with quass phantom --out ${dir}`);
  }
  const p = (f: string) => `${dir.replace(/\/+$/, "")}/${f}`;
  const [input, reference, steady, mask, labels] = await Promise.all([
    readNifti(p(PHANTOM_FILES.input)),
    readNifti(p(PHANTOM_FILES.reference)),
    readNifti(p(PHANTOM_FILES.steady)),
    readNifti(p(PHANTOM_FILES.mask)),
    readNifti(p(PHANTOM_FILES.labels)),
  ]);
  const offsetsPpm = await resolveOffsets(p(PHANTOM_FILES.reference), reference.dims[3]);
  const names = { 1: "GM", 2: "WM", 3: "tumour", 4: "rim" };
  return { p, input, reference, steady, mask, labels, offsetsPpm, voxels: voxelsFromLabels(labels, names) };
}

/**
 * Predicts the phantom with every trained run (and the analytic QUASS baseline), evaluates
 * each against the Ts = 5 s reference and the exact steady state, and writes one table
 * (`compare.md`, `compare.json`) plus a full report per method against Ts = 5 s.
 * @param o phantom, runs and output directories, run loader
 * @returns the rows, the markdown and the masked MAE per method
 * @example
 * const r = await comparePhantom({ phantom: "phantom", runs: "runs", out: "report/compare", loader: loadRunPredictor });
 */
export async function comparePhantom(o: CompareOptions): Promise<CompareResult> {
  const log = o.log ?? (() => {});
  const ph = await _phantomVolumes(o.phantom);
  const runs = await listRuns(o.runs).catch((e) => {
    if (o.analytic === false) throw e;
    return [] as string[];
  });
  if (!runs.length && o.analytic === false) throw new InputError(`${o.runs}: no trained runs (no */model.safetensors)`);
  const out = o.out.replace(/\/+$/, "");
  await Deno.mkdir(out, { recursive: true });
  const vsTs5: CompareEntry[] = [], vsSteady: CompareEntry[] = [];
  const maeTs5: Record<string, number> = {};
  const files: string[] = [];
  const evaluate = async (name: string, slug: string, pred: NiftiVolume) => {
    const ev = evaluateVolumes({ pred, reference: ph.reference, mask: ph.mask, input: ph.input, offsetsPpm: ph.offsetsPpm, voxels: ph.voxels });
    const evSs = evaluateVolumes({ pred, reference: ph.steady, mask: ph.mask, offsetsPpm: ph.offsetsPpm });
    const rep = await writeReport(`${out}/${slug}`, {
      evaluation: ev,
      pred,
      reference: ph.reference,
      input: ph.input,
      title: `${name} vs Ts = 5 s reference (phantom)`,
      sources: { pred: `${out}/${slug}/pred.nii.gz`, reference: ph.p(PHANTOM_FILES.reference), mask: ph.p(PHANTOM_FILES.mask) },
    });
    files.push(...rep.files);
    vsTs5.push({ name, metrics: evaluationSummary(ev) });
    vsSteady.push({ name, metrics: evaluationSummary(evSs) });
    maeTs5[name] = ev.mean.mae;
    log(`  ${name}: masked MAE ${ev.mean.mae.toExponential(3)} vs Ts 5 s, ${evSs.mean.mae.toExponential(3)} vs steady state`);
  };
  // the uncorrected input is the floor every method must clear
  await evaluate("input (Ts 1.5 s, uncorrected)", "input", ph.input);
  for (const run of runs) {
    const slug = run.slice(run.lastIndexOf("/") + 1);
    const predPath = `${out}/${slug}/pred.nii.gz`;
    log(`predict: ${run}`);
    const res = await predictVolumeFile({ run, input: ph.p(PHANTOM_FILES.input), mask: ph.p(PHANTOM_FILES.mask), out: predPath }, o.loader);
    log(`  ${res.predicted} voxels in ${res.seconds.toFixed(1)} s`);
    const arch = (await readArch(run)) ?? slug;
    await evaluate(arch === slug ? slug : `${arch} (${slug})`, slug, await readNifti(predPath));
  }
  if (o.analytic !== false) {
    const qPath = `${out}/analytic_quass/pred.nii.gz`;
    log("quass-fit: analytic QUASS (Sun 2021) with the phantom's T1 map");
    await quassFitFile({ input: ph.p(PHANTOM_FILES.input), t1: ph.p(PHANTOM_FILES.t1), mask: ph.p(PHANTOM_FILES.mask), out: qPath });
    await evaluate("analytic QUASS", "analytic_quass", await readNifti(qPath));
  }
  const a = compareReports(vsTs5), b = compareReports(vsSteady);
  const markdown = [
    "# QUASS on the digital phantom: every method on the same slice",
    "",
    `Phantom: \`${o.phantom}\` (input Ts 1.5 s / Td 4.5 s with Rician noise). Masked brain voxels; SSIM/PSNR with data range 1.`,
    "",
    "## Against the Ts = 5 s reference (the networks' training target)",
    "",
    a.markdown,
    "",
    "## Against the exact steady state (Ts = ∞, the analytic method's target)",
    "",
    b.markdown,
    "",
  ].join("\n");
  await writeFileAtomic(`${out}/compare.md`, markdown);
  await writeFileAtomic(`${out}/compare.json`, JSON.stringify({ vsTs5: a.json, vsSteady: b.json, maeTs5 }, null, 2) + "\n");
  files.push(`${out}/compare.md`, `${out}/compare.json`);
  return { vsTs5, vsSteady, markdown, maeTs5, files };
}

/** The architecture recorded in a run's config.json, if readable. */
async function readArch(runDir: string): Promise<string | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(`${runDir}/config.json`))?.model?.arch;
  } catch {
    return undefined;
  }
}

export type { EvaluationResult };
