/**
 * Eigen-decomposition of a real symmetric matrix by the cyclic Jacobi method, in float64:
 * sweeps of plane rotations that zero each off-diagonal element in turn until the
 * off-diagonal mass is below `tol` × the matrix's Frobenius norm. Slow for big matrices
 * (O(n³) per sweep, ~6–10 sweeps) but simple and accurate to a few ulps, which is all the PCA
 * denoising needs for its 101×101 offset covariance (about 20 ms).
 * @module
 */

/** Eigenvalues (descending) and unit eigenvectors (column j of the row-major `vectors`). */
export interface SymEigen {
  values: Float64Array;
  /** n×n row-major: `vectors[i * n + j]` is component i of eigenvector j. */
  vectors: Float64Array;
  /** Jacobi sweeps used. */
  sweeps: number;
}

/**
 * Eigenvalues and eigenvectors of a symmetric n×n matrix (row-major; only symmetric input
 * gives a meaningful result, the upper triangle is read).
 * @param a the matrix (not modified)
 * @param n its size
 * @param tol relative off-diagonal tolerance (default 1e-14)
 * @returns eigenvalues sorted descending and their eigenvectors
 * @example
 * const { values, vectors } = symmetricEigen(Float64Array.of(2, 1, 1, 2), 2); // values 3, 1
 */
export function symmetricEigen(a: ArrayLike<number>, n: number, tol = 1e-14): SymEigen {
  if (a.length !== n * n) throw new RangeError(`Expected ${n}×${n} values but found ${a.length}`);
  const A = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) A[i * n + j] = A[j * n + i] = a[i * n + j]!;
  }
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  let norm = 0;
  for (let i = 0; i < n * n; i++) norm += A[i]! * A[i]!;
  const limit = tol * tol * norm;
  let sweeps = 0;
  for (; sweeps < 100; sweeps++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += 2 * A[p * n + q]! ** 2;
    if (off <= limit) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (apq === 0) continue;
        const app = A[p * n + p]!, aqq = A[q * n + q]!;
        // t = tan θ of the rotation that zeroes A[p][q] (the smaller root, stable form)
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p]!, akq = A[k * n + q]!;
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k]!, aqk = A[q * n + k]!;
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        A[p * n + q] = A[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p]!, vkq = V[k * n + q]!;
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const idx = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[j * n + j]! - A[i * n + i]!);
  const values = Float64Array.from(idx, (i) => A[i * n + i]!);
  const vectors = new Float64Array(n * n);
  idx.forEach((src, j) => {
    for (let k = 0; k < n; k++) vectors[k * n + j] = V[k * n + src]!;
  });
  return { values, vectors, sweeps };
}
