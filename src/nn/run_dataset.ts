/**
 * Which dataset a training run learns from. A run records its dataset in config.json when it
 * starts (`dataset`: the path as given, the size in bytes and the SHA-256 of the whole file,
 * streamed, so a file of any size is hashed without holding a second copy in memory; ~1 s per
 * GB); `--resume` refuses a `--data` whose hash differs, because the run's best checkpoint and
 * early stopping compare validation losses, and losses on two datasets do not compare.
 * Runs made before the record existed resume with a warning.
 * @module
 */
import { createHash } from "node:crypto";
import { InputError } from "../util/errors.ts";

/** The dataset record kept in config.json under `dataset`. */
export interface DatasetRecord {
  /** The path as given to `--data` when the run started. */
  path: string;
  bytes: number;
  /** SHA-256 of the whole file, hex. */
  sha256: string;
}

/**
 * Hashes a dataset file (SHA-256 of all its bytes, streamed).
 * @throws InputError when the file cannot be read
 */
export async function datasetRecord(path: string): Promise<DatasetRecord> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    throw new InputError(`--data ${path}: cannot read the dataset (${(e as Error).name})`);
  }
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of file.readable) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { path, bytes, sha256: hash.digest("hex") };
}

/**
 * Checks that `--data` on `--resume` is the dataset the run was started with.
 * @param configPath the run's config.json (for messages)
 * @param saved the parsed config.json
 * @param current the record of the `--data` given now
 * @param out the run directory, for the fix
 * @returns a warning for runs that recorded no hash (made before the record existed), else ""
 * @throws InputError when the recorded hash differs, naming both files and how to start anew
 */
export function checkRunDataset(
  configPath: string,
  saved: { dataset?: unknown; data?: unknown },
  current: DatasetRecord,
  out: string,
): string {
  const rec = saved.dataset as Partial<DatasetRecord> | undefined;
  if (!rec || typeof rec !== "object" || typeof rec.sha256 !== "string") {
    const was = typeof saved.data === "string" && saved.data !== current.path
      ? `; it was started with --data ${saved.data}`
      : "";
    return `${configPath} records no dataset hash (a run made before runs recorded one), so --data ${current.path} cannot be checked against the run's dataset${was}`;
  }
  if (rec.sha256 === current.sha256) return "";
  const short = (h: string) => h.slice(0, 12);
  throw new InputError(
    `--data ${current.path}: not the dataset the run in ${out} was trained on (${rec.path}, ${rec.bytes} bytes, sha256 ${
      short(rec.sha256)
    }…; this file: ${current.bytes} bytes, sha256 ${short(current.sha256)}…); ` +
      `validation losses on two datasets do not compare. Resume with --data ${rec.path}, ` +
      `or start a new run on this dataset: drop --resume and give another --out`,
  );
}
