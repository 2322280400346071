/**
 * A validated prediction request (the Predict page): the plan type, the form fields every
 * request shares (preprocessing, the water T1), the request's byte budget, and the plan of
 * a phantom in the data directory. Uploads are predict_upload.ts; the run is predict.ts.
 * @module
 */
import { InputError } from "../util/errors.ts";
import { MAX_T1_S } from "../util/limits.ts";
import { checkName, resolveUnder } from "./paths.ts";
import type { TempArea } from "./uploads.ts";
import { ByteBudget, checkDims, type NiftiVolume, readNifti } from "../data/nifti.ts";
import { readSidecar } from "../data/sidecar.ts";
import { PHANTOM_FILES } from "../data/phantom.ts";
import type { AppConfig } from "./define.ts";
import {
  NO_PREPROCESSING,
  parseDenoise,
  type PreprocessChoice,
  resolveB0Flags,
} from "../preprocess/options.ts";

import { resolveRun } from "./predict_model.ts";

/** A validated prediction request: everything read, nothing predicted yet. */
export interface PredictPlan {
  /** The run's name, or the pretrained model's folder name. */
  runName: string;
  runDir: string;
  /** True when no run was chosen and the shipped pretrained model predicts. */
  pretrained: boolean;
  /** The model's config says it is T1-informed (it needs {@link t1S}). */
  needsT1: boolean;
  /** "phantom NAME" or the uploaded file name. */
  sourceLabel: string;
  scan: NiftiVolume;
  offsetsPpm: number[];
  m0?: Float32Array;
  mask?: Float32Array;
  /** Water T1, s: one value for every voxel or a map (x, y, z). */
  t1S?: number | Float32Array;
  /** Where {@link t1S} came from, for the result's notes. */
  t1Label?: string;
  reference?: NiftiVolume;
  notes: string[];
  /** B0 correction and denoising before the network (preprocess/pipeline.ts). */
  preprocess?: PreprocessChoice;
  /** The upload's temporary directory (removed when the job ends). */
  temp?: TempArea;
}

/**
 * The dashboard's preprocessing fields: `b0` (none | auto) and `denoise` (none | pca |
 * pca:median|malinowski|nelson), parsed as the CLI's `--b0` and `--denoise`.
 * @throws InputError naming the field
 */
export function parsePreprocessFields(b0: unknown, denoise: unknown): PreprocessChoice {
  const text = (v: unknown, field: string) => {
    if (v === undefined || v === null || v === "") return undefined;
    if (typeof v !== "string") throw new InputError(`Field "${field}" must be text`);
    return v;
  };
  try {
    const b0Text = text(b0, "b0"), dnText = text(denoise, "denoise");
    return {
      b0: resolveB0Flags({ b0: b0Text }),
      denoise: dnText === undefined ? { kind: "none" } : parseDenoise(dnText, "denoise"),
    };
  } catch (e) {
    if (e instanceof InputError) {
      throw new InputError(`Field ${e.message.replace(/^--b0\b/, "b0")}`);
    }
    throw e;
  }
}

/** The 3-D volume `v` (x, y, z as the scan's, one volume) as float32, or InputError. */
export function vol3(v: NiftiVolume, scan: NiftiVolume, name: string, what: string): Float32Array {
  const [nx, ny, nz] = scan.dims;
  checkDims(v, name, { dims: [nx, ny, nz], maxT: 1, what });
  return v.data;
}

/**
 * The budget of inflated NIfTI bytes for one request's files (all of them together): the
 * server's `inflateLimitBytes`.
 */
export function requestBudget(config: Pick<AppConfig, "inflateLimitBytes">): ByteBudget {
  return new ByteBudget(
    config.inflateLimitBytes,
    "crop or mask the series, or start the server with a larger --inflate-limit-mb",
  );
}

/** The one-line InputError for a T1-informed model given no T1 (upload form fields). */
export function noT1Error(runName: string): InputError {
  return new InputError(
    `The model ${runName} is T1-informed and needs the water T1: upload a T1 map in seconds with the scan's x, y, z (field "t1") or give one T1 for all voxels (field "t1s", e.g. 1.8)`,
  );
}

/** Parses the `t1s` form field: one water T1 in seconds (InputError otherwise). */
export function parseT1Seconds(text: string): number {
  const t = text.trim();
  const v = /^[+]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : NaN;
  if (!(v > 0 && v <= MAX_T1_S)) {
    throw new InputError(
      `Field "t1s" must be the water T1 in seconds, a number in (0, ${MAX_T1_S}] such as 1.8; found ${
        JSON.stringify(text.slice(0, 40))
      }`,
    );
  }
  return v;
}

/**
 * Plans a prediction on a phantom directory under `dataDir` (input, mask, reference, and
 * the water T1 map when the phantom has one). `runName` null or "" = the pretrained model.
 */
export async function planPhantom(
  config: AppConfig,
  runName: string | null,
  phantom: string,
  preprocess: PreprocessChoice = NO_PREPROCESSING,
): Promise<PredictPlan> {
  const run = await resolveRun(config, runName);
  checkName(phantom, "phantom");
  let dir: string;
  try {
    dir = await resolveUnder(config.dataDir, phantom);
    await Deno.stat(`${dir}/${PHANTOM_FILES.manifest}`);
  } catch {
    throw new InputError(
      `No phantom ${
        JSON.stringify(phantom)
      } in the data directory; make one with deno task quass phantom --out data/${phantom}`,
    );
  }
  const budget = requestBudget(config);
  const read = (path: string) => readNifti(path, { budget });
  const scanPath = `${dir}/${PHANTOM_FILES.input}`;
  const scan = await read(scanPath);
  const side = await readSidecar(scanPath, scan.dims[3]);
  if (!side?.offsetsPpm) throw new InputError(`${scanPath}: the sidecar has no offsetsPpm`);
  const mask = vol3(
    await read(`${dir}/${PHANTOM_FILES.mask}`),
    scan,
    PHANTOM_FILES.mask,
    "the brain mask",
  );
  const reference = await read(`${dir}/${PHANTOM_FILES.reference}`);
  checkDims(reference, PHANTOM_FILES.reference, {
    dims: [scan.dims[0], scan.dims[1], scan.dims[2], scan.dims[3]],
    what: "the Ts 5 s reference",
  });
  const t1Path = `${dir}/${PHANTOM_FILES.t1}`;
  const t1S = (await Deno.stat(t1Path).then((s) => s.isFile, () => false))
    ? vol3(await read(t1Path), scan, PHANTOM_FILES.t1, "the water T1 map (s)")
    : undefined;
  if (run.needsT1 && !t1S) {
    throw new InputError(
      `Phantom ${
        JSON.stringify(phantom)
      } has no ${PHANTOM_FILES.t1} (water T1 map), which the T1-informed model ${run.runName} needs; remake it with deno task quass phantom --out data/${phantom} or choose another run (field "run")`,
    );
  }
  return {
    ...run,
    sourceLabel: `phantom ${phantom}`,
    scan,
    offsetsPpm: side.offsetsPpm,
    mask,
    t1S,
    t1Label: t1S ? `the phantom's T1 map (${PHANTOM_FILES.t1})` : undefined,
    reference,
    notes: [],
    preprocess,
  };
}
