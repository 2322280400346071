// Simple RNN (tanh) over a sequence, one dispatch per time step. The input projection
// x*Wx + b for every step is computed beforehand (by the matmul of dense.ts) into `h`, which each step
// overwrites in place with its output. H (hidden size) is a compile-time constant. Each
// thread computes 4 batch rows x 4 units (register blocking, see lstm.wgsl).
// Step, sigm, ld4, units4, prev_row and the backward block step_bwd come from rec_step.wgsl,
// which the kernel descriptors insert before this file.
const GH: u32 = H;

@group(0) @binding(0) var<storage, read> fwh: array<f32>;
@group(0) @binding(1) var<storage, read_write> fh: array<f32>;
@group(0) @binding(2) var<uniform> fs: Step;

fn rnn_cell(b: u32, j: u32, a: f32) {
  let o = (b * fs.T + fs.t) * H + j;
  fh[o] = tanh(fh[o] + a);
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
    let jc = units4(j0);
    let hr0 = prev_row(b0);
    let hr1 = prev_row(b0 + 1u);
    let hr2 = prev_row(b0 + 2u);
    let hr3 = prev_row(b0 + 3u);
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
@group(0) @binding(0) var<storage, read> bwht: array<f32>;
@group(0) @binding(1) var<storage, read> bdh: array<f32>;
@group(0) @binding(2) var<storage, read> bh: array<f32>;
@group(0) @binding(3) var<storage, read_write> bdg: array<f32>;
@group(0) @binding(4) var<uniform> bs: Step;

fn cell_bwd(b: u32, j: u32, dhrec: f32) {
  let o = (b * bs.T + bs.t) * H + j;
  let h = bh[o];
  bdg[o] = (bdh[o] + dhrec) * (1.0 - h * h);
}

@compute @workgroup_size(WG)
fn rnn_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  step_bwd(flat_id(gid, nwg));
}
