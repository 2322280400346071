/**
 * Inference: Z-spectra in, predicted QUASS spectra out, on the GPU in large batches.
 * Any N works: spectra go through in chunks sized so that the largest activation of one
 * chunk fits a storage binding; several chunks share one submission and one readback, and
 * the next group is recorded while the GPU finishes the previous one.
 * @module
 */
import { getGpu } from "../gpu/device.ts";
import { rowsPerBinding, storageBuffer } from "../gpu/buffers.ts";
import { alignFloats } from "./params.ts";
import { GpuModel, maxFloatsPerSample, type ModelSpec } from "./models/graph.ts";
import { type LoadedModel, loadModel } from "./checkpoint.ts";
import { featureCount, prepareModelInput } from "./model_input.ts";
import { unscaleOutput } from "./scaling.ts";

/** Options of {@link predictSpectra}. */
export interface PredictOptions {
  /** Spectra per chunk (default: 1024, or fewer when activations would not fit). */
  chunk?: number;
  /** Chunks per submission (default 8). */
  chunksPerSubmit?: number;
  /** Called after each group with spectra done so far. */
  onProgress?: (done: number, total: number) => void;
  device?: GPUDevice;
  /** Water T1 per spectrum, s (n values, or one for all): needed by T1-informed models. */
  t1S?: ArrayLike<number>;
}

/** Largest chunk of spectra whose biggest activation fits one storage binding of `device`. */
export function maxChunkFor(device: GPUDevice, spec: ModelSpec): number {
  return Math.max(
    1,
    rowsPerBinding(device.limits.maxStorageBufferBindingSize, 4 * maxFloatsPerSample(spec)),
  );
}

/** A model kept on the GPU for repeated predictions (e.g. slice after slice of a volume). */
export class Predictor {
  readonly loaded: LoadedModel;
  #device: GPUDevice;
  #model: GpuModel;

  /** Uploads the weights of a loaded model. */
  constructor(device: GPUDevice, loaded: LoadedModel) {
    this.#device = device;
    this.loaded = loaded;
    const bufs = loaded.spec.store.createBuffers(device, loaded.flat, { inference: true });
    this.#model = new GpuModel(device, loaded.spec, bufs);
  }

  /** Largest chunk whose activations fit one storage binding. */
  maxChunk(): number {
    return maxChunkFor(this.#device, this.loaded.spec);
  }

  /**
   * Predicts `n` measured spectra (the model's inputs are made from them by
   * model_input.ts: noise feature, formula input).
   * @param input [n, T] row-major (not modified)
   * @returns [n, T] predictions
   * @throws RangeError when `input` is shorter than n·T
   * @throws InputError when a T1-informed model gets no `opts.t1S`
   */
  async predict(input: Float32Array, n: number, opts: PredictOptions = {}): Promise<Float32Array> {
    const dev = this.#device;
    const model = this.loaded.config.model;
    const T = model.T, C = featureCount(model);
    if (input.length < n * T) {
      throw new RangeError(`Expected ${n}×${T} = ${n * T} input values but found ${input.length}`);
    }
    const out = new Float32Array(n * T);
    if (n === 0) return out;
    let features: Float32Array | undefined, base: Float32Array | undefined;
    if (C || model.input || model.scaling) {
      input = input.slice(0, n * T);
      ({ features, base } = prepareModelInput(
        model,
        input,
        n,
        opts.t1S,
        this.loaded.meta.offsetsPpm,
      ));
    }
    const chunk = Math.max(1, Math.min(opts.chunk ?? 1024, this.maxChunk(), n));
    const G = Math.max(1, opts.chunksPerSubmit ?? 8);
    const slot = alignFloats(chunk * T), cSlot = alignFloats(chunk * C);
    const xBuf = storageBuffer(dev, G * slot * 4, "predict_x");
    const cBuf = features ? storageBuffer(dev, G * cSlot * 4, "predict_c") : undefined;
    let pending: Promise<void> | undefined;
    for (let g0 = 0; g0 < n; g0 += G * chunk) {
      const enc = dev.createCommandEncoder();
      const groupN = Math.min(G * chunk, n - g0);
      const staging = dev.createBuffer({
        size: groupN * T * 4,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
      for (let k = 0; k * chunk < groupN; k++) {
        const c = Math.min(chunk, groupN - k * chunk);
        const from = (g0 + k * chunk) * T;
        dev.queue.writeBuffer(xBuf, k * slot * 4, input, from, c * T);
        if (cBuf) dev.queue.writeBuffer(cBuf, k * cSlot * 4, features!, (from / T) * C, c * C);
        const pass = enc.beginComputePass();
        const y = this.#model.forward(
          pass,
          { buffer: xBuf, offset: k * slot * 4, size: c * T * 4 },
          c,
          cBuf && { buffer: cBuf, offset: k * cSlot * 4, size: c * C * 4 },
        );
        pass.end();
        const yb = "buffer" in y ? y.buffer : y;
        const yo = "buffer" in y ? (y.offset ?? 0) : 0;
        enc.copyBufferToBuffer(yb, yo, staging, k * chunk * T * 4, c * T * 4);
      }
      dev.queue.submit([enc.finish()]);
      if (pending) await pending;
      pending = staging.mapAsync(GPUMapMode.READ).then(() => {
        out.set(new Float32Array(staging.getMappedRange()), g0 * T);
        staging.unmap();
        staging.destroy();
        opts.onProgress?.(g0 + groupN, n);
      });
    }
    if (pending) await pending;
    xBuf.destroy();
    cBuf?.destroy();
    if (model.scaling) unscaleOutput(out, base!, n, model.scaling);
    return out;
  }

  /** Frees the activation buffers (the weights stay). */
  release(): void {
    this.#model.releaseWorkspaces();
  }
}

/**
 * Predicts QUASS spectra with a trained run.
 * @param run a run directory (or its model.safetensors), or an already loaded model
 * @param input [n, T] Z-spectra at the model's offsets
 * @param n number of spectra
 * @returns [n, T] predictions
 * @throws InputError when the checkpoint is missing or invalid
 * @example
 * const q = await predictSpectra("runs/a", spectra, 1000);
 */
export async function predictSpectra(
  run: string | LoadedModel,
  input: Float32Array,
  n: number,
  opts: PredictOptions = {},
): Promise<Float32Array> {
  const loaded = typeof run === "string" ? await loadModel(run) : run;
  const device = opts.device ?? (await getGpu()).device;
  const p = new Predictor(device, loaded);
  try {
    return await p.predict(input, n, opts);
  } finally {
    p.release();
  }
}
