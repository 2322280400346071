/**
 * `quass demo` (`deno task demo`): the whole pipeline on the software adapter in minutes:
 * dataset → train the default LSTM-Attention → phantom → predict → analytic QUASS →
 * evaluate → the summary table. Re-running reuses what exists; `--fresh` redoes everything.
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { DEMO_DEFAULTS, runDemo } from "../demo.ts";
import { loadRunPredictor } from "../eval/run_predictor.ts";
import { parseInteger, parseNonNegative, parsePositive } from "./_args.ts";

/** The `demo` command. */
export function demoCommand() {
  return new Command("demo")
    .description(
      "end-to-end demo: dataset, LSTM-Attention training, phantom, prediction, evaluation vs analytic QUASS",
    )
    .option("--dir <dir>", "work directory", "demo")
    .option("--fresh", "delete the work directory and redo every stage")
    .option("--size <n>", "training spectra", String(DEMO_DEFAULTS.datasetSize))
    .option("--epochs <n>", "training epochs", String(DEMO_DEFAULTS.epochs))
    .option(
      "--noise <sigma>",
      "σ of the Gaussian noise added to training inputs",
      String(DEMO_DEFAULTS.trainNoise),
    )
    .option("--phantom-size <n>", "phantom matrix size", String(DEMO_DEFAULTS.phantomSize))
    .option("--snr <x>", "phantom SNR", String(DEMO_DEFAULTS.snr))
    .option("--seed <n>", "seed of every stage", String(DEMO_DEFAULTS.seed))
    .action(async (o) => {
      const t0 = performance.now();
      const r = await runDemo({
        dir: o.dir,
        fresh: o.fresh ?? false,
        datasetSize: parseInteger("--size", o.size, 20),
        epochs: parseInteger("--epochs", o.epochs, 1),
        trainNoise: parseNonNegative("--noise", o.noise),
        phantomSize: parseInteger("--phantom-size", o.phantomSize, 16),
        snr: parsePositive("--snr", o.snr),
        seed: parseInteger("--seed", o.seed),
        loader: loadRunPredictor,
        log: (line) => console.error(line),
      });
      console.log(r.compare.markdown);
      const verdict = r.networkMae < r.analyticMae ? "below" : "NOT below";
      console.log(
        `Masked MAE vs the ${r.target} reference (the target both predict): LSTM-Attention ${
          r.networkMae.toExponential(3)
        }, ${r.analyticName} ${r.analyticMae.toExponential(3)}, uncorrected input ${
          r.inputMae.toExponential(3)
        } (network ${verdict} the formula for the same target).`,
      );
      if (r.pretrainedName) {
        console.log(
          `Shipped pretrained model ${r.pretrainedName}: masked MAE ${
            r.pretrainedMae?.toExponential(3)
          } vs the same reference (${
            (r.pretrainedMae ?? Infinity) < r.analyticMae ? "below" : "NOT below"
          } the formula; it gets the phantom's T1 map, as the formula does).`,
        );
      }
      if (r.realScan) {
        const rs = r.realScan;
        console.log(
          `Real-scan pipeline (${rs.phantom}, M0 with coil shading): shipped model masked MAE ${
            rs.rawMae.toExponential(3)
          } on the raw series, ${
            rs.preprocessedMae.toExponential(3)
          } after M0 → --b0 auto → --denoise pca (B0 map RMS error ${rs.b0RmsPpm.toFixed(4)} ppm).`,
        );
      }
      console.log(
        `Report: ${r.reportDir}/compare.md (per-method reports with figures in ${r.reportDir}/*/summary.md). Total ${
          ((performance.now() - t0) / 1000).toFixed(0)
        } s.`,
      );
    });
}
