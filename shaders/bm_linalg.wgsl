// Dense f32 linear algebra for the Bloch–McConnell kernels (included by bm_prep.wgsl and
// bm_sat.wgsl). Each thread owns NMAT matrices of N×N (row stride N, the compiled capacity)
// and NVEC vectors of N in the storage buffer `scr`, interleaved per workgroup so that
// neighbouring threads touch neighbouring words (coalesced on GPUs, one vector load per
// SIMD row on llvmpipe). Not private arrays: lavapipe lowers dynamically indexed private
// arrays to if-ladders, and 4 arrays of 400 floats took minutes to compile. A call works on
// the leading n×n block, so the z-block kernel reuses these helpers with n = RNZ.
//
// Precision: exp(A t) is never formed. We carry F = exp(A t) − I through the Padé step and
// the squarings (F ← 2F + F·F), because the slow eigenvalues that set Z live in
// 1 − |λ|·dt, which an f32 E cannot hold but F can (docs/architecture.md, "GPU rules").

const NN: u32 = N * N;
const NMAT: u32 = 4u;
const NVEC: u32 = 8u;
/// Floats of scratch per thread.
const SCR_PER_THREAD: u32 = NMAT * NN + NVEC * N;
// matrix ids
const MA: u32 = 0u;
const MB: u32 = 1u;
const MC: u32 = 2u;
const MF: u32 = 3u;

// This thread's first scratch word; element e sits at SBASE + e·WG.
var<private> SBASE: u32;

fn set_scratch(t: u32) {
  SBASE = (t / WG) * SCR_PER_THREAD * WG + (t % WG);
}
fn mi(m: u32, i: u32, j: u32) -> u32 { return SBASE + (m * NN + i * N + j) * WG; }
fn vi(v: u32, i: u32) -> u32 { return SBASE + (NMAT * NN + v * N + i) * WG; }
fn mget(m: u32, i: u32, j: u32) -> f32 { return scr[mi(m, i, j)]; }
fn mset(m: u32, i: u32, j: u32, x: f32) { scr[mi(m, i, j)] = x; }
fn vget(v: u32, i: u32) -> f32 { return scr[vi(v, i)]; }
fn vset(v: u32, i: u32, x: f32) { scr[vi(v, i)] = x; }

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

// Loop budget. lavapipe (gallivm) stops a shader invocation after 65,535 loop iterations
// in total, all loops together (LP_MAX_TGSI_LOOP_ITERATIONS), and silently continues with
// wrong numbers. So every innermost loop runs over the compile-time capacity N, which the
// shader compiler unrolls, and only the outer loops (≤ n² iterations per product) count:
// ~40 n×n products fit for n = 31. This needs the padding (rows/columns ≥ n) to be zero:
// `mat_zero_all` at thread start, and every helper keeps it zero.

fn mat_zero(m: u32, n: u32) {
  for (var i = 0u; i < n; i++) {
    for (var j = 0u; j < N; j++) { mset(m, i, j, 0.0); }
  }
}

// Zeroes all matrices and vectors of this thread (the padding must be exactly 0).
fn scratch_zero() {
  for (var m = 0u; m < NMAT; m++) { mat_zero(m, N); }
  for (var v = 0u; v < NVEC; v++) {
    for (var i = 0u; i < N; i++) { vset(v, i, 0.0); }
  }
}

// dst ← a·b (dst must differ from a and b; a may equal b). Writes rows and columns < n.
fn mat_mul(dst: u32, a: u32, b: u32, n: u32) {
  for (var i = 0u; i < n; i++) {
    for (var j = 0u; j < n; j++) {
      var s = 0.0;
      for (var k = 0u; k < N; k++) { s = fma(mget(a, i, k), mget(b, k, j), s); }
      mset(dst, i, j, s);
    }
  }
}

fn mat_norm_inf(a: u32, n: u32) -> f32 {
  var m = 0.0;
  for (var i = 0u; i < n; i++) {
    var s = 0.0;
    for (var j = 0u; j < N; j++) { s += abs(mget(a, i, j)); }
    m = max(m, s);
  }
  return m;
}

// Solves A·X = B in place (Gaussian elimination with partial pivoting, then column-wise
// back substitution): on return b holds X and a is destroyed (upper triangular, exact
// zeros below the diagonal so that whole-row updates over the padding stay exact).
fn lu_solve(a: u32, b: u32, n: u32) {
  for (var k = 0u; k < n; k++) {
    var piv = k;
    var best = abs(mget(a, k, k));
    for (var i = k + 1u; i < n; i++) {
      let v = abs(mget(a, i, k));
      if (v > best) { best = v; piv = i; }
    }
    if (piv != k) {
      for (var j = 0u; j < N; j++) {
        let t = mget(a, k, j); mset(a, k, j, mget(a, piv, j)); mset(a, piv, j, t);
        let u = mget(b, k, j); mset(b, k, j, mget(b, piv, j)); mset(b, piv, j, u);
      }
    }
    let inv = 1.0 / mget(a, k, k);
    for (var i = k + 1u; i < n; i++) {
      let l = mget(a, i, k) * inv;
      // BM matrices are sparse (an arrow per x/y/z block): skip rows with nothing to eliminate.
      if (l != 0.0) {
        for (var j = 0u; j < N; j++) {
          mset(a, i, j, mget(a, i, j) - l * mget(a, k, j));
          mset(b, i, j, mget(b, i, j) - l * mget(b, k, j));
        }
        mset(a, i, k, 0.0);
      }
    }
  }
  for (var kk = 0u; kk < n; kk++) {
    let k = n - 1u - kk;
    let inv = 1.0 / mget(a, k, k);
    for (var j = 0u; j < N; j++) { mset(b, k, j, mget(b, k, j) * inv); }
    for (var i = 0u; i < k; i++) {
      let l = mget(a, i, k);
      if (l != 0.0) {
        for (var j = 0u; j < N; j++) { mset(b, i, j, mget(b, i, j) - l * mget(b, k, j)); }
      }
    }
  }
}

// f ← F(2t) = 2F + F·F, using tmp.
fn expm1_square(f: u32, tmp: u32, n: u32) {
  mat_mul(tmp, f, f, n);
  for (var i = 0u; i < n; i++) {
    for (var j = 0u; j < N; j++) { mset(f, i, j, 2.0 * mget(f, i, j) + mget(tmp, i, j)); }
  }
}

// MF ← exp(A t) − I by Padé [5/5] on X = A t / 2^s (F = D⁻¹(N − D) = 2·D⁻¹·odd(X), no
// cancellation) and s squarings in F form. MA holds A on entry and is destroyed; MB and
// MC are scratch.
fn expm1_pade(n: u32, t: f32) {
  let nrm = mat_norm_inf(MA, n) * t;
  var s = 0u;
  if (nrm > PADE_THETA) { s = u32(ceil(log2(nrm / PADE_THETA))); }
  let sc = t * exp2(-f32(s));
  for (var i = 0u; i < n; i++) {
    for (var j = 0u; j < N; j++) { mset(MA, i, j, mget(MA, i, j) * sc); }
  }
  mat_mul(MB, MA, MA, n);   // X²
  mat_mul(MC, MB, MB, n);   // X⁴
  for (var i = 0u; i < n; i++) {
    for (var j = 0u; j < N; j++) {
      let id = select(0.0, 1.0, i == j);
      let x2 = mget(MB, i, j);
      let x4 = mget(MC, i, j);
      mset(MF, i, j, PADE_C1 * id + PADE_C3 * x2 + PADE_C5 * x4);  // odd(X) / X
      mset(MB, i, j, PADE_C0 * id + PADE_C2 * x2 + PADE_C4 * x4);  // even(X)
    }
  }
  mat_mul(MC, MA, MF, n);   // odd(X)
  for (var i = 0u; i < n; i++) {
    for (var j = 0u; j < N; j++) {
      let o = mget(MC, i, j);
      mset(MA, i, j, mget(MB, i, j) - o);  // D = even − odd
      mset(MF, i, j, 2.0 * o);             // N − D = 2·odd
    }
  }
  lu_solve(MA, MF, n);
  for (var k = 0u; k < s; k++) { expm1_square(MF, MB, n); }
}
