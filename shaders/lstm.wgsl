// LSTM over a sequence, one dispatch per time step (Keras gate order i, f, g, o; column
// g*H + j of the [., 4H] matrices is gate g of unit j). H (hidden size) is a compile-time
// constant.
// The input projection x*Wx + b for every step is computed beforehand (by the matmul of dense.ts) into
// `gates`, which each step overwrites in place with the gate activations it saves for
// backward: a thread reads and writes only its own units' entries.
// Each thread computes a block of 4 batch rows x 4 units: every Wh value it loads serves 4
// rows and every h value 4 units. The accumulators are plain variables: a local array
// indexed in a loop ends up in slow scratch memory on llvmpipe (this form measured 2.5x
// less CPU time there than the array form, and 3x less than one thread per unit). Edge
// blocks read clamped (valid) addresses and store only their valid outputs.
// Step, sigm, ld4, units4, prev_row and the backward block step_bwd come from rec_step.wgsl,
// which the kernel descriptors insert before this file.
const GH: u32 = 4u * H;

@group(0) @binding(0) var<storage, read> fwh: array<f32>;
@group(0) @binding(1) var<storage, read_write> fh: array<f32>;
@group(0) @binding(2) var<storage, read_write> fc: array<f32>;
@group(0) @binding(3) var<storage, read_write> fgates: array<f32>;
@group(0) @binding(4) var<uniform> fs: Step;

fn lstm_cell(b: u32, j: u32, ai: f32, af: f32, ag: f32, ao: f32) {
  let row = b * fs.T + fs.t;
  let gb = row * GH + j;
  var cp = 0.0;
  if (fs.has_prev != 0u) { cp = fc[(b * fs.T + fs.tp) * H + j]; }
  let i = sigm(fgates[gb] + ai);
  let f = sigm(fgates[gb + H] + af);
  let g = tanh(fgates[gb + 2u * H] + ag);
  let o = sigm(fgates[gb + 3u * H] + ao);
  let c = f * cp + i * g;
  fc[row * H + j] = c;
  fh[row * H + j] = o * tanh(c);
  fgates[gb] = i;
  fgates[gb + H] = f;
  fgates[gb + 2u * H] = g;
  fgates[gb + 3u * H] = o;
}

fn emit(b: u32, j0: u32, i: vec4<f32>, f: vec4<f32>, g: vec4<f32>, o: vec4<f32>) {
  if (b >= fs.B) { return; }
  for (var q = 0u; q < 4u; q++) {
    if (j0 + q < H) { lstm_cell(b, j0 + q, i[q], f[q], g[q], o[q]); }
  }
}

@compute @workgroup_size(WG)
fn lstm_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  if (id >= fwd_threads()) { return; }
  let blk = fwd_block(id);
  var i0 = vec4<f32>(0.0); var f0 = vec4<f32>(0.0); var g0 = vec4<f32>(0.0); var o0 = vec4<f32>(0.0);
  var i1 = vec4<f32>(0.0); var f1 = vec4<f32>(0.0); var g1 = vec4<f32>(0.0); var o1 = vec4<f32>(0.0);
  var i2 = vec4<f32>(0.0); var f2 = vec4<f32>(0.0); var g2 = vec4<f32>(0.0); var o2 = vec4<f32>(0.0);
  var i3 = vec4<f32>(0.0); var f3 = vec4<f32>(0.0); var g3 = vec4<f32>(0.0); var o3 = vec4<f32>(0.0);
  if (fs.has_prev != 0u) {
    for (var k = 0u; k < H; k++) {
      let w = k * GH;
      let wi = ld4(w, blk.jc); let wf = ld4(w + 1u * H, blk.jc); let wg = ld4(w + 2u * H, blk.jc); let wo = ld4(w + 3u * H, blk.jc);
      let h = prev_h4(blk, k);
      i0 += h.x * wi; f0 += h.x * wf; g0 += h.x * wg; o0 += h.x * wo;
      i1 += h.y * wi; f1 += h.y * wf; g1 += h.y * wg; o1 += h.y * wo;
      i2 += h.z * wi; f2 += h.z * wf; g2 += h.z * wg; o2 += h.z * wo;
      i3 += h.w * wi; f3 += h.w * wf; g3 += h.w * wg; o3 += h.w * wo;
    }
  }
  emit(blk.b0, blk.j0, i0, f0, g0, o0);
  emit(blk.b0 + 1u, blk.j0, i1, f1, g1, o1);
  emit(blk.b0 + 2u, blk.j0, i2, f2, g2, o2);
  emit(blk.b0 + 3u, blk.j0, i3, f3, g3, o3);
}

// Backward through one step (steps are dispatched in reverse processing order). The
// gradient arriving from the step processed after this one, dg[next]*Wh^T, is computed
// here rather than in a separate dispatch; dc flows through `carry`, which only the thread
// owning (b, j) reads and writes.
@group(0) @binding(0) var<storage, read> bwht: array<f32>;
@group(0) @binding(1) var<storage, read> bdh: array<f32>;
@group(0) @binding(2) var<storage, read> bc: array<f32>;
@group(0) @binding(3) var<storage, read> bgates: array<f32>;
@group(0) @binding(4) var<storage, read_write> bdg: array<f32>;
@group(0) @binding(5) var<storage, read_write> bcarry: array<f32>;
@group(0) @binding(6) var<uniform> bs: Step;

fn cell_bwd(b: u32, j: u32, dhrec: f32) {
  let row = b * bs.T + bs.t;
  let dht = bdh[row * H + j] + dhrec;
  var dc = 0.0;
  if (bs.has_next != 0u) { dc = bcarry[b * H + j]; }
  let gb = row * GH + j;
  let i = bgates[gb];
  let f = bgates[gb + H];
  let g = bgates[gb + 2u * H];
  let o = bgates[gb + 3u * H];
  let tc = tanh(bc[row * H + j]);
  var cp = 0.0;
  if (bs.has_prev != 0u) { cp = bc[(b * bs.T + bs.tp) * H + j]; }
  dc += dht * o * (1.0 - tc * tc);
  bdg[gb] = dc * g * i * (1.0 - i);
  bdg[gb + H] = dc * cp * f * (1.0 - f);
  bdg[gb + 2u * H] = dc * i * (1.0 - g * g);
  bdg[gb + 3u * H] = dht * tc * o * (1.0 - o);
  bcarry[b * H + j] = dc * f;
}

@compute @workgroup_size(WG)
fn lstm_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  step_bwd(flat_id(gid, nwg));
}
