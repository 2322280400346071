/**
 * `quass compare`: every trained run under runs/ and the analytic QUASS baseline on the same
 * phantom, each scored like for like against the reference of the target it predicts (a run
 * trained for Ts 5 s and the formula predicting Ts 5 s vs the Ts = 5 s reference; a run
 * trained with `--target steady` and the formula's Z_ss vs the exact steady state); one
 * table per target, the uncorrected input as the floor row of each.
 *
 *     deno task quass compare [--phantom phantom/] [--runs runs/] --out report/compare
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { comparePhantom } from "../eval/compare.ts";
import { loadRunPredictor } from "../eval/run_predictor.ts";

/** The `compare` command. */
export function compareCommand() {
  return new Command("compare")
    .description(
      "compare every trained run and the analytic QUASS baseline on the phantom, each against the reference of its own target (the paper's Figures 6–8 as numbers)",
    )
    .option("--phantom <dir>", "phantom directory (from quass phantom)", "phantom")
    .option(
      "--runs <dir>",
      "directory of run directories (each with model.safetensors); default: runs/ when it exists",
    )
    .option("--no-analytic", "leave out the analytic QUASS baseline")
    .requiredOption(
      "--out <dir>",
      "report directory (compare.md, compare.json, one report per method)",
    )
    .action(async (o) => {
      const res = await comparePhantom({
        phantom: o.phantom,
        runs: o.runs,
        out: o.out,
        analytic: o.analytic,
        loader: loadRunPredictor,
        log: (line) => console.error(line),
      });
      console.log(res.markdown);
      console.log(
        `compare: table in ${o.out.replace(/\/+$/, "")}/compare.md, per-method reports in ${
          o.out.replace(/\/+$/, "")
        }/*/summary.md`,
      );
    });
}
