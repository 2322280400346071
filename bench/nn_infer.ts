/**
 * Inference benchmarks: predicting a 64×64×101 volume (4,096 spectra) with each
 * architecture — ours through the library's {@link Predictor} (what `predict-spectra` and
 * the image predictor run: upload, chunked forward passes, one readback per group) vs the
 * tfjs twin (bench/nn_models.ts) on tfjs-webgpu and tfjs-cpu, in chunks of the same size,
 * reading the result back. Times are end to end (host array in, host array out).
 * @module
 */
import { maxChunkFor, Predictor } from "../src/nn/predict.ts";
import type { LoadedModel } from "../src/nn/checkpoint.ts";
import { type ArchName, ARCHS } from "../src/nn/models/config.ts";
import { type PresetName, resolveConfig } from "../src/nn/presets.ts";
import { PAPER_OFFSETS_PPM } from "../src/physics/protocol.ts";
import type { BenchCase, BenchContext } from "./harness.ts";
import { randomF32 } from "./harness.ts";
import {
  activationFloatsPerSample,
  buildTfModel,
  forwardFlopsPerSample,
  ourModel,
} from "./nn_models.ts";
import { type CaseSpec, runCase } from "./nn_layers.ts";
import { benchPresets } from "./nn_train.ts";
import { tf } from "./tfjs.ts";

/** Spectra of a 64×64 slice. */
export const VOLUME_SPECTRA = 64 * 64;
/** Spectra per forward chunk at most (ours and tfjs alike; fewer where a binding is too small). */
export const INFER_CHUNK = 1024;

/** The inference case of one architecture: n spectra at a preset size. */
export function inferCase(
  ctx: BenchContext,
  arch: ArchName,
  preset: PresetName,
  n: number,
): CaseSpec {
  const cfg = resolveConfig(arch, preset, 101);
  const T = cfg.model.T;
  const { spec, flat } = ourModel(cfg.model);
  const loaded: LoadedModel = {
    config: cfg,
    spec,
    flat,
    meta: { offsetsPpm: [...PAPER_OFFSETS_PPM], protocol: "", epoch: 0, valLoss: NaN },
  };
  // Both sides use the largest chunk whose biggest activation fits one storage binding (our
  // Predictor's rule): tfjs-webgpu does not check the limit, and past it (the LSTM-Attention
  // scores [1024, 4, 101, 101], 167 MB > llvmpipe's 128 MiB) it returns wrong numbers.
  const chunk = Math.min(INFER_CHUNK, n, maxChunkFor(ctx.device, spec));
  const x = randomF32(n * T, 0, 1);
  const side = Math.round(Math.sqrt(n));
  return {
    c: {
      group: "infer",
      name: `${arch} inference`,
      size: preset,
      shape:
        `${side}×${side}×${T} volume = ${n} spectra, chunks of ${chunk}, H=${cfg.model.hidden}`,
      flops: forwardFlopsPerSample(spec) * n,
      // spectra in and out, weights once; activations written once (reads fused away)
      bytes: 4 * (2 * n * T + spec.store.count + activationFloatsPerSample(spec) * n),
      results: [],
    },
    maxFloats: 0, // chunked: the predictor sizes its chunks to fit a binding
    tol: { atol: 1e-5, rtol: 1e-3 },
    compared: "all predicted spectra",
    ours: () => {
      const p = new Predictor(ctx.device, loaded);
      return {
        outputs: async () => [await p.predict(x, n, { chunk })],
        run: async (iters) => {
          for (let i = 0; i < iters; i++) await p.predict(x, n, { chunk });
        },
        dispose: () => p.release(),
      };
    },
    tfjs: () => {
      const model = buildTfModel(spec, cfg.model, flat);
      const predict = async () => {
        const out = new Float32Array(n * T);
        for (let s = 0; s < n; s += chunk) {
          const c = Math.min(chunk, n - s);
          const y = tf.tidy(() =>
            model.forward(tf.tensor2d(x.subarray(s * T, (s + c) * T), [c, T]))
          );
          out.set(await y.data() as Float32Array, s * T);
          y.dispose();
        }
        return out;
      };
      let last: Promise<unknown> = Promise.resolve();
      return {
        outputs: async () => [await predict()],
        step: () => {
          // Chained so that timeRuns' sync sees every chunk's readback finished.
          last = last.then(predict);
        },
        sync: () => last,
        dispose: () => model.dispose(),
      };
    },
  };
}

/**
 * Runs the inference benchmarks (default size, 4,096 spectra; --quick: tiny, 256 spectra,
 * LSTM-Attention only; `--sizes` picks the presets, e.g. default,paper).
 * @returns one case per architecture
 */
export async function benchInfer(
  ctx: BenchContext,
  archs?: readonly ArchName[],
): Promise<BenchCase[]> {
  archs ??= (ctx.archs as ArchName[] | undefined) ?? (ctx.quick ? ["lstm-attention"] : ARCHS);
  const n = ctx.quick ? 256 : VOLUME_SPECTRA;
  const out: BenchCase[] = [];
  for (const preset of benchPresets(ctx)) {
    for (const arch of archs) out.push(await runCase(ctx, inferCase(ctx, arch, preset, n)));
  }
  return out;
}
