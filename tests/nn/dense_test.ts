import { assertClose, gpuTest, randomArray } from "../_util.ts";
import { storageBuffer } from "../../src/gpu/buffers.ts";
import {
  denseBackward,
  denseForward,
  matmul,
  MATMUL_VARIANTS,
  type MatmulOptions,
  setMatmulVariant,
  vec4Eligible,
} from "../../src/nn/dense.ts";
import { assert } from "../_assert.ts";
import { denseBackwardRef, denseForwardRef, matmulRef } from "../../src/nn/reference/dense.ts";
import { dot, f32, finiteDiff, runPass, up } from "./_layer_util.ts";

// f32 dot products of length K with |terms| ≤ 1: error grows like sqrt(K)·2^-24·|terms|;
// atol 1e-5·sqrt(K/64)+rtol 1e-4 leaves a wide margin while still catching any index bug.
const tolFor = (K: number) => ({ atol: 1e-5 * Math.max(1, Math.sqrt(K / 16)), rtol: 1e-4 });

const SHAPES: [number, number, number][] = [
  [37, 101, 19], // odd sizes everywhere
  [130, 1, 67], // K = 1 (the input embedding), M crosses a 64-row tile
  [5, 70, 3], // fewer rows than one tile
  [64, 128, 64], // exact tiles
  [36, 100, 20], // multiples of 4 but not of 64: the vec4 kernel for every transpose
];

// The rb4x4 variant picks its vec4 kernel when the shape allows; "rb4x4-scalar" forces
// the scalar one so both are tested on the same shapes.
const KERNELS: { name: string; opts: MatmulOptions }[] = [
  { name: "rb4x4", opts: { variant: "rb4x4" } },
  { name: "rb4x4-scalar", opts: { variant: "rb4x4", scalarOnly: true } },
  { name: "tiled64", opts: { variant: "tiled64" } },
];

Deno.test("vec4Eligible() holds for every transpose of a 36x100x20 matmul and not for K = 101", () => {
  for (const tA of [false, true]) {
    for (const tB of [false, true]) assert(vec4Eligible(36, 100, 20, tA, tB));
  }
  assert(!vec4Eligible(36, 101, 20, false, false));
  assert(!vec4Eligible(37, 100, 20, true, false));
  assert(!vec4Eligible(36, 100, 19, false, false));
});

for (const { name: variant, opts: kopts } of KERNELS) {
  gpuTest(
    `matmul() ${variant} matches the float64 reference for all transpose/accumulate/bias combinations`,
    async (device) => {
      for (const [M, K, N] of SHAPES) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            const a = f32(randomArray(M * K)),
              b = f32(randomArray(K * N)),
              bias = f32(randomArray(N));
            const c0 = f32(randomArray(M * N));
            const accumulate = transA !== transB; // exercise both modes without 2x the runs
            const withBias = transA === false;
            const cb = up(device, c0);
            const [got] = await runPass(
              device,
              (pass) =>
                matmul(
                  device,
                  pass,
                  cb,
                  up(device, a),
                  up(device, b),
                  withBias ? up(device, bias) : null,
                  M,
                  K,
                  N,
                  {
                    transA,
                    transB,
                    accumulate,
                    ...kopts,
                  },
                ),
              [{ buf: cb, n: M * N }],
            );
            const want = matmulRef(a, b, withBias ? bias : null, M, K, N, transA, transB);
            if (accumulate) { for (let i = 0; i < want.length; i++) want[i] = want[i]! + c0[i]!; }
            const r = assertClose(got!, want, {
              ...tolFor(K),
              label: `${variant} ${M}x${K}x${N} tA=${transA} tB=${transB}`,
            });
            if (M === 37 && !transA && !transB) {
              console.log(`${variant} ${M}x${K}x${N}: max abs err ${r.maxAbs.toExponential(2)}`);
            }
          }
        }
      }
    },
  );
}

for (const variant of MATMUL_VARIANTS) {
  gpuTest(
    `denseForward()/denseBackward() ${variant} match the float64 reference on odd shapes`,
    async (device) => {
      setMatmulVariant(variant);
      try {
        for (
          const [M, K, N] of [[53, 101, 7], [101, 1, 33], [9, 16, 1], [24, 32, 8]] as [
            number,
            number,
            number,
          ][]
        ) {
          const inp = f32(randomArray(M * K)), w = f32(randomArray(K * N)), b = f32(randomArray(N));
          const dout = f32(randomArray(M * N));
          const dinp0 = f32(randomArray(M * K)),
            dw0 = f32(randomArray(K * N)),
            db0 = f32(randomArray(N));
          const out = storageBuffer(device, M * N * 4);
          const dinpB = up(device, dinp0), dwB = up(device, dw0), dbB = up(device, db0);
          const inpB = up(device, inp), wB = up(device, w), doutB = up(device, dout);
          const [o, di, dw, db] = await runPass(device, (pass) => {
            denseForward(device, pass, out, inpB, wB, up(device, b), M, K, N);
            denseBackward(device, pass, dinpB, dwB, dbB, doutB, inpB, wB, M, K, N);
          }, [{ buf: out, n: M * N }, { buf: dinpB, n: M * K }, { buf: dwB, n: K * N }, {
            buf: dbB,
            n: N,
          }]);
          assertClose(o!, denseForwardRef(inp, w, b, M, K, N), {
            ...tolFor(K),
            label: "dense out",
          });
          const rdinp = Float64Array.from(dinp0),
            rdw = Float64Array.from(dw0),
            rdb = Float64Array.from(db0);
          denseBackwardRef(rdinp, rdw, rdb, dout, inp, w, M, K, N);
          assertClose(di!, rdinp, { ...tolFor(N), label: "dense dinp" });
          assertClose(dw!, rdw, { ...tolFor(M), label: "dense dw" });
          assertClose(db!, rdb, { ...tolFor(M), label: "dense db" });
        }
      } finally {
        setMatmulVariant(undefined);
      }
    },
  );
}

gpuTest("matmul() handles 25,856 rows (batch 256 × 101 steps) in both variants", async (device) => {
  const M = 256 * 101, K = 3, N = 5;
  const a = f32(randomArray(M * K)), b = f32(randomArray(K * N));
  for (const variant of MATMUL_VARIANTS) {
    const c = storageBuffer(device, M * N * 4);
    const [got] = await runPass(
      device,
      (pass) => matmul(device, pass, c, up(device, a), up(device, b), null, M, K, N, { variant }),
      [{ buf: c, n: M * N }],
    );
    assertClose(got!, matmulRef(a, b, null, M, K, N), { ...tolFor(K), label: `${variant} tall` });
  }
});

Deno.test("denseBackwardRef() matches central finite differences of denseForwardRef()", () => {
  const M = 4, K = 5, N = 3;
  const inp = randomArray(M * K),
    w = randomArray(K * N),
    b = randomArray(N),
    r = randomArray(M * N);
  const loss = () => dot(denseForwardRef(inp, w, b, M, K, N), r);
  const dinp = new Float64Array(M * K), dw = new Float64Array(K * N), db = new Float64Array(N);
  denseBackwardRef(dinp, dw, db, r, inp, w, M, K, N);
  assertClose(dinp, finiteDiff(inp, loss), { atol: 1e-8, rtol: 1e-6, label: "fd dinp" });
  assertClose(dw, finiteDiff(w, loss), { atol: 1e-8, rtol: 1e-6, label: "fd dw" });
  assertClose(db, finiteDiff(b, loss), { atol: 1e-8, rtol: 1e-6, label: "fd db" });
});

gpuTest(
  "matmul() splits operands above the binding limit into row blocks with the same result",
  async (device) => {
    // A limit of ~100 rows of 4·max(K, N) bytes forces 64-row blocks; 203 rows gives a ragged
    // last block. Forward (A·B + bias), input gradient (A·Bᵀ, +=) and weight gradient (Aᵀ·B,
    // +=, the reduction split) as dense layers use them.
    const M = 203, K = 36, N = 20;
    const limit = 100 * 4 * Math.max(K, N);
    const cases: { tA: boolean; tB: boolean; acc: boolean; m: number; k: number; n: number }[] = [
      { tA: false, tB: false, acc: false, m: M, k: K, n: N },
      { tA: false, tB: true, acc: true, m: M, k: N, n: K },
      { tA: true, tB: false, acc: true, m: K, k: M, n: N },
    ];
    for (const variant of MATMUL_VARIANTS) {
      for (const { tA, tB, acc, m, k, n } of cases) {
        const a = f32(randomArray(m * k)),
          b = f32(randomArray(k * n)),
          bias = f32(randomArray(n)),
          c0 = f32(randomArray(m * n));
        const cb = up(device, c0);
        const [got] = await runPass(
          device,
          (pass) =>
            matmul(device, pass, cb, up(device, a), up(device, b), up(device, bias), m, k, n, {
              transA: tA,
              transB: tB,
              accumulate: acc,
              variant,
              maxBindingBytes: limit,
            }),
          [{ buf: cb, n: m * n }],
        );
        const want = matmulRef(a, b, bias, m, k, n, tA, tB);
        if (acc) {
          for (let i = 0; i < want.length; i++) {
            want[i] = want[i]! + c0[i]!;
          }
        }
        assertClose(got!, want, { ...tolFor(k), label: `${variant} split tA=${tA} tB=${tB}` });
      }
    }
  },
);
