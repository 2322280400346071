/**
 * Mean squared error loss, forward and backward, and the GPU sum reduction it (and the
 * gradient-norm clipping in adam.ts) is built on.
 * @module
 */
import { dispatch, getKernel, kernelsOf } from "../gpu/kernel.ts";
import { cachedUniform, checkBinding, dummyBuffer, scratchBuffer } from "./_uniforms.ts";
import type { BufRef } from "./types.ts";

const _kernel = kernelsOf("loss.wgsl", 256);

/** Strided partial sums of (a − b)², a² or a. */
export const REDUCE_PARTIAL = _kernel(
  "reduce_partial",
  ["storage", "read", "read", "uniform"],
  "partial sums of (a-b)^2, a^2 or a",
);
/** One thread sums the partials into a mean or a clip scale. */
export const REDUCE_FINISH = _kernel(
  "reduce_finish",
  ["storage", "read", "uniform"],
  "final sum of partials (mean, or min(1, maxNorm/norm))",
  1,
);
/** dpred = 2(pred − target)/n. */
export const MSE_BACKWARD = _kernel(
  "mse_backward",
  ["storage", "read", "read", "uniform"],
  "dpred = 2 (pred - target) / n",
);

/** Values each partial-sum thread adds up (the fan-in of one reduction level). */
const FAN_IN = 256;
/** At most this many partials go to the single finishing thread. */
const FINISH_MAX = 1024;

/** What {@link reduceSum} adds up and how it finishes. */
export interface ReduceOptions {
  /** "sqdiff": Σ(a − b)², "sq": Σa². */
  term: "sqdiff" | "sq";
  /** "scale": out = sum·mul; "clip": out = min(1, mul/sqrt(sum)) (1 when the sum is 0). */
  finish: "scale" | "clip";
  mul: number;
}

/**
 * Records a sum over n values into out[0] in a few dispatches (strided partial sums, then
 * one finishing thread). Uses two internal scratch buffers shared per device.
 */
export function reduceSum(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  out: BufRef,
  a: BufRef,
  b: BufRef | null,
  n: number,
  opts: ReduceOptions,
): void {
  checkBinding(device, n, "reduceSum");
  let src: BufRef = a, srcB: BufRef = b ?? dummyBuffer(device), count = n;
  let mode = opts.term === "sqdiff" ? 0 : 1;
  let level = 0;
  /** P partial sums of the current `count` values of src (and srcB) into a scratch buffer. */
  const partial = (P: number): BufRef => {
    const part = scratchBuffer(device, `reduce-${level % 2}`, Math.max(P, 1) * 4);
    dispatch(device, pass, getKernel(device, REDUCE_PARTIAL, { MODE: mode, FINISH: 0 }), [
      part,
      src,
      srcB,
      cachedUniform(device, [{ u32: count }, { u32: P }]),
    ], P);
    return part;
  };
  while (count > FINISH_MAX) {
    const P = Math.ceil(count / FAN_IN);
    src = partial(P);
    srcB = dummyBuffer(device);
    count = P;
    mode = 2;
    level++;
  }
  // few values: one partial per value so that the finishing thread applies the term
  if (mode !== 2) src = partial(count);
  const k = getKernel(device, REDUCE_FINISH, { MODE: 0, FINISH: opts.finish === "scale" ? 0 : 1 });
  dispatch(
    device,
    pass,
    k,
    [out, src, cachedUniform(device, [{ u32: count }, { f32: opts.mul }])],
    1,
  );
}

/**
 * Records loss[0] = Σ(pred − target)² over n values, divided by `meanOver` (default n; a
 * batch slice passes the whole batch's count so that slice losses add up to its mean).
 * @example
 * mseForward(device, pass, loss, pred, target, B * 101);
 */
export function mseForward(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  loss: BufRef,
  pred: BufRef,
  target: BufRef,
  n: number,
  meanOver = n,
): void {
  if (n <= 0) throw new RangeError(`mseForward needs at least one value but got n=${n}`);
  reduceSum(device, pass, loss, pred, target, n, {
    term: "sqdiff",
    finish: "scale",
    mul: 1 / meanOver,
  });
}

/**
 * Records dpred = 2(pred − target)/meanOver (default n; written, not accumulated: the loss
 * starts the backward pass).
 */
export function mseBackward(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  dpred: BufRef,
  pred: BufRef,
  target: BufRef,
  n: number,
  meanOver = n,
): void {
  if (n <= 0) return;
  checkBinding(device, n, "mseBackward");
  const u = cachedUniform(device, [{ u32: n }, { f32: 2 / meanOver }]);
  dispatch(device, pass, getKernel(device, MSE_BACKWARD, { MODE: 0, FINISH: 0 }), [
    dpred,
    pred,
    target,
    u,
  ], n);
}
