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

// Weight and bias gradients, split over rows so that there are enough threads (the
// products are K x N, often only 128 x 32 values, summed over B*T = 25856 rows):
// rec_dw_part writes partial sums over row chunks, rec_dw_sum adds the chunks into the
// gradient (+=). Column K of `a` is an implicit column of ones when ONES = 1, whose
// products are the bias gradient (sum over rows of g). Splitting also shortens the f32
// summation chains.
struct DwDims {
  M: u32,      // rows (B*T)
  K: u32,      // columns of a (without the ones column)
  N: u32,      // columns of g
  T: u32,      // sequence length
  shift: i32,  // a is read at time t + shift (0 outside [0, T)); the ones column is not
  ones: u32,   // 1: append the ones column
  S: u32,      // number of row chunks
  row0: u32,   // rec_dw_sum: first row of the partial [K + ones, N] to add
  rows: u32,   // rec_dw_sum: number of rows to add
  off: u32,    // rec_dw_sum: offset (floats) into the output
  p0: u32,
  p1: u32,
}

@group(0) @binding(0) var<storage, read> wa: array<f32>;
@group(0) @binding(1) var<storage, read> wg: array<f32>;
@group(0) @binding(2) var<storage, read_write> wpart: array<f32>;
@group(0) @binding(3) var<uniform> wd: DwDims;

@compute @workgroup_size(WG)
fn rec_dw_part(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  let K1 = wd.K + wd.ones;
  let n4 = (wd.N + 3u) / 4u;
  let k4 = (K1 + 3u) / 4u;
  if (id >= wd.S * k4 * n4) { return; }
  let n0 = (id % n4) * 4u;
  let k0 = ((id / n4) % k4) * 4u;
  let s = id / (n4 * k4);
  // Clamped reads keep the inner loop branch-free; results for out-of-range columns are
  // computed from duplicated data and not stored.
  let nc = vec4<u32>(min(n0, wd.N - 1u), min(n0 + 1u, wd.N - 1u), min(n0 + 2u, wd.N - 1u), min(n0 + 3u, wd.N - 1u));
  let kc = vec4<u32>(min(k0, wd.K - 1u), min(k0 + 1u, wd.K - 1u), min(k0 + 2u, wd.K - 1u), min(k0 + 3u, wd.K - 1u));
  // 1 for the ones column, 0 for a real column.
  let isOne = vec4<f32>(select(0.0, 1.0, k0 >= wd.K), select(0.0, 1.0, k0 + 1u >= wd.K),
                        select(0.0, 1.0, k0 + 2u >= wd.K), select(0.0, 1.0, k0 + 3u >= wd.K));
  let chunk = (wd.M + wd.S - 1u) / wd.S;
  let m1 = min(wd.M, (s + 1u) * chunk);
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var m = s * chunk; m < m1; m++) {
    let b = m / wd.T;
    let ts = i32(m % wd.T) + wd.shift;
    let valid = ts >= 0 && ts < i32(wd.T);
    let ar = (b * wd.T + u32(clamp(ts, 0, i32(wd.T) - 1))) * wd.K;
    let av = select(vec4<f32>(0.0), vec4<f32>(wa[ar + kc.x], wa[ar + kc.y], wa[ar + kc.z], wa[ar + kc.w]), valid);
    let a = mix(av, vec4<f32>(1.0), isOne);
    let gr = m * wd.N;
    let gv = vec4<f32>(wg[gr + nc.x], wg[gr + nc.y], wg[gr + nc.z], wg[gr + nc.w]);
    acc0 += a.x * gv;
    acc1 += a.y * gv;
    acc2 += a.z * gv;
    acc3 += a.w * gv;
  }
  let accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < 4u; i++) {
    if (k0 + i >= K1) { break; }
    for (var q = 0u; q < 4u; q++) {
      if (n0 + q < wd.N) { wpart[(s * K1 + k0 + i) * wd.N + n0 + q] = accs[i][q]; }
    }
  }
}

@group(0) @binding(0) var<storage, read> spart: array<f32>;
@group(0) @binding(1) var<storage, read_write> sout: array<f32>;
@group(0) @binding(2) var<uniform> sd: DwDims;

@compute @workgroup_size(WG)
fn rec_dw_sum(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  if (id >= sd.rows * sd.N) { return; }
  let K1 = sd.K + sd.ones;
  var acc = 0.0;
  for (var s = 0u; s < sd.S; s++) { acc += spart[(s * K1 + sd.row0) * sd.N + id]; }
  sout[sd.off + id] += acc;
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
