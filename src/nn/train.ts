/**
 * The trainer: mini-batch Adam on MSE over a dataset's train split, validation each epoch,
 * best checkpoint by validation loss, early stopping, input-noise augmentation, and exact
 * resume.
 *
 * GPU schedule: a whole training step (forward, loss, backward, global-norm clip, Adam) is
 * recorded into one compute pass, `stepsPerSubmit` steps into one submission; the per-step
 * losses land in a small buffer that is read back one submission late (the GPU keeps
 * working while we wait), so there is no readback inside a step or an epoch beyond one
 * ~11 ms wait per submission on llvmpipe (docs/architecture.md, "GPU rules").
 *
 * Determinism: the shuffle of epoch e draws from `Rng(seed, SHUFFLE_STREAM, e)` and the
 * input noise (Rician SNR augmentation, src/nn/augment.ts, then Gaussian `noise`, per
 * spectrum in batch order) from `Rng(seed, NOISE_STREAM, e)`; noisy validation (optional)
 * draws from a fresh `Rng(seed, VAL_NOISE_STREAM)` each time, so every epoch validates on
 * the same inputs. So a run resumed after epoch e sees the same batches as an
 * uninterrupted one; with the weights and Adam moments restored bit-exactly, it reproduces
 * the uninterrupted run's final weights.
 * @module
 */
import { readF32, storageBuffer } from "../gpu/buffers.ts";
import { exists, writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import { alignFloats, type ParamBuffers } from "./params.ts";
import { buildModel } from "./models/mod.ts";
import { GpuModel } from "./models/graph.ts";
import { mseBackward, mseForward } from "./loss.ts";
import { adamUpdate, gradNormClip } from "./adam.ts";
import { zeroFill } from "./fill.ts";
import { accumulate } from "./add.ts";
import { augmentInto } from "./augment.ts";
import { scratchBuffer, subRef } from "./_uniforms.ts";
import { maxChunkFor } from "./predict.ts";
import { prepareModelInput } from "./model_input.ts";
import { lossScale, scaleTarget } from "./scaling.ts";
import type { TrainingData } from "./training_data.ts";
import { learningRate } from "./schedule.ts";
import type { RunConfig, TrainConfig } from "./presets.ts";
import type { BufRef } from "./types.ts";
import { loadResumeConfig } from "./run_resume.ts";
import {
  configToJson,
  loadModel,
  loadOptimizer,
  type OptimizerState,
  runPaths,
  saveModel,
  saveOptimizer,
} from "./checkpoint.ts";

/** RNG stream of the per-epoch shuffle. */
export const SHUFFLE_STREAM = 0x5f1;
/** RNG stream of the per-epoch input noise. */
export const NOISE_STREAM = 0x9015e;
/** RNG stream of the validation inputs' noise (with `noisyValidation`). */
export const VAL_NOISE_STREAM = 0x9015f;

/** One line of log.jsonl. */
export interface EpochLog {
  epoch: number;
  /** Mean training loss over the epoch's steps (null for epoch 0, the initial state). */
  train_loss: number | null;
  val_loss: number;
  samples_per_s: number;
  /** Seconds since the run (or this resumed part of it) started. */
  time: number;
}

/** Progress callback: after each submission and each epoch. */
export interface TrainProgress {
  epoch: number;
  epochs: number;
  /** Samples done in this epoch / in the epoch. */
  done: number;
  total: number;
  samplesPerS: number;
  /** Latest known training loss (NaN at the start of an epoch). */
  loss: number;
}

/** Options of {@link train}. */
export interface TrainOptions {
  /** Run directory (checkpoints, config.json, log.jsonl); undefined = keep nothing on disk. */
  out?: string;
  /** Continue from `out`'s optimizer.safetensors. */
  resume?: boolean;
  onProgress?: (p: TrainProgress) => void;
  onEpoch?: (e: EpochLog) => void;
  /** Stop after this many epochs of this call (simulates an interruption in tests). */
  stopAfterEpochs?: number;
  /** Preset name recorded in config.json (for the dashboard; not used in training). */
  preset?: string;
  /** More fields recorded in config.json when a run starts (e.g. `dataset`, run_dataset.ts). */
  record?: Record<string, unknown>;
  /** One-line notes worth telling the user (e.g. that batches run in slices). */
  onNote?: (msg: string) => void;
  /**
   * At most this many spectra per slice of a batch (default: as many as fit one storage
   * binding); see {@link batchSliceSize}. Slicing caps memory, not the result.
   */
  maxSlice?: number;
}

/** What {@link train} returns. */
export interface TrainResult {
  log: EpochLog[];
  /** Loss of every step in order (this call's steps only). */
  stepLosses: number[];
  /** Flat weights after the last epoch (the store's layout). */
  finalParams: Float32Array;
  /** Flat weights of the best epoch by validation loss. */
  bestParams: Float32Array;
  bestVal: number;
  bestEpoch: number;
  /** Validation loss before any training (NaN when resumed). */
  initialVal: number;
  stoppedEarly: boolean;
  step: number;
}

const _STAGING = GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST;

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
function _forwardLoss(
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
  const y = _forwardLoss(device, pass, model, io, B, T, sliceB, (y, s, b) => {
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
 * Trains a model.
 * @param device the GPU device
 * @param data training data (see {@link readTrainingData})
 * @param cfg model + training configuration; on resume it must match the run's config.json
 *   except for `epochs`
 * @throws InputError when resuming a run that does not fit
 * @example
 * const data = await readTrainingData("data/train.safetensors");
 * const cfg = resolveConfig("lstm-attention", "default", data.T);
 * const { bestVal } = await train(device, data, cfg, { out: "runs/a" });
 */
export async function train(
  device: GPUDevice,
  data: TrainingData,
  cfg: RunConfig,
  opts: TrainOptions = {},
): Promise<TrainResult> {
  const tc = cfg.train;
  const T = data.T;
  if (cfg.model.T !== T) {
    throw new InputError(
      `${data.source}: spectra have ${T} offsets but the model expects ${cfg.model.T}`,
    );
  }
  if (cfg.model.input && !data.t1S) {
    throw new InputError(
      `${data.source}: a T1-informed model (--input formula) needs each spectrum's water T1; the dataset has no water_t1_s column (make it with quass simulate dataset)`,
    );
  }
  const spec = buildModel(cfg.model);
  const store = spec.store;
  const total = store.totalFloats;
  const paths = opts.out ? runPaths(opts.out) : undefined;

  let state: OptimizerState | undefined;
  let log: EpochLog[] = [];
  if (opts.resume) {
    if (!paths) throw new InputError("--resume needs --out (the run directory to continue)");
    await loadResumeConfig(paths.config, { arch: cfg.model.arch, cfg });
    state = await loadOptimizer(paths.optimizer, cfg.model.arch, total);
    try {
      const text = await Deno.readTextFile(paths.log);
      log = text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as EpochLog).filter((
        e,
      ) => e.epoch <= state!.epoch);
    } catch {
      log = [];
    }
  }

  if (paths && !opts.resume && await exists(paths.optimizer)) {
    throw new InputError(
      `${opts.out} already holds a training run; pass --resume to continue it or choose another --out`,
    );
  }
  const bufs = store.createBuffers(device, state ? state.params : store.initialValues(tc.seed));
  if (state) {
    device.queue.writeBuffer(bufs.m, 0, state.m);
    device.queue.writeBuffer(bufs.v, 0, state.v);
  }
  const model = new GpuModel(device, spec, bufs);
  if (paths && !opts.resume) {
    // `data` and `preset` only describe the run (dashboard); resume compares model/train.
    const described = {
      ...JSON.parse(configToJson(cfg)),
      data: data.source,
      preset: opts.preset ?? "custom",
      ...opts.record,
    };
    await writeFileAtomic(paths.config, JSON.stringify(described, null, 2) + "\n");
    await Deno.remove(paths.log).catch(() => {});
  }

  const B = tc.batch;
  const K = tc.stepsPerSubmit;
  const fit = maxChunkFor(device, spec);
  const C = spec.C ?? 0;
  let sliceB: number;
  try {
    sliceB = batchSliceSize(B, T, Math.min(fit, opts.maxSlice ?? Infinity), C);
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
  const slot = alignFloats(B * T), cSlot = alignFloats(B * C);
  const xBuf = storageBuffer(device, K * slot * 4, "train_x");
  const cBuf = C ? storageBuffer(device, K * cSlot * 4, "train_c") : undefined;
  const tBuf = storageBuffer(device, K * slot * 4, "train_t");
  const dyBuf = storageBuffer(device, B * T * 4, "train_dy");
  const lossBuf = storageBuffer(device, K * 64 * 4, "train_loss");
  const scaleBuf = storageBuffer(device, 4, "clip_scale");
  const hostX = new Float32Array(K * slot), hostT = new Float32Array(K * slot);
  const hostC = new Float32Array(K * cSlot);

  const aug = tc.snrAugment;
  const t1Of = data.t1S;
  const t1One = new Float32Array(1);
  const scaling = cfg.model.scaling, baseRow = new Float32Array(T);
  // the network's MSE → the model's, in Z units (scaling.ts)
  const toZ = lossScale(cfg.model);
  /**
   * Writes spectra `idx` into slot k of the host staging arrays; with a noise stream, the
   * inputs get the SNR augmentation `augment` (if any), then Gaussian noise of σ `gauss`;
   * then the model's input is made from the (noisy) spectrum (model_input.ts).
   */
  const fill = (
    k: number,
    idx: ArrayLike<number>,
    from: number,
    count: number,
    noise: Rng | null,
    augment: typeof aug = null,
    gauss = 0,
  ) => {
    for (let j = 0; j < count; j++) {
      const s = idx[from + j]! * T, d = k * slot + j * T;
      hostX.set(data.input.subarray(s, s + T), d);
      hostT.set(data.target.subarray(s, s + T), d);
      if (noise && augment) {
        const row = hostX.subarray(d, d + T);
        augmentInto(row, row, 1, T, noise, augment);
      }
      if (noise && gauss > 0) {
        for (let i = 0; i < T; i++) hostX[d + i]! += gauss * noise.normal();
      }
      if (t1Of) t1One[0] = t1Of[idx[from + j]!]!;
      const features = hostC.subarray(k * cSlot + j * C, k * cSlot + (j + 1) * C);
      prepareModelInput(cfg.model, hostX.subarray(d, d + T), 1, t1One, data.offsetsPpm, {
        features,
        base: baseRow,
      });
      if (scaling) scaleTarget(hostT.subarray(d, d + T), baseRow, 1, scaling);
    }
  };
  const slice = (buf: GPUBuffer, k: number, count: number): GPUBufferBinding => ({
    buffer: buf,
    offset: k * slot * 4,
    size: count * T * 4,
  });
  const cSlice = (k: number, count: number): GPUBufferBinding | undefined =>
    cBuf && { buffer: cBuf, offset: k * cSlot * 4, size: count * C * 4 };
  const upload = (chunks: number) => {
    device.queue.writeBuffer(xBuf, 0, hostX, 0, chunks * slot);
    device.queue.writeBuffer(tBuf, 0, hostT, 0, chunks * slot);
    if (cBuf) device.queue.writeBuffer(cBuf, 0, hostC, 0, chunks * cSlot);
  };

  /** Mean validation MSE (one readback per K chunks). */
  const validate = async (): Promise<number> => {
    const idx = data.valIdx;
    const valNoise = aug && tc.noisyValidation ? new Rng(tc.seed, VAL_NOISE_STREAM) : null;
    let sum = 0;
    for (let start = 0; start < idx.length; start += K * B) {
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      const counts: number[] = [];
      for (let k = 0; k < K && start + k * B < idx.length; k++) {
        const c = Math.min(B, idx.length - start - k * B);
        fill(k, idx, start + k * B, c, valNoise, aug);
        counts.push(c);
      }
      upload(counts.length);
      counts.forEach((c, k) => {
        const io = {
          x: slice(xBuf, k, c),
          c: cSlice(k, c),
          target: slice(tBuf, k, c),
          loss: { buffer: lossBuf, offset: k * 256, size: 4 },
        };
        _forwardLoss(device, pass, model, io, c, T, sliceB);
      });
      pass.end();
      const staging = device.createBuffer({ size: K * 256, usage: _STAGING });
      enc.copyBufferToBuffer(lossBuf, 0, staging, 0, K * 256);
      device.queue.submit([enc.finish()]);
      const l = await _drain(staging, K * 64);
      counts.forEach((c, k) => (sum += l[k * 64]! * c));
    }
    return (sum / idx.length) * toZ;
  };

  const t0 = performance.now();
  let step = state?.step ?? 0;
  let epoch = state?.epoch ?? 0;
  let bestVal = state?.bestVal ?? Infinity;
  let bestEpoch = state?.bestEpoch ?? 0;
  let badEpochs = state?.badEpochs ?? 0;
  let bestParams: Float32Array | undefined;
  let initialVal = NaN;
  const stepLosses: number[] = [];
  const epochRng = new Rng(tc.seed, SHUFFLE_STREAM);
  if (state) epochRng.state = state.rngState;

  if (!state) {
    initialVal = await validate();
    const e0: EpochLog = {
      epoch: 0,
      train_loss: null,
      val_loss: initialVal,
      samples_per_s: 0,
      time: 0,
    };
    log.push(e0);
    opts.onEpoch?.(e0);
  }

  const nTrain = data.trainIdx.length;
  const stepsPerEpoch = Math.ceil(nTrain / B);
  const totalSteps = stepsPerEpoch * tc.epochs;
  let stoppedEarly = tc.patience > 0 && badEpochs >= tc.patience;
  let epochsThisCall = 0;
  while (epoch < tc.epochs && !stoppedEarly) {
    if (opts.stopAfterEpochs !== undefined && epochsThisCall >= opts.stopAfterEpochs) break;
    const te = performance.now();
    const order = new Rng(tc.seed, SHUFFLE_STREAM, epoch).shuffle(
      Uint32Array.from(data.trainIdx),
    ) as Uint32Array;
    const noise = tc.noise > 0 || aug ? new Rng(tc.seed, NOISE_STREAM, epoch) : null;
    const losses: number[] = [];
    let pending: Promise<void> | undefined;
    let done = 0;
    opts.onProgress?.({
      epoch: epoch + 1,
      epochs: tc.epochs,
      done,
      total: nTrain,
      samplesPerS: 0,
      loss: NaN,
    });
    for (let s0 = 0; s0 < stepsPerEpoch; s0 += K) {
      const counts: number[] = [];
      for (let k = 0; k < K && s0 + k < stepsPerEpoch; k++) {
        const from = (s0 + k) * B;
        const c = Math.min(B, nTrain - from);
        fill(k, order, from, c, noise, aug, tc.noise);
        counts.push(c);
      }
      upload(counts.length);
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      counts.forEach((c, k) => {
        step++;
        const lr = learningRate(tc.lrSchedule, tc.lr, step, totalSteps);
        recordTrainStep(
          device,
          pass,
          model,
          bufs,
          {
            x: slice(xBuf, k, c),
            c: cSlice(k, c),
            target: slice(tBuf, k, c),
            dy: { buffer: dyBuf, offset: 0, size: c * T * 4 },
            loss: { buffer: lossBuf, offset: k * 256, size: 4 },
            scale: scaleBuf,
          },
          c,
          T,
          { ...tc, lr },
          step,
          sliceB,
        );
      });
      pass.end();
      const staging = device.createBuffer({ size: K * 256, usage: _STAGING });
      enc.copyBufferToBuffer(lossBuf, 0, staging, 0, K * 256);
      device.queue.submit([enc.finish()]);
      // Wait for the previous submission only: the GPU works on this one meanwhile.
      if (pending) await pending;
      const nSteps = counts.length;
      const batchSamples = counts.reduce((a, b) => a + b, 0);
      pending = _drain(staging, K * 64).then((l) => {
        for (let k = 0; k < nSteps; k++) losses.push(l[k * 64]! * toZ);
        done += batchSamples;
        const el = (performance.now() - te) / 1000;
        opts.onProgress?.({
          epoch: epoch + 1,
          epochs: tc.epochs,
          done,
          total: nTrain,
          samplesPerS: done / Math.max(el, 1e-9),
          loss: losses[losses.length - 1]!,
        });
      });
    }
    if (pending) await pending;
    const trainSeconds = (performance.now() - te) / 1000;
    epoch++;
    epochsThisCall++;
    stepLosses.push(...losses);
    const val = await validate();
    const trainLoss = losses.reduce((a, b) => a + b, 0) / losses.length;
    if (!Number.isFinite(trainLoss) || !Number.isFinite(val)) {
      throw new Error(
        `training diverged at epoch ${epoch} (train loss ${trainLoss}, val loss ${val}); lower --lr or set --clip`,
      );
    }
    const params = await readF32(device, bufs.params, total);
    if (val < bestVal) {
      bestVal = val;
      bestEpoch = epoch;
      badEpochs = 0;
      bestParams = params;
      if (paths) {
        await saveModel(paths.model, store, params, cfg, {
          offsetsPpm: data.offsetsPpm,
          protocol: data.protocol,
          epoch,
          valLoss: val,
        });
      }
    } else {
      badEpochs++;
    }
    if (tc.patience > 0 && badEpochs >= tc.patience) stoppedEarly = true;
    const e: EpochLog = {
      epoch,
      train_loss: trainLoss,
      val_loss: val,
      samples_per_s: nTrain / trainSeconds,
      time: (performance.now() - t0) / 1000,
    };
    log.push(e);
    opts.onEpoch?.(e);
    if (paths) {
      await writeFileAtomic(paths.log, log.map((l) => JSON.stringify(l)).join("\n") + "\n");
      // Advance the epoch RNG once per epoch so its checkpointed state says where we are.
      epochRng.nextU32();
      await saveOptimizer(paths.optimizer, cfg, {
        params,
        m: await readF32(device, bufs.m, total),
        v: await readF32(device, bufs.v, total),
        step,
        epoch,
        bestVal,
        bestEpoch,
        badEpochs,
        rngState: epochRng.state,
      });
    }
  }
  const finalParams = await readF32(device, bufs.params, total);
  if (!bestParams) {
    // Resumed with no new best in this call: the best weights are on disk (or, with no
    // run directory, no epoch ran at all and the current weights are all we have).
    bestParams = paths && await exists(paths.model)
      ? (await loadModel(paths.model)).flat
      : finalParams;
  }
  for (const b of [xBuf, tBuf, dyBuf, lossBuf, scaleBuf, ...(cBuf ? [cBuf] : [])]) b.destroy();
  model.releaseWorkspaces();
  for (const b of Object.values(bufs)) b.destroy();
  return {
    log,
    stepLosses,
    finalParams,
    bestParams,
    bestVal,
    bestEpoch,
    initialVal,
    stoppedEarly,
    step,
  };
}
