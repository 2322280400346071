/**
 * Run directories and checkpoints (docs/architecture.md "Files"):
 * - `model.safetensors`: one F32 tensor per parameter (named as in the model, e.g.
 *   `lstm.wx`), metadata `format`, `architecture`, `config` (JSON RunConfig),
 *   `offsets_ppm` (JSON), `protocol` (the dataset's, verbatim), `epoch`, `val_loss`.
 *   Holds the best weights by validation loss; this is what prediction loads.
 * - `optimizer.safetensors`: the state to resume from after the last completed epoch:
 *   the flat last weights `params`, Adam `m` and `v` (same flat layout), `rng_state`
 *   (U32[4]); metadata `step`, `epoch`, `best_val`, `best_epoch`, `bad_epochs`.
 * - `config.json`, `log.jsonl` (one JSON line per epoch).
 * Every file is written atomically; optimizer.safetensors is written last, so it is the
 * commit point of an epoch.
 * @module
 */
import {
  decodeSafetensors,
  encodeSafetensors,
  type SafeTensors,
  type Tensor,
} from "../data/safetensors.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";
import type { ParamStore } from "./params.ts";
import { buildModel, isArch } from "./models/mod.ts";
import type { ModelSpec } from "./models/graph.ts";
import type { RunConfig, TrainConfig } from "./presets.ts";

/** Format tag written into model files. */
export const MODEL_FORMAT = "quass-model-1";
/** Format tag written into optimizer files. */
export const OPTIMIZER_FORMAT = "quass-optimizer-1";

/** Paths of the files of a run directory. */
export function runPaths(
  dir: string,
): { model: string; optimizer: string; config: string; log: string } {
  const d = dir.replace(/\/+$/, "");
  return {
    model: `${d}/model.safetensors`,
    optimizer: `${d}/optimizer.safetensors`,
    config: `${d}/config.json`,
    log: `${d}/log.jsonl`,
  };
}

/** Metadata that travels with the weights. */
export interface ModelMeta {
  offsetsPpm: number[];
  /** The dataset's protocol metadata, verbatim (JSON text), or "" when unknown. */
  protocol: string;
  epoch: number;
  valLoss: number;
}

/** Config JSON with Infinity kept (JSON has none): written as the string "Infinity". */
export function configToJson(cfg: RunConfig): string {
  return JSON.stringify(cfg, (_k, v) => (v === Infinity ? "Infinity" : v), 2);
}

/**
 * Training settings a run made before they existed left out, with the values that meant
 * (no SNR augmentation, clean validation, constant learning rate).
 */
const _TRAIN_DEFAULTS = {
  snrAugment: null,
  noisyValidation: false,
  lrSchedule: "constant",
} as const satisfies Partial<TrainConfig>;

/** Inverse of {@link configToJson}; fills settings older runs did not record. */
export function configFromJson(text: string): RunConfig {
  const cfg = JSON.parse(text, (_k, v) => (v === "Infinity" ? Infinity : v)) as RunConfig;
  if (cfg && typeof cfg === "object" && cfg.train && typeof cfg.train === "object") {
    cfg.train = { ..._TRAIN_DEFAULTS, ...cfg.train };
  }
  return cfg;
}

/** Serialises the weights (flat, store layout) and metadata of a model. */
export function encodeModel(
  store: ParamStore,
  flat: Float32Array,
  cfg: RunConfig,
  meta: ModelMeta,
): Uint8Array {
  const tensors: Record<string, Tensor> = {};
  for (const s of store.specs) {
    tensors[s.name] = { data: store.view(flat, s.name).slice(), shape: s.shape };
  }
  return encodeSafetensors({
    tensors,
    metadata: {
      format: MODEL_FORMAT,
      architecture: cfg.model.arch,
      config: configToJson(cfg),
      offsets_ppm: JSON.stringify(meta.offsetsPpm),
      protocol: meta.protocol,
      epoch: String(meta.epoch),
      val_loss: String(meta.valLoss),
    },
  });
}

/** Writes model.safetensors atomically. */
export async function saveModel(
  path: string,
  store: ParamStore,
  flat: Float32Array,
  cfg: RunConfig,
  meta: ModelMeta,
): Promise<void> {
  await writeFileAtomic(path, encodeModel(store, flat, cfg, meta));
}

/** A model loaded from a checkpoint. */
export interface LoadedModel {
  config: RunConfig;
  spec: ModelSpec;
  /** Weights in the store's flat layout. */
  flat: Float32Array;
  meta: ModelMeta;
}

async function _readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      throw new InputError(`${path}: file not found (${what})`);
    }
    throw e;
  }
}

function _decode(bytes: Uint8Array, path: string): SafeTensors {
  try {
    return decodeSafetensors(bytes, path);
  } catch (e) {
    throw new InputError(
      `${(e as Error).message}; the checkpoint is corrupt: retrain or restore it`,
      { cause: e },
    );
  }
}

function _parseJson<T>(text: string | undefined, path: string, field: string): T {
  if (text === undefined) {
    throw new InputError(`${path}: metadata field "${field}" is missing; not a quass checkpoint`);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new InputError(
      `${path}: metadata field "${field}" is not valid JSON; the checkpoint is corrupt`,
    );
  }
}

/**
 * Decodes model.safetensors bytes, rebuilding the model from its stored config and
 * checking every tensor against it.
 * @param expectArch when given, the architecture the caller expects
 * @throws InputError naming the file and the field for corrupt files, a foreign format,
 *   an unknown or unexpected architecture, or tensors that do not fit the config
 */
export function decodeModel(bytes: Uint8Array, path: string, expectArch?: string): LoadedModel {
  const st = _decode(bytes, path);
  const md = st.metadata;
  if (md.format !== MODEL_FORMAT) {
    throw new InputError(
      `${path}: metadata "format" is ${
        JSON.stringify(md.format)
      }, expected "${MODEL_FORMAT}"; not a quass model checkpoint`,
    );
  }
  const arch = md.architecture ?? "";
  if (!isArch(arch)) {
    throw new InputError(`${path}: unknown architecture "${arch}" in metadata "architecture"`);
  }
  if (expectArch !== undefined && expectArch !== arch) {
    throw new InputError(
      `${path}: the checkpoint holds a "${arch}" model but "${expectArch}" was asked for; use --arch ${arch} or another --out directory`,
    );
  }
  if (md.config === undefined) throw new InputError(`${path}: metadata field "config" is missing`);
  let config: RunConfig;
  try {
    config = configFromJson(md.config);
  } catch {
    throw new InputError(
      `${path}: metadata field "config" is not valid JSON; the checkpoint is corrupt`,
    );
  }
  if (config?.model?.arch !== arch) {
    throw new InputError(
      `${path}: metadata "config" names architecture "${config?.model?.arch}" but "architecture" is "${arch}"`,
    );
  }
  let spec: ModelSpec;
  try {
    spec = buildModel(config.model);
  } catch (e) {
    throw new InputError(`${path}: metadata "config" is invalid: ${(e as Error).message}`);
  }
  const offsetsPpm = _parseJson<number[]>(md.offsets_ppm, path, "offsets_ppm");
  if (!Array.isArray(offsetsPpm) || offsetsPpm.length !== config.model.T) {
    throw new InputError(`${path}: metadata "offsets_ppm" must list ${config.model.T} offsets`);
  }
  const flat = new Float32Array(spec.store.totalFloats);
  for (const s of spec.store.specs) {
    const t = st.tensors[s.name];
    if (!t) {
      throw new InputError(
        `${path}: tensor "${s.name}" is missing for architecture ${arch}; the checkpoint is incomplete`,
      );
    }
    if (!(t.data instanceof Float32Array)) {
      throw new InputError(`${path}: tensor "${s.name}" must be F32`);
    }
    if (t.shape.join(",") !== s.shape.join(",")) {
      throw new InputError(
        `${path}: tensor "${s.name}" has shape [${t.shape}] but ${arch} with hidden ${config.model.hidden} needs [${s.shape}]`,
      );
    }
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i]!)) {
        throw new InputError(`${path}: tensor "${s.name}" holds a non-finite value`);
      }
    }
    flat.set(t.data, s.offset);
  }
  return {
    config,
    spec,
    flat,
    meta: {
      offsetsPpm,
      protocol: md.protocol ?? "",
      epoch: Number(md.epoch ?? 0),
      valLoss: Number(md.val_loss ?? NaN),
    },
  };
}

/**
 * Loads `runDir/model.safetensors` (or a .safetensors path).
 * @throws InputError (see {@link decodeModel}); a missing file says to train first
 */
export async function loadModel(runDirOrFile: string, expectArch?: string): Promise<LoadedModel> {
  const path = runDirOrFile.endsWith(".safetensors") ? runDirOrFile : runPaths(runDirOrFile).model;
  if (path !== runDirOrFile && (await Deno.stat(runDirOrFile).catch(() => null))?.isFile) {
    throw new InputError(
      `--run ${runDirOrFile}: is a file, not a run directory; give the directory quass train --out wrote (it holds model.safetensors)`,
    );
  }
  const bytes = await _readBytes(path, "train a model first with `quass train --out DIR`");
  return decodeModel(bytes, path, expectArch);
}

/**
 * Checks that data offsets match the model's.
 * @throws InputError naming both sources when they differ
 */
export function checkOffsets(
  modelOffsets: ArrayLike<number>,
  dataOffsets: ArrayLike<number>,
  model: string,
  data: string,
): void {
  const fmt = (o: ArrayLike<number>) =>
    `${o.length} offsets${o.length ? ` from ${o[0]} to ${o[o.length - 1]} ppm` : ""}`;
  let same = modelOffsets.length === dataOffsets.length;
  for (let i = 0; same && i < modelOffsets.length; i++) {
    if (Math.abs(modelOffsets[i]! - dataOffsets[i]!) > 1e-4) same = false;
  }
  if (!same) {
    throw new InputError(
      `${data}: offsets_ppm (${
        fmt(dataOffsets)
      }) differ from those the model in ${model} was trained on (${fmt(modelOffsets)}); ` +
        `resample the spectra to the model's offsets or train a model on this protocol`,
    );
  }
}

/** What is needed to resume training after a completed epoch. */
export interface OptimizerState {
  /** Flat weights after the epoch. */
  params: Float32Array;
  m: Float32Array;
  v: Float32Array;
  /** Adam steps taken. */
  step: number;
  /** Completed epochs. */
  epoch: number;
  bestVal: number;
  bestEpoch: number;
  /** Epochs since the best validation loss (early stopping). */
  badEpochs: number;
  rngState: number[];
}

/** Writes optimizer.safetensors atomically. */
export async function saveOptimizer(
  path: string,
  cfg: RunConfig,
  s: OptimizerState,
): Promise<void> {
  await writeFileAtomic(
    path,
    encodeSafetensors({
      tensors: {
        params: { data: s.params, shape: [s.params.length] },
        m: { data: s.m, shape: [s.m.length] },
        v: { data: s.v, shape: [s.v.length] },
        rng_state: { data: Uint32Array.from(s.rngState), shape: [4] },
      },
      metadata: {
        format: OPTIMIZER_FORMAT,
        architecture: cfg.model.arch,
        config: configToJson(cfg),
        step: String(s.step),
        epoch: String(s.epoch),
        best_val: String(s.bestVal),
        best_epoch: String(s.bestEpoch),
        bad_epochs: String(s.badEpochs),
      },
    }),
  );
}

/**
 * Reads optimizer.safetensors for a model whose flat layout has `totalFloats` values.
 * @throws InputError for a missing or corrupt file, or one written for another model
 */
export async function loadOptimizer(
  path: string,
  arch: string,
  totalFloats: number,
): Promise<OptimizerState> {
  const st = _decode(
    await _readBytes(path, "nothing to resume; drop --resume to start afresh"),
    path,
  );
  const md = st.metadata;
  if (md.format !== OPTIMIZER_FORMAT) {
    throw new InputError(
      `${path}: metadata "format" is ${JSON.stringify(md.format)}, expected "${OPTIMIZER_FORMAT}"`,
    );
  }
  if (md.architecture !== arch) {
    throw new InputError(
      `${path}: optimizer state is for architecture "${md.architecture}", not "${arch}"; use --arch ${md.architecture}`,
    );
  }
  const get = (name: string, n: number, ctor: typeof Float32Array | typeof Uint32Array) => {
    const t = st.tensors[name];
    if (!t || !(t.data instanceof ctor) || t.data.length !== n) {
      throw new InputError(
        `${path}: tensor "${name}" is missing or has the wrong size (expected ${n}); the state does not fit this model`,
      );
    }
    return t.data;
  };
  const num = (k: string) => {
    const v = Number(md[k]);
    if (md[k] === undefined || Number.isNaN(v) && md[k] !== "NaN") {
      throw new InputError(`${path}: metadata "${k}" is missing or not a number`);
    }
    return v;
  };
  return {
    params: get("params", totalFloats, Float32Array) as Float32Array,
    m: get("m", totalFloats, Float32Array) as Float32Array,
    v: get("v", totalFloats, Float32Array) as Float32Array,
    rngState: [...(get("rng_state", 4, Uint32Array) as Uint32Array)],
    step: num("step"),
    epoch: num("epoch"),
    bestVal: num("best_val"),
    bestEpoch: num("best_epoch"),
    badEpochs: num("bad_epochs"),
  };
}
