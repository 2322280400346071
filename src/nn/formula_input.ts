/**
 * T1-informed network input: instead of the measured short-saturation spectrum, the network
 * sees the analytic QUASS formula's prediction of the target (physics/analytic.ts
 * `quassPredictSpectrum`: per-offset R1ρ fitted with the voxel's water T1, then the Z of the
 * target protocol) and, being residual, learns the formula's error: y = F(x, T1) + f(F(x, T1)).
 * Per offset the formula is a monotone map of the measured Z for a given T1, so no
 * information of the spectrum is lost; the network adds what the formula lacks (the
 * multi-pool exchange that breaks its single-exponential assumption, denoising along the
 * spectrum). Such a model needs a water T1 per spectrum, as the formula does: from the
 * dataset's `water_t1_s` column in training, from a T1 map (or one value) in prediction.
 * @module
 */
import { quassPredictSpectrum, type QuassTarget } from "../physics/analytic.ts";
import { DEFAULT_B0_T } from "../physics/constants.ts";
import { InputError } from "../util/errors.ts";

/** What a T1-informed model's input is: the formula's prediction for these protocols. */
export interface FormulaInput {
  kind: "formula";
  /** The measured scan: CW amplitude µT, field T, saturation time and recovery delay s. */
  b1UT: number;
  b0T: number;
  tsS: number;
  tdS: number;
  /** The protocol the network predicts (Ts = Infinity: the steady state). */
  targetTsS: number;
  targetTdS: number;
}

/** The formula's target in analytic.ts's terms. */
function _target(spec: FormulaInput): QuassTarget {
  return Number.isFinite(spec.targetTsS) ? { tsS: spec.targetTsS, tdS: spec.targetTdS } : "steady";
}

/**
 * Checks that `t1S` holds one water T1 per spectrum, or one for all.
 * @throws TypeError otherwise
 */
export function checkT1Count(t1S: ArrayLike<number>, n: number): void {
  if (t1S.length !== n && t1S.length !== 1) {
    throw new TypeError(`Expected ${n} water T1 values (or one) but found ${t1S.length}`);
  }
}

/**
 * The water T1 of spectrum `j`, s (one value serves every spectrum).
 * @throws InputError when it is not a positive number
 */
export function waterT1Of(t1S: ArrayLike<number>, j: number): number {
  const t1 = t1S.length === 1 ? t1S[0]! : t1S[j]!;
  if (!(t1 > 0 && Number.isFinite(t1))) {
    throw new InputError(`water T1 of spectrum ${j} is ${t1}; the model needs T1 > 0 s`);
  }
  return t1;
}

/**
 * Replaces each of `n` spectra (rows of `x`, T values each) by the formula's prediction of
 * the target, in place.
 * @param x [n, T] measured Z (M0-normalised)
 * @param t1S water T1 of each spectrum, s (n values, or one for all)
 * @param offsetsPpm the T offsets, ppm
 * @throws InputError when a T1 is not a positive number
 * @example
 * applyFormulaInput(x, n, [1.8], offsets, spec);
 */
export function applyFormulaInput(
  x: Float32Array,
  n: number,
  t1S: ArrayLike<number>,
  offsetsPpm: readonly number[],
  spec: FormulaInput,
): void {
  const T = offsetsPpm.length;
  if (x.length < n * T) throw new TypeError(`Expected ${n}×${T} values but found ${x.length}`);
  checkT1Count(t1S, n);
  const target = _target(spec);
  const opts = {
    b1UT: spec.b1UT,
    b0T: spec.b0T,
    tsS: spec.tsS,
    tdS: spec.tdS,
    normalisedByControl: false,
    r1wPerS: 0,
  };
  for (let j = 0; j < n; j++) {
    opts.r1wPerS = 1 / waterT1Of(t1S, j);
    const row = x.subarray(j * T, (j + 1) * T);
    row.set(quassPredictSpectrum(row, offsetsPpm, opts, target));
  }
}

/**
 * The formula input of a dataset's protocols (its `protocol` metadata: `{ input, target }`
 * protocols as written by data/dataset.ts).
 * @param protocolJson the dataset's protocol metadata
 * @param source the dataset's file name, for messages
 * @param b0T the dataset's main field, T (when its input protocol names none)
 * @throws InputError when the metadata does not describe a saturation-recovery input scan
 */
export function formulaInputFromProtocol(
  protocolJson: string,
  source: string,
  b0T = DEFAULT_B0_T,
): FormulaInput {
  let p: {
    input?: { b1UT?: number; tsS?: number; b0T?: number; start?: { kind?: string; tdS?: number } };
    target?: { tsS?: number | string; start?: { kind?: string; tdS?: number } };
  };
  try {
    p = JSON.parse(protocolJson, (_k, v) => (v === "inf" || v === "Infinity" ? Infinity : v));
  } catch {
    p = {};
  }
  const inp = p?.input, tgt = p?.target;
  const num = (v: unknown) => typeof v === "number" && v >= 0;
  if (
    !inp || !tgt || !num(inp.b1UT) || !num(inp.tsS) || !Number.isFinite(inp.tsS) ||
    inp.start?.kind !== "satrec" || !num(inp.start.tdS) || !num(tgt.tsS)
  ) {
    throw new InputError(
      `${source}: its protocol metadata does not describe a saturation-recovery input scan and a target; --input formula needs a dataset made by quass simulate dataset`,
    );
  }
  const targetTsS = tgt.tsS as number;
  const targetTdS = tgt.start?.kind === "satrec" ? tgt.start.tdS ?? 0 : Infinity;
  if (Number.isFinite(targetTsS) && !Number.isFinite(targetTdS)) {
    throw new InputError(
      `${source}: the target protocol starts relaxed; --input formula predicts saturation-recovery targets (or the steady state)`,
    );
  }
  return {
    kind: "formula",
    b1UT: inp.b1UT!,
    b0T: inp.b0T ?? b0T,
    tsS: inp.tsS!,
    tdS: inp.start.tdS!,
    targetTsS,
    targetTdS: Number.isFinite(targetTsS) ? targetTdS : 0,
  };
}

/** One line describing a T1-informed model's input, for logs. */
export function describeInput(spec: FormulaInput): string {
  const tgt = Number.isFinite(spec.targetTsS)
    ? `Ts ${spec.targetTsS} s / Td ${spec.targetTdS} s`
    : "the steady state";
  return `T1-informed: the analytic QUASS prediction of ${tgt} from the spectrum (Ts ${spec.tsS} s / Td ${spec.tdS} s, B1 ${spec.b1UT} µT) and the water T1`;
}
