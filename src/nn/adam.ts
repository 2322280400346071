/**
 * The optimiser: gradient clipping by global norm (as a scale factor that stays on the
 * GPU) and the Adam update (AdamW-style decoupled weight decay, as llm.c).
 * @module
 */
import { dispatch, getKernel, kernelsOf } from "../gpu/kernel.ts";
import { uniformBuffer } from "../gpu/buffers.ts";
import { fill } from "./fill.ts";
import { reduceSum } from "./loss.ts";
import { checkBinding } from "./_uniforms.ts";
import type { BufRef } from "./types.ts";

/** One Adam step over n parameters. */
export const ADAM_UPDATE = kernelsOf("adam.wgsl", 256)(
  "adam_update",
  ["storage", "storage", "storage", "read", "read", "uniform"],
  "Adam/AdamW update with bias correction, grads times a clip scale",
);

/** Hyper-parameters of one Adam step. */
export interface AdamConfig {
  /** Learning rate. */
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay (0 for plain Adam). */
  weightDecay: number;
  /** Step number, starting at 1 (sets the bias corrections 1 − β^step). */
  step: number;
}

/**
 * Records scaleOut[0] = min(1, maxNorm / ‖grads‖₂) over n gradient values, without a
 * readback; {@link adamUpdate} multiplies the gradients by it. maxNorm = Infinity writes 1.
 * @throws RangeError when maxNorm is not positive
 * @example
 * gradNormClip(device, pass, scale, grads, nParams, 1.0);
 * adamUpdate(device, pass, params, grads, m, v, scale, nParams, { lr: 1e-4, ... });
 */
export function gradNormClip(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  scaleOut: BufRef,
  grads: BufRef,
  n: number,
  maxNorm: number,
): void {
  if (!(maxNorm > 0)) throw new RangeError(`gradNormClip needs maxNorm > 0 but got ${maxNorm}`);
  if (maxNorm === Infinity || n <= 0) {
    fill(device, pass, scaleOut, 1, 1);
    return;
  }
  reduceSum(device, pass, scaleOut, grads, null, n, { term: "sq", finish: "clip", mul: maxNorm });
}

/**
 * Records one bias-corrected Adam step: g = grads·scale[0]; m, v updated in place;
 * params −= lr·(m̂/(sqrt(v̂)+eps) + weightDecay·params).
 * @param scale a 1-float buffer (from {@link gradNormClip}, or holding 1)
 * @throws RangeError for a step below 1 or a non-finite learning rate
 */
export function adamUpdate(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  params: BufRef,
  grads: BufRef,
  m: BufRef,
  v: BufRef,
  scale: BufRef,
  n: number,
  cfg: AdamConfig,
): void {
  if (!Number.isInteger(cfg.step) || cfg.step < 1) {
    throw new RangeError(`Adam step must be an integer ≥ 1 but got ${cfg.step}`);
  }
  if (!Number.isFinite(cfg.lr)) {
    throw new RangeError(`Adam learning rate must be finite but got ${cfg.lr}`);
  }
  if (n <= 0) return;
  checkBinding(device, n, "adamUpdate");
  // The step changes every call, so this uniform is fresh (not cached): several steps may
  // be encoded before one submission and each needs its own values.
  const u = uniformBuffer(device, [
    { u32: n },
    { f32: cfg.lr },
    { f32: cfg.beta1 },
    { f32: cfg.beta2 },
    { f32: cfg.eps },
    { f32: cfg.weightDecay },
    { f32: 1 - Math.pow(cfg.beta1, cfg.step) },
    { f32: 1 - Math.pow(cfg.beta2, cfg.step) },
  ], "adam");
  dispatch(device, pass, getKernel(device, ADAM_UPDATE), [params, m, v, grads, scale, u], n);
}
