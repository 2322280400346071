// Simple RNN (tanh) over a sequence, one dispatch per time step. The input projection
// x*Wx + b for every step is computed beforehand (rec_proj) into `h`, which each step
// overwrites in place with its output. H (hidden size) and RB (batch rows per thread) are
// compile-time constants; each thread computes RB rows x 4 units (register blocking, see
// lstm.wgsl), edge blocks read clamped addresses and store only valid outputs.
struct Step {
  B: u32,
  T: u32,
  t: u32,
  tp: u32,
  has_prev: u32,
  tn: u32,
  has_next: u32,
  p0: u32,
}

const NJ: u32 = (H + 3u) / 4u;

@group(0) @binding(0) var<storage, read> fwh: array<f32>;
@group(0) @binding(1) var<storage, read_write> fh: array<f32>;
@group(0) @binding(2) var<uniform> fs: Step;

@compute @workgroup_size(WG)
fn rnn_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  let nb = (fs.B + RB - 1u) / RB;
  if (id >= nb * NJ) { return; }
  let j0 = (id % NJ) * 4u;
  let b0 = (id / NJ) * RB;
  var acc: array<vec4<f32>, RB>;
  if (fs.has_prev != 0u) {
    let jc = vec4<u32>(min(j0, H - 1u), min(j0 + 1u, H - 1u), min(j0 + 2u, H - 1u), min(j0 + 3u, H - 1u));
    var hrow: array<u32, RB>;
    for (var r = 0u; r < RB; r++) { hrow[r] = (min(b0 + r, fs.B - 1u) * fs.T + fs.tp) * H; }
    for (var k = 0u; k < H; k++) {
      let w = k * H;
      let wv = vec4<f32>(fwh[w + jc.x], fwh[w + jc.y], fwh[w + jc.z], fwh[w + jc.w]);
      for (var r = 0u; r < RB; r++) { acc[r] += fh[hrow[r] + k] * wv; }
    }
  }
  for (var r = 0u; r < RB; r++) {
    if (b0 + r >= fs.B) { break; }
    for (var q = 0u; q < 4u; q++) {
      if (j0 + q >= H) { break; }
      let o = ((b0 + r) * fs.T + fs.t) * H + j0 + q;
      fh[o] = tanh(fh[o] + acc[r][q]);
    }
  }
}

// Backward through one step; the gradient from the step processed next, dg[next]*Wh^T, is
// computed here.
@group(0) @binding(0) var<storage, read> bwh: array<f32>;
@group(0) @binding(1) var<storage, read> bdh: array<f32>;
@group(0) @binding(2) var<storage, read> bh: array<f32>;
@group(0) @binding(3) var<storage, read_write> bdg: array<f32>;
@group(0) @binding(4) var<uniform> bs: Step;

@compute @workgroup_size(WG)
fn rnn_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  let nb = (bs.B + RB - 1u) / RB;
  if (id >= nb * NJ) { return; }
  let j0 = (id % NJ) * 4u;
  let b0 = (id / NJ) * RB;
  var acc: array<vec4<f32>, RB>;
  if (bs.has_next != 0u) {
    let wr = vec4<u32>(min(j0, H - 1u), min(j0 + 1u, H - 1u), min(j0 + 2u, H - 1u), min(j0 + 3u, H - 1u)) * H;
    var grow: array<u32, RB>;
    for (var r = 0u; r < RB; r++) { grow[r] = (min(b0 + r, bs.B - 1u) * bs.T + bs.tn) * H; }
    for (var q = 0u; q < H; q++) {
      let w = vec4<f32>(bwh[wr.x + q], bwh[wr.y + q], bwh[wr.z + q], bwh[wr.w + q]);
      for (var r = 0u; r < RB; r++) { acc[r] += bdg[grow[r] + q] * w; }
    }
  }
  for (var r = 0u; r < RB; r++) {
    if (b0 + r >= bs.B) { break; }
    for (var q = 0u; q < 4u; q++) {
      if (j0 + q >= H) { break; }
      let o = ((b0 + r) * bs.T + bs.t) * H + j0 + q;
      let h = bh[o];
      bdg[o] = (bdh[o] + acc[r][q]) * (1.0 - h * h);
    }
  }
}
