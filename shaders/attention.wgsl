// Multi-head self-attention core (llm.c attention_forward/backward without the causal
// mask). qkv [B,T,3D] holds q, k, v side by side per step; head h uses channels
// [h·HS, (h+1)·HS) of each. att [B,NH,T,T] holds the softmax probabilities.
// Each entry point declares its own bindings.
struct Params { B: u32, T: u32, D: u32, NH: u32, HS: u32, scale: f32 }

// ---- forward 1: att[b,h,t,t2] = scale · q[b,t,h]·k[b,t2,h] (pre-softmax) ----
@group(0) @binding(0) var<storage, read_write> s_att: array<f32>;
@group(0) @binding(1) var<storage, read> s_qkv: array<f32>;
@group(0) @binding(2) var<uniform> s_p: Params;

@compute @workgroup_size(WG)
fn attn_scores(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flat_id(gid, nwg);
  let T = s_p.T;
  if (idx >= s_p.B * s_p.NH * T * T) { return; }
  let t2 = idx % T;
  let t = (idx / T) % T;
  let bh = idx / (T * T);
  let h = bh % s_p.NH;
  let b = bh / s_p.NH;
  let C3 = 3u * s_p.D;
  let qo = (b * T + t) * C3 + h * s_p.HS;
  let ko = (b * T + t2) * C3 + s_p.D + h * s_p.HS;
  var s = 0.0;
  for (var i = 0u; i < s_p.HS; i++) { s += s_qkv[qo + i] * s_qkv[ko + i]; }
  s_att[idx] = s * s_p.scale;
}

// ---- forward 2: softmax over t2 in place, one thread per row (b,h,t) ----
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

// ---- forward 3: out[b,t,d] = Σ_t2 att[b,h,t,t2] · v[b,t2,d], h = d / HS ----
@group(0) @binding(0) var<storage, read_write> v_out: array<f32>;
@group(0) @binding(1) var<storage, read> v_att: array<f32>;
@group(0) @binding(2) var<storage, read> v_qkv: array<f32>;
@group(0) @binding(3) var<uniform> v_p: Params;

@compute @workgroup_size(WG)
fn attn_values(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flat_id(gid, nwg);
  let T = v_p.T;
  let D = v_p.D;
  if (idx >= v_p.B * T * D) { return; }
  let d = idx % D;
  let t = (idx / D) % T;
  let b = idx / (D * T);
  let h = d / v_p.HS;
  let ao = ((b * v_p.NH + h) * T + t) * T;
  var s = 0.0;
  for (var t2 = 0u; t2 < T; t2++) { s += v_att[ao + t2] * v_qkv[(b * T + t2) * 3u * D + 2u * D + d]; }
  v_out[idx] = s;
}

// ---- backward 1: datt[b,h,t,t2] = dout[b,t,h]·v[b,t2,h] ----
@group(0) @binding(0) var<storage, read_write> g_datt: array<f32>;
@group(0) @binding(1) var<storage, read> g_dout: array<f32>;
@group(0) @binding(2) var<storage, read> g_qkv: array<f32>;
@group(0) @binding(3) var<uniform> g_p: Params;

@compute @workgroup_size(WG)
fn attn_datt(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flat_id(gid, nwg);
  let T = g_p.T;
  let D = g_p.D;
  if (idx >= g_p.B * g_p.NH * T * T) { return; }
  let t2 = idx % T;
  let t = (idx / T) % T;
  let bh = idx / (T * T);
  let h = bh % g_p.NH;
  let b = bh / g_p.NH;
  let go = (b * T + t) * D + h * g_p.HS;
  let vo = (b * T + t2) * 3u * D + 2u * D + h * g_p.HS;
  var s = 0.0;
  for (var i = 0u; i < g_p.HS; i++) { s += g_dout[go + i] * g_qkv[vo + i]; }
  g_datt[idx] = s;
}

// ---- backward 2: softmax backward in place: dpre = att ⊙ (datt − Σ_j att_j·datt_j) ----
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

// ---- backward 3: dq, dk, dv at (b,t,d), accumulated ----
//   dq[b,t,d] += scale Σ_t2 dpre[b,h,t,t2] k[b,t2,d]
//   dk[b,t,d] += scale Σ_tq dpre[b,h,tq,t] q[b,tq,d]
//   dv[b,t,d] +=       Σ_tq att[b,h,tq,t]  dout[b,tq,d]
@group(0) @binding(0) var<storage, read_write> q_dqkv: array<f32>;
@group(0) @binding(1) var<storage, read> q_dpre: array<f32>;
@group(0) @binding(2) var<storage, read> q_att: array<f32>;
@group(0) @binding(3) var<storage, read> q_qkv: array<f32>;
@group(0) @binding(4) var<storage, read> q_dout: array<f32>;
@group(0) @binding(5) var<uniform> q_p: Params;

@compute @workgroup_size(WG)
fn attn_dqkv(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let idx = flat_id(gid, nwg);
  let T = q_p.T;
  let D = q_p.D;
  if (idx >= q_p.B * T * D) { return; }
  let d = idx % D;
  let t = (idx / D) % T;
  let b = idx / (D * T);
  let h = d / q_p.HS;
  let C3 = 3u * D;
  let hb = (b * q_p.NH + h) * T * T; // start of att[b,h]
  var dq = 0.0;
  var dk = 0.0;
  var dv = 0.0;
  for (var j = 0u; j < T; j++) {
    let row = (b * T + j) * C3;
    dq += q_dpre[hb + t * T + j] * q_qkv[row + D + d];
    dk += q_dpre[hb + j * T + t] * q_qkv[row + d];
    dv += q_att[hb + j * T + t] * q_dout[(b * T + j) * D + d];
  }
  let o = (b * T + t) * C3 + d;
  q_dqkv[o] += q_p.scale * dq;
  q_dqkv[o + D] += q_p.scale * dk;
  q_dqkv[o + 2u * D] += dv;
}
