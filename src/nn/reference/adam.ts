/** CPU float64 references of src/nn/adam.ts. @module */
import type { AdamConfig } from "../adam.ts";

/** min(1, maxNorm / ‖grads‖₂), 1 for a zero gradient or maxNorm = Infinity. */
export function gradNormClipRef(grads: ArrayLike<number>, maxNorm: number): number {
  let s = 0;
  for (let i = 0; i < grads.length; i++) s += grads[i]! * grads[i]!;
  const norm = Math.sqrt(s);
  return norm > 0 ? Math.min(1, maxNorm / norm) : 1;
}

/** One Adam step in place on params, m, v (see adamUpdate). */
export function adamUpdateRef(
  params: Float64Array,
  grads: ArrayLike<number>,
  m: Float64Array,
  v: Float64Array,
  scale: number,
  cfg: AdamConfig,
): void {
  const bc1 = 1 - Math.pow(cfg.beta1, cfg.step), bc2 = 1 - Math.pow(cfg.beta2, cfg.step);
  for (let i = 0; i < params.length; i++) {
    const g = grads[i]! * scale;
    const mi = cfg.beta1 * m[i]! + (1 - cfg.beta1) * g;
    const vi = cfg.beta2 * v[i]! + (1 - cfg.beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    const w = params[i]!;
    params[i] = w - cfg.lr * ((mi / bc1) / (Math.sqrt(vi / bc2) + cfg.eps) + cfg.weightDecay * w);
  }
}
