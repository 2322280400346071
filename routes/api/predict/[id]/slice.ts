/** GET /api/predict/ID/slice?k=OFFSET_INDEX&z=SLICE — input, prediction, reference and |error| images. @module */
import { defineHandlers, json } from "../../../../src/web/define.ts";
import { finishedPrediction } from "../../../../src/web/predict_jobs.ts";
import { sliceOf } from "../../../../src/web/predict.ts";

export const handler = defineHandlers({
  GET: ({ services, params, url }) => {
    const r = finishedPrediction(services.queue, params.id ?? "");
    return r instanceof Response ? r : json(sliceOf(r, url.searchParams));
  },
});
