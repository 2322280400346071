/** GET /api/predict/ID/voxel?x=&y=&z= — the voxel's input, predicted and reference Z-spectra. @module */
import { defineHandlers, json } from "../../../../src/web/define.ts";
import { finishedPrediction } from "../../../../src/web/predict_jobs.ts";
import { voxelOf } from "../../../../src/web/predict.ts";

export const handler = defineHandlers({
  GET: ({ services, params, url }) => {
    const r = finishedPrediction(services.queue, params.id ?? "");
    return r instanceof Response ? r : json(voxelOf(r, url.searchParams));
  },
});
