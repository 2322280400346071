import { assertClose, gpuTest, randomArray } from "../_util.ts";
import { storageBuffer } from "../../src/gpu/buffers.ts";
import {
  addBackward,
  addBroadcastBackward,
  addBroadcastForward,
  addForward,
  colSumAcc,
} from "../../src/nn/add.ts";
import {
  addBroadcastBackwardRef,
  addBroadcastForwardRef,
  addForwardRef,
} from "../../src/nn/reference/add.ts";
import { sinusoidalEncoding } from "../../src/nn/posenc.ts";
import { assertEquals } from "../_assert.ts";
import { dot, f32, finiteDiff, runPass, up } from "./_layer_util.ts";

gpuTest("addForward()/addBackward() match the float64 reference", async (device) => {
  const n = 777;
  const a = f32(randomArray(n)), b = f32(randomArray(n)), g = f32(randomArray(n));
  const da0 = f32(randomArray(n)), db0 = f32(randomArray(n));
  const out = storageBuffer(device, n * 4), da = up(device, da0), db = up(device, db0);
  const [o, ga, gb] = await runPass(device, (pass) => {
    addForward(device, pass, out, up(device, a), up(device, b), n);
    addBackward(device, pass, da, db, up(device, g), n);
  }, [{ buf: out, n }, { buf: da, n }, { buf: db, n }]);
  // a single f32 addition: at most half an ulp from the f64 sum
  assertClose(o!, addForwardRef(a, b), { atol: 0, rtol: 1.2e-7, label: "add" });
  assertClose(ga!, addForwardRef(da0, g), { atol: 0, rtol: 1.2e-7, label: "da" });
  assertClose(gb!, addForwardRef(db0, g), { atol: 0, rtol: 1.2e-7, label: "db" });
});

gpuTest(
  "addBroadcastForward()/addBroadcastBackward() match the float64 reference",
  async (device) => {
    const B = 13, T = 101, E = 6, inner = T * E;
    const x = f32(randomArray(B * inner)),
      table = f32(randomArray(inner)),
      g = f32(randomArray(B * inner));
    const dx0 = f32(randomArray(B * inner)), dt0 = f32(randomArray(inner));
    const out = storageBuffer(device, B * inner * 4), dx = up(device, dx0), dt = up(device, dt0);
    const [o, gx, gt] = await runPass(device, (pass) => {
      addBroadcastForward(device, pass, out, up(device, x), up(device, table), B, inner);
      addBroadcastBackward(device, pass, dx, dt, up(device, g), B, inner);
    }, [{ buf: out, n: B * inner }, { buf: dx, n: B * inner }, { buf: dt, n: inner }]);
    assertClose(o!, addBroadcastForwardRef(x, table, B, inner), {
      atol: 0,
      rtol: 1.2e-7,
      label: "bcast",
    });
    const wx = Float64Array.from(dx0), wt = Float64Array.from(dt0);
    addBroadcastBackwardRef(wx, wt, g, B, inner);
    assertClose(gx!, wx, { atol: 0, rtol: 1.2e-7, label: "dinp" });
    assertClose(gt!, wt, { atol: 1e-6, rtol: 1e-5, label: "dtable (sum of 13)" });
  },
);

Deno.test("addBroadcastBackwardRef() matches central finite differences", () => {
  const B = 3, inner = 5;
  const x = randomArray(B * inner), t = randomArray(inner), r = randomArray(B * inner);
  const loss = () => dot(addBroadcastForwardRef(x, t, B, inner), r);
  const dx = new Float64Array(B * inner), dt = new Float64Array(inner);
  addBroadcastBackwardRef(dx, dt, r, B, inner);
  assertClose(dx, finiteDiff(x, loss), { atol: 1e-8, rtol: 1e-6, label: "dinp" });
  assertClose(dt, finiteDiff(t, loss), { atol: 1e-8, rtol: 1e-6, label: "dtable" });
});

Deno.test("sinusoidalEncoding() follows sin/cos of t / 10000^(2i/E)", () => {
  const T = 101, E = 16;
  const pe = sinusoidalEncoding(T, E);
  assertEquals(pe.length, T * E);
  // position 0: sin 0 = 0 in even columns, cos 0 = 1 in odd ones
  for (let j = 0; j < E; j++) assertEquals(pe[j], j % 2 === 0 ? 0 : 1);
  // column pair 0 has frequency 1; the last pair has 1 / 10000^((E-2)/E)
  const t = 1 + Math.floor(Math.random() * (T - 1));
  assertClose([pe[t * E]!, pe[t * E + 1]!], [Math.sin(t), Math.cos(t)], {
    atol: 1e-7,
    label: "pair 0",
  });
  const w = Math.pow(10000, -(E - 2) / E);
  assertClose([pe[t * E + E - 2]!, pe[t * E + E - 1]!], [Math.sin(t * w), Math.cos(t * w)], {
    atol: 1e-7,
    label: "last pair",
  });
  // sin² + cos² = 1 for every pair
  for (let i = 0; i < T * E; i += 2) {
    assertClose([pe[i]! ** 2 + pe[i + 1]! ** 2], [1], { atol: 1e-6 });
  }
});

gpuTest(
  "colSumAcc() adds column sums for few rows (one stage) and many rows (two stages)",
  async (device) => {
    for (const [rows, cols] of [[50, 7], [1000, 3], [25_856, 1]] as [number, number][]) {
      const a = f32(randomArray(rows * cols)), o0 = f32(randomArray(cols));
      const ob = up(device, o0);
      const [got] = await runPass(
        device,
        (pass) => colSumAcc(device, pass, ob, up(device, a), rows, cols),
        [{ buf: ob, n: cols }],
      );
      const want = Float64Array.from(o0);
      addBroadcastBackwardRef(null, want, a, rows, cols);
      // f32 sums of up to 25,856 terms of size ≤ 1 in blocks of 128: error ~1e-5 absolute
      assertClose(got!, want, {
        atol: 1e-6 * Math.sqrt(rows),
        rtol: 1e-5,
        label: `colSumAcc ${rows}x${cols}`,
      });
    }
  },
);
