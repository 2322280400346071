/**
 * The simulator page's server side: bundled tissue models, the editable parameters of a
 * model (water T1, T2 and f, k, T2 of every solute pool — 20 for the 7-pool models), and
 * one request → Z-spectra at the input Ts, the target Ts and the steady state, plus MTR
 * asymmetry, through the engine's batched simulator.
 * @module
 */
import { InputError } from "../util/errors.ts";
import { B1_MAX_UT } from "../util/limits.ts";
import type { TissueModel } from "../physics/model.ts";
import { parseModelYaml } from "../physics/model_yaml.ts";
import { paperInputProtocol, type Protocol } from "../physics/protocol.ts";
import { checkGpuModel } from "../physics/gpu_sim.ts";

/**
 * Simulates many (model, protocol) pairs; Z per offset for each (the engine's signature).
 * `signal` aborts when nobody waits for the result any more (the engine may stop early).
 */
export type SpectraSimulator = (
  jobs: { model: TissueModel; protocol: Protocol }[],
  signal?: AbortSignal,
) => Promise<Float32Array[] | Float64Array[]>;

/** A model shipped with the app (`static/models/*.yaml`). */
export interface BundledModel {
  id: string;
  label: string;
  file: string;
}

/** The bundled models: id → file under modelsDir. */
export const BUNDLED_MODELS: readonly BundledModel[] = [
  {
    id: "normal",
    label: "Rat brain 7 T, normal tissue (7 pools)",
    file: "rat_brain_7T_7pool_normal_example.yaml",
  },
  {
    id: "tumour",
    label: "Rat brain 7 T, tumour (7 pools)",
    file: "rat_brain_7T_7pool_tumour_example.yaml",
  },
];

/** Reads a bundled model by id. */
export async function loadBundledModel(modelsDir: string, id: string): Promise<TissueModel> {
  const b = BUNDLED_MODELS.find((m) => m.id === id);
  if (!b) {
    throw new InputError(
      `Unknown model ${JSON.stringify(id)}: choose ${
        BUNDLED_MODELS.map((m) => m.id).join(" or ")
      }, or upload a pulseq-cest YAML`,
    );
  }
  return parseModelYaml(await Deno.readTextFile(`${modelsDir}/${b.file}`), b.file);
}

/** One slider: a model field, its unit and range. */
export interface ParamSpec {
  /** `water.t1S`, `amide.f`, `mt.kPerS`, ... */
  key: string;
  /** Pool name for grouping. */
  group: string;
  label: string;
  unit: string;
  value: number;
  min: number;
  max: number;
  /** Slider moves on a log scale. */
  log: boolean;
}

function _range(v: number, lo: number, hi: number, factor: number): [number, number] {
  return [Math.max(lo, v / factor), Math.min(hi, v * factor)];
}

/**
 * The editable parameters of `model`: water T1, T2 and (f, k, T2) of each CEST pool and the
 * MT pool, with slider ranges around the model's values (log scale, ×/÷ 5; water T1
 * 0.5–4 s, T2 10–200 ms, f < 0.3).
 */
export function modelParams(model: TissueModel): ParamSpec[] {
  const out: ParamSpec[] = [
    {
      key: "water.t1S",
      group: "water",
      label: "T1",
      unit: "s",
      value: model.water.t1S,
      min: 0.5,
      max: 4,
      log: false,
    },
    {
      key: "water.t2S",
      group: "water",
      label: "T2",
      unit: "s",
      value: model.water.t2S,
      min: 0.01,
      max: 0.2,
      log: true,
    },
  ];
  const pools: { name: string; f: number; kPerS: number; t2S: number; dwPpm: number }[] = [
    ...model.cest,
  ];
  if (model.mt) pools.push({ ...model.mt, name: "mt" });
  for (const p of pools) {
    const group = `${p.name} (${p.dwPpm > 0 ? "+" : ""}${p.dwPpm} ppm)`;
    const [f0, f1] = _range(p.f, 1e-6, 0.3, 5);
    const [k0, k1] = _range(p.kPerS, 1, 1e5, 5);
    const [t0, t1] = _range(p.t2S, 1e-7, 1, 5);
    out.push(
      {
        key: `${p.name}.f`,
        group,
        label: "f",
        unit: "(rel. to water)",
        value: p.f,
        min: f0,
        max: f1,
        log: true,
      },
      {
        key: `${p.name}.kPerS`,
        group,
        label: "k",
        unit: "1/s",
        value: p.kPerS,
        min: k0,
        max: k1,
        log: true,
      },
      {
        key: `${p.name}.t2S`,
        group,
        label: "T2",
        unit: "s",
        value: p.t2S,
        min: t0,
        max: t1,
        log: true,
      },
    );
  }
  return out;
}

/** A copy of `model` with the given `pool.field` values set (unknown keys → InputError). */
export function applyParams(model: TissueModel, values: Record<string, number>): TissueModel {
  const m: TissueModel = structuredClone(model);
  for (const [key, v] of Object.entries(values)) {
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      throw new InputError(`params.${key}: expected a positive number, found ${JSON.stringify(v)}`);
    }
    const [pool, field] = key.split(".");
    if (pool === "water" && (field === "t1S" || field === "t2S")) {
      m.water[field] = v;
      continue;
    }
    const target = pool === "mt" ? m.mt : m.cest.find((c) => c.name === pool);
    if (!target || (field !== "f" && field !== "kPerS" && field !== "t2S")) {
      throw new InputError(
        `params.${key}: no such parameter in this model (use water.t1S, water.t2S or POOL.f / POOL.kPerS / POOL.t2S)`,
      );
    }
    if (field === "f" && v >= 1) {
      throw new InputError(`params.${key}: a solute pool fraction must be < 1, found ${v}`);
    }
    target[field] = v;
  }
  return m;
}

/** A simulation request from the page. */
export interface SimRequest {
  /** Bundled model id, unless `modelYaml` is given. */
  model?: string;
  /** A pulseq-cest YAML model (uploaded by the user). */
  modelYaml?: string;
  params?: Record<string, number>;
  /** B1, µT. */
  b1UT?: number;
  /** Input saturation time and recovery delay, s. */
  tsS?: number;
  tdS?: number;
  /** Target saturation time and recovery delay, s. */
  targetTsS?: number;
  targetTdS?: number;
}

/** The three spectra and their MTR asymmetry. */
export interface SimResult {
  offsetsPpm: number[];
  input: number[];
  target: number[];
  steady: number[];
  /** Positive offsets where MTRasym is defined, ppm. */
  mtrOffsetsPpm: number[];
  mtrInput: number[];
  mtrTarget: number[];
  mtrSteady: number[];
  settings: Required<Omit<SimRequest, "modelYaml" | "params" | "model">> & { model: string };
  elapsedMs: number;
}

/**
 * MTR asymmetry Z(−Δ) − Z(+Δ) at every positive offset Δ whose mirror −Δ is also sampled
 * (within 1e-6 ppm).
 * @returns offsets (ascending) and values
 */
export function mtrAsym(
  offsetsPpm: readonly number[],
  z: ArrayLike<number>,
): { offsetsPpm: number[]; values: number[] } {
  const pos: number[] = [], vals: number[] = [];
  const idx = offsetsPpm.map((o, i) => [o, i] as const).sort((a, b) => a[0] - b[0]);
  for (const [o, i] of idx) {
    if (!(o > 0)) continue;
    const mirror = offsetsPpm.findIndex((x) => Math.abs(x + o) <= 1e-6);
    if (mirror < 0) continue;
    pos.push(o);
    vals.push(z[mirror]! - z[i]!);
  }
  return { offsetsPpm: pos, values: vals };
}

function _num(
  v: unknown,
  name: string,
  dflt: number,
  lo: number,
  hi: number,
  allowInf = false,
): number {
  if (v === undefined || v === null) return dflt;
  if (allowInf && (v === "inf" || v === Infinity)) return Infinity;
  if (typeof v !== "number" || !Number.isFinite(v) || v < lo || v > hi) {
    throw new InputError(`${name}: expected a number in ${lo}…${hi}, found ${JSON.stringify(v)}`);
  }
  return v;
}

/** The fields a simulate request may hold. */
export const SIMULATE_FIELDS: readonly string[] = [
  "model",
  "modelYaml",
  "params",
  "b1UT",
  "tsS",
  "tdS",
  "targetTsS",
  "targetTdS",
  "format",
];

/** Validates a request body (InputError naming the field on anything wrong). */
export function parseSimRequest(body: unknown): SimRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new InputError(`Expected a JSON object like {"model": "normal", "b1UT": 1, "tsS": 1.5}`);
  }
  const b = body as Record<string, unknown>;
  const known = SIMULATE_FIELDS;
  for (const k of Object.keys(b)) {
    if (!known.includes(k)) {
      throw new InputError(`Unknown field ${JSON.stringify(k)}; known: ${known.join(", ")}`);
    }
  }
  if (
    b.params !== undefined &&
    (typeof b.params !== "object" || b.params === null || Array.isArray(b.params))
  ) {
    throw new InputError(`params: expected an object like {"water.t1S": 1.8}`);
  }
  if (b.modelYaml !== undefined && typeof b.modelYaml !== "string") {
    throw new InputError("modelYaml: expected the YAML text as a string");
  }
  if (b.model !== undefined && typeof b.model !== "string") {
    throw new InputError("model: expected a bundled model id (normal, tumour)");
  }
  return {
    model: b.model as string | undefined,
    modelYaml: b.modelYaml as string | undefined,
    params: b.params as Record<string, number> | undefined,
    b1UT: _num(b.b1UT, "b1UT", 1, 0.01, B1_MAX_UT),
    tsS: _num(b.tsS, "tsS", 1.5, 0.01, 30),
    tdS: _num(b.tdS, "tdS", 4.5, 0, 30),
    targetTsS: _num(b.targetTsS, "targetTsS", 5, 0.01, 30),
    targetTdS: _num(b.targetTdS, "targetTdS", 1, 0, 30),
  };
}

/**
 * The model a request refers to (uploaded YAML or bundled), parameters applied; one the
 * GPU simulator cannot run (too many pools) is refused here, before anything is queued.
 */
export async function requestModel(
  modelsDir: string,
  req: SimRequest,
): Promise<{ model: TissueModel; name: string }> {
  const base = req.modelYaml !== undefined
    ? parseModelYaml(req.modelYaml, "uploaded model")
    : await loadBundledModel(modelsDir, req.model ?? "normal");
  checkGpuModel(base, req.modelYaml !== undefined ? "modelYaml" : `model ${req.model}`);
  return {
    model: applyParams(base, req.params ?? {}),
    name: req.modelYaml !== undefined ? "uploaded" : req.model ?? "normal",
  };
}

/**
 * Simulates the three spectra of a request in one batch on `simulate` (`signal`: abort when
 * nobody waits any more).
 * @example
 * const res = await simulateForPage("static/models", { model: "normal" }, simulateSpectraGpu);
 */
export async function simulateForPage(
  modelsDir: string,
  req: SimRequest,
  simulate: SpectraSimulator,
  signal?: AbortSignal,
): Promise<SimResult> {
  const t0 = performance.now();
  const { model, name } = await requestModel(modelsDir, req);
  const b1UT = req.b1UT ?? 1, tsS = req.tsS ?? 1.5, tdS = req.tdS ?? 4.5;
  const targetTsS = req.targetTsS ?? 5, targetTdS = req.targetTdS ?? 1;
  const base = paperInputProtocol(b1UT);
  const proto = (ts: number, td: number): Protocol => ({
    ...base,
    tsS: ts,
    start: { kind: "satrec", tdS: td },
  });
  const [zi, zt, zs] = await simulate([
    { model, protocol: proto(tsS, tdS) },
    { model, protocol: proto(targetTsS, targetTdS) },
    { model, protocol: proto(Infinity, targetTdS) },
  ], signal);
  const offsetsPpm = [...base.offsetsPpm];
  const mi = mtrAsym(offsetsPpm, zi!), mt = mtrAsym(offsetsPpm, zt!), ms = mtrAsym(offsetsPpm, zs!);
  return {
    offsetsPpm,
    input: Array.from(zi!),
    target: Array.from(zt!),
    steady: Array.from(zs!),
    mtrOffsetsPpm: mi.offsetsPpm,
    mtrInput: mi.values,
    mtrTarget: mt.values,
    mtrSteady: ms.values,
    settings: { model: name, b1UT, tsS, tdS, targetTsS, targetTdS },
    elapsedMs: performance.now() - t0,
  };
}

/** The spectra as CSV (offset_ppm, Z at the three Ts, MTRasym where defined). */
export function simResultCsv(r: SimResult): string {
  const s = r.settings;
  const lines = [
    `# quass simulate: model ${s.model}, B1 ${s.b1UT} uT, input Ts ${s.tsS} s Td ${s.tdS} s, target Ts ${s.targetTsS} s Td ${s.targetTdS} s`,
    `offset_ppm,z_input_ts${s.tsS}s,z_target_ts${s.targetTsS}s,z_steady_state,mtrasym_input,mtrasym_target,mtrasym_steady`,
  ];
  r.offsetsPpm.forEach((o, i) => {
    const j = r.mtrOffsetsPpm.findIndex((x) => Math.abs(x - o) <= 1e-6);
    const m = j >= 0
      ? [r.mtrInput[j], r.mtrTarget[j], r.mtrSteady[j]].map((v) => v!.toPrecision(7)).join(",")
      : ",,";
    lines.push(
      `${+o.toFixed(6)},${r.input[i]!.toPrecision(7)},${r.target[i]!.toPrecision(7)},${
        r.steady[i]!.toPrecision(7)
      },${m}`,
    );
  });
  return lines.join("\n") + "\n";
}
