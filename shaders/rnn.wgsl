// Simple RNN (tanh) over a sequence, one dispatch per time step. The input projection
// x*Wx + b for every step is computed beforehand (rec_proj) into `h`, which each step
// overwrites in place with its output. H (hidden size) is a compile-time constant. Each
// thread computes 4 batch rows x 4 units (register blocking, see lstm.wgsl).
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
const NJ8: u32 = (H + 7u) / 8u;
const GH: u32 = H;

@group(0) @binding(0) var<storage, read> fwh: array<f32>;
@group(0) @binding(1) var<storage, read_write> fh: array<f32>;
@group(0) @binding(2) var<uniform> fs: Step;

fn rnn_cell(b: u32, j: u32, a: f32) {
  let o = (b * fs.T + fs.t) * H + j;
  fh[o] = tanh(fh[o] + a);
}

fn ld4(base: u32, jc: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(fwh[base + jc.x], fwh[base + jc.y], fwh[base + jc.z], fwh[base + jc.w]);
}

fn emit(b: u32, j0: u32, a: vec4<f32>) {
  if (b >= fs.B) { return; }
  for (var q = 0u; q < 4u; q++) {
    if (j0 + q < H) { rnn_cell(b, j0 + q, a[q]); }
  }
}

@compute @workgroup_size(WG)
fn rnn_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  if (id >= ((fs.B + 3u) / 4u) * NJ) { return; }
  let j0 = (id % NJ) * 4u;
  let b0 = (id / NJ) * 4u;
  var a0 = vec4<f32>(0.0);
  var a1 = vec4<f32>(0.0);
  var a2 = vec4<f32>(0.0);
  var a3 = vec4<f32>(0.0);
  if (fs.has_prev != 0u) {
    let jc = vec4<u32>(min(j0, H - 1u), min(j0 + 1u, H - 1u), min(j0 + 2u, H - 1u), min(j0 + 3u, H - 1u));
    let hr0 = (min(b0, fs.B - 1u) * fs.T + fs.tp) * H;
    let hr1 = (min(b0 + 1u, fs.B - 1u) * fs.T + fs.tp) * H;
    let hr2 = (min(b0 + 2u, fs.B - 1u) * fs.T + fs.tp) * H;
    let hr3 = (min(b0 + 3u, fs.B - 1u) * fs.T + fs.tp) * H;
    for (var k = 0u; k < H; k++) {
      let w = k * GH;
      let wa = ld4(w, jc);
      let h0 = fh[hr0 + k]; let h1 = fh[hr1 + k]; let h2 = fh[hr2 + k]; let h3 = fh[hr3 + k];
      a0 += h0 * wa;
      a1 += h1 * wa;
      a2 += h2 * wa;
      a3 += h3 * wa;
    }
  }
  emit(b0 + 0u, j0, a0);
  emit(b0 + 1u, j0, a1);
  emit(b0 + 2u, j0, a2);
  emit(b0 + 3u, j0, a3);
}

// Backward through one step; the gradient from the step processed next, dg[next]*Wh^T, is
// computed here.
// bwht is Wh transposed ([G*H, H], made by rec_transpose): the 4 units of a thread are
// then adjacent, so neighbouring threads read neighbouring addresses (coalesced on GPUs).
@group(0) @binding(0) var<storage, read> bwht: array<f32>;
@group(0) @binding(1) var<storage, read> bdh: array<f32>;
@group(0) @binding(2) var<storage, read> bh: array<f32>;
@group(0) @binding(3) var<storage, read_write> bdg: array<f32>;
@group(0) @binding(4) var<uniform> bs: Step;

fn rnn_cell_bwd(b: u32, j: u32, dhrec: f32) {
  let o = (b * bs.T + bs.t) * H + j;
  let h = bh[o];
  bdg[o] = (bdh[o] + dhrec) * (1.0 - h * h);
}

fn emit_bwd(b: u32, j0: u32, dhrec: vec4<f32>) {
  if (b >= bs.B) { return; }
  for (var q = 0u; q < 4u; q++) {
    if (j0 + q < H) { rnn_cell_bwd(b, j0 + q, dhrec[q]); }
  }
}

// One thread per 4 batch rows x 8 units (twice the forward's units: each step of the
// inner loop then loads 8 + 4 values for 32 multiply-adds).
@compute @workgroup_size(WG)
fn rnn_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  if (id >= ((bs.B + 3u) / 4u) * NJ8) { return; }
  let j0 = (id % NJ8) * 8u;
  let b0 = (id / NJ8) * 4u;
  var u0 = vec4<f32>(0.0); var u1 = vec4<f32>(0.0); var u2 = vec4<f32>(0.0); var u3 = vec4<f32>(0.0);
  var v0 = vec4<f32>(0.0); var v1 = vec4<f32>(0.0); var v2 = vec4<f32>(0.0); var v3 = vec4<f32>(0.0);
  if (bs.has_next != 0u) {
    let jc = min(vec4<u32>(j0, j0 + 1u, j0 + 2u, j0 + 3u), vec4<u32>(H - 1u));
    let jd = min(vec4<u32>(j0 + 4u, j0 + 5u, j0 + 6u, j0 + 7u), vec4<u32>(H - 1u));
    let g0 = (min(b0, bs.B - 1u) * bs.T + bs.tn) * GH;
    let g1 = (min(b0 + 1u, bs.B - 1u) * bs.T + bs.tn) * GH;
    let g2 = (min(b0 + 2u, bs.B - 1u) * bs.T + bs.tn) * GH;
    let g3 = (min(b0 + 3u, bs.B - 1u) * bs.T + bs.tn) * GH;
    for (var q = 0u; q < GH; q++) {
      let wq = q * H;
      let w = vec4<f32>(bwht[wq + jc.x], bwht[wq + jc.y], bwht[wq + jc.z], bwht[wq + jc.w]);
      let x = vec4<f32>(bwht[wq + jd.x], bwht[wq + jd.y], bwht[wq + jd.z], bwht[wq + jd.w]);
      let d0 = bdg[g0 + q]; let d1 = bdg[g1 + q]; let d2 = bdg[g2 + q]; let d3 = bdg[g3 + q];
      u0 += d0 * w; u1 += d1 * w; u2 += d2 * w; u3 += d3 * w;
      v0 += d0 * x; v1 += d1 * x; v2 += d2 * x; v3 += d3 * x;
    }
  }
  emit_bwd(b0, j0, u0);
  emit_bwd(b0 + 1u, j0, u1);
  emit_bwd(b0 + 2u, j0, u2);
  emit_bwd(b0 + 3u, j0, u3);
  emit_bwd(b0, j0 + 4u, v0);
  emit_bwd(b0 + 1u, j0 + 4u, v1);
  emit_bwd(b0 + 2u, j0 + 4u, v2);
  emit_bwd(b0 + 3u, j0 + 4u, v3);
}
