/**
 * Long-lived server state shared by the routes: the GPU job queue and the temporary area.
 * @module
 */
import { JobQueue } from "./job_queue.ts";
import { InputError } from "../util/errors.ts";

/** What route handlers can use besides the config. */
export interface AppServices {
  /** Every GPU job (prediction, simulation) goes through this queue, one at a time. */
  queue: JobQueue;
}

/** Creates the services for one app instance. */
export function createServices(): AppServices {
  return { queue: new JobQueue({ keepFinished: 6, isUserError: (e) => e instanceof InputError }) };
}
