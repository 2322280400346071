/** GET /api/reports — evaluation reports with their metrics.json (JSON). @module */
import { defineHandlers, json } from "../../../src/web/define.ts";
import { listReports } from "../../../src/web/catalog.ts";

export const handler = defineHandlers({
  GET: async ({ config }) => json(await listReports(config.reportsDir)),
});
