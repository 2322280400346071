/** GET /api/bench — benchmark result files, newest first (JSON). @module */
import { defineHandlers, json } from "../../src/web/define.ts";
import { listBench } from "../../src/web/catalog.ts";

export const handler = defineHandlers({
  GET: async ({ config }) => json(await listBench(config.benchDir)),
});
