import { assertClose, gpuTest, randomArray } from "../_util.ts";
import { storageBuffer, uploadBuffer } from "../../src/gpu/buffers.ts";
import { type AdamConfig, adamUpdate, gradNormClip } from "../../src/nn/adam.ts";
import { adamUpdateRef, gradNormClipRef } from "../../src/nn/reference/adam.ts";
import { zeroFill } from "../../src/nn/fill.ts";
import { assertThrows } from "../_assert.ts";
import { f32, runPass, up } from "./_layer_util.ts";

const norm = (g: ArrayLike<number>) => Math.sqrt(Array.from(g).reduce((s, x) => s + x * x, 0));

gpuTest(
  "gradNormClip() scales gradients above maxNorm and leaves smaller ones at 1",
  async (device) => {
    for (const n of [10, 300_007]) {
      const g = f32(randomArray(n));
      const gn = norm(g);
      const gb = up(device, g);
      const cases = [gn / 3, gn * 2, Infinity]; // clipped, not clipped, disabled
      const outs = cases.map(() => storageBuffer(device, 4));
      const got = await runPass(device, (pass) => {
        cases.forEach((maxNorm, i) => gradNormClip(device, pass, outs[i]!, gb, n, maxNorm));
      }, outs.map((buf) => ({ buf, n: 1 })));
      assertClose([got[0]![0]!], [1 / 3], { atol: 0, rtol: 1e-5, label: `clipped n=${n}` });
      assertClose([got[1]![0]!, got[2]![0]!], [1, 1], { atol: 0, label: `unclipped n=${n}` });
      assertClose([got[0]![0]!], [gradNormClipRef(g, gn / 3)], { atol: 0, rtol: 1e-5 });
    }
  },
);

gpuTest("gradNormClip() writes 1 for an all-zero gradient", async (device) => {
  const g = storageBuffer(device, 40), out = storageBuffer(device, 4);
  const [s] = await runPass(device, (pass) => gradNormClip(device, pass, out, g, 10, 0.5), [{
    buf: out,
    n: 1,
  }]);
  assertClose(s!, [1], { atol: 0 });
});

gpuTest(
  "adamUpdate() first step moves each weight by lr·sign(g) (bias correction, no decay)",
  async (device) => {
    // With m = v = 0, step 1 gives m̂ = g and v̂ = g², so the update is lr·g/(|g| + eps).
    const n = 333, lr = 0.01;
    const w = f32(randomArray(n)),
      g = f32(randomArray(n, -1, 1).map((x) => (Math.abs(x) < 0.01 ? 0.5 : x)));
    const wb = up(device, w), m = storageBuffer(device, n * 4), v = storageBuffer(device, n * 4);
    const one = uploadBuffer(device, new Float32Array([1]));
    const [got] = await runPass(device, (pass) => {
      adamUpdate(device, pass, wb, up(device, g), m, v, one, n, {
        lr,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0,
        step: 1,
      });
    }, [{ buf: wb, n }]);
    assertClose(got!, w.map((x, i) => x - lr * Math.sign(g[i]!)), {
      atol: 2e-7,
      rtol: 1e-6,
      label: "step 1",
    });
  },
);

gpuTest(
  "adamUpdate() with clipping tracks the float64 reference over 6 steps in one pass",
  async (device) => {
    const n = 5000 + Math.floor(Math.random() * 100);
    const cfg0: Omit<AdamConfig, "step"> = {
      lr: 3e-3,
      beta1: 0.9,
      beta2: 0.98,
      eps: 1e-8,
      weightDecay: 0.01,
    };
    const steps = 6;
    const w0 = f32(randomArray(n));
    const grads = Array.from({ length: steps }, (_, s) => f32(randomArray(n, -1 - s, 1 + s)));
    const maxNorm = norm(grads[0]!) * 1.5; // early steps unclipped, later ones clipped
    const wb = up(device, w0), m = storageBuffer(device, n * 4), v = storageBuffer(device, n * 4);
    const scale = storageBuffer(device, 4);
    const gbs = grads.map((g) => up(device, g));
    const [gw, gm, gv] = await runPass(device, (pass) => {
      zeroFill(device, pass, m, n);
      zeroFill(device, pass, v, n);
      for (let s = 0; s < steps; s++) {
        gradNormClip(device, pass, scale, gbs[s]!, n, maxNorm);
        adamUpdate(device, pass, wb, gbs[s]!, m, v, scale, n, { ...cfg0, step: s + 1 });
      }
    }, [{ buf: wb, n }, { buf: m, n }, { buf: v, n }]);
    const rw = Float64Array.from(w0), rm = new Float64Array(n), rv = new Float64Array(n);
    for (let s = 0; s < steps; s++) {
      adamUpdateRef(rw, grads[s]!, rm, rv, gradNormClipRef(grads[s]!, maxNorm), {
        ...cfg0,
        step: s + 1,
      });
    }
    // f32 state over 6 steps; the update itself is ~lr, so compare weights to ~1e-3·lr
    assertClose(gw!, rw, { atol: 5e-6, rtol: 1e-5, label: "params" });
    assertClose(gm!, rm, { atol: 1e-6, rtol: 1e-4, label: "m" });
    assertClose(gv!, rv, { atol: 1e-6, rtol: 1e-4, label: "v" });
  },
);

gpuTest("adamUpdate() and gradNormClip() reject bad hyper-parameters", (device) => {
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  const b = storageBuffer(device, 16);
  const cfg = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
  assertThrows(
    () => adamUpdate(device, pass, b, b, b, b, b, 4, { ...cfg, step: 0 }),
    /step must be an integer/,
  );
  assertThrows(() => gradNormClip(device, pass, b, b, 4, 0), /maxNorm > 0/);
  pass.end();
});
