/**
 * GET /api/files/{runs|reports}/PATH — a file from a run or report directory (figures,
 * log.jsonl, metrics.json). Only those two configured directories are reachable.
 * @module
 */
import { defineHandlers } from "../../../../src/web/define.ts";
import { PathError, resolveUnder } from "../../../../src/web/paths.ts";
import { contentType } from "../../../../src/web/app.ts";

export const handler = defineHandlers({
  GET: async ({ config, params }) => {
    const root = params.area === "runs"
      ? config.runsDir
      : params.area === "reports"
      ? config.reportsDir
      : null;
    if (!root) {
      throw new PathError(`Unknown file area ${JSON.stringify(params.area)} (runs or reports)`);
    }
    const rel = params.rest ?? "";
    const path = await resolveUnder(root, rel);
    if (!(await Deno.stat(path)).isFile) throw new PathError(`Not a file: ${rel}`);
    return new Response((await Deno.open(path)).readable, {
      headers: { "content-type": contentType(path) },
    });
  },
});
