/**
 * Parameter spaces of the training data, and a seeded sampler: sample i is drawn from
 * `new Rng(seed, i)` alone, so a dataset made in shards equals one made at once.
 *
 * Two built-in spaces ({@link namedParamSpace}, `quass simulate dataset --space NAME`):
 *
 * - `default` — the paper's 20 sampled tissue parameters (water T1, T2; fraction, exchange
 *   rate and T2 of each of the six solute pools), uniform in the ranges of
 *   docs/physics/pool_parameters.md §2; solute T1 fixed at 1.0 s, z-only Lorentzian MT,
 *   relative B1 1. Datasets have 20 `params` columns.
 * - `wide` — for networks that must work on real tissue rather than inside the sampler's
 *   box: the same 18 solute-pool ranges, wider water relaxation, and three more per-sample
 *   columns (23 in all; {@link WIDE_EXTRA_PARAMS}):
 *
 *   | column | range | why (pool_parameters.md §1 unless noted) |
 *   |---|---|---|
 *   | water_t1_s | 1.0 – 3.0 s | 7 T human WM 1.22 s … GM 1.79 s (Zhu 2014, MultiB0); rat normal 1.06 s vs tumour 1.30 s (pubmed 8598810: tumour +20–30 %); rat 7 T example models 1.8 s normal / 2.2 s tumour (§2 notes), +30 % ≈ 2.9 s for tumour/oedema |
 *   | water_t2_s | 20 – 120 ms | C6 glioma short component 20.7 ms (Dortch 2009, 7 T); human 7 T 33–49 ms; rat GM 49 ms; tumour 76–91 ms (91 ± 9 ms: +2 SD ≈ 110 ms); 9.4 T GM 97 ms |
 *   | solute_t1_s | 0.8 – 2.0 s | the cited models fix 1.0–1.3 s; §2 also allows "= water T1" (up to ~2 s at 7 T); a second-order effect, so a loose range |
 *   | rel_b1 | 0.8 – 1.2 | B1 inhomogeneity of volume/surface coils at 7 T, ±20 % (an engineering margin, not from the table); multiplies the protocol's B1 (1 µT) |
 *   | mt_superlorentzian | 0 or 1 (p = ½) | z-only MT lineshape: 0 Lorentzian (most pulseq-cest/BMsim models, T2 11–83 µs), 1 SuperLorentzian (van Zijl 2018 GM, T2 9 µs); the two are different physics, so the network sees both |
 *
 *   The 18 solute-pool ranges (MT T2 5–50 µs included) are the default space's.
 *
 * A space can be changed from a JSON or YAML file (overrides on top of `base`, default
 * `default`):
 * ```yaml
 * base: default                    # or wide
 * ranges: { water_t1_s: [1.2, 2.5], amide_k_per_s: [20, 300] }   # any subset of the columns
 * solute_t1_s: 1.0                 # default base only (wide samples it)
 * b0_t: 7
 * mt_form: zonly                   # or xyz (the MT pool as a full x,y,z pool; default base)
 * mt_lineshape: Lorentzian         # or SuperLorentzian (z-only form; default base)
 * ```
 * @module
 */
import { parseYamlDoc } from "../util/yaml.ts";
import { InputError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import { DEFAULT_B0_T, GAMMA_RAD_PER_S_UT } from "./constants.ts";
import type { CestPool, MtLineshape, TissueModel } from "./model.ts";

/** One sampled parameter: uniform in [lo, hi] (or lo/hi with equal odds when `kind` is "choice"). */
export interface ParamRange {
  /** snake_case with unit, e.g. "amide_k_per_s". */
  name: string;
  lo: number;
  hi: number;
  /** "choice": lo or hi with probability ½ each (e.g. a 0/1 flag column); absent = uniform. */
  kind?: "choice";
}

/** How the semisolid (MT) pool is simulated; the two are different physics. */
export type MtForm = "zonly" | "xyz";

/** Number of sampled parameters of the paper's (default) space. */
export const N_PARAMS = 20;

/**
 * Columns after the 20 that {@link modelFromParams} understands (any subset, any order):
 * `solute_t1_s` (T1 of every solute pool, s; replaces `soluteT1S`), `rel_b1` (relative B1,
 * TissueModel.relB1) and `mt_superlorentzian` (0 Lorentzian, 1 SuperLorentzian z-only MT
 * lineshape; replaces `mtLineshape`).
 */
export const EXTRA_PARAM_NAMES = ["solute_t1_s", "rel_b1", "mt_superlorentzian"] as const;

/** Names of the built-in spaces ({@link namedParamSpace}). */
export const PARAM_SPACE_NAMES = ["default", "wide"] as const;
/** One of {@link PARAM_SPACE_NAMES}. */
export type ParamSpaceName = typeof PARAM_SPACE_NAMES[number];

/** The wide space's water ranges and extra columns (see the module doc for the sources). */
export const WIDE_WATER_RANGES: readonly ParamRange[] = [
  { name: "water_t1_s", lo: 1.0, hi: 3.0 },
  { name: "water_t2_s", lo: 20e-3, hi: 120e-3 },
];
/** The wide space's columns after the 20 (module doc). */
export const WIDE_EXTRA_PARAMS: readonly ParamRange[] = [
  { name: "solute_t1_s", lo: 0.8, hi: 2.0 },
  { name: "rel_b1", lo: 0.8, hi: 1.2 },
  { name: "mt_superlorentzian", lo: 0, hi: 1, kind: "choice" },
];

/** A solute pool of the model family: its name and fixed chemical shift. */
export interface SolutePool {
  name: string;
  dwPpm: number;
}

/** The sampled ranges and the fixed values of the model family. */
export interface ParamSpace {
  /**
   * The sampled parameters in dataset column order: the 20 of the paper (water T1, T2, then
   * f, k, T2 per pool), then any of {@link EXTRA_PARAM_NAMES}.
   */
  ranges: ParamRange[];
  /** Solute pools in parameter order (f, k, T2 each); the one named "mt" is the MT pool. */
  pools: SolutePool[];
  /** T1 of every solute pool, s (unless a `solute_t1_s` column samples it). */
  soluteT1S: number;
  b0T: number;
  /** z-only `mt_pool` (pulseq-cest) or a full x,y,z pool. */
  mtForm: MtForm;
  /** Lineshape of the z-only MT pool (unless a `mt_superlorentzian` column samples it). */
  mtLineshape: MtLineshape;
  /** The built-in space this one started from; absent = "default" (older datasets). */
  base?: ParamSpaceName;
}

/** The six solute pools of the paper (pool_parameters.md), in parameter order. */
export const PAPER_POOLS: readonly SolutePool[] = [
  { name: "amide", dwPpm: 3.5 },
  { name: "guanidyl", dwPpm: 2.0 },
  { name: "hydroxyl", dwPpm: 1.3 },
  { name: "NOE_m1p6", dwPpm: -1.6 },
  { name: "MT", dwPpm: -2.4 },
  { name: "NOE_m3p5", dwPpm: -3.5 },
];

// pool_parameters.md §2, rows 3–20: [f, k (1/s), T2 (s)] ranges per pool
const _POOL_RANGES: Record<string, [[number, number], [number, number], [number, number]]> = {
  amide: [[5e-4, 3e-3], [20, 300], [1e-3, 100e-3]],
  guanidyl: [[1e-4, 2e-3], [200, 1500], [1e-3, 170e-3]],
  hydroxyl: [[1e-4, 3e-3], [1000, 5000], [5e-3, 200e-3]],
  NOE_m1p6: [[5e-4, 1e-2], [5, 50], [0.3e-3, 5e-3]],
  MT: [[0.02, 0.15], [10, 70], [5e-6, 50e-6]],
  NOE_m3p5: [[1e-3, 2.5e-2], [5, 60], [0.3e-3, 5e-3]],
};

/** The default space: pool_parameters.md §2, solute T1 1.0 s, 7 T, z-only Lorentzian MT. */
export function defaultParamSpace(): ParamSpace {
  const ranges: ParamRange[] = [
    { name: "water_t1_s", lo: 1.2, hi: 2.5 },
    { name: "water_t2_s", lo: 30e-3, hi: 100e-3 },
  ];
  for (const p of PAPER_POOLS) {
    const [f, k, t2] = _POOL_RANGES[p.name]!;
    ranges.push({ name: `${p.name}_f`, lo: f[0], hi: f[1] });
    ranges.push({ name: `${p.name}_k_per_s`, lo: k[0], hi: k[1] });
    ranges.push({ name: `${p.name}_t2_s`, lo: t2[0], hi: t2[1] });
  }
  return {
    ranges,
    pools: PAPER_POOLS.map((p) => ({ ...p })),
    soluteT1S: 1.0,
    b0T: DEFAULT_B0_T,
    mtForm: "zonly",
    mtLineshape: "Lorentzian",
  };
}

/**
 * The wide space (module doc): the default space with water T1 1.0–3.0 s, T2 20–120 ms, and
 * per-sample solute T1, relative B1 and MT lineshape columns (23 in all).
 */
export function wideParamSpace(): ParamSpace {
  const space = defaultParamSpace();
  space.ranges.splice(0, 2, ...WIDE_WATER_RANGES.map((r) => ({ ...r })));
  space.ranges.push(...WIDE_EXTRA_PARAMS.map((r) => ({ ...r })));
  space.base = "wide";
  return space;
}

/**
 * A built-in space by name.
 * @throws InputError naming --space and the known names
 */
export function namedParamSpace(name: string): ParamSpace {
  if (name === "default") return defaultParamSpace();
  if (name === "wide") return wideParamSpace();
  throw new InputError(
    `--space: unknown space "${name}"; use ${
      PARAM_SPACE_NAMES.join(" or ")
    }, or a .yaml/.json file`,
  );
}

/** The parameter names (dataset column order), e.g. "water_t1_s", "amide_f", "MT_k_per_s". */
export function paramNames(space: ParamSpace = defaultParamSpace()): string[] {
  return space.ranges.map((r) => r.name);
}

/** Number of sampled parameters (20 for the paper's space, 23 for the wide one). */
export function paramCount(space: ParamSpace): number {
  return space.ranges.length;
}

/**
 * The tissue model for one parameter vector.
 * @param params values in `space.ranges` order (s, 1/s, fractions)
 * @param space the parameter space (default: the paper's)
 * @param b0ShiftPpm B0 inhomogeneity of this voxel, ppm (default 0)
 * @returns water + five CEST pools + the MT pool (z-only, or a sixth CEST pool with
 *   `mtForm: "xyz"`)
 * @example
 * const model = modelFromParams(sampleParams(defaultParamSpace(), 1, 0));
 */
export function modelFromParams(
  params: ArrayLike<number>,
  space: ParamSpace = defaultParamSpace(),
  b0ShiftPpm = 0,
): TissueModel {
  if (params.length !== space.ranges.length) {
    throw new TypeError(
      `Expected ${space.ranges.length} parameters (${
        paramNames(space).join(", ")
      }) but found ${params.length}`,
    );
  }
  const col = (name: string): number | undefined => {
    const j = space.ranges.findIndex((r) => r.name === name);
    return j < 0 ? undefined : params[j]!;
  };
  const soluteT1S = col("solute_t1_s") ?? space.soluteT1S;
  const sl = col("mt_superlorentzian");
  const lineshape: MtLineshape = sl === undefined
    ? space.mtLineshape
    : sl >= 0.5
    ? "SuperLorentzian"
    : "Lorentzian";
  const cest: CestPool[] = [];
  let mt: TissueModel["mt"];
  space.pools.forEach((p, j) => {
    const f = params[2 + 3 * j]!, kPerS = params[3 + 3 * j]!, t2S = params[4 + 3 * j]!;
    if (p.name === "MT" && space.mtForm === "zonly") {
      mt = { f, kPerS, t2S, t1S: soluteT1S, dwPpm: p.dwPpm, lineshape };
    } else {
      cest.push({ name: p.name, f, kPerS, t2S, t1S: soluteT1S, dwPpm: p.dwPpm });
    }
  });
  return {
    water: { t1S: params[0]!, t2S: params[1]!, f: 1 },
    cest,
    mt,
    b0T: space.b0T,
    gammaRadPerSUT: GAMMA_RAD_PER_S_UT,
    b0InhomPpm: b0ShiftPpm,
    relB1: col("rel_b1") ?? 1,
  };
}

/**
 * Sample i of the seeded stream: each parameter uniform in its range (a "choice" column lo
 * or hi with equal odds), one uniform draw per column in column order from `new Rng(seed, i)`
 * only, so any subset of samples can be made independently.
 * @param space the parameter space
 * @param seed dataset seed
 * @param i sample index
 * @returns the parameter vector (float64)
 */
export function sampleParams(space: ParamSpace, seed: number, i: number): Float64Array {
  const rng = new Rng(seed, i);
  return Float64Array.from(space.ranges, (r) => {
    const u = rng.uniform();
    return r.kind === "choice" ? (u < 0.5 ? r.lo : r.hi) : r.lo + (r.hi - r.lo) * u;
  });
}

/** Samples [start, end) as a row-major [end − start, columns] float64 array. */
export function sampleParamRows(
  space: ParamSpace,
  seed: number,
  start: number,
  end: number,
): Float64Array {
  const k = space.ranges.length;
  const out = new Float64Array((end - start) * k);
  for (let i = start; i < end; i++) out.set(sampleParams(space, seed, i), (i - start) * k);
  return out;
}

const _TOP_KEYS = ["base", "ranges", "solute_t1_s", "b0_t", "mt_form", "mt_lineshape"];

/**
 * A parameter space from a parsed JSON/YAML object: overrides on top of the default space.
 * @param doc the parsed file
 * @param source file name for error messages
 * @throws InputError naming the file and the field
 * @example
 * paramSpaceFrom({ ranges: { amide_f: [1e-3, 2e-3] } }, "space.yaml");
 */
export function paramSpaceFrom(doc: unknown, source: string): ParamSpace {
  const fail = (msg: string): never => {
    throw new InputError(`${source}: ${msg}`);
  };
  if (doc === null || doc === undefined) return defaultParamSpace();
  if (typeof doc !== "object" || Array.isArray(doc)) {
    fail("expected a mapping of settings at the top level");
  }
  const o = doc as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!_TOP_KEYS.includes(key)) fail(`unknown field "${key}" (allowed: ${_TOP_KEYS.join(", ")})`);
  }
  if ("base" in o && !PARAM_SPACE_NAMES.includes(o.base as ParamSpaceName)) {
    fail(
      `base must be ${PARAM_SPACE_NAMES.map((n) => `"${n}"`).join(" or ")} but is ${
        JSON.stringify(o.base)
      }`,
    );
  }
  const space = "base" in o ? namedParamSpace(o.base as string) : defaultParamSpace();
  const sampled = (col: string, key: string) => {
    if (key in o && space.ranges.some((r) => r.name === col)) {
      fail(
        `${key} is sampled per spectrum in the ${space.base} space (column ${col}); ` +
          `drop ${key} or set its range with ranges.${col}`,
      );
    }
  };
  sampled("solute_t1_s", "solute_t1_s");
  sampled("mt_superlorentzian", "mt_lineshape");
  if (o.mt_form === "xyz" && space.ranges.some((r) => r.name === "mt_superlorentzian")) {
    fail(
      `mt_form xyz has no MT lineshape but the ${space.base} space samples one; use base: default`,
    );
  }
  const num = (v: unknown, field: string): number => {
    if (typeof v !== "number" || !Number.isFinite(v) || !(v > 0)) {
      fail(`${field} must be a number > 0 but is ${JSON.stringify(v)}`);
    }
    return v as number;
  };
  if ("solute_t1_s" in o) space.soluteT1S = num(o.solute_t1_s, "solute_t1_s");
  if ("b0_t" in o) space.b0T = num(o.b0_t, "b0_t");
  if ("mt_form" in o) {
    if (o.mt_form !== "zonly" && o.mt_form !== "xyz") {
      fail(`mt_form must be "zonly" or "xyz" but is ${JSON.stringify(o.mt_form)}`);
    }
    space.mtForm = o.mt_form as MtForm;
  }
  if ("mt_lineshape" in o) {
    if (o.mt_lineshape !== "Lorentzian" && o.mt_lineshape !== "SuperLorentzian") {
      fail(
        `mt_lineshape must be "Lorentzian" or "SuperLorentzian" but is ${
          JSON.stringify(o.mt_lineshape)
        }`,
      );
    }
    space.mtLineshape = o.mt_lineshape as MtLineshape;
  }
  if ("ranges" in o) {
    const r = o.ranges;
    if (typeof r !== "object" || r === null || Array.isArray(r)) {
      fail("ranges must be a mapping name: [lo, hi]");
    }
    for (const [name, v] of Object.entries(r as Record<string, unknown>)) {
      const target = space.ranges.find((x) => x.name === name);
      if (!target) {
        fail(`ranges.${name} is not a parameter (known: ${paramNames(space).join(", ")})`);
      }
      if (target!.kind === "choice") {
        fail(`ranges.${name} is a 0/1 choice, not a range; drop it (or use base: default)`);
      }
      if (!Array.isArray(v) || v.length !== 2) {
        fail(`ranges.${name} must be [lo, hi] but is ${JSON.stringify(v)}`);
      }
      const [lo, hi] = v as unknown[];
      if (
        typeof lo !== "number" || typeof hi !== "number" || !(lo > 0) || !(lo <= hi) ||
        !Number.isFinite(hi)
      ) {
        fail(`ranges.${name}: ${name} needs 0 < lo ≤ hi but is ${JSON.stringify(v)}`);
      }
      if (name.endsWith("_f") && (hi as number) >= 1) {
        fail(`ranges.${name}: pool fractions must be < 1 but hi is ${hi}`);
      }
      target!.lo = lo as number;
      target!.hi = hi as number;
    }
  }
  return space;
}

/**
 * Parses a parameter-space file's text (JSON or YAML).
 * @throws InputError naming the file and the field
 */
export function parseParamSpace(text: string, source: string): ParamSpace {
  const doc = parseYamlDoc(
    text,
    source,
    "YAML/JSON",
    "a parameter space is a mapping such as {base: wide, ranges: {water_t1_s: [1, 3]}}",
  );
  return paramSpaceFrom(doc, source);
}

/**
 * The space of `--space`: a built-in name ({@link PARAM_SPACE_NAMES}) or a JSON/YAML file;
 * undefined gives the default space.
 * @throws InputError when the file is missing or a field is wrong
 * @example
 * const space = await resolveParamSpace("wide");
 */
export async function resolveParamSpace(arg: string | undefined): Promise<ParamSpace> {
  if (arg === undefined) return defaultParamSpace();
  if (PARAM_SPACE_NAMES.includes(arg as ParamSpaceName)) return namedParamSpace(arg);
  if (!/[./\\]/.test(arg)) {
    // A bare word that is no file: say which spaces exist.
    const isFile = await Deno.stat(arg).then((st) => st.isFile, () => false);
    if (!isFile) namedParamSpace(arg);
  }
  return await loadParamSpace(arg);
}

/**
 * Reads a parameter-space file (JSON or YAML).
 * @throws InputError when the file is missing or a field is wrong
 */
export async function loadParamSpace(path: string): Promise<ParamSpace> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new InputError(`${path}: file not found (--space)`);
    }
    throw e;
  }
  return parseParamSpace(text, path);
}
