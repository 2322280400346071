/** CPU float64 references of src/nn/layernorm.ts. @module */
import { LAYERNORM_EPS } from "../layernorm.ts";

/** Layer norm of [M, C] rows → { out, mean, rstd }. */
export function layernormForwardRef(
  inp: ArrayLike<number>,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  M: number,
  C: number,
  eps = LAYERNORM_EPS,
): { out: Float64Array; mean: Float64Array; rstd: Float64Array } {
  const out = new Float64Array(M * C), mean = new Float64Array(M), rstd = new Float64Array(M);
  for (let r = 0; r < M; r++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += inp[r * C + c]!;
    const m = s / C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (inp[r * C + c]! - m) ** 2;
    const rs = 1 / Math.sqrt(v / C + eps);
    for (let c = 0; c < C; c++) out[r * C + c] = (inp[r * C + c]! - m) * rs * gamma[c]! + beta[c]!;
    mean[r] = m;
    rstd[r] = rs;
  }
  return { out, mean, rstd };
}

/** Accumulates dinp, dgamma, dbeta for the layer norm of [M, C] rows. */
export function layernormBackwardRef(
  dinp: Float64Array,
  dgamma: Float64Array,
  dbeta: Float64Array,
  dout: ArrayLike<number>,
  inp: ArrayLike<number>,
  gamma: ArrayLike<number>,
  mean: ArrayLike<number>,
  rstd: ArrayLike<number>,
  M: number,
  C: number,
): void {
  for (let r = 0; r < M; r++) {
    const m = mean[r]!, rs = rstd[r]!;
    let dm = 0, dnm = 0;
    for (let c = 0; c < C; c++) {
      const norm = (inp[r * C + c]! - m) * rs;
      const dnorm = gamma[c]! * dout[r * C + c]!;
      dm += dnorm;
      dnm += dnorm * norm;
      dgamma[c] = dgamma[c]! + dout[r * C + c]! * norm;
      dbeta[c] = dbeta[c]! + dout[r * C + c]!;
    }
    dm /= C;
    dnm /= C;
    for (let c = 0; c < C; c++) {
      const norm = (inp[r * C + c]! - m) * rs;
      const dnorm = gamma[c]! * dout[r * C + c]!;
      dinp[r * C + c] = dinp[r * C + c]! + rs * (dnorm - dm - norm * dnm);
    }
  }
}
