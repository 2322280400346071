/** Temporary directories for tests. */

/**
 * Runs `fn` in a fresh temporary directory and removes the directory (recursively)
 * afterwards, whether `fn` succeeds or throws.
 * @param opts as Deno.makeTempDir, e.g. `{ prefix: "quass_train_" }`
 * @returns what `fn` returns
 */
export async function withTempDir<T>(
  opts: Deno.MakeTempOptions,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir(opts);
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
