/**
 * Dense float64 linear algebra for the CPU Bloch–McConnell reference: matrix exponential
 * by Padé(6) scaling-and-squaring (the algorithm of pulseq-cest's `SolveBlochEquation`),
 * LU solves with partial pivoting, and small helpers. Matrices are row-major
 * `Float64Array`s of length n·n; sizes up to ~40 are the target.
 * @module
 */

/** Returns the size n of a row-major n×n matrix, or throws a TypeError. */
export function matrixSize(a: Float64Array): number {
  const n = Math.round(Math.sqrt(a.length));
  if (n * n !== a.length) {
    throw new TypeError(`Expected a square matrix but found ${a.length} entries`);
  }
  return n;
}

/** The n×n identity. */
export function identity(n: number): Float64Array {
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) m[i * n + i] = 1;
  return m;
}

/**
 * C = A·B for row-major n×n matrices.
 * @param a left factor
 * @param b right factor
 * @param out optional output (must not alias a or b)
 * @returns the product
 */
export function matmul(a: Float64Array, b: Float64Array, out?: Float64Array): Float64Array {
  const n = matrixSize(a);
  const c = out ?? new Float64Array(n * n);
  c.fill(0);
  for (let i = 0; i < n; i++) {
    const ci = i * n;
    for (let k = 0; k < n; k++) {
      const aik = a[ci + k]!;
      if (aik === 0) continue;
      const bk = k * n;
      for (let j = 0; j < n; j++) c[ci + j]! += aik * b[bk + j]!;
    }
  }
  return c;
}

/** y = A·x for a row-major n×n matrix. */
export function matvec(a: Float64Array, x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += a[i * n + j]! * x[j]!;
    y[i] = s;
  }
  return y;
}

/** Infinity norm (max absolute row sum). */
export function normInf(a: Float64Array): number {
  const n = matrixSize(a);
  let m = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += Math.abs(a[i * n + j]!);
    if (s > m) m = s;
  }
  return m;
}

/** An LU factorisation PA = LU (L unit lower, stored together with U in `lu`). */
export interface LuFactors {
  n: number;
  lu: Float64Array;
  /** Row permutation: row i of PA is row piv[i] of A. */
  piv: Int32Array;
}

/**
 * LU factorisation with partial pivoting.
 * @param a row-major n×n matrix (not modified)
 * @returns the factors
 * @throws RangeError when A is singular to working precision
 */
export function luFactor(a: Float64Array): LuFactors {
  const n = matrixSize(a);
  const lu = Float64Array.from(a);
  const piv = new Int32Array(n);
  for (let i = 0; i < n; i++) piv[i] = i;
  for (let k = 0; k < n; k++) {
    let p = k, best = Math.abs(lu[k * n + k]!);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(lu[i * n + k]!);
      if (v > best) (best = v), (p = i);
    }
    if (best === 0) throw new RangeError(`Matrix is singular (zero pivot in column ${k})`);
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = lu[k * n + j]!;
        lu[k * n + j] = lu[p * n + j]!;
        lu[p * n + j] = t;
      }
      const t = piv[k]!;
      piv[k] = piv[p]!;
      piv[p] = t;
    }
    const pivot = lu[k * n + k]!;
    for (let i = k + 1; i < n; i++) {
      const l = (lu[i * n + k]! /= pivot);
      if (l === 0) continue;
      for (let j = k + 1; j < n; j++) lu[i * n + j]! -= l * lu[k * n + j]!;
    }
  }
  return { n, lu, piv };
}

/** Solves A·x = b from LU factors. */
export function luSolve(f: LuFactors, b: ArrayLike<number>): Float64Array {
  const { n, lu, piv } = f;
  if (b.length !== n) throw new TypeError(`Expected b to have ${n} entries but found ${b.length}`);
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[piv[i]!]!;
    for (let j = 0; j < i; j++) s -= lu[i * n + j]! * x[j]!;
    x[i] = s;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let j = i + 1; j < n; j++) s -= lu[i * n + j]! * x[j]!;
    x[i] = s / lu[i * n + i]!;
  }
  return x;
}

/**
 * Solves A·x = b by LU with partial pivoting.
 * @param a row-major n×n matrix
 * @param b right-hand side (n)
 * @returns x
 * @example
 * solve(Float64Array.of(2, 0, 0, 4), [2, 2]); // → [1, 0.5]
 */
export function solve(a: Float64Array, b: ArrayLike<number>): Float64Array {
  return luSolve(luFactor(a), b);
}

/** Solves A·X = B for a matrix right-hand side (both row-major n×n). */
export function solveMatrix(a: Float64Array, b: Float64Array): Float64Array {
  const n = matrixSize(a);
  const f = luFactor(a);
  const x = new Float64Array(n * n);
  const col = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) col[i] = b[i * n + j]!;
    const s = luSolve(f, col);
    for (let i = 0; i < n; i++) x[i * n + j] = s[i]!;
  }
  return x;
}

/**
 * Matrix exponential e^{A·t} by diagonal Padé(q, q) with scaling and squaring, as in
 * pulseq-cest: scale by 2^j with j = max(0, e + 1) where ‖A t‖∞ = m·2^e (m ∈ [0.5, 1)), so
 * the scaled norm is ≤ 1/2 and the Padé(6) error is far below float64 rounding; then square
 * j times.
 * @param a row-major n×n matrix
 * @param t scalar multiplier (e.g. time in s); default 1
 * @param q Padé degree (default 6, pulseq-cest's value)
 * @returns e^{A t}
 * @example
 * expm(Float64Array.of(0, 1, -1, 0), Math.PI / 2); // ≈ rotation by 90°: [0, 1, -1, 0]
 */
export function expm(a: Float64Array, t = 1, q = 6): Float64Array {
  const n = matrixSize(a);
  const norm = normInf(a) * Math.abs(t);
  // frexp exponent: norm = m·2^e with m in [0.5, 1)
  const e = norm > 0 ? Math.floor(Math.log2(norm)) + 1 : 0;
  const j = Math.max(0, e + 1);
  const scale = t / 2 ** j;
  const x0 = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) x0[i] = a[i]! * scale;
  // N = Σ c_k X^k, D = Σ (−1)^k c_k X^k with c_0 = 1, c_k = c_{k−1}(q−k+1)/(k(2q−k+1))
  const num = identity(n), den = identity(n);
  let x: Float64Array = Float64Array.from(x0);
  let c = 1;
  let tmp: Float64Array = new Float64Array(n * n);
  for (let k = 1; k <= q; k++) {
    c *= (q - k + 1) / (k * (2 * q - k + 1));
    if (k > 1) {
      matmul(x0, x, tmp);
      [x, tmp] = [tmp, x];
    }
    const sign = k % 2 === 0 ? 1 : -1;
    for (let i = 0; i < n * n; i++) {
      const cx = c * x[i]!;
      num[i]! += cx;
      den[i]! += sign * cx;
    }
  }
  let f: Float64Array = solveMatrix(den, num);
  let g: Float64Array = new Float64Array(n * n);
  for (let k = 0; k < j; k++) {
    matmul(f, f, g);
    [f, g] = [g, f];
  }
  return f;
}

// Higham (2005), "The scaling and squaring method for the matrix exponential revisited":
// Padé degrees 3, 5, 7, 9, 13, the largest 1-norm each is accurate to float64 rounding for,
// and their coefficients.
const _THETA: [number, number][] = [
  [3, 1.495585217958292e-2],
  [5, 2.539398330063230e-1],
  [7, 9.504178996162932e-1],
  [9, 2.097847961257068e0],
];
const _THETA13 = 5.371920351148152e0;
const _B: Record<number, number[]> = {
  3: [120, 60, 12, 1],
  5: [30240, 15120, 3360, 420, 30, 1],
  7: [17297280, 8648640, 1995840, 277200, 25200, 1512, 56, 1],
  9: [
    17643225600,
    8821612800,
    2075673600,
    302702400,
    30270240,
    2162160,
    110880,
    3960,
    90,
    1,
  ],
  13: [
    64764752532480000,
    32382376266240000,
    7771770303897600,
    1187353796428800,
    129060195264000,
    10559470521600,
    670442572800,
    33522128640,
    1323241920,
    40840800,
    960960,
    16380,
    182,
    1,
  ],
};

function _norm1(a: Float64Array, n: number): number {
  let m = 0;
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.abs(a[i * n + j]!);
    if (s > m) m = s;
  }
  return m;
}

/**
 * Matrix exponential e^{A·t} by Higham's (2005) scaling and squaring: the lowest Padé
 * degree (3, 5, 7, 9 or 13) that is accurate to float64 rounding for ‖A t‖₁, scaling only
 * beyond 5.37 — the algorithm of `scipy.linalg.expm` (before its 2009 refinements) and
 * MATLAB's `expm`. It needs 3–6 products of n×n plus the squarings, against 5 plus more
 * squarings for {@link expm} (which scales to ‖A t‖∞ ≤ ½ as pulseq-cest does); both are
 * accurate to float64 rounding (tests/physics/expm_test.ts compares them).
 * @param a row-major n×n matrix
 * @param t scalar multiplier; default 1
 * @returns e^{A t}
 */
export function expmHigham(a: Float64Array, t = 1): Float64Array {
  const n = matrixSize(a);
  const x = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) x[i] = a[i]! * t;
  const norm = _norm1(x, n);
  const eye = identity(n);
  const pade = (m: number, y: Float64Array): Float64Array => {
    const b = _B[m]!;
    const y2 = matmul(y, y);
    const u = new Float64Array(n * n), v = new Float64Array(n * n);
    if (m === 13) {
      const y4 = matmul(y2, y2), y6 = matmul(y4, y2);
      const w1 = new Float64Array(n * n), z1 = new Float64Array(n * n);
      const w2 = new Float64Array(n * n), z2 = new Float64Array(n * n);
      for (let i = 0; i < n * n; i++) {
        w1[i] = b[13]! * y6[i]! + b[11]! * y4[i]! + b[9]! * y2[i]!;
        z1[i] = b[12]! * y6[i]! + b[10]! * y4[i]! + b[8]! * y2[i]!;
        w2[i] = b[7]! * y6[i]! + b[5]! * y4[i]! + b[3]! * y2[i]! + b[1]! * eye[i]!;
        z2[i] = b[6]! * y6[i]! + b[4]! * y4[i]! + b[2]! * y2[i]! + b[0]! * eye[i]!;
      }
      const w = matmul(y6, w1), z = matmul(y6, z1);
      for (let i = 0; i < n * n; i++) (w[i]! += w2[i]!), (v[i] = z[i]! + z2[i]!);
      matmul(y, w, u);
    } else {
      // powers I, y², y⁴, … up to y^(m−1)
      const w = new Float64Array(n * n);
      let p: Float64Array = eye;
      for (let k = 0; 2 * k <= m; k++) {
        if (k > 0) p = k === 1 ? y2 : matmul(p, y2);
        for (let i = 0; i < n * n; i++) {
          w[i]! += b[2 * k + 1]! * p[i]!;
          v[i]! += b[2 * k]! * p[i]!;
        }
      }
      matmul(y, w, u);
    }
    const num = new Float64Array(n * n), den = new Float64Array(n * n);
    for (let i = 0; i < n * n; i++) (num[i] = v[i]! + u[i]!), (den[i] = v[i]! - u[i]!);
    return solveMatrix(den, num);
  };
  for (const [m, theta] of _THETA) if (norm <= theta) return pade(m, x);
  const s = norm > _THETA13 ? Math.ceil(Math.log2(norm / _THETA13)) : 0;
  if (s > 0) { for (let i = 0; i < n * n; i++) x[i]! /= 2 ** s; }
  let f: Float64Array = pade(13, x);
  let g: Float64Array = new Float64Array(n * n);
  for (let k = 0; k < s; k++) {
    matmul(f, f, g);
    [f, g] = [g, f];
  }
  return f;
}
