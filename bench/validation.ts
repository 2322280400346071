/**
 * `deno task bench validation`: scores trained models on a dataset's validation split
 * against the like-for-like formula (src/eval/validation_score.ts): the numbers a model's
 * configuration is chosen by, so that the evaluation suite is never looked at while tuning.
 *
 *     deno task bench validation --data data/wide-120k-s2026.safetensors --model runs/a [--model runs/b]
 *       [--count 3000] [--snrs 100] [--seed 0]
 *
 * Prints one Markdown table: per model and input (clean, each SNR), MAE ratio model /
 * formula and, in brackets, the ratio on the third of the spectra the formula gets best.
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { runCli } from "../src/cli/run.ts";
import { readTrainingData } from "../src/nn/training_data.ts";
import { loadRunPredictor } from "../src/eval/run_predictor.ts";
import { scoreOnValidation } from "../src/eval/validation_score.ts";
import { parseInteger, parsePositive } from "../src/cli/_args.ts";

/** Entry from bench/main.ts: `validation` and its flags (quass's error policy: src/cli/run.ts). */
export async function validationMain(args: string[]): Promise<void> {
  const cmd = new Command("bench validation")
    .exitOverride()
    .description("Score models on a dataset's validation split against the formula")
    .requiredOption("--data <file>", "the dataset the models were trained on")
    .requiredOption(
      "--model <dir>",
      "a run or model directory (repeatable)",
      (v, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option("--count <n>", "validation spectra scored", "3000")
    .option("--snrs <list>", "noisy inputs, comma-separated SNRs", "100")
    .option("--seed <n>", "seed of the noise draws", "0")
    .action(async (o) => {
      const data = await readTrainingData(o.data);
      const snrs = o.snrs.split(",").map((s) => parsePositive("--snrs", s));
      const count = parseInteger("--count", o.count, 3);
      const seed = parseInteger("--seed", o.seed, 0);
      const cols = ["clean", ...snrs.map((s) => `SNR ${s}`)];
      console.log(`| model | ${cols.join(" | ")} |\n|---|${cols.map(() => "---").join("|")}|`);
      for (const dir of o.model) {
        const scores = await scoreOnValidation(await loadRunPredictor(dir), data, {
          count,
          snrs,
          seed,
        });
        const cell = (r: number, b: number) => `${r.toFixed(3)}× (${b.toFixed(3)}×)`;
        console.log(
          `| ${dir} | ${scores.map((s) => cell(s.ratio, s.bestThirdRatio)).join(" | ")} |`,
        );
        for (const s of scores) {
          console.error(
            `validation: ${dir} SNR ${s.snr}: model MAE ${s.modelMae.toExponential(3)}, formula ${
              s.formulaMae.toExponential(3)
            }`,
          );
        }
      }
    });
  await runCli(cmd, args);
}

if (import.meta.main) await validationMain(Deno.args);
