// Batched products shared by the recurrent layers (rnn/lstm/gru): the weight and bias
// gradients for all time steps at once after backward through time, and the transpose of
// the recurrent kernel. Doing these over B·T rows in one dispatch each is what keeps the
// per-step kernels small. (The input projection before the recurrence and the input
// gradient after it are plain products: src/nn/recurrent.ts runs them on the tuned matmul
// of src/nn/dense.ts.)
struct Dims {
  M: u32,      // rows (B·T)
  K: u32,      // inner size (C, or H for the recurrent kernel)
  N: u32,      // columns (G·H)
  T: u32,      // sequence length (for the time shift of rec_dw)
  shift: i32,  // rec_dw: read a at time t + shift (0 outside [0, T))
  off: u32,    // unused (layout shared with src/nn/recurrent.ts _dims)
  p0: u32,
  p1: u32,
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

fn dw_store(s: u32, K1: u32, k: u32, n0: u32, va: vec4<f32>, vb: vec4<f32>) {
  if (k >= K1) { return; }
  let o = (s * K1 + k) * wd.N;
  for (var q = 0u; q < 4u; q++) {
    if (n0 + q < wd.N) { wpart[o + n0 + q] = va[q]; }
    if (n0 + 4u + q < wd.N) { wpart[o + n0 + 4u + q] = vb[q]; }
  }
}

// One thread per (row chunk, 8 x 8 block of [K + ones, N]).
@compute @workgroup_size(WG)
fn rec_dw_part(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  let K1 = wd.K + wd.ones;
  let n8 = (wd.N + 7u) / 8u;
  let k8 = (K1 + 7u) / 8u;
  if (id >= wd.S * k8 * n8) { return; }
  let n0 = (id % n8) * 8u;
  let k0 = ((id / n8) % k8) * 8u;
  let s = id / (n8 * k8);
  // Clamped reads keep the inner loop branch-free; results for out-of-range rows/columns
  // are computed from duplicated data and not stored.
  let nc = min(vec4<u32>(n0, n0 + 1u, n0 + 2u, n0 + 3u), vec4<u32>(wd.N - 1u));
  let nd = min(vec4<u32>(n0 + 4u, n0 + 5u, n0 + 6u, n0 + 7u), vec4<u32>(wd.N - 1u));
  let kk0 = min(k0 + 0u, wd.K - 1u);
  let kk1 = min(k0 + 1u, wd.K - 1u);
  let kk2 = min(k0 + 2u, wd.K - 1u);
  let kk3 = min(k0 + 3u, wd.K - 1u);
  let kk4 = min(k0 + 4u, wd.K - 1u);
  let kk5 = min(k0 + 5u, wd.K - 1u);
  let kk6 = min(k0 + 6u, wd.K - 1u);
  let kk7 = min(k0 + 7u, wd.K - 1u);
  // 1 for the ones column, 0 for a real column.
  let o0 = select(0.0, 1.0, k0 + 0u >= wd.K);
  let o1 = select(0.0, 1.0, k0 + 1u >= wd.K);
  let o2 = select(0.0, 1.0, k0 + 2u >= wd.K);
  let o3 = select(0.0, 1.0, k0 + 3u >= wd.K);
  let o4 = select(0.0, 1.0, k0 + 4u >= wd.K);
  let o5 = select(0.0, 1.0, k0 + 5u >= wd.K);
  let o6 = select(0.0, 1.0, k0 + 6u >= wd.K);
  let o7 = select(0.0, 1.0, k0 + 7u >= wd.K);
  let chunk = (wd.M + wd.S - 1u) / wd.S;
  let m1 = min(wd.M, (s + 1u) * chunk);
  var c0a = vec4<f32>(0.0);
  var c0b = vec4<f32>(0.0);
  var c1a = vec4<f32>(0.0);
  var c1b = vec4<f32>(0.0);
  var c2a = vec4<f32>(0.0);
  var c2b = vec4<f32>(0.0);
  var c3a = vec4<f32>(0.0);
  var c3b = vec4<f32>(0.0);
  var c4a = vec4<f32>(0.0);
  var c4b = vec4<f32>(0.0);
  var c5a = vec4<f32>(0.0);
  var c5b = vec4<f32>(0.0);
  var c6a = vec4<f32>(0.0);
  var c6b = vec4<f32>(0.0);
  var c7a = vec4<f32>(0.0);
  var c7b = vec4<f32>(0.0);
  // Row m = b*T + t; t is stepped rather than recomputed with % (integer division is not
  // vectorised on CPUs, and llvmpipe runs 8 invocations per SIMD register).
  let mstart = s * chunk;
  var t = mstart % wd.T;
  var rowBase = mstart - t;  // b*T
  for (var m = mstart; m < m1; m++) {
    let ts = i32(t) + wd.shift;
    let valid = ts >= 0 && ts < i32(wd.T);
    let ar = (rowBase + u32(clamp(ts, 0, i32(wd.T) - 1))) * wd.K;
    let gr = m * wd.N;
    let ga = vec4<f32>(wg[gr + nc.x], wg[gr + nc.y], wg[gr + nc.z], wg[gr + nc.w]);
    let gb = vec4<f32>(wg[gr + nd.x], wg[gr + nd.y], wg[gr + nd.z], wg[gr + nd.w]);
    let a0 = select(select(0.0, wa[ar + kk0], valid), 1.0, o0 > 0.0);
    let a1 = select(select(0.0, wa[ar + kk1], valid), 1.0, o1 > 0.0);
    let a2 = select(select(0.0, wa[ar + kk2], valid), 1.0, o2 > 0.0);
    let a3 = select(select(0.0, wa[ar + kk3], valid), 1.0, o3 > 0.0);
    let a4 = select(select(0.0, wa[ar + kk4], valid), 1.0, o4 > 0.0);
    let a5 = select(select(0.0, wa[ar + kk5], valid), 1.0, o5 > 0.0);
    let a6 = select(select(0.0, wa[ar + kk6], valid), 1.0, o6 > 0.0);
    let a7 = select(select(0.0, wa[ar + kk7], valid), 1.0, o7 > 0.0);
    c0a += a0 * ga;
    c0b += a0 * gb;
    c1a += a1 * ga;
    c1b += a1 * gb;
    c2a += a2 * ga;
    c2b += a2 * gb;
    c3a += a3 * ga;
    c3b += a3 * gb;
    c4a += a4 * ga;
    c4b += a4 * gb;
    c5a += a5 * ga;
    c5b += a5 * gb;
    c6a += a6 * ga;
    c6b += a6 * gb;
    c7a += a7 * ga;
    c7b += a7 * gb;
    t++;
    if (t == wd.T) {
      t = 0u;
      rowBase += wd.T;
    }
  }
  dw_store(s, K1, k0 + 0u, n0, c0a, c0b);
  dw_store(s, K1, k0 + 1u, n0, c1a, c1b);
  dw_store(s, K1, k0 + 2u, n0, c2a, c2b);
  dw_store(s, K1, k0 + 3u, n0, c3a, c3b);
  dw_store(s, K1, k0 + 4u, n0, c4a, c4b);
  dw_store(s, K1, k0 + 5u, n0, c5a, c5b);
  dw_store(s, K1, k0 + 6u, n0, c6a, c6b);
  dw_store(s, K1, k0 + 7u, n0, c7a, c7b);
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

// out[n, k] = a[k, n] for a [M, N] (the recurrent kernel, transposed once per backward).
@group(0) @binding(0) var<storage, read> ta: array<f32>;
@group(0) @binding(1) var<storage, read_write> tout: array<f32>;
@group(0) @binding(2) var<uniform> td: Dims;

@compute @workgroup_size(WG)
fn rec_transpose(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  if (id >= td.M * td.N) { return; }
  let n = id / td.M;
  let k = id % td.M;
  tout[id] = ta[k * td.N + n];
}
