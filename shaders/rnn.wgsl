// Simple RNN (tanh) over a sequence, one dispatch per time step. The input projection
// x*Wx + b for every step is computed beforehand (rec_proj) into `h`, which each step
// overwrites in place with its output. H is a compile-time constant.
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

@group(0) @binding(0) var<storage, read> fwh: array<f32>;
@group(0) @binding(1) var<storage, read_write> fh: array<f32>;
@group(0) @binding(2) var<uniform> fs: Step;

@compute @workgroup_size(WG)
fn rnn_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  if (id >= fs.B * H) { return; }
  let b = id / H;
  let j = id % H;
  let o = (b * fs.T + fs.t) * H + j;
  var a = fh[o];
  if (fs.has_prev != 0u) {
    let pb = (b * fs.T + fs.tp) * H;
    for (var k = 0u; k < H; k++) { a += fh[pb + k] * fwh[k * H + j]; }
  }
  fh[o] = tanh(a);
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
  if (id >= bs.B * H) { return; }
  let b = id / H;
  let j = id % H;
  let o = (b * bs.T + bs.t) * H + j;
  var dht = bdh[o];
  if (bs.has_next != 0u) {
    let nb = (b * bs.T + bs.tn) * H;
    for (var q = 0u; q < H; q++) { dht += bdg[nb + q] * bwh[j * H + q]; }
  }
  let h = bh[o];
  bdg[o] = dht * (1.0 - h * h);
}
