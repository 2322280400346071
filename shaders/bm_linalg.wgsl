// Dense f32 linear algebra for the Bloch–McConnell kernels (included by bm_prep.wgsl and
// bm_sat.wgsl). Matrices are row-major with row stride N (the full state size); a call
// works on the leading n×n block, so the z-block kernels reuse these helpers with n = NZ.
//
// Precision: exp(A t) is never formed. We carry F = exp(A t) − I through the Padé step and
// the squarings (F ← 2F + F·F), because the slow eigenvalues that set Z live in
// 1 − |λ|·dt, which an f32 E cannot hold but F can (DESIGN.md, "GPU rules").

const NN: u32 = N * N;
alias Mat = array<f32, NN>;
alias Vec = array<f32, N>;

// Padé [5/5] coefficients c_j = (10 − j)! 5! / (10! j! (5 − j)!).
const PADE_C0: f32 = 1.0;
const PADE_C1: f32 = 0.5;
const PADE_C2: f32 = 0.111111111111111111;
const PADE_C3: f32 = 0.0138888888888888889;
const PADE_C4: f32 = 0.000992063492063492063;
const PADE_C5: f32 = 0.0000330687830687830688;
// Scale A·t down to ‖X‖∞ ≤ THETA. Padé [5/5]'s relative truncation error at ‖X‖ = 1/2 is
// ~1e-10, far below f32 rounding, and every extra squaring would add rounding error.
const PADE_THETA: f32 = 0.5;

fn mat_mul(dst: ptr<function, Mat>, a: ptr<function, Mat>, b: ptr<function, Mat>, n: u32) {
  for (var i = 0u; i < n; i++) {
    for (var j = 0u; j < n; j++) {
      var s = 0.0;
      for (var k = 0u; k < n; k++) {
        s = fma((*a)[i * N + k], (*b)[k * N + j], s);
      }
      (*dst)[i * N + j] = s;
    }
  }
}

fn mat_norm_inf(a: ptr<function, Mat>, n: u32) -> f32 {
  var m = 0.0;
  for (var i = 0u; i < n; i++) {
    var s = 0.0;
    for (var j = 0u; j < n; j++) { s += abs((*a)[i * N + j]); }
    m = max(m, s);
  }
  return m;
}

// Solves A·X = B in place (Gaussian elimination, partial pivoting): on return *b holds X
// (its first m columns) and *a is destroyed.
fn lu_solve(a: ptr<function, Mat>, b: ptr<function, Mat>, n: u32, m: u32) {
  for (var k = 0u; k < n; k++) {
    var piv = k;
    var best = abs((*a)[k * N + k]);
    for (var i = k + 1u; i < n; i++) {
      let v = abs((*a)[i * N + k]);
      if (v > best) { best = v; piv = i; }
    }
    if (piv != k) {
      for (var j = k; j < n; j++) {
        let t = (*a)[k * N + j]; (*a)[k * N + j] = (*a)[piv * N + j]; (*a)[piv * N + j] = t;
      }
      for (var j = 0u; j < m; j++) {
        let t = (*b)[k * N + j]; (*b)[k * N + j] = (*b)[piv * N + j]; (*b)[piv * N + j] = t;
      }
    }
    let inv = 1.0 / (*a)[k * N + k];
    for (var i = k + 1u; i < n; i++) {
      let l = (*a)[i * N + k] * inv;
      // BM matrices are sparse (an arrow per x/y/z block): skip rows with nothing to eliminate.
      if (l != 0.0) {
        for (var j = k + 1u; j < n; j++) { (*a)[i * N + j] -= l * (*a)[k * N + j]; }
        for (var j = 0u; j < m; j++) { (*b)[i * N + j] -= l * (*b)[k * N + j]; }
      }
    }
  }
  for (var kk = 0u; kk < n; kk++) {
    let k = n - 1u - kk;
    let inv = 1.0 / (*a)[k * N + k];
    for (var j = 0u; j < m; j++) {
      var s = (*b)[k * N + j];
      for (var i = k + 1u; i < n; i++) { s -= (*a)[k * N + i] * (*b)[i * N + j]; }
      (*b)[k * N + j] = s * inv;
    }
  }
}

// F ← F(2t) = 2F + F·F, using *tmp.
fn expm1_square(f: ptr<function, Mat>, tmp: ptr<function, Mat>, n: u32) {
  mat_mul(tmp, f, f, n);
  for (var i = 0u; i < n; i++) {
    for (var j = 0u; j < n; j++) {
      (*f)[i * N + j] = 2.0 * (*f)[i * N + j] + (*tmp)[i * N + j];
    }
  }
}

// *f ← exp(A t) − I by Padé [5/5] on X = A t / 2^s (F = D⁻¹(N − D) = 2·D⁻¹·odd(X), no
// cancellation) and s squarings in F form. *a holds A on entry and is destroyed; *b and *c
// are scratch.
fn expm1_pade(f: ptr<function, Mat>, a: ptr<function, Mat>, b: ptr<function, Mat>,
              c: ptr<function, Mat>, n: u32, t: f32) {
  let nrm = mat_norm_inf(a, n) * t;
  var s = 0u;
  if (nrm > PADE_THETA) { s = u32(ceil(log2(nrm / PADE_THETA))); }
  let sc = t * exp2(-f32(s));
  for (var i = 0u; i < n; i++) {
    for (var j = 0u; j < n; j++) { (*a)[i * N + j] *= sc; }
  }
  mat_mul(b, a, a, n);   // X²
  mat_mul(c, b, b, n);   // X⁴
  for (var i = 0u; i < n; i++) {
    for (var j = 0u; j < n; j++) {
      let id = select(0.0, 1.0, i == j);
      let x2 = (*b)[i * N + j];
      let x4 = (*c)[i * N + j];
      (*f)[i * N + j] = PADE_C1 * id + PADE_C3 * x2 + PADE_C5 * x4;  // odd(X) / X
      (*b)[i * N + j] = PADE_C0 * id + PADE_C2 * x2 + PADE_C4 * x4;  // even(X)
    }
  }
  mat_mul(c, a, f, n);   // odd(X)
  for (var i = 0u; i < n; i++) {
    for (var j = 0u; j < n; j++) {
      let o = (*c)[i * N + j];
      (*a)[i * N + j] = (*b)[i * N + j] - o;  // D = even − odd
      (*f)[i * N + j] = 2.0 * o;              // N − D = 2·odd
    }
  }
  lu_solve(a, f, n, n);
  for (var k = 0u; k < s; k++) { expm1_square(f, b, n); }
}
