/**
 * The end-to-end demo as a library function, {@link runDemo}: dataset → train the default
 * LSTM-Attention → phantom → predict and compare (eval/compare.ts) → table, then the
 * real-scan pipeline with the shipped model.
 * Each stage is skipped when its output already exists, so a re-run resumes.
 * @module
 */
import { makePhantom, PHANTOM_FILES, writePhantom } from "./data/phantom.ts";
import { DEFAULT_MODEL_DIR, type RunLoader } from "./eval/predict_volume.ts";
import { exists, writeFileAtomic } from "./util/atomic.ts";
import type { PairSimulator } from "./data/phantom.ts";
import { simulatePairsGpu } from "./physics/gpu_sim.ts";
import { paperInputProtocol, paperTargetProtocol } from "./physics/protocol.ts";
import { generateDataset, writeDataset } from "./data/dataset.ts";
import { scorePhantomPreprocessing } from "./eval/preprocess_quality.ts";
import {
  analyticRowName,
  comparePhantom,
  type CompareResult,
  INPUT_ROW,
  runLabel,
} from "./eval/compare.ts";
import { NO_PREPROCESSING, parseDenoise } from "./preprocess/options.ts";

/** Progress reporting of the pipeline: one line per stage event. */
export type StageLog = (line: string) => void;

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
  const shown = model.startsWith(Deno.cwd() + "/") ? model.slice(Deno.cwd().length + 1) : model;
  log(`[real scan] phantom ${name}; ${shown} without and with --b0 auto --denoise pca ...`);
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
