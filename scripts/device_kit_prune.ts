/**
 * Prunes a DENO_DIR's npm cache to what the given entry points load (scripts/device_kit.sh):
 * the npm packages their module graphs reach (`deno info --json`), closed over their
 * dependencies as deno.lock records them; every other package and version is deleted. Of
 * the packages whose `main` is a self-contained Node bundle (tfjs), only package.json and
 * that bundle stay (Deno loads `main` under Node resolution; the ES-module tree, browser
 * bundles, source maps and typings are unused at run time).
 *
 *     deno run -A scripts/device_kit_prune.ts DENO_DIR/npm/registry.npmjs.org ENTRY...
 * @module
 */

/** Packages whose `main` bundle needs no other file of the package. */
export const BUNDLE_ONLY = [
  "@tensorflow/tfjs-core",
  "@tensorflow/tfjs-backend-cpu",
  "@tensorflow/tfjs-backend-webgpu",
  "@tensorflow/tfjs-layers",
];

/** `@scope/name@1.2.3_peer@4` → `{ name: "@scope/name", version: "1.2.3" }`. */
export function parsePackageId(id: string): { name: string; version: string } {
  const base = id.split("_")[0]!;
  const at = base.lastIndexOf("@");
  if (at <= 0) throw new Error(`not a package id: ${id}`);
  return { name: base.slice(0, at), version: base.slice(at + 1) };
}

/**
 * The package ids (lockfile keys) reachable from `roots` through the lockfile's
 * dependencies; a dependency is written `name` (one version in the lock) or `name@version`.
 */
export function closure(
  lockNpm: Record<string, { dependencies?: string[] }>,
  roots: Iterable<string>,
): Set<string> {
  const keys = Object.keys(lockNpm);
  const resolve = (dep: string): string => {
    if (lockNpm[dep]) return dep;
    const hits = keys.filter((k) => parsePackageId(k).name === dep);
    if (hits.length !== 1) throw new Error(`lockfile: cannot resolve dependency '${dep}'`);
    return hits[0]!;
  };
  const seen = new Set<string>();
  const todo = [...roots];
  while (todo.length) {
    const id = todo.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const d of lockNpm[id]?.dependencies ?? []) todo.push(resolve(d));
  }
  return seen;
}

async function reachedPackages(entries: string[]): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const e of entries) {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--node-modules-dir=none", e],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!r.success) throw new Error(`deno info ${e} failed`);
    const info = JSON.parse(new TextDecoder().decode(r.stdout)) as {
      modules: { kind?: string; npmPackage?: string }[];
    };
    for (const m of info.modules) if (m.kind === "npm" && m.npmPackage) ids.add(m.npmPackage);
  }
  return ids;
}

async function removeExcept(dir: string, keep: Set<string>): Promise<number> {
  let removed = 0;
  for await (const e of Deno.readDir(dir)) {
    if (!keep.has(e.name)) {
      await Deno.remove(`${dir}/${e.name}`, { recursive: true });
      removed++;
    }
  }
  return removed;
}

if (import.meta.main) {
  const [reg, ...entries] = Deno.args;
  if (!reg || entries.length === 0) {
    console.error("usage: device_kit_prune.ts REGISTRY_DIR ENTRY...");
    Deno.exit(2);
  }
  const lock = JSON.parse(await Deno.readTextFile("deno.lock")) as {
    npm: Record<string, { dependencies?: string[] }>;
  };
  const ids = closure(lock.npm, await reachedPackages(entries));
  const keep = new Map<string, Set<string>>(); // name → versions
  for (const id of ids) {
    const { name, version } = parsePackageId(id);
    if (!keep.has(name)) keep.set(name, new Set());
    keep.get(name)!.add(version);
  }
  // Deno checks at start-up that every npm package of the lockfile is in the cache, used or
  // not: those the entry points never load stay as stubs (their package.json alone).
  let removed = 0, stubs = 0;
  for (const id of Object.keys(lock.npm)) {
    if (ids.has(id)) continue;
    const { name, version } = parsePackageId(id);
    const dir = `${reg}/${name}/${version}`;
    try {
      removed += await removeExcept(dir, new Set(["package.json"]));
      stubs++;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e; // not for this platform
    }
  }
  // Bundle-only packages: package.json + main.
  for (const name of BUNDLE_ONLY) {
    for (const v of keep.get(name) ?? []) {
      const dir = `${reg}/${name}/${v}`;
      const pkg = JSON.parse(await Deno.readTextFile(`${dir}/package.json`)) as { main: string };
      const main = pkg.main.replace(/^\.\//, "");
      const tmp = `${dir}.main`;
      await Deno.rename(`${dir}/${main}`, tmp);
      await removeExcept(dir, new Set(["package.json"]));
      await Deno.mkdir(`${dir}/${main.split("/").slice(0, -1).join("/")}`, { recursive: true });
      await Deno.rename(tmp, `${dir}/${main}`);
    }
  }
  console.error(
    `device_kit_prune: kept ${ids.size} packages (${[...keep.keys()].sort().join(", ")}); ` +
      `removed ${removed} entries`,
  );
}
