// C[M,N] (= or +=) op(A)[M,K] · op(B)[K,N] (+ bias[N]).
// Constants: TRANS_A (A stored [K,M]), TRANS_B (B stored [N,K]), ACCUM (C += instead of
// C =), HAS_BIAS. Two variants side by side (llm.c style), selected by entry point:
//   matmul_rb4x4  register blocking: each thread owns a 4x4 output tile, no workgroup
//                 memory. Fastest on llvmpipe, where barriers and shared memory are slow.
//   matmul_tiled64 64x64 workgroup tiles staged through workgroup memory (K in steps of
//                 16), each of the 256 threads owning a 4x4 tile: the usual real-GPU shape.
// Shapes need not be multiples of 4 or 64: loads use clamped or zero-padded indices and
// stores are bounds-checked.
struct Params { M: u32, N: u32, K: u32, pad: u32 }
@group(0) @binding(0) var<storage, read_write> c: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<uniform> p: Params;

fn load_a(m: u32, k: u32) -> f32 {
  if (TRANS_A) { return a[k * p.M + m]; }
  return a[m * p.K + k];
}

fn load_b(k: u32, n: u32) -> f32 {
  if (TRANS_B) { return b[n * p.K + k]; }
  return b[k * p.N + n];
}

fn store_row(m: u32, n0: u32, v: vec4<f32>) {
  if (m >= p.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    let n = n0 + j;
    if (n < p.N) {
      var r = v[j];
      if (HAS_BIAS) { r += bias[n]; }
      let idx = m * p.N + n;
      if (ACCUM) { r += c[idx]; }
      c[idx] = r;
    }
  }
}

@compute @workgroup_size(WG)
fn matmul_rb4x4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  let tiles_n = (p.N + 3u) / 4u;
  let m0 = (id / tiles_n) * 4u;
  let n0 = (id % tiles_n) * 4u;
  if (m0 >= p.M) { return; }
  // Clamped indices keep loads in bounds for ragged edges; those results are never stored.
  let ma = vec4<u32>(m0, min(m0 + 1u, p.M - 1u), min(m0 + 2u, p.M - 1u), min(m0 + 3u, p.M - 1u));
  let nb = vec4<u32>(n0, min(n0 + 1u, p.N - 1u), min(n0 + 2u, p.N - 1u), min(n0 + 3u, p.N - 1u));
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k = 0u; k < p.K; k++) {
    let av = vec4<f32>(load_a(ma.x, k), load_a(ma.y, k), load_a(ma.z, k), load_a(ma.w, k));
    let bv = vec4<f32>(load_b(k, nb.x), load_b(k, nb.y), load_b(k, nb.z), load_b(k, nb.w));
    acc0 += av.x * bv;
    acc1 += av.y * bv;
    acc2 += av.z * bv;
    acc3 += av.w * bv;
  }
  store_row(m0, n0, acc0);
  store_row(m0 + 1u, n0, acc1);
  store_row(m0 + 2u, n0, acc2);
  store_row(m0 + 3u, n0, acc3);
}

const TB: u32 = 64u;   // tile rows/cols
const TK: u32 = 16u;   // tile depth
var<workgroup> tile_a: array<f32, 1024>; // [TK][TB]
var<workgroup> tile_b: array<f32, 1024>; // [TK][TB]

@compute @workgroup_size(WG)
fn matmul_tiled64(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let tx = lid % 16u;
  let ty = lid / 16u;
  let row0 = wid.y * TB;
  let col0 = wid.x * TB;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < p.K; k0 += TK) {
    // Each thread stages 4 elements of each tile; the element order follows the stored
    // layout so neighbouring threads read neighbouring addresses.
    for (var i = 0u; i < 4u; i++) {
      let e = lid + i * 256u;
      var mm: u32; var ka: u32;
      if (TRANS_A) { mm = e % TB; ka = e / TB; } else { ka = e % TK; mm = e / TK; }
      let gm = row0 + mm;
      let gka = k0 + ka;
      var va = 0.0;
      if (gm < p.M && gka < p.K) { va = load_a(gm, gka); }
      tile_a[ka * TB + mm] = va;
      var nn: u32; var kb: u32;
      if (TRANS_B) { kb = e % TK; nn = e / TK; } else { nn = e % TB; kb = e / TB; }
      let gn = col0 + nn;
      let gkb = k0 + kb;
      var vb = 0.0;
      if (gn < p.N && gkb < p.K) { vb = load_b(gkb, gn); }
      tile_b[kb * TB + nn] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let ab = kk * TB + ty * 4u;
      let bb = kk * TB + tx * 4u;
      let av = vec4<f32>(tile_a[ab], tile_a[ab + 1u], tile_a[ab + 2u], tile_a[ab + 3u]);
      let bv = vec4<f32>(tile_b[bb], tile_b[bb + 1u], tile_b[bb + 2u], tile_b[bb + 3u]);
      acc0 += av.x * bv;
      acc1 += av.y * bv;
      acc2 += av.z * bv;
      acc3 += av.w * bv;
    }
    workgroupBarrier();
  }
  let m0 = row0 + ty * 4u;
  let n0 = col0 + tx * 4u;
  store_row(m0, n0, acc0);
  store_row(m0 + 1u, n0, acc1);
  store_row(m0 + 2u, n0, acc2);
  store_row(m0 + 3u, n0, acc3);
}

// ---- matmul_rb4x4_vec4: the register-blocked kernel with 16-byte loads ----
// Used when every dimension that is contiguous in memory is a multiple of 4 (K always;
// M when A is transposed; N when B is not), so rows of 4 floats can be read as one vec4:
// each step of 4 along K reads 4 vec4 of A and 4 of B for 64 FMAs.
@group(0) @binding(0) var<storage, read_write> vc: array<f32>;
@group(0) @binding(1) var<storage, read> va: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> vb: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> vbias: array<f32>;
@group(0) @binding(4) var<uniform> vp: Params;

fn vstore_row(m: u32, n0: u32, v: vec4<f32>) {
  if (m >= vp.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    let n = n0 + j;
    if (n < vp.N) {
      var r = v[j];
      if (HAS_BIAS) { r += vbias[n]; }
      let idx = m * vp.N + n;
      if (ACCUM) { r += vc[idx]; }
      vc[idx] = r;
    }
  }
}

@compute @workgroup_size(WG)
fn matmul_rb4x4_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  let M = vp.M;
  let N = vp.N;
  let K = vp.K;
  let tiles_n = (N + 3u) / 4u;
  let m0 = (id / tiles_n) * 4u;
  let n0 = (id % tiles_n) * 4u;
  if (m0 >= M) { return; }
  let ma = vec4<u32>(m0, min(m0 + 1u, M - 1u), min(m0 + 2u, M - 1u), min(m0 + 3u, M - 1u));
  let nb = vec4<u32>(n0, min(n0 + 1u, N - 1u), min(n0 + 2u, N - 1u), min(n0 + 3u, N - 1u));
  let K4 = K / 4u;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k4 = 0u; k4 < K4; k4++) {
    let k = k4 * 4u;
    // a_kj: column j of the 4x4 block A[m0.., k..] as a vec4 over m
    var a_k0: vec4<f32>; var a_k1: vec4<f32>; var a_k2: vec4<f32>; var a_k3: vec4<f32>;
    if (TRANS_A) {
      let M4 = M / 4u;
      a_k0 = va[k * M4 + m0 / 4u];
      a_k1 = va[(k + 1u) * M4 + m0 / 4u];
      a_k2 = va[(k + 2u) * M4 + m0 / 4u];
      a_k3 = va[(k + 3u) * M4 + m0 / 4u];
    } else {
      let r0 = va[ma.x * K4 + k4];
      let r1 = va[ma.y * K4 + k4];
      let r2 = va[ma.z * K4 + k4];
      let r3 = va[ma.w * K4 + k4];
      a_k0 = vec4<f32>(r0.x, r1.x, r2.x, r3.x);
      a_k1 = vec4<f32>(r0.y, r1.y, r2.y, r3.y);
      a_k2 = vec4<f32>(r0.z, r1.z, r2.z, r3.z);
      a_k3 = vec4<f32>(r0.w, r1.w, r2.w, r3.w);
    }
    // b_kj: row k+j of B[k.., n0..] as a vec4 over n
    var b_k0: vec4<f32>; var b_k1: vec4<f32>; var b_k2: vec4<f32>; var b_k3: vec4<f32>;
    if (TRANS_B) {
      let c0 = vb[nb.x * K4 + k4];
      let c1 = vb[nb.y * K4 + k4];
      let c2 = vb[nb.z * K4 + k4];
      let c3 = vb[nb.w * K4 + k4];
      b_k0 = vec4<f32>(c0.x, c1.x, c2.x, c3.x);
      b_k1 = vec4<f32>(c0.y, c1.y, c2.y, c3.y);
      b_k2 = vec4<f32>(c0.z, c1.z, c2.z, c3.z);
      b_k3 = vec4<f32>(c0.w, c1.w, c2.w, c3.w);
    } else {
      let N4 = N / 4u;
      b_k0 = vb[k * N4 + n0 / 4u];
      b_k1 = vb[(k + 1u) * N4 + n0 / 4u];
      b_k2 = vb[(k + 2u) * N4 + n0 / 4u];
      b_k3 = vb[(k + 3u) * N4 + n0 / 4u];
    }
    acc0 += a_k0.x * b_k0 + a_k1.x * b_k1 + a_k2.x * b_k2 + a_k3.x * b_k3;
    acc1 += a_k0.y * b_k0 + a_k1.y * b_k1 + a_k2.y * b_k2 + a_k3.y * b_k3;
    acc2 += a_k0.z * b_k0 + a_k1.z * b_k1 + a_k2.z * b_k2 + a_k3.z * b_k3;
    acc3 += a_k0.w * b_k0 + a_k1.w * b_k1 + a_k2.w * b_k2 + a_k3.w * b_k3;
  }
  vstore_row(m0, n0, acc0);
  vstore_row(m0 + 1u, n0, acc1);
  vstore_row(m0 + 2u, n0, acc2);
  vstore_row(m0 + 3u, n0, acc3);
}
