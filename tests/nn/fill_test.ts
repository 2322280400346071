import { assertClose, gpuTest, randomArray } from "../_util.ts";
import { fill, zeroFill } from "../../src/nn/fill.ts";
import { runPass, up } from "./_layer_util.ts";

gpuTest("zeroFill()/fill() write only the n values of a 256-byte-aligned slice", async (device) => {
  const total = 1000, offset = 64, n = 517; // a slice starting at byte 256
  const init = randomArray(total);
  const a = up(device, init), b = up(device, init);
  const [za, fb] = await runPass(device, (pass) => {
    zeroFill(device, pass, { buffer: a, offset: offset * 4, size: n * 4 }, n);
    fill(device, pass, { buffer: b, offset: offset * 4, size: n * 4 }, n, 2.5);
  }, [{ buf: a, n: total }, { buf: b, n: total }]);
  const f32init = Float32Array.from(init);
  const want0 = Float32Array.from(f32init), want1 = Float32Array.from(f32init);
  want0.fill(0, offset, offset + n);
  want1.fill(2.5, offset, offset + n);
  assertClose(za!, want0, { atol: 0, label: "zeroFill" });
  assertClose(fb!, want1, { atol: 0, label: "fill 2.5" });
});
