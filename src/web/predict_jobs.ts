/** Looks up finished prediction jobs for the API routes. @module */
import { json } from "./define.ts";
import type { JobQueue } from "./job_queue.ts";
import type { PredictionResult } from "./predict.ts";

/** The result of prediction job `id`, or the JSON error response to send (404 unknown, 409 not finished, 400/500 failed). */
export function finishedPrediction(queue: JobQueue, id: string): PredictionResult | Response {
  const info = queue.info(id);
  if (!info || info.kind !== "predict") {
    return json({
      error:
        `No prediction job ${id}: it was dropped (only the latest few are kept) or never existed`,
      status: 404,
    }, 404);
  }
  if (info.status === "error") {
    return json(
      { error: info.error, status: info.userError ? 400 : 500 },
      info.userError ? 400 : 500,
    );
  }
  if (info.status !== "done") {
    return json({
      error: `Job ${id} is ${info.status} (${Math.round(info.progress * 100)} %)`,
      status: 409,
      job: info,
    }, 409);
  }
  return queue.result<PredictionResult>(id)!;
}
