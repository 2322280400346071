/**
 * Bundles `islands/*.tsx` for the browser with esbuild: one ES module
 * (`static/build/islands.js`) that finds every `<quass-island data-island=NAME>` the
 * server rendered and hydrates it with its JSON props. Also copies uPlot's CSS.
 * `deno task build`; the server runs it on start when the bundle is missing.
 * @module
 */
import * as esbuild from "esbuild";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** Where the bundle goes. */
export const BUILD_DIR = `${ROOT}/static/build`;

/** Island names: file names under `islands/` (no leading `_`, no tests). */
export async function islandNames(islandsDir = `${ROOT}/islands`): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(islandsDir)) {
    if (e.isFile && /\.tsx$/.test(e.name) && !e.name.startsWith("_")) {
      names.push(e.name.replace(/\.tsx$/, ""));
    }
  }
  return names.sort();
}

/** The generated entry module: imports every island and hydrates the marked elements. */
export function entrySource(names: string[]): string {
  const imports = names.map((n, i) => `import I${i} from "./islands/${n}.tsx";`).join("\n");
  const table = names.map((n, i) => `  ${JSON.stringify(n)}: I${i},`).join("\n");
  return `import { h, hydrate } from "preact";
${imports}
const ISLANDS = {
${table}
};
for (const el of document.querySelectorAll("quass-island[data-island]")) {
  const C = ISLANDS[el.dataset.island];
  if (!C) { console.error("quass: unknown island", el.dataset.island); continue; }
  hydrate(h(C, JSON.parse(el.dataset.props || "{}")), el);
}
`;
}

/** Builds the bundle; returns the output path. */
export async function buildIslands(
  opts: { minify?: boolean; quiet?: boolean } = {},
): Promise<string> {
  const t0 = performance.now();
  const names = await islandNames();
  await Deno.mkdir(BUILD_DIR, { recursive: true });
  const out = `${BUILD_DIR}/islands.js`;
  try {
    await esbuild.build({
      stdin: {
        contents: entrySource(names),
        resolveDir: ROOT,
        loader: "js",
        sourcefile: "islands_entry.js",
      },
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      jsx: "automatic",
      jsxImportSource: "preact",
      minify: opts.minify ?? true,
      sourcemap: "linked",
      outfile: out,
      nodePaths: [`${ROOT}/node_modules`],
      logLevel: "error",
    });
  } finally {
    await esbuild.stop();
  }
  await Deno.copyFile(`${ROOT}/node_modules/uplot/dist/uPlot.min.css`, `${BUILD_DIR}/uplot.css`);
  if (!opts.quiet) {
    const kb = (await Deno.stat(out)).size / 1024;
    console.error(
      `quass: built ${names.length} islands → ${out} (${kb.toFixed(0)} KiB, ${
        (performance.now() - t0).toFixed(0)
      } ms)`,
    );
  }
  return out;
}

/** True when the bundle exists and is newer than every island source. */
export async function bundleIsFresh(): Promise<boolean> {
  let built: number;
  try {
    built = (await Deno.stat(`${BUILD_DIR}/islands.js`)).mtime?.getTime() ?? 0;
    await Deno.stat(`${BUILD_DIR}/uplot.css`);
  } catch {
    return false;
  }
  for await (const e of Deno.readDir(`${ROOT}/islands`)) {
    const m = (await Deno.stat(`${ROOT}/islands/${e.name}`)).mtime?.getTime() ?? 0;
    if (m > built) return false;
  }
  return true;
}

if (import.meta.main) {
  await buildIslands();
}
