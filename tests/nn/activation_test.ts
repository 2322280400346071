import { assertClose, gpuTest, randomArray } from "../_util.ts";
import { storageBuffer } from "../../src/gpu/buffers.ts";
import { actBackward, actForward } from "../../src/nn/activation.ts";
import { actBackwardRef, actForwardRef } from "../../src/nn/reference/activation.ts";
import type { Act } from "../../src/nn/types.ts";
import { dot, f32, finiteDiff, runPass, up } from "./_layer_util.ts";

const ACTS: Act[] = ["none", "relu", "tanh"];

for (const act of ACTS) {
  gpuTest(`actForward()/actBackward() ${act} match the float64 reference`, async (device) => {
    const n = 1000 + Math.floor(Math.random() * 100); // odd, not a multiple of the workgroup
    const x = f32(randomArray(n, -3, 3)), dout = f32(randomArray(n)), d0 = f32(randomArray(n));
    const out = storageBuffer(device, n * 4), dinp = up(device, d0);
    const [y, dx] = await runPass(device, (pass) => {
      actForward(device, pass, out, up(device, x), n, act);
      actBackward(device, pass, dinp, up(device, dout), out, n, act);
    }, [{ buf: out, n }, { buf: dinp, n }]);
    const want = actForwardRef(x, act);
    // tanh in f32 (llvmpipe's approximation) is within a few ulp; relu/none are exact.
    assertClose(y!, want, { atol: 2e-6, rtol: 1e-5, label: `${act} forward` });
    const wantD = Float64Array.from(d0);
    actBackwardRef(wantD, dout, f32(y!), act);
    assertClose(dx!, wantD, { atol: 2e-6, rtol: 1e-5, label: `${act} backward` });
  });
}

Deno.test("actBackwardRef() matches central finite differences of actForwardRef()", () => {
  for (const act of ACTS) {
    // keep relu inputs away from the kink at 0, where the derivative is undefined
    const x = randomArray(50, -2, 2).map((v) => (Math.abs(v) < 1e-3 ? 0.5 : v));
    const r = randomArray(50);
    const dx = new Float64Array(50);
    actBackwardRef(dx, r, actForwardRef(x, act), act);
    assertClose(dx, finiteDiff(x, () => dot(actForwardRef(x, act), r)), {
      atol: 1e-8,
      rtol: 1e-6,
      label: act,
    });
  }
});
