import { assertClose, gpuTest, randomArray } from "../_util.ts";
import { storageBuffer } from "../../src/gpu/buffers.ts";
import { layernormBackward, layernormForward } from "../../src/nn/layernorm.ts";
import { layernormBackwardRef, layernormForwardRef } from "../../src/nn/reference/layernorm.ts";
import { dot, f32, finiteDiff, runPass, up } from "./_layer_util.ts";

gpuTest("layernormForward()/layernormBackward() match the float64 reference", async (device) => {
  for (const [M, C] of [[203, 37], [7, 256], [300, 1], [17_000, 16]] as [number, number][]) {
    // an offset of 3 checks the two-pass variance; C = 1 gives a zero variance (out = beta);
    // 17,000 rows take the two-stage gamma/beta gradient (C = 16 keeps every row well
    // conditioned: a near-constant row of few channels has rstd ~ 1/sqrt(eps))
    const x = f32(randomArray(M * C, 2, 4)),
      gamma = f32(randomArray(C, 0.5, 1.5)),
      beta = f32(randomArray(C));
    const dout = f32(randomArray(M * C));
    const dx0 = f32(randomArray(M * C)), dg0 = f32(randomArray(C)), db0 = f32(randomArray(C));
    const out = storageBuffer(device, M * C * 4),
      mean = storageBuffer(device, M * 4),
      rstd = storageBuffer(device, M * 4);
    // dgamma and dbeta as 256-byte-aligned slices of one gradient buffer, as in training
    const dbOff = Math.ceil(C / 64) * 64;
    const grads = new Float64Array(dbOff + C);
    grads.set(dg0, 0);
    grads.set(db0, dbOff);
    const gbuf = up(device, grads);
    const dg = { buffer: gbuf, offset: 0, size: C * 4 },
      db = { buffer: gbuf, offset: dbOff * 4, size: C * 4 };
    const dx = up(device, dx0);
    const xb = up(device, x), gb = up(device, gamma);
    const [o, mu, rs, gx, gall] = await runPass(device, (pass) => {
      layernormForward(device, pass, out, mean, rstd, xb, gb, up(device, beta), M, C);
      layernormBackward(device, pass, dx, dg, db, up(device, dout), xb, gb, mean, rstd, M, C);
    }, [
      { buf: out, n: M * C },
      { buf: mean, n: M },
      { buf: rstd, n: M },
      { buf: dx, n: M * C },
      { buf: gbuf, n: dbOff + C },
    ]);
    const gg = gall!.subarray(0, C), gbeta = gall!.subarray(dbOff, dbOff + C);
    const ref = layernormForwardRef(x, gamma, beta, M, C);
    const tol = { atol: 2e-5, rtol: 1e-4 };
    assertClose(o!, ref.out, { ...tol, label: `ln out ${M}x${C}` });
    assertClose(mu!, ref.mean, { ...tol, label: "mean" });
    // rstd of a near-constant row is ~1/sqrt(eps): compare relatively
    assertClose(rs!, ref.rstd, { atol: 0, rtol: 1e-3, label: "rstd" });
    const wx = Float64Array.from(dx0), wg = Float64Array.from(dg0), wb = Float64Array.from(db0);
    layernormBackwardRef(wx, wg, wb, dout, x, gamma, ref.mean, ref.rstd, M, C);
    assertClose(gx!, wx, { ...tol, label: `ln dinp ${M}x${C}` });
    assertClose(gg, wg, { atol: 1e-4 * Math.sqrt(M / 16), rtol: 1e-4, label: "dgamma" });
    assertClose(gbeta, wb, { atol: 1e-4 * Math.sqrt(M / 16), rtol: 1e-4, label: "dbeta" });
  }
});

Deno.test("layernormBackwardRef() matches central finite differences of layernormForwardRef()", () => {
  const M = 4, C = 6;
  const x = randomArray(M * C), g = randomArray(C), b = randomArray(C), r = randomArray(M * C);
  const loss = () => dot(layernormForwardRef(x, g, b, M, C).out, r);
  const { mean, rstd } = layernormForwardRef(x, g, b, M, C);
  const dx = new Float64Array(M * C), dg = new Float64Array(C), db = new Float64Array(C);
  layernormBackwardRef(dx, dg, db, r, x, g, mean, rstd, M, C);
  assertClose(dx, finiteDiff(x, loss), { atol: 1e-7, rtol: 1e-6, label: "fd dinp" });
  assertClose(dg, finiteDiff(g, loss), { atol: 1e-7, rtol: 1e-6, label: "fd dgamma" });
  assertClose(db, finiteDiff(b, loss), { atol: 1e-7, rtol: 1e-6, label: "fd dbeta" });
});
