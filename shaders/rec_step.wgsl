// Shared by the per-step recurrent kernels (rnn.wgsl, lstm.wgsl, gru.wgsl), inserted before
// them. The including file defines GH (G·H, the columns of the [., G·H] gate matrices), the
// forward bindings fwh (Wh), fh (outputs) and fs, the backward bindings bwht, bdg (the
// recurrent-side pre-activation gradients, fed back through Wh) and bs, and
// cell_bwd(b, j, dhrec), the backward of one (row, unit).
struct Step {
  B: u32,
  T: u32,
  t: u32,         // time index of this step
  tp: u32,        // time index of the previous step (valid when has_prev)
  has_prev: u32,
  tn: u32,        // time index of the next step (valid when has_next; backward only)
  has_next: u32,
  p0: u32,
}

const NJ: u32 = (H + 3u) / 4u;
const NJ8: u32 = (H + 7u) / 8u;

fn sigm(a: f32) -> f32 { return 1.0 / (1.0 + exp(-a)); }

// Forward blocks are 4 batch rows x 4 units (see lstm.wgsl). Edge blocks read clamped
// (valid) addresses and store only their valid outputs.
fn units4(j0: u32) -> vec4<u32> {
  return vec4<u32>(min(j0, H - 1u), min(j0 + 1u, H - 1u), min(j0 + 2u, H - 1u), min(j0 + 3u, H - 1u));
}

// Offset of h at the previous step for batch row b (clamped to a valid row).
fn prev_row(b: u32) -> u32 {
  return (min(b, fs.B - 1u) * fs.T + fs.tp) * H;
}

// A forward thread's block: batch rows b0 … b0+3 and units j0 … j0+3, with the units
// clamped to valid ones (jc) and the offsets in fh of the rows' previous outputs (hr).
struct FwdBlock {
  b0: u32,
  j0: u32,
  jc: vec4<u32>,
  hr: vec4<u32>,
}

// Threads of a forward step: one per block of 4 batch rows x 4 units.
fn fwd_threads() -> u32 {
  return ((fs.B + 3u) / 4u) * NJ;
}

fn fwd_block(id: u32) -> FwdBlock {
  let j0 = (id % NJ) * 4u;
  let b0 = (id / NJ) * 4u;
  let hr = vec4<u32>(prev_row(b0), prev_row(b0 + 1u), prev_row(b0 + 2u), prev_row(b0 + 3u));
  return FwdBlock(b0, j0, units4(j0), hr);
}

// The previous step's output of unit k for the block's 4 rows.
fn prev_h4(blk: FwdBlock, k: u32) -> vec4<f32> {
  return vec4<f32>(fh[blk.hr.x + k], fh[blk.hr.y + k], fh[blk.hr.z + k], fh[blk.hr.w + k]);
}

fn ld4(base: u32, jc: vec4<u32>) -> vec4<f32> {
  return vec4<f32>(fwh[base + jc.x], fwh[base + jc.y], fwh[base + jc.z], fwh[base + jc.w]);
}

fn emit_bwd(b: u32, j0: u32, dhrec: vec4<f32>) {
  if (b >= bs.B) { return; }
  for (var q = 0u; q < 4u; q++) {
    if (j0 + q < H) { cell_bwd(b, j0 + q, dhrec[q]); }
  }
}

// Backward through one step, for thread `id`: the gradient arriving from the step processed
// after this one, dg[next]*Wh^T, is computed here rather than in a separate dispatch.
// bwht is Wh transposed ([G*H, H], made by rec_transpose): the 4 units of a thread are
// then adjacent, so neighbouring threads read neighbouring addresses (coalesced on GPUs).
// One thread per 4 batch rows x 8 units (twice the forward's units: each step of the
// inner loop then loads 8 + 4 values for 32 multiply-adds).
fn step_bwd(id: u32) {
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
