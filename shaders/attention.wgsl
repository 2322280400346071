// Multi-head self-attention core (llm.c attention_forward/backward without the causal
// mask). qkv [B,T,3D] holds q, k, v side by side per step; head h uses channels
// [h·HS, (h+1)·HS) of each. att [B,NH,T,T] holds the softmax probabilities.
// The six products (scores q·kᵀ, values att·v, and in backward dout·vᵀ, dpre·k, dpreᵀ·q,
// attᵀ·dout) are all one strided batched matmul over z = (b, h), register-blocked 4×4 per
// thread: one thread per score or output with a length-HS or length-T loop was ~4× slower
// on llvmpipe because every multiply-add needed two loads. The softmax and its backward
// are one thread per row. Each entry point declares its own bindings.
struct Params { B: u32, T: u32, D: u32, NH: u32, HS: u32, scale: f32 }

// ---- batched strided matmul: for z = b·NH + h,
// C[z](m, n) (=|+=) alpha · Σ_k A[z](m, k) · B[z](k, n), where
// X[z](i, j) = x[x_base + b·x_sb + h·x_sh + i·x_si + j·x_sj] ----
struct Bmm {
  M: u32, N: u32, K: u32, NH: u32,
  nz: u32, alpha: f32, accum: u32, pad: u32,
  a_base: u32, a_sb: u32, a_sh: u32, a_sm: u32,
  a_sk: u32, b_base: u32, b_sb: u32, b_sh: u32,
  b_sk: u32, b_sn: u32, c_base: u32, c_sb: u32,
  c_sh: u32, c_sm: u32, c_sn: u32, pad2: u32,
}
@group(0) @binding(0) var<storage, read_write> bm_c: array<f32>;
@group(0) @binding(1) var<storage, read> bm_a: array<f32>;
@group(0) @binding(2) var<storage, read> bm_b: array<f32>;
@group(0) @binding(3) var<uniform> bm: Bmm;

fn bm_store(cz: u32, m: u32, n0: u32, v: vec4<f32>) {
  if (m >= bm.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    let n = n0 + j;
    if (n < bm.N) {
      let idx = cz + m * bm.c_sm + n * bm.c_sn;
      var r = bm.alpha * v[j];
      if (bm.accum != 0u) { r += bm_c[idx]; }
      bm_c[idx] = r;
    }
  }
}

@compute @workgroup_size(WG)
fn attn_bmm(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  let tiles_n = (bm.N + 3u) / 4u;
  let tiles_m = (bm.M + 3u) / 4u;
  let z = id / (tiles_n * tiles_m);
  if (z >= bm.nz) { return; }
  let rem = id % (tiles_n * tiles_m);
  let m0 = (rem / tiles_n) * 4u;
  let n0 = (rem % tiles_n) * 4u;
  let b = z / bm.NH;
  let h = z % bm.NH;
  let az = bm.a_base + b * bm.a_sb + h * bm.a_sh;
  let bz = bm.b_base + b * bm.b_sb + h * bm.b_sh;
  let cz = bm.c_base + b * bm.c_sb + h * bm.c_sh;
  // clamped rows/columns keep ragged-edge loads in bounds; their results are not stored
  let am = vec4<u32>(m0, min(m0 + 1u, bm.M - 1u), min(m0 + 2u, bm.M - 1u), min(m0 + 3u, bm.M - 1u)) * bm.a_sm + az;
  let bn = vec4<u32>(n0, min(n0 + 1u, bm.N - 1u), min(n0 + 2u, bm.N - 1u), min(n0 + 3u, bm.N - 1u)) * bm.b_sn + bz;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k = 0u; k < bm.K; k++) {
    let ka = k * bm.a_sk;
    let kb = k * bm.b_sk;
    let av = vec4<f32>(bm_a[am.x + ka], bm_a[am.y + ka], bm_a[am.z + ka], bm_a[am.w + ka]);
    let bv = vec4<f32>(bm_b[bn.x + kb], bm_b[bn.y + kb], bm_b[bn.z + kb], bm_b[bn.w + kb]);
    acc0 += av.x * bv;
    acc1 += av.y * bv;
    acc2 += av.z * bv;
    acc3 += av.w * bv;
  }
  bm_store(cz, m0, n0, acc0);
  bm_store(cz, m0 + 1u, n0, acc1);
  bm_store(cz, m0 + 2u, n0, acc2);
  bm_store(cz, m0 + 3u, n0, acc3);
}

// ---- softmax over t2 in place, one thread per row (b,h,t) ----
@group(0) @binding(0) var<storage, read_write> m_att: array<f32>;
@group(0) @binding(1) var<uniform> m_p: Params;

@compute @workgroup_size(WG)
fn attn_softmax(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = flat_id(gid, nwg);
  let T = m_p.T;
  if (row >= m_p.B * m_p.NH * T) { return; }
  let o = row * T;
  var mx = m_att[o];
  for (var j = 1u; j < T; j++) { mx = max(mx, m_att[o + j]); }
  var sum = 0.0;
  for (var j = 0u; j < T; j++) { let e = exp(m_att[o + j] - mx); m_att[o + j] = e; sum += e; }
  let inv = 1.0 / sum;
  for (var j = 0u; j < T; j++) { m_att[o + j] *= inv; }
}

// ---- softmax backward in place: dpre = att ⊙ (datt − Σ_j att_j·datt_j) ----
@group(0) @binding(0) var<storage, read_write> x_d: array<f32>;
@group(0) @binding(1) var<storage, read> x_att: array<f32>;
@group(0) @binding(2) var<uniform> x_p: Params;

@compute @workgroup_size(WG)
fn attn_softmax_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = flat_id(gid, nwg);
  let T = x_p.T;
  if (row >= x_p.B * x_p.NH * T) { return; }
  let o = row * T;
  var dotv = 0.0;
  for (var j = 0u; j < T; j++) { dotv += x_att[o + j] * x_d[o + j]; }
  for (var j = 0u; j < T; j++) { x_d[o + j] = x_att[o + j] * (x_d[o + j] - dotv); }
}
