import { assertClose, gpuTest, randomArray } from "../_util.ts";
import { storageBuffer } from "../../src/gpu/buffers.ts";
import { attentionBackward, attentionForward } from "../../src/nn/attention.ts";
import { attentionBackwardRef, attentionForwardRef } from "../../src/nn/reference/attention.ts";
import { assertThrows } from "../_assert.ts";
import { dot, f32, finiteDiff, runPass, up } from "./_layer_util.ts";

gpuTest("attentionForward()/attentionBackward() match the float64 reference", async (device) => {
  // odd T (as the 101 offsets), head size 6 and 1
  for (
    const [B, T, D, NH] of [[3, 13, 24, 4], [2, 101, 8, 8], [1, 5, 3, 1]] as [
      number,
      number,
      number,
      number,
    ][]
  ) {
    const qkv = f32(randomArray(B * T * 3 * D, -2, 2)), dout = f32(randomArray(B * T * D));
    const d0 = f32(randomArray(B * T * 3 * D));
    const out = storageBuffer(device, B * T * D * 4),
      att = storageBuffer(device, B * NH * T * T * 4);
    const dqkv = up(device, d0), qb = up(device, qkv);
    const [o, a, g] = await runPass(device, (pass) => {
      attentionForward(device, pass, out, att, qb, B, T, D, NH);
      attentionBackward(device, pass, dqkv, up(device, dout), qb, att, B, T, D, NH);
    }, [{ buf: out, n: B * T * D }, { buf: att, n: B * NH * T * T }, {
      buf: dqkv,
      n: B * T * 3 * D,
    }]);
    const ref = attentionForwardRef(qkv, B, T, D, NH);
    const label = `B${B} T${T} D${D} NH${NH}`;
    // softmax of scores up to ~|hs·4/sqrt(hs)|: f32 exp and sums of T terms, ~1e-6 relative
    const ra = assertClose(a!, ref.att, { atol: 1e-6, rtol: 1e-4, label: `att ${label}` });
    const ro = assertClose(o!, ref.out, { atol: 1e-5, rtol: 1e-4, label: `out ${label}` });
    const want = Float64Array.from(d0);
    attentionBackwardRef(want, dout, qkv, ref.att, B, T, D, NH);
    const rg = assertClose(g!, want, { atol: 2e-5, rtol: 1e-4, label: `dqkv ${label}` });
    console.log(
      `${label}: max abs err att ${ra.maxAbs.toExponential(1)}, out ${
        ro.maxAbs.toExponential(1)
      }, dqkv ${rg.maxAbs.toExponential(1)}`,
    );
  }
});

gpuTest("attentionForward() rejects a width that the heads do not divide", (device) => {
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  const b = storageBuffer(device, 64);
  assertThrows(
    () => attentionForward(device, pass, b, b, b, 1, 2, 10, 4),
    /multiple of the number of heads/,
  );
  pass.end();
});

Deno.test("attentionBackwardRef() matches central finite differences of attentionForwardRef()", () => {
  const B = 2, T = 4, D = 6, NH = 2;
  const qkv = randomArray(B * T * 3 * D, -1.5, 1.5), r = randomArray(B * T * D);
  const loss = () => dot(attentionForwardRef(qkv, B, T, D, NH).out, r);
  const d = new Float64Array(B * T * 3 * D);
  attentionBackwardRef(d, r, qkv, attentionForwardRef(qkv, B, T, D, NH).att, B, T, D, NH);
  assertClose(d, finiteDiff(qkv, loss), { atol: 1e-8, rtol: 1e-6, label: "fd dqkv" });
});

gpuTest(
  "attentionForward()/attentionBackward() split batches above the binding limit into 64-sequence blocks",
  async (device) => {
    // 130 sequences with a limit of ~70 sequences: blocks of 64, 64 and 2
    const B = 130, T = 7, D = 8, NH = 2;
    const perSeq = 4 * Math.max(T * 3 * D, NH * T * T);
    const opts = { maxBindingBytes: 70 * perSeq };
    const qkv = f32(randomArray(B * T * 3 * D, -2, 2)), dout = f32(randomArray(B * T * D));
    const out = storageBuffer(device, B * T * D * 4),
      att = storageBuffer(device, B * NH * T * T * 4);
    const dqkv = storageBuffer(device, B * T * 3 * D * 4), qb = up(device, qkv);
    const [o, g] = await runPass(device, (pass) => {
      attentionForward(device, pass, out, att, qb, B, T, D, NH, opts);
      attentionBackward(device, pass, dqkv, up(device, dout), qb, att, B, T, D, NH, opts);
    }, [{ buf: out, n: B * T * D }, { buf: dqkv, n: B * T * 3 * D }]);
    const ref = attentionForwardRef(qkv, B, T, D, NH);
    assertClose(o!, ref.out, { atol: 1e-5, rtol: 1e-4, label: "split out" });
    const want = new Float64Array(B * T * 3 * D);
    attentionBackwardRef(want, dout, qkv, ref.att, B, T, D, NH);
    assertClose(g!, want, { atol: 2e-5, rtol: 1e-4, label: "split dqkv" });
  },
);
