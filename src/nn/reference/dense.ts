/** CPU float64 references of src/nn/dense.ts. @module */

/**
 * C[M,N] = op(A)·op(B) (+ bias) in float64, A stored [M,K] (or [K,M] with transA), B stored
 * [K,N] (or [N,K] with transB).
 */
export function matmulRef(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  bias: ArrayLike<number> | null,
  M: number,
  K: number,
  N: number,
  transA = false,
  transB = false,
): Float64Array {
  const c = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = bias ? bias[n]! : 0;
      for (let k = 0; k < K; k++) {
        const av = transA ? a[k * M + m]! : a[m * K + k]!;
        const bv = transB ? b[n * K + k]! : b[k * N + n]!;
        s += av * bv;
      }
      c[m * N + n] = s;
    }
  }
  return c;
}

/** out[M,N] = inp[M,K]·w[K,N] + b[N]. */
export function denseForwardRef(
  inp: ArrayLike<number>,
  w: ArrayLike<number>,
  b: ArrayLike<number> | null,
  M: number,
  K: number,
  N: number,
): Float64Array {
  return matmulRef(inp, w, b, M, K, N);
}

/** Accumulates dinp += dout·wᵀ, dw += inpᵀ·dout, db += Σ_rows dout (any target may be null). */
export function denseBackwardRef(
  dinp: Float64Array | null,
  dw: Float64Array | null,
  db: Float64Array | null,
  dout: ArrayLike<number>,
  inp: ArrayLike<number>,
  w: ArrayLike<number>,
  M: number,
  K: number,
  N: number,
): void {
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      const g = dout[m * N + n]!;
      if (db) db[n] = db[n]! + g;
      for (let k = 0; k < K; k++) {
        if (dinp) dinp[m * K + k] = dinp[m * K + k]! + g * w[k * N + n]!;
        if (dw) dw[k * N + n] = dw[k * N + n]! + g * inp[m * K + k]!;
      }
    }
  }
}
