/**
 * Paired training datasets: Z-spectra of sampled tissue under the input protocol (Ts 1.5 s)
 * and the target protocol (Ts 5 s, or the exact steady state), in one `.safetensors` file:
 * `input` [N, T] F32, `target` [N, T] F32, `params` [N, P] F32 (P = 20 for the default
 * space, 23 for the wide one; column names in the metadata's `param_names`), `offsets_ppm`
 * [T] F64, `split` [N] U8 (0 train, 1 validation, 2 test); `__metadata__` holds the
 * protocols, the parameter space, the MT form, the seed and the row range. With a pulsed
 * pair source (`pairs`, src/physics/seq/seq_pairs.ts) the protocols are `.seq` files, named
 * with their SHA-256 in the `protocol` metadata. Row i is sample
 * i of the seed whatever the sharding, so shards joined in order equal a single run byte
 * for byte.
 * @module
 */
import type { Protocol } from "../physics/protocol.ts";
import type { TissueModel } from "../physics/model.ts";
import { paperInputProtocol, paperTargetProtocol } from "../physics/protocol.ts";
import {
  defaultParamSpace,
  modelFromParams,
  paramCount,
  paramNames,
  type ParamSpace,
  sampleParams,
} from "../physics/param_space.ts";
import { simulatePairsGpu } from "../physics/gpu_sim.ts";
import { readSafetensors, type SafeTensors, writeSafetensors } from "./safetensors.ts";
import { InputError } from "../util/errors.ts";
import { checkAtMost, checkB1UT, MAX_DATASET_N } from "../util/limits.ts";
import { Rng } from "../util/rng.ts";

/** Format tag written into every dataset. */
export const DATASET_FORMAT = "quass-dataset/1";

/** Fractions of the train / validation / test split (the rest is test). */
export const SPLIT_FRACTIONS = { train: 0.8, validation: 0.1 } as const;

const _SPLIT_STREAM = 0x5917;

/** What to generate. */
export interface DatasetSpec {
  /** Total samples of the full dataset. */
  n: number;
  seed: number;
  space?: ParamSpace;
  input?: Protocol;
  target?: Protocol;
  /** Generate only rows [start, end) of the full dataset. */
  rows?: { start: number; end: number };
  /** Samples per GPU call (default 8192). */
  chunk?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /**
   * A pulsed pair source (src/physics/seq/seq_pairs.ts): its offsets, protocol description
   * and simulator replace `input`, `target` and `simulate`.
   */
  pairs?: {
    offsetsPpm: number[];
    protocol: Record<string, unknown>;
    simulate(
      models: TissueModel[],
      opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void },
    ): Promise<{ input: Float32Array; target: Float32Array }>;
  };
  /** The pair simulator (default: the GPU engine, simulatePairsGpu); tests plug in a fast one. */
  simulate?: (
    models: TissueModel[],
    input: Protocol,
    target: Protocol,
    opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void },
  ) => Promise<{ input: Float32Array; target: Float32Array }>;
}

/** A dataset (or one shard of it) in memory. */
export interface Dataset {
  input: Float32Array;
  target: Float32Array;
  /** [count, P] row-major; P = {@link paramColumns} (names in `metadata.param_names`). */
  params: Float32Array;
  offsetsPpm: Float64Array;
  split: Uint8Array;
  /** Rows held. */
  count: number;
  /** Offsets per spectrum. */
  T: number;
  metadata: Record<string, string>;
}

/**
 * Columns of `params` per row: its length over the row count, else the number of
 * `param_names` in the metadata, else 20 (the default space).
 */
export function paramColumns(ds: Pick<Dataset, "params" | "count" | "metadata">): number {
  if (ds.count > 0) return ds.params.length / ds.count;
  try {
    const names = JSON.parse(ds.metadata.param_names ?? "");
    if (Array.isArray(names)) return names.length;
  } catch { /* no names: the default space */ }
  return 20;
}

/** A dataset of `count` zero rows of T offsets and P parameters. */
function _zeroDataset(
  count: number,
  T: number,
  P: number,
  offsetsPpm: Float64Array,
  metadata: Record<string, string>,
): Dataset {
  return {
    input: new Float32Array(count * T),
    target: new Float32Array(count * T),
    params: new Float32Array(count * P),
    offsetsPpm,
    split: new Uint8Array(count),
    count,
    T,
    metadata,
  };
}

/**
 * The water T1 of each row (the `water_t1_s` column of `params`, s), when the dataset has
 * one: named in `param_names`, or column 0 of a dataset without names (the default space).
 */
export function waterT1Column(
  ds: Pick<Dataset, "params" | "count" | "metadata">,
): Float32Array | undefined {
  const P = ds.count ? ds.params.length / ds.count : 0;
  let names: unknown = null;
  try {
    names = JSON.parse(ds.metadata.param_names ?? "null");
  } catch { /* no names: the default space's column order */ }
  const col = Array.isArray(names) ? names.indexOf("water_t1_s") : 0;
  return col >= 0 && P > col && Number.isInteger(P)
    ? Float32Array.from({ length: ds.count }, (_, i) => ds.params[i * P + col]!)
    : undefined;
}

/** The split of sample i (0 train, 1 validation, 2 test): a pure function of (seed, i). */
export function splitOf(seed: number, i: number): number {
  const u = new Rng(seed, i, _SPLIT_STREAM).uniform();
  return u < SPLIT_FRACTIONS.train
    ? 0
    : u < SPLIT_FRACTIONS.train + SPLIT_FRACTIONS.validation
    ? 1
    : 2;
}

/** Rows [start, end) of shard `index` of `count` for n samples. */
export function shardRows(n: number, index: number, count: number): { start: number; end: number } {
  if (
    !(Number.isInteger(index) && Number.isInteger(count) && count >= 1 && index >= 0 &&
      index < count)
  ) {
    throw new InputError(`--shard must be i/N with 0 ≤ i < N, found ${index}/${count}`);
  }
  return { start: Math.floor((index * n) / count), end: Math.floor(((index + 1) * n) / count) };
}

function _metadata(
  spec: Required<Pick<DatasetSpec, "n" | "seed">> & {
    space: ParamSpace;
    input: Protocol;
    target: Protocol;
    pulsed?: Record<string, unknown>;
  },
  start: number,
  count: number,
) {
  const proto = (p: Protocol) => ({ ...p, tsS: Number.isFinite(p.tsS) ? p.tsS : "inf" });
  return {
    format: DATASET_FORMAT,
    seed: String(spec.seed),
    n_total: String(spec.n),
    row_start: String(start),
    row_count: String(count),
    protocol: spec.pulsed
      ? JSON.stringify(spec.pulsed)
      : JSON.stringify({ input: proto(spec.input), target: proto(spec.target) }),
    param_space: JSON.stringify(spec.space),
    param_names: JSON.stringify(paramNames(spec.space)),
    mt_form: spec.space.mtForm === "xyz"
      ? "x,y,z MT pool"
      : spec.space.ranges.some((r) => r.name === "mt_superlorentzian")
      ? "z-only mt_pool (lineshape per sample: column mt_superlorentzian, 0 Lorentzian, 1 SuperLorentzian)"
      : `z-only mt_pool (${spec.space.mtLineshape} lineshape)`,
    split: "0 train, 1 validation, 2 test (per sample from the seed)",
  };
}

/**
 * Checks a dataset size: a positive integer up to {@link MAX_DATASET_N}.
 * @throws InputError naming --n and the limit
 */
export function checkDatasetSize(n: number): void {
  if (!(Number.isInteger(n) && n >= 1)) {
    throw new InputError(`--n must be a positive integer, found ${n}`);
  }
  checkAtMost(
    "--n",
    n,
    MAX_DATASET_N,
    "simulate larger sets as several datasets with different --seed",
  );
}

/**
 * Simulates a dataset (or rows of it) on the GPU.
 * @example
 * const ds = await generateDataset({ n: 1000, seed: 1 });
 * await writeDataset("data/train.safetensors", ds);
 */
export async function generateDataset(spec: DatasetSpec): Promise<Dataset> {
  const space = spec.space ?? defaultParamSpace();
  const input = spec.input ?? paperInputProtocol(1);
  const target = spec.target ?? paperTargetProtocol(1);
  checkDatasetSize(spec.n);
  if (!Number.isInteger(spec.seed) || spec.seed < 0) {
    throw new InputError(`--seed must be an integer ≥ 0, found ${spec.seed}`);
  }
  if (!spec.pairs) {
    checkB1UT("--b1", input.b1UT);
    checkB1UT("--b1", target.b1UT);
  }
  const { start, end } = spec.rows ?? { start: 0, end: spec.n };
  const count = end - start;
  const offsetsPpm = spec.pairs?.offsetsPpm ?? input.offsetsPpm;
  const T = offsetsPpm.length;
  const P = paramCount(space);
  const ds = _zeroDataset(
    count,
    T,
    P,
    Float64Array.from(offsetsPpm),
    _metadata(
      { n: spec.n, seed: spec.seed, space, input, target, pulsed: spec.pairs?.protocol },
      start,
      count,
    ),
  );
  const chunk = spec.chunk ?? 8192;
  for (let c0 = 0; c0 < count; c0 += chunk) {
    spec.signal?.throwIfAborted();
    const c1 = Math.min(count, c0 + chunk);
    const models = [];
    for (let r = c0; r < c1; r++) {
      const p = sampleParams(space, spec.seed, start + r);
      ds.params.set(p, r * P);
      ds.split[r] = splitOf(spec.seed, start + r);
      models.push(modelFromParams(p, space));
    }
    const opts = {
      signal: spec.signal,
      onProgress: (done: number, total: number) =>
        spec.onProgress?.(c0 + Math.round((done / total) * (c1 - c0)), count),
    };
    const z = spec.pairs
      ? await spec.pairs.simulate(models, opts)
      : await (spec.simulate ?? simulatePairsGpu)(models, input, target, opts);
    ds.input.set(z.input, c0 * T);
    ds.target.set(z.target, c0 * T);
    spec.onProgress?.(c1, count);
  }
  return ds;
}

function _toFile(ds: Dataset): SafeTensors {
  return {
    tensors: {
      input: { data: ds.input, shape: [ds.count, ds.T] },
      target: { data: ds.target, shape: [ds.count, ds.T] },
      params: { data: ds.params, shape: [ds.count, paramColumns(ds)] },
      offsets_ppm: { data: ds.offsetsPpm, shape: [ds.T] },
      split: { data: ds.split, shape: [ds.count] },
    },
    metadata: ds.metadata,
  };
}

/** Writes a dataset atomically. */
export async function writeDataset(path: string, ds: Dataset): Promise<void> {
  await writeSafetensors(path, _toFile(ds));
}

/**
 * Reads a dataset written by {@link writeDataset}.
 * @throws InputError naming the file and the tensor or field that is wrong
 */
export async function readDataset(path: string): Promise<Dataset> {
  const st: SafeTensors = await readSafetensors(path);
  const need = (name: string, ctor: new (...a: never[]) => unknown) => {
    const t = st.tensors[name];
    if (!t) throw new InputError(`${path}: tensor "${name}" is missing; is this a quass dataset?`);
    if (!(t.data instanceof ctor)) {
      throw new InputError(`${path}: tensor "${name}" has the wrong dtype`);
    }
    return t;
  };
  const input = need("input", Float32Array), target = need("target", Float32Array);
  const params = need("params", Float32Array), offsets = need("offsets_ppm", Float64Array);
  const split = need("split", Uint8Array);
  const [count, T] = input.shape as [number, number];
  if (input.shape.length !== 2 || target.shape.join() !== input.shape.join()) {
    throw new InputError(
      `${path}: "input" [${input.shape}] and "target" [${target.shape}] must both be [N, offsets]`,
    );
  }
  if (offsets.shape[0] !== T || split.shape[0] !== count || params.shape[0] !== count) {
    throw new InputError(
      `${path}: tensor shapes disagree (offsets_ppm, split and params must match input [${input.shape}])`,
    );
  }
  let names: unknown;
  try {
    names = JSON.parse(st.metadata.param_names ?? "null");
  } catch {
    throw new InputError(`${path}: metadata "param_names" is not a JSON list of names`);
  }
  if (Array.isArray(names) && params.shape[1] !== names.length) {
    throw new InputError(
      `${path}: "params" has ${
        params.shape[1]
      } columns but metadata "param_names" lists ${names.length}`,
    );
  }
  if (st.metadata.format !== DATASET_FORMAT) {
    throw new InputError(
      `${path}: metadata "format" is ${
        st.metadata.format ?? "missing"
      }, expected ${DATASET_FORMAT}`,
    );
  }
  return {
    input: input.data as Float32Array,
    target: target.data as Float32Array,
    params: params.data as Float32Array,
    offsetsPpm: offsets.data as Float64Array,
    split: split.data as Uint8Array,
    count,
    T,
    metadata: st.metadata,
  };
}

/** Spectra to run a network on: `input` [n, T] and its offsets (+ `target` when present). */
export interface SpectraFile {
  input: Float32Array;
  n: number;
  T: number;
  offsetsPpm: number[];
  /** `target` [n, T] when the file has one of that shape. */
  target?: Float32Array;
  /** The water T1 per spectrum, s, when the file has a `params` tensor with that column. */
  t1S?: Float32Array;
}

/**
 * Reads spectra to predict from a .safetensors file: an F32 tensor `input` [N, offsets] and
 * `offsets_ppm` with one offset per column (a quass dataset is one such file).
 * @throws InputError naming the file and the tensor that is missing or does not fit
 */
export async function readSpectraFile(path: string): Promise<SpectraFile> {
  const st: SafeTensors = await readSafetensors(path);
  const inp = st.tensors["input"];
  if (!inp || !(inp.data instanceof Float32Array) || inp.shape.length !== 2) {
    throw new InputError(`${path}: needs an F32 tensor "input" [N, offsets]`);
  }
  const [n, T] = inp.shape as [number, number];
  const off = st.tensors["offsets_ppm"];
  if (!off) throw new InputError(`${path}: tensor "offsets_ppm" is missing`);
  if (off.data.length !== T) {
    throw new InputError(
      `${path}: "offsets_ppm" has ${off.data.length} entries but "input" [${inp.shape}] has ${T} columns; give one offset per column`,
    );
  }
  const tgt = st.tensors["target"];
  const params = st.tensors["params"];
  const t1S = params && params.shape[0] === n
    ? waterT1Column({
      params: Float32Array.from(params.data, Number),
      count: n,
      metadata: st.metadata,
    })
    : undefined;
  return {
    ...(t1S ? { t1S } : {}),
    input: inp.data,
    n,
    T,
    offsetsPpm: [...off.data].map(Number),
    ...(tgt && tgt.shape.join() === inp.shape.join()
      ? { target: Float32Array.from(tgt.data) }
      : {}),
  };
}

/**
 * Joins shards (any order) into the full dataset; they must come from the same seed,
 * size and protocols and cover every row exactly once.
 * @throws InputError naming the shard that does not fit
 */
export async function joinShards(paths: string[]): Promise<Dataset> {
  if (paths.length === 0) throw new InputError("--join needs at least one shard file");
  const shards = await Promise.all(paths.map(async (p) => ({ path: p, ds: await readDataset(p) })));
  shards.sort((a, b) => Number(a.ds.metadata.row_start) - Number(b.ds.metadata.row_start));
  const first = shards[0]!.ds;
  const keys = ["seed", "n_total", "protocol", "param_space"];
  let next = 0;
  for (const { path, ds } of shards) {
    for (const k of keys) {
      if (ds.metadata[k] !== first.metadata[k]) {
        throw new InputError(
          `${path}: metadata "${k}" differs from ${shards[0]!.path}; shards must come from one run`,
        );
      }
    }
    if (Number(ds.metadata.row_start) !== next) {
      throw new InputError(
        `${path}: starts at row ${ds.metadata.row_start} but row ${next} was expected (missing or overlapping shard)`,
      );
    }
    next += ds.count;
  }
  const n = Number(first.metadata.n_total);
  if (next !== n) throw new InputError(`the shards cover ${next} of ${n} rows; a shard is missing`);
  const T = first.T;
  const P = paramColumns(first);
  const out = _zeroDataset(n, T, P, first.offsetsPpm, {
    ...first.metadata,
    row_start: "0",
    row_count: String(n),
  });
  let row = 0;
  for (const { ds } of shards) {
    out.input.set(ds.input, row * T);
    out.target.set(ds.target, row * T);
    out.params.set(ds.params, row * P);
    out.split.set(ds.split, row);
    row += ds.count;
  }
  return out;
}
