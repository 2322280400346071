/**
 * Fresh-shaped route definitions: a route module under `routes/` exports `handler` (loads
 * data, or returns a `Response` directly) and, for pages, a default component that renders
 * the data with typed props. API routes under `routes/api/` export only `handler`.
 *
 * @example
 * ```tsx
 * export const handler = defineHandlers({
 *   GET: async (ctx) => ({ data: { runs: await listRuns(ctx.config.runsDir) } }),
 * });
 * export default function Home({ data }: PageProps<DataOf<typeof handler>>) { ... }
 * ```
 * @module
 */
import type { ComponentType } from "preact";
import type { AppServices } from "./services.ts";

/** Directories and limits the app serves from; only files under these are ever read. */
export interface AppConfig {
  /** Trained runs (`runs/NAME/{config.json,log.jsonl,model.safetensors}`). */
  runsDir: string;
  /** Evaluation reports (`report/NAME/metrics.json` or `report/metrics.json`). */
  reportsDir: string;
  /** Datasets (`*.safetensors`) and phantoms (`DIR/*.nii.gz`). */
  dataDir: string;
  /** Benchmark results (`*.json`). */
  benchDir: string;
  /** Bundled tissue models for the simulator (`*.yaml`). */
  modelsDir: string;
  /** `static/` (css, built island bundle). */
  staticDir: string;
  /** `routes/`. */
  routesDir: string;
  /** Where uploads and job files live while a job runs (removed after it). */
  tmpDir: string;
  /** Largest accepted upload (whole multipart request body, compressed as sent), bytes. */
  uploadLimitBytes: number;
  /**
   * Most bytes the NIfTI files of one request may hold once gunzipped (all files together;
   * each is refused as soon as its header declares more than is left).
   */
  inflateLimitBytes: number;
  /** A running job (prediction, simulation) is stopped after this many ms. */
  jobTimeLimitMs: number;
  /**
   * Host names accepted besides the loopback names and IP addresses (the bind host, names
   * given with --allow-host); any other Host header is refused (DNS rebinding).
   */
  allowedHosts: string[];
  /**
   * The shipped pretrained model folder (`model.safetensors`, `config.json`), used when a
   * prediction names no run; absent = trained runs only.
   */
  pretrainedDir: string;
}

/** What a handler gets: the request, its URL, route parameters, config and services. */
export interface RouteContext {
  req: Request;
  url: URL;
  /** Route parameters from `[name]` segments. */
  params: Record<string, string>;
  config: AppConfig;
  services: AppServices;
}

/** A page handler returns data for the component (optionally a status), or a Response. */
export type HandlerResult<T> = Response | { data: T; status?: number; title?: string };

/** One handler function per HTTP method. */
export type HandlerFn<T> = (ctx: RouteContext) => HandlerResult<T> | Promise<HandlerResult<T>>;

/** Handlers by method (Fresh's `define.handlers`). */
export interface Handlers<T = unknown> {
  GET?: HandlerFn<T>;
  POST?: HandlerFn<T>;
  PUT?: HandlerFn<T>;
  DELETE?: HandlerFn<T>;
}

/** Props of a page component. */
export interface PageProps<T> {
  data: T;
  url: URL;
  params: Record<string, string>;
}

/** The data type a handler object produces (for typing the page's props). */
export type DataOf<H> = H extends Handlers<infer T> ? T : never;

/** Identity helper that fixes the handler's data type (Fresh's `define.handlers`). */
export function defineHandlers<T>(handlers: Handlers<T>): Handlers<T> {
  return handlers;
}

/** The shape of a module under `routes/`. */
export interface RouteModule {
  handler?: Handlers<unknown> | HandlerFn<unknown>;
  default?: ComponentType<PageProps<unknown>>;
  /** Page title shown in the browser tab (or the handler returns `title`). */
  title?: string;
}

/** JSON response helper with a status. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}
