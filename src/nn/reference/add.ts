/** CPU float64 references of src/nn/add.ts. @module */

/** out = a + b. */
export function addForwardRef(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}

/** out[r, j] = inp[r, j] + table[j] for B rows of `inner` values. */
export function addBroadcastForwardRef(
  inp: ArrayLike<number>,
  table: ArrayLike<number>,
  B: number,
  inner: number,
): Float64Array {
  const out = new Float64Array(B * inner);
  for (let r = 0; r < B; r++) {
    for (let j = 0; j < inner; j++) out[r * inner + j] = inp[r * inner + j]! + table[j]!;
  }
  return out;
}

/** dinp += dout; dtable[j] += Σ_r dout[r, j] (either target may be null). */
export function addBroadcastBackwardRef(
  dinp: Float64Array | null,
  dtable: Float64Array | null,
  dout: ArrayLike<number>,
  B: number,
  inner: number,
): void {
  for (let r = 0; r < B; r++) {
    for (let j = 0; j < inner; j++) {
      const g = dout[r * inner + j]!;
      if (dinp) dinp[r * inner + j] = dinp[r * inner + j]! + g;
      if (dtable) dtable[j] = dtable[j]! + g;
    }
  }
}
