/**
 * Test driver: `quass simulate spectrum` without src/cli/main.ts, used only while
 * src/cli/simulate_dataset.ts (imported by main.ts) does not exist yet.
 */
import { Command } from "@commander-js/extra-typings";
import { runCli } from "../../src/cli/run.ts";
import { spectrumCommand } from "../../src/cli/simulate_spectrum.ts";

const simulate = new Command("simulate").exitOverride().addCommand(
  spectrumCommand().exitOverride(),
);
await runCli(new Command("quass").exitOverride().addCommand(simulate), Deno.args);
