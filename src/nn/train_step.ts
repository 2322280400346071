/**
 * One training step on the GPU: forward and MSE over a batch (in slices when its buffers
 * exceed one storage binding), the backward, global-norm clipping and the Adam update, all
 * recorded into one compute pass; and the readback of the per-chunk losses one submission
 * holds. The loop around it is src/nn/train.ts.
 * @module
 */
import { accumulate } from "./add.ts";
import { adamUpdate, gradNormClip } from "./adam.ts";
import { zeroFill } from "./fill.ts";
import { mseBackward, mseForward } from "./loss.ts";
import type { GpuModel, ModelSpec } from "./models/graph.ts";
import { InputError } from "../util/errors.ts";
import type { ParamBuffers } from "./params.ts";
import { maxChunkFor } from "./predict.ts";
import type { TrainConfig } from "./presets.ts";
import type { BufRef } from "./types.ts";
import { scratchBuffer, subRef } from "./_uniforms.ts";

const _STAGING = GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST;

/** Floats between two chunks' losses in a loss buffer (one 256-byte slot per chunk). */
export const LOSS_STRIDE = 64;

/**
 * Ends `pass`, copies the first `K` chunks' losses of `lossBuf` into a new staging buffer
 * and submits `enc`; read the staging buffer with {@link drainLosses}.
 */
export function submitWithLosses(
  device: GPUDevice,
  enc: GPUCommandEncoder,
  pass: GPUComputePassEncoder,
  lossBuf: GPUBuffer,
  K: number,
): GPUBuffer {
  pass.end();
  const staging = device.createBuffer({ size: K * LOSS_STRIDE * 4, usage: _STAGING });
  enc.copyBufferToBuffer(lossBuf, 0, staging, 0, K * LOSS_STRIDE * 4);
  device.queue.submit([enc.finish()]);
  return staging;
}

/** The K chunks' losses of a staging buffer from {@link submitWithLosses} (then destroyed). */
export function drainLosses(staging: GPUBuffer, K: number): Promise<number[]> {
  return _drain(staging, K * LOSS_STRIDE).then((l) =>
    Array.from({ length: K }, (_, k) => l[k * LOSS_STRIDE]!)
  );
}

/** Reads the mapped floats of a staging buffer, then destroys it. */
async function _drain(buf: GPUBuffer, n: number): Promise<Float32Array> {
  await buf.mapAsync(GPUMapMode.READ);
  const out = new Float32Array(buf.getMappedRange().slice(0, n * 4));
  buf.unmap();
  buf.destroy();
  return out;
}

/** Buffers a training step reads and writes besides the model's own. */
export interface TrainStepBuffers {
  /** Inputs [B, T]. */
  x: BufRef;
  /** Per-spectrum features [B, C] of a model that takes some (see ModelSpec.C). */
  c?: BufRef;
  /** Targets [B, T]. */
  target: BufRef;
  /** Scratch for the loss gradient [B, T]. */
  dy: BufRef;
  /** Receives the batch's MSE (1 float). */
  loss: BufRef;
  /** Scratch for the clip scale (1 float). */
  scale: BufRef;
}

/**
 * Spectra per slice of a batch of B whose buffers must each fit one storage binding: B when
 * the whole batch fits, else the largest multiple of the spectra count whose byte offset is
 * always 256-aligned (64 / gcd(T, 64); 64 at T = 101) below `maxB`; with C features per
 * spectrum their slices must be aligned too.
 * @param maxB the largest batch whose buffers fit (see maxChunkFor)
 * @param C features per spectrum (0: none)
 * @throws RangeError when not even one aligned slice fits
 */
export function batchSliceSize(B: number, T: number, maxB: number, C = 0): number {
  if (B <= maxB) return B;
  const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);
  const unitOf = (w: number) => 64 / gcd(64, w);
  const u = unitOf(T), v = C ? unitOf(C) : 1;
  const unit = (u * v) / gcd(u, v);
  const b = Math.floor(maxB / unit) * unit;
  if (b < 1) {
    throw new RangeError(
      `a batch slice must hold ${unit} spectra (256-byte aligned at ${T} offsets) but only ${maxB} fit ` +
        `one storage binding on this adapter; use a smaller model width`,
    );
  }
  return b;
}

/**
 * Records forward and loss over a batch in slices of `sliceB` spectra (see
 * {@link batchSliceSize}); `perSlice(y, start, count)` runs after each slice's loss (the
 * training step records its backward there). The loss is the mean over the whole batch.
 */
export function recordForwardLoss(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  model: GpuModel,
  io: Pick<TrainStepBuffers, "x" | "c" | "target" | "loss">,
  B: number,
  T: number,
  sliceB: number,
  perSlice?: (y: BufRef, start: number, count: number) => void,
): BufRef {
  // One slice writes the batch mean straight into `loss`; several add their shares
  // (slice sum / (B·T)) from a scratch float into the zeroed loss.
  const sliced = sliceB < B;
  const part = sliced ? scratchBuffer(device, "loss-slice", 4) : io.loss;
  if (sliced) zeroFill(device, pass, io.loss, 1);
  let y: BufRef = io.x;
  const C = model.spec.C ?? 0;
  for (let s = 0; s < B; s += sliceB) {
    const b = Math.min(sliceB, B - s);
    y = model.forward(pass, subRef(io.x, s * T, b * T), b, io.c && subRef(io.c, s * C, b * C));
    mseForward(device, pass, part, y, subRef(io.target, s * T, b * T), b * T, B * T);
    if (sliced) accumulate(device, pass, io.loss, part, 1);
    perSlice?.(y, s, b);
  }
  return y;
}

/**
 * Records one training step into `pass`: forward, the MSE and its gradient, backward into
 * zeroed gradients, global-norm clipping and an Adam update. A batch whose buffers exceed one
 * storage binding runs in slices (see {@link batchSliceSize}) whose gradients add up in
 * place: the same step as one over the whole batch, up to float summation order.
 * @param step the Adam step number (1 for the first update)
 * @param sliceB spectra per slice (default: the largest that fits this device)
 * @returns the model output y [B, T] (of the last slice when the batch is sliced)
 */
export function recordTrainStep(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  model: GpuModel,
  bufs: ParamBuffers,
  io: TrainStepBuffers,
  B: number,
  T: number,
  tc: TrainConfig,
  step: number,
  sliceB = batchSliceSize(B, T, maxChunkFor(device, model.spec), model.spec.C),
): BufRef {
  const total = model.spec.store.totalFloats;
  zeroFill(device, pass, bufs.grads, total);
  const y = recordForwardLoss(device, pass, model, io, B, T, sliceB, (y, s, b) => {
    const dy = subRef(io.dy, s * T, b * T);
    mseBackward(device, pass, dy, y, subRef(io.target, s * T, b * T), b * T, B * T);
    model.backward(pass, dy, b);
  });
  gradNormClip(device, pass, io.scale, bufs.grads, total, tc.clip);
  adamUpdate(device, pass, bufs.params, bufs.grads, bufs.m, bufs.v, io.scale, total, {
    lr: tc.lr,
    beta1: tc.beta1,
    beta2: tc.beta2,
    eps: tc.eps,
    weightDecay: tc.weightDecay,
    step,
  });
  return y;
}

/**
 * The slice size of the trainer's batches of B spectra (see {@link batchSliceSize}), told
 * through `onNote` when batches run in slices.
 * @param opts.maxSlice at most this many spectra per slice (default: as many as fit)
 * @throws InputError when not even one aligned slice fits
 */
export function trainSliceSize(
  device: GPUDevice,
  spec: ModelSpec,
  B: number,
  T: number,
  opts: { maxSlice?: number; onNote?: (msg: string) => void },
): number {
  const fit = maxChunkFor(device, spec);
  let sliceB: number;
  try {
    sliceB = batchSliceSize(B, T, Math.min(fit, opts.maxSlice ?? Infinity), spec.C ?? 0);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const fix = (opts.maxSlice ?? Infinity) < fit ? "raise --max-slice" : "use a smaller --hidden";
    throw new InputError(`${e.message.replace(/; use a smaller model width$/, "")}; ${fix}`, {
      cause: e,
    });
  }
  if (sliceB < B) {
    const why = fit < B
      ? `its buffers exceed this adapter's ${
        device.limits.maxStorageBufferBindingSize / 2 ** 20
      } MiB binding limit`
      : `at most ${opts.maxSlice} asked for`;
    opts.onNote?.(
      `batch ${B} runs in slices of ${sliceB} spectra (gradients summed: the same step); ${why}`,
    );
  }
  return sliceB;
}
