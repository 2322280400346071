/**
 * The per-spectrum noise estimate a noise-aware model sees: calibrated against the true σ
 * of Gaussian noise on smooth multi-Lorentzian Z-spectra (any grid), far below it on clean
 * spectra, and the feature's scale as documented.
 */
import { assert, assertEquals } from "../_assert.ts";
import { estimateNoiseSigma, noiseFeatureOf } from "../../src/nn/noise_level.ts";
import { Rng } from "../../src/util/rng.ts";

/** A Z-spectrum: 1 − water, MT and CEST Lorentzians of random amplitude, width and place. */
function spectrum(offsets: number[], rng: Rng): Float64Array {
  const pools = [
    { at: 0, a: 0.7 + 0.25 * rng.uniform(), w: 0.8 + 0.8 * rng.uniform() },
    { at: -2.5, a: 0.1 + 0.2 * rng.uniform(), w: 15 + 30 * rng.uniform() },
    { at: 3.5, a: 0.02 + 0.05 * rng.uniform(), w: 0.4 + 0.6 * rng.uniform() },
    { at: 2.0, a: 0.01 + 0.03 * rng.uniform(), w: 0.3 + 0.6 * rng.uniform() },
    { at: -3.5, a: 0.02 + 0.06 * rng.uniform(), w: 0.8 + 1.5 * rng.uniform() },
  ];
  return Float64Array.from(offsets, (x) => {
    let z = 1;
    for (const p of pools) z -= p.a / (1 + ((x - p.at) / (p.w / 2)) ** 2);
    return Math.max(z, 0);
  });
}

const median = (v: number[]) => v.slice().sort((a, b) => a - b)[v.length >> 1]!;

for (
  const [grid, tol, offsets] of [
    ["even 101-offset grid", 0.08, Array.from({ length: 101 }, (_, i) => -6 + 0.12 * i)],
    [
      "uneven 60-offset grid",
      0.3,
      Array.from(
        { length: 60 },
        (_, i) => Math.sign(i - 29.5) * 6 * ((Math.abs(i - 29.5) / 29.5) ** 1.3),
      ),
    ],
  ] as const
) {
  Deno.test(`estimateNoiseSigma() recovers σ (median) on the ${grid}`, () => {
    const seed = Math.floor(Math.random() * 2 ** 31);
    const rng = new Rng(seed, 1);
    for (const sigma of [0.002, 0.01, 0.03]) {
      const ratios: number[] = [];
      for (let k = 0; k < 200; k++) {
        const z = spectrum([...offsets], rng).map((v) => v + sigma * rng.normal());
        ratios.push(estimateNoiseSigma(z, [...offsets]) / sigma);
      }
      const m = median(ratios);
      // measured medians: 0.99–1.03 on the even grid; on the coarse uneven one up to 1.18 at
      // σ 0.002 (the spectrum's own curvature between samples 0.2–0.35 ppm apart adds)
      assert(Math.abs(m - 1) < tol, `seed ${seed}: σ ${sigma}: median σ̂/σ = ${m.toFixed(3)}`);
    }
    const clean: number[] = [];
    for (let k = 0; k < 200; k++) {
      clean.push(estimateNoiseSigma(spectrum([...offsets], rng), [...offsets]));
    }
    // a clean spectrum reads far below the smallest σ tested (the cubic's error, not noise)
    assert(median(clean) < 4e-4, `seed ${seed}: clean spectra give ${median(clean)}`);
  });
}

Deno.test("noiseFeatureOf() is log10(max(σ̂, 1e-5)) + 2 per spectrum; too few usable offsets give the floor", () => {
  assertEquals(noiseFeatureOf(0.01), 0);
  assert(Math.abs(noiseFeatureOf(0.001) + 1) < 1e-12);
  assertEquals(noiseFeatureOf(0), -3);
  const offsets = [-0.5, -0.25, 0, 0.25, 0.5]; // all within 1 ppm of water
  assertEquals(estimateNoiseSigma([1, 0.5, 0, 0.5, 1], offsets), 0);
  const rng = new Rng(4, 2);
  const offs = Array.from({ length: 101 }, (_, i) => -6 + 0.12 * i);
  const x = new Float32Array(2 * 101);
  x.set(spectrum(offs, rng).map((v) => v + 0.01 * rng.normal()), 0);
  x.set(spectrum(offs, rng), 101);
  const f = [0, 1].map((j) =>
    noiseFeatureOf(estimateNoiseSigma(x.subarray(j * 101, (j + 1) * 101), offs))
  );
  assert(Math.abs(f[0]!) < 0.15 && f[1]! < -1.5, `features ${[...f]}`);
});
