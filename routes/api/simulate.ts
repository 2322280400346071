/**
 * POST /api/simulate — JSON {model | modelYaml, params, b1UT, tsS, tdS, targetTsS,
 * targetTdS} → the Z-spectra at the input Ts, the target Ts and the steady state with MTR
 * asymmetry, plus the model's editable parameters. `?format=csv` returns CSV instead.
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
import { readLimitedBody } from "../../src/web/uploads.ts";
import { InputError } from "../../src/util/errors.ts";

export const handler = defineHandlers({
  POST: async ({ req, url, config, services }) => {
    const bytes = await readLimitedBody(req, Math.min(config.uploadLimitBytes, 4 << 20));
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new InputError(`The request body is not JSON: ${(e as Error).message}`);
    }
    const simReq = parseSimRequest(body);
    const result = await simulateForPage(config.modelsDir, simReq, services.simulate);
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
