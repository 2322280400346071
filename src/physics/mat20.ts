/**
 * Host side of the register kernels (shaders/mat20.wgsl): the blocked layout of a 20×20 f32
 * matrix — 5×5 blocks of column-major mat4x4, block (r/4)·5 + c/4, column c%4, row r%4 —
 * and the fixed register state order: pool i = 0 (water) .. 5 at x 3i, y 3i + 1, z 3i + 2,
 * a z-only MT pool at 18, the constant 1 of the augmented state at 19.
 * @module
 */
import type { StateLayout } from "./bm_matrix.ts";

/** Floats per matrix. */
export const MAT20_SIZE = 400;

/** Most pools (water included) in the register state order. */
export const REG_MAX_POOLS = 6;

/** Index of element (r, c) of a blocked 20×20 matrix. */
export function mat20Index(r: number, c: number): number {
  return (((r >> 2) * 5 + (c >> 2)) << 4) + ((c & 3) << 2) + (r & 3);
}

/**
 * Register position of each entry of a state in `layout` order ([x_0..x_P-1, y…, z…, MT z]),
 * and of the augmented constant 1 (index n).
 */
export function registerOrder(layout: StateLayout): Int32Array {
  const { pools: P, n, mtZ } = layout;
  if (P > REG_MAX_POOLS || n > 19) {
    throw new RangeError(`registerOrder: ${P} pools, ${n} states do not fit the 20-entry order`);
  }
  const pos = new Int32Array(n + 1);
  for (let i = 0; i < P; i++) {
    pos[i] = 3 * i;
    pos[P + i] = 3 * i + 1;
    pos[2 * P + i] = 3 * i + 2;
  }
  if (mtZ >= 0) pos[mtZ] = 18;
  pos[n] = 19;
  return pos;
}

/**
 * Writes the augmented system [[A, C], [0, 0]] (A n×n row-major in layout order) into `dst`
 * at `offset`, blocked, in register order `pos` (registerOrder); other entries are untouched.
 */
export function putAugmented(
  dst: Float32Array,
  offset: number,
  A: ArrayLike<number>,
  C: ArrayLike<number>,
  pos: Int32Array,
): void {
  const n = pos.length - 1;
  const aff = pos[n]!;
  for (let i = 0; i < n; i++) {
    const r = pos[i]!;
    for (let j = 0; j < n; j++) dst[offset + mat20Index(r, pos[j]!)] = A[i * n + j]!;
    dst[offset + mat20Index(r, aff)] = C[i]!;
  }
}
