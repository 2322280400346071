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
import { exists } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";
import { Rng } from "../util/rng.ts";
import { buildModel } from "./models/mod.ts";
import { GpuModel } from "./models/graph.ts";
import { lossScale } from "./scaling.ts";
import type { TrainingData } from "./training_data.ts";
import { learningRate } from "./schedule.ts";
import type { RunConfig } from "./presets.ts";
import { loadModel, runPaths, saveModel } from "./checkpoint.ts";
import {
  drainLosses,
  recordForwardLoss,
  recordTrainStep,
  submitWithLosses,
  trainSliceSize,
} from "./train_step.ts";
import { BatchStaging } from "./train_batches.ts";
import { type EpochLog, openRun, recordRunStart, saveEpoch } from "./train_run.ts";

export { batchSliceSize, recordTrainStep, type TrainStepBuffers } from "./train_step.ts";
export type { EpochLog } from "./train_run.ts";

/** RNG stream of the per-epoch shuffle. */
export const SHUFFLE_STREAM = 0x5f1;
/** RNG stream of the per-epoch input noise. */
export const NOISE_STREAM = 0x9015e;
/** RNG stream of the validation inputs' noise (with `noisyValidation`). */
export const VAL_NOISE_STREAM = 0x9015f;

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

  const { state, log } = await openRun(paths, opts.out, !!opts.resume, cfg, total);
  const bufs = store.createBuffers(device, state ? state.params : store.initialValues(tc.seed));
  if (state) {
    device.queue.writeBuffer(bufs.m, 0, state.m);
    device.queue.writeBuffer(bufs.v, 0, state.v);
  }
  const model = new GpuModel(device, spec, bufs);
  if (paths && !opts.resume) {
    // `data` and `preset` only describe the run (dashboard); resume compares model/train.
    await recordRunStart(paths, cfg, {
      data: data.source,
      preset: opts.preset ?? "custom",
      ...opts.record,
    });
  }

  const B = tc.batch;
  const K = tc.stepsPerSubmit;
  const C = spec.C ?? 0;
  const sliceB = trainSliceSize(device, spec, B, T, opts);
  const batches = new BatchStaging(device, data, cfg.model, B, K, C);
  const dyBuf = storageBuffer(device, B * T * 4, "train_dy");
  const scaleBuf = storageBuffer(device, 4, "clip_scale");

  const aug = tc.snrAugment;
  // the network's MSE → the model's, in Z units (scaling.ts)
  const toZ = lossScale(cfg.model);

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
        batches.fill(k, idx, start + k * B, c, valNoise, aug);
        counts.push(c);
      }
      batches.upload(counts.length);
      counts.forEach((c, k) => {
        recordForwardLoss(device, pass, model, batches.chunk(k, c), c, T, sliceB);
      });
      const l = await drainLosses(submitWithLosses(device, enc, pass, batches.lossBuf, K), K);
      counts.forEach((c, k) => (sum += l[k]! * c));
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
        batches.fill(k, order, from, c, noise, aug, tc.noise);
        counts.push(c);
      }
      batches.upload(counts.length);
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
            ...batches.chunk(k, c),
            dy: { buffer: dyBuf, offset: 0, size: c * T * 4 },
            scale: scaleBuf,
          },
          c,
          T,
          { ...tc, lr },
          step,
          sliceB,
        );
      });
      const staging = submitWithLosses(device, enc, pass, batches.lossBuf, K);
      // Wait for the previous submission only: the GPU works on this one meanwhile.
      if (pending) await pending;
      const nSteps = counts.length;
      const batchSamples = counts.reduce((a, b) => a + b, 0);
      pending = drainLosses(staging, K).then((l) => {
        for (let k = 0; k < nSteps; k++) losses.push(l[k]! * toZ);
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
      // Advance the epoch RNG once per epoch so its checkpointed state says where we are.
      epochRng.nextU32();
      await saveEpoch(paths, log, cfg, {
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
  batches.destroy();
  for (const b of [dyBuf, scaleBuf]) b.destroy();
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
