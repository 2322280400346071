/**
 * Long-lived server state shared by the routes: the GPU job queue and the engine functions
 * (replaceable, e.g. by a float64 CPU simulator in tests).
 * @module
 */
import { JobQueue } from "./job_queue.ts";
import { InputError } from "../util/errors.ts";
import type { SpectraSimulator } from "./simulate.ts";
import type { RunLoader } from "../eval/predict_volume.ts";
import { simulateSpectraGpu } from "../physics/gpu_sim.ts";
import { loadRunOnGpu } from "./predict.ts";

/** The engine calls the dashboard makes. */
export interface Engine {
  /** Batched Z-spectrum simulator (default: the WGSL engine). */
  simulate: SpectraSimulator;
  /** Loads a trained run for prediction (default: checkpoint + GPU predictor). */
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
}

/** Creates the services for one app instance. */
export function createServices(engine: Partial<Engine> = {}): AppServices {
  const queue = new JobQueue({ keepFinished: 6, isUserError: (e) => e instanceof InputError });
  const sim = engine.simulate ?? simulateSpectraGpu;
  return {
    queue,
    simulate: (jobs) => queue.runNow("simulate", () => sim(jobs)),
    loadRun: engine.loadRun ?? loadRunOnGpu,
  };
}
