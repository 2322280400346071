/**
 * A FIFO job queue for the one GPU device: jobs run strictly one after another (a
 * prediction never runs on top of another, or on top of a simulation), report progress
 * while they run, and never block the HTTP server (callers get a job id back at once and
 * poll). Every job can be cancelled (queued: dropped; running: stopped), and a running job
 * is stopped when it passes the time limit; the queue then moves on at once, whether or not
 * the job's own code notices (the `onStop` hook ends what it left running, e.g. the GPU
 * worker). Finished jobs are kept for a while so their results can be fetched.
 * @module
 */
import { HttpError } from "./guard.ts";

/** Lifecycle of a job. */
export type JobStatus = "queued" | "running" | "done" | "error" | "cancelled";

/** Reports progress from inside a job: fraction 0…1 and a short message. Throws once the
 * job has been stopped, so a loop that reports progress ends there. */
export type ProgressFn = (fraction: number, message?: string) => void;

/** The work of a job: gets a progress reporter and a signal that aborts when it is stopped. */
export type JobFn<R> = (progress: ProgressFn, signal: AbortSignal) => Promise<R>;

/** What a job looks like from outside (serialisable). */
export interface JobInfo {
  id: string;
  kind: string;
  status: JobStatus;
  /** 0…1 */
  progress: number;
  message: string;
  /** Position in the queue (0 = running or next), for queued jobs. */
  position?: number;
  error?: string;
  /** Error was the user's (bad input, too long a job): shown as-is. */
  userError?: boolean;
  createdMs: number;
  startedMs?: number;
  finishedMs?: number;
}

/** Why a job stopped early: cancelled (HTTP 409 to whoever waited), or timed out or shut
 * down (503). */
export class JobStoppedError extends HttpError {
  constructor(readonly why: "cancelled" | "timeout" | "shutdown", message: string) {
    super(why === "cancelled" ? 409 : 503, message);
    this.name = "JobStoppedError";
  }
}

interface JobEntry<R> {
  info: JobInfo;
  run: JobFn<R>;
  result?: R;
  err?: unknown;
  done: Promise<void>;
  resolveDone: () => void;
  cleanup?: () => Promise<void> | void;
  ac: AbortController;
}

/** Options of {@link JobQueue}. */
export interface JobQueueOptions {
  /** How many finished jobs to keep (oldest dropped first, running their cleanup). */
  keepFinished?: number;
  /** Classifies an error as the user's fault (shown verbatim) vs a bug. */
  isUserError?: (e: unknown) => boolean;
  /** A running job is stopped after this many ms (default: no limit). */
  timeLimitMs?: number;
  /** Ends the message of a timed-out job: what the user can do (e.g. the flag to raise). */
  timeAdvice?: string;
  /** Called when a running job is stopped (cancelled, timed out, shut down). */
  onStop?: (info: JobInfo) => void;
}

function _seconds(ms: number): string {
  return `${+(ms / 1000).toFixed(1)} s`;
}

/**
 * Serialises async jobs (one at a time, in submission order).
 *
 * @example
 * ```ts
 * const q = new JobQueue({ timeLimitMs: 60_000 });
 * const id = q.submit("predict", async (progress) => { progress(0.5); return 42; });
 * await q.wait(id); q.result(id); // 42
 * q.cancel(other); // a queued job is dropped, a running one stopped
 * ```
 */
export class JobQueue {
  #jobs = new Map<string, JobEntry<unknown>>();
  #pending: string[] = [];
  #running: JobEntry<unknown> | null = null;
  #closed = false;
  #keep: number;
  #isUserError: (e: unknown) => boolean;
  #timeLimitMs: number;
  #timeAdvice: string;
  #onStop?: (info: JobInfo) => void;

  constructor(opts: JobQueueOptions = {}) {
    this.#keep = opts.keepFinished ?? 8;
    this.#isUserError = opts.isUserError ?? (() => false);
    this.#timeLimitMs = opts.timeLimitMs ?? Infinity;
    this.#timeAdvice = opts.timeAdvice ?? "";
    this.#onStop = opts.onStop;
  }

  /** The time limit of a running job, ms (Infinity = none). */
  get timeLimitMs(): number {
    return this.#timeLimitMs;
  }

  /**
   * Queues `run`; returns its id at once. `cleanup` runs when the job's result is dropped
   * (evicted, removed or on {@link close}).
   */
  submit<R>(kind: string, run: JobFn<R>, cleanup?: () => Promise<void> | void): string {
    const id = crypto.randomUUID();
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const entry: JobEntry<R> = {
      info: { id, kind, status: "queued", progress: 0, message: "queued", createdMs: Date.now() },
      run,
      done,
      resolveDone,
      cleanup,
      ac: new AbortController(),
    };
    this.#jobs.set(id, entry as JobEntry<unknown>);
    if (this.#closed) {
      this.#stopQueued(entry as JobEntry<unknown>, "the server is shutting down");
      return id;
    }
    this.#pending.push(id);
    queueMicrotask(() => this.#pump());
    return id;
  }

  /**
   * Runs `run` through the queue and resolves with its result (rejects with its error).
   * When `signal` aborts (e.g. the client that waits for it disconnected), the job is
   * cancelled, queued or running.
   */
  async runNow<R>(kind: string, run: JobFn<R>, opts: { signal?: AbortSignal } = {}): Promise<R> {
    const id = this.submit(kind, run);
    const e = this.#jobs.get(id)!;
    const onAbort = () => this.cancel(id, "the client went away");
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();
    try {
      await this.wait(id);
    } finally {
      opts.signal?.removeEventListener("abort", onAbort);
    }
    this.#jobs.delete(id);
    if (e.info.status !== "done") throw e.err;
    return e.result as R;
  }

  /** The job's public state, or undefined for an unknown id. */
  info(id: string): JobInfo | undefined {
    const e = this.#jobs.get(id);
    if (!e) return undefined;
    const pos = this.#pending.indexOf(id);
    return pos >= 0 ? { ...e.info, position: pos + (this.#running ? 1 : 0) } : { ...e.info };
  }

  /** The job's result once done (undefined otherwise). */
  result<R>(id: string): R | undefined {
    const e = this.#jobs.get(id);
    return e?.info.status === "done" ? e.result as R : undefined;
  }

  /** Resolves when the job has finished (done, error or cancelled). */
  async wait(id: string): Promise<void> {
    await this.#jobs.get(id)?.done;
  }

  /** Number of jobs queued or running. */
  get busy(): number {
    return this.#pending.length + (this.#running ? 1 : 0);
  }

  /**
   * Cancels a queued job (it never runs) or stops a running one (its signal aborts, the
   * queue moves on at once); a finished job is left as it is. Returns its state afterwards,
   * or undefined for an unknown id.
   */
  cancel(id: string, why = "cancelled by request"): JobInfo | undefined {
    const e = this.#jobs.get(id);
    if (!e) return undefined;
    if (e.info.status === "queued") {
      this.#pending.splice(this.#pending.indexOf(id), 1);
      this.#stopQueued(e, why);
      void this.#evict();
    } else if (e.info.status === "running") {
      e.info.status = "cancelled";
      e.info.message = "cancelled";
      e.ac.abort(new JobStoppedError("cancelled", `Job ${id} was cancelled: ${why}`));
    }
    return this.info(id);
  }

  /** Drops a finished job and runs its cleanup; false when it is unknown or not finished. */
  async remove(id: string): Promise<boolean> {
    const e = this.#jobs.get(id);
    if (!e || e.info.status === "queued" || e.info.status === "running") return false;
    this.#jobs.delete(id);
    await e.cleanup?.();
    return true;
  }

  /**
   * Shuts the queue down: queued jobs are cancelled, the running one is stopped (its code
   * may go on, but nobody waits for it), and every job's cleanup runs. Takes no longer than
   * the cleanups.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const id of this.#pending.splice(0)) {
      this.#stopQueued(this.#jobs.get(id)!, "the server is shutting down");
    }
    const running = this.#running;
    if (running) {
      running.ac.abort(
        new JobStoppedError(
          "shutdown",
          `Job ${running.info.id} stopped: the server is shutting down`,
        ),
      );
      await running.done;
    }
    for (const [id, e] of this.#jobs) {
      this.#jobs.delete(id);
      await e.cleanup?.();
    }
  }

  #stopQueued(e: JobEntry<unknown>, why: string): void {
    e.info.status = "cancelled";
    e.info.message = "cancelled";
    e.info.error = `Job ${e.info.id} was cancelled before it ran: ${why}`;
    e.info.finishedMs = Date.now();
    e.err = new JobStoppedError("cancelled", e.info.error);
    e.resolveDone();
  }

  async #pump(): Promise<void> {
    if (this.#running || this.#closed) return;
    const id = this.#pending.shift();
    if (id === undefined) return;
    const e = this.#jobs.get(id);
    if (!e) return this.#pump();
    this.#running = e;
    e.info.status = "running";
    e.info.message = "running";
    e.info.startedMs = Date.now();
    const { signal } = e.ac;
    const progress: ProgressFn = (f, msg) => {
      signal.throwIfAborted();
      e.info.progress = Math.min(1, Math.max(0, f));
      if (msg !== undefined) e.info.message = msg;
    };
    const limit = this.#timeLimitMs;
    const timer = Number.isFinite(limit)
      ? setTimeout(() =>
        e.ac.abort(
          new JobStoppedError(
            "timeout",
            `The ${e.info.kind} job ran longer than the job time limit of ${
              _seconds(limit)
            } and was stopped${this.#timeAdvice ? `; ${this.#timeAdvice}` : ""}`,
          ),
        ), limit)
      : undefined;
    const stopped = new Promise<never>((_, reject) =>
      signal.addEventListener("abort", () => reject(signal.reason), { once: true })
    );
    try {
      e.result = await Promise.race([e.run(progress, signal), stopped]);
      e.info.status = "done";
      e.info.progress = 1;
      e.info.message = "done";
    } catch (err) {
      const stop = signal.aborted ? signal.reason : undefined;
      e.err = stop ?? err;
      if (stop instanceof JobStoppedError && stop.why === "cancelled") {
        e.info.status = "cancelled";
        e.info.message = "cancelled";
        e.info.error = stop.message;
      } else {
        e.info.status = "error";
        e.info.userError = stop instanceof JobStoppedError || this.#isUserError(err);
        e.info.error = e.err instanceof Error ? e.err.message : String(e.err);
        e.info.message = "failed";
      }
      if (stop) this.#onStop?.({ ...e.info });
    } finally {
      clearTimeout(timer);
      e.info.finishedMs = Date.now();
      this.#running = null;
      e.resolveDone();
      await this.#evict();
      queueMicrotask(() => this.#pump());
    }
  }

  async #evict(): Promise<void> {
    const finished = [...this.#jobs.values()].filter((e) =>
      e.info.status === "done" || e.info.status === "error" || e.info.status === "cancelled"
    );
    while (finished.length > this.#keep) {
      const old = finished.shift()!;
      this.#jobs.delete(old.info.id);
      await old.cleanup?.();
    }
  }
}
