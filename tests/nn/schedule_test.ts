import { assert, assertAlmostEquals, assertEquals } from "../_assert.ts";
import { COSINE_FLOOR, learningRate, WARMUP_FRACTION } from "../../src/nn/schedule.ts";

Deno.test("learningRate(): constant is constant; cosine warms up linearly, then decays to the floor", () => {
  const lr = 1e-3, total = 1000 + Math.floor(Math.random() * 5000);
  assertEquals(learningRate("constant", lr, 1, total), lr);
  assertEquals(learningRate("constant", lr, total, total), lr);
  const warm = Math.round(WARMUP_FRACTION * total);
  assertAlmostEquals(learningRate("cosine", lr, 1, total), lr / warm, 1e-12);
  assertAlmostEquals(learningRate("cosine", lr, warm, total), lr, 1e-12);
  assertAlmostEquals(learningRate("cosine", lr, total, total), lr * COSINE_FLOOR, 1e-12);
  // half way through the decay: the mean of peak and floor
  const mid = warm + (total - warm) / 2;
  assertAlmostEquals(learningRate("cosine", lr, mid, total), lr * (1 + COSINE_FLOOR) / 2, 1e-12);
  let prev = Infinity;
  for (let s = warm; s <= total; s++) {
    const v = learningRate("cosine", lr, s, total);
    assert(v <= prev && v >= lr * COSINE_FLOOR - 1e-15, `step ${s}: ${v}`);
    prev = v;
  }
});
