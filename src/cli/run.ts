/** Runs a commander program with quass's error policy. @module */
import { type Command, CommanderError } from "@commander-js/extra-typings";
import { InputError } from "../util/errors.ts";
import { NoGpuError } from "../gpu/device.ts";

/**
 * Parses and runs; user errors (bad flags, bad files) print one line and exit 2, a missing
 * GPU exits 3, anything else prints the error (stack with QUASS_DEBUG=1) and exits 1.
 */
// deno-lint-ignore no-explicit-any
export async function runCli(program: Command<any, any, any>, args: string[]): Promise<void> {
  await runWithErrorPolicy(() => program.parseAsync(args, { from: "user" }));
}

/** Runs `main` under the error policy of {@link runCli} (for entry points not built on one Command). */
export async function runWithErrorPolicy(main: () => Promise<unknown>): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed its message (and help for --help / --version)
      Deno.exit(e.exitCode === 0 ? 0 : 2);
    }
    if (e instanceof InputError) {
      console.error(`quass: error: ${e.message}`);
      Deno.exit(2);
    }
    if (e instanceof NoGpuError) {
      console.error(`quass: error: ${e.message}`);
      Deno.exit(3);
    }
    if (Deno.env.get("QUASS_DEBUG")) console.error(e);
    else {console.error(
        `quass: error: ${(e as Error)?.message ?? e} (set QUASS_DEBUG=1 for a stack trace)`,
      );}
    Deno.exit(1);
  }
}
