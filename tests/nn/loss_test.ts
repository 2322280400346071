import { assertClose, gpuTest, randomArray } from "../_util.ts";
import { storageBuffer } from "../../src/gpu/buffers.ts";
import { mseBackward, mseForward } from "../../src/nn/loss.ts";
import { mseBackwardRef, mseForwardRef } from "../../src/nn/reference/loss.ts";
import { f32, finiteDiff, runPass, up } from "./_layer_util.ts";

gpuTest(
  "mseForward()/mseBackward() match the float64 reference across reduction depths",
  async (device) => {
    // 1 and 777: one partial per value; 25,856 (256 × 101): one level; 300,007: two levels
    for (const n of [1, 777, 256 * 101, 300_007]) {
      const pred = f32(randomArray(n)), target = f32(randomArray(n));
      const loss = storageBuffer(device, 4), dpred = up(device, randomArray(n)); // overwritten
      const pb = up(device, pred), tb = up(device, target);
      const [l, d] = await runPass(device, (pass) => {
        mseForward(device, pass, loss, pb, tb, n);
        mseBackward(device, pass, dpred, pb, tb, n);
      }, [{ buf: loss, n: 1 }, { buf: dpred, n }]);
      // f32 sums of ≤ 256 positive terms per level: relative error well under 1e-5
      const r = assertClose(l!, [mseForwardRef(pred, target)], {
        atol: 0,
        rtol: 1e-5,
        label: `mse n=${n}`,
      });
      console.log(`mse n=${n}: rel err ${r.maxRel.toExponential(1)}`);
      assertClose(d!, mseBackwardRef(pred, target), {
        atol: 1e-12,
        rtol: 1e-6,
        label: `dmse n=${n}`,
      });
    }
  },
);

Deno.test("mseBackwardRef() matches central finite differences of mseForwardRef()", () => {
  const pred = randomArray(20), target = randomArray(20);
  assertClose(mseBackwardRef(pred, target), finiteDiff(pred, () => mseForwardRef(pred, target)), {
    atol: 1e-9,
    rtol: 1e-6,
  });
});
