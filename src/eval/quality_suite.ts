/**
 * The quality suite: scores QUASS predictors on the unseen suite phantoms
 * (src/data/suite_phantoms.ts) at several SNRs against the noiseless Ts 5 s / Td 1 s
 * reference, over the masked voxels:
 * - MAE (mean over offsets of the masked MAE);
 * - R² of prediction on reference at −3.48, −2.40, −1.56, 1.32, 2.04, 3.48 ppm and their
 *   minimum;
 * - SSIM, PSNR and MSE (evaluate.ts's conventions, means over offsets).
 *
 * Methods: trained networks (run directories), the like-for-like analytic QUASS formula
 * (Sun 2021 fit of R1ρ per offset, then the Ts 5 s / Td 1 s scan it implies, with the
 * phantom's TRUE water T1 and the nominal 1 µT, i.e. ignoring the B1 map as the networks
 * must), and the uncorrected input as the floor.
 * @module
 */
import { InputError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { evaluateVolumes, REGRESSION_OFFSETS_PPM } from "./evaluate.ts";
import { predictVolumeData, type RunPredictor } from "./predict_volume.ts";
import { quassPredictSpectrum, type QuassTarget } from "../physics/analytic.ts";
import {
  SUITE_DESCRIPTIONS,
  SUITE_N_PARAMS,
  SUITE_SEEDS,
  suiteNoise,
  type SuitePhantom,
  type SuitePhantomName,
} from "../data/suite_phantoms.ts";

/** The target every method predicts: the Ts 5 s, Td 1 s scan. */
export const SUITE_TARGET: { tsS: number; tdS: number } = { tsS: 5, tdS: 1 };
/** The input protocol's timing, s. */
export const SUITE_INPUT_TIMING = { tsS: 1.5, tdS: 4.5 } as const;

/**
 * Numbers the paper reports (Yang et al. 2024, LSTM-Attention, their own data), shown
 * beside ours for orientation only: not the same data, not comparable one to one.
 */
export const PAPER_REPORTED = {
  r2Min: 0.9748,
  ssim: 0.9991,
  psnrDb: 49.67,
  mse: 1.68e-4,
  source: "Yang et al. 2024 (LSTM-Attention), reported on their data",
} as const;

/** One phantom at one SNR, ready to predict (volumes [offset][voxel], voxel = y·size + x). */
export interface SuiteCase {
  phantom: string;
  /** Infinity = noiseless. */
  snr: number;
  size: number;
  offsetsPpm: number[];
  mask: Uint8Array;
  /** True water T1 per voxel, s (0 outside the mask). */
  t1S: Float64Array;
  /** Nominal B1, µT, and B0, T. */
  b1UT: number;
  b0T: number;
  /** Noisy Z at Ts 1.5 s / Td 4.5 s (noisy signal / noisy M0; 0 outside the mask). */
  input: Float32Array;
  /** Noiseless Z at Ts 5 s / Td 1 s. */
  reference: Float32Array;
}

/** The case of a simulated suite phantom at an SNR (noise from the frozen seed stream). */
export function suiteCase(ph: SuitePhantom, snr: number): SuiteCase {
  const { maps } = ph;
  const nvox = maps.size * maps.size;
  const t1S = new Float64Array(nvox);
  for (let v = 0; v < nvox; v++) if (maps.mask[v]) t1S[v] = maps.params[v * SUITE_N_PARAMS]!;
  return {
    phantom: maps.name,
    snr,
    size: maps.size,
    offsetsPpm: ph.offsetsPpm,
    mask: maps.mask,
    t1S,
    b1UT: ph.b1UT,
    b0T: ph.b0T,
    input: suiteNoise(ph, snr).input,
    reference: ph.reference,
  };
}

/** A method under test: predicts the Ts 5 s volume of a case ([offset][voxel]). */
export interface QualityMethod {
  name: string;
  kind: "network" | "formula" | "input" | "other";
  /** Architecture (networks). */
  arch?: string;
  predict: (c: SuiteCase) => Promise<Float32Array>;
}

/** The floor: the uncorrected Ts 1.5 s input taken as the prediction. */
export function inputMethod(): QualityMethod {
  return { name: "input (uncorrected)", kind: "input", predict: (c) => Promise.resolve(c.input) };
}

/**
 * The analytic formula, voxel by voxel: quassPredictSpectrum with the voxel's true water
 * T1, nominal B1 and B0, the input timing, and the target {@link SUITE_TARGET}.
 */
export function formulaPredict(c: SuiteCase, target: QuassTarget = SUITE_TARGET): Float32Array {
  const nvox = c.size * c.size;
  const nOff = c.offsetsPpm.length;
  const out = new Float32Array(nvox * nOff);
  const z = new Float64Array(nOff);
  for (let v = 0; v < nvox; v++) {
    if (!c.mask[v]) continue;
    for (let k = 0; k < nOff; k++) z[k] = c.input[k * nvox + v]!;
    const y = quassPredictSpectrum(z, c.offsetsPpm, {
      r1wPerS: 1 / c.t1S[v]!,
      tsS: SUITE_INPUT_TIMING.tsS,
      tdS: SUITE_INPUT_TIMING.tdS,
      normalisedByControl: false,
      b1UT: c.b1UT,
      b0T: c.b0T,
    }, target);
    for (let k = 0; k < nOff; k++) out[k * nvox + v] = y[k]!;
  }
  return out;
}

/** The formula as a {@link QualityMethod}. */
export function formulaMethod(): QualityMethod {
  return {
    name: "QUASS formula (true T1, nominal B1)",
    kind: "formula",
    predict: (c) => Promise.resolve(formulaPredict(c)),
  };
}

/**
 * A trained network as a {@link QualityMethod}: predicts the masked voxels of the input Z.
 * @throws InputError when the run's offsets are not the suite's or it was trained for
 *   another target than Ts 5 s / Td 1 s
 */
export function networkMethod(run: RunPredictor, name = run.name): QualityMethod {
  if (
    (run.targetTsS !== undefined && run.targetTsS !== SUITE_TARGET.tsS) ||
    (run.targetTdS !== undefined && run.targetTdS !== SUITE_TARGET.tdS)
  ) {
    throw new InputError(
      `--model ${run.name}: trained for Ts ${run.targetTsS} s / Td ${run.targetTdS} s, but the suite scores the Ts 5 s / Td 1 s target; give a run trained for that target`,
    );
  }
  return {
    name,
    kind: "network",
    arch: run.arch,
    predict: async (c) =>
      (await predictVolumeData({
        data: c.input,
        nvox: c.size * c.size,
        offsetsPpm: c.offsetsPpm,
        modelInputOffsetsPpm: run.offsetsPpm,
        modelOutputLength: run.offsetsPpm.length,
        mask: c.mask,
        // a T1-informed network gets the same true T1 map as the formula
        t1S: c.t1S,
        needsT1: run.needsT1,
        source: `${c.phantom} (suite)`,
      }, run.predict)).data,
  };
}

/** Scores of one method on one case. */
export interface QualityScore {
  mae: number;
  /** R² at {@link REGRESSION_OFFSETS_PPM}, in that order. */
  r2: number[];
  minR2: number;
  ssim: number;
  psnrDb: number;
  mse: number;
  maskVoxels: number;
  /** Masked voxels the prediction left NaN/Inf (removed from the scores). */
  nonFiniteVoxels: number;
}

/** Scores a predicted volume of a case against its reference (evaluate.ts's metrics). */
export function scoreCase(c: SuiteCase, pred: Float32Array): QualityScore {
  const nOff = c.offsetsPpm.length;
  const dims = [c.size, c.size, 1, nOff] as const;
  if (pred.length !== c.reference.length) {
    throw new TypeError(
      `Expected a prediction of ${c.reference.length} values (${c.size}×${c.size}×${nOff}) but found ${pred.length}`,
    );
  }
  const ev = evaluateVolumes({
    pred: { dims, data: pred },
    reference: { dims, data: c.reference },
    mask: { dims: [c.size, c.size, 1, 1], data: c.mask },
    offsetsPpm: c.offsetsPpm,
  });
  const r2 = ev.regressions.map((r) => r.r2);
  return {
    mae: ev.mean.mae,
    r2,
    minR2: Math.min(...r2),
    ssim: ev.mean.ssim,
    psnrDb: ev.mean.psnr,
    mse: ev.mean.mse,
    maskVoxels: ev.maskVoxels,
    nonFiniteVoxels: ev.nonFiniteVoxels,
  };
}

/** One row of the results: a method on a phantom at an SNR. */
export interface QualityRow {
  phantom: string;
  /** null = noiseless (∞). */
  snr: number | null;
  method: string;
  kind: QualityMethod["kind"];
  arch?: string;
  score: QualityScore;
  /** Wall time of the prediction alone (for networks: inference of the slice), s. */
  predictSeconds: number;
  /** Prediction plus scoring, s. */
  seconds: number;
}

/**
 * Scores every method on every case.
 * @param cases the phantom × SNR cases
 * @param methods the methods (order = table order)
 * @param onLine progress lines
 */
export async function runQualitySuite(
  cases: Iterable<SuiteCase> | AsyncIterable<SuiteCase>,
  methods: readonly QualityMethod[],
  onLine?: (line: string) => void,
): Promise<QualityRow[]> {
  const rows: QualityRow[] = [];
  for await (const c of cases) {
    for (const m of methods) {
      const t0 = performance.now();
      const pred = await m.predict(c);
      const predictSeconds = (performance.now() - t0) / 1000;
      const score = scoreCase(c, pred);
      const seconds = (performance.now() - t0) / 1000;
      rows.push({
        phantom: c.phantom,
        snr: Number.isFinite(c.snr) ? c.snr : null,
        method: m.name,
        kind: m.kind,
        ...(m.arch ? { arch: m.arch } : {}),
        score,
        predictSeconds,
        seconds,
      });
      onLine?.(
        `quality: ${c.phantom} SNR ${snrLabel(c.snr)} ${m.name}: MAE ${
          score.mae.toExponential(3)
        }, min R² ${score.minR2.toFixed(4)}, SSIM ${score.ssim.toFixed(4)}, PSNR ${
          score.psnrDb.toFixed(2)
        } dB (${seconds.toFixed(1)} s)`,
      );
    }
  }
  return rows;
}

/** "∞" or the SNR. */
export function snrLabel(snr: number | null): string {
  return snr === null || !Number.isFinite(snr) ? "∞" : String(snr);
}

/** The whole report (quality.json). */
export interface QualityReport {
  format: "quass-quality-1";
  date: string;
  size: number;
  phantoms: string[];
  snrs: (number | null)[];
  seeds: Record<string, number>;
  methods: { name: string; kind: QualityMethod["kind"]; arch?: string }[];
  rows: QualityRow[];
  paper: typeof PAPER_REPORTED;
  regressionOffsetsPpm: number[];
  notes: string[];
}

/** Assembles the report of a run. */
export function qualityReport(
  rows: QualityRow[],
  o: {
    size: number;
    phantoms: string[];
    snrs: number[];
    methods: readonly QualityMethod[];
    notes?: string[];
  },
): QualityReport {
  return {
    format: "quass-quality-1",
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    size: o.size,
    phantoms: [...o.phantoms],
    snrs: o.snrs.map((s) => (Number.isFinite(s) ? s : null)),
    seeds: Object.fromEntries(
      o.phantoms.map((p) => [p, SUITE_SEEDS[p as SuitePhantomName] ?? NaN]),
    ),
    methods: o.methods.map((m) => ({
      name: m.name,
      kind: m.kind,
      ...(m.arch ? { arch: m.arch } : {}),
    })),
    rows,
    paper: PAPER_REPORTED,
    regressionOffsetsPpm: [...REGRESSION_OFFSETS_PPM],
    notes: o.notes ?? [],
  };
}

const _fmtE = (x: number) => (Number.isFinite(x) ? x.toExponential(2) : String(x));
const _fmtF = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

/**
 * The Markdown report: one table per SNR (rows = methods, columns = phantoms; cells MAE and
 * min R²; then SSIM / PSNR / MSE averaged over phantoms), plus the paper's numbers.
 */
export function qualityMarkdown(r: QualityReport): string {
  const L: string[] = [];
  L.push("# QUASS quality on the unseen suite phantoms", "");
  L.push(
    `Generated by \`deno task bench quality\` on ${r.date}. Phantoms ${r.size}×${r.size}, ` +
      "simulated with the GPU Bloch–McConnell engine (Ts 1.5 s / Td 4.5 s input, Ts 5 s / Td 1 s " +
      "reference, 101 offsets −6…6 ppm, 7 T, CW 1 µT nominal with a relative-B1 map 0.85–1.15); " +
      "tissue from literature rows (src/data/suite_phantoms.ts), not from the training sampler; " +
      "frozen seeds. Scores over the masked voxels against the noiseless Ts 5 s reference.",
    "",
  );
  L.push("| phantom | seed | what |", "|---|---|---|");
  for (const p of r.phantoms) {
    L.push(
      `| ${p} | ${r.seeds[p]} | ${SUITE_DESCRIPTIONS[p as SuitePhantomName] ?? ""} |`,
    );
  }
  L.push("");
  L.push(
    `Cells: MAE (mean over offsets) · min R² over ${
      r.regressionOffsetsPpm.join(", ")
    } ppm. The last columns average SSIM, PSNR (dB) and MSE over the phantoms.`,
    "",
  );
  for (const snr of r.snrs) {
    L.push(`## SNR ${snrLabel(snr)}`, "");
    L.push(
      `| method | ${r.phantoms.join(" | ")} | SSIM | PSNR | MSE |`,
      `|---|${r.phantoms.map(() => "---").join("|")}|---|---|---|`,
    );
    for (const m of r.methods) {
      const rows = r.rows.filter((x) => x.snr === snr && x.method === m.name);
      if (!rows.length) continue;
      const cells = r.phantoms.map((p) => {
        const x = rows.find((q) => q.phantom === p);
        return x ? `${_fmtE(x.score.mae)} · ${_fmtF(x.score.minR2, 4)}` : "–";
      });
      const avg = (f: (s: QualityScore) => number) =>
        rows.reduce((a, x) => a + f(x.score), 0) / rows.length;
      L.push(
        `| ${m.name} | ${cells.join(" | ")} | ${_fmtF(avg((s) => s.ssim), 4)} | ${
          _fmtF(avg((s) => s.psnrDb), 2)
        } | ${_fmtE(avg((s) => s.mse))} |`,
      );
    }
    L.push(
      `| *paper (reported, other data)* | ${
        r.phantoms.map(() => `– · ≥ ${r.paper.r2Min}`).join(" | ")
      } | ${r.paper.ssim} | ${r.paper.psnrDb} | ${r.paper.mse.toExponential(2)} |`,
      "",
    );
  }
  const nets = r.methods.filter((m) => m.kind === "network");
  if (nets.length) {
    const mean = (name: string) => {
      const xs = r.rows.filter((x) => x.method === name).map((x) => x.predictSeconds);
      return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    };
    const base = mean(nets[0]!.name);
    L.push(
      `## Inference time per ${r.size}×${r.size} slice`,
      "",
      `Mean wall time of one slice's prediction (${r.size * r.size} voxels × 101 offsets, masked ` +
        "voxels predicted; T1-informed networks include the formula they correct), and the ratio " +
        `to ${nets[0]!.name}.`,
      "",
      "| network | s per slice | ratio |",
      "|---|---|---|",
      ...nets.map((m) =>
        `| ${m.name} | ${_fmtF(mean(m.name), 2)} | ${_fmtF(mean(m.name) / base, 2)} |`
      ),
      "",
    );
  }
  L.push(
    `The paper row: ${r.paper.source}; R² ≥ ${r.paper.r2Min} at all six offsets, SSIM ${r.paper.ssim}, ` +
      `PSNR ${r.paper.psnrDb} dB, MSE ${r.paper.mse} — for orientation only.`,
  );
  for (const n of r.notes) L.push("", n);
  L.push("");
  return L.join("\n");
}

/**
 * Writes quality.json and the Markdown report atomically.
 * @param format optional Markdown formatter (bench/quality.ts passes `deno fmt` so the
 *   committed report stays fmt-clean); its failure keeps the unformatted text
 */
export async function writeQualityReport(
  r: QualityReport,
  paths: { json: string; md: string },
  format?: (md: string) => Promise<string>,
): Promise<void> {
  await writeFileAtomic(paths.json, JSON.stringify(r, null, 2) + "\n");
  let md = qualityMarkdown(r);
  if (format) md = await format(md).catch(() => md);
  await writeFileAtomic(paths.md, md);
}
