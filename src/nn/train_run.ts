/**
 * A training run's directory (config.json, log.jsonl, model.safetensors,
 * optimizer.safetensors): what a resumed run starts from, what a new run records, and the
 * checkpoint written after each epoch. The training loop is src/nn/train.ts.
 * @module
 */
import { exists, writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";
import {
  configToJson,
  loadOptimizer,
  type OptimizerState,
  type runPaths,
  saveOptimizer,
} from "./checkpoint.ts";
import type { RunConfig } from "./presets.ts";
import { loadResumeConfig } from "./run_resume.ts";

/** The files of a run directory. */
export type RunPaths = ReturnType<typeof runPaths>;

/** One line of log.jsonl. */
export interface EpochLog {
  epoch: number;
  /** Mean training loss over the epoch's steps (null for epoch 0, the initial state). */
  train_loss: number | null;
  val_loss: number;
  samples_per_s: number;
  /** Seconds since the run (or this resumed part of it) started. */
  time: number;
}

/**
 * The state a run starts from: with `resume`, the run's optimizer checkpoint (after checking
 * its config.json against `cfg`) and its log up to the checkpoint's epoch; else nothing,
 * after checking that `paths` holds no run yet.
 * @param paths the run directory's files (undefined: nothing on disk)
 * @param total floats of the model's parameters
 * @throws InputError when there is nothing (or nothing that fits) to resume, or a new run
 *   would overwrite one
 */
export async function openRun(
  paths: RunPaths | undefined,
  out: string | undefined,
  resume: boolean,
  cfg: RunConfig,
  total: number,
): Promise<{ state?: OptimizerState; log: EpochLog[] }> {
  let state: OptimizerState | undefined;
  let log: EpochLog[] = [];
  if (resume) {
    if (!paths) throw new InputError("--resume needs --out (the run directory to continue)");
    await loadResumeConfig(paths.config, { arch: cfg.model.arch, cfg });
    state = await loadOptimizer(paths.optimizer, cfg.model.arch, total);
    try {
      const text = await Deno.readTextFile(paths.log);
      log = text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as EpochLog).filter((
        e,
      ) => e.epoch <= state!.epoch);
    } catch {
      log = [];
    }
  }

  if (paths && !resume && await exists(paths.optimizer)) {
    throw new InputError(
      `${out} already holds a training run; pass --resume to continue it or choose another --out`,
    );
  }
  return { state, log };
}

/**
 * Writes a new run's config.json (the configuration plus `described`, fields that only
 * describe the run for the dashboard: resume compares model and train) and drops an old log.
 */
export async function recordRunStart(
  paths: RunPaths,
  cfg: RunConfig,
  described: Record<string, unknown>,
): Promise<void> {
  const json = { ...JSON.parse(configToJson(cfg)), ...described };
  await writeFileAtomic(paths.config, JSON.stringify(json, null, 2) + "\n");
  await Deno.remove(paths.log).catch(() => {});
}

/** Writes the log so far and the optimizer checkpoint after an epoch. */
export async function saveEpoch(
  paths: RunPaths,
  log: EpochLog[],
  cfg: RunConfig,
  state: OptimizerState,
): Promise<void> {
  await writeFileAtomic(paths.log, log.map((l) => JSON.stringify(l)).join("\n") + "\n");
  await saveOptimizer(paths.optimizer, cfg, state);
}
