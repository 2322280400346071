/**
 * The six architectures twice, with the same weights: ours (src/nn/models on our WGSL
 * kernels) and tfjs (tfjs-layers Dense / SimpleRNN / LSTM / GRU / Bidirectional /
 * LayerNormalization layers; LSTM-Attention's attention from tf ops, as tfjs-layers 4.22
 * has no MultiHeadAttention). Used by the training-step and inference benchmarks.
 *
 * tfjs-layers' GRU is Keras `reset_after=false`; ours is `true`. They coincide when the
 * candidate's recurrent kernel is diagonal and its recurrent bias 0, so the GRU weights are
 * set that way (see {@link gruCompatible}); the gradients of those two tensors then differ
 * by construction and are not compared.
 * @module
 */
import { buildModel, type ModelSpec } from "../src/nn/models/mod.ts";
import type { ModelConfig } from "../src/nn/models/config.ts";
import { sinusoidalEncoding } from "../src/nn/posenc.ts";
import { LAYERNORM_EPS } from "../src/nn/layernorm.ts";
import { tf, tfl } from "./tfjs.ts";

/** A tfjs twin of one of our models. */
export interface TfModel {
  /** y [B, T] from x [B, T]. */
  forward(x: tf.Tensor2D): tf.Tensor2D;
  /** Trainable variables, each with the names of our tensors it holds (concatenated). */
  params: { v: tf.Variable; ours: string[]; compare: boolean }[];
  dispose(): void;
}

/**
 * Zeroes the off-diagonal of the GRU candidate's recurrent block and its recurrent bias in
 * a flat parameter array (in place), so that Keras `reset_after` true and false agree.
 */
export function gruCompatible(
  spec: ModelSpec,
  flat: Float32Array,
  prefix: string,
  H: number,
): void {
  const wh = spec.store.view(flat, `${prefix}.wh`), b = spec.store.view(flat, `${prefix}.b`);
  for (let k = 0; k < H; k++) {
    for (let j = 0; j < H; j++) if (k !== j) wh[k * 3 * H + 2 * H + j] = 0;
  }
  b.fill(0, 5 * H, 6 * H);
}

/** Builds `layer` on an input shape and sets its weights. */
function _init(layer: tfl.layers.Layer, inShape: number[], weights: tf.Tensor[]): tfl.layers.Layer {
  tf.tidy(() => layer.apply(tf.zeros(inShape)) as tf.Tensor);
  layer.setWeights(weights);
  tf.dispose(weights);
  return layer;
}

function _vars(layer: tfl.layers.Layer): tf.Variable[] {
  return layer.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * The tfjs twin of our model `spec` with the weights in `flat` (our layout).
 * @param cfg the model config the spec was built from
 */
export function buildTfModel(spec: ModelSpec, cfg: ModelConfig, flat: Float32Array): TfModel {
  const { T, hidden: H, embed: E, heads: NH } = cfg;
  const P = (name: string) => {
    const s = spec.store.spec(name);
    return tf.tensor(Float32Array.from(spec.store.view(flat, name)), s.shape);
  };
  const params: TfModel["params"] = [];
  const layers: tfl.layers.Layer[] = [];
  const consts: tf.Tensor[] = [];
  const reg = (layer: tfl.layers.Layer, names: string[][], compare = true) => {
    layers.push(layer);
    _vars(layer).forEach((v, i) => params.push({ v, ours: names[i]!, compare }));
    return layer;
  };
  const dense = (prefix: string, inDim: number, units: number, act?: "relu") =>
    reg(
      _init(tfl.layers.dense({ units, activation: act ?? "linear" }), [1, inDim], [
        P(`${prefix}.w`),
        P(`${prefix}.b`),
      ]),
      [[`${prefix}.w`], [`${prefix}.b`]],
    );
  const rec = { units: H, returnSequences: true, recurrentInitializer: "glorotUniform" as const };
  const recWeights = (prefix: string) => [P(`${prefix}.wx`), P(`${prefix}.wh`), P(`${prefix}.b`)];
  const recNames = (prefix: string) => [[`${prefix}.wx`], [`${prefix}.wh`], [`${prefix}.b`]];
  const residual = (x: tf.Tensor2D, z: tf.Tensor) => {
    const z2 = tf.reshape(z, [x.shape[0], T]) as tf.Tensor2D;
    return cfg.residual ? (tf.add(x, z2) as tf.Tensor2D) : z2;
  };
  let body: (x: tf.Tensor2D) => tf.Tensor;
  switch (cfg.arch) {
    case "mlp": {
      const l1 = dense("fc1", T, H, "relu"),
        l2 = dense("fc2", H, H, "relu"),
        l3 = dense("fc3", H, T);
      body = (x) => l3.apply(l2.apply(l1.apply(x))) as tf.Tensor;
      break;
    }
    case "rnn":
    case "lstm":
    case "gru": {
      const cell = cfg.arch;
      let layer: tfl.layers.Layer, w = recWeights(cell);
      if (cell === "rnn") layer = tfl.layers.simpleRNN({ ...rec, activation: "tanh" });
      else if (cell === "lstm") layer = tfl.layers.lstm({ ...rec, recurrentActivation: "sigmoid" });
      else {
        layer = tfl.layers.gru(
          { ...rec, recurrentActivation: "sigmoid", resetAfter: false } as Parameters<
            typeof tfl.layers.gru
          >[0],
        );
        const b = w[2]!;
        w = [
          w[0]!,
          w[1]!,
          tf.tidy(() =>
            tf.reshape(tf.add(tf.slice(b, [0, 0], [1, 3 * H]), tf.slice(b, [1, 0], [1, 3 * H])), [
              3 * H,
            ])
          ),
        ];
        b.dispose();
      }
      const r = reg(_init(layer, [1, T, 1], w), recNames(cell), cell !== "gru");
      if (cell === "gru") params[params.length - 3]!.compare = true; // wx agrees; wh and b differ by construction
      const head = dense("head", H, 1);
      body = (x) => head.apply(r.apply(tf.reshape(x, [x.shape[0], T, 1]))) as tf.Tensor;
      break;
    }
    case "bilstm": {
      const bi = tfl.layers.bidirectional({
        layer: tfl.layers.lstm({ ...rec, recurrentActivation: "sigmoid" }) as tfl.layers.RNN,
        mergeMode: "concat",
      });
      const r = reg(_init(bi, [1, T, 1], [...recWeights("lstm_f"), ...recWeights("lstm_b")]), [
        ...recNames("lstm_f"),
        ...recNames("lstm_b"),
      ]);
      const kernel = tf.concat([P("head.wf"), P("head.wb")], 0);
      const head = reg(_init(tfl.layers.dense({ units: 1 }), [1, 2 * H], [kernel, P("head.b")]), [
        ["head.wf", "head.wb"],
        ["head.b"],
      ]);
      body = (x) => head.apply(r.apply(tf.reshape(x, [x.shape[0], T, 1]))) as tf.Tensor;
      break;
    }
    case "lstm-attention": {
      const emb = dense("embed", 1, E);
      const pe = tf.tensor2d(sinusoidalEncoding(T, E), [T, E]);
      consts.push(pe);
      const lstm = reg(
        _init(
          tfl.layers.lstm({ ...rec, recurrentActivation: "sigmoid" }),
          [1, T, E],
          recWeights("lstm"),
        ),
        recNames("lstm"),
      );
      const qkvL = reg(
        _init(tfl.layers.dense({ units: 3 * H }), [1, H], [P("attn.wqkv"), P("attn.bqkv")]),
        [
          ["attn.wqkv"],
          ["attn.bqkv"],
        ],
      );
      const outL = reg(
        _init(tfl.layers.dense({ units: H }), [1, H], [P("attn.wo"), P("attn.bo")]),
        [["attn.wo"], ["attn.bo"]],
      );
      const ln = reg(
        _init(tfl.layers.layerNormalization({ axis: -1, epsilon: LAYERNORM_EPS }), [1, T, H], [
          P("ln.gamma"),
          P("ln.beta"),
        ]),
        [["ln.gamma"], ["ln.beta"]],
      );
      const head = dense("head", H, 1);
      body = (x) => {
        const B = x.shape[0];
        const e = tf.add(emb.apply(tf.reshape(x, [B, T, 1])) as tf.Tensor, pe);
        const h = lstm.apply(e) as tf.Tensor;
        const qkv = qkvL.apply(h) as tf.Tensor;
        const a = tfAttention(qkv, B, T, H, NH);
        const r = tf.add(h, outL.apply(a) as tf.Tensor);
        return head.apply(ln.apply(r)) as tf.Tensor;
      };
      break;
    }
  }
  return {
    forward: (x) => residual(x, body(x)),
    params,
    dispose: () => {
      layers.forEach((l) => l.dispose());
      tf.dispose(consts);
    },
  };
}

/** Multi-head self-attention (no mask) of qkv [B,T,3D] with tf ops, as ours: out [B,T,D]. */
export function tfAttention(
  qkv: tf.Tensor,
  B: number,
  T: number,
  D: number,
  NH: number,
): tf.Tensor {
  const hs = D / NH;
  const part = (i: number) =>
    tf.transpose(tf.reshape(tf.slice(qkv, [0, 0, i * D], [B, T, D]), [B, T, NH, hs]), [0, 2, 1, 3]);
  const q = part(0), k = part(1), v = part(2);
  const att = tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(hs)));
  return tf.reshape(tf.transpose(tf.matMul(att, v), [0, 2, 1, 3]), [B, T, D]);
}

/** Our spec and initial weights for a config (GRU weights made tfjs-compatible). */
export function ourModel(cfg: ModelConfig, seed = 1): { spec: ModelSpec; flat: Float32Array } {
  const spec = buildModel(cfg);
  const flat = spec.store.initialValues(seed);
  if (cfg.arch === "lstm-attention") {
    // Non-trivial layer-norm parameters (γ = 1, β = 0 at initialisation) so that the
    // comparison with tfjs exercises them.
    spec.store.view(flat, "ln.gamma").forEach((
      _,
      i,
      a,
    ) => (a[i] = 1 + 0.4 * (Math.random() - 0.5)));
    spec.store.view(flat, "ln.beta").forEach((_, i, a) => (a[i] = 0.4 * (Math.random() - 0.5)));
  }
  if (cfg.arch === "gru") gruCompatible(spec, flat, "gru", cfg.hidden);
  return { spec, flat };
}

/** Forward FLOPs of one spectrum through a model (from its op list). */
export function forwardFlopsPerSample(spec: ModelSpec): number {
  let f = 0;
  for (const op of spec.ops(1)) {
    switch (op.kind) {
      case "dense":
        f += 2 * op.M * op.K * op.N;
        break;
      case "act":
      case "add":
        f += op.n;
        break;
      case "addBroadcast":
        f += op.B * op.n;
        break;
      case "layernorm":
        f += 8 * op.M * op.C;
        break;
      case "attention": {
        const hs = op.D / op.NH;
        f += 4 * op.B * op.NH * op.T * op.T * hs + 5 * op.B * op.NH * op.T * op.T;
        break;
      }
      case "recurrent": {
        const G = op.cell === "rnn" ? 1 : op.cell === "lstm" ? 4 : 3;
        f += 2 * op.B * op.T * (op.C + op.H) * G * op.H + 10 * op.B * op.T * G * op.H;
        break;
      }
    }
  }
  return f;
}

/** Floats of activations one spectrum writes in a forward pass. */
export function activationFloatsPerSample(spec: ModelSpec): number {
  let n = 0;
  for (const op of spec.ops(1)) {
    if (op.kind === "dense") n += op.M * op.N;
    else if (op.kind === "recurrent") {
      n += op.T * op.H * (op.cell === "rnn" ? 1 : op.cell === "lstm" ? 6 : 5);
    } else if (op.kind === "attention") n += op.T * op.D + op.NH * op.T * op.T;
    else if (op.kind === "layernorm") n += op.M * op.C;
    else if (op.kind === "act" || op.kind === "add") n += op.n;
    else if (op.kind === "addBroadcast") n += op.B * op.n;
  }
  return n;
}
