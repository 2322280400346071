/**
 * Which model a prediction request runs: a trained run under the runs directory, or the
 * shipped pretrained model, with whether it needs the water T1.
 * @module
 */
import { InputError } from "../util/errors.ts";
import { checkName, resolveUnder } from "./paths.ts";
import type { AppConfig } from "./define.ts";
import { isT1Informed } from "./catalog.ts";

/** A resolved model: a trained run or the shipped pretrained model. */
export interface ResolvedRun {
  runName: string;
  runDir: string;
  pretrained: boolean;
  /** From the model's config.json: T1-informed models need the water T1. */
  needsT1: boolean;
}

async function _needsT1(dir: string): Promise<boolean> {
  try {
    const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
    return typeof config === "object" && config !== null && isT1Informed(config);
  } catch {
    return false; // the loader reports a missing or broken config
  }
}

async function _hasWeights(dir: string): Promise<boolean> {
  try {
    return (await Deno.stat(`${dir}/model.safetensors`)).isFile;
  } catch {
    return false;
  }
}

/**
 * Resolves a run name to its directory and checks it has weights (InputError otherwise);
 * no name (null or "") means the shipped pretrained model `config.pretrainedDir`.
 */
export async function resolveRun(
  config: Pick<AppConfig, "runsDir" | "pretrainedDir">,
  name: string | null,
): Promise<ResolvedRun> {
  if (!name) {
    const dir = config.pretrainedDir.replace(/\/+$/, "");
    if (!dir || !(await _hasWeights(dir))) {
      throw new InputError(
        `No run chosen and the shipped pretrained model is not installed (${dir}/model.safetensors): pick a trained run (field "run") or run deno task quass reproduce-model`,
      );
    }
    return {
      runName: dir.split("/").at(-1)!,
      runDir: dir,
      pretrained: true,
      needsT1: await _needsT1(dir),
    };
  }
  checkName(name, "run");
  let dir: string;
  try {
    dir = await resolveUnder(config.runsDir, name);
  } catch {
    throw new InputError(
      `Run ${JSON.stringify(name)} does not exist in the runs directory; choose one from the list`,
    );
  }
  if (!(await _hasWeights(dir))) {
    throw new InputError(
      `Run ${
        JSON.stringify(name)
      } has no model.safetensors yet; train it first or choose another run`,
    );
  }
  return { runName: name, runDir: dir, pretrained: false, needsT1: await _needsT1(dir) };
}
