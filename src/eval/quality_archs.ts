/**
 * Trains the six architectures with the same data and the same budget (epochs and batch,
 * no early stopping) for the quality suite's comparison (`deno task bench quality --archs
 * DATA.safetensors`). Each run lands in `<runsDir>/<arch>` as a normal run directory that
 * loadRunPredictor reads.
 * @module
 */
import { InputError } from "../util/errors.ts";
import { getGpu } from "../gpu/device.ts";
import { type ArchName, ARCHS } from "../nn/models/config.ts";
import { type ConfigOverrides, type PresetName, PRESETS, resolveConfig } from "../nn/presets.ts";
import { formulaInputFromProtocol } from "../nn/formula_input.ts";
import { train } from "../nn/train.ts";
import { readTrainingData } from "../nn/training_data.ts";

/** Options of {@link trainArchRuns}. */
export interface ArchRunsOptions {
  /** Training dataset (.safetensors from `quass simulate dataset`). */
  data: string;
  /** Folder of the runs (one sub-folder per architecture). */
  runsDir: string;
  /** Epochs of every architecture (the common budget). */
  epochs: number;
  /** Spectra per mini-batch (default: the preset's). */
  batch?: number;
  /** Size preset (default "default"). */
  preset?: PresetName;
  /** Subset of the architectures (default all six, in ARCHS order). */
  archs?: readonly string[];
  /** Seed of init, shuffling and noise (default 0). */
  seed?: number;
  /** Every run is T1-informed (formula_input.ts). */
  formulaInput?: boolean;
  /** Further settings shared by every run (learning rate, schedule, SNR augmentation, …). */
  overrides?: ConfigOverrides;
  onLine?: (line: string) => void;
}

/** A trained run of {@link trainArchRuns}. */
export interface ArchRun {
  arch: ArchName;
  dir: string;
  bestVal: number;
  bestEpoch: number;
  seconds: number;
}

/**
 * Trains every requested architecture on the same data with the same epochs and batch.
 * @throws InputError naming the flag for an unknown architecture, a bad budget or preset,
 *   or an unreadable dataset
 */
export async function trainArchRuns(o: ArchRunsOptions): Promise<ArchRun[]> {
  const archs = (o.archs ?? ARCHS) as readonly string[];
  for (const a of archs) {
    if (!(ARCHS as readonly string[]).includes(a)) {
      throw new InputError(`--arch-list: unknown architecture "${a}"; use ${ARCHS.join(",")}`);
    }
  }
  if (!Number.isInteger(o.epochs) || o.epochs < 1) {
    throw new InputError(`--budget-epochs must be a positive integer, found ${o.epochs}`);
  }
  const preset = o.preset ?? "default";
  if (!(PRESETS as readonly string[]).includes(preset)) {
    throw new InputError(`--preset: unknown preset "${preset}"; use ${PRESETS.join(", ")}`);
  }
  let data;
  try {
    data = await readTrainingData(o.data);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new InputError(
      `--archs ${e.message}; give a dataset written by \`quass simulate dataset\``,
    );
  }
  const { device } = await getGpu();
  const out: ArchRun[] = [];
  for (const arch of archs as readonly ArchName[]) {
    let cfg;
    try {
      cfg = resolveConfig(arch, preset, data.T, {
        ...o.overrides,
        ...(o.formulaInput
          ? { input: formulaInputFromProtocol(data.protocol, o.data, data.b0T) }
          : {}),
        epochs: o.epochs,
        batch: o.batch,
        patience: 0,
        seed: o.seed ?? 0,
      });
    } catch (e) {
      throw new InputError((e as Error).message, { cause: e });
    }
    const dir = `${o.runsDir.replace(/\/+$/, "")}/${arch}`;
    o.onLine?.(
      `quality: training ${arch} (H ${cfg.model.hidden}, ${cfg.train.epochs} epochs, batch ${cfg.train.batch}) → ${dir}`,
    );
    const t0 = performance.now();
    const res = await train(device, data, cfg, {
      out: dir,
      preset,
      onEpoch: (e) =>
        o.onLine?.(
          `quality: ${arch} epoch ${e.epoch}: val ${e.val_loss.toExponential(3)} (${
            e.time.toFixed(1)
          } s)`,
        ),
    });
    out.push({
      arch,
      dir,
      bestVal: res.bestVal,
      bestEpoch: res.bestEpoch,
      seconds: (performance.now() - t0) / 1000,
    });
  }
  return out;
}
