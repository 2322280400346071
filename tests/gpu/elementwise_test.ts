import { assertClose, gpuTest, randomArray } from "../_util.ts";
import { axpyGpu, axpyRef } from "../../src/gpu/elementwise.ts";
import { readF32, uploadBuffer } from "../../src/gpu/buffers.ts";
import { gridFor } from "../../src/gpu/kernel.ts";
import { assertEquals } from "../_assert.ts";

gpuTest("axpyGpu() matches the float64 reference across a folded 2-D grid", async (device) => {
  // 70,000 workgroups of 256 exceeds 65,535 per dimension, so this also checks flat_id().
  const n = 256 * 70_000 + 17;
  const x = randomArray(n), y = randomArray(n);
  const alpha = Math.random() * 4 - 2;
  const xb = uploadBuffer(device, new Float32Array(x)),
    yb = uploadBuffer(device, new Float32Array(y));
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  axpyGpu(device, pass, xb, yb, alpha, n);
  pass.end();
  device.queue.submit([enc.finish()]);
  const got = await readF32(device, yb, n);
  const want = Float64Array.from(y);
  axpyRef(Float32Array.from(x), Float64Array.from(Float32Array.from(y)), alpha);
  axpyRef(Float32Array.from(x), want, alpha);
  assertClose(got, want, { atol: 1e-6, rtol: 1e-6, label: "axpy" });
});

Deno.test("gridFor() folds large grids into y and covers every thread", () => {
  assertEquals(gridFor(1000, 256), [4, 1]);
  const [x, y] = gridFor(256 * 70_000, 256);
  assertEquals(x * y >= 70_000 && x <= 65535, true);
});
