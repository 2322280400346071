/**
 * Training-step benchmarks: one step (forward, MSE loss, backward, global-norm gradient
 * clip, Adam update) of each of the six architectures — ours (the exact step of
 * src/nn/train.ts, recorded into one compute pass) vs the same architecture built with
 * tfjs-layers (bench/nn_models.ts) on tfjs-webgpu and tfjs-cpu, with the same weights and
 * batch. tfjs' step: `tf.variableGrads` of the MSE, the same global-norm clip from tf ops,
 * `tf.train.adam(...).applyGradients` (what `optimizer.minimize` runs, plus the clip).
 *
 * Agreement (before timing): the prediction y [B, T] and every parameter gradient of the
 * first step (GRU: all but the two tensors that differ by construction, see nn_models.ts).
 * @module
 */
import { readF32, storageBuffer, uploadBuffer } from "../src/gpu/buffers.ts";
import { GpuModel, maxFloatsPerSample } from "../src/nn/models/graph.ts";
import { type ArchName, ARCHS } from "../src/nn/models/config.ts";
import { recordTrainStep } from "../src/nn/train.ts";
import { type PresetName, PRESETS, resolveConfig } from "../src/nn/presets.ts";
import type { BenchCase, BenchContext } from "./harness.ts";
import { randomF32 } from "./harness.ts";
import {
  activationFloatsPerSample,
  buildTfModel,
  forwardFlopsPerSample,
  ourModel,
} from "./nn_models.ts";
import { type CaseSpec, runCase } from "./nn_layers.ts";
import { tf } from "./tfjs.ts";

/** Batch of the full training-step benchmark (the paper's) and of --quick. */
export const TRAIN_BATCH = 256;
/** Batch with --quick. */
export const TRAIN_BATCH_QUICK = 16;

/** Architectures of the --quick run (the smoke test: harness and agreement, not speed). */
export const QUICK_ARCHS: readonly ArchName[] = ["mlp", "lstm-attention"];

/** The presets a run covers: `--sizes` (tiny, default, paper) or tiny (--quick) / default. */
export function benchPresets(ctx: Pick<BenchContext, "quick" | "sizes">): PresetName[] {
  const want = ctx.sizes?.filter((s): s is PresetName =>
    (PRESETS as readonly string[]).includes(s)
  );
  return want?.length ? want : [ctx.quick ? "tiny" : "default"];
}

/** The training-step case of one architecture at one preset size. */
export function trainCase(
  ctx: BenchContext,
  arch: ArchName,
  preset: PresetName,
  B: number,
): CaseSpec {
  const dev = ctx.device;
  const cfg = resolveConfig(arch, preset, 101, { batch: B });
  const T = cfg.model.T, tc = cfg.train;
  const { spec, flat } = ourModel(cfg.model);
  const nParams = spec.store.count;
  const x = randomF32(B * T, 0, 1), target = randomF32(B * T, 0, 1);
  const fwd = forwardFlopsPerSample(spec) * B;
  const acts = activationFloatsPerSample(spec) * B;
  const m = cfg.model;
  return {
    c: {
      group: "train",
      name: `${arch} train step`,
      size: preset,
      shape: `B=${B} T=${T} H=${m.hidden}${
        arch === "lstm-attention" ? ` E=${m.embed} heads=${m.heads}` : ""
      } (${nParams} params)`,
      // backward ≈ 2× forward; Adam + clip ≈ 15 FLOPs per parameter
      flops: 3 * fwd + 15 * nParams,
      // x, target; activations written then read back; params, grads, m, v: 4 reads + 3 writes
      bytes: 4 * (2 * B * T + 2 * acts + 7 * nParams),
      results: [],
    },
    maxFloats: Math.max(spec.store.totalFloats, maxFloatsPerSample(spec) * B),
    tol: { atol: 1e-4, rtol: 2e-2 },
    compared: arch === "gru" ? "y, all gradients but gru.wh and gru.b" : "y, all gradients",
    ours: () => {
      const bufs = spec.store.createBuffers(dev, flat);
      const model = new GpuModel(dev, spec, bufs);
      const total = spec.store.totalFloats;
      const xb = uploadBuffer(dev, x), tb = uploadBuffer(dev, target);
      const dy = storageBuffer(dev, B * T * 4),
        loss = storageBuffer(dev, 4),
        scale = storageBuffer(dev, 4);
      let step = 0;
      let y: GPUBuffer | GPUBufferBinding | undefined;
      const io = { x: xb, target: tb, dy, loss, scale };
      const record = (pass: GPUComputePassEncoder) => {
        y = recordTrainStep(dev, pass, model, bufs, io, B, T, tc, ++step);
      };
      return {
        record,
        outputs: async () => {
          const enc = dev.createCommandEncoder();
          const pass = enc.beginComputePass();
          record(pass);
          pass.end();
          dev.queue.submit([enc.finish()]);
          const yb = "buffer" in y! ? y.buffer : y!;
          const yo = "buffer" in y! ? (y.offset ?? 0) / 4 : 0;
          const out = [await readF32(dev, yb, B * T, yo)];
          const g = await readF32(dev, bufs.grads, total);
          for (const s of spec.store.specs) out.push(Float32Array.from(spec.store.view(g, s.name)));
          return out;
        },
        dispose: () => {
          model.releaseWorkspaces();
          for (const b of [...Object.values(bufs), xb, tb, dy, loss, scale]) b.destroy();
        },
      };
    },
    tfjs: () => {
      const model = buildTfModel(spec, cfg.model, flat);
      const xt = tf.tensor2d(x, [B, T]), tt = tf.tensor2d(target, [B, T]);
      const opt = tf.train.adam(tc.lr, tc.beta1, tc.beta2, tc.eps);
      const vars = model.params.map((p) => p.v);
      const lossFn = () => tf.mean(tf.squaredDifference(model.forward(xt), tt)) as tf.Scalar;
      const step = () => {
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(lossFn, vars);
          const names = Object.keys(grads);
          const sq = tf.addN(names.map((n) => tf.sum(tf.square(grads[n]!))));
          const s = Number.isFinite(tc.clip)
            ? tf.minimum(1, tf.div(tc.clip, tf.sqrt(sq)))
            : tf.scalar(1);
          opt.applyGradients(names.map((n) => ({ name: n, tensor: tf.mul(grads[n]!, s) })));
          value.dispose();
        });
      };
      return {
        step,
        outputs: async () => {
          // Compare the first step's prediction and gradients (the weights are still ours).
          const y = model.forward(xt);
          const yv = Float32Array.from(await y.data() as Float32Array);
          y.dispose();
          const { value, grads } = tf.variableGrads(lossFn, vars);
          value.dispose();
          const byName = new Map<string, Float32Array | null>();
          for (const p of model.params) {
            const g = Float32Array.from(await grads[p.v.name]!.data() as Float32Array);
            let off = 0;
            for (const n of p.ours) {
              const size = spec.store.spec(n).size;
              byName.set(n, p.compare ? g.slice(off, off + size) : null);
              off += size;
            }
          }
          tf.dispose(Object.values(grads));
          step(); // the first optimiser step (also the warm-up)
          return [yv, ...spec.store.specs.map((s) => byName.get(s.name) ?? null)];
        },
        dispose: () => {
          tf.dispose([xt, tt]);
          opt.dispose();
          model.dispose();
        },
      };
    },
  };
}

/**
 * Runs the training-step benchmarks (default size, batch 256; --quick: tiny, batch 16,
 * {@link QUICK_ARCHS}; `--sizes` picks the presets, e.g. default,paper).
 * @returns one case per architecture and size
 */
export async function benchTrain(
  ctx: BenchContext,
  archs?: readonly ArchName[],
): Promise<BenchCase[]> {
  archs ??= (ctx.archs as ArchName[] | undefined) ?? (ctx.quick ? QUICK_ARCHS : ARCHS);
  const B = ctx.quick ? TRAIN_BATCH_QUICK : TRAIN_BATCH;
  const out: BenchCase[] = [];
  for (const preset of benchPresets(ctx)) {
    for (const arch of archs) out.push(await runCase(ctx, trainCase(ctx, arch, preset, B)));
  }
  return out;
}
