/** GET /api/predict/ID/result — the predicted QUASS volume as .nii.gz (float32, the scan's affine). @module */
import { defineHandlers } from "../../../../src/web/define.ts";
import { finishedPrediction } from "../../../../src/web/predict_jobs.ts";
import { resultNiftiGz } from "../../../../src/web/predict.ts";

export const handler = defineHandlers({
  GET: async ({ services, params }) => {
    const r = finishedPrediction(services.queue, params.id ?? "");
    if (r instanceof Response) return r;
    const name = `quass_${r.runName}_${
      r.sourceLabel.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/\.nii(\.gz)?$/, "")
    }.nii.gz`;
    return new Response(await resultNiftiGz(r) as Uint8Array<ArrayBuffer>, {
      headers: {
        "content-type": "application/gzip",
        "content-disposition": `attachment; filename="${name}"`,
      },
    });
  },
});
