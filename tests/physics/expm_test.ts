import { assert } from "../_assert.ts";
import { assertClose, randomArray } from "../_util.ts";
import {
  expm,
  expmHigham,
  identity,
  matmul,
  matvec,
  normInf,
  solve,
  solveMatrix,
} from "../../src/physics/expm.ts";
import { bmSystem } from "../../src/physics/bm_matrix.ts";
import { findPython, runPython } from "../eval/_python.ts";
import { randomModel } from "./_random_model.ts";

/** A random well-conditioned V = I + R (small R) and a block-diagonal D (real and complex pairs). */
function knownSpectrum(n: number, scale: number) {
  const v = identity(n);
  const r = randomArray(n * n, -0.6 / Math.sqrt(n), 0.6 / Math.sqrt(n)); // ‖R‖₂ ≲ 0.7: cond(V) small
  for (let i = 0; i < n * n; i++) v[i]! += r[i]!;
  const d = new Float64Array(n * n), eD = new Float64Array(n * n);
  for (let i = 0; i < n;) {
    const re = -scale * Math.random() * 2 + scale * 0.1;
    if (i + 1 < n && Math.random() < 0.5) {
      const im = scale * (Math.random() - 0.5) * 4;
      d[i * n + i] = re,
        d[(i + 1) * n + i + 1] = re,
        d[i * n + i + 1] = im,
        d[(i + 1) * n + i] = -im;
      const e = Math.exp(re);
      eD[i * n + i] = e * Math.cos(im), eD[(i + 1) * n + i + 1] = e * Math.cos(im);
      eD[i * n + i + 1] = e * Math.sin(im), eD[(i + 1) * n + i] = -e * Math.sin(im);
      i += 2;
    } else {
      d[i * n + i] = re, eD[i * n + i] = Math.exp(re);
      i += 1;
    }
  }
  // A = V D V⁻¹ and e^A = V e^D V⁻¹, using (V⁻¹ᵀ)… via solves: X V = Y ⇔ Vᵀ Xᵀ = Yᵀ
  const rightDivide = (y: Float64Array) => transpose(solveMatrix(transpose(v), transpose(y)));
  return { a: rightDivide(matmul(v, d)), want: rightDivide(matmul(v, eD)) };
}
function transpose(m: Float64Array): Float64Array {
  const n = Math.round(Math.sqrt(m.length));
  const t = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) t[j * n + i] = m[i * n + j]!;
  return t;
}

Deno.test("expmHigham() matches V·e^D·V⁻¹ at every Padé degree (norms 0.005 to 40) and expm() on BM pulse samples", () => {
  for (
    const [n, scale] of [[3, 0.002], [8, 0.08], [8, 0.3], [19, 0.7], [19, 2], [19, 10], [
      40,
      20,
    ]] as const
  ) {
    const { a, want } = knownSpectrum(n, scale);
    assertClose(expmHigham(a), want, {
      atol: 1e-11 * normInf(want),
      rtol: 1e-9,
      label: `n=${n}, scale ${scale}`,
    });
  }
  for (let trial = 0; trial < 20; trial++) {
    const { A } = bmSystem(randomModel({ pools: 3 }), 5 * Math.random(), 8 * (Math.random() - 0.5));
    const t = 10 ** (-5 + 3 * Math.random());
    // the two round differently in proportion to ‖At‖: over 20,000 draws the largest
    // |difference| / max(1, ‖At‖∞) was 3.5e-15 (a fixed 1e-13 failed for ‖At‖ ≈ 40)
    const atol = 1e-14 * Math.max(1, normInf(A) * t);
    assertClose(expmHigham(A, t), expm(A, t), { atol, label: `trial ${trial}` });
  }
});

Deno.test("expm() matches V·e^D·V⁻¹ for random matrices with known eigenvalues", () => {
  for (const [n, scale] of [[3, 0.5], [8, 3], [19, 10], [40, 20]] as const) {
    const { a, want } = knownSpectrum(n, scale);
    const r = assertClose(expm(a), want, {
      atol: 1e-11 * normInf(want),
      rtol: 1e-9,
      label: `n=${n}`,
    });
    assert(r.maxAbs <= 1e-11 * normInf(want));
  }
});

Deno.test("expm() satisfies e^{A(s+t)} = e^{As}·e^{At} on random Bloch–McConnell matrices", () => {
  for (let rep = 0; rep < 3; rep++) {
    const model = randomModel();
    const { A } = bmSystem(model, 2 * Math.random(), 12 * Math.random() - 6);
    const s = 2 * Math.random(), t = 2 * Math.random();
    const lhs = expm(A, s + t), rhs = matmul(expm(A, s), expm(A, t));
    assertClose(lhs, rhs, { atol: 1e-10, label: "semigroup" }); // ~20 squarings amplify rounding
    assertClose(expm(A, 0), identity(Math.round(Math.sqrt(A.length))), { atol: 0, label: "e^0" });
  }
});

Deno.test("solve() recovers x from A·x for random dense systems", () => {
  for (const n of [1, 5, 19, 40]) {
    const a = randomArray(n * n);
    for (let i = 0; i < n; i++) a[i * n + i]! += n / 4; // keep it comfortably non-singular
    const x = randomArray(n);
    assertClose(solve(a, matvec(a, x)), x, { atol: 1e-11, label: `n=${n}` });
  }
});

Deno.test("expm() agrees with scipy.linalg.expm on Bloch–McConnell propagators", async () => {
  const py = await findPython(["numpy", "scipy"]);
  if (!py) {
    console.log("skipped: python3 with numpy+scipy not found");
    return;
  }
  const model = randomModel();
  // off water (|Δ| ≥ 2 ppm) and t ≤ 2 s so that e^{At} keeps O(0.1) entries to compare
  const offsetPpm = (Math.random() < 0.5 ? -1 : 1) * (2 + 4 * Math.random());
  const { A } = bmSystem(model, 0.3 + Math.random(), offsetPpm);
  const n = Math.round(Math.sqrt(A.length));
  const t = 0.2 + 1.8 * Math.random();
  const code = "import sys,json,numpy as np,scipy.linalg as sl;d=json.load(sys.stdin);" +
    "A=np.array(d['a']).reshape(d['n'],d['n']);print(json.dumps(sl.expm(A*d['t']).ravel().tolist()))";
  const out = await runPython(py, code, JSON.stringify({ a: Array.from(A), n, t }));
  const want = JSON.parse(out) as number[];
  const big = Math.max(...want.map(Math.abs));
  assert(big > 1e-3, `e^{At} too small to compare (${big})`);
  const r = assertClose(expm(A, t), want, { atol: 1e-10 * big, label: "scipy expm" });
  console.log(
    `n=${n}, ‖At‖∞=${(normInf(A) * t).toExponential(2)}, max|e^{At}| ${big.toFixed(3)}: ` +
      `max |Δ| vs scipy ${r.maxAbs.toExponential(2)}`,
  );
});
