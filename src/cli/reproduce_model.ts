/**
 * `quass reproduce-model`: rebuilds the shipped pretrained model from its recipe and seeds
 * (src/nn/recipe.ts): simulate the training dataset, train, copy the best checkpoint.
 *
 *     deno task quass reproduce-model [--recipe shipped|tiny] [--out models/quass-7t-cw] [--work work/]
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { describeGpu, getGpu } from "../gpu/device.ts";
import { RECIPES, reproduceModel } from "../nn/recipe.ts";
import { InputError } from "../util/errors.ts";

/** The `reproduce-model` command. */
export function reproduceModelCommand() {
  return new Command("reproduce-model")
    .description(
      "rebuild the shipped pretrained model from its recipe: dataset, training, model folder",
    )
    .option("--recipe <name>", `recipe: ${Object.keys(RECIPES).join(" or ")}`, "shipped")
    .option("--out <dir>", "model folder to write (default: models/<recipe's name>)")
    .option("--work <dir>", "folder for the dataset and the training run (re-runs resume)", "work")
    .action(async (o) => {
      const recipe = RECIPES[o.recipe];
      if (!recipe) {
        throw new InputError(
          `--recipe: unknown recipe "${o.recipe}"; use ${Object.keys(RECIPES).join(" or ")}`,
        );
      }
      const { device, info } = await getGpu();
      console.error(`quass reproduce-model: recipe ${o.recipe} on ${describeGpu(info)}`);
      const out = o.out ?? `models/${recipe.name}`;
      const r = await reproduceModel(recipe, {
        out,
        work: o.work,
        device,
        log: (line) => console.error(line),
      });
      console.log(
        `reproduce-model: ${out} (best validation MSE ${r.bestVal.toExponential(3)}; dataset ${
          r.datasetS.toFixed(0)
        } s, training ${r.trainS.toFixed(0)} s)`,
      );
    });
}
