/**
 * POST /api/simulate — JSON {model | modelYaml, params, b1UT, tsS, tdS, targetTsS,
 * targetTdS} → the Z-spectra at the input Ts, the target Ts and the steady state with MTR
 * asymmetry, plus the model's editable parameters. `?format=csv` returns CSV instead.
 * Content-type application/json only; the job is cancelled if the client goes away.
 * @module
 */
import { defineHandlers, json } from "../../src/web/define.ts";
import {
  modelParams,
  parseSimRequest,
  requestModel,
  simResultCsv,
  simulateForPage,
} from "../../src/web/simulate.ts";
import { readJsonBody } from "../../src/web/uploads.ts";

export const handler = defineHandlers({
  POST: async ({ req, url, config, services }) => {
    const body = await readJsonBody(req, `{"model": "normal", "b1UT": 1, "tsS": 1.5}`);
    const simReq = parseSimRequest(body);
    const result = await simulateForPage(config.modelsDir, simReq, services.simulate, req.signal);
    if (
      url.searchParams.get("format") === "csv" || (body as Record<string, unknown>).format === "csv"
    ) {
      return new Response(simResultCsv(result), {
        headers: {
          "content-type": "text/csv; charset=utf-8",
          "content-disposition": `attachment; filename="zspectra_${result.settings.model}.csv"`,
        },
      });
    }
    const base = await requestModel(config.modelsDir, { ...simReq, params: {} });
    return json({ ...result, params: modelParams(base.model) });
  },
});
