// One thread per model walks the operations [prm.first, prm.last) of a .seq timeline
// (src/physics/seq/seq_gpu_sim.ts) on the augmented state [M; 1]:
//   kind 0: apply the map u at phase θ: rotate every pool's (x, y) by −θ, M ← M + F_u·M,
//           rotate back by θ (a pulse's map is computed once at phase 0);
//   kind 1: spoil (every pool's x, y = 0);
//   kind 2: ADC u: record water Mz; θ = 1 restarts from the initial magnetisation.
// The state lives in `state` between dispatches (a long timeline takes several, so that no
// invocation exceeds lavapipe's loop budget).
struct Params { nmodels: u32, nmaps: u32, first: u32, last: u32, nadc: u32, }
@group(0) @binding(0) var<storage, read> maps: array<f32>;        // [nmodels, nmaps, N, N] F
@group(0) @binding(1) var<storage, read> ops: array<f32>;         // [nops, 3]: kind, u, θ
@group(0) @binding(2) var<storage, read> minfo: array<f32>;       // [nmodels, 2 + N]: n, pools, init
@group(0) @binding(3) var<storage, read_write> state: array<f32>; // [nmodels, 2, N]
@group(0) @binding(4) var<storage, read_write> out: array<f32>;   // [nmodels, nadc] water Mz
@group(0) @binding(5) var<uniform> prm: Params;

fn rotate(so: u32, pools: u32, th: f32) {
  let c = cos(th);
  let s = sin(th);
  for (var i = 0u; i < pools; i++) {
    let x = state[so + i];
    let y = state[so + pools + i];
    state[so + i] = c * x - s * y;
    state[so + pools + i] = s * x + c * y;
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let m = flat_id(gid, nwg);
  if (m >= prm.nmodels) { return; }
  let io = m * (2u + N);
  let n1 = u32(minfo[io]);
  let pools = u32(minfo[io + 1u]);
  let so = m * 2u * N;
  let to = so + N;
  if (prm.first == 0u) {
    for (var i = 0u; i < N; i++) { state[so + i] = minfo[io + 2u + i]; }
  }
  for (var p = prm.first; p < prm.last; p++) {
    let kind = u32(ops[3u * p]);
    let u = u32(ops[3u * p + 1u]);
    let th = ops[3u * p + 2u];
    if (kind == 0u) {
      let fo = (m * prm.nmaps + u) * N * N;
      if (th != 0.0) { rotate(so, pools, -th); }
      for (var i = 0u; i < n1; i++) {
        var acc = state[so + i];
        for (var j = 0u; j < N; j++) { acc = fma(maps[fo + i * N + j], state[so + j], acc); }
        state[to + i] = acc;
      }
      for (var i = 0u; i < n1; i++) { state[so + i] = state[to + i]; }
      if (th != 0.0) { rotate(so, pools, th); }
    } else if (kind == 1u) {
      for (var i = 0u; i < 2u * pools; i++) { state[so + i] = 0.0; }
    } else {
      out[m * prm.nadc + u] = state[so + 2u * pools];
      if (th == 1.0) {
        for (var i = 0u; i < N; i++) { state[so + i] = minfo[io + 2u + i]; }
      }
    }
  }
}
