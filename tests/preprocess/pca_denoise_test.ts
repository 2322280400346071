/** PCA denoising and its eigen-solver on fresh random data, against direct computations. */
import { assert, assertEquals } from "../_assert.ts";
import { assertClose } from "../_util.ts";
import { symmetricEigen } from "../../src/preprocess/sym_eigen.ts";
import {
  malinowskiCriterion,
  medianCriterion,
  nelsonCriterion,
  PCA_CRITERIA,
  pcaDenoise,
} from "../../src/preprocess/pca_denoise.ts";
import { gauss } from "../_random.ts";

Deno.test("symmetricEigen() diagonalises random symmetric matrices: A·V = V·Λ, VᵀV = I, values descending", () => {
  for (let trial = 0; trial < 4; trial++) {
    const n = 2 + Math.floor(Math.random() * 40);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = gauss() * (i === j ? 3 : 1);
    }
    const { values, vectors: V } = symmetricEigen(a, n);
    for (let j = 1; j < n; j++) assert(values[j - 1]! >= values[j]!, "descending");
    const av = new Float64Array(n * n), vl = new Float64Array(n * n), vtv = new Float64Array(n * n);
    const eye = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      eye[i * n + i] = 1;
      for (let j = 0; j < n; j++) {
        let s = 0, t = 0;
        for (let k = 0; k < n; k++) {
          s += a[i * n + k]! * V[k * n + j]!;
          t += V[k * n + i]! * V[k * n + j]!;
        }
        av[i * n + j] = s;
        vtv[i * n + j] = t;
        vl[i * n + j] = V[i * n + j]! * values[j]!;
      }
    }
    assertClose(av, vl, { atol: 1e-10 * n, label: `A·V = V·Λ (n ${n})` });
    assertClose(vtv, eye, { atol: 1e-12 * n, label: `VᵀV = I (n ${n})` });
    // the trace is the sum of the eigenvalues
    let tr = 0;
    for (let i = 0; i < n; i++) tr += a[i * n + i]!;
    assertClose([values.reduce((s, v) => s + v, 0)], [tr], { atol: 1e-10 * n, label: "trace" });
  }
});

/** Random rank-r spectra + Gaussian noise, stored [offset][voxel] as the pipeline does. */
function lowRank(nvox: number, m: number, r: number, sigma: number) {
  const mean = Array.from({ length: m }, () => 0.5 + 0.3 * Math.random());
  const basis = Array.from({ length: r }, () => Array.from({ length: m }, gauss));
  const clean = new Float32Array(nvox * m), noisy = new Float32Array(nvox * m);
  for (let v = 0; v < nvox; v++) {
    const c = Array.from({ length: r }, (_, j) => (0.3 / (j + 1)) * gauss());
    for (let k = 0; k < m; k++) {
      let s = mean[k]!;
      for (let j = 0; j < r; j++) s += c[j]! * basis[j]![k]!;
      clean[k * nvox + v] = s;
      noisy[k * nvox + v] = s + sigma * gauss();
    }
  }
  return { clean, noisy };
}

/** Top-k subspace by orthogonal iteration on X̃ᵀX̃ (no eigen-solver), then X̃·U·Uᵀ + mean. */
function directReconstruction(
  data: Float32Array,
  nvox: number,
  m: number,
  voxels: number[],
  k: number,
): Float64Array {
  const n = voxels.length;
  const mean = Array.from(
    { length: m },
    (_, a) => voxels.reduce((s, v) => s + data[a * nvox + v]!, 0) / n,
  );
  const X = voxels.map((v) => Array.from({ length: m }, (_, a) => data[a * nvox + v]! - mean[a]!));
  const G = Array.from(
    { length: m },
    (_, a) => Array.from({ length: m }, (_, b) => X.reduce((s, row) => s + row[a]! * row[b]!, 0)),
  );
  let U = Array.from({ length: k }, () => Array.from({ length: m }, gauss));
  for (let it = 0; it < 300; it++) {
    const W = U.map((u) => G.map((row) => row.reduce((s, g, b) => s + g * u[b]!, 0)));
    // Gram–Schmidt
    U = [];
    for (const w of W) {
      const q = w.slice();
      for (const u of U) {
        const d = q.reduce((s, x, i) => s + x * u[i]!, 0);
        for (let i = 0; i < m; i++) q[i]! -= d * u[i]!;
      }
      const nq = Math.hypot(...q);
      U.push(q.map((x) => x / nq));
    }
  }
  const out = Float64Array.from(data);
  voxels.forEach((v, i) => {
    const c = U.map((u) => u.reduce((s, x, a) => s + x * X[i]![a]!, 0));
    for (let a = 0; a < m; a++) {
      out[a * nvox + v] = mean[a]! + U.reduce((s, u, j) => s + c[j]! * u[a]!, 0);
    }
  });
  return out;
}

Deno.test("pcaDenoise() with k components equals the direct projection onto the top-k subspace; voxels outside the list are untouched", () => {
  const nvox = 150 + Math.floor(Math.random() * 100), m = 12 + Math.floor(Math.random() * 10);
  const r = 2 + Math.floor(Math.random() * 3);
  const { noisy } = lowRank(nvox, m, r, 0.01);
  // a mask with holes, and a few NaN voxels that the caller leaves out
  const voxels: number[] = [];
  for (let v = 0; v < nvox; v++) if (Math.random() < 0.8) voxels.push(v);
  const outside = Array.from({ length: nvox }, (_, v) => v).filter((v) => !voxels.includes(v));
  for (const v of outside.slice(0, 3)) noisy[v] = NaN;
  const got = pcaDenoise(noisy, nvox, m, voxels, r);
  assertEquals(got.components, r);
  assertEquals(got.criterion, "fixed");
  const want = directReconstruction(noisy, nvox, m, voxels, r);
  const pick = (a: ArrayLike<number>) =>
    voxels.flatMap((v) => Array.from({ length: m }, (_, k) => a[k * nvox + v]!));
  assertClose(pick(got.data), pick(want), { atol: 2e-6, label: "denoised voxels" });
  for (const v of outside) {
    for (let k = 0; k < m; k++) {
      const a = got.data[k * nvox + v]!, b = noisy[k * nvox + v]!;
      assert(Object.is(a, b) || a === b, `voxel ${v} outside the list changed`);
    }
  }
});

Deno.test("pcaDenoise() criteria find the rank of clear low-rank data and remove most of the noise", () => {
  const nvox = 600, m = 41, r = 3;
  const sigma = 0.002 + 0.004 * Math.random();
  const { clean, noisy } = lowRank(nvox, m, r, sigma);
  const voxels = Array.from({ length: nvox }, (_, v) => v);
  const rmse = (a: ArrayLike<number>) =>
    Math.sqrt(Array.from(clean).reduce((s, c, i) => s + (a[i]! - c) ** 2, 0) / clean.length);
  for (const c of PCA_CRITERIA) {
    const d = pcaDenoise(noisy, nvox, m, voxels, c);
    // Nelson keeps the first eigenvalue of the noise line too (module doc)
    const want = c === "nelson" ? [r, r + 1] : [r];
    assert(
      want.includes(d.components),
      `${c} proposes ${d.components} (${JSON.stringify(d.proposals)})`,
    );
    assertEquals(d.criterion, c);
    // noise left ≈ σ·√(k/m) (plus the subspace error): well under half of it here
    assert(rmse(d.data) < 0.5 * rmse(noisy), `${c}: rmse ${rmse(d.data)} vs noisy ${rmse(noisy)}`);
  }
});

Deno.test("PCA criteria on textbook eigenvalue curves: a plateau after a few large values", () => {
  const k = 2 + Math.floor(Math.random() * 5);
  const lam = Array.from(
    { length: 60 },
    (_, j) => (j < k ? 100 / (j + 1) : 1 + 0.01 * Math.random()),
  )
    .sort((a, b) => b - a);
  assertEquals(medianCriterion(lam), k);
  assertEquals(malinowskiCriterion(lam, 1000), k);
  // Nelson keeps the first eigenvalue of the plateau too
  assertEquals(nelsonCriterion(lam), k + 1);
});
