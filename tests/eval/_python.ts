/**
 * Finds a Python interpreter that has the given modules (for cross-checks against numpy,
 * scikit-image, nibabel). Tests skip cleanly when none is found.
 * @module
 */

const _cache = new Map<string, string | null>();

/** Runs `python -c code` with stdin; returns stdout, throws with stderr on failure. */
export async function runPython(
  python: string,
  code: string,
  stdin?: Uint8Array | string,
): Promise<string> {
  const cmd = new Deno.Command(python, {
    args: ["-c", code],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  const w = child.stdin.getWriter();
  if (stdin !== undefined) {
    await w.write(typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin);
  }
  await w.close();
  const out = await child.output();
  if (!out.success) throw new Error(`python failed: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

/**
 * The first of `python3`, `/usr/bin/python3` that imports all `modules`, or null.
 * (pyenv shims may shadow Debian's python3 that has python3-skimage / python3-nibabel.)
 */
export async function findPython(modules: string[]): Promise<string | null> {
  const key = modules.join(",");
  if (_cache.has(key)) return _cache.get(key)!;
  let found: string | null = null;
  for (const py of ["python3", "/usr/bin/python3"]) {
    try {
      await runPython(py, `import ${key}`);
      found = py;
      break;
    } catch { /* try the next */ }
  }
  _cache.set(key, found);
  return found;
}
