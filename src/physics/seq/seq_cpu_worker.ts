/**
 * A worker of the float64 `.seq` simulation (seq_pairs.ts runs one per core): receives the
 * timelines once, then batches of models; answers the raw water Mz of every model under
 * every timeline.
 * @module
 */
/// <reference lib="deno.worker" />
import type { TissueModel } from "../model.ts";
import type { SeqTimeline } from "./seq_timeline.ts";
import type { SeqSimSettings } from "./seq_settings.ts";
import { simulateSeqCpu } from "./seq_cpu_sim.ts";

let timelines: SeqTimeline[] = [];
let settings: SeqSimSettings | undefined;

self.onmessage = (e: MessageEvent) => {
  const msg = e.data as
    | { kind: "init"; timelines: SeqTimeline[]; settings: SeqSimSettings }
    | { kind: "run"; id: number; models: TissueModel[] };
  if (msg.kind === "init") {
    timelines = msg.timelines;
    settings = msg.settings;
    return;
  }
  try {
    const out = timelines.map((tl) => msg.models.map((m) => simulateSeqCpu(m, tl, settings!)));
    self.postMessage({ id: msg.id, out });
  } catch (err) {
    self.postMessage({ id: msg.id, error: (err as Error).message });
  }
};
