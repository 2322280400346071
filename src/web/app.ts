/**
 * The dashboard's Hono app: request guards (Host, Origin), routes from `routes/` (pages
 * rendered on the server with Preact, API routes returning JSON), `static/` files, and
 * error mapping (InputError → 400, HttpError → its status, too large → 413, outside the
 * configured directories → 404).
 * @module
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { h } from "preact";
import type { ComponentChildren, ComponentType, VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import type {
  AppConfig,
  HandlerFn,
  Handlers,
  PageProps,
  RouteContext,
  RouteModule,
} from "./define.ts";
import { json } from "./define.ts";
import { loadRoutes } from "./router.ts";
import { type AppServices, createServices, type Engine } from "./services.ts";
import { PathError, resolveUnder } from "./paths.ts";
import { PayloadTooLargeError } from "./uploads.ts";
import { checkHost, checkOrigin, HttpError, STATE_CHANGING } from "./guard.ts";
import { DEFAULT_MODEL_DIR } from "../eval/predict_volume.ts";
import { InputError } from "../util/errors.ts";

/** Options of {@link createApp}; anything left out (or undefined) takes the default below. */
export type AppOptions = Partial<AppConfig> & { engine?: Partial<Engine> };

/** The Hono app plus its services and a `close()` that drops jobs and temp files. */
export type QuassApp = Hono & { config: AppConfig; services: AppServices; close(): Promise<void> };

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** Where `deno task demo` writes, relative to the working directory. */
export const DEMO_DIR = "demo";

function _isDir(p: string): boolean {
  try {
    return Deno.statSync(p).isDirectory;
  } catch {
    return false;
  }
}

/**
 * The directories served when none is given, under `root` (default: the working
 * directory): runs/, report/ and data/, each replaced by the demo's output (demo/runs,
 * demo/report, demo/ — where `deno task demo` puts its phantom, dataset, run and reports)
 * when it does not exist and the demo's does. So `deno task demo` then `deno task serve`
 * shows the demo, and a project's own folders win once they exist.
 */
export function defaultDirs(
  root = "",
): Pick<AppConfig, "runsDir" | "reportsDir" | "dataDir"> {
  const at = (p: string) => (root ? `${root.replace(/\/+$/, "")}/${p}` : p);
  const pick = (dir: string, demo: string) =>
    !_isDir(at(dir)) && _isDir(at(demo)) ? at(demo) : at(dir);
  return {
    runsDir: pick("runs", `${DEMO_DIR}/runs`),
    reportsDir: pick("report", `${DEMO_DIR}/report`),
    dataDir: pick("data", DEMO_DIR),
  };
}

/**
 * Default configuration: the directories of {@link defaultDirs}, 256 MiB uploads
 * inflating to at most 1 GiB per request, jobs stopped after 10 minutes, the shipped
 * pretrained model (models/quass-7t-cw).
 */
export function defaultConfig(): AppConfig {
  return {
    ...defaultDirs(),
    benchDir: "bench/results",
    modelsDir: `${ROOT}/static/models`,
    staticDir: `${ROOT}/static`,
    routesDir: `${ROOT}/routes`,
    tmpDir: `${Deno.env.get("TMPDIR") ?? "/tmp"}/quass-web-${Deno.pid}`,
    uploadLimitBytes: 256 << 20,
    inflateLimitBytes: 1 << 30,
    jobTimeLimitMs: 10 * 60_000,
    allowedHosts: [],
    pretrainedDir: DEFAULT_MODEL_DIR,
  };
}

const CONTENT_TYPES: Record<string, string> = {
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  json: "application/json; charset=utf-8",
  png: "image/png",
  svg: "image/svg+xml",
  ico: "image/x-icon",
  yaml: "text/yaml; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  map: "application/json",
};

/** The content type for a file name (octet-stream when unknown). */
export function contentType(name: string): string {
  return CONTENT_TYPES[name.split(".").at(-1)!.toLowerCase()] ?? "application/octet-stream";
}

/**
 * Builds the app. Routes are imported from `config.routesDir` once.
 *
 * @example
 * ```ts
 * const app = await createApp({ runsDir: "runs", uploadLimitBytes: 64 << 20 });
 * const res = await app.request("/api/runs");
 * await app.close();
 * ```
 */
export async function createApp(opts: AppOptions = {}): Promise<QuassApp> {
  const { engine, ...rest } = opts;
  const given = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  const config: AppConfig = { ...defaultConfig(), ...given };
  const services = createServices(engine, { jobTimeLimitMs: config.jobTimeLimitMs });
  const { routes, app: appModule } = await loadRoutes(config.routesDir);
  const Layout = appModule?.default as ComponentType<LayoutProps> | undefined;
  const hono = new Hono();

  hono.onError((err, c) => errorResponse(err, c, Layout));
  hono.notFound((c) =>
    errorResponse(new PathError(`No page at ${new URL(c.req.url).pathname}`), c, Layout)
  );

  // every request: a Host this server answers to; state changes: from its own origin
  hono.use("*", async (c, next) => {
    checkHost(c.req.raw, config.allowedHosts);
    if (STATE_CHANGING.has(c.req.method)) checkOrigin(c.req.raw);
    await next();
  });

  hono.get("/static/:rest{.+}", async (c) => {
    const rel = c.req.param("rest");
    const path = await resolveUnder(config.staticDir, rel);
    if (!(await Deno.stat(path)).isFile) throw new PathError(`No such file: ${rel}`);
    const cache = rel.startsWith("build/") ? "no-cache" : "max-age=300";
    return new Response((await Deno.open(path)).readable, {
      headers: { "content-type": contentType(path), "cache-control": cache },
    });
  });

  for (const r of routes) {
    const handlers = _handlers(r.module);
    for (const [method, fn] of Object.entries(handlers) as [string, HandlerFn<unknown>][]) {
      hono.on(method, r.pattern, async (c) => {
        const ctx: RouteContext = {
          req: c.req.raw,
          url: new URL(c.req.url),
          params: c.req.param() as Record<string, string>,
          config,
          services,
        };
        const out = await fn(ctx);
        if (out instanceof Response) return out;
        if (!r.module.default) return json(out.data, out.status ?? 200);
        const title = out.title ?? r.module.title ?? "quass";
        return renderPage(
          r.module.default,
          { data: out.data, url: ctx.url, params: ctx.params },
          title,
          Layout,
          out.status,
        );
      });
    }
  }

  return Object.assign(hono, {
    config,
    services,
    async close() {
      await services.close();
      await Deno.remove(config.tmpDir, { recursive: true }).catch(() => {});
    },
  });
}

function _handlers(m: RouteModule): Handlers<unknown> {
  if (typeof m.handler === "function") return { GET: m.handler };
  if (m.handler) return m.handler;
  // A page without a handler renders with no data.
  return m.default ? { GET: () => ({ data: undefined }) } : {};
}

/** Props of the `_app.tsx` layout. */
export interface LayoutProps {
  title: string;
  url: URL;
  children?: ComponentChildren;
}

/** Renders a page component inside the layout to a full HTML response. */
export function renderPage<T>(
  Page: ComponentType<PageProps<T>>,
  props: PageProps<T>,
  title: string,
  Layout?: ComponentType<LayoutProps>,
  status = 200,
): Response {
  const body = h(Page, props) as VNode<unknown>;
  const tree = Layout ? (h(Layout, { title, url: props.url }, body) as VNode<unknown>) : body;
  return new Response("<!DOCTYPE html>" + renderToString(tree), {
    status,
    headers: { "content-type": "text/html; charset=utf-8" },
  });
}

/** Maps an error to a status and a message the user can act on. */
export function errorStatus(err: unknown): { status: number; message: string } {
  if (err instanceof PayloadTooLargeError) return { status: 413, message: err.message };
  if (err instanceof HttpError) return { status: err.status, message: err.message };
  if (err instanceof InputError) return { status: 400, message: err.message };
  if (err instanceof PathError) return { status: 404, message: err.message };
  const msg = err instanceof Error ? err.message : String(err);
  return { status: 500, message: `Internal error: ${msg}` };
}

function errorResponse(err: unknown, c: Context, Layout?: ComponentType<LayoutProps>): Response {
  const { status, message } = errorStatus(err);
  if (status === 500) console.error(err);
  const url = new URL(c.req.url);
  const wantsHtml = !url.pathname.startsWith("/api/") && !url.pathname.startsWith("/static/") &&
    (c.req.header("accept") ?? "").includes("text/html");
  if (!wantsHtml) return json({ error: message, status }, status);
  const Page = ({ data }: PageProps<{ status: number; message: string }>) =>
    h(
      "section",
      { class: "error-page" },
      h("h1", null, `${data.status} — ${_reason(data.status)}`),
      h("p", null, data.message),
      h("p", null, h("a", { href: "/" }, "Back to the runs overview")),
    );
  return renderPage(
    Page,
    { data: { status, message }, url, params: {} },
    `${status} · quass`,
    Layout,
    status,
  );
}

function _reason(status: number): string {
  return {
    400: "bad input",
    403: "forbidden",
    404: "not found",
    409: "conflict",
    413: "upload too large",
    415: "unsupported content type",
    500: "server error",
    503: "unavailable",
  }[status] ?? "error";
}
