/**
 * The end-to-end pipeline as library functions: {@link comparePhantom} (every trained run
 * and the analytic QUASS baseline on the same phantom, one table) and {@link runDemo}
 * (dataset → train the default LSTM-Attention → phantom → predict → evaluate → table).
 * Each stage is skipped when its output already exists, so a re-run resumes.
 * @module
 */
import { type NiftiVolume, readNifti } from "./data/nifti.ts";
import { makePhantom, PHANTOM_FILES, phantomExists, writePhantom } from "./data/phantom.ts";
import { DEFAULT_MODEL_DIR, predictVolumeFile, type RunLoader } from "./eval/predict_volume.ts";
import { describeQuassTarget, quassFitFile } from "./eval/quass_image.ts";
import type { QuassTarget } from "./physics/analytic.ts";
import { evaluateVolumes, evaluationSummary, voxelsFromLabels } from "./eval/evaluate.ts";
import { type CompareEntry, compareReports, writeReport } from "./eval/report.ts";
import { exists, writeFileAtomic } from "./util/atomic.ts";
import { InputError } from "./util/errors.ts";
import { checkWritable } from "./util/output.ts";
import { readSidecar, resolveOffsets } from "./data/sidecar.ts";
import type { PairSimulator } from "./data/phantom.ts";
import { simulatePairsGpu } from "./physics/gpu_sim.ts";
import { paperInputProtocol, paperTargetProtocol } from "./physics/protocol.ts";
import { generateDataset, writeDataset } from "./data/dataset.ts";
import { scorePhantomPreprocessing } from "./eval/preprocess_quality.ts";
import { NO_PREPROCESSING, parseDenoise } from "./preprocess/options.ts";

/** Progress reporting of the pipeline: one line per stage event. */
export type StageLog = (line: string) => void;

/** Options of {@link comparePhantom}. */
export interface CompareOptions {
  /** Phantom directory (from `quass phantom`). */
  phantom: string;
  /**
   * Directory whose subdirectories holding model.safetensors are the runs to compare; it must
   * exist. Undefined: `runs/` when it exists, else no runs.
   */
  runs?: string;
  /** Further model folders to compare (e.g. the shipped pretrained model). */
  models?: string[];
  /** Report directory. */
  out: string;
  /** Loads a run for prediction. */
  loader: RunLoader;
  /** Include the analytic QUASS baseline (default true). */
  analytic?: boolean;
  log?: StageLog;
}

/** Which of the phantom's two references a method is scored against. */
export type CompareTarget = "ts5" | "steady";

/** Row name of the uncorrected input (the floor of both tables). */
export const INPUT_ROW = "input (Ts 1.5 s, uncorrected)";

/** Row name of the formula predicting `target`: "analytic QUASS → Ts 5 s" / "… → steady state". */
export function analyticRowName(target: QuassTarget): string {
  return target === "steady" || target.tsS === Infinity
    ? "analytic QUASS → steady state"
    : `analytic QUASS → Ts ${target.tsS} s`;
}

/** The comparison: each method scored against the reference of the target it predicts. */
export interface CompareResult {
  /**
   * Rows against the Ts = 5 s / Td 1 s reference: the uncorrected input (floor), the runs
   * trained for that target and the formula predicting it (`analytic QUASS → Ts 5 s`).
   */
  vsTs5: CompareEntry[];
  /**
   * Rows against the exact steady state: the uncorrected input (floor), the runs trained with
   * `--target steady` and the formula's Z_ss (`analytic QUASS → steady state`).
   */
  vsSteady: CompareEntry[];
  /** The markdown written to `out/compare.md`. */
  markdown: string;
  /** Masked MAE against the Ts = 5 s reference per row of {@link vsTs5}. */
  maeTs5: Record<string, number>;
  /** Masked MAE against the steady state per row of {@link vsSteady}. */
  maeSteady: Record<string, number>;
  /** The target each row predicts, by row name (the input floor predicts none: absent). */
  targets: Record<string, CompareTarget>;
  /** Each target's reference protocol in words ("Ts 5 s / Td 1 s", "steady state"). */
  references: Record<CompareTarget, string>;
  /** Runs left unscored: the phantom has no reference for their target protocol. */
  unscored: string[];
  files: string[];
}

/** Where {@link comparePhantom} looks for runs when none is named. */
export const DEFAULT_RUNS_DIR = "runs";

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
        `--runs ${runsDir}: directory not found; give the directory holding your runs, or train one with quass train --out ${runsDir}/NAME`,
      );
    }
    if (e instanceof Deno.errors.NotADirectory) {
      throw new InputError(
        `--runs ${runsDir}: is a file; give the directory holding the run directories (runs/NAME/model.safetensors)`,
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
  const refSide = await readSidecar(p(PHANTOM_FILES.reference), reference.dims[3]);
  // the phantom's reference is the paper's target protocol (Ts 5 s after Td 1 s)
  const referenceTarget = { tsS: refSide?.tsS ?? 5, tdS: refSide?.tdS ?? 1 };
  const names = { 1: "GM", 2: "WM", 3: "tumour", 4: "rim" };
  return {
    p,
    input,
    reference,
    steady,
    mask,
    labels,
    offsetsPpm,
    referenceTarget,
    voxels: voxelsFromLabels(labels, names),
  };
}

/**
 * The target a prediction was made for, from its sidecar (predict writes the run's target
 * protocol there): "steady" for tsS "inf", "ts5" when it matches the phantom's reference or
 * is not recorded (runs without protocol metadata: the paper's Ts 5 s / Td 1 s target), else
 * undefined (no reference in the phantom).
 */
async function _predTarget(
  predPath: string,
  ref: { tsS: number; tdS: number },
): Promise<CompareTarget | undefined> {
  const side = await readSidecar(predPath);
  if (side?.tsS === undefined) return "ts5";
  if (side.tsS === Infinity) return "steady";
  const same = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  return same(side.tsS, ref.tsS) && (side.tdS === undefined || same(side.tdS, ref.tdS))
    ? "ts5"
    : undefined;
}

/**
 * Predicts the phantom with every trained run and the analytic QUASS formula, and scores each
 * like for like: against the reference of the target it predicts. A run trained for Ts 5 s
 * (its checkpoint's dataset protocol; runs without one count as the paper's Ts 5 s / Td 1 s)
 * and the formula predicting Ts 5 s (`quass-fit --target ts=5,td=1`) against the Ts = 5 s
 * reference; a run trained with `--target steady` and the formula's Z_ss against the exact
 * steady state. The uncorrected input is the floor row of both tables. Writes `compare.md`,
 * `compare.json` and a full report per method against its own target's reference.
 * @param o phantom, runs and output directories, run loader
 * @returns the rows per target, the markdown and the masked MAE per row
 * @example
 * const r = await comparePhantom({ phantom: "phantom", runs: "runs", out: "report/compare", loader: loadRunPredictor });
 */
export async function comparePhantom(o: CompareOptions): Promise<CompareResult> {
  const log = o.log ?? (() => {});
  await checkWritable(o.out, "--out", "dir");
  const ph = await _phantomVolumes(o.phantom);
  const runsDir = o.runs ?? DEFAULT_RUNS_DIR;
  const runs = o.runs !== undefined || await exists(runsDir) ? await listRuns(runsDir) : [];
  runs.push(...(o.models ?? []));
  if (!runs.length && o.analytic === false) {
    throw new InputError(`${runsDir}: no trained runs (no */model.safetensors)`);
  }
  const out = o.out.replace(/\/+$/, "");
  await Deno.mkdir(out, { recursive: true });
  const refTs5 = ph.referenceTarget;
  const group = (what: string, reference: NiftiVolume, file: string) => ({
    what,
    reference,
    file,
    rows: [] as CompareEntry[],
    mae: {} as Record<string, number>,
  });
  const groups = {
    ts5: group(describeQuassTarget(refTs5), ph.reference, PHANTOM_FILES.reference),
    steady: group(describeQuassTarget("steady"), ph.steady, PHANTOM_FILES.steady),
  };
  const targets: Record<string, CompareTarget> = {};
  const unscored: string[] = [];
  const files: string[] = [];
  /** Scores `pred` against `target`'s reference; writes a full report when `slug` is given. */
  const evaluate = async (
    name: string,
    slug: string | undefined,
    pred: NiftiVolume,
    target: CompareTarget,
    predicts?: CompareTarget,
  ) => {
    const g = groups[target];
    const ev = evaluateVolumes({
      pred,
      reference: g.reference,
      mask: ph.mask,
      input: ph.input,
      offsetsPpm: ph.offsetsPpm,
      voxels: ph.voxels,
    });
    if (slug) {
      const rep = await writeReport(`${out}/${slug}`, {
        evaluation: ev,
        pred,
        reference: g.reference,
        input: ph.input,
        title: `${name} vs the ${g.what} reference (phantom)`,
        referenceProtocol: g.what,
        sources: {
          pred: `${out}/${slug}/pred.nii.gz`,
          reference: ph.p(g.file),
          mask: ph.p(PHANTOM_FILES.mask),
        },
      });
      files.push(...rep.files);
    }
    g.rows.push({
      name,
      target: predicts ? groups[predicts].what : "— (uncorrected floor)",
      metrics: evaluationSummary(ev),
    });
    g.mae[name] = ev.mean.mae;
    if (predicts) targets[name] = predicts;
    log(`  ${name}: masked MAE ${ev.mean.mae.toExponential(3)} vs the ${g.what} reference`);
  };
  // the uncorrected input is the floor every method must clear, in both tables
  await evaluate(INPUT_ROW, "input", ph.input, "ts5");
  await evaluate(INPUT_ROW, undefined, ph.input, "steady");
  for (const run of runs) {
    const slug = run.slice(run.lastIndexOf("/") + 1);
    const predPath = `${out}/${slug}/pred.nii.gz`;
    log(`predict: ${run}`);
    const res = await predictVolumeFile({
      run,
      input: ph.p(PHANTOM_FILES.input),
      mask: ph.p(PHANTOM_FILES.mask),
      // T1-informed networks get the phantom's T1 map, as the formula does
      t1: ph.p(PHANTOM_FILES.t1),
      out: predPath,
    }, o.loader);
    log(`  ${res.predicted} voxels in ${res.seconds.toFixed(1)} s`);
    const name = await runLabel(run);
    const target = await _predTarget(predPath, refTs5);
    if (!target) {
      log(`  ${name}: not scored: the phantom has no reference for its target protocol`);
      unscored.push(name);
      continue;
    }
    await evaluate(name, slug, await readNifti(predPath), target, target);
  }
  if (o.analytic !== false) {
    const fits: [CompareTarget, string, QuassTarget][] = [
      ["ts5", "analytic_quass_ts5", refTs5],
      ["steady", "analytic_quass_steady", "steady"],
    ];
    for (const [target, slug, quassTarget] of fits) {
      const name = analyticRowName(quassTarget);
      const qPath = `${out}/${slug}/pred.nii.gz`;
      log(`quass-fit: analytic QUASS (Sun 2021) → ${groups[target].what}, phantom's T1 map`);
      await quassFitFile({
        input: ph.p(PHANTOM_FILES.input),
        t1: ph.p(PHANTOM_FILES.t1),
        mask: ph.p(PHANTOM_FILES.mask),
        target: quassTarget,
        out: qPath,
      });
      await evaluate(name, slug, await readNifti(qPath), target, target);
    }
  }
  const a = compareReports(groups.ts5.rows), b = compareReports(groups.steady.rows);
  const markdown = [
    "# QUASS on the digital phantom: every method on the same slice",
    "",
    `Phantom: \`${o.phantom}\` (input Ts 1.5 s / Td 4.5 s with Rician noise). Masked brain voxels; SSIM/PSNR with data range 1.`,
    "",
    "Like for like: each method is scored against the reference of the protocol it predicts " +
    "(a network: its training target; the analytic formula: fitted for that target). The " +
    "uncorrected input is the floor row of both tables.",
    "",
    `## Target ${groups.ts5.what} (reference \`${PHANTOM_FILES.reference}\`)`,
    "",
    a.markdown,
    "",
    `## Target ${groups.steady.what} (reference \`${PHANTOM_FILES.steady}\`, Ts = ∞)`,
    "",
    b.markdown,
    "",
    ...(unscored.length
      ? [
        `Not scored (the phantom has no reference for their target protocol): ${
          unscored.join(", ")
        }.`,
        "",
      ]
      : []),
  ].join("\n");
  await writeFileAtomic(`${out}/compare.md`, markdown);
  await writeFileAtomic(
    `${out}/compare.json`,
    JSON.stringify(
      {
        vsTs5: { target: groups.ts5.what, ...a.json },
        vsSteady: { target: groups.steady.what, ...b.json },
        maeTs5: groups.ts5.mae,
        maeSteady: groups.steady.mae,
        targets,
        unscored,
      },
      null,
      2,
    ) + "\n",
  );
  files.push(`${out}/compare.md`, `${out}/compare.json`);
  return {
    vsTs5: groups.ts5.rows,
    vsSteady: groups.steady.rows,
    markdown,
    maeTs5: groups.ts5.mae,
    maeSteady: groups.steady.mae,
    targets,
    references: { ts5: groups.ts5.what, steady: groups.steady.what },
    unscored,
    files,
  };
}

/**
 * A run's row name: "ARCH (FOLDER)", plus ", T1-informed" for networks that see the
 * formula's prediction (config.json's model.input); the folder name when unreadable.
 */
export async function runLabel(runDir: string): Promise<string> {
  const slug = runDir.replace(/\/+$/, "").slice(runDir.replace(/\/+$/, "").lastIndexOf("/") + 1);
  try {
    const m = JSON.parse(await Deno.readTextFile(`${runDir}/config.json`))?.model;
    const arch = typeof m?.arch === "string" ? m.arch : slug;
    const tag = m?.input?.kind === "formula" ? ", T1-informed" : "";
    return arch === slug && !tag ? slug : `${arch} (${slug}${tag})`;
  } catch {
    return slug;
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
  /**
   * The pretrained model shown beside the demo's own run (default: the shipped model,
   * models/quass-7t-cw, when present; false = none).
   */
  pretrained?: string | false;
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
  /**
   * The protocol the network was trained to predict, in words ("Ts 5 s / Td 1 s" or
   * "steady state"): all three MAEs below are against that target's reference.
   */
  target: string;
  /** Masked MAE of the network vs the reference of its target. */
  networkMae: number;
  /** Masked MAE of the formula predicting the same target, vs the same reference. */
  analyticMae: number;
  /** The formula's row name (`analytic QUASS → Ts 5 s` or `… → steady state`). */
  analyticName: string;
  /** Masked MAE of the uncorrected input vs the same reference (the floor). */
  inputMae: number;
  /** The pretrained model's row name and masked MAE (same reference), when one was shown. */
  pretrainedName?: string;
  pretrainedMae?: number;
  /**
   * The real-scan pipeline with the pretrained model on a phantom with B0 and B1 fields and
   * coil-shaded M0 (same SNR): masked MAE without preprocessing and with `--b0 auto
   * --denoise pca`, and the RMS error of the estimated B0 map (ppm).
   */
  realScan?: { phantom: string; rawMae: number; preprocessedMae: number; b0RmsPpm: number };
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
  const { train } = await import("./nn/train.ts");
  const { readTrainingData } = await import("./nn/training_data.ts");
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
 * The demo: dataset → train the LSTM-Attention (Ts 1.5 s → Ts 5 s) → phantom → predict →
 * analytic QUASS → evaluate each method against the reference of its target → table. Every
 * stage records its settings in `DIR/stages.json` when it finishes and is skipped on a re-run
 * with the same settings; an interrupted training resumes from its last epoch.
 * @param o sizes, work directory and plumbing
 * @returns the comparison and the MAEs of the acceptance check, all against the reference of
 *   the network's target (network, formula predicting that target, uncorrected input)
 * @example
 * const r = await runDemo({ loader: loadRunPredictor });
 * console.log(`vs the ${r.target} reference: ${r.networkMae < r.analyticMae}`);
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
  const pretrained = o.pretrained === false ? undefined : o.pretrained ??
    ((await exists(`${DEFAULT_MODEL_DIR}/model.safetensors`)) ? DEFAULT_MODEL_DIR : undefined);
  const compare = await comparePhantom({
    phantom: phantomDir,
    runs: `${dir}/runs`,
    models: pretrained ? [pretrained] : [],
    out: reportDir,
    loader: o.loader,
    log,
  });
  seconds["evaluate"] = (performance.now() - t0) / 1000;
  const pretrainedName = pretrained ? await runLabel(pretrained) : undefined;
  const realScan = pretrained ? await _realScan(pretrained, cfg, seed, o, log) : undefined;
  if (realScan) seconds["real scan"] = realScan.seconds;
  // like for like: the network, the formula for the network's target, that target's reference
  const netName = Object.keys(compare.targets).find((k) => k.startsWith("lstm-attention"));
  const target = netName ? compare.targets[netName]! : "ts5";
  const mae = target === "steady" ? compare.maeSteady : compare.maeTs5;
  const analyticName =
    Object.keys(compare.targets).find((k) =>
      k.startsWith("analytic QUASS") && compare.targets[k] === target
    ) ?? analyticRowName(target === "steady" ? "steady" : { tsS: 5, tdS: 1 });
  return {
    compare,
    target: compare.references[target],
    networkMae: netName ? mae[netName]! : NaN,
    analyticMae: mae[analyticName] ?? NaN,
    analyticName,
    inputMae: mae[INPUT_ROW] ?? NaN,
    ...(pretrainedName ? { pretrainedName, pretrainedMae: mae[pretrainedName] ?? NaN } : {}),
    ...(realScan ? { realScan: realScan.result } : {}),
    reportDir,
    seconds,
  };
}

/** The demo's real-scan phantom: B0 ±0.3 ppm, relative B1 1 ± 0.15, half the demo's size. */
export const REAL_SCAN_PHANTOM = { b0ShiftPpm: 0.3, b1Inhom: 0.15 } as const;

/**
 * The real-scan pipeline shown by the demo: the pretrained model on a phantom with B0 and
 * B1 fields (and the coil-shaded M0), once on the raw series and once after M0 → B0 auto →
 * PCA denoising, scored against the phantom's noiseless reference (eval/preprocess_quality.ts).
 */
async function _realScan(
  model: string,
  cfg: { phantomSize: number; snr: number },
  seed: number,
  o: DemoOptions,
  log: StageLog,
): Promise<{ result: NonNullable<DemoResult["realScan"]>; seconds: number }> {
  const t0 = performance.now();
  const size = Math.max(16, Math.round(cfg.phantomSize / 2));
  const name = `${size}×${size}, SNR ${cfg.snr}, B0 ±${REAL_SCAN_PHANTOM.b0ShiftPpm} ppm, ` +
    `relB1 1 ± ${REAL_SCAN_PHANTOM.b1Inhom}`;
  log(`[real scan] phantom ${name}; ${model} without and with --b0 auto --denoise pca ...`);
  const ph = await makePhantom({
    size,
    seed: seed + 1,
    snr: cfg.snr,
    ...REAL_SCAN_PHANTOM,
    simulate: o.simulate,
  });
  const run = await o.loader(model);
  const raw = await scorePhantomPreprocessing(ph, NO_PREPROCESSING, run);
  // what `quass predict --b0 auto --denoise pca` runs
  const pre = await scorePhantomPreprocessing(ph, {
    b0: { kind: "auto" },
    denoise: parseDenoise("pca"),
  }, run);
  const result = {
    phantom: name,
    rawMae: raw.mae,
    preprocessedMae: pre.mae,
    b0RmsPpm: pre.b0RmsPpm ?? NaN,
  };
  log(
    `  masked MAE ${raw.mae.toExponential(3)} raw → ${
      pre.mae.toExponential(3)
    } preprocessed; B0 map RMS error ${result.b0RmsPpm.toFixed(4)} ppm`,
  );
  return { result, seconds: (performance.now() - t0) / 1000 };
}
