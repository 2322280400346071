/**
 * The dashboard's GPU worker. WebGPU calls in Deno (shader compilation, submissions on the
 * software adapter) block the calling thread for seconds, so the server keeps the device in
 * this worker and stays responsive. Requests: `simulate` (batched Z-spectra), `load` (a
 * trained run → handle and its info, `needsT1` included), `predict` (spectra, and their
 * water T1 for T1-informed models, through a loaded run), `release` (a handle).
 * Replies carry the request id and either `result` or `error` (with `user` = InputError).
 * @module
 */
/// <reference lib="deno.worker" />
import { simulateSpectraGpu } from "../physics/gpu_sim.ts";
import { loadRunPredictor } from "../eval/run_predictor.ts";
import type { RunPredictor } from "../eval/predict_volume.ts";
import { InputError } from "../util/errors.ts";
import type { GpuRequest } from "./gpu_client.ts";

const runs = new Map<number, RunPredictor>();
let nextHandle = 1;

async function _handle(req: GpuRequest): Promise<{ result: unknown; transfer?: Transferable[] }> {
  switch (req.op) {
    case "simulate": {
      const out = await simulateSpectraGpu(req.jobs);
      return { result: out, transfer: out.map((z) => z.buffer) };
    }
    case "load": {
      const run = await loadRunPredictor(req.runDir);
      const handle = nextHandle++;
      runs.set(handle, run);
      return {
        result: {
          handle,
          name: run.name,
          arch: run.arch,
          offsetsPpm: run.offsetsPpm,
          targetTsS: run.targetTsS,
          targetTdS: run.targetTdS,
          needsT1: run.needsT1 === true,
        },
      };
    }
    case "predict": {
      const run = runs.get(req.handle);
      if (!run) throw new Error(`GPU worker: no loaded run with handle ${req.handle}`);
      const y = await run.predict(req.x, req.n, req.t1S);
      return { result: y, transfer: [y.buffer] };
    }
    case "release":
      runs.delete(req.handle);
      return { result: null };
  }
}

self.onmessage = async (e: MessageEvent<GpuRequest>) => {
  const req = e.data;
  try {
    const { result, transfer } = await _handle(req);
    self.postMessage({ id: req.id, result }, { transfer: transfer ?? [] });
  } catch (err) {
    self.postMessage({
      id: req.id,
      error: {
        message: err instanceof Error ? err.message : String(err),
        user: err instanceof InputError,
      },
    });
  }
};
