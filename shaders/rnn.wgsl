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
  if (id >= fwd_threads()) { return; }
  let blk = fwd_block(id);
  var a0 = vec4<f32>(0.0);
  var a1 = vec4<f32>(0.0);
  var a2 = vec4<f32>(0.0);
  var a3 = vec4<f32>(0.0);
  if (fs.has_prev != 0u) {
    for (var k = 0u; k < H; k++) {
      let w = k * GH;
      let wa = ld4(w, blk.jc);
      let h = prev_h4(blk, k);
      a0 += h.x * wa;
      a1 += h.y * wa;
      a2 += h.z * wa;
      a3 += h.w * wa;
    }
  }
  emit(blk.b0, blk.j0, a0);
  emit(blk.b0 + 1u, blk.j0, a1);
  emit(blk.b0 + 2u, blk.j0, a2);
  emit(blk.b0 + 3u, blk.j0, a3);
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
