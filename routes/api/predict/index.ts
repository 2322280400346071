/**
 * POST /api/predict — queue a prediction. multipart/form-data (`run`, `scan`, `sidecar` or
 * `offsets`, optional `m0`, `mask`, `reference`, and the water T1 as a map `t1` or seconds
 * `t1s`, which T1-informed models need) for uploads, or JSON `{run, phantom}` for a phantom
 * under the data directory (its T1 map is used); other content types get 415. Both take the
 * preprocessing fields `b0` (none | auto) and `denoise` (none | pca[:criterion]), as the
 * CLI's flags. No `run` (or "") = the shipped pretrained model. Replies 202 with the job id
 * at once; poll /api/jobs/ID for progress, DELETE /api/jobs/ID to cancel.
 * @module
 */
import { defineHandlers, json } from "../../../src/web/define.ts";
import {
  parsePreprocessFields,
  planPhantom,
  planUpload,
  type PredictPlan,
  runPrediction,
} from "../../../src/web/predict.ts";
import { readJsonBody } from "../../../src/web/uploads.ts";
import { requireContentType } from "../../../src/web/guard.ts";
import { InputError } from "../../../src/util/errors.ts";

export const handler = defineHandlers({
  POST: async ({ req, config, services }) => {
    const type = requireContentType(req, ["multipart/form-data", "application/json"]);
    let plan: PredictPlan;
    if (type === "multipart/form-data") plan = await planUpload(config, req);
    else {
      const body = await readJsonBody(req, `{"run": NAME, "phantom": NAME}`);
      if (typeof body !== "object" || body === null || Array.isArray(body)) {
        throw new InputError(
          `Expected a JSON object {"run": NAME, "phantom": NAME}, or a multipart upload`,
        );
      }
      const fields = body as Record<string, unknown>;
      if (fields.run !== undefined && fields.run !== null && typeof fields.run !== "string") {
        throw new InputError(`Field "run" must be a run name (a string; "" = the shipped model)`);
      }
      if (typeof fields.phantom !== "string") {
        throw new InputError(
          `Field "phantom" is missing: name a phantom folder, or upload a scan as multipart/form-data`,
        );
      }
      plan = await planPhantom(
        config,
        typeof fields.run === "string" ? fields.run : null,
        fields.phantom,
        parsePreprocessFields(fields.b0, fields.denoise),
      );
    }
    const id = services.queue.submit(
      "predict",
      (progress) => runPrediction(plan, services.loadRun, progress),
      () => plan.temp?.remove(),
    );
    return json({ jobId: id, status: `/api/jobs/${id}`, result: `/api/predict/${id}` }, 202, {
      location: `/api/jobs/${id}`,
    });
  },
});
