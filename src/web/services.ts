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

/** What route handlers can use besides the config. */
export interface AppServices {
  /** Every GPU job (prediction, simulation) goes through this queue, one at a time. */
  queue: JobQueue;
  /** The simulator, already serialised through {@link queue}. */
  simulate: SpectraSimulator;
  /** Run loader (call it only inside a queued job). */
  loadRun: RunLoader;
  /** Stops the queue and the GPU worker. */
  close(): Promise<void>;
}

/** Creates the services for one app instance. */
export function createServices(engine: Partial<Engine> = {}): AppServices {
  const queue = new JobQueue({ keepFinished: 6, isUserError: (e) => e instanceof InputError });
  const gpu = new GpuWorkerClient();
  const sim = engine.simulate ?? gpu.simulate;
  return {
    queue,
    simulate: (jobs) => queue.runNow("simulate", () => sim(jobs)),
    loadRun: engine.loadRun ?? gpu.loadRun,
    async close() {
      await queue.close();
      gpu.close();
    },
  };
}
