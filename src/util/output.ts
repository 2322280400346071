/**
 * Checks on output paths, made before any long work so a bad `--out` fails in a second
 * with one clear line instead of after the work with raw OS text:
 * {@link checkWritable} (the place can be written) and {@link checkNotInput} (an output
 * would not overwrite an input). Neither leaves anything behind.
 * @module
 */
import { basename, dirname, resolve } from "node:path";
import { InputError } from "./errors.ts";

/** A path with the flag it came from, for messages. */
export interface FlagPath {
  /** e.g. "--out", "--input". */
  flag: string;
  path: string;
}

async function _stat(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (e) {
    // NotFound, or NotADirectory when a parent is a file: either way nothing is there
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw e;
  }
}

/**
 * Checks that `path` can be written: a file whose directory exists or can be made
 * (`kind` "file"), or a directory that exists or can be made (`kind` "dir"). Nothing is
 * created: the nearest existing directory is probed with a temporary file that is removed.
 * @param flag the flag that named the path, for the message
 * @throws InputError naming the flag, the path, what is wrong and the fix
 * @example
 * await checkWritable("data/train.safetensors", "--out");
 * await checkWritable("runs/a", "--out", "dir");
 */
export async function checkWritable(
  path: string,
  flag: string,
  kind: "file" | "dir" = "file",
): Promise<void> {
  const where = `${flag} ${path}`;
  const self = await _stat(path);
  let probeDir: string;
  if (self) {
    if (kind === "file" && self.isDirectory) {
      throw new InputError(`${where}: is a directory; give a file name (in it or elsewhere)`);
    }
    if (kind === "dir" && !self.isDirectory) {
      throw new InputError(
        `${where}: is a file, not a directory; give a directory (it is created when missing)`,
      );
    }
    probeDir = kind === "dir" ? path : dirname(resolve(path));
  } else {
    // the nearest existing ancestor must be a directory we can write in (mkdir -p goes there)
    let p = dirname(resolve(path));
    let info = await _stat(p);
    while (!info && p !== dirname(p)) {
      p = dirname(p);
      info = await _stat(p);
    }
    if (!info?.isDirectory) {
      throw new InputError(
        `${where}: ${p} is a file, not a directory, so nothing can be written under it; choose another path`,
      );
    }
    probeDir = p;
  }
  const probe = `${probeDir}/.quass-write-check.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    const f = await Deno.open(probe, { createNew: true, write: true });
    f.close();
  } catch (e) {
    const why = e instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : String((e as Error)?.message ?? e).replace(/\s*\(os error \d+\).*$/, "").toLowerCase();
    throw new InputError(
      `${where}: cannot write in ${probeDir} (${why}); choose a writable location`,
    );
  }
  await Deno.remove(probe).catch(() => {});
}

/** The absolute path with every existing part's symlinks resolved (the path need not exist). */
export async function realPathOf(path: string): Promise<string> {
  const abs = resolve(path);
  try {
    return await Deno.realPath(abs);
  } catch {
    const parent = dirname(abs);
    if (parent === abs) return abs;
    return `${(await realPathOf(parent)).replace(/\/+$/, "")}/${basename(abs)}`;
  }
}

/**
 * Refuses outputs that are one of the inputs (compared as resolved real paths, so `./a`,
 * `dir/../a` and symlinks count as the same file): writing them would destroy the input.
 * @param outputs what the command will write (include sidecars written beside them)
 * @param inputs what it reads (include their sidecars)
 * @throws InputError naming both flags and the path
 */
export async function checkNotInput(outputs: FlagPath[], inputs: FlagPath[]): Promise<void> {
  const ins = await Promise.all(
    inputs.map(async (i) => ({ ...i, real: await realPathOf(i.path) })),
  );
  for (const o of outputs) {
    const real = await realPathOf(o.path);
    const hit = ins.find((i) => i.real === real);
    if (hit) {
      const same = hit.path === o.path ? o.path : `${o.path} (= ${hit.path})`;
      throw new InputError(
        `${o.flag}: ${same} is also ${hit.flag}; writing it would destroy the input: choose another output name`,
      );
    }
  }
}
