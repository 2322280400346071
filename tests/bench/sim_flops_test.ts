/**
 * The simulation benchmark's FLOP model (bench/sim_flops.ts: the operations of
 * shaders/bm_sat_reg.wgsl) and the floor's peak (bench/harness.ts), checked against counts
 * done by hand.
 */
import { assert, assertEquals } from "../_assert.ts";
import {
  ladderOf,
  regProducts,
  regSquarings,
  regThreadFlops,
  simFlops,
} from "../../bench/sim_flops.ts";
import { arithPeakFlops, floorMs, type Peak } from "../../bench/harness.ts";
import { defaultParamSpace, modelFromParams, sampleParams } from "../../src/physics/param_space.ts";
import { paperInputProtocol } from "../../src/physics/protocol.ts";

Deno.test("regThreadFlops() on 2×2 matrices equals the count by hand", () => {
  // One slot of multiple 1 (one ladder level, one ladder step), no squaring: 7 Taylor
  // products. 2×2 product: 4 entries × (2 mul + 1 add) = 12. a·x + b·y: 4 × 3 = 12, done
  // 7 + 2 times. Ladder step w + F·(v + w): 2 adds for v + w, then per row 2 mul + 1 add
  // + 1 add of w = 4, so 2 + 8 = 10. ‖·‖∞: 4 adds. 7·12 + 9·12 + 10 + 4 = 206.
  const w = { squarings: 0, levels: 1, ladderSteps: 1 };
  assertEquals(regProducts(w), 7);
  assertEquals(regThreadFlops(w, 2), 206);
  // two squarings more: 2 products and 2 a·x + b·y more = 206 + 2·12 + 2·12
  assertEquals(regThreadFlops({ ...w, squarings: 2 }, 2), 254);
  // nothing to saturate: the kernel skips the whole block
  assertEquals(regThreadFlops({ squarings: 5, levels: 0, ladderSteps: 0 }, 2), 0);
});

Deno.test("regThreadFlops() for the dataset pair at 20×20: 24 products ≈ 409 kFLOP", () => {
  // h 0.5 s, slots 3h and 10h: levels 4 (10 = 0b1010), ladder steps 2 + 2; 14 squarings.
  const lad = ladderOf([3, 10]);
  assertEquals(lad, { levels: 4, ladderSteps: 4 });
  const w = { squarings: 14, ...lad };
  assertEquals(regProducts(w), 7 + 14 + 3);
  // 24 · 20²·39 + 26 · 3·20² + 4 · (20 + 2·20²) + 20²
  assertEquals(regThreadFlops(w), 24 * 15600 + 26 * 1200 + 4 * 820 + 400);
  assertEquals(regThreadFlops(w), 409280);
});

Deno.test("regSquarings() and ladderOf() follow the kernel's rules", () => {
  assertEquals(regSquarings(1, 0.5), 0); // ‖X‖ = 0.5 = θ: Taylor alone
  assertEquals(regSquarings(3, 1), 3); // 3/0.5 = 6 → ⌈log2 6⌉
  assertEquals(regSquarings(4, 1), 3); // 8 → exactly 3
  assertEquals(ladderOf([1]), { levels: 1, ladderSteps: 1 });
  assertEquals(ladderOf([0, 0]), { levels: 0, ladderSteps: 0 });
  assertEquals(ladderOf([7]), { levels: 3, ladderSteps: 3 });
});

Deno.test("simFlops() sums per-thread counts within the squarings it reports", () => {
  const space = defaultParamSpace();
  const models = [0, 1, 2].map((i) => modelFromParams(sampleParams(space, 3, i), space));
  const p = paperInputProtocol(1);
  const f = simFlops(models, p.offsetsPpm, p.b1UT, 0.5, [3, 10]);
  assertEquals(f.threads, 3 * p.offsetsPpm.length);
  const lad = ladderOf([3, 10]);
  const lo = regThreadFlops({ squarings: f.minSquarings, ...lad });
  const hi = regThreadFlops({ squarings: f.maxSquarings, ...lad });
  assert(f.flops >= f.threads * lo && f.flops <= f.threads * hi);
  // the paper's models at h 0.5 s: ‖Ã‖∞ of a few thousand to tens of thousands per second
  assert(f.minSquarings >= 10 && f.maxSquarings <= 18, `${f.minSquarings}–${f.maxSquarings}`);
});

Deno.test("floors use the higher of the matmul and register-FMA peaks", () => {
  assertEquals(arithPeakFlops(64, 2), 64 * 2 * 4 * 16 * 8);
  const peak: Peak = { flopsPerS: 1e9, arithFlopsPerS: 4e9, bytesPerS: 1e12, syncMs: 0, note: "" };
  assertEquals(floorMs(4e9, 0, peak), 1000);
  // results measured before the register peak existed keep the matmul peak
  assertEquals(floorMs(4e9, 0, { ...peak, arithFlopsPerS: undefined }), 4000);
});
