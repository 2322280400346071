import { Command } from "@commander-js/extra-typings";
import { runCli } from "/work/main/src/cli/run.ts";
import { trainCommand } from "/work/main/src/cli/train.ts";
import { predictSpectraCommand } from "/work/main/src/cli/predict_spectra.ts";
const p = new Command("quass").exitOverride().showSuggestionAfterError(true);
p.addCommand(trainCommand()); p.addCommand(predictSpectraCommand());
await runCli(p, Deno.args);
