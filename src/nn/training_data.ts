/**
 * Training data: paired spectra (input, target) with their offsets, protocol and a
 * train/validation split, read from a quass dataset or any safetensors file with `input`
 * and `target`; and the scaling of a model fitted on the training split.
 * @module
 */
import { f32Tensor, type SafeTensors } from "../data/safetensors.ts";
import { type Dataset, readDataset, waterT1Column } from "../data/dataset.ts";
import { InputError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import type { ModelConfig } from "./models/mod.ts";
import { needsT1, prepareModelInput } from "./model_input.ts";
import { fitScaling, type Scaling } from "./scaling.ts";

/** Paired spectra with a train/validation split. */
export interface TrainingData {
  /** [n, T] row-major, Z units. */
  input: Float32Array;
  /** [n, T]. */
  target: Float32Array;
  n: number;
  T: number;
  offsetsPpm: number[];
  /** The dataset's protocol metadata (JSON text) or "". */
  protocol: string;
  /** Water T1 of each spectrum, s (the dataset's `water_t1_s` column), when known. */
  t1S?: Float32Array;
  /** Main field of the dataset's tissue models, T, when recorded. */
  b0T?: number;
  trainIdx: Uint32Array;
  valIdx: Uint32Array;
  /** File name for messages. */
  source: string;
}

/**
 * Splits indices 0..n−1 into train/validation when a dataset carries no split:
 * a seeded shuffle, the last `valFraction` for validation.
 */
export function defaultSplit(
  n: number,
  valFraction = 0.1,
  seed = 0,
): { trainIdx: Uint32Array; valIdx: Uint32Array } {
  const idx = new Uint32Array(n).map((_, i) => i);
  new Rng(seed, 0x5917).shuffle(idx);
  const nVal = Math.max(1, Math.round(n * valFraction));
  return { trainIdx: idx.slice(0, n - nVal), valIdx: idx.slice(n - nVal) };
}

function _indices(
  st: SafeTensors,
  name: string,
  n: number,
  source: string,
): Uint32Array | undefined {
  const t = st.tensors[name];
  if (!t) return undefined;
  const out = new Uint32Array(t.data.length);
  for (let i = 0; i < t.data.length; i++) {
    const v = Number(t.data[i]);
    if (!Number.isInteger(v) || v < 0 || v >= n) {
      throw new InputError(`${source}: tensor "${name}" holds index ${v}, outside 0..${n - 1}`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * Training data from decoded safetensors (tensors `input`, `target` [N, T], `offsets_ppm`
 * [T]; split from `train_idx`/`val_idx` index tensors, or a per-sample `split` tensor
 * (0 train, 1 validation, 2 test), else {@link defaultSplit}).
 * @throws InputError naming the file and the tensor when something is missing or wrong
 */
export function trainingDataFrom(st: SafeTensors, source: string): TrainingData {
  let input, target;
  try {
    input = f32Tensor(st, "input", source);
    target = f32Tensor(st, "target", source);
  } catch (e) {
    throw new InputError(
      `${
        (e as Error).message
      }; a training dataset needs F32 tensors "input" and "target" [N, offsets]`,
      { cause: e },
    );
  }
  if (input.shape.length !== 2 || target.shape.join() !== input.shape.join()) {
    throw new InputError(
      `${source}: "input" [${input.shape}] and "target" [${target.shape}] must both be [N, offsets]`,
    );
  }
  const [n, T] = input.shape as [number, number];
  let offsetsPpm: number[];
  const off = st.tensors["offsets_ppm"];
  if (off) offsetsPpm = [...off.data].map(Number);
  else if (st.metadata.offsets_ppm) offsetsPpm = JSON.parse(st.metadata.offsets_ppm);
  else throw new InputError(`${source}: tensor "offsets_ppm" [${T}] is missing`);
  if (offsetsPpm.length !== T) {
    throw new InputError(
      `${source}: "offsets_ppm" has ${offsetsPpm.length} entries but the spectra have ${T}`,
    );
  }
  let trainIdx = _indices(st, "train_idx", n, source);
  let valIdx = _indices(st, "val_idx", n, source);
  const split = st.tensors["split"];
  if ((!trainIdx || !valIdx) && split) {
    if (split.data.length !== n) {
      throw new InputError(`${source}: tensor "split" must have ${n} entries`);
    }
    const tr: number[] = [], va: number[] = [];
    split.data.forEach((v, i) => (Number(v) === 0 ? tr : Number(v) === 1 ? va : []).push(i));
    trainIdx = Uint32Array.from(tr);
    valIdx = Uint32Array.from(va);
  }
  if (!trainIdx || !valIdx) ({ trainIdx, valIdx } = defaultSplit(n));
  if (trainIdx.length === 0) throw new InputError(`${source}: the train split is empty`);
  if (valIdx.length === 0) throw new InputError(`${source}: the validation split is empty`);
  for (let i = 0; i < input.data.length; i++) {
    if (!Number.isFinite(input.data[i]!) || !Number.isFinite(target.data[i]!)) {
      throw new InputError(`${source}: spectrum ${Math.floor(i / T)} holds a non-finite value`);
    }
  }
  return {
    input: input.data,
    target: target.data,
    n,
    T,
    offsetsPpm,
    protocol: st.metadata.protocol ?? st.metadata.input_protocol ?? "",
    trainIdx,
    valIdx,
    source,
  };
}

/**
 * Training data from a quass dataset ({@link readDataset}'s format: `split` 0 train,
 * 1 validation, 2 test — the test rows are never seen here).
 * @throws InputError when a split is empty or a value is not finite
 */
export function trainingDataFromDataset(ds: Dataset, source: string): TrainingData {
  const t1S = waterT1Column(ds);
  const data = trainingDataFrom({
    tensors: {
      input: { data: ds.input, shape: [ds.count, ds.T] },
      target: { data: ds.target, shape: [ds.count, ds.T] },
      offsets_ppm: { data: ds.offsetsPpm, shape: [ds.T] },
      split: { data: ds.split, shape: [ds.count] },
    },
    metadata: ds.metadata,
  }, source);
  let b0T: number | undefined;
  try {
    const v = JSON.parse(ds.metadata.param_space ?? "null")?.b0T;
    if (typeof v === "number" && v > 0) b0T = v;
  } catch { /* not recorded */ }
  return { ...data, t1S, b0T };
}

/**
 * Reads a training dataset written by `quass simulate dataset` (see src/data/dataset.ts).
 * @throws InputError naming the file and the tensor or field that is wrong
 * @example
 * const data = await readTrainingData("data/train.safetensors");
 */
export async function readTrainingData(path: string): Promise<TrainingData> {
  return trainingDataFromDataset(await readDataset(path), path);
}

/**
 * Fits a model's scaling (nn/scaling.ts) on the clean training split of `data`, its inputs
 * made as the model makes them (e.g. the formula's prediction for a T1-informed model).
 * @throws InputError when the model needs T1 and the data has none
 */
export function fitScalingOn(data: TrainingData, model: ModelConfig): Scaling {
  const T = data.T, idx = data.trainIdx, n = idx.length;
  const x = new Float32Array(n * T), t = new Float32Array(n * T);
  const t1S = data.t1S ? Float32Array.from(idx, (i) => data.t1S![i]!) : undefined;
  idx.forEach((i, j) => {
    x.set(data.input.subarray(i * T, (i + 1) * T), j * T);
    t.set(data.target.subarray(i * T, (i + 1) * T), j * T);
  });
  const unscaled: ModelConfig = { ...model, scaling: undefined, features: undefined };
  if (needsT1(unscaled) && !t1S) {
    throw new InputError(`${data.source}: the model needs each spectrum's water T1 (water_t1_s)`);
  }
  prepareModelInput(unscaled, x, n, t1S, data.offsetsPpm);
  return fitScaling(x, t, Uint32Array.from({ length: n }, (_, j) => j), T);
}
