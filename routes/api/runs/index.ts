/** GET /api/runs — every run's summary (JSON). @module */
import { defineHandlers, json } from "../../../src/web/define.ts";
import { listRuns } from "../../../src/web/catalog.ts";

export const handler = defineHandlers({
  GET: async ({ config }) => json(await listRuns(config.runsDir)),
});
