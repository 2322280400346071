/**
 * How much the real-scan preprocessing (preprocess/pipeline.ts) helps a network, measured on
 * a simulated phantom: the phantom's raw series and M0 go through M0 → B0 → denoise exactly
 * as `quass predict` runs them, the network predicts, and the prediction is scored against
 * the phantom's noiseless Ts 5 s / Td 1 s reference in the water frame (masked MAE, R² at
 * the six offsets of evaluate.ts). With a B0 field the estimated map is also scored against
 * the phantom's true one. The analytic formula (true T1, nominal B1) on the same
 * preprocessed input is scored beside the network.
 * @module
 */
import type { Phantom } from "../data/phantom.ts";
import { N_PARAMS } from "../data/phantom_maps.ts";
import { type PreprocessReport, preprocessScan } from "../preprocess/pipeline.ts";
import type { PreprocessChoice } from "../preprocess/options.ts";
import { predictVolumeData, type RunPredictor } from "./predict_volume.ts";
import { evaluateVolumes } from "./evaluate.ts";
import { quassImage } from "./quass_image.ts";

/** Scores of one preprocessing choice on one phantom. */
export interface PreprocessScore {
  /** Masked MAE of the network against the Ts 5 s reference. */
  mae: number;
  /** R² at the six regression offsets, and their minimum. */
  r2: number[];
  minR2: number;
  /** The formula (true T1, nominal B1) on the same preprocessed input. */
  formulaMae: number;
  formulaMinR2: number;
  /** RMS and mean error of the estimated B0 map against the truth, ppm (with B0 correction). */
  b0RmsPpm?: number;
  b0BiasPpm?: number;
  /** Masked voxels the preprocessing left out. */
  leftOut: number;
  report: PreprocessReport;
  lines: string[];
}

/**
 * Preprocesses the phantom's raw series with `choice`, predicts with `run` and scores.
 * @param ph a phantom from makePhantom (its maps give mask, T1 and the true B0 field)
 * @param choice the preprocessing
 * @param run a network trained for the Ts 5 s / Td 1 s target
 * @returns the scores (see {@link PreprocessScore})
 */
export async function scorePhantomPreprocessing(
  ph: Phantom,
  choice: PreprocessChoice,
  run: RunPredictor,
): Promise<PreprocessScore> {
  const { size, mask } = ph.maps;
  const nvox = size * size;
  const dims = [size, size, 1] as const;
  const t1S = new Float32Array(nvox);
  for (let v = 0; v < nvox; v++) t1S[v] = mask[v] ? ph.maps.params[v * N_PARAMS]! : 0;
  const pre = preprocessScan(
    {
      data: ph.inputRaw,
      dims,
      offsetsPpm: ph.offsetsPpm,
      mask,
      m0: ph.m0,
      source: "phantom input_raw",
      m0Source: "phantom m0",
    },
    { choice, b0: choice.b0.kind === "auto" ? { kind: "auto" } : { kind: "none" } },
    {
      gridPpm: run.offsetsPpm,
    },
  );
  const res = await predictVolumeData({
    data: pre.data,
    nvox,
    offsetsPpm: pre.offsetsPpm,
    modelInputOffsetsPpm: run.offsetsPpm,
    modelOutputLength: run.offsetsPpm.length,
    mask,
    t1S,
    needsT1: run.needsT1,
    source: "phantom",
  }, run.predict);
  const score = (pred: Float32Array) => {
    const nOff = pre.offsetsPpm.length;
    const ev = evaluateVolumes({
      pred: { dims: [size, size, 1, nOff], data: pred },
      reference: { dims: [size, size, 1, nOff], data: ph.reference },
      mask: { dims: [size, size, 1, 1], data: mask },
      offsetsPpm: pre.offsetsPpm,
    });
    const r2 = ev.regressions.map((r) => r.r2);
    return { mae: ev.mean.mae, r2, minR2: Math.min(...r2) };
  };
  const net = score(res.data);
  const formula = score(
    quassImage(pre.data, nvox, t1S, {
      offsetsPpm: pre.offsetsPpm,
      b1UT: ph.b1UT,
      b0T: ph.b0T,
      tsS: 1.5,
      tdS: 4.5,
    }, { mask, target: { tsS: 5, tdS: 1 } }).zss,
  );
  let b0: { b0RmsPpm: number; b0BiasPpm: number } | undefined;
  if (pre.b0ShiftPpm) {
    let ss = 0, sum = 0, n = 0;
    for (let v = 0; v < nvox; v++) {
      const e = pre.b0ShiftPpm[v]! - ph.maps.b0ShiftPpm[v]!;
      if (!mask[v] || !Number.isFinite(e)) continue;
      ss += e * e;
      sum += e;
      n++;
    }
    b0 = { b0RmsPpm: Math.sqrt(ss / n), b0BiasPpm: sum / n };
  }
  return {
    ...net,
    formulaMae: formula.mae,
    formulaMinR2: formula.minR2,
    ...b0,
    leftOut: pre.report.leftOut + res.skipped.length,
    report: pre.report,
    lines: pre.lines,
  };
}
