/** GET /api/runs/NAME — one run's config and training log (JSON). @module */
import { defineHandlers, json } from "../../../src/web/define.ts";
import { readRun } from "../../../src/web/catalog.ts";

export const handler = defineHandlers({
  GET: async ({ config, params }) => json(await readRun(config.runsDir, params.name ?? "")),
});
