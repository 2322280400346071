/**
 * POST /api/simulate_seq — JSON {model | modelYaml, params, seq, seqName} → the spectrum of
 * an uploaded Pulseq `.seq` file for the model (src/web/simulate_seq.ts: float64, as
 * `quass simulate spectrum --seq`). A malformed file is a 400 naming its line.
 * @module
 */
import { defineHandlers, json } from "../../src/web/define.ts";
import { parseSeqSimRequest, simulateSeqForPage } from "../../src/web/simulate_seq.ts";
import { readJsonBody } from "../../src/web/uploads.ts";

export const handler = defineHandlers({
  POST: async ({ req, config }) => {
    const body = await readJsonBody(req, `{"model": "normal", "seq": "<.seq text>"}`);
    return json(await simulateSeqForPage(config.modelsDir, parseSeqSimRequest(body)));
  },
});
