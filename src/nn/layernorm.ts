/**
 * Layer normalisation over the channel dimension of [M, C] rows, forward and backward
 * (llm.c layernorm_forward/backward).
 * @module
 */
import { dispatch, getKernel, kernelsOf } from "../gpu/kernel.ts";
import { cachedUniform, checkBinding, scratchBuffer } from "./_uniforms.ts";
import { colSumAcc } from "./add.ts";
import type { BufRef } from "./types.ts";

/** Rows per block of the parameter-gradient partial sums (LN_ROWS in the shader). */
export const LN_BLOCK_ROWS = 128;

/** Default ε added to the variance (PyTorch's and llm.c's value). */
export const LAYERNORM_EPS = 1e-5;

const _kernel = kernelsOf("layernorm.wgsl", 64);

/** out, mean, rstd from inp, gamma, beta. */
export const LAYERNORM_FORWARD = _kernel(
  "layernorm_forward",
  ["storage", "storage", "storage", "read", "read", "read", "uniform"],
  "layer norm forward, one thread per row",
);
/** dinp += ... */
export const LAYERNORM_BACKWARD_INP = _kernel(
  "layernorm_backward_inp",
  ["storage", "read", "read", "read", "read", "read", "uniform"],
  "layer norm backward to the input, one thread per row",
);
/** dgamma, dbeta += ... */
export const LAYERNORM_BACKWARD_PARAMS = _kernel(
  "layernorm_backward_params",
  ["storage", "storage", "read", "read", "read", "read", "uniform"],
  "layer norm backward to gamma and beta: partial sums over blocks of rows",
);

/**
 * Records out = (inp − mean)·rstd·gamma + beta per row, saving mean [M] and rstd [M] for
 * the backward pass.
 * @param eps added to the variance (default {@link LAYERNORM_EPS})
 * @example
 * layernormForward(device, pass, y, mean, rstd, x, gamma, beta, B * T, D);
 */
export function layernormForward(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  out: BufRef,
  mean: BufRef,
  rstd: BufRef,
  inp: BufRef,
  gamma: BufRef,
  beta: BufRef,
  M: number,
  C: number,
  eps = LAYERNORM_EPS,
): void {
  if (M <= 0) return;
  checkBinding(device, M * C, "layernormForward");
  const u = cachedUniform(device, [{ u32: M }, { u32: C }, { f32: eps }]);
  dispatch(device, pass, getKernel(device, LAYERNORM_FORWARD), [
    out,
    mean,
    rstd,
    inp,
    gamma,
    beta,
    u,
  ], M);
}

/**
 * Records the backward of {@link layernormForward}, accumulating into dinp [M, C],
 * dgamma [C] and dbeta [C].
 * @param eps the forward call's ε (the saved rstd already holds it; kept for symmetry)
 */
export function layernormBackward(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  dinp: BufRef,
  dgamma: BufRef,
  dbeta: BufRef,
  dout: BufRef,
  inp: BufRef,
  gamma: BufRef,
  mean: BufRef,
  rstd: BufRef,
  M: number,
  C: number,
  eps = LAYERNORM_EPS,
): void {
  if (M <= 0) return;
  checkBinding(device, M * C, "layernormBackward");
  const u = cachedUniform(device, [{ u32: M }, { u32: C }, { f32: eps }]);
  dispatch(device, pass, getKernel(device, LAYERNORM_BACKWARD_INP), [
    dinp,
    dout,
    inp,
    gamma,
    mean,
    rstd,
    u,
  ], M);
  const blocks = Math.ceil(M / LN_BLOCK_ROWS);
  const pg = scratchBuffer(device, "layernorm-dgamma", blocks * C * 4);
  const pb = scratchBuffer(device, "layernorm-dbeta", blocks * C * 4);
  dispatch(device, pass, getKernel(device, LAYERNORM_BACKWARD_PARAMS), [
    pg,
    pb,
    dout,
    inp,
    mean,
    rstd,
    u,
  ], blocks * C);
  colSumAcc(device, pass, dgamma, pg, blocks, C);
  colSumAcc(device, pass, dbeta, pb, blocks, C);
}
