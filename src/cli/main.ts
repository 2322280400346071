/**
 * quass command line: `deno task quass <command> ...`. Each command lives in its own file
 * under src/cli/ and only parses flags and calls functions in src/.
 * @module
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import { runCli } from "./run.ts";
import { simulateCommand } from "./simulate.ts";
import { trainCommand } from "./train.ts";
import { predictSpectraCommand } from "./predict_spectra.ts";
import { evaluateCommand } from "./evaluate.ts";
import { phantomCommand } from "./phantom.ts";
import { predictCommand } from "./predict.ts";
import { quassFitCommand } from "./quass_fit.ts";
import { compareCommand } from "./compare.ts";
import { demoCommand } from "./demo.ts";
import { reproduceModelCommand } from "./reproduce_model.ts";

export function buildProgram(): Command {
  const program = new Command("quass")
    .description("GPU-first quasi-steady-state (QUASS) CEST engine")
    .showSuggestionAfterError(true)
    .exitOverride();
  program.addCommand(simulateCommand());
  program.addCommand(trainCommand());
  program.addCommand(predictSpectraCommand());
  program.addCommand(evaluateCommand());
  program.addCommand(phantomCommand());
  program.addCommand(predictCommand());
  program.addCommand(quassFitCommand());
  program.addCommand(compareCommand());
  program.addCommand(demoCommand());
  program.addCommand(reproduceModelCommand());
  _applyErrorPolicy(program);
  return program;
}

/** Subcommands do not inherit exitOverride: apply it everywhere so bad flags exit 2. */
// deno-lint-ignore no-explicit-any
function _applyErrorPolicy(cmd: Command<any, any, any>): void {
  cmd.exitOverride().showSuggestionAfterError(true);
  for (const sub of cmd.commands) _applyErrorPolicy(sub);
}

if (import.meta.main) {
  await runCli(buildProgram(), Deno.args);
}

export { CommanderError };
