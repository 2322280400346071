/**
 * The end-to-end pipeline as library functions: {@link comparePhantom} (every trained run
 * and the analytic QUASS baseline on the same phantom, one table) and {@link runDemo}
 * (dataset → train the default LSTM-Attention → phantom → predict → evaluate → table).
 * Each stage is skipped when its output already exists, so a re-run resumes.
 * @module
 */
import { type NiftiVolume, readNifti } from "./data/nifti.ts";
import { makePhantom, PHANTOM_FILES, phantomExists, writePhantom } from "./data/phantom.ts";
import { predictVolumeFile, type RunLoader } from "./eval/predict_volume.ts";
import { quassFitFile } from "./eval/quass_image.ts";
import { evaluateVolumes, evaluationSummary, voxelsFromLabels } from "./eval/evaluate.ts";
import { type CompareEntry, compareReports, writeReport } from "./eval/report.ts";
import { exists, writeFileAtomic } from "./util/atomic.ts";
import { InputError } from "./util/errors.ts";
import { resolveOffsets } from "./data/sidecar.ts";
import type { PairSimulator } from "./data/phantom.ts";
import { simulatePairsGpu } from "./physics/gpu_sim.ts";
import { paperInputProtocol, paperTargetProtocol } from "./physics/protocol.ts";
import { generateDataset, writeDataset } from "./data/dataset.ts";

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
      if (e.isDirectory && (await exists(`${runsDir}/${e.name}/model.safetensors`))) {
        out.push(`${runsDir.replace(/\/+$/, "")}/${e.name}`);
      }
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new InputError(
        `${runsDir}: directory not found; train a model with quass train --out ${runsDir}/NAME`,
      );
    }
    throw e;
  }
  return out.sort();
}

async function _phantomVolumes(dir: string) {
  if (!(await phantomExists(dir))) {
    throw new InputError(
      `${dir}: no phantom here (${PHANTOM_FILES.manifest} missing); make one with quass phantom --out ${dir}`,
    );
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
  return {
    p,
    input,
    reference,
    steady,
    mask,
    labels,
    offsetsPpm,
    voxels: voxelsFromLabels(labels, names),
  };
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
  if (!runs.length && o.analytic === false) {
    throw new InputError(`${o.runs}: no trained runs (no */model.safetensors)`);
  }
  const out = o.out.replace(/\/+$/, "");
  await Deno.mkdir(out, { recursive: true });
  const vsTs5: CompareEntry[] = [], vsSteady: CompareEntry[] = [];
  const maeTs5: Record<string, number> = {};
  const files: string[] = [];
  const evaluate = async (name: string, slug: string, pred: NiftiVolume) => {
    const ev = evaluateVolumes({
      pred,
      reference: ph.reference,
      mask: ph.mask,
      input: ph.input,
      offsetsPpm: ph.offsetsPpm,
      voxels: ph.voxels,
    });
    const evSs = evaluateVolumes({
      pred,
      reference: ph.steady,
      mask: ph.mask,
      offsetsPpm: ph.offsetsPpm,
    });
    const rep = await writeReport(`${out}/${slug}`, {
      evaluation: ev,
      pred,
      reference: ph.reference,
      input: ph.input,
      title: `${name} vs Ts = 5 s reference (phantom)`,
      sources: {
        pred: `${out}/${slug}/pred.nii.gz`,
        reference: ph.p(PHANTOM_FILES.reference),
        mask: ph.p(PHANTOM_FILES.mask),
      },
    });
    files.push(...rep.files);
    vsTs5.push({ name, metrics: evaluationSummary(ev) });
    vsSteady.push({ name, metrics: evaluationSummary(evSs) });
    maeTs5[name] = ev.mean.mae;
    log(
      `  ${name}: masked MAE ${ev.mean.mae.toExponential(3)} vs Ts 5 s, ${
        evSs.mean.mae.toExponential(3)
      } vs steady state`,
    );
  };
  // the uncorrected input is the floor every method must clear
  await evaluate("input (Ts 1.5 s, uncorrected)", "input", ph.input);
  for (const run of runs) {
    const slug = run.slice(run.lastIndexOf("/") + 1);
    const predPath = `${out}/${slug}/pred.nii.gz`;
    log(`predict: ${run}`);
    const res = await predictVolumeFile({
      run,
      input: ph.p(PHANTOM_FILES.input),
      mask: ph.p(PHANTOM_FILES.mask),
      out: predPath,
    }, o.loader);
    log(`  ${res.predicted} voxels in ${res.seconds.toFixed(1)} s`);
    const arch = (await readArch(run)) ?? slug;
    await evaluate(arch === slug ? slug : `${arch} (${slug})`, slug, await readNifti(predPath));
  }
  if (o.analytic !== false) {
    const qPath = `${out}/analytic_quass/pred.nii.gz`;
    log("quass-fit: analytic QUASS (Sun 2021) with the phantom's T1 map");
    await quassFitFile({
      input: ph.p(PHANTOM_FILES.input),
      t1: ph.p(PHANTOM_FILES.t1),
      mask: ph.p(PHANTOM_FILES.mask),
      out: qPath,
    });
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
  await writeFileAtomic(
    `${out}/compare.json`,
    JSON.stringify({ vsTs5: a.json, vsSteady: b.json, maeTs5 }, null, 2) + "\n",
  );
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

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Work directory (default `demo`). */
  dir?: string;
  /** Delete the work directory first. */
  fresh?: boolean;
  /** Training spectra (default {@link DEMO_DEFAULTS}). */
  datasetSize?: number;
  /** Training epochs. */
  epochs?: number;
  /** Network preset ("default" LSTM-Attention; "tiny" for tests). */
  preset?: "default" | "tiny";
  /** σ of the Gaussian input noise added during training (Z units). */
  trainNoise?: number;
  /** Phantom matrix size. */
  phantomSize?: number;
  snr?: number;
  seed?: number;
  /** Loads a run for prediction. */
  loader: RunLoader;
  /** Simulator for the dataset and the phantom (default: the GPU engine). */
  simulate?: PairSimulator;
  /** Trains the network (default: nn/train.ts on the GPU). */
  trainer?: DemoTrainer;
  log?: StageLog;
}

/** Trains `arch` on the dataset file into the run directory (resuming when asked). */
export type DemoTrainer = (a: {
  dataPath: string;
  runDir: string;
  preset: "default" | "tiny";
  epochs: number;
  noise: number;
  seed: number;
  resume: boolean;
  log: StageLog;
}) => Promise<void>;

/**
 * Sizes of `deno task demo`, aimed at a few minutes on a 2-core machine with the software
 * adapter. Measured with exactly these sizes on an idle 2-core machine (lavapipe), warm
 * shader cache: dataset 8.6 s (4000 pairs), training 80 s (4 epochs of 3200 spectra, val
 * MSE 1.7e-4), phantom 8.9 s (1332 voxels), prediction + analytic QUASS + evaluation ~6 s;
 * 104 s in all (225 s with an empty shader cache). 16,000 pairs (training 362 s) moved the
 * phantom MAE only from 1.193e-2 to 1.187e-2, so the defaults stay small. Training inputs
 * get σ = 0.01 Gaussian noise so the network sees SNR-100-like inputs.
 */
export const DEMO_DEFAULTS = {
  datasetSize: 4000,
  epochs: 4,
  phantomSize: 64,
  snr: 100,
  seed: 1,
  trainNoise: 0.01,
} as const;

/** Result of {@link runDemo}. */
export interface DemoResult {
  compare: CompareResult;
  /** Masked MAE vs the Ts = 5 s reference of the network and of the analytic baseline. */
  networkMae: number;
  analyticMae: number;
  reportDir: string;
  seconds: Record<string, number>;
}

/**
 * Simulates a paired training dataset (Ts 1.5 s → Ts 5 s) with dataset.ts's generator (same
 * sampler, split and metadata as `quass simulate dataset`; the simulator is pluggable so
 * tests can run it fast) and writes it.
 */
async function _makeDataset(
  path: string,
  n: number,
  seed: number,
  b1UT: number,
  simulate: PairSimulator,
  log: StageLog,
): Promise<void> {
  let last = 0;
  const ds = await generateDataset({
    n,
    seed,
    input: paperInputProtocol(b1UT),
    target: paperTargetProtocol(b1UT),
    chunk: n,
    simulate,
    onProgress: (d, t) => {
      if (d - last >= t / 10 || d === t) {
        last = d;
        log(`  dataset: ${d}/${t} spectrum pairs`);
      }
    },
  });
  await writeDataset(path, ds);
}

/** Trains with nn/train.ts on the GPU (the default {@link DemoTrainer}). */
export const gpuTrainer: DemoTrainer = async (a) => {
  const { getGpu } = await import("./gpu/device.ts");
  const { readTrainingData, train } = await import("./nn/train.ts");
  const { resolveConfig } = await import("./nn/presets.ts");
  const data = await readTrainingData(a.dataPath);
  const cfg = resolveConfig("lstm-attention", a.preset, data.T, {
    epochs: a.epochs,
    noise: a.noise,
    seed: a.seed,
  });
  const { device } = await getGpu();
  await train(device, data, cfg, {
    out: a.runDir,
    resume: a.resume,
    preset: a.preset,
    onNote: (msg) => a.log(`  ${msg}`),
    onEpoch: (e) =>
      a.log(
        `  epoch ${e.epoch}/${a.epochs}: train ${e.train_loss?.toExponential(3) ?? "-"} val ${
          e.val_loss.toExponential(3)
        } (${e.samples_per_s.toFixed(0)} spectra/s, ${e.time.toFixed(0)} s)`,
      ),
  });
};

/**
 * The demo: dataset → train the LSTM-Attention → phantom → predict → analytic QUASS →
 * evaluate against Ts = 5 s and steady state → table. Every stage records its settings in
 * `DIR/stages.json` when it finishes and is skipped on a re-run with the same settings;
 * an interrupted training resumes from its last epoch.
 * @param o sizes, work directory and plumbing
 * @returns the comparison and the two MAEs of the acceptance check
 * @example
 * const r = await runDemo({ loader: loadRunPredictor });
 * console.log(r.networkMae < r.analyticMae);
 */
export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const dir = (o.dir ?? "demo").replace(/\/+$/, "");
  const log = o.log ?? (() => {});
  const seed = o.seed ?? DEMO_DEFAULTS.seed;
  const cfg = {
    datasetSize: o.datasetSize ?? DEMO_DEFAULTS.datasetSize,
    epochs: o.epochs ?? DEMO_DEFAULTS.epochs,
    preset: o.preset ?? "default",
    trainNoise: o.trainNoise ?? DEMO_DEFAULTS.trainNoise,
    phantomSize: o.phantomSize ?? DEMO_DEFAULTS.phantomSize,
    snr: o.snr ?? DEMO_DEFAULTS.snr,
    seed,
  };
  if (o.fresh) {
    await Deno.remove(dir, { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
  }
  await Deno.mkdir(dir, { recursive: true });
  const stagesPath = `${dir}/stages.json`;
  const stages: Record<string, unknown> = await Deno.readTextFile(stagesPath).then(
    (t) => JSON.parse(t),
    () => ({}),
  );
  const seconds: Record<string, number> = {};
  const simulate = o.simulate ?? simulatePairsGpu;
  const stage = async (
    name: string,
    settings: unknown,
    outputs: string[],
    fn: () => Promise<void>,
  ) => {
    const key = JSON.stringify(settings);
    const ok = JSON.stringify(stages[name]) === key &&
      (await Promise.all(outputs.map(exists))).every(Boolean);
    if (ok) {
      log(`[${name}] up to date, reusing ${outputs.join(", ")}`);
      return false;
    }
    log(`[${name}] ...`);
    const t0 = performance.now();
    await fn();
    seconds[name] = (performance.now() - t0) / 1000;
    stages[name] = settings;
    // (train's settings include the dataset's, so a new dataset retrains)
    await writeFileAtomic(stagesPath, JSON.stringify(stages, null, 2) + "\n");
    log(`[${name}] done in ${seconds[name]!.toFixed(1)} s`);
    return true;
  };

  const dataPath = `${dir}/data/train.safetensors`;
  await stage(
    "dataset",
    { n: cfg.datasetSize, seed, b1UT: 1 },
    [dataPath],
    () => _makeDataset(dataPath, cfg.datasetSize, seed, 1, simulate, log),
  );

  const runDir = `${dir}/runs/lstm-attention`;
  const trainer = o.trainer ?? gpuTrainer;
  await stage(
    "train",
    {
      preset: cfg.preset,
      epochs: cfg.epochs,
      noise: cfg.trainNoise,
      seed,
      data: stages["dataset"],
    },
    [`${runDir}/model.safetensors`],
    async () => {
      // an interrupted run (optimizer state but no finished stage) resumes; anything else restarts
      const resume = await exists(`${runDir}/optimizer.safetensors`) &&
        await exists(`${runDir}/config.json`);
      if (!resume) await Deno.remove(runDir, { recursive: true }).catch(() => {});
      if (resume) log(`  resuming ${runDir}`);
      await trainer({
        dataPath,
        runDir,
        preset: cfg.preset,
        epochs: cfg.epochs,
        noise: cfg.trainNoise,
        seed,
        resume,
        log,
      });
    },
  );

  const phantomDir = `${dir}/phantom`;
  await stage("phantom", { size: cfg.phantomSize, snr: cfg.snr, seed, b1UT: 1 }, [
    `${phantomDir}/${PHANTOM_FILES.manifest}`,
  ], async () => {
    let last = 0;
    const ph = await makePhantom({
      size: cfg.phantomSize,
      seed,
      snr: cfg.snr,
      b1UT: 1,
      simulate,
      onProgress: (_s, d, t) => {
        if (d - last >= t / 4 || d === t) {
          last = d;
          log(`  phantom: ${Math.round(d)}/${t} spectra`);
        }
      },
    });
    await writePhantom(phantomDir, ph);
  });

  log("[evaluate] predict, analytic QUASS, metrics and report ...");
  const t0 = performance.now();
  const reportDir = `${dir}/report`;
  const compare = await comparePhantom({
    phantom: phantomDir,
    runs: `${dir}/runs`,
    out: reportDir,
    loader: o.loader,
    log,
  });
  seconds["evaluate"] = (performance.now() - t0) / 1000;
  const netName = Object.keys(compare.maeTs5).find((k) => k.startsWith("lstm-attention"));
  return {
    compare,
    networkMae: netName ? compare.maeTs5[netName]! : NaN,
    analyticMae: compare.maeTs5["analytic QUASS"] ?? NaN,
    reportDir,
    seconds,
  };
}
