/**
 * The Predict page's server side: turns a request (a run + the phantom, or uploaded NIfTI
 * files) into a validated job for the GPU queue (predict_plan.ts, predict_upload.ts,
 * predict_model.ts) and runs the engine's volume prediction; predict_view.ts serves slices,
 * voxel spectra and the result as NIfTI from the finished job. All re-exported here.
 * @module
 */
import { InputError } from "../util/errors.ts";
import { PHANTOM_FILES } from "../data/phantom.ts";
import { describeSkipped, predictVolumeData, type RunLoader } from "../eval/predict_volume.ts";
import type { ProgressFn } from "./job_queue.ts";
import { NO_PREPROCESSING, wantsPreprocessing } from "../preprocess/options.ts";
import { preprocessScan } from "../preprocess/pipeline.ts";

import { noT1Error, type PredictPlan } from "./predict_plan.ts";

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
        throw plan.temp ? noT1Error(plan.runName) : new InputError(
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

export {
  parsePreprocessFields,
  parseT1Seconds,
  planPhantom,
  type PredictPlan,
  requestBudget,
} from "./predict_plan.ts";
export { type ResolvedRun, resolveRun } from "./predict_model.ts";
export { planUpload } from "./predict_upload.ts";
export { resultNiftiGz, resultSummary, type SliceData, sliceOf, voxelOf } from "./predict_view.ts";
