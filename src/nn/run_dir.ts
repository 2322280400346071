/**
 * A training run's directory while `quass train` works in it:
 * - {@link checkRunOut}: before anything is read or built, `--out` must be a directory (or
 *   missing) that can be written; on `--resume` it must hold the run's config.json.
 * - {@link openRunDir}: creates the directory, takes its lock and removes what an interrupted
 *   run left behind. The lock is `.quass-train.lock`, created exclusively, holding the pid and
 *   host: a second `quass train` on the same directory is refused while the first runs; a lock
 *   whose process is gone (same host) is taken over, with a note. Leftovers are the atomic
 *   writer's temporary files (`config.json.<pid>.<id>.tmp`, src/util/atomic.ts): while the lock
 *   is held, any such file is stale.
 * - {@link RunDir.guard}: a fresh run that fails before its first epoch is committed
 *   (optimizer.safetensors) leaves nothing behind.
 * - {@link runStart}: the dataset record of a new run; the configuration and dataset check of
 *   a resumed one.
 * @module
 */
import { hostname } from "node:os";
import { InputError } from "../util/errors.ts";
import { checkWritable } from "../util/output.ts";
import { runPaths } from "./checkpoint.ts";
import { loadResumeConfig } from "./run_resume.ts";
import type { RunConfig } from "./presets.ts";
import { checkRunDataset, type DatasetRecord, datasetRecord } from "./run_dataset.ts";

/** Name of the lock file inside a run directory. */
export const RUN_LOCK = ".quass-train.lock";

/** Temporary files of src/util/atomic.ts: `<name>.<pid>.<8 hex>.tmp`. */
const _ATOMIC_TMP = /\.\d+\.[0-9a-f]{8}\.tmp$/;

/** What a lock file holds. */
interface _LockInfo {
  pid: number;
  host: string;
  started: string;
}

/**
 * Checks `--out` of `quass train` before any work: not a file, writable; with `resume`, an
 * existing run (its config.json).
 * @throws InputError naming --out and the fix
 */
export async function checkRunOut(out: string, resume: boolean): Promise<void> {
  await checkWritable(out, "--out", "dir");
  if (resume) {
    const p = runPaths(out).config;
    const found = await Deno.stat(p).then((s) => s.isFile, () => false);
    if (!found) {
      throw new InputError(
        `--out ${out}: no run to resume (${p} is missing); drop --resume to start a new run there`,
      );
    }
  }
}

/** What {@link runStart} decided. */
export interface RunStart {
  /** On resume: the run's own configuration (only the epochs from the command line). */
  cfg?: RunConfig;
  /** For a new run: fields to record in config.json (the dataset, run_dataset.ts). */
  record?: { dataset: DatasetRecord };
  /** A warning for the user, or "". */
  warning: string;
}

/**
 * Starts or resumes a run on `--data`: a new run records the dataset's hash; a resumed run
 * continues with its own configuration (config.json; only `epochs` may change) and must be
 * given the dataset it started with.
 * @param o.arch the --arch given now; on resume it must be the run's
 * @param o.epochs --epochs when given (it may extend a resumed run)
 * @throws InputError when config.json cannot be read, the architecture differs or the
 *   dataset is another one
 */
export async function runStart(
  out: string,
  data: string,
  o: { resume: boolean; arch: string; epochs?: number },
): Promise<RunStart> {
  const current = await datasetRecord(data);
  if (!o.resume) return { record: { dataset: current }, warning: "" };
  const p = runPaths(out).config;
  const saved = await loadResumeConfig(p, { arch: o.arch });
  const warning = checkRunDataset(p, saved as { dataset?: unknown; data?: unknown }, current, out);
  return {
    cfg: { model: saved.model, train: { ...saved.train, epochs: o.epochs ?? saved.train.epochs } },
    warning,
  };
}

function _alive(pid: number): boolean {
  if (pid === Deno.pid) return true;
  try {
    Deno.statSync("/proc/self");
  } catch {
    // no procfs (macOS): ask kill -0, which signals nothing
    try {
      return new Deno.Command("kill", { args: ["-0", String(pid)], stderr: "null" }).outputSync()
        .success;
    } catch {
      return true;
    }
  }
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

function _parseLock(text: string): _LockInfo | undefined {
  try {
    const v = JSON.parse(text);
    return typeof v?.pid === "number" ? v as _LockInfo : undefined;
  } catch {
    return undefined;
  }
}

/** A run directory held by this process. */
export interface RunDir {
  /** True when this call created the directory. */
  created: boolean;
  /** One-line notes for the user (a stale lock taken over, leftovers removed). */
  notes: string[];
  /** Releases the lock (idempotent). */
  release(): Promise<void>;
  /**
   * Awaits a step of the run; when it fails, releases the lock and, for a fresh run with no
   * epoch committed (no optimizer.safetensors), removes what the run wrote (config.json,
   * log.jsonl, model.safetensors) and the directory if {@link openRunDir} created it, then
   * rethrows.
   */
  guard<T>(step: Promise<T>): Promise<T>;
}

/**
 * Creates (if needed) and locks a run directory, then removes stale temporary files.
 * @param out the run directory (`--out`)
 * @param o.resume whether the run is resumed (a failed resume keeps its files)
 * @throws InputError when another live process holds the lock, naming its pid and the fix
 */
export async function openRunDir(out: string, o: { resume: boolean }): Promise<RunDir> {
  const dir = out.replace(/\/+$/, "") || "/";
  const created = !(await Deno.stat(dir).then(() => true, () => false));
  await Deno.mkdir(dir, { recursive: true });
  const lockPath = `${dir}/${RUN_LOCK}`;
  const me: _LockInfo = { pid: Deno.pid, host: hostname(), started: new Date().toISOString() };
  const mine = JSON.stringify(me);
  const notes: string[] = [];
  const race = () =>
    new InputError(
      `--out ${out}: another quass train took this directory at the same moment; give another --out`,
    );
  const create = async () => {
    try {
      await Deno.writeTextFile(lockPath, mine, { createNew: true });
      return true;
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) return false;
      throw e;
    }
  };
  if (!(await create())) {
    let text = await Deno.readTextFile(lockPath).catch(() => "");
    let held = _parseLock(text);
    if (!held) {
      // a lock being written this instant reads empty: look again before calling it broken
      await new Promise((r) => setTimeout(r, 200));
      text = await Deno.readTextFile(lockPath).catch(() => "");
      held = _parseLock(text);
    }
    if (held && (held.host !== me.host || _alive(held.pid))) {
      throw new InputError(
        `--out ${out}: another quass train (pid ${held.pid}${
          held.host !== me.host ? ` on ${held.host}` : ""
        }, started ${held.started}) is training in this directory; wait for it, or give another --out. ` +
          `If no such process runs, delete ${lockPath}`,
      );
    }
    // the holder is gone (or the lock is unreadable): move exactly that lock aside, then take ours
    const aside = `${lockPath}.${Deno.pid}.stale`;
    await Deno.rename(lockPath, aside).catch(() => {
      throw race();
    });
    if ((await Deno.readTextFile(aside).catch(() => "")) !== text) {
      // someone else's fresh lock: put it back
      await Deno.link(aside, lockPath).catch(() => {});
      await Deno.remove(aside).catch(() => {});
      throw race();
    }
    await Deno.remove(aside).catch(() => {});
    if (!(await create())) throw race();
    notes.push(
      held
        ? `took over the lock of an earlier quass train (pid ${held.pid}, started ${held.started}) that is no longer running`
        : `replaced an unreadable lock file ${lockPath}`,
    );
  }
  const stale: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && _ATOMIC_TMP.test(e.name)) {
      await Deno.remove(`${dir}/${e.name}`).catch(() => {});
      stale.push(e.name);
    }
  }
  if (stale.length) {
    notes.push(
      `removed ${stale.length} temporary file(s) an interrupted run left behind: ${
        stale.slice(0, 3).join(", ")
      }${stale.length > 3 ? ", …" : ""}`,
    );
  }
  let held = true;
  const release = async () => {
    if (!held) return;
    held = false;
    if ((await Deno.readTextFile(lockPath).catch(() => "")) === mine) {
      await Deno.remove(lockPath).catch(() => {});
    }
  };
  const abandon = async () => {
    const p = runPaths(dir);
    const committed = await Deno.stat(p.optimizer).then(() => true, () => false);
    if (!committed) {
      for (const f of [p.config, p.log, p.model]) await Deno.remove(f).catch(() => {});
    }
    await release();
    if (created && !committed) await Deno.remove(dir).catch(() => {}); // only when empty
  };
  const guard = async <T>(step: Promise<T>): Promise<T> => {
    try {
      return await step;
    } catch (e) {
      if (o.resume) await release();
      else await abandon();
      throw e;
    }
  };
  return { created, notes, release, guard };
}
