/**
 * GET /api/jobs/ID — a queued/running/finished job's status and progress (JSON).
 * DELETE /api/jobs/ID — cancels a queued job or stops a running one (its status becomes
 * "cancelled"); a finished job is dropped with its result.
 * @module
 */
import { defineHandlers, json } from "../../../src/web/define.ts";

const _missing = (id: string | undefined) =>
  json({ error: `No job ${id}: it finished long ago or never existed`, status: 404 }, 404);

export const handler = defineHandlers({
  GET: ({ services, params }) => {
    const info = services.queue.info(params.id ?? "");
    return info ? json(info) : _missing(params.id);
  },
  DELETE: async ({ services, params }) => {
    const id = params.id ?? "";
    const info = services.queue.info(id);
    if (!info) return _missing(id);
    if (info.status === "queued" || info.status === "running") {
      return json(services.queue.cancel(id));
    }
    await services.queue.remove(id);
    return json({ ...info, removed: true });
  },
});
