/**
 * A FIFO job queue for the one GPU device: jobs run strictly one after another (a
 * prediction never runs on top of another, or on top of a simulation), report progress
 * while they run, and never block the HTTP server (callers get a job id back at once and
 * poll). Finished jobs are kept for a while so their results can be fetched.
 * @module
 */

/** Lifecycle of a job. */
export type JobStatus = "queued" | "running" | "done" | "error";

/** Reports progress from inside a job: fraction 0…1 and a short message. */
export type ProgressFn = (fraction: number, message?: string) => void;

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
  /** Error was the user's (bad input): shown as-is. */
  userError?: boolean;
  createdMs: number;
  startedMs?: number;
  finishedMs?: number;
}

interface JobEntry<R> {
  info: JobInfo;
  run: (progress: ProgressFn) => Promise<R>;
  result?: R;
  done: Promise<void>;
  resolveDone: () => void;
  cleanup?: () => Promise<void> | void;
}

/** Options of {@link JobQueue}. */
export interface JobQueueOptions {
  /** How many finished jobs to keep (oldest dropped first, running their cleanup). */
  keepFinished?: number;
  /** Classifies an error as the user's fault (shown verbatim) vs a bug. */
  isUserError?: (e: unknown) => boolean;
}

/**
 * Serialises async jobs (one at a time, in submission order).
 *
 * @example
 * ```ts
 * const q = new JobQueue();
 * const id = q.submit("predict", async (progress) => { progress(0.5); return 42; });
 * await q.wait(id); q.result(id); // 42
 * ```
 */
export class JobQueue {
  #jobs = new Map<string, JobEntry<unknown>>();
  #pending: string[] = [];
  #running = false;
  #keep: number;
  #isUserError: (e: unknown) => boolean;

  constructor(opts: JobQueueOptions = {}) {
    this.#keep = opts.keepFinished ?? 8;
    this.#isUserError = opts.isUserError ?? (() => false);
  }

  /**
   * Queues `run`; returns its id at once. `cleanup` runs when the job's result is dropped
   * (evicted or on {@link close}).
   */
  submit<R>(
    kind: string,
    run: (progress: ProgressFn) => Promise<R>,
    cleanup?: () => Promise<void> | void,
  ): string {
    const id = crypto.randomUUID();
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const entry: JobEntry<R> = {
      info: { id, kind, status: "queued", progress: 0, message: "queued", createdMs: Date.now() },
      run,
      done,
      resolveDone,
      cleanup,
    };
    this.#jobs.set(id, entry as JobEntry<unknown>);
    this.#pending.push(id);
    queueMicrotask(() => this.#pump());
    return id;
  }

  /** Runs `run` through the queue and resolves with its result (rejects with its error). */
  async runNow<R>(kind: string, run: (progress: ProgressFn) => Promise<R>): Promise<R> {
    const id = this.submit(kind, run);
    await this.wait(id);
    const e = this.#jobs.get(id)!;
    this.#jobs.delete(id);
    if (e.info.status === "error") throw (e as JobEntry<unknown> & { err?: unknown }).err;
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

  /** Resolves when the job has finished (done or error). */
  async wait(id: string): Promise<void> {
    await this.#jobs.get(id)?.done;
  }

  /** Number of jobs queued or running. */
  get busy(): number {
    return this.#pending.length + (this.#running ? 1 : 0);
  }

  /** Drops every finished job (running cleanups) after waiting for the running one. */
  async close(): Promise<void> {
    this.#pending.length = 0;
    await Promise.all(
      [...this.#jobs.values()].map((e) => e.info.status === "queued" ? undefined : e.done),
    );
    for (const [id, e] of this.#jobs) {
      this.#jobs.delete(id);
      await e.cleanup?.();
    }
  }

  async #pump(): Promise<void> {
    if (this.#running) return;
    const id = this.#pending.shift();
    if (id === undefined) return;
    const e = this.#jobs.get(id);
    if (!e) return this.#pump();
    this.#running = true;
    e.info.status = "running";
    e.info.message = "running";
    e.info.startedMs = Date.now();
    const progress: ProgressFn = (f, msg) => {
      e.info.progress = Math.min(1, Math.max(0, f));
      if (msg !== undefined) e.info.message = msg;
    };
    try {
      e.result = await e.run(progress);
      e.info.status = "done";
      e.info.progress = 1;
      e.info.message = "done";
    } catch (err) {
      e.info.status = "error";
      e.info.userError = this.#isUserError(err);
      e.info.error = err instanceof Error ? err.message : String(err);
      e.info.message = "failed";
      (e as JobEntry<unknown> & { err?: unknown }).err = err;
    } finally {
      e.info.finishedMs = Date.now();
      this.#running = false;
      e.resolveDone();
      await this.#evict();
      queueMicrotask(() => this.#pump());
    }
  }

  async #evict(): Promise<void> {
    const finished = [...this.#jobs.values()].filter((e) =>
      e.info.status === "done" || e.info.status === "error"
    );
    while (finished.length > this.#keep) {
      const old = finished.shift()!;
      this.#jobs.delete(old.info.id);
      await old.cleanup?.();
    }
  }
}
