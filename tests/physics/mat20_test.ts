/** Host side of the register kernels: the blocked 20×20 layout and the register state order. */
import { assertEquals, assertThrows } from "../_assert.ts";
import { MAT20_SIZE, mat20Index, putAugmented, registerOrder } from "../../src/physics/mat20.ts";
import { bmSystem, stateLayout } from "../../src/physics/bm_matrix.ts";
import { randomModel } from "./_random_model.ts";

Deno.test("mat20Index() is a bijection onto the 400 floats, in WGSL's column-major mat4x4 blocks", () => {
  const seen = new Set<number>();
  for (let r = 0; r < 20; r++) for (let c = 0; c < 20; c++) seen.add(mat20Index(r, c));
  assertEquals(seen.size, MAT20_SIZE);
  assertEquals(Math.min(...seen), 0);
  assertEquals(Math.max(...seen), MAT20_SIZE - 1);
  // block (1, 2) is the 8th mat4x4; element (5, 9) is its column 1, row 1
  assertEquals(mat20Index(5, 9), 7 * 16 + 1 * 4 + 1);
});

Deno.test("registerOrder() puts pool i at 3i, 3i + 1, 3i + 2, MT at 18 and the 1 at 19", () => {
  for (const [pools, mt] of [[1, true], [3, false], [5, true]] as const) {
    const layout = stateLayout(randomModel({ pools, mt }));
    const pos = registerOrder(layout);
    const P = layout.pools;
    for (let i = 0; i < P; i++) {
      assertEquals([pos[i], pos[P + i], pos[2 * P + i]], [3 * i, 3 * i + 1, 3 * i + 2]);
    }
    if (mt) assertEquals(pos[layout.mtZ], 18);
    assertEquals(pos[layout.n], 19);
    assertEquals(new Set(pos).size, layout.n + 1);
  }
  assertThrows(() => registerOrder(stateLayout(randomModel({ pools: 6, mt: false }))));
});

Deno.test("putAugmented() writes [[A, C], [0, 0]] at the permuted positions and nothing else", () => {
  const model = randomModel({ pools: 2 + Math.floor(3 * Math.random()) });
  const { A, C, layout } = bmSystem(model, 1 + Math.random(), 4 * Math.random() - 2);
  const pos = registerOrder(layout);
  const dst = new Float32Array(2 * MAT20_SIZE).fill(NaN);
  dst.fill(0, MAT20_SIZE);
  putAugmented(dst, MAT20_SIZE, A, C, pos);
  assertEquals(dst.subarray(0, MAT20_SIZE).every(Number.isNaN), true);
  const m = dst.subarray(MAT20_SIZE);
  const n = layout.n;
  let nonzero = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      assertEquals(m[mat20Index(pos[i]!, pos[j]!)], Math.fround(A[i * n + j]!));
      if (A[i * n + j]) nonzero++;
    }
    assertEquals(m[mat20Index(pos[i]!, 19)], Math.fround(C[i]!));
    if (C[i]) nonzero++;
  }
  assertEquals(m.filter((v) => v !== 0).length, nonzero);
});
