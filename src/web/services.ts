/**
 * Long-lived server state shared by the routes: the GPU job queue and the engine functions.
 * By default the engine runs in a worker (gpu_client.ts) so that GPU work never blocks the
 * HTTP thread; tests may pass in-process stand-ins (e.g. the float64 CPU simulator).
 * @module
 */
import { JobQueue } from "./job_queue.ts";
import { InputError } from "../util/errors.ts";
import type { SpectraSimulator } from "./simulate.ts";
import type { RunLoader } from "../eval/predict_volume.ts";
import { GpuWorkerClient } from "./gpu_client.ts";

/** The engine calls the dashboard makes. */
export interface Engine {
  /** Batched Z-spectrum simulator (default: the WGSL engine in the GPU worker). */
  simulate: SpectraSimulator;
  /** Loads a trained run for prediction (default: checkpoint + GPU predictor in the worker). */
  loadRun: RunLoader;
}

/** Options of {@link createServices}. */
export interface ServiceOptions {
  /** A running job is stopped after this many ms (default: no limit). */
  jobTimeLimitMs?: number;
}

/** What route handlers can use besides the config. */
export interface AppServices {
  /** Every GPU job (prediction, simulation) goes through this queue, one at a time. */
  queue: JobQueue;
  /**
   * The simulator, already serialised through {@link queue}; its job is cancelled when the
   * signal aborts (the client that waits for it went away).
   */
  simulate: SpectraSimulator;
  /** Run loader (call it only inside a queued job). */
  loadRun: RunLoader;
  /** Stops every job and the GPU worker (does not wait for a wedged job). */
  close(): Promise<void>;
}

/**
 * Creates the services for one app instance. A job that is cancelled or passes the time
 * limit ends the GPU worker (whatever it was computing stops with it; the next job starts
 * a fresh one).
 */
export function createServices(
  engine: Partial<Engine> = {},
  opts: ServiceOptions = {},
): AppServices {
  const gpu = new GpuWorkerClient();
  const queue = new JobQueue({
    keepFinished: 6,
    isUserError: (e) => e instanceof InputError,
    timeLimitMs: opts.jobTimeLimitMs,
    timeAdvice:
      "give it less work (a smaller scan, a mask) or start the server with a larger --job-time-limit-s",
    onStop: () => gpu.stop(),
  });
  const sim = engine.simulate ?? gpu.simulate;
  return {
    queue,
    simulate: (jobs, signal) =>
      queue.runNow("simulate", (_progress, jobSignal) => sim(jobs, jobSignal), { signal }),
    loadRun: engine.loadRun ?? gpu.loadRun,
    async close() {
      await queue.close();
      gpu.close();
    },
  };
}
