/**
 * The server side of the GPU worker (gpu_worker.ts): the engine calls the dashboard makes
 * (simulate, load a run and predict with it) as async functions whose GPU work runs off the
 * HTTP thread. The worker starts on first use; `close()` ends it.
 * @module
 */
import type { Protocol } from "../physics/protocol.ts";
import type { TissueModel } from "../physics/model.ts";
import type { RunLoader, RunPredictor } from "../eval/predict_volume.ts";
import type { SpectraSimulator } from "./simulate.ts";
import { InputError } from "../util/errors.ts";

/** A request to the worker (`id` is added by {@link GpuWorkerClient}). */
export type GpuRequest =
  & { id: number }
  & (
    | { op: "simulate"; jobs: { model: TissueModel; protocol: Protocol }[] }
    | { op: "load"; runDir: string }
    | { op: "predict"; handle: number; x: Float32Array; n: number; t1S?: Float32Array }
    | { op: "release"; handle: number }
  );

type Reply = { id: number; result?: unknown; error?: { message: string; user: boolean } };

// Distributive Omit, so each variant keeps its own fields.
type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

/** A run loaded in the worker; call `release()` when done with it. */
export type WorkerRun = RunPredictor & { release(): void };

/** Talks to one GPU worker. */
export class GpuWorkerClient {
  #worker: Worker | null = null;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  #next = 1;
  #closed = false;

  #ensure(): Worker {
    if (this.#worker) return this.#worker;
    if (this.#closed) throw new Error("GPU worker closed");
    const w = new Worker(new URL("./gpu_worker.ts", import.meta.url).href, { type: "module" });
    w.onmessage = (e: MessageEvent<Reply>) => {
      const p = this.#pending.get(e.data.id);
      if (!p) return;
      this.#pending.delete(e.data.id);
      if (e.data.error) {
        p.reject(
          e.data.error.user
            ? new InputError(e.data.error.message)
            : new Error(e.data.error.message),
        );
      } else p.resolve(e.data.result);
    };
    w.onerror = (e) => {
      e.preventDefault();
      for (const p of this.#pending.values()) {
        p.reject(new Error(`GPU worker failed: ${e.message}`));
      }
      this.#pending.clear();
      this.#worker = null;
    };
    this.#worker = w;
    return w;
  }

  /**
   * Sends one request; resolves with the worker's result. When `signal` aborts, the worker
   * is ended (its computation with it) and the call rejects with the signal's reason.
   */
  call<T>(
    req: WithoutId<GpuRequest>,
    transfer: Transferable[] = [],
    signal?: AbortSignal,
  ): Promise<T> {
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => this.stop(signal!.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      const done = () => signal?.removeEventListener("abort", onAbort);
      this.#pending.set(id, {
        resolve: (v) => (done(), resolve(v as T)),
        reject: (e) => (done(), reject(e)),
      });
      try {
        this.#ensure().postMessage({ ...req, id }, transfer);
      } catch (e) {
        this.#pending.get(id)?.reject(e);
        this.#pending.delete(id);
      }
    });
  }

  /** The batched GPU simulator, running in the worker. */
  simulate: SpectraSimulator = (jobs, signal) =>
    this.call<Float32Array[]>({ op: "simulate", jobs }, [], signal);

  /** Loads a run in the worker (its `needsT1` included); its predictions run there too. */
  loadRun: RunLoader = async (runDir) => {
    const r = await this.call<Omit<RunPredictor, "predict"> & { handle: number }>({
      op: "load",
      runDir,
    });
    const { handle, ...info } = r;
    const run: WorkerRun = {
      ...info,
      // t1S: each spectrum's water T1 (T1-informed models); its buffer is transferred when
      // the array owns it whole (predictVolumeData makes a fresh one per batch)
      predict: (x, n, t1S) =>
        this.call<Float32Array>(
          { op: "predict", handle, x, n, ...(t1S ? { t1S } : {}) },
          t1S && t1S.byteOffset === 0 && t1S.byteLength === t1S.buffer.byteLength
            ? [t1S.buffer]
            : [],
        ),
      release: () => void this.call({ op: "release", handle }).catch(() => {}),
    };
    return run;
  };

  /**
   * Ends the worker now, whatever it is computing (pending calls reject with `reason`); the
   * next call starts a fresh one. Runs loaded in the old worker are gone.
   */
  stop(reason: unknown = new Error("GPU worker stopped")): void {
    this.#worker?.terminate();
    this.#worker = null;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(reason);
  }

  /** Ends the worker for good (pending and later calls are rejected). */
  close(): void {
    this.#closed = true;
    this.stop(new Error("GPU worker closed"));
  }
}
