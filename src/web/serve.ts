/**
 * `deno task serve [--port 8000] [--host 127.0.0.1] [--allow-host NAME] [--runs DIR]
 * [--reports DIR] [--data DIR] [--bench bench/results/] [--upload-limit-mb 256]
 * [--inflate-limit-mb 1024] [--job-time-limit-s 600]`: builds the island bundle when
 * missing or stale, then serves the dashboard and prints its URL. Without --runs,
 * --reports or --data it serves runs/, report/ and data/, or the demo's output (demo/runs,
 * demo/report, demo/) for each of them that does not exist. SIGINT/SIGTERM stop it within
 * about two seconds: jobs are cancelled, the GPU worker ended, the listener closed.
 * @module
 */
import { Command, InvalidArgumentError } from "@commander-js/extra-typings";
import { type AppOptions, createApp, type QuassApp } from "./app.ts";
import { simulateForPage } from "./simulate.ts";
import { buildIslands, bundleIsFresh } from "./build.ts";
import { JobStoppedError } from "./job_queue.ts";

function _int(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    throw new InvalidArgumentError(`expected a non-negative integer, got ${v}`);
  }
  return n;
}

function _positive(v: string): number {
  const n = _int(v);
  if (n === 0) throw new InvalidArgumentError(`expected a positive integer, got ${v}`);
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
    (e) => {
      if (e instanceof JobStoppedError) return;
      console.error(`quass dashboard: simulator warm-up failed: ${(e as Error).message}`);
    },
  );
}

/** A running dashboard. */
export interface RunningServer {
  app: QuassApp;
  server: Deno.HttpServer;
  /** e.g. http://127.0.0.1:8000/ */
  url: string;
  /**
   * Stops it: cancels every job (requests waiting for one are answered 503), ends the GPU
   * worker, closes the listener and waits at most `graceMs` for open requests.
   */
  shutdown(graceMs?: number): Promise<void>;
}

/** Host names that mean "every interface" (not a name a browser sends). */
const _WILDCARD = new Set(["0.0.0.0", "::", "[::]", ""]);

/**
 * Starts the dashboard on `hostname:port` (port 0 = any free port); the bind host is an
 * allowed Host besides the loopback names and IP addresses.
 */
export async function startServer(
  o: AppOptions & { port: number; hostname: string },
): Promise<RunningServer> {
  const { port, hostname, ...opts } = o;
  const app = await createApp({
    ...opts,
    allowedHosts: [...(opts.allowedHosts ?? []), ...(_WILDCARD.has(hostname) ? [] : [hostname])],
  });
  const ac = new AbortController();
  const server = Deno.serve({ port, hostname, signal: ac.signal, onListen: () => {} }, app.fetch);
  const a = server.addr as Deno.NetAddr;
  const host = a.hostname.includes(":") ? `[${a.hostname}]` : a.hostname;
  let done: Promise<void> | null = null;
  return {
    app,
    server,
    url: `http://${host}:${a.port}/`,
    shutdown(graceMs = 1500) {
      done ??= (async () => {
        await app.close(); // requests waiting on a job are answered now
        let timer: ReturnType<typeof setTimeout> | undefined, closed = false;
        await Promise.race([
          server.shutdown().then(() => (closed = true)), // no new connections; open ones finish
          new Promise((r) => (timer = setTimeout(r, graceMs))),
        ]);
        clearTimeout(timer);
        if (!closed) ac.abort(); // past the grace: close what is still open
      })();
      return done;
    },
  };
}

/**
 * SIGINT and SIGTERM stop `srv` ({@link RunningServer.shutdown}) and exit with code 0,
 * within `deadlineMs` whatever is still running; a second signal exits at once.
 */
export function stopOnSignals(srv: RunningServer, deadlineMs = 2500): void {
  let stopping = false;
  const stop = async () => {
    if (stopping) Deno.exit(130);
    stopping = true;
    console.log("quass dashboard: shutting down");
    setTimeout(() => Deno.exit(0), deadlineMs);
    await srv.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}

function _collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** The `serve` command (also usable as a quass subcommand). */
export function serveCommand() {
  return new Command("serve")
    .description("Serve the quass dashboard (runs, simulator, prediction, metrics, benchmarks)")
    .option("--port <n>", "TCP port (0 = any free port)", _int, 8000)
    .option("--host <addr>", "interface to listen on (default: this machine only)", "127.0.0.1")
    .option(
      "--allow-host <name>",
      "a host name the dashboard may be opened by besides localhost and IP addresses (repeatable)",
      _collect,
      [] as string[],
    )
    .option("--runs <dir>", "trained runs directory (default: runs, else demo/runs)")
    .option("--reports <dir>", "evaluation reports directory (default: report, else demo/report)")
    .option("--data <dir>", "datasets and phantoms directory (default: data, else demo)")
    .option("--bench <dir>", "benchmark results directory", "bench/results")
    .option("--upload-limit-mb <n>", "largest accepted upload as sent, MiB", _positive, 256)
    .option(
      "--inflate-limit-mb <n>",
      "most MiB the NIfTI files of one request may hold once gunzipped",
      _positive,
      1024,
    )
    .option("--job-time-limit-s <n>", "a running job is stopped after this many s", _positive, 600)
    .option("--no-build", "do not (re)build the island bundle on start")
    .option("--no-warm-up", "do not compile the simulator's GPU kernels at start")
    .action(async (o) => {
      if (o.build && !(await bundleIsFresh())) await buildIslands();
      const srv = await startServer({
        port: o.port,
        hostname: o.host,
        ...(o.runs !== undefined ? { runsDir: o.runs } : {}),
        ...(o.reports !== undefined ? { reportsDir: o.reports } : {}),
        ...(o.data !== undefined ? { dataDir: o.data } : {}),
        benchDir: o.bench,
        uploadLimitBytes: o.uploadLimitMb * (1 << 20),
        inflateLimitBytes: o.inflateLimitMb * (1 << 20),
        jobTimeLimitMs: o.jobTimeLimitS * 1000,
        allowedHosts: o.allowHost,
      });
      const c = srv.app.config;
      console.log(
        `quass dashboard: runs ${c.runsDir}/, reports ${c.reportsDir}/, data ${c.dataDir}/`,
      );
      console.log(`quass dashboard: ${srv.url}`);
      if (o.warmUp) _warmUp(srv.app);
      stopOnSignals(srv);
      await srv.server.finished;
    });
}

if (import.meta.main) {
  await serveCommand().parseAsync(Deno.args, { from: "user" });
}
