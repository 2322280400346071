/** Rician SNR augmentation (src/nn/augment.ts): the noise law, the clean fraction, seeds. */
import { assert, assertEquals } from "../_assert.ts";
import { augmentInto, checkSnrAugment, type SnrAugment } from "../../src/nn/augment.ts";
import { Rng } from "../../src/util/rng.ts";

const seed = Math.floor(Math.random() * 1e9);

/** rows × T copies of the constant z, augmented with a fixed SNR (no clean rows). */
function noisy(z: number, snr: number, rows: number, T: number, s = seed) {
  const x = new Float32Array(rows * T).fill(z);
  const sig = new Float32Array(rows);
  augmentInto(x, x, rows, T, new Rng(s, 1), { snrMin: snr, snrMax: snr, cleanFraction: 0 }, sig);
  return { x, sig };
}

Deno.test("augmentInto() at z = 0 is Rayleigh: mean σ·√(π/2), mean square 2σ² (M0 noise aside)", () => {
  const snr = 50, sigma = 1 / snr;
  const { x, sig } = noisy(0, snr, 2000, 101);
  assert(sig.every((s) => Math.abs(s - sigma) < 1e-9), "σ = 1/SNR for every row");
  let m1 = 0, m2 = 0;
  for (const v of x) (m1 += v), (m2 += v * v);
  m1 /= x.length;
  m2 /= x.length;
  // The M0 denominator |1 + σm| scales by ≈ 1 + σ²/2 (mean of 1/|1+σm|): 2e-4 here.
  const r1 = m1 / (sigma * Math.sqrt(Math.PI / 2)), r2 = m2 / (2 * sigma * sigma);
  assert(Math.abs(r1 - 1) < 0.01, `mean |σn| / σ√(π/2) = ${r1}`);
  assert(Math.abs(r2 - 1) < 0.02, `mean |σn|² / 2σ² = ${r2}`);
});

Deno.test("augmentInto() divides a whole spectrum by one noisy M0: spectrum means vary by σ, not σ/√T", () => {
  // z = 1: x_j ≈ 1 + σ(n1_j − m1), so the mean over T offsets has variance σ²(1/T + 1);
  // with per-offset M0 draws (or none) it would be ≈ σ²/T.
  const snr = 100, sigma = 1 / snr, T = 101, rows = 4000;
  const { x } = noisy(1, snr, rows, T);
  let s = 0, s2 = 0, within = 0;
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let j = 0; j < T; j++) m += x[r * T + j]!;
    m /= T;
    for (let j = 0; j < T; j++) within += (x[r * T + j]! - m) ** 2;
    s += m;
    s2 += m * m;
  }
  const varMean = s2 / rows - (s / rows) ** 2;
  const ratio = varMean / (sigma * sigma * (1 + 1 / T));
  assert(Math.abs(ratio - 1) < 0.1, `variance of spectrum means / σ²(1 + 1/T) = ${ratio}`);
  // Within a spectrum the offsets scatter by σ (real part of the Rician at z = 1).
  const wv = within / (rows * (T - 1)) / (sigma * sigma);
  assert(Math.abs(wv - 1) < 0.03, `within-spectrum variance / σ² = ${wv}`);
});

Deno.test("augmentInto() leaves the clean fraction untouched and draws SNR log-uniform", () => {
  const cfg: SnrAugment = { snrMin: 20, snrMax: 2000, cleanFraction: 0.25 };
  const rows = 8000, T = 8;
  const src = new Float32Array(rows * T).map((_, i) => 0.2 + 0.7 * ((i * 7919) % 101) / 101);
  const dst = new Float32Array(rows * T);
  const sig = new Float32Array(rows);
  augmentInto(dst, src, rows, T, new Rng(seed, 2), cfg, sig);
  let clean = 0, lnSum = 0;
  for (let r = 0; r < rows; r++) {
    const a = src.subarray(r * T, (r + 1) * T), b = dst.subarray(r * T, (r + 1) * T);
    const same = a.every((v, j) => v === b[j]);
    assertEquals(same, sig[r] === 0, `row ${r}: unchanged exactly when clean`);
    if (sig[r] === 0) {
      clean++;
      continue;
    }
    const snr = 1 / sig[r]!;
    assert(snr >= 20 * 0.9999 && snr <= 2000 * 1.0001, `SNR ${snr} in [20, 2000]`);
    lnSum += Math.log(snr);
  }
  const frac = clean / rows; // binomial sd ≈ 0.005
  assert(Math.abs(frac - 0.25) < 0.02, `clean fraction ${frac}`);
  const lnMid = (Math.log(20) + Math.log(2000)) / 2; // log-uniform: mean of ln SNR
  const lnMean = lnSum / (rows - clean); // sd of the mean ≈ 1.33 / 77 ≈ 0.017
  assert(Math.abs(lnMean - lnMid) < 0.07, `mean ln SNR ${lnMean} vs ${lnMid}`);
});

Deno.test("augmentInto() is a pure function of the RNG stream: same seed, same bytes", () => {
  const a = noisy(0.5, 40, 50, 101, seed).x, b = noisy(0.5, 40, 50, 101, seed).x;
  assertEquals(new Uint8Array(a.buffer), new Uint8Array(b.buffer));
  const c = noisy(0.5, 40, 50, 101, seed + 1).x;
  assert(c.some((v, i) => v !== a[i]), "another seed gives other noise");
  // in place and out of place agree
  const src = new Float32Array(50 * 101).fill(0.5), out = new Float32Array(src.length);
  augmentInto(out, src, 50, 101, new Rng(seed, 1), { snrMin: 40, snrMax: 40, cleanFraction: 0 });
  assertEquals(out, a);
  assert(src.every((v) => v === 0.5), "src untouched when dst is another array");
});

Deno.test("checkSnrAugment() names the flag and the fix", () => {
  const cases: [SnrAugment, RegExp][] = [
    [{ snrMin: 0.5, snrMax: 10, cleanFraction: 0 }, /--snr: the lowest SNR must be .*≥ 1/],
    [{ snrMin: 30, snrMax: Infinity, cleanFraction: 0 }, /--snr: the highest SNR must be finite/],
    [{ snrMin: 30, snrMax: 10, cleanFraction: 0 }, /--snr: .*≥ the lowest 30/],
    [{ snrMin: 30, snrMax: 100, cleanFraction: 1 }, /--clean-fraction must be in \[0, 1\)/],
  ];
  for (const [cfg, re] of cases) {
    let err: unknown;
    try {
      checkSnrAugment(cfg);
    } catch (e) {
      err = e;
    }
    assert(err instanceof RangeError && re.test(err.message), `${JSON.stringify(cfg)}: ${err}`);
  }
  checkSnrAugment({ snrMin: 30, snrMax: 30, cleanFraction: 0.5 });
});
