/** GET /api/jobs/ID — a queued/running/finished job's status and progress (JSON). @module */
import { defineHandlers, json } from "../../../src/web/define.ts";

export const handler = defineHandlers({
  GET: ({ services, params }) => {
    const info = services.queue.info(params.id ?? "");
    return info ? json(info) : json(
      { error: `No job ${params.id}: it finished long ago or never existed`, status: 404 },
      404,
    );
  },
});
