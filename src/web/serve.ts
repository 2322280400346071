/**
 * `deno task serve [--port 8000] [--host 127.0.0.1] [--runs runs/] [--reports report/]
 * [--data data/] [--bench bench/results/] [--upload-limit-mb 256]`: builds the island bundle
 * when missing or stale, then serves the dashboard and prints its URL.
 * @module
 */
import { Command, InvalidArgumentError } from "@commander-js/extra-typings";
import { createApp, type QuassApp } from "./app.ts";
import { simulateForPage } from "./simulate.ts";
import { buildIslands, bundleIsFresh } from "./build.ts";

function _int(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    throw new InvalidArgumentError(`expected a non-negative integer, got ${v}`);
  }
  return n;
}

/**
 * Runs one small simulation through the queue in the background so that the GPU kernels
 * are compiled before the first visitor moves a slider (on a software adapter the first
 * compilation can take a minute; requests keep being served meanwhile).
 */
function _warmUp(app: QuassApp): void {
  const t0 = performance.now();
  simulateForPage(app.config.modelsDir, { model: "normal" }, app.services.simulate).then(
    () =>
      console.log(
        `quass dashboard: simulator ready (GPU kernels compiled in ${
          ((performance.now() - t0) / 1000).toFixed(1)
        } s)`,
      ),
    (e) => console.error(`quass dashboard: simulator warm-up failed: ${(e as Error).message}`),
  );
}

/** The `serve` command (also usable as a quass subcommand). */
export function serveCommand() {
  return new Command("serve")
    .description("Serve the quass dashboard (runs, simulator, prediction, metrics, benchmarks)")
    .option("--port <n>", "TCP port (0 = any free port)", _int, 8000)
    .option("--host <addr>", "interface to listen on (default: this machine only)", "127.0.0.1")
    .option("--runs <dir>", "trained runs directory", "runs")
    .option("--reports <dir>", "evaluation reports directory", "report")
    .option("--data <dir>", "datasets and phantoms directory", "data")
    .option("--bench <dir>", "benchmark results directory", "bench/results")
    .option("--upload-limit-mb <n>", "largest accepted upload, MiB", _int, 256)
    .option("--no-build", "do not (re)build the island bundle on start")
    .option("--no-warm-up", "do not compile the simulator's GPU kernels at start")
    .action(async (o) => {
      if (o.build && !(await bundleIsFresh())) await buildIslands();
      const app = await createApp({
        runsDir: o.runs,
        reportsDir: o.reports,
        dataDir: o.data,
        benchDir: o.bench,
        uploadLimitBytes: o.uploadLimitMb * (1 << 20),
      });
      const ac = new AbortController();
      const server = Deno.serve({
        port: o.port,
        hostname: o.host,
        signal: ac.signal,
        onListen: ({ hostname, port }) => {
          const host = hostname.includes(":") ? `[${hostname}]` : hostname;
          console.log(`quass dashboard: http://${host}:${port}/`);
        },
      }, app.fetch);
      if (o.warmUp) _warmUp(app);
      const stop = () => ac.abort();
      Deno.addSignalListener("SIGINT", stop);
      Deno.addSignalListener("SIGTERM", stop);
      await server.finished;
      await app.close();
    });
}

if (import.meta.main) {
  await serveCommand().parseAsync(Deno.args, { from: "user" });
}
