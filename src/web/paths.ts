/**
 * Path confinement: the dashboard only reads files under its configured directories. A
 * user-supplied name is checked lexically (no absolute paths, no `..`, no NUL, no
 * backslashes) and then by real path (a symlink inside a run directory cannot point out).
 * @module
 */
import { InputError } from "../util/errors.ts";

/** Thrown when a requested path is outside the allowed root (served as 404, never 403, so
 * the server does not confirm that something exists elsewhere). */
export class PathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PathError";
  }
}

/** One safe name component: letters, digits, `.`, `_`, `-`, not starting with a dot. */
export const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** Throws InputError unless `name` is a single safe path component (e.g. a run name). */
export function checkName(name: string, what: string): string {
  if (!SAFE_NAME.test(name)) {
    throw new InputError(
      `Invalid ${what} name ${
        JSON.stringify(name.slice(0, 80))
      }: use letters, digits, '.', '_' and '-' only`,
    );
  }
  return name;
}

function _join(root: string, rel: string): string {
  return root.endsWith("/") ? root + rel : `${root}/${rel}`;
}

/**
 * Resolves `rel` (a relative path with `/` separators) under `root` and returns the real
 * path; throws PathError when it escapes `root` lexically or through a symlink, or does
 * not exist (the last two with the same message: a symlink does not reveal whether its
 * target exists).
 *
 * @example
 * ```ts
 * await resolveUnder("runs", "lstm/log.jsonl"); // "/abs/runs/lstm/log.jsonl"
 * await resolveUnder("runs", "../etc/passwd");  // throws PathError
 * ```
 */
export async function resolveUnder(root: string, rel: string): Promise<string> {
  if (rel.includes("\0") || rel.includes("\\") || rel.startsWith("/")) {
    throw new PathError(`Path ${JSON.stringify(rel)} is not a relative path`);
  }
  const parts = rel.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.some((p) => p === ".." || p.startsWith("."))) {
    throw new PathError(`Path ${JSON.stringify(rel)} leaves its directory`);
  }
  // A missing path, one that cannot be read and one that resolves outside the root get the
  // same answer, so the reply never tells whether something exists outside.
  const missing = () => new PathError(`No such file: ${rel}`);
  let realRoot: string, real: string;
  try {
    realRoot = await Deno.realPath(root);
    real = await Deno.realPath(_join(root, parts.join("/")));
  } catch {
    throw missing();
  }
  if (real !== realRoot && !real.startsWith(realRoot.endsWith("/") ? realRoot : realRoot + "/")) {
    throw missing();
  }
  return real;
}
