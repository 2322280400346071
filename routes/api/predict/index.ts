/**
 * POST /api/predict — queue a prediction. multipart/form-data (`run`, `scan`, `sidecar` or
 * `offsets`, optional `m0`, `mask`, `reference`, and the water T1 as a map `t1` or seconds
 * `t1s`, which T1-informed models need) for uploads, or JSON / a urlencoded form
 * `{run, phantom}` for a phantom under the data directory (its T1 map is used). Both take
 * the preprocessing fields `b0` (none | auto) and `denoise` (none | pca[:criterion]), as the
 * CLI's flags. No `run` (or "") = the shipped pretrained model. Replies 202 with the job id
 * at once; poll /api/jobs/ID for progress.
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
import { readLimitedBody } from "../../../src/web/uploads.ts";
import { InputError } from "../../../src/util/errors.ts";

export const handler = defineHandlers({
  POST: async ({ req, config, services }) => {
    const type = req.headers.get("content-type") ?? "";
    let plan: PredictPlan;
    if (type.startsWith("multipart/form-data")) plan = await planUpload(config, req);
    else {
      const text = new TextDecoder().decode(await readLimitedBody(req, 1 << 16));
      let fields: Record<string, unknown>;
      if (type.startsWith("application/x-www-form-urlencoded")) {
        fields = Object.fromEntries(new URLSearchParams(text));
      } else {
        try {
          fields = JSON.parse(text);
        } catch {
          throw new InputError(
            `Expected JSON {"run": NAME, "phantom": NAME} or a multipart upload`,
          );
        }
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
