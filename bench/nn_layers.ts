/**
 * Layer benchmarks: dense forward / backward, RNN, LSTM and GRU over 101 steps (forward,
 * forward+backward), multi-head attention (forward, forward+backward) at the `tiny`,
 * `default` and `paper` sizes with batch 256 — our WGSL kernels vs tfjs-backend-webgpu vs
 * tfjs-backend-cpu, same shapes and the same weights. Outputs (and gradients) are compared
 * with ours before anything is timed.
 *
 * tfjs side: dense = `tf.fused.matMul` (what tfjs-layers' Dense runs) and, for the
 * backward, the three products autodiff would run (dout·Wᵀ, xᵀ·dout, Σ dout); recurrent =
 * tfjs-layers SimpleRNN / LSTM / GRU layers, fwd+bwd through `tf.variableGrads`;
 * attention = tf ops (tfjs-layers 4.22 has no MultiHeadAttention), fwd+bwd via `tf.grad`.
 * tfjs-layers' GRU is Keras `reset_after=false` (ours is `true`): the two agree exactly
 * when the candidate's recurrent kernel is diagonal and its recurrent bias is 0, so the
 * GRU benchmark uses such weights (same cost for both) and compares dx, dWx and the
 * input-bias gradient (dWh differs by construction).
 * @module
 */
import { readF32, storageBuffer, uploadBuffer } from "../src/gpu/buffers.ts";
import { compileTimeMs } from "../src/gpu/kernel.ts";
import { denseBackward, denseForward } from "../src/nn/dense.ts";
import { attentionBackward, attentionForward } from "../src/nn/attention.ts";
import { zeroFill } from "../src/nn/fill.ts";
import { allocRecurrentActs, RECURRENT_BACKWARD, RECURRENT_FORWARD } from "../src/nn/recurrent.ts";
import { PRESET_VALUES } from "../src/nn/presets.ts";
import {
  type BenchCase,
  type BenchContext,
  checkAgree,
  finishCase,
  gpuRunner,
  type ImplResult,
  logResult,
  randomF32,
  timeRuns,
} from "./harness.ts";
import { syncBackend, tf, tfl, useBackend, values } from "./tfjs.ts";
import { tfAttention } from "./nn_models.ts";

/** Sequence length (offsets) and batch of every layer benchmark. */
export const T_STEPS = 101;
/** Batch size of the layer benchmarks (the paper's). */
export const BATCH = 256;
/** Batch size with --quick (smoke test: the harness, not the speed). */
export const QUICK_BATCH = 16;

/** The layer sizes of a preset: H hidden, E embedding (the recurrent input C), NH heads. */
export interface LayerSize {
  name: string;
  H: number;
  E: number;
  NH: number;
}

/** tiny, default and paper sizes, from the training presets. */
export const LAYER_SIZES: LayerSize[] = (["tiny", "default", "paper"] as const).map((name) => ({
  name,
  H: PRESET_VALUES[name].model.hidden,
  E: PRESET_VALUES[name].model.embed,
  NH: PRESET_VALUES[name].model.heads,
}));

/** Assumed sustained FLOP/s of each implementation relative to the measured peak, for skipping. */
const _SPEED = { ours: 0.25, "tfjs-webgpu": 0.15, "tfjs-cpu": 0.04 } as const;
type Impl = keyof typeof _SPEED;
const IMPLS: Impl[] = ["ours", "tfjs-webgpu", "tfjs-cpu"];

/** Why a case cannot run for an implementation here, or undefined. */
function _skipReason(
  ctx: BenchContext,
  c: BenchCase,
  impl: Impl,
  maxFloats: number,
): string | undefined {
  const limit = ctx.device.limits.maxStorageBufferBindingSize;
  if (maxFloats * 4 > limit) {
    return `a ${((maxFloats * 4) / 2 ** 20).toFixed(0)} MiB tensor exceeds the adapter's ${
      limit / 2 ** 20
    } MiB binding limit`;
  }
  // Ours always runs (the first call is checked by _tooSlow). For a baseline the napkin
  // estimate only avoids starting a call that would run for minutes.
  if (impl === "ours") return undefined;
  const estMs = (c.flops / (ctx.peak.flopsPerS * _SPEED[impl])) * 1e3;
  if (estMs > 2 * ctx.budgetMs) {
    return `estimated ${(estMs / 1e3).toFixed(1)} s per iteration (at ${
      (_SPEED[impl] * 100).toFixed(0)
    } % of the measured peak) ` +
      `exceeds the ${(ctx.budgetMs / 1e3).toFixed(0)} s budget per benchmark`;
  }
  return undefined;
}

/** A tfjs implementation of a case: returns the outputs to compare and a timed run. */
export interface TfImpl {
  /** Outputs (flattened, same order as ours; null = not compared). */
  outputs(): Promise<(Float32Array | null)[]>;
  /** One iteration (ops only; tensors disposed). */
  step(): void;
  /** Resolves when asynchronous work started by step() is done (before the backend sync). */
  sync?(): Promise<unknown>;
  dispose(): void;
}

/** Our implementation of a case. */
export interface OurImpl {
  /** Runs the operation once and reads back the outputs to compare. */
  outputs(): Promise<Float32Array[]>;
  /** Records one iteration into a pass (timed with {@link gpuRunner}) ... */
  record?(pass: GPUComputePassEncoder): void;
  /** ... or runs `iters` iterations to completion itself (e.g. inference with uploads). */
  run?(iters: number): Promise<void>;
  dispose(): void;
}

/** A benchmark case with our implementation and the tfjs one. */
export interface CaseSpec {
  c: BenchCase;
  maxFloats: number;
  ours: () => OurImpl;
  tfjs: () => TfImpl;
  /** Tolerance for each compared output (atol is scaled by max |baseline|). */
  tol: { atol: number; rtol: number };
  /** Which outputs are compared (for the note). */
  compared: string;
}

/** Times `f`, returning its result, wall ms and our shader compile ms during it. */
async function _first<V>(
  f: () => Promise<V>,
): Promise<{ v: V; firstMs: number; compileMs: number }> {
  const c0 = compileTimeMs(), t0 = performance.now();
  const v = await f();
  return { v, firstMs: performance.now() - t0, compileMs: compileTimeMs() - c0 };
}

/** Reason to stop after the first call when one iteration would not fit the budget. */
function _tooSlow(ctx: BenchContext, firstMs: number): string | undefined {
  return firstMs * 6 > ctx.budgetMs
    ? `the first call took ${(firstMs / 1e3).toFixed(1)} s; 5 timed runs would exceed the ${
      (ctx.budgetMs / 1e3).toFixed(0)
    } s budget`
    : undefined;
}

/**
 * Times `run`, unless calls are too slow for the budget: the first call (compilation and
 * readback included) decides whether a second one is tried, and that one whether the timed
 * runs are; a skip records why and the second call's time.
 */
async function _timeOrSkip(
  ctx: BenchContext,
  r: ImplResult,
  run: (iters: number) => Promise<void>,
  warm: { firstMs: number; compileMs?: number },
  opts: { targetMs: number; maxIters?: number },
): Promise<void> {
  if (!_tooSlow(ctx, warm.firstMs)) {
    r.timing = await timeRuns(run, { ...opts, warm });
    return;
  }
  const t0 = performance.now();
  await run(1);
  const oneMs = performance.now() - t0;
  const slow = _tooSlow(ctx, oneMs);
  if (slow) {
    r.oneCallMs = oneMs;
    r.skipped = slow.replace(
      "the first call",
      `a call after the first (${(warm.firstMs / 1e3).toFixed(1)} s)`,
    );
  } else {
    r.timing = await timeRuns(run, { ...opts, warm: { ...warm, oneMs } });
  }
}

/**
 * Runs a case: for ours, then tfjs-webgpu, then tfjs-cpu: skip check, one call whose
 * outputs are compared with ours (throws on disagreement), then the timed runs.
 */
export async function runCase(ctx: BenchContext, s: CaseSpec): Promise<BenchCase> {
  const { c } = s;
  const targetMs = ctx.quick ? 30 : 300;
  let ref: Float32Array[] | undefined;
  let ours: OurImpl | undefined;
  for (const impl of IMPLS) {
    const skip = ctx.impls && !ctx.impls.includes(impl)
      ? "not run (--impls)"
      : _skipReason(ctx, c, impl, s.maxFloats);
    const r: ImplResult = { impl };
    c.results.push(r);
    if (skip) {
      r.skipped = skip;
      logResult(c, r);
      continue;
    }
    if (impl === "ours") {
      ours = s.ours();
      const f = await _first(() => ours!.outputs());
      ref = f.v;
      const o = ours;
      const run = o.run
        ? (n: number) => o.run!(n)
        : gpuRunner(ctx.device, (pass) => o.record!(pass));
      await _timeOrSkip(ctx, r, run, { firstMs: f.firstMs, compileMs: f.compileMs }, { targetMs });
    } else {
      await useBackend(impl === "tfjs-webgpu" ? "webgpu" : "cpu");
      const t = s.tfjs();
      try {
        const f = await _first(() => t.outputs());
        const outs = f.v;
        if (ref) {
          let m = 0;
          outs.forEach((o, i) => {
            if (o === null) return;
            let scale = 0;
            for (const v of o) scale = Math.max(scale, Math.abs(v));
            const tol = { atol: s.tol.atol * Math.max(1, scale), rtol: s.tol.rtol };
            m = Math.max(
              m,
              checkAgree(`${c.name} (${c.size}) ours vs ${impl}, output ${i}`, ref![i]!, o, tol),
            );
          });
          r.maxAbsDiff = m;
          r.note = `compared: ${s.compared}`;
        } else {
          r.note = "ours skipped: outputs not compared";
        }
        const run = async (iters: number) => {
          for (let i = 0; i < iters; i++) t.step();
          await t.sync?.();
          await syncBackend();
        };
        await _timeOrSkip(ctx, r, run, { firstMs: f.firstMs }, { targetMs, maxIters: 16 });
      } finally {
        t.dispose();
      }
    }
    logResult(c, r);
  }
  ours?.dispose();
  return finishCase(c, ctx.peak);
}

const _batch = (ctx: BenchContext) => (ctx.quick ? QUICK_BATCH : BATCH);

/** A value computed on first use (inputs of cases that may all be skipped). */
function _lazy<V>(f: () => V): () => V {
  let v: V | undefined;
  return () => (v ??= f());
}

const _bufs = (device: GPUDevice, ...a: Float32Array[]) => a.map((x) => uploadBuffer(device, x));

// ---------------------------------------------------------------- dense

function _denseCases(ctx: BenchContext, sz: LayerSize): CaseSpec[] {
  const dev = ctx.device;
  const M = _batch(ctx) * T_STEPS, K = sz.H, N = 3 * sz.H;
  const shape = `M=${M} (B·T) K=${K} N=${N} (the Q,K,V projection)`;
  const s = 1 / Math.sqrt(K);
  const d = _lazy(() => ({
    x: randomF32(M * K),
    w: randomF32(K * N, -s, s),
    b: randomF32(N, -s, s),
    dout: randomF32(M * N),
  }));
  const maxFloats = Math.max(M * K, M * N, K * N);
  const fwd: CaseSpec = {
    c: {
      group: "layers",
      name: "dense fwd",
      size: sz.name,
      shape,
      flops: 2 * M * K * N,
      bytes: 4 * (M * K + K * N + N + M * N),
      results: [],
    },
    maxFloats,
    tol: { atol: 1e-5, rtol: 1e-4 },
    compared: "out",
    ours: () => {
      const { x, w, b } = d();
      const [xb, wb, bb] = _bufs(dev, x, w, b);
      const out = storageBuffer(dev, M * N * 4);
      return {
        record: (pass) => denseForward(dev, pass, out, xb!, wb!, bb!, M, K, N),
        outputs: async () => {
          await gpuRunner(dev, (pass) => denseForward(dev, pass, out, xb!, wb!, bb!, M, K, N))(1);
          return [await readF32(dev, out, M * N)];
        },
        dispose: () => [xb!, wb!, bb!, out].forEach((q) => q.destroy()),
      };
    },
    tfjs: () => {
      const { x, w, b } = d();
      const xt = tf.tensor2d(x, [M, K]), wt = tf.tensor2d(w, [K, N]), bt = tf.tensor1d(b);
      const f = () => tf.fused.matMul({ a: xt, b: wt, bias: bt });
      return {
        step: () => tf.tidy(f).dispose(),
        outputs: async () => {
          const o = f();
          const v = await values(o);
          o.dispose();
          return [v];
        },
        dispose: () => tf.dispose([xt, wt, bt]),
      };
    },
  };
  const bwd: CaseSpec = {
    c: {
      group: "layers",
      name: "dense bwd",
      size: sz.name,
      shape,
      flops: 4 * M * K * N + M * N,
      bytes: 4 * (M * N + M * K + K * N + M * K + K * N + N),
      results: [],
    },
    maxFloats,
    tol: { atol: 1e-5, rtol: 1e-3 },
    compared: "dx, dW, db",
    ours: () => {
      const { x, w, dout } = d();
      const [xb, wb, db_] = _bufs(dev, x, w, dout);
      const dx = storageBuffer(dev, M * K * 4),
        dw = storageBuffer(dev, K * N * 4),
        dbias = storageBuffer(dev, N * 4);
      const record = (pass: GPUComputePassEncoder) => {
        zeroFill(dev, pass, dx, M * K);
        zeroFill(dev, pass, dw, K * N);
        zeroFill(dev, pass, dbias, N);
        denseBackward(dev, pass, dx, dw, dbias, db_!, xb!, wb!, M, K, N);
      };
      return {
        record,
        outputs: async () => {
          await gpuRunner(dev, record)(1);
          return [
            await readF32(dev, dx, M * K),
            await readF32(dev, dw, K * N),
            await readF32(dev, dbias, N),
          ];
        },
        dispose: () => [xb!, wb!, db_!, dx, dw, dbias].forEach((q) => q.destroy()),
      };
    },
    tfjs: () => {
      const { x, w, dout } = d();
      const xt = tf.tensor2d(x, [M, K]),
        wt = tf.tensor2d(w, [K, N]),
        dt = tf.tensor2d(dout, [M, N]);
      const f =
        () => [tf.matMul(dt, wt, false, true), tf.matMul(xt, dt, true, false), tf.sum(dt, 0)];
      return {
        step: () => tf.dispose(tf.tidy(f)),
        outputs: async () => {
          const o = f();
          const v = await Promise.all(o.map(values));
          tf.dispose(o);
          return v;
        },
        dispose: () => tf.dispose([xt, wt, dt]),
      };
    },
  };
  return [fwd, bwd];
}

// ---------------------------------------------------------------- recurrent

type Cell = "rnn" | "lstm" | "gru";
const _G = { rnn: 1, lstm: 4, gru: 3 } as const;
const _FWD = RECURRENT_FORWARD;
const _BWD = RECURRENT_BACKWARD;

/** Weights for cell with C inputs and H units (GRU: diagonal candidate Un, zero b'n; see module doc). */
function _recWeights(cell: Cell, C: number, H: number) {
  const G = _G[cell], s = 1 / Math.sqrt(H);
  const wx = randomF32(C * G * H, -s, s), wh = randomF32(H * G * H, -s, s);
  const b = randomF32(cell === "gru" ? 2 * G * H : G * H, -s, s);
  let tfBias = b;
  if (cell === "gru") {
    for (let k = 0; k < H; k++) {
      for (let j = 0; j < H; j++) if (k !== j) wh[k * 3 * H + 2 * H + j] = 0;
    }
    b.fill(0, 5 * H, 6 * H);
    tfBias = new Float32Array(3 * H);
    for (let q = 0; q < 3 * H; q++) tfBias[q] = b[q]! + b[3 * H + q]!;
  }
  return { wx, wh, b, tfBias };
}

function _tfRecLayer(cell: Cell, H: number): tfl.layers.Layer {
  const common = {
    units: H,
    returnSequences: true,
    recurrentInitializer: "glorotUniform" as const,
  };
  if (cell === "rnn") return tfl.layers.simpleRNN({ ...common, activation: "tanh" });
  if (cell === "lstm") return tfl.layers.lstm({ ...common, recurrentActivation: "sigmoid" });
  return tfl.layers.gru(
    { ...common, recurrentActivation: "sigmoid", resetAfter: false } as Parameters<
      typeof tfl.layers.gru
    >[0],
  );
}

/** Recurrent FLOPs per iteration (matmuls + ~10 element-wise ops per gate value). */
function _recFlops(
  cell: Cell,
  B: number,
  T: number,
  C: number,
  H: number,
  backward: boolean,
): number {
  const G = _G[cell];
  const mm = 2 * B * T * (C + H) * G * H, ew = 10 * B * T * G * H;
  return backward ? 3 * mm + 3 * ew : mm + ew;
}

function _recurrentCases(ctx: BenchContext, sz: LayerSize): CaseSpec[] {
  const dev = ctx.device;
  const B = _batch(ctx), T = T_STEPS, C = sz.E, H = sz.H;
  const out: CaseSpec[] = [];
  // --quick: the LSTM only (the smoke test checks the harness, and tfjs-webgpu compiles
  // every recurrent layer's shaders on first use, seconds each on a software adapter).
  for (const cell of (ctx.quick ? ["lstm"] : ["rnn", "lstm", "gru"]) as Cell[]) {
    const G = _G[cell];
    const d = _lazy(() => ({
      w: _recWeights(cell, C, H),
      x: randomF32(B * T * C),
      dh: randomF32(B * T * H),
    }));
    const shape = `B=${B} T=${T} C=${C} H=${H}`;
    const nb = cell === "gru" ? 2 * G * H : G * H;
    const wBytes = 4 * (C * G * H + H * G * H + nb);
    const maxFloats = B * T * G * H;
    for (const backward of [false, true]) {
      const bytes = 4 * (B * T * C + B * T * H) + wBytes +
        (backward ? 4 * (B * T * H + B * T * C) + wBytes : 0);
      out.push({
        c: {
          group: "layers",
          name: `${cell} ${backward ? "fwd+bwd" : "fwd"}`,
          size: sz.name,
          shape,
          flops: _recFlops(cell, B, T, C, H, backward),
          bytes,
          results: [],
        },
        maxFloats,
        tol: backward ? { atol: 1e-4, rtol: 1e-2 } : { atol: 1e-5, rtol: 1e-3 },
        compared: backward
          ? (cell === "gru" ? "dx, dWx, input-bias grad" : "dx, dWx, dWh, db")
          : "h (all steps)",
        ours: () => {
          const { w, x, dh } = d();
          const [xb, wxb, whb, bb, dhb] = _bufs(dev, x, w.wx, w.wh, w.b, dh);
          const p = { wx: wxb!, wh: whb!, b: bb! };
          const acts = allocRecurrentActs(dev, cell, B, T, H);
          const dx = storageBuffer(dev, B * T * C * 4);
          const dp = {
            wx: storageBuffer(dev, w.wx.length * 4),
            wh: storageBuffer(dev, w.wh.length * 4),
            b: storageBuffer(dev, w.b.length * 4),
          };
          const record = (pass: GPUComputePassEncoder) => {
            _FWD[cell](dev, pass, acts, xb!, p, B, T, C, H);
            if (!backward) return;
            zeroFill(dev, pass, dx, B * T * C);
            zeroFill(dev, pass, dp.wx, w.wx.length);
            zeroFill(dev, pass, dp.wh, w.wh.length);
            zeroFill(dev, pass, dp.b, w.b.length);
            _BWD[cell](dev, pass, dx, dp, dhb!, acts, xb!, p, B, T, C, H);
          };
          return {
            record,
            outputs: async () => {
              await gpuRunner(dev, record)(1);
              if (!backward) return [await readF32(dev, acts.h, B * T * H)];
              const o = [await readF32(dev, dx, B * T * C), await readF32(dev, dp.wx, w.wx.length)];
              if (cell === "gru") o.push((await readF32(dev, dp.b, 6 * H)).slice(0, 3 * H));
              else {o.push(
                  await readF32(dev, dp.wh, w.wh.length),
                  await readF32(dev, dp.b, w.b.length),
                );}
              return o;
            },
            dispose: () => {
              for (const q of [xb!, wxb!, whb!, bb!, dhb!, dx, dp.wx, dp.wh, dp.b, acts.h]) {
                q.destroy();
              }
              for (const q of [acts.c, acts.gates, acts.hn]) q?.destroy();
            },
          };
        },
        tfjs: () => {
          const { w, x, dh } = d();
          const layer = _tfRecLayer(cell, H);
          const xt = tf.variable(tf.tensor3d(x, [B, T, C]), true, undefined);
          const dt = tf.tensor3d(dh, [B, T, H]);
          tf.tidy(() => layer.apply(xt) as tf.Tensor);
          layer.setWeights([
            tf.tensor2d(w.wx, [C, G * H]),
            tf.tensor2d(w.wh, [H, G * H]),
            tf.tensor1d(w.tfBias),
          ]);
          const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
          const fwd = () => layer.apply(xt) as tf.Tensor;
          const grads = () => {
            const { grads: g } = tf.variableGrads(() => tf.sum(tf.mul(fwd(), dt)) as tf.Scalar, [
              xt,
              ...vars,
            ]);
            return [xt, ...vars].map((v) => g[v.name]!);
          };
          return {
            step: () => tf.dispose(tf.tidy(() => (backward ? grads() : [fwd()]))),
            outputs: async () => {
              if (!backward) {
                const o = fwd();
                const v = await values(o);
                o.dispose();
                return [v];
              }
              const g = grads();
              const [gx, gwx, gwh, gb] = await Promise.all(g.map(values));
              tf.dispose(g);
              return cell === "gru" ? [gx!, gwx!, gb!] : [gx!, gwx!, gwh!, gb!];
            },
            dispose: () => {
              tf.dispose([xt, dt]);
              layer.dispose();
            },
          };
        },
      });
    }
  }
  return out;
}

// ---------------------------------------------------------------- attention

function _attentionCases(ctx: BenchContext, sz: LayerSize): CaseSpec[] {
  const dev = ctx.device;
  const B = _batch(ctx), T = T_STEPS, D = sz.H, NH = sz.NH, hs = D / NH;
  const d = _lazy(() => ({ qkv: randomF32(B * T * 3 * D), dout: randomF32(B * T * D) }));
  const shape = `B=${B} T=${T} D=${D} heads=${NH}`;
  const mm = 2 * 2 * B * NH * T * T * hs, sm = 5 * B * NH * T * T;
  const maxFloats = Math.max(B * T * 3 * D, B * NH * T * T);
  const bytes = 4 * (B * T * 3 * D + B * T * D + B * NH * T * T);
  return [false, true].map((backward): CaseSpec => ({
    c: {
      group: "layers",
      name: `attention ${backward ? "fwd+bwd" : "fwd"}`,
      size: sz.name,
      shape,
      flops: backward ? 3 * mm + 3 * sm : mm + sm,
      bytes: backward ? 2 * bytes : bytes,
      results: [],
    },
    maxFloats,
    tol: { atol: 1e-5, rtol: 1e-3 },
    compared: backward ? "dqkv" : "out",
    ours: () => {
      const { qkv, dout } = d();
      const [qb, db_] = _bufs(dev, qkv, dout);
      const out = storageBuffer(dev, B * T * D * 4), att = storageBuffer(dev, B * NH * T * T * 4);
      const dqkv = storageBuffer(dev, B * T * 3 * D * 4);
      const record = (pass: GPUComputePassEncoder) => {
        attentionForward(dev, pass, out, att, qb!, B, T, D, NH);
        if (!backward) return;
        zeroFill(dev, pass, dqkv, B * T * 3 * D);
        attentionBackward(dev, pass, dqkv, db_!, qb!, att, B, T, D, NH);
      };
      return {
        record,
        outputs: async () => {
          await gpuRunner(dev, record)(1);
          return [await readF32(dev, backward ? dqkv : out)];
        },
        dispose: () => [qb!, db_!, out, att, dqkv].forEach((q) => q.destroy()),
      };
    },
    tfjs: () => {
      const { qkv, dout } = d();
      const qt = tf.tensor3d(qkv, [B, T, 3 * D]), dt = tf.tensor3d(dout, [B, T, D]);
      const f = (q: tf.Tensor) => tfAttention(q, B, T, D, NH);
      const g = tf.grad(f);
      const run = () => (backward ? g(qt, dt) : f(qt));
      return {
        step: () => tf.tidy(run).dispose(),
        outputs: async () => {
          const o = run();
          const v = await values(o);
          o.dispose();
          return [v];
        },
        dispose: () => tf.dispose([qt, dt]),
      };
    },
  }));
}

/**
 * Runs the layer benchmarks.
 * @param ctx device, measured peak, quick flag (tiny size only), time budget
 * @returns one case per (layer, direction, size)
 */
export async function benchLayers(ctx: BenchContext): Promise<BenchCase[]> {
  const want = ctx.sizes ?? (ctx.quick ? ["tiny"] : LAYER_SIZES.map((s) => s.name));
  const sizes = LAYER_SIZES.filter((s) => want.includes(s.name));
  const out: BenchCase[] = [];
  for (const sz of sizes) {
    for (
      const s of [..._denseCases(ctx, sz), ..._recurrentCases(ctx, sz), ..._attentionCases(ctx, sz)]
    ) {
      out.push(await runCase(ctx, s));
    }
  }
  return out;
}
