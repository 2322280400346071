/**
 * Tissue models in pulseq-cest / BMCTool YAML: `water_pool {f, t1|r1, t2|r2}`,
 * `cest_pool {name: {f, t1|r1, t2|r2, k, dw}}`, `mt_pool {f, t1|r1, t2|r2, k, dw, lineshape}`
 * (z-only), `b0` (T), `gamma` (rad/(s·µT)), `b0_inhom` (ppm), `rel_b1`. The simulation
 * settings pulseq-cest also reads (`verbose`, `reset_init_mag`, `scale`,
 * `max_pulse_samples`, ...) are kept verbatim in `model.extra`, so write → read is lossless.
 * Anything else is an error that names the file and the key.
 * @module
 */
import { stringify } from "yaml";
import { parseYamlDoc } from "../util/yaml.ts";
import { InputError } from "../util/errors.ts";
import { MAX_CEST_POOLS } from "../util/limits.ts";
import { GAMMA_RAD_PER_S_UT } from "./constants.ts";
import type { CestPool, MtLineshape, MtPool, TissueModel, WaterPool } from "./model.ts";

/** Top-level keys kept in `extra` (pulseq-cest simulation settings we do not interpret). */
export const EXTRA_KEYS: readonly string[] = [
  "verbose",
  "reset_init_mag",
  "scale",
  "max_pulse_samples",
  "par_calc",
];

const TOP_KEYS = ["water_pool", "cest_pool", "mt_pool", "b0", "gamma", "b0_inhom", "rel_b1"];
const LINESHAPES: readonly MtLineshape[] = ["Lorentzian", "SuperLorentzian", "None"];

type Obj = Record<string, unknown>;

function _isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

class _Ctx {
  constructor(readonly source: string) {}
  fail(key: string, msg: string): never {
    throw new InputError(`${this.source}: ${key}: ${msg}`);
  }
  num(o: Obj, key: string, path: string): number {
    const raw = o[key];
    // pulseq-cest-library files sometimes write arithmetic such as `f: 11.2 / 111`
    const v = typeof raw === "string" ? evalArithmetic(raw) : raw;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      this.fail(
        path ? `${path}.${key}` : key,
        `expected a finite number but found ${describeYamlValue(raw)}; write a plain number`,
      );
    }
    return v;
  }
  /** A time read either as `tN` (s) or as its rate `rN` (1/s); both must be > 0. */
  time(o: Obj, t: string, r: string, path: string): number {
    const hasT = t in o, hasR = r in o;
    if (hasT && hasR) this.fail(`${path}.${t}`, `both ${t} and ${r} are given; keep only one`);
    if (!hasT && !hasR) this.fail(`${path}.${t}`, `missing; add ${t} (s) or ${r} (1/s)`);
    const key = hasT ? t : r;
    const v = this.num(o, key, path);
    if (!(v > 0)) {
      this.fail(
        path ? `${path}.${key}` : key,
        `must be > 0 but is ${v}; relaxation ${hasT ? "times" : "rates"} are positive`,
      );
    }
    return hasT ? v : 1 / v;
  }
  keys(o: Obj, allowed: readonly string[], path: string, hint = ""): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) {
        this.fail(
          `${path}${path ? "." : ""}${k}`,
          `unknown key; allowed: ${allowed.join(", ")}${hint}`,
        );
      }
    }
  }
}

/**
 * A YAML value in words for error messages: `.nan` → "NaN (.nan)", `.inf` → "infinity
 * (.inf)", text → the text in quotes, an empty value → "an empty value".
 */
export function describeYamlValue(v: unknown): string {
  if (v === null || v === undefined) return "an empty value";
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN (.nan)";
    if (!Number.isFinite(v)) return `${v < 0 ? "minus " : ""}infinity (${v < 0 ? "-" : ""}.inf)`;
    return String(v);
  }
  if (typeof v === "string") return `the text ${JSON.stringify(v)}`;
  if (Array.isArray(v)) return `a list ${JSON.stringify(v)}`.slice(0, 80);
  if (typeof v === "object") return "a mapping";
  return JSON.stringify(v) ?? String(v);
}

/**
 * Evaluates a plain arithmetic expression (numbers, + − * /, parentheses), as some
 * pulseq-cest-library files use for pool sizes (`f: 11.2 / 111`). Returns undefined for
 * anything else.
 */
export function evalArithmetic(text: string): number | undefined {
  const tokens = text.match(/\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|[-+*/()]|\S/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const factor = (): number => {
    const t = tokens[i++];
    if (t === "-") return -factor();
    if (t === "+") return factor();
    if (t === "(") {
      const v = expr();
      if (tokens[i++] !== ")") return NaN;
      return v;
    }
    return t !== undefined && /^[\d.]/.test(t) ? Number(t) : NaN;
  };
  const term = (): number => {
    let v = factor();
    while (peek() === "*" || peek() === "/") v = tokens[i++] === "*" ? v * factor() : v / factor();
    return v;
  };
  const expr = (): number => {
    let v = term();
    while (peek() === "+" || peek() === "-") v = tokens[i++] === "+" ? v + term() : v - term();
    return v;
  };
  if (!tokens.length) return undefined;
  const v = expr();
  return i === tokens.length && Number.isFinite(v) ? v : undefined;
}

const POOL_KEYS = ["f", "t1", "r1", "t2", "r2", "k", "dw"];

function _fraction(ctx: _Ctx, o: Obj, path: string, solute: boolean): number {
  const f = ctx.num(o, "f", path);
  if (f < 0) ctx.fail(`${path}.f`, `must be ≥ 0 but is ${f}`);
  if (solute && f >= 1) {
    ctx.fail(`${path}.f`, `a solute pool's size relative to water must be < 1 but is ${f}`);
  }
  if (!solute && f <= 0) {
    ctx.fail(`${path}.f`, `the water pool's f must be > 0 (normally 1) but is ${f}`);
  }
  return f;
}

function _water(ctx: _Ctx, v: unknown): WaterPool {
  if (v === undefined) ctx.fail("water_pool", "missing; add water_pool: {f: 1, t1: ..., t2: ...}");
  if (!_isObj(v)) ctx.fail("water_pool", "expected a mapping {f, t1, t2}");
  ctx.keys(v, ["f", "t1", "r1", "t2", "r2"], "water_pool", " (isochromat keys are not supported)");
  const f = "f" in v ? _fraction(ctx, v, "water_pool", false) : 1;
  return {
    f,
    t1S: ctx.time(v, "t1", "r1", "water_pool"),
    t2S: ctx.time(v, "t2", "r2", "water_pool"),
  };
}

function _exchange(ctx: _Ctx, o: Obj, path: string): { kPerS: number; dwPpm: number } {
  if (!("k" in o)) ctx.fail(`${path}.k`, "missing; add the exchange rate k (1/s)");
  if (!("dw" in o)) ctx.fail(`${path}.dw`, "missing; add the chemical shift dw (ppm)");
  const kPerS = ctx.num(o, "k", path);
  if (kPerS < 0) ctx.fail(`${path}.k`, `must be ≥ 0 but is ${kPerS}`);
  return { kPerS, dwPpm: ctx.num(o, "dw", path) };
}

function _cest(ctx: _Ctx, v: unknown): CestPool[] {
  if (v === undefined || v === null) return [];
  if (!_isObj(v)) ctx.fail("cest_pool", "expected a mapping of pool name → {f, t1, t2, k, dw}");
  const n = Object.keys(v).length;
  if (n > MAX_CEST_POOLS) {
    ctx.fail(
      "cest_pool",
      `${n} pools, above the limit of ${MAX_CEST_POOLS} (what the GPU simulator runs, beside water and one mt_pool); merge or drop pools`,
    );
  }
  return Object.entries(v).map(([name, p]) => {
    const path = `cest_pool.${name}`;
    if (!_isObj(p)) ctx.fail(path, "expected a mapping {f, t1, t2, k, dw}");
    ctx.keys(p, POOL_KEYS, path);
    if (!("f" in p)) ctx.fail(`${path}.f`, "missing; add the pool size f relative to water");
    const f = _fraction(ctx, p, path, true);
    const t1S = ctx.time(p, "t1", "r1", path), t2S = ctx.time(p, "t2", "r2", path);
    return { name, f, t1S, t2S, ..._exchange(ctx, p, path) };
  });
}

function _mt(ctx: _Ctx, v: unknown): MtPool | undefined {
  if (v === undefined || v === null) return undefined;
  if (!_isObj(v)) ctx.fail("mt_pool", "expected a mapping {f, t1, t2, k, dw, lineshape}");
  ctx.keys(v, [...POOL_KEYS, "lineshape"], "mt_pool");
  if (!("f" in v)) ctx.fail("mt_pool.f", "missing; add the pool size f relative to water");
  const f = _fraction(ctx, v, "mt_pool", true);
  const t1S = ctx.time(v, "t1", "r1", "mt_pool"), t2S = ctx.time(v, "t2", "r2", "mt_pool");
  const ls = v.lineshape;
  if (ls === undefined) {
    ctx.fail("mt_pool.lineshape", `missing; use one of ${LINESHAPES.join(", ")}`);
  }
  if (typeof ls !== "string" || !LINESHAPES.includes(ls as MtLineshape)) {
    ctx.fail("mt_pool.lineshape", `${JSON.stringify(ls)} is not one of ${LINESHAPES.join(", ")}`);
  }
  return { f, t1S, t2S, ..._exchange(ctx, v, "mt_pool"), lineshape: ls as MtLineshape };
}

/**
 * Parses a pulseq-cest YAML tissue model.
 * @param text the YAML text
 * @param source file name used in error messages
 * @returns the model
 * @throws InputError naming the file and key for unknown keys, missing water_pool,
 *   non-numeric values, T1/T2 ≤ 0, f < 0, f ≥ 1 for a solute pool, a bad lineshape
 * @example
 * const model = parseModelYaml("water_pool: {f: 1, t1: 1.8, t2: 0.05}\nb0: 7", "inline");
 */
export function parseModelYaml(text: string, source: string): TissueModel {
  const ctx = new _Ctx(source);
  const doc = parseYamlDoc(
    text,
    source,
    "YAML",
    "a tissue model is a mapping of pools two levels deep (water_pool: {f: 1, t1: 1.8, t2: 0.05})",
  );
  if (!_isObj(doc)) {
    throw new InputError(`${source}: expected a YAML mapping with water_pool, cest_pool, b0, ...`);
  }
  ctx.keys(doc, [...TOP_KEYS, ...EXTRA_KEYS], "");
  const water = _water(ctx, doc.water_pool);
  const cest = _cest(ctx, doc.cest_pool);
  const mt = _mt(ctx, doc.mt_pool);
  if (!("b0" in doc)) ctx.fail("b0", "missing; add the main field b0 in tesla (e.g. b0: 7)");
  const b0T = ctx.num(doc, "b0", "");
  if (!(b0T > 0)) ctx.fail("b0", `must be > 0 T but is ${b0T}`);
  const gammaRadPerSUT = "gamma" in doc ? ctx.num(doc, "gamma", "") : GAMMA_RAD_PER_S_UT;
  if (!(gammaRadPerSUT > 0)) ctx.fail("gamma", `must be > 0 rad/(s·µT) but is ${gammaRadPerSUT}`);
  const b0InhomPpm = "b0_inhom" in doc ? ctx.num(doc, "b0_inhom", "") : 0;
  const relB1 = "rel_b1" in doc ? ctx.num(doc, "rel_b1", "") : 1;
  if (relB1 < 0) ctx.fail("rel_b1", `must be ≥ 0 but is ${relB1}`);
  const extra: Record<string, unknown> = {};
  for (const k of EXTRA_KEYS) if (k in doc) extra[k] = doc[k];
  const model: TissueModel = { water, cest, b0T, gammaRadPerSUT, b0InhomPpm, relB1 };
  if (mt) model.mt = mt;
  if (Object.keys(extra).length) model.extra = extra;
  return model;
}

/**
 * Reads a pulseq-cest YAML tissue model from a file.
 * @param path file path
 * @throws InputError when the file is missing or malformed
 */
export async function loadModel(path: string): Promise<TissueModel> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw _unreadable(path, e);
  }
  return parseModelYaml(text, path);
}

/** Synchronous twin of {@link loadModel}. */
export function loadModelSync(path: string): TissueModel {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    throw _unreadable(path, e);
  }
  return parseModelYaml(text, path);
}

/** The InputError for a model file that could not be read (`e`: why). */
function _unreadable(path: string, e: unknown): InputError {
  if (e instanceof Deno.errors.NotFound) {
    return new InputError(`${path}: model file not found; pass a pulseq-cest YAML file`);
  }
  return new InputError(`${path}: cannot read the model file (${(e as Error).message})`);
}

/**
 * Writes a model as pulseq-cest YAML (times as t1/t2 in s); `parseModelYaml` of the result
 * gives back an identical model.
 * @param model the model
 * @returns YAML text
 */
export function modelToYaml(model: TissueModel): string {
  const doc: Obj = {
    water_pool: { f: model.water.f, t1: model.water.t1S, t2: model.water.t2S },
  };
  if (model.mt) {
    const m = model.mt;
    doc.mt_pool = { f: m.f, t1: m.t1S, t2: m.t2S, k: m.kPerS, dw: m.dwPpm, lineshape: m.lineshape };
  }
  if (model.cest.length) {
    const pools: Obj = {};
    for (const p of model.cest) {
      pools[p.name] = { f: p.f, t1: p.t1S, t2: p.t2S, k: p.kPerS, dw: p.dwPpm };
    }
    doc.cest_pool = pools;
  }
  doc.b0 = model.b0T;
  doc.gamma = model.gammaRadPerSUT;
  doc.b0_inhom = model.b0InhomPpm;
  doc.rel_b1 = model.relB1;
  for (const [k, v] of Object.entries(model.extra ?? {})) doc[k] = v;
  return "# pulseq-cest tissue model written by quass\n" +
    stringify(doc, { flowCollectionPadding: false, lineWidth: 0 });
}
