/**
 * The engine functions the dashboard calls, in one place, each routed through the GPU job
 * queue so that nothing runs on the device on top of something else.
 * @module
 */
import { simulateSpectraGpu } from "../physics/gpu_sim.ts";
import type { JobQueue } from "./job_queue.ts";
import type { SpectraSimulator } from "./simulate.ts";

/** The batched GPU simulator, serialised through `queue`. */
export function queuedGpuSimulator(queue: JobQueue): SpectraSimulator {
  return (jobs) => queue.runNow("simulate", () => simulateSpectraGpu(jobs));
}
