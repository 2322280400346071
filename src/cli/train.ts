/**
 * `quass train`: trains one of the six architectures on a paired dataset.
 *
 *     deno task quass train --arch lstm-attention --data data/train.safetensors --out runs/a \
 *       [--preset paper|default|tiny] [--epochs N] [--batch 256] [--lr 1e-4] [--hidden H] \
 *       [--heads 4] [--embed E] [--seed S] [--patience P] [--noise SIGMA] [--clip NORM] \
 *       [--snr MIN:MAX [--clean-fraction F] [--noisy-validation]] [--residual | --direct] [--resume]
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import { InputError } from "../util/errors.ts";
import { type Progress, startProgress } from "../util/progress.ts";
import { describeGpu, getGpu } from "../gpu/device.ts";
import { ARCHS, isArch, type SpectrumFeature } from "../nn/models/mod.ts";
import { type ConfigOverrides, type PresetName, PRESETS, resolveConfig } from "../nn/presets.ts";
import { train } from "../nn/train.ts";
import { fitScalingOn, readTrainingData } from "../nn/training_data.ts";
import { runPaths } from "../nn/checkpoint.ts";
import { checkRunOut, openRunDir, runStart } from "../nn/run_dir.ts";
import { parseInteger, parseNonNegative, parseNumber, parsePositive } from "./_args.ts";
import { describeInput, formulaInputFromProtocol } from "../nn/formula_input.ts";
import { isLrSchedule, LR_SCHEDULES } from "../nn/schedule.ts";

/**
 * `--snr MIN:MAX` (log-uniform) or `--snr X` (one SNR) → [min, max].
 * @throws InputError naming --snr and the form to write
 */
export function parseSnrRange(value: string): [number, number] {
  const parts = value.split(":");
  if (parts.length > 2) {
    throw new InputError(`--snr: expected MIN:MAX (e.g. --snr 30:1000) but got "${value}"`);
  }
  if (parts.some((p) => /^\s*\+?inf(inity)?\s*$/i.test(p))) {
    throw new InputError(
      `--snr: SNR bounds must be finite (log-uniform needs a top); for noise-free spectra ` +
        `add --clean-fraction, e.g. --snr 30:1000 --clean-fraction 0.2`,
    );
  }
  const [lo, hi] = parts.map((p) => parseNumber("--snr", p));
  return [lo!, hi ?? lo!];
}

/** The `train` command. */
export function trainCommand() {
  return new Command("train")
    .exitOverride()
    .description("Train a network mapping short-saturation Z-spectra to QUASS spectra")
    .addOption(new Option("--arch <name>", "architecture").choices(ARCHS).makeOptionMandatory())
    .requiredOption(
      "--data <file>",
      "training dataset (.safetensors with input, target, offsets_ppm)",
    )
    .requiredOption("--out <dir>", "run directory (checkpoints, config.json, log.jsonl)")
    .addOption(
      new Option("--preset <name>", "size and hyper-parameter preset").choices(PRESETS).default(
        "default",
      ),
    )
    .option("--epochs <n>", "epochs")
    .option("--batch <n>", "spectra per mini-batch")
    .option("--lr <x>", "Adam learning rate")
    .option("--hidden <n>", "hidden size H")
    .option("--embed <n>", "input embedding size E (lstm-attention)")
    .option("--heads <n>", "attention heads (lstm-attention)")
    .option("--seed <n>", "random seed (init, shuffling, noise)", "0")
    .option("--patience <n>", "early stopping: epochs without improvement (0 = off)")
    .option("--noise <sigma>", "σ of Gaussian noise added to training inputs (0 = off)")
    .option(
      "--snr <min:max>",
      "Rician noise augmentation of training inputs: per spectrum, SNR (of M0) log-uniform " +
        "in [min, max], signal and M0 both noisy (off by default)",
    )
    .option("--clean-fraction <f>", "with --snr: fraction of spectra left clean (default 0)")
    .option(
      "--noisy-validation",
      "with --snr: validate on augmented inputs too (fixed draw; default: clean validation)",
    )
    .option(
      "--input <kind>",
      "network input: 'spectrum' (the measured Z-spectrum, default) or 'formula' (T1-informed: " +
        "the analytic QUASS prediction from the spectrum and the water T1; prediction then needs --t1)",
    )
    .option(
      "--features <list>",
      "per-spectrum inputs beside the spectrum, comma-separated (MLP only): noise (its " +
        "estimated noise level: one model for clean and noisy scans, with --snr), t1 (the water T1)",
    )
    .option(
      "--normalize",
      "standardise the network's input per offset and scale its residual output, fitted on " +
        "the training split (stored with the model)",
    )
    .option(
      "--schedule <name>",
      "learning-rate schedule: constant (default) or cosine (warm-up, decay)",
    )
    .option("--clip <norm>", 'clip the global gradient norm ("inf" = off)')
    .option("--steps-per-submit <n>", "training steps per GPU submission")
    .option("--max-slice <n>", "at most n spectra per batch slice (caps GPU memory; same steps)")
    .option("--residual", "predict target − input (default)")
    .option("--direct", "predict the target directly")
    .option("--resume", "continue the run in --out from its last completed epoch")
    .option("--quiet", "no progress bar (epoch lines only)")
    .action(async (o) => {
      if (!isArch(o.arch)) throw new InputError(`--arch: unknown architecture "${o.arch}"`);
      if (o.residual && o.direct) {
        throw new InputError("--residual and --direct: give only one of them");
      }
      const int = (
        flag: string,
        v: string | undefined,
        min = 1,
      ) => (v === undefined ? undefined : parseInteger(flag, v, min));
      const snr = o.snr === undefined ? undefined : parseSnrRange(o.snr);
      const ov: ConfigOverrides = {
        epochs: int("--epochs", o.epochs),
        batch: int("--batch", o.batch),
        lr: o.lr === undefined ? undefined : parsePositive("--lr", o.lr),
        hidden: int("--hidden", o.hidden),
        embed: int("--embed", o.embed),
        heads: int("--heads", o.heads),
        seed: int("--seed", o.seed, 0),
        patience: int("--patience", o.patience, 0),
        noise: o.noise === undefined ? undefined : parseNonNegative("--noise", o.noise),
        snrMin: snr?.[0],
        snrMax: snr?.[1],
        cleanFraction: o.cleanFraction === undefined
          ? undefined
          : parseNonNegative("--clean-fraction", o.cleanFraction),
        noisyValidation: o.noisyValidation ? true : undefined,
        clip: o.clip === undefined
          ? undefined
          : /^inf/i.test(o.clip)
          ? Infinity
          : parsePositive("--clip", o.clip),
        stepsPerSubmit: int("--steps-per-submit", o.stepsPerSubmit),
        residual: o.residual ? true : o.direct ? false : undefined,
        // names are checked with the rest of the configuration (resolveConfig)
        features: o.features?.split(",").map((v) => v.trim()) as SpectrumFeature[] | undefined,
      };
      if (o.input !== undefined && o.input !== "spectrum" && o.input !== "formula") {
        throw new InputError(`--input must be spectrum or formula (got "${o.input}")`);
      }
      if (o.schedule !== undefined && !isLrSchedule(o.schedule)) {
        throw new InputError(
          `--schedule must be one of ${LR_SCHEDULES.join(", ")} (got "${o.schedule}")`,
        );
      }
      ov.lrSchedule = o.schedule;
      const maxSlice = int("--max-slice", o.maxSlice);
      await checkRunOut(o.out, !!o.resume);
      const data = await readTrainingData(o.data);
      if (o.input === "formula") {
        ov.input = formulaInputFromProtocol(data.protocol, o.data, data.b0T);
      }
      let cfg;
      try {
        cfg = resolveConfig(o.arch, o.preset as PresetName, data.T, ov);
      } catch (e) {
        throw new InputError((e as Error).message, { cause: e });
      }
      // lock --out, then record the dataset (new run) or check it and take the run's settings
      const run = await openRunDir(o.out, { resume: !!o.resume });
      run.notes.forEach((msg) => console.error(`quass train: ${msg}`));
      const start = await run.guard(
        runStart(o.out, o.data, { resume: !!o.resume, arch: o.arch, epochs: ov.epochs }),
      );
      if (start.cfg) cfg = start.cfg; // The run's own settings win; only --epochs may extend it.
      else if (o.normalize) cfg.model.scaling = fitScalingOn(data, cfg.model);
      if (start.warning) console.error(`quass train: warning: ${start.warning}`);
      const { device, info } = await run.guard(getGpu());
      console.error(
        `quass train: ${cfg.model.arch} H=${cfg.model.hidden} on ${data.trainIdx.length} train / ${data.valIdx.length} val spectra; ${
          describeGpu(info)
        }`,
      );
      if (cfg.model.input) console.error(`quass train: input ${describeInput(cfg.model.input)}`);
      if (cfg.model.features) {
        console.error(`quass train: per-spectrum features ${cfg.model.features.join(", ")}`);
      }
      const aug = cfg.train.snrAugment;
      if (aug) {
        console.error(
          `quass train: Rician noise on training inputs, SNR ${aug.snrMin}–${aug.snrMax} ` +
            `(log-uniform), ${(100 * aug.cleanFraction).toFixed(0)} % clean; validation ` +
            `${cfg.train.noisyValidation ? "noisy (fixed draw)" : "clean"}`,
        );
      }
      let bar: Progress | undefined;
      const res = await run.guard(train(device, data, cfg, {
        out: o.out,
        resume: !!o.resume,
        preset: o.preset,
        onNote: (msg) => console.error(`quass train: ${msg}`),
        maxSlice,
        record: start.record,
        onProgress: (p) => {
          bar ??= startProgress(`epoch ${p.epoch}/${p.epochs}`, p.total, "samples", !!o.quiet);
          bar.update(p.done, Number.isNaN(p.loss) ? "" : `| loss ${p.loss.toExponential(3)}`);
        },
        onEpoch: (e) => {
          bar?.stop();
          bar = undefined;
          console.error(
            `epoch ${e.epoch}: train ${e.train_loss?.toExponential(4) ?? "-"}  val ${
              e.val_loss.toExponential(4)
            }  ` +
              `${e.samples_per_s.toFixed(0)} samples/s  ${e.time.toFixed(1)} s`,
          );
        },
      }));
      await run.release();
      console.error(
        `quass train: best val MSE ${res.bestVal.toExponential(4)} at epoch ${res.bestEpoch}` +
          `${res.stoppedEarly ? " (stopped early)" : ""}; weights in ${runPaths(o.out).model}`,
      );
    });
}
