/**
 * The trainer's batch staging: K chunks of B spectra gathered on the host (inputs, targets
 * and per-spectrum features, with the optional input noise), uploaded in one write per
 * buffer, and the GPU slices a training step or a validation pass binds.
 * @module
 */
import { storageBuffer } from "../gpu/buffers.ts";
import type { Rng } from "../util/rng.ts";
import { augmentInto } from "./augment.ts";
import { prepareModelInput } from "./model_input.ts";
import { alignFloats } from "./params.ts";
import type { ModelConfig } from "./models/config.ts";
import type { TrainConfig } from "./presets.ts";
import { scaleTarget } from "./scaling.ts";
import type { TrainingData } from "./training_data.ts";
import { LOSS_STRIDE, type TrainStepBuffers } from "./train_step.ts";

/** Host and GPU buffers for K chunks of up to B spectra each. */
export class BatchStaging {
  readonly #device: GPUDevice;
  readonly #data: TrainingData;
  readonly #model: ModelConfig;
  readonly #T: number;
  readonly #C: number;
  readonly #slot: number;
  readonly #cSlot: number;
  readonly #xBuf: GPUBuffer;
  readonly #cBuf: GPUBuffer | undefined;
  readonly #tBuf: GPUBuffer;
  /** Receives each chunk's loss, one 256-byte slot per chunk. */
  readonly lossBuf: GPUBuffer;
  readonly #hostX: Float32Array;
  readonly #hostT: Float32Array;
  readonly #hostC: Float32Array;
  readonly #t1One = new Float32Array(1);
  readonly #baseRow: Float32Array;

  /** @param C features per spectrum the model takes (0: none) */
  constructor(
    device: GPUDevice,
    data: TrainingData,
    model: ModelConfig,
    B: number,
    K: number,
    C: number,
  ) {
    const T = data.T;
    this.#device = device;
    this.#data = data;
    this.#model = model;
    this.#T = T;
    this.#C = C;
    this.#slot = alignFloats(B * T);
    this.#cSlot = alignFloats(B * C);
    this.#xBuf = storageBuffer(device, K * this.#slot * 4, "train_x");
    this.#cBuf = C ? storageBuffer(device, K * this.#cSlot * 4, "train_c") : undefined;
    this.#tBuf = storageBuffer(device, K * this.#slot * 4, "train_t");
    this.lossBuf = storageBuffer(device, K * LOSS_STRIDE * 4, "train_loss");
    this.#hostX = new Float32Array(K * this.#slot);
    this.#hostT = new Float32Array(K * this.#slot);
    this.#hostC = new Float32Array(K * this.#cSlot);
    this.#baseRow = new Float32Array(T);
  }

  /**
   * Writes spectra `idx[from .. from + count)` into chunk k of the host arrays; with a noise
   * stream, the inputs get the SNR augmentation `augment` (if any), then Gaussian noise of σ
   * `gauss`; then the model's input is made from the (noisy) spectrum (model_input.ts).
   */
  fill(
    k: number,
    idx: ArrayLike<number>,
    from: number,
    count: number,
    noise: Rng | null,
    augment: TrainConfig["snrAugment"] = null,
    gauss = 0,
  ): void {
    const T = this.#T, C = this.#C, data = this.#data, t1Of = data.t1S;
    const hostX = this.#hostX, hostT = this.#hostT, t1One = this.#t1One;
    for (let j = 0; j < count; j++) {
      const s = idx[from + j]! * T, d = k * this.#slot + j * T;
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
      const c0 = k * this.#cSlot + j * C;
      const features = this.#hostC.subarray(c0, c0 + C);
      prepareModelInput(this.#model, hostX.subarray(d, d + T), 1, t1One, data.offsetsPpm, {
        features,
        base: this.#baseRow,
      });
      if (this.#model.scaling) {
        scaleTarget(hostT.subarray(d, d + T), this.#baseRow, 1, this.#model.scaling);
      }
    }
  }

  /** Uploads the first `chunks` chunks. */
  upload(chunks: number): void {
    const q = this.#device.queue;
    q.writeBuffer(this.#xBuf, 0, this.#hostX, 0, chunks * this.#slot);
    q.writeBuffer(this.#tBuf, 0, this.#hostT, 0, chunks * this.#slot);
    if (this.#cBuf) q.writeBuffer(this.#cBuf, 0, this.#hostC, 0, chunks * this.#cSlot);
  }

  /** Chunk k's inputs, features, targets and loss slot, for `count` spectra. */
  chunk(k: number, count: number): Pick<TrainStepBuffers, "x" | "c" | "target" | "loss"> {
    const T = this.#T, C = this.#C, slot = this.#slot;
    return {
      x: { buffer: this.#xBuf, offset: k * slot * 4, size: count * T * 4 },
      c: this.#cBuf &&
        { buffer: this.#cBuf, offset: k * this.#cSlot * 4, size: count * C * 4 },
      target: { buffer: this.#tBuf, offset: k * slot * 4, size: count * T * 4 },
      loss: { buffer: this.lossBuf, offset: k * LOSS_STRIDE * 4, size: 4 },
    };
  }

  destroy(): void {
    for (const b of [this.#xBuf, this.#tBuf, this.lossBuf, this.#cBuf]) b?.destroy();
  }
}
