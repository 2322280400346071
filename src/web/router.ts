/**
 * A tiny file router with Fresh's conventions: every `.ts`/`.tsx` file under `routes/`
 * becomes a route (`index` → the folder, `[name]` → a parameter, `[...rest]` → the rest
 * of the path, as the parameter `rest`); files starting with `_` are special (`_app.tsx` wraps every page).
 * @module
 */
import type { RouteModule } from "./define.ts";

/** One discovered route. */
export interface RouteEntry {
  /** Hono pattern, e.g. `/runs/:name`. */
  pattern: string;
  /** File path relative to the routes directory. */
  file: string;
  module: RouteModule;
}

/** Maps a route file path (relative, `/`-separated, with extension) to a Hono pattern. */
export function routePattern(file: string): string {
  const noExt = file.replace(/\.(tsx|ts|jsx|js)$/, "");
  const segs = noExt.split("/").filter((s) => s !== "");
  if (segs.at(-1) === "index") segs.pop();
  const out = segs.map((s) => {
    const rest = /^\[\.\.\.([A-Za-z_][A-Za-z0-9_]*)\]$/.exec(s);
    if (rest) return `:${rest[1]}{.+}`;
    const param = /^\[([A-Za-z_][A-Za-z0-9_]*)\]$/.exec(s);
    return param ? `:${param[1]}` : s;
  });
  return "/" + out.join("/");
}

async function* _walk(dir: string, rel = ""): AsyncGenerator<string> {
  const entries: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(dir)) entries.push(e);
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) yield* _walk(`${dir}/${e.name}`, r);
    else if (/\.(tsx|ts)$/.test(e.name) && !/_test\.tsx?$/.test(e.name)) yield r;
  }
}

/** Sort key: static segments before parameters before catch-alls (Fresh's priority). */
function _rank(pattern: string): string {
  return pattern.split("/").map((s) => (s.endsWith("{.+}") ? "2" : s.startsWith(":") ? "1" : "0"))
    .join("");
}

/** The routes directory as a sorted route table plus the `_app` layout module, if any. */
export async function loadRoutes(
  routesDir: string,
): Promise<{ routes: RouteEntry[]; app?: RouteModule }> {
  const abs = await Deno.realPath(routesDir);
  const routes: RouteEntry[] = [];
  let app: RouteModule | undefined;
  for await (const file of _walk(abs)) {
    const base = file.split("/").at(-1)!;
    const url = new URL(`file://${abs}/${file}`).href;
    if (base.startsWith("_")) {
      if (/^_app\.tsx?$/.test(base) && !file.includes("/")) app = await import(url) as RouteModule;
      continue;
    }
    routes.push({ pattern: routePattern(file), file, module: await import(url) as RouteModule });
  }
  routes.sort((a, b) =>
    _rank(a.pattern).localeCompare(_rank(b.pattern)) || a.pattern.localeCompare(b.pattern)
  );
  return { routes, app };
}
