// Batched matrix products shared by the recurrent layers (rnn/lstm/gru): the input
// projection for all time steps at once before the recurrence, and the weight, bias and
// input gradients for all time steps at once after backward through time. Doing these over
// B·T rows in one dispatch each is what keeps the per-step kernels small.
struct Dims {
  M: u32,      // rows (B·T)
  K: u32,      // inner size (C, or H for the recurrent kernel)
  N: u32,      // columns (G·H)
  T: u32,      // sequence length (for the time shift of rec_dw)
  shift: i32,  // rec_dw: read a at time t + shift (0 outside [0, T))
  off: u32,    // bias offset (rec_proj: read; rec_db: write)
  p0: u32,
  p1: u32,
}

// out[m, n] = sum_k a[m, k] w[k, n] + bias[off + n]; one thread per (m, 4 columns).
@group(0) @binding(0) var<storage, read> pa: array<f32>;
@group(0) @binding(1) var<storage, read> pw: array<f32>;
@group(0) @binding(2) var<storage, read> pbias: array<f32>;
@group(0) @binding(3) var<storage, read_write> pout: array<f32>;
@group(0) @binding(4) var<uniform> pd: Dims;

@compute @workgroup_size(WG)
fn rec_proj(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  let n4 = (pd.N + 3u) / 4u;
  if (id >= pd.M * n4) { return; }
  let m = id / n4;
  let n0 = (id % n4) * 4u;
  var acc = array<f32, 4>(0.0, 0.0, 0.0, 0.0);
  for (var q = 0u; q < 4u; q++) {
    if (n0 + q < pd.N) { acc[q] = pbias[pd.off + n0 + q]; }
  }
  for (var k = 0u; k < pd.K; k++) {
    let av = pa[m * pd.K + k];
    let wr = k * pd.N + n0;
    for (var q = 0u; q < 4u; q++) {
      if (n0 + q < pd.N) { acc[q] += av * pw[wr + q]; }
    }
  }
  for (var q = 0u; q < 4u; q++) {
    if (n0 + q < pd.N) { pout[m * pd.N + n0 + q] = acc[q]; }
  }
}

// dw[k, n] += sum_{b,t} a[b, t + shift, k] g[b, t, n]; one thread per 4x4 block of dw.
@group(0) @binding(0) var<storage, read> wa: array<f32>;
@group(0) @binding(1) var<storage, read> wg: array<f32>;
@group(0) @binding(2) var<storage, read_write> wdw: array<f32>;
@group(0) @binding(3) var<uniform> wd: Dims;

@compute @workgroup_size(WG)
fn rec_dw(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  let n4 = (wd.N + 3u) / 4u;
  let k4 = (wd.K + 3u) / 4u;
  if (id >= k4 * n4) { return; }
  let k0 = (id / n4) * 4u;
  let n0 = (id % n4) * 4u;
  // Clamp the column/row reads so the inner loop has no branches; out-of-range results
  // are computed from duplicated data and simply not stored.
  let nc = vec4<u32>(min(n0, wd.N - 1u), min(n0 + 1u, wd.N - 1u), min(n0 + 2u, wd.N - 1u), min(n0 + 3u, wd.N - 1u));
  let kc = vec4<u32>(min(k0, wd.K - 1u), min(k0 + 1u, wd.K - 1u), min(k0 + 2u, wd.K - 1u), min(k0 + 3u, wd.K - 1u));
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  let B = wd.M / wd.T;
  for (var b = 0u; b < B; b++) {
    for (var t = 0u; t < wd.T; t++) {
      let ts = i32(t) + wd.shift;
      if (ts < 0 || ts >= i32(wd.T)) { continue; }
      let ar = (b * wd.T + u32(ts)) * wd.K;
      let gr = (b * wd.T + t) * wd.N;
      let gv = vec4<f32>(wg[gr + nc.x], wg[gr + nc.y], wg[gr + nc.z], wg[gr + nc.w]);
      acc0 += wa[ar + kc.x] * gv;
      acc1 += wa[ar + kc.y] * gv;
      acc2 += wa[ar + kc.z] * gv;
      acc3 += wa[ar + kc.w] * gv;
    }
  }
  let accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < 4u; i++) {
    if (k0 + i >= wd.K) { break; }
    for (var q = 0u; q < 4u; q++) {
      if (n0 + q < wd.N) {
        let o = (k0 + i) * wd.N + n0 + q;
        wdw[o] += accs[i][q];
      }
    }
  }
}

// db[off + n] += sum_m g[m, n]; one thread per column.
@group(0) @binding(0) var<storage, read> bg: array<f32>;
@group(0) @binding(1) var<storage, read_write> bdb: array<f32>;
@group(0) @binding(2) var<uniform> bd: Dims;

@compute @workgroup_size(WG)
fn rec_db(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let n = flat_id(gid, nwg);
  if (n >= bd.N) { return; }
  var s = 0.0;
  for (var m = 0u; m < bd.M; m++) { s += bg[m * bd.N + n]; }
  bdb[bd.off + n] += s;
}

// dx[m, k] += sum_n g[m, n] w[k, n]; one thread per (m, k).
@group(0) @binding(0) var<storage, read> xg: array<f32>;
@group(0) @binding(1) var<storage, read> xw: array<f32>;
@group(0) @binding(2) var<storage, read_write> xdx: array<f32>;
@group(0) @binding(3) var<uniform> xd: Dims;

@compute @workgroup_size(WG)
fn rec_dx(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  if (id >= xd.M * xd.K) { return; }
  let m = id / xd.K;
  let k = id % xd.K;
  var s = 0.0;
  for (var n = 0u; n < xd.N; n++) { s += xg[m * xd.N + n] * xw[k * xd.N + n]; }
  xdx[id] += s;
}
