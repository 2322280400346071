/**
 * The Predict page's server side: turns a request (a run + the phantom, or uploaded NIfTI
 * files) into a validated job for the GPU queue and runs the engine's volume prediction;
 * predict_view.ts serves slices, voxel spectra and the result as NIfTI from the finished job
 * (re-exported here).
 * @module
 */
import { InputError } from "../util/errors.ts";
import { checkT1MapSeconds, MAX_T1_S } from "../util/limits.ts";
import { checkName, resolveUnder } from "./paths.ts";
import { makeTempArea, readLimitedForm, type TempArea } from "./uploads.ts";
import { ByteBudget, checkDims, type NiftiVolume, parseNifti, readNifti } from "../data/nifti.ts";
import { parseOffsetsFlag, readSidecar, type Sidecar, validateSidecar } from "../data/sidecar.ts";
import { PHANTOM_FILES } from "../data/phantom.ts";
import { describeSkipped, predictVolumeData, type RunLoader } from "../eval/predict_volume.ts";
import type { ProgressFn } from "./job_queue.ts";
import type { AppConfig } from "./define.ts";
import { isT1Informed } from "./catalog.ts";
import {
  NO_PREPROCESSING,
  parseDenoise,
  type PreprocessChoice,
  resolveB0Flags,
  wantsPreprocessing,
} from "../preprocess/options.ts";
import { preprocessScan } from "../preprocess/pipeline.ts";

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

/** A finished prediction, kept in memory for the viewer and download. */
export interface PredictionResult {
  /** The model that predicted: the run's name or the pretrained model's folder name. */
  runName: string;
  /** True when the shipped pretrained model predicted (no run chosen). */
  pretrained: boolean;
  /** True when the model is T1-informed (it used the water T1). */
  t1Informed: boolean;
  arch: string;
  sourceLabel: string;
  dims: [number, number, number, number];
  offsetsPpm: number[];
  /** Input as Z (divided by M0 when given), [offset][voxel]. */
  input: Float32Array;
  prediction: Float32Array;
  reference?: Float32Array;
  /** 1 inside the mask (all ones without a mask). */
  mask: Uint8Array;
  affine: number[][];
  pixdim: [number, number, number, number];
  predicted: number;
  notes: string[];
  seconds: number;
}

function _vol3(v: NiftiVolume, scan: NiftiVolume, name: string, what: string): Float32Array {
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

/** A resolved model: a trained run or the shipped pretrained model. */
export interface ResolvedRun {
  runName: string;
  runDir: string;
  pretrained: boolean;
  /** From the model's config.json: T1-informed models need the water T1. */
  needsT1: boolean;
}

async function _needsT1(dir: string): Promise<boolean> {
  try {
    const config = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
    return typeof config === "object" && config !== null && isT1Informed(config);
  } catch {
    return false; // the loader reports a missing or broken config
  }
}

async function _hasWeights(dir: string): Promise<boolean> {
  try {
    return (await Deno.stat(`${dir}/model.safetensors`)).isFile;
  } catch {
    return false;
  }
}

/**
 * Resolves a run name to its directory and checks it has weights (InputError otherwise);
 * no name (null or "") means the shipped pretrained model `config.pretrainedDir`.
 */
export async function resolveRun(
  config: Pick<AppConfig, "runsDir" | "pretrainedDir">,
  name: string | null,
): Promise<ResolvedRun> {
  if (!name) {
    const dir = config.pretrainedDir.replace(/\/+$/, "");
    if (!dir || !(await _hasWeights(dir))) {
      throw new InputError(
        `No run chosen and the shipped pretrained model is not installed (${dir}/model.safetensors): pick a trained run (field "run") or run deno task quass reproduce-model`,
      );
    }
    return {
      runName: dir.split("/").at(-1)!,
      runDir: dir,
      pretrained: true,
      needsT1: await _needsT1(dir),
    };
  }
  checkName(name, "run");
  let dir: string;
  try {
    dir = await resolveUnder(config.runsDir, name);
  } catch {
    throw new InputError(
      `Run ${JSON.stringify(name)} does not exist in the runs directory; choose one from the list`,
    );
  }
  if (!(await _hasWeights(dir))) {
    throw new InputError(
      `Run ${
        JSON.stringify(name)
      } has no model.safetensors yet; train it first or choose another run`,
    );
  }
  return { runName: name, runDir: dir, pretrained: false, needsT1: await _needsT1(dir) };
}

/** The one-line InputError for a T1-informed model given no T1 (upload form fields). */
function _noT1(runName: string): InputError {
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
  const mask = _vol3(
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
    ? _vol3(await read(t1Path), scan, PHANTOM_FILES.t1, "the water T1 map (s)")
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

function _file(form: FormData, field: string): File | undefined {
  const v = form.get(field);
  if (v === null || v === "") return undefined;
  if (typeof v === "string") throw new InputError(`Field "${field}" must be a file upload`);
  return v.size === 0 ? undefined : v;
}

/**
 * Plans a prediction from an uploaded multipart form: `run` (empty = the pretrained model),
 * `scan` (.nii/.nii.gz 4-D), optional `sidecar` (.json with offsetsPpm) or `offsets`
 * (lo:hi:n or a list), `m0`, `mask`, `reference`, and the water T1 as a map `t1` (3-D, s)
 * or one value `t1s` (s) — required by T1-informed models. Size-capped (413) and validated
 * (400) before anything is used; files are kept in a temporary area that the job removes.
 */
export async function planUpload(config: AppConfig, req: Request): Promise<PredictPlan> {
  const form = await readLimitedForm(req, config.uploadLimitBytes);
  const runName = typeof form.get("run") === "string" ? form.get("run") as string : null;
  const run = await resolveRun(config, runName);
  const preprocess = parsePreprocessFields(form.get("b0"), form.get("denoise"));
  const scanFile = _file(form, "scan");
  if (!scanFile) {
    throw new InputError(
      `No scan uploaded: choose a NIfTI series (.nii or .nii.gz) in the field "scan"`,
    );
  }
  const t1Text = form.get("t1s");
  if (t1Text !== null && typeof t1Text !== "string") {
    throw new InputError(`Field "t1s" must be a number (the water T1 in seconds), not a file`);
  }
  const t1Value = t1Text?.trim() ? parseT1Seconds(t1Text) : undefined;
  const t1File = _file(form, "t1");
  if (t1File && t1Value !== undefined) {
    throw new InputError(
      `Both a T1 map (field "t1") and one T1 value (field "t1s") given: keep only one`,
    );
  }
  if (run.needsT1 && !t1File && t1Value === undefined) throw _noT1(run.runName);
  const files: [string, File][] = [["scan", scanFile]];
  for (const f of ["m0", "mask", "reference", "t1"]) {
    const file = _file(form, f);
    if (file) files.push([f, file]);
  }
  // each file is read once, gunzipped no further than its header declares, all of them
  // within one budget (400 at once when a header declares more, or a file holds more)
  const budget = requestBudget(config);
  const bytes = new Map<string, Uint8Array<ArrayBuffer>>();
  const vols = new Map<string, NiftiVolume>();
  for (const [field, file] of files) {
    const b = new Uint8Array(await file.arrayBuffer());
    vols.set(field, await parseNifti(b, `${field} (${file.name})`, { budget }));
    bytes.set(field, b);
  }
  const temp = await makeTempArea(config.tmpDir, "upload-");
  try {
    for (const [field, file] of files) {
      const safe = file.name.replace(/[^A-Za-z0-9._-]/g, "_").slice(-80);
      await Deno.writeFile(`${temp.dir}/${field}-${safe}`, bytes.get(field)!);
    }
    const scan = vols.get("scan")!;
    const [nx, ny, nz, nt] = scan.dims;
    if (nt < 2) {
      throw new InputError(
        `${scanFile.name}: dims [${scan.dims}]: a Z-spectral series needs the offsets along the 4th dimension [x, y, z, offset]`,
      );
    }
    const notes: string[] = [];
    let offsetsPpm: number[] | undefined;
    const offsetsText = form.get("offsets");
    const sideFile = _file(form, "sidecar");
    if (typeof offsetsText === "string" && offsetsText.trim()) {
      offsetsPpm = parseOffsetsFlag(offsetsText);
    } else if (sideFile) {
      let obj: unknown;
      try {
        obj = JSON.parse(await sideFile.text());
      } catch (e) {
        throw new InputError(
          `${sideFile.name}: the sidecar is not valid JSON (${(e as Error).message})`,
        );
      }
      const side: Sidecar = validateSidecar(obj, sideFile.name, nt);
      offsetsPpm = side.offsetsPpm;
    }
    if (!offsetsPpm) {
      throw new InputError(
        `${scanFile.name}: no offsets: upload its JSON sidecar (with "offsetsPpm") or type the offsets (e.g. -6:6:101)`,
      );
    }
    if (offsetsPpm.length !== nt) {
      throw new InputError(
        `${scanFile.name}: ${offsetsPpm.length} offsets given but the image has ${nt} volumes along the 4th dimension`,
      );
    }
    const m0v = vols.get("m0"), maskv = vols.get("mask"), refv = vols.get("reference");
    const t1v = vols.get("t1");
    if (refv) {
      checkDims(refv, "reference", {
        dims: [nx, ny, nz],
        what: `a reference with the scan's x, y, z = ${nx}, ${ny}, ${nz}`,
      });
    }
    let t1S: number | Float32Array | undefined = t1Value;
    let t1Label = t1Value !== undefined ? `T1 = ${t1Value} s for every voxel` : undefined;
    if (t1v) {
      const label = `t1 (${t1File!.name})`;
      t1S = _vol3(
        t1v,
        scan,
        label,
        `a water T1 map in seconds with the scan's x, y, z = ${nx}, ${ny}, ${nz}`,
      );
      checkT1MapSeconds(t1S, label);
      t1Label = `the T1 map ${t1File!.name}`;
    }
    if (t1S !== undefined && !run.needsT1) {
      notes.push(`the T1 given was not used: ${run.runName} is not T1-informed`);
    }
    return {
      ...run,
      sourceLabel: scanFile.name,
      scan,
      offsetsPpm,
      m0: m0v
        ? _vol3(m0v, scan, "m0", `an M0 volume with x, y, z = ${nx}, ${ny}, ${nz}`)
        : undefined,
      mask: maskv
        ? _vol3(maskv, scan, "mask", `a mask with x, y, z = ${nx}, ${ny}, ${nz}`)
        : undefined,
      t1S,
      t1Label,
      reference: refv,
      notes,
      preprocess,
      temp,
    };
  } catch (e) {
    await temp.remove();
    throw e;
  }
}

/**
 * Runs a planned prediction (call it inside the GPU queue); removes the upload's temporary
 * area whatever happens.
 */
export async function runPrediction(
  plan: PredictPlan,
  loader: RunLoader,
  progress: ProgressFn,
): Promise<PredictionResult> {
  const t0 = performance.now();
  try {
    const [nx, ny, nz, nt] = plan.scan.dims;
    const nvox = nx * ny * nz;
    progress(0.02, "loading the network");
    const run = await loader(plan.runDir);
    const needsT1 = run.needsT1 === true;
    let res;
    let pre: ReturnType<typeof preprocessScan> | undefined;
    try {
      // planning read the config; this catches a checkpoint that says otherwise
      if (needsT1 && plan.t1S === undefined) {
        throw plan.temp ? _noT1(plan.runName) : new InputError(
          `${plan.sourceLabel} has no ${PHANTOM_FILES.t1} (water T1 map), which the T1-informed model ${plan.runName} needs; choose another run (field "run")`,
        );
      }
      const choice = plan.preprocess ?? NO_PREPROCESSING;
      if (wantsPreprocessing(choice) || plan.m0) {
        // the CLI's pipeline: M0 → B0 → denoise, onto the network's offsets
        progress(0.04, "preprocessing");
        pre = preprocessScan(
          {
            data: plan.scan.data,
            dims: [nx, ny, nz],
            offsetsPpm: plan.offsetsPpm,
            mask: plan.mask,
            m0: plan.m0,
            source: plan.sourceLabel,
            m0Source: "m0",
          },
          { choice, b0: choice.b0.kind === "auto" ? { kind: "auto" } : { kind: "none" } },
          {
            gridPpm: run.offsetsPpm,
            log: (line) => progress(0.05, line),
          },
        );
      }
      progress(0.05, "predicting");
      res = await predictVolumeData({
        data: pre ? pre.data : plan.scan.data,
        nvox,
        offsetsPpm: pre ? pre.offsetsPpm : plan.offsetsPpm,
        modelInputOffsetsPpm: run.offsetsPpm,
        modelOutputLength: run.offsetsPpm.length,
        mask: plan.mask ?? pre?.mask,
        m0: pre ? undefined : plan.m0,
        t1S: needsT1 ? plan.t1S : undefined,
        needsT1,
        batch: 1024,
        onProgress: (d, t) =>
          progress(0.05 + 0.9 * d / Math.max(1, t), `predicted ${d} / ${t} voxels`),
        source: plan.sourceLabel,
      }, run.predict);
    } finally {
      (run as { release?: () => void }).release?.();
    }
    const shown = pre ? pre.offsetsPpm.length : nt;
    const input = pre
      ? Float32Array.from(pre.data, (z) => (Number.isFinite(z) ? z : 0))
      : new Float32Array(nvox * nt);
    for (let k = 0; k < nt && !pre; k++) {
      for (let v = 0; v < nvox; v++) {
        const m0 = plan.m0 ? plan.m0[v]! : 1;
        const z = plan.scan.data[k * nvox + v]! / m0;
        input[k * nvox + v] = Number.isFinite(z) && (!plan.m0 || m0 > 0) ? z : 0;
      }
    }
    const mask = new Uint8Array(nvox);
    for (let v = 0; v < nvox; v++) {
      mask[v] = pre ? pre.mask[v]! : !plan.mask || plan.mask[v]! !== 0 ? 1 : 0;
    }
    let reference: Float32Array | undefined;
    if (plan.reference) {
      if (plan.reference.dims[3] !== run.offsetsPpm.length) {
        plan.notes.push(
          `reference has ${
            plan.reference.dims[3]
          } offsets, the network ${run.offsetsPpm.length}: reference not shown`,
        );
      } else reference = plan.reference.data;
    }
    const notes = [...plan.notes];
    if (plan.pretrained) notes.push(`shipped pretrained model ${plan.runName}`);
    if (needsT1) notes.push(`T1-informed model: water T1 from ${plan.t1Label ?? "the input"}`);
    if (pre) notes.push(...pre.lines);
    if (res.interpolated) notes.push("the scan was resampled onto the network's offsets");
    if (res.skipped.length) notes.push(describeSkipped(res.skipped, plan.scan.dims));
    return {
      runName: plan.runName,
      pretrained: plan.pretrained,
      t1Informed: needsT1,
      arch: run.arch,
      sourceLabel: plan.sourceLabel,
      dims: [nx, ny, nz, run.offsetsPpm.length],
      offsetsPpm: run.offsetsPpm,
      // the input as the network saw it (preprocessed), when it is on the network's offsets
      input: res.interpolated || shown !== run.offsetsPpm.length ? new Float32Array(0) : input,
      prediction: res.data,
      reference,
      mask,
      affine: plan.scan.affine,
      pixdim: plan.scan.pixdim,
      predicted: res.predicted,
      notes,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await plan.temp?.remove();
  }
}

export { resultNiftiGz, resultSummary, type SliceData, sliceOf, voxelOf } from "./predict_view.ts";
