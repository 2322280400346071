// 20×20 f32 matrices held in registers, for kernels that keep every matrix in registers
// (bm_sat_reg.wgsl, seq_expm_reg.wgsl, seq_compose_reg.wgsl). llvmpipe runs 8 threads in the
// lanes of one SIMD register and turns every storage or workgroup access into a loop over
// those lanes; a `Mat` indexed only by constants stays in registers and stack slots instead
// (a 20×20 product ~1 µs per thread on 2 cores, ~8× faster than in a storage scratch).
// A Mat is 5×5 blocks of mat4x4: element (r, c) lives in block (r/4)·5 + c/4, column c%4,
// row r%4 (WGSL matrices are column-major). Hosts write that layout (src/physics/mat20.ts).
alias Mat = array<mat4x4<f32>, 25>;
alias Vec = array<vec4<f32>, 5>;
const NB: u32 = 5u;
// The register kernels' state order, fixed so that every index is a constant: pool i = 0
// (water) .. 5 at x 3i, y 3i + 1, z 3i + 2; a z-only MT pool at MT_Z; the constant 1 of the
// augmented (affine) state at AFF. Hosts permute to it (src/physics/mat20.ts).
const MT_Z: u32 = 18u;
const AFF: u32 = 19u;
// Taylor degree of e^X − I and the norm it takes (scaling and squaring above it):
// ‖X‖∞ ≤ 1/2 and degree 8 leave < ‖X‖⁹/9! ≈ 5.4e-9.
const THETA: f32 = 0.5;
const TAYLOR: u32 = 8u;
// Element (r, c) of a Mat; callers pass constants only.
fn put(m: ptr<function, Mat>, r: u32, c: u32, v: f32) {
  (*m)[(r / 4u) * NB + c / 4u][c % 4u][r % 4u] = v;
}

// c = a·b, 125 block products written out (keep one call site per kernel: every inlined
// copy is long to compile on lavapipe).
fn mm(a: Mat, b: Mat) -> Mat {
  var c: Mat;
  c[0] = a[0] * b[0] + a[1] * b[5] + a[2] * b[10] + a[3] * b[15] + a[4] * b[20];
  c[1] = a[0] * b[1] + a[1] * b[6] + a[2] * b[11] + a[3] * b[16] + a[4] * b[21];
  c[2] = a[0] * b[2] + a[1] * b[7] + a[2] * b[12] + a[3] * b[17] + a[4] * b[22];
  c[3] = a[0] * b[3] + a[1] * b[8] + a[2] * b[13] + a[3] * b[18] + a[4] * b[23];
  c[4] = a[0] * b[4] + a[1] * b[9] + a[2] * b[14] + a[3] * b[19] + a[4] * b[24];
  c[5] = a[5] * b[0] + a[6] * b[5] + a[7] * b[10] + a[8] * b[15] + a[9] * b[20];
  c[6] = a[5] * b[1] + a[6] * b[6] + a[7] * b[11] + a[8] * b[16] + a[9] * b[21];
  c[7] = a[5] * b[2] + a[6] * b[7] + a[7] * b[12] + a[8] * b[17] + a[9] * b[22];
  c[8] = a[5] * b[3] + a[6] * b[8] + a[7] * b[13] + a[8] * b[18] + a[9] * b[23];
  c[9] = a[5] * b[4] + a[6] * b[9] + a[7] * b[14] + a[8] * b[19] + a[9] * b[24];
  c[10] = a[10] * b[0] + a[11] * b[5] + a[12] * b[10] + a[13] * b[15] + a[14] * b[20];
  c[11] = a[10] * b[1] + a[11] * b[6] + a[12] * b[11] + a[13] * b[16] + a[14] * b[21];
  c[12] = a[10] * b[2] + a[11] * b[7] + a[12] * b[12] + a[13] * b[17] + a[14] * b[22];
  c[13] = a[10] * b[3] + a[11] * b[8] + a[12] * b[13] + a[13] * b[18] + a[14] * b[23];
  c[14] = a[10] * b[4] + a[11] * b[9] + a[12] * b[14] + a[13] * b[19] + a[14] * b[24];
  c[15] = a[15] * b[0] + a[16] * b[5] + a[17] * b[10] + a[18] * b[15] + a[19] * b[20];
  c[16] = a[15] * b[1] + a[16] * b[6] + a[17] * b[11] + a[18] * b[16] + a[19] * b[21];
  c[17] = a[15] * b[2] + a[16] * b[7] + a[17] * b[12] + a[18] * b[17] + a[19] * b[22];
  c[18] = a[15] * b[3] + a[16] * b[8] + a[17] * b[13] + a[18] * b[18] + a[19] * b[23];
  c[19] = a[15] * b[4] + a[16] * b[9] + a[17] * b[14] + a[18] * b[19] + a[19] * b[24];
  c[20] = a[20] * b[0] + a[21] * b[5] + a[22] * b[10] + a[23] * b[15] + a[24] * b[20];
  c[21] = a[20] * b[1] + a[21] * b[6] + a[22] * b[11] + a[23] * b[16] + a[24] * b[21];
  c[22] = a[20] * b[2] + a[21] * b[7] + a[22] * b[12] + a[23] * b[17] + a[24] * b[22];
  c[23] = a[20] * b[3] + a[21] * b[8] + a[22] * b[13] + a[23] * b[18] + a[24] * b[23];
  c[24] = a[20] * b[4] + a[21] * b[9] + a[22] * b[14] + a[23] * b[19] + a[24] * b[24];
  return c;
}

// a·x + b·y.
fn lin(a: f32, x: Mat, b: f32, y: Mat) -> Mat {
  var c: Mat;
  c[0] = a * x[0] + b * y[0];
  c[1] = a * x[1] + b * y[1];
  c[2] = a * x[2] + b * y[2];
  c[3] = a * x[3] + b * y[3];
  c[4] = a * x[4] + b * y[4];
  c[5] = a * x[5] + b * y[5];
  c[6] = a * x[6] + b * y[6];
  c[7] = a * x[7] + b * y[7];
  c[8] = a * x[8] + b * y[8];
  c[9] = a * x[9] + b * y[9];
  c[10] = a * x[10] + b * y[10];
  c[11] = a * x[11] + b * y[11];
  c[12] = a * x[12] + b * y[12];
  c[13] = a * x[13] + b * y[13];
  c[14] = a * x[14] + b * y[14];
  c[15] = a * x[15] + b * y[15];
  c[16] = a * x[16] + b * y[16];
  c[17] = a * x[17] + b * y[17];
  c[18] = a * x[18] + b * y[18];
  c[19] = a * x[19] + b * y[19];
  c[20] = a * x[20] + b * y[20];
  c[21] = a * x[21] + b * y[21];
  c[22] = a * x[22] + b * y[22];
  c[23] = a * x[23] + b * y[23];
  c[24] = a * x[24] + b * y[24];
  return c;
}

// Row sums of |entries| of one block row, rows 4I..4I+3.
fn row_abs(b0: mat4x4<f32>, b1: mat4x4<f32>, b2: mat4x4<f32>, b3: mat4x4<f32>, b4: mat4x4<f32>) -> vec4<f32> {
  var r = vec4<f32>(0.0);
  r += abs(b0[0]) + abs(b0[1]) + abs(b0[2]) + abs(b0[3]);
  r += abs(b1[0]) + abs(b1[1]) + abs(b1[2]) + abs(b1[3]);
  r += abs(b2[0]) + abs(b2[1]) + abs(b2[2]) + abs(b2[3]);
  r += abs(b3[0]) + abs(b3[1]) + abs(b3[2]) + abs(b3[3]);
  r += abs(b4[0]) + abs(b4[1]) + abs(b4[2]) + abs(b4[3]);
  return r;
}

fn norm_inf(a: Mat) -> f32 {
  let r0 = row_abs(a[0], a[1], a[2], a[3], a[4]);
  let r1 = row_abs(a[5], a[6], a[7], a[8], a[9]);
  let r2 = row_abs(a[10], a[11], a[12], a[13], a[14]);
  let r3 = row_abs(a[15], a[16], a[17], a[18], a[19]);
  let r4 = row_abs(a[20], a[21], a[22], a[23], a[24]);
  let m = max(max(max(r0, r1), max(r2, r3)), r4);
  return max(max(m.x, m.y), max(m.z, m.w));
}


// e^{A·h} − I in F form, as a loop the kernel runs (one call site of `mm`): expm1_start scales
// X = A·h/2^sq (‖X‖∞ ≤ THETA) and starts t = X/TAYLOR; steps 0..TAYLOR−2 of expm1_step are the
// nested Taylor products S_k = (X + X·S_{k+1})/k (k = TAYLOR−1..1; S_1 = e^X − I, X added
// exactly rather than rounded inside a product, whose error every squaring would double), the
// later steps square t ← 2t + t·t. After TAYLOR − 1 + sq steps t = e^{A·h} − I; each further
// step doubles h.
struct Expm1 { x: Mat, t: Mat, sq: u32, }

fn expm1_start(a: Mat, h: f32) -> Expm1 {
  let nrm = norm_inf(a) * h;
  var sq = 0u;
  if (nrm > THETA) { sq = u32(ceil(log2(nrm / THETA))); }
  let x = lin(h * exp2(-f32(sq)), a, 0.0, a);
  return Expm1(x, lin(1.0 / f32(TAYLOR), x, 0.0, x), sq);
}

fn expm1_step(x: Mat, t: Mat, step: u32) -> Mat {
  let tsteps = TAYLOR - 1u;
  let taylor = step < tsteps;
  var l = t;
  if (taylor) { l = x; }
  let p = mm(l, t);
  if (taylor) {
    let inv_k = 1.0 / f32(tsteps - step);
    return lin(inv_k, x, inv_k, p);
  }
  return lin(2.0, t, 1.0, p);
}
