import { assertClose, gpuTest, randomArray } from "../_util.ts";
import { fill } from "../../src/nn/fill.ts";
import { readF32, uploadBuffer } from "../../src/gpu/buffers.ts";
import { gridFor } from "../../src/gpu/kernel.ts";
import { assertEquals } from "../_assert.ts";

gpuTest("fill() reaches every value across a folded 2-D grid", async (device) => {
  // 70,000 workgroups of 256 exceeds 65,535 per dimension, so this also checks flat_id().
  const n = 256 * 70_000 + 17;
  const buf = uploadBuffer(device, new Float32Array(randomArray(n)));
  const value = Math.fround(Math.random() * 4 - 2);
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  fill(device, pass, buf, n, value);
  pass.end();
  device.queue.submit([enc.finish()]);
  const got = await readF32(device, buf, n);
  assertClose(got, new Float64Array(n).fill(value), { atol: 0, label: "fill" });
});

Deno.test("gridFor() folds large grids into y and covers every thread", () => {
  assertEquals(gridFor(1000, 256), [4, 1]);
  const [x, y] = gridFor(256 * 70_000, 256);
  assertEquals(x * y >= 70_000 && x <= 65535, true);
});
