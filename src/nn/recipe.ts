/**
 * The recipe of the shipped pretrained model (models/quass-7t-cw) and the function that
 * reproduces it from its seeds with our own engine: simulate the training dataset, train,
 * and copy the best checkpoint into the model folder. `quass reproduce-model` runs it;
 * the `tiny` recipe exercises the same path in seconds (tests).
 *
 * Long jobs resume: the dataset is reused when the work folder holds it, and an
 * interrupted training run continues from its last completed epoch.
 * @module
 */
import { generateDataset, readDataset, writeDataset } from "../data/dataset.ts";
import { namedParamSpace, type ParamSpaceName } from "../physics/param_space.ts";
import { exists, writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";
import type { ArchName, SpectrumFeature } from "./models/config.ts";
import { type ConfigOverrides, type PresetName, resolveConfig } from "./presets.ts";
import { runPaths } from "./checkpoint.ts";
import { formulaInputFromProtocol } from "./formula_input.ts";
import { train } from "./train.ts";
import { fitScalingOn, trainingDataFromDataset } from "./training_data.ts";
import type { LrSchedule } from "./schedule.ts";

/** Everything that fixes a shipped model. */
export interface ModelRecipe {
  /** Folder name under models/. */
  name: string;
  /** Training dataset: `quass simulate dataset --space SPACE --n N --seed SEED`. */
  space: ParamSpaceName;
  n: number;
  dataSeed: number;
  arch: ArchName;
  preset: PresetName;
  hidden: number;
  /** "formula": T1-informed (formula_input.ts); "spectrum": the spectrum alone. */
  input: "formula" | "spectrum";
  /** Per-spectrum features beside the spectrum (ModelConfig.features). */
  features: SpectrumFeature[];
  /** Standardised input, scaled residual output (scaling.ts). */
  normalize: boolean;
  epochs: number;
  batch: number;
  lr: number;
  lrSchedule: LrSchedule;
  /** Rician augmentation: SNR range (log-uniform) and clean fraction. */
  snrMin: number;
  snrMax: number;
  cleanFraction: number;
  trainSeed: number;
}

/**
 * The shipped model. Chosen on the wide dataset's validation split (noisy validation) by
 * the sweep recorded in models/quass-7t-cw/MODEL_CARD.md; never on the evaluation suite.
 */
export const SHIPPED_RECIPE: ModelRecipe = {
  name: "quass-7t-cw",
  space: "wide",
  n: 120_000,
  dataSeed: 2026,
  arch: "mlp",
  preset: "default",
  hidden: 256,
  input: "formula",
  features: ["noise", "t1"],
  normalize: true,
  epochs: 12,
  batch: 128,
  lr: 1e-3,
  lrSchedule: "cosine",
  snrMin: 50,
  snrMax: 1000,
  cleanFraction: 0.5,
  trainSeed: 1,
};

/** The same path at a size that runs in seconds (tests). */
export const TINY_RECIPE: ModelRecipe = {
  ...SHIPPED_RECIPE,
  name: "quass-tiny",
  n: 96,
  hidden: 16,
  epochs: 2,
  batch: 16,
};

/** Named recipes (`quass reproduce-model --recipe`). */
export const RECIPES: Record<string, ModelRecipe> = {
  shipped: SHIPPED_RECIPE,
  tiny: TINY_RECIPE,
};

/** The `quass` commands equivalent to a recipe (for the model card and logs). */
export function recipeCommands(r: ModelRecipe, data: string, run: string): string[] {
  return [
    `quass simulate dataset --space ${r.space} --n ${r.n} --seed ${r.dataSeed} --out ${data}`,
    `quass train --arch ${r.arch} --preset ${r.preset} --hidden ${r.hidden} --input ${r.input} ` +
    (r.features.length ? `--features ${r.features.join(",")} ` : "") +
    (r.normalize ? "--normalize " : "") +
    `--epochs ${r.epochs} --batch ${r.batch} --lr ${r.lr} --schedule ${r.lrSchedule} ` +
    `--snr ${r.snrMin}:${r.snrMax} --clean-fraction ${r.cleanFraction} --noisy-validation ` +
    `--patience 0 --seed ${r.trainSeed} --data ${data} --out ${run}`,
  ];
}

/** Options of {@link reproduceModel}. */
export interface ReproduceOptions {
  /** The model folder to write (model.safetensors, config.json, recipe.json). */
  out: string;
  /** Work folder for the dataset and the training run (kept, so a re-run resumes). */
  work: string;
  device: GPUDevice;
  log?: (line: string) => void;
  /** Dataset simulator (default: the GPU engine); tests may plug in another. */
  simulate?: Parameters<typeof generateDataset>[0]["simulate"];
}

/**
 * Reproduces a recipe's model: dataset → training → model folder.
 * @returns the best validation loss and the wall time of each stage, s
 * @throws InputError when the work folder holds a run of another recipe
 */
export async function reproduceModel(
  r: ModelRecipe,
  o: ReproduceOptions,
): Promise<{ bestVal: number; datasetS: number; trainS: number }> {
  const log = o.log ?? (() => {});
  const work = o.work.replace(/\/+$/, ""), out = o.out.replace(/\/+$/, "");
  await Deno.mkdir(work, { recursive: true });
  const dataPath = `${work}/${r.name}-data.safetensors`, runDir = `${work}/${r.name}-run`;
  for (const c of recipeCommands(r, dataPath, runDir)) log(`recipe: ${c}`);
  let t0 = performance.now();
  let ds;
  if (await exists(dataPath)) {
    ds = await readDataset(dataPath);
    if (ds.metadata.seed !== String(r.dataSeed) || ds.count !== r.n) {
      throw new InputError(
        `${dataPath}: holds ${ds.count} samples of seed ${ds.metadata.seed}, not the recipe's ${r.n} of seed ${r.dataSeed}; remove it or choose another --work`,
      );
    }
    log(`dataset: reusing ${dataPath}`);
  } else {
    log(`dataset: simulating ${r.n} pairs (${r.space} space, seed ${r.dataSeed})`);
    let logged = 0;
    ds = await generateDataset({
      n: r.n,
      seed: r.dataSeed,
      space: namedParamSpace(r.space),
      simulate: o.simulate,
      onProgress: (done, total) => {
        const decile = Math.floor((10 * done) / total);
        if (decile > logged) log(`dataset: ${done}/${total}`), logged = decile;
      },
    });
    await writeDataset(dataPath, ds);
  }
  const datasetS = (performance.now() - t0) / 1000;
  const data = trainingDataFromDataset(ds, dataPath);
  const ov: ConfigOverrides = {
    hidden: r.hidden,
    epochs: r.epochs,
    batch: r.batch,
    lr: r.lr,
    lrSchedule: r.lrSchedule,
    snrMin: r.snrMin,
    snrMax: r.snrMax,
    cleanFraction: r.cleanFraction,
    noisyValidation: true,
    patience: 0,
    seed: r.trainSeed,
    features: r.features,
    ...(r.input === "formula"
      ? { input: formulaInputFromProtocol(data.protocol, dataPath, data.b0T) }
      : {}),
  };
  const cfg = resolveConfig(r.arch, r.preset, data.T, ov);
  if (r.normalize) cfg.model.scaling = fitScalingOn(data, cfg.model);
  const resume = await exists(runPaths(runDir).optimizer);
  log(`train: ${r.arch} H ${r.hidden}, ${r.epochs} epochs${resume ? " (resuming)" : ""}`);
  t0 = performance.now();
  const res = await train(o.device, data, cfg, {
    out: runDir,
    resume,
    preset: r.preset,
    onEpoch: (e) =>
      log(`train: epoch ${e.epoch}: val ${e.val_loss.toExponential(3)} (${e.time.toFixed(0)} s)`),
  });
  const trainS = (performance.now() - t0) / 1000;
  await Deno.mkdir(out, { recursive: true });
  const src = runPaths(runDir), dst = runPaths(out);
  await writeFileAtomic(dst.model, await Deno.readFile(src.model));
  await writeFileAtomic(dst.config, await Deno.readTextFile(src.config));
  await writeFileAtomic(dst.log, await Deno.readTextFile(src.log));
  await writeFileAtomic(`${out}/recipe.json`, JSON.stringify(r, null, 2) + "\n");
  log(`model: ${out} (best validation MSE ${res.bestVal.toExponential(3)})`);
  return { bestVal: res.bestVal, datasetS, trainS };
}
