// One thread per model walks the operations [prm.first, prm.last) of a .seq timeline
// (src/physics/seq/seq_gpu_sim.ts) with the state [M; 1] in registers, in the register order
// of mat20.wgsl (systems of up to 19 states; the maps come from seq_expm_reg/seq_compose_reg):
//   kind 0: apply the map u at phase θ: rotate every pool's (x, y) by −θ, M ← M + F_u·M,
//           rotate back by θ (a pulse's map is computed once at phase 0);
//   kind 1: spoil (every pool's x, y = 0);
//   kind 2: ADC u: record water Mz; θ = 1 restarts from the initial magnetisation.
// The state lives in `state` between dispatches.
struct Params { nmodels: u32, nmaps: u32, first: u32, last: u32, nadc: u32, }
@group(0) @binding(0) var<storage, read> src: array<mat4x4<f32>>;   // [nmodels, nmaps, 25] F
@group(0) @binding(1) var<storage, read> ops: array<f32>;           // [nops, 3]: kind, u, θ
@group(0) @binding(2) var<storage, read> init: array<vec4<f32>>;    // [nmodels, 5] start state
@group(0) @binding(3) var<storage, read_write> state: array<vec4<f32>>; // [nmodels, 5]
@group(0) @binding(4) var<storage, read_write> out: array<f32>;     // [nmodels, nadc] water Mz
@group(0) @binding(5) var<uniform> prm: Params;

// Rotates pool i's (x, y) (i a constant) by the angle of (c, s).
fn rot_pool(v: ptr<function, Vec>, i: u32, c: f32, s: f32) {
  let x = (*v)[(3u * i) / 4u][(3u * i) % 4u];
  let y = (*v)[(3u * i + 1u) / 4u][(3u * i + 1u) % 4u];
  (*v)[(3u * i) / 4u][(3u * i) % 4u] = c * x - s * y;
  (*v)[(3u * i + 1u) / 4u][(3u * i + 1u) % 4u] = s * x + c * y;
}

fn rotate(v: ptr<function, Vec>, th: f32) {
  let c = cos(th);
  let s = sin(th);
  rot_pool(v, 0u, c, s);
  rot_pool(v, 1u, c, s);
  rot_pool(v, 2u, c, s);
  rot_pool(v, 3u, c, s);
  rot_pool(v, 4u, c, s);
  rot_pool(v, 5u, c, s);
}

fn load_init(m: u32) -> Vec {
  let o = m * 5u;
  return Vec(init[o], init[o + 1u], init[o + 2u], init[o + 3u], init[o + 4u]);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let m = flat_id(gid, nwg);
  if (m >= prm.nmodels) { return; }
  let so = m * 5u;
  var v = Vec(state[so], state[so + 1u], state[so + 2u], state[so + 3u], state[so + 4u]);
  if (prm.first == 0u) { v = load_init(m); }
  for (var p = prm.first; p < prm.last; p++) {
    let kind = u32(ops[3u * p]);
    let u = u32(ops[3u * p + 1u]);
    let th = ops[3u * p + 2u];
    if (kind == 0u) {
      let f = load_src((m * prm.nmaps + u) * 25u);
      if (th != 0.0) { rotate(&v, -th); }
      v = Vec(
        v[0] + f[0] * v[0] + f[1] * v[1] + f[2] * v[2] + f[3] * v[3] + f[4] * v[4],
        v[1] + f[5] * v[0] + f[6] * v[1] + f[7] * v[2] + f[8] * v[3] + f[9] * v[4],
        v[2] + f[10] * v[0] + f[11] * v[1] + f[12] * v[2] + f[13] * v[3] + f[14] * v[4],
        v[3] + f[15] * v[0] + f[16] * v[1] + f[17] * v[2] + f[18] * v[3] + f[19] * v[4],
        v[4] + f[20] * v[0] + f[21] * v[1] + f[22] * v[2] + f[23] * v[3] + f[24] * v[4],
      );
      if (th != 0.0) { rotate(&v, th); }
    } else if (kind == 1u) {
      // x, y of pools 0..5 are entries 0 1 | 3 4 | 6 7 | 9 10 | 12 13 | 15 16
      v[0] *= vec4<f32>(0.0, 0.0, 1.0, 0.0);
      v[1] *= vec4<f32>(0.0, 1.0, 0.0, 0.0);
      v[2] *= vec4<f32>(1.0, 0.0, 0.0, 1.0);
      v[3] *= vec4<f32>(0.0, 0.0, 1.0, 0.0);
      v[4] *= vec4<f32>(0.0, 1.0, 1.0, 1.0);
    } else {
      out[m * prm.nadc + u] = v[0][2];
      if (th == 1.0) { v = load_init(m); }
    }
  }
  state[so] = v[0];
  state[so + 1u] = v[1];
  state[so + 2u] = v[2];
  state[so + 3u] = v[3];
  state[so + 4u] = v[4];
}
