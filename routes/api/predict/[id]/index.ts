/** GET /api/predict/ID — a finished prediction's summary (409 while it runs). @module */
import { defineHandlers, json } from "../../../../src/web/define.ts";
import { finishedPrediction } from "../../../../src/web/predict_jobs.ts";
import { resultSummary } from "../../../../src/web/predict.ts";

export const handler = defineHandlers({
  GET: ({ services, params }) => {
    const r = finishedPrediction(services.queue, params.id ?? "");
    return r instanceof Response ? r : json(resultSummary(r));
  },
});
