/**
 * The independent oracle: our LSTM and GRU forward (GPU kernels and float64 reference)
 * against tfjs-layers' LSTM and GRU with the same weights, on tfjs-backend-cpu.
 */
import "../../src/nn/tfjs_shim.ts";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import * as tfl from "@tensorflow/tfjs-layers";
import { assertClose, gpuTest, randomArray } from "../_util.ts";
import { assert, assertThrows } from "../_assert.ts";
import { f32, runPass, up } from "./_layer_util.ts";
import { allocRecurrentActs, RECURRENT_FORWARD } from "../../src/nn/recurrent.ts";
import { recurrentForwardRef, type RecurrentParamsRef } from "../../src/nn/reference/recurrent.ts";
import { registerChainedOps } from "../../src/nn/tfjs_shim.ts";

await tf.setBackend("cpu");

/** tfjs' GRU options plus `resetAfter`, which its GRUCell reads but its typings omit. */
type GruArgs = Parameters<typeof tfl.layers.gru>[0] & { resetAfter?: boolean };

/** Reverses the time axis of [B,T,H] (Keras goBackwards returns outputs in processing order). */
function reverseTime(a: Float32Array, B: number, T: number, H: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      out.set(a.subarray((b * T + t) * H, (b * T + t + 1) * H), (b * T + T - 1 - t) * H);
    }
  }
  return out;
}

/** Runs a tfjs-layers recurrent layer with the given weights on x [B,T,C]; outputs at input positions. */
function tfjsRun(
  layer: tfl.layers.Layer,
  weights: Float64Array[],
  shapes: number[][],
  x: Float64Array,
  B: number,
  T: number,
  C: number,
  H: number,
  reverse: boolean,
): Float32Array {
  const xt = tf.tensor3d(Float32Array.from(x), [B, T, C]);
  layer.apply(xt); // builds the weights
  layer.setWeights(weights.map((w, i) => tf.tensor(Float32Array.from(w), shapes[i]!)));
  const y = layer.apply(xt) as tf.Tensor;
  const out = y.dataSync() as Float32Array;
  tf.dispose([xt, y]);
  return reverse ? reverseTime(out, B, T, H) : Float32Array.from(out);
}

async function ourForward(
  device: GPUDevice,
  cell: "rnn" | "lstm" | "gru",
  x: Float64Array,
  p: RecurrentParamsRef,
  B: number,
  T: number,
  C: number,
  H: number,
  reverse: boolean,
) {
  const acts = allocRecurrentActs(device, cell, B, T, H);
  const P = { wx: up(device, p.wx), wh: up(device, p.wh), b: up(device, p.b) };
  const fwd = RECURRENT_FORWARD[cell];
  const [h] = await runPass(
    device,
    (pass) => fwd(device, pass, acts, up(device, x), P, B, T, C, H, reverse),
    [{ buf: acts.h, n: B * T * H }],
  );
  return h!;
}

Deno.test("registerChainedOps() has put the chained ops tfjs-layers uses on Tensor.prototype", () => {
  const t = tf.tensor2d([1, 2, 3, 4], [2, 2]);
  // The node bundle's typings do not declare the chained methods either.
  const c = t as unknown as { flatten(): tf.Tensor; add(b: tf.Tensor): tf.Tensor };
  assert(c.flatten().shape[0] === 4, "flatten");
  assert((c.add(t).dataSync()[3] ?? 0) === 8, "add");
  assert(registerChainedOps() === 0, "a second registration adds nothing");
  t.dispose();
});

const B = 4, T = 101, C = 2, H = 16;

/**
 * Fresh weights of a layer of G gates, uniform in ±1/√H (f32 values): wx [C, G·H],
 * wh [H, G·H], b [biasRows, G·H].
 */
function randomWeights(G: number, biasRows = 1): RecurrentParamsRef {
  const s = 1 / Math.sqrt(H);
  const w = (n: number) => f32(randomArray(n, -s, s));
  return { wx: w(C * G * H), wh: w(H * G * H), b: w(biasRows * G * H) };
}

/**
 * tfjs-layers options of an LSTM or GRU as ours: all outputs, sigmoid gates (tfjs defaults
 * to hardSigmoid; Keras 2+ and we use sigmoid), reversed when asked.
 */
function gatedLayerArgs(reverse: boolean) {
  return {
    units: H,
    returnSequences: true,
    goBackwards: reverse,
    recurrentActivation: "sigmoid",
    recurrentInitializer: "glorotUniform",
  } as const;
}

/**
 * Runs `layer` (tfjs-layers, given `weights`: its kernel [C, n], recurrent kernel [H, n] and
 * bias [n]), our GPU layer and our float64 reference with weights p on the same fresh
 * x [B,T,C], and checks both of ours against tfjs.
 */
async function assertAgreesWithTfjs(
  device: GPUDevice,
  cell: "rnn" | "lstm" | "gru",
  label: string,
  layer: tfl.layers.Layer,
  weights: Float64Array[],
  p: RecurrentParamsRef,
  reverse: boolean,
): Promise<void> {
  const x = f32(randomArray(B * T * C));
  const n = weights[2]!.length;
  const shapes = [[C, n], [H, n], [n]];
  const want = tfjsRun(layer, weights, shapes, x, B, T, C, H, reverse);
  const got = await ourForward(device, cell, x, p, B, T, C, H, reverse);
  const ref = recurrentForwardRef(cell, x, p, B, T, C, H, reverse).h;
  const rg = assertClose(got, want, { atol: 1e-5, label: `${cell} GPU vs tfjs` });
  const rr = assertClose(ref, want, { atol: 1e-5, label: `${cell} float64 reference vs tfjs` });
  console.log(
    `${label} B=${B} T=${T} C=${C} H=${H}: max |ours − tfjs| GPU ${
      rg.maxAbs.toExponential(2)
    }, reference ${rr.maxAbs.toExponential(2)}`,
  );
}

for (const reverse of [false, true]) {
  gpuTest(
    `lstmForward() agrees with tfjs-layers LSTM given the same weights${
      reverse ? " (goBackwards)" : ""
    }`,
    async (device) => {
      const p = randomWeights(4);
      const layer = tfl.layers.lstm(gatedLayerArgs(reverse));
      // Keras and tfjs store the gates as we do (i, f, c, o), so the weights copy across unchanged.
      await assertAgreesWithTfjs(device, "lstm", "LSTM", layer, [p.wx, p.wh, p.b], p, reverse);
    },
  );

  gpuTest(
    `gruForward() agrees with tfjs-layers GRU given the same weights${
      reverse ? " (goBackwards)" : ""
    }`,
    async (device) => {
      // tfjs-layers 4.22 implements only reset_after=false (see the next test); ours is Keras
      // reset_after=true. The two coincide when the candidate's recurrent block Un is diagonal
      // and its recurrent bias is 0, since then (r⊙h)·Un = r⊙(h·Un). Every other weight is
      // random and full, and tfjs' single bias is our input bias plus recurrent bias.
      const p = randomWeights(3, 2);
      const { wh, b } = p;
      for (let k = 0; k < H; k++) {
        for (let j = 0; j < H; j++) if (k !== j) wh[k * 3 * H + 2 * H + j] = 0;
      }
      b.fill(0, 5 * H, 6 * H);
      const tfBias = new Float64Array(3 * H);
      for (let q = 0; q < 3 * H; q++) tfBias[q] = b[q]! + b[3 * H + q]!;
      const args: GruArgs = { ...gatedLayerArgs(reverse), resetAfter: false };
      const layer = tfl.layers.gru(args);
      await assertAgreesWithTfjs(device, "gru", "GRU", layer, [p.wx, p.wh, tfBias], p, reverse);
    },
  );
}

gpuTest("rnnForward() agrees with tfjs-layers SimpleRNN given the same weights", async (device) => {
  const p = randomWeights(1);
  const layer = tfl.layers.simpleRNN({
    units: H,
    returnSequences: true,
    recurrentInitializer: "glorotUniform",
  });
  await assertAgreesWithTfjs(device, "rnn", "SimpleRNN", layer, [p.wx, p.wh, p.b], p, false);
});

Deno.test("tfjs-layers GRU rejects resetAfter: true (why the GRU oracle uses a diagonal candidate kernel)", () => {
  const args: GruArgs = { units: 4, resetAfter: true };
  assertThrows(() => tfl.layers.gru(args), /reset_after/);
});
