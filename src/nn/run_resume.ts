/**
 * The one `--resume` check of a training run's configuration, used by the CLI before
 * anything is built (src/nn/run_dir.ts `runStart`: the architecture asked for) and by the
 * trainer (src/nn/train.ts `train`: the whole model and training configuration). Both read
 * config.json the same way and refuse with the same messages.
 * @module
 */
import { InputError } from "../util/errors.ts";
import { configFromJson, configToJson } from "./checkpoint.ts";
import type { RunConfig } from "./presets.ts";

/** What a resumed run is asked to be now. */
export interface ResumeRequest {
  /** The architecture asked for (--arch). */
  arch: string;
  /** The whole configuration given now; only `train.epochs` may differ from the run's. */
  cfg?: RunConfig;
}

/**
 * Reads a run's config.json for `--resume` and checks it against what is asked now: the
 * architecture, and with `now.cfg` the model (every field) and the training settings (all
 * but the epochs).
 * @param path the run's config.json
 * @returns the run's configuration (older runs' missing training settings filled in)
 * @throws InputError when the file is missing or unreadable, or the run differs
 */
export async function loadResumeConfig(path: string, now: ResumeRequest): Promise<RunConfig> {
  let saved: RunConfig;
  try {
    saved = configFromJson(await Deno.readTextFile(path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new InputError(`${path}: file not found; nothing to resume (drop --resume)`);
    }
    throw new InputError(
      `${path}: cannot read the run's config (${
        (e as Error).message
      }); nothing to resume (drop --resume)`,
    );
  }
  if (typeof saved?.model !== "object" || typeof saved?.train !== "object" || !saved.model) {
    throw new InputError(
      `${path}: not a run's config (no model and train settings); nothing to resume (drop --resume)`,
    );
  }
  checkResumeConfig(path, saved, now);
  return saved;
}

/**
 * Checks a run's saved configuration against what is asked now (see {@link loadResumeConfig}).
 * @throws InputError naming config.json and the fix
 */
export function checkResumeConfig(path: string, saved: RunConfig, now: ResumeRequest): void {
  if (saved.model.arch !== now.arch) {
    throw new InputError(
      `${path}: the run was started with model "${saved.model.arch}", not "${now.arch}"; use --arch ${saved.model.arch}`,
    );
  }
  if (!now.cfg) return;
  const a = JSON.stringify({ ...saved.model }), b = JSON.stringify({ ...now.cfg.model });
  if (a !== b) {
    throw new InputError(
      `${path}: the run was started with model ${a}, not ${b}; resume with the same flags`,
    );
  }
  // (configFromJson fills the settings older runs did not record; key order may differ)
  const { epochs: _e1, ...savedTrain } = saved.train;
  const { epochs: _e2, ...curTrain } = now.cfg.train;
  const model = now.cfg.model;
  const canon = (t: object) =>
    configToJson({
      model,
      train: Object.fromEntries(Object.entries(t).sort(([x], [y]) => (x < y ? -1 : 1))) as never,
    });
  if (canon(savedTrain) !== canon(curTrain)) {
    throw new InputError(
      `${path}: training settings differ from the run's (only --epochs may change on --resume)`,
    );
  }
}
