/**
 * A prediction request from an uploaded multipart form (the Predict page's upload): every
 * file size-capped and validated into a plan before anything runs.
 * @module
 */
import { InputError } from "../util/errors.ts";
import { checkT1MapSeconds } from "../util/limits.ts";
import { makeTempArea, readLimitedForm } from "./uploads.ts";
import { checkDims, type NiftiVolume, parseNifti } from "../data/nifti.ts";
import { parseOffsetsFlag, type Sidecar, validateSidecar } from "../data/sidecar.ts";
import type { AppConfig } from "./define.ts";

import {
  noT1Error,
  parsePreprocessFields,
  parseT1Seconds,
  type PredictPlan,
  requestBudget,
  vol3,
} from "./predict_plan.ts";
import { resolveRun } from "./predict_model.ts";

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
  if (run.needsT1 && !t1File && t1Value === undefined) throw noT1Error(run.runName);
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
      t1S = vol3(
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
        ? vol3(m0v, scan, "m0", `an M0 volume with x, y, z = ${nx}, ${ny}, ${nz}`)
        : undefined,
      mask: maskv
        ? vol3(maskv, scan, "mask", `a mask with x, y, z = ${nx}, ${ny}, ${nz}`)
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
