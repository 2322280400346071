import {
  gaussianWindow,
  linearRegression,
  mae,
  mse,
  psnr,
  ssim,
  ssimMap,
} from "../../src/eval/metrics.ts";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import { assertClose, randomArray } from "../_util.ts";
import { findPython, runPython } from "./_python.ts";

/** A smooth random image plus noise (like a Z map), values roughly in [0, 1]. */
function smoothImage(w: number, h: number): Float64Array {
  const img = new Float64Array(w * h);
  const fx = 1 + 4 * Math.random(), fy = 1 + 4 * Math.random(), ph = 6 * Math.random();
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      img[y * w + x] = 0.5 + 0.3 * Math.sin(fx * x / w * 6 + ph) * Math.cos(fy * y / h * 6) +
        0.05 * Math.random();
    }
  }
  return img;
}

Deno.test("gaussianWindow() has scipy's 11 taps for σ 1.5, truncate 3.5, and sums to 1", () => {
  const w = gaussianWindow(1.5, 3.5);
  assertEquals(w.length, 11);
  assertAlmostEquals(w.reduce((a, b) => a + b, 0), 1, 1e-15);
  // ratio of neighbouring taps is exp(−(2i+1)/(2σ²)) for a Gaussian
  assertAlmostEquals(w[6]! / w[5]!, Math.exp(-1 / (2 * 2.25)), 1e-14);
  assertEquals(gaussianWindow(1, 4).length, 9);
});

Deno.test("ssim() is 1 for identical images", () => {
  const a = randomArray(23 * 17, 0, 1);
  assertAlmostEquals(ssim(a, a, 23, 17), 1, 1e-12);
});

Deno.test("ssim() of two constant images is (2ab + C1)/(a² + b² + C1)", () => {
  const a = Math.random(), b = Math.random();
  const w = 16, h = 12;
  const s = ssim(new Float64Array(w * h).fill(a), new Float64Array(w * h).fill(b), w, h);
  const c1 = 0.01 ** 2;
  assertAlmostEquals(s, (2 * a * b + c1) / (a * a + b * b + c1), 1e-12);
  // data range 2 scales C1 by 4
  const s2 = ssim(new Float64Array(w * h).fill(a), new Float64Array(w * h).fill(b), w, h, {
    dataRange: 2,
  });
  assertAlmostEquals(s2, (2 * a * b + 4 * c1) / (a * a + b * b + 4 * c1), 1e-12);
});

Deno.test("ssim() is symmetric, below 1 for different images, and honours a mask", () => {
  const w = 20, h = 20;
  const a = smoothImage(w, h), b = smoothImage(w, h);
  const s = ssim(a, b, w, h);
  assertAlmostEquals(s, ssim(b, a, w, h), 1e-14);
  assert(s < 1);
  // a mask that keeps one pixel inside the cropped border gives that pixel's map value
  const mask = new Uint8Array(w * h);
  mask[8 * w + 9] = 1;
  const { map, pad } = ssimMap(a, b, w, h);
  assertEquals(pad, 5);
  assertAlmostEquals(ssim(a, b, w, h, { mask }), map[8 * w + 9]!, 1e-15);
});

Deno.test("ssim() rejects images smaller than the window and mismatched sizes", () => {
  assertThrows(() => ssim(new Float64Array(100), new Float64Array(100), 10, 10), /at least 11×11/);
  assertThrows(
    () => ssim(new Float64Array(144), new Float64Array(143), 12, 12),
    /Expected two 12×12/,
  );
});

Deno.test("mse(), mae() and psnr() match hand-computed values", () => {
  assertAlmostEquals(mse([0, 1, 2], [1, 1, 0]), 5 / 3, 1e-15);
  assertAlmostEquals(mae([0, 1, 2], [1, 1, 0]), 1, 1e-15);
  assertAlmostEquals(mse([0, 1, 2], [1, 1, 0], [1, 1, 0]), 0.5, 1e-15);
  assertAlmostEquals(mae([0, 1, 2], [1, 1, 0], [0, 0, 1]), 2, 1e-15);
  const a = randomArray(500, 0, 1);
  const d = 0.001 + 0.1 * Math.random();
  const b = a.map((v) => v + d);
  assertAlmostEquals(psnr(b, a), -20 * Math.log10(d), 1e-9);
  assertAlmostEquals(psnr(b, a, { dataRange: 2 }), 20 * Math.log10(2 / d), 1e-9);
  assertEquals(psnr(a, a), Infinity);
});

Deno.test("linearRegression() recovers an exact line and a hand-computed fit", () => {
  const x = randomArray(50, 0, 1);
  const k = 2 * Math.random() - 1, c = Math.random();
  const r = linearRegression(x, x.map((v) => k * v + c));
  assertAlmostEquals(r.slope, k, 1e-12);
  assertAlmostEquals(r.intercept, c, 1e-12);
  assertAlmostEquals(r.r2, 1, 1e-12);
  assertEquals(r.n, 50);
  // x = 0..3, y = [0, 2, 1, 3]: Sxy = 4, Sxx = Syy = 5 → slope 0.8, intercept 0.3, R² 0.64
  const h = linearRegression([0, 1, 2, 3, 9], [0, 2, 1, 3, -7], [1, 1, 1, 1, 0]);
  assertAlmostEquals(h.slope, 0.8, 1e-15);
  assertAlmostEquals(h.intercept, 0.3, 1e-15);
  assertAlmostEquals(h.r2, 0.64, 1e-15);
  assertEquals(h.n, 4);
});

const skPython = await findPython(["numpy", "skimage"]);

Deno.test({
  name: "ssim(), psnr() and mse() agree with scikit-image to ≤ 1e-6 on random images",
  ignore: !skPython,
  fn: async () => {
    const cases: { w: number; h: number; a: number[]; b: number[] }[] = [];
    for (const [w, h] of [[32, 40], [64, 64], [11, 13]] as const) {
      const ref = smoothImage(w, h);
      const pred = ref.map((v) => v + 0.03 * (Math.random() - 0.5));
      cases.push({ w, h, a: Array.from(pred), b: Array.from(ref) });
    }
    const w = 24, h = 19;
    cases.push({
      w,
      h,
      a: Array.from(randomArray(w * h, 0, 1)),
      b: Array.from(randomArray(w * h, 0, 1)),
    });
    const code = `
import sys, json, numpy as np
from skimage.metrics import structural_similarity, peak_signal_noise_ratio, mean_squared_error
out = []
for c in json.load(sys.stdin):
    a = np.array(c["a"], dtype=np.float64).reshape(c["h"], c["w"])
    b = np.array(c["b"], dtype=np.float64).reshape(c["h"], c["w"])
    s = structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1)
    out.append([float(s), float(peak_signal_noise_ratio(b, a, data_range=1)), float(mean_squared_error(a, b))])
print(json.dumps(out))`;
    const expected = JSON.parse(
      await runPython(skPython!, code, JSON.stringify(cases)),
    ) as number[][];
    const ours = cases.map((c) => [ssim(c.a, c.b, c.w, c.h), psnr(c.a, c.b), mse(c.a, c.b)]);
    const r = assertClose(ours.map((o) => o[0]!), expected.map((e) => e[0]!), {
      atol: 1e-6,
      label: "SSIM vs skimage",
    });
    console.log(
      `SSIM vs scikit-image (${skPython}): max |diff| ${
        r.maxAbs.toExponential(2)
      } over ${cases.length} image pairs`,
    );
    assertClose(ours.map((o) => o[1]!), expected.map((e) => e[1]!), {
      atol: 1e-9,
      label: "PSNR vs skimage",
    });
    assertClose(ours.map((o) => o[2]!), expected.map((e) => e[2]!), {
      atol: 1e-12,
      label: "MSE vs skimage",
    });
  },
});
