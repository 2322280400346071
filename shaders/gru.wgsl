// GRU over a sequence, Keras reset_after=true (gate order z, r, n; bias [2, 3H]: input bias
// then recurrent bias), one dispatch per time step. The input projection x*Wx + b_in for
// every step is computed beforehand (by the matmul of dense.ts) into `gates`, which each step overwrites in
// place with its gate activations. `hn` saves h_prev*Un + b'n, the candidate's recurrent
// term before the reset gate, which backward needs. H (hidden size) is a compile-time
// constant. Each thread computes 4 batch rows x 4 units (register blocking, see lstm.wgsl).
// Step, sigm, ld4, units4, prev_row and the backward block step_bwd come from rec_step.wgsl,
// which the kernel descriptors insert before this file.
const GH: u32 = 3u * H;

@group(0) @binding(0) var<storage, read> fwh: array<f32>;
@group(0) @binding(1) var<storage, read> fb: array<f32>;
@group(0) @binding(2) var<storage, read_write> fh: array<f32>;
@group(0) @binding(3) var<storage, read_write> fgates: array<f32>;
@group(0) @binding(4) var<storage, read_write> fhn: array<f32>;
@group(0) @binding(5) var<uniform> fs: Step;

fn gru_cell(b: u32, j: u32, az: f32, ar: f32, an: f32) {
  let row = b * fs.T + fs.t;
  var hp = 0.0;
  if (fs.has_prev != 0u) { hp = fh[(b * fs.T + fs.tp) * H + j]; }
  let rn = fb[GH + 2u * H + j] + an;
  let gb = row * GH + j;
  let z = sigm(fgates[gb] + fb[GH + j] + az);
  let r = sigm(fgates[gb + H] + fb[GH + H + j] + ar);
  let n = tanh(fgates[gb + 2u * H] + r * rn);
  fh[row * H + j] = z * hp + (1.0 - z) * n;
  fhn[row * H + j] = rn;
  fgates[gb] = z;
  fgates[gb + H] = r;
  fgates[gb + 2u * H] = n;
}

fn emit(b: u32, j0: u32, z: vec4<f32>, r: vec4<f32>, n: vec4<f32>) {
  if (b >= fs.B) { return; }
  for (var q = 0u; q < 4u; q++) {
    if (j0 + q < H) { gru_cell(b, j0 + q, z[q], r[q], n[q]); }
  }
}

@compute @workgroup_size(WG)
fn gru_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  if (id >= fwd_threads()) { return; }
  let blk = fwd_block(id);
  var z0 = vec4<f32>(0.0); var r0 = vec4<f32>(0.0); var n0 = vec4<f32>(0.0);
  var z1 = vec4<f32>(0.0); var r1 = vec4<f32>(0.0); var n1 = vec4<f32>(0.0);
  var z2 = vec4<f32>(0.0); var r2 = vec4<f32>(0.0); var n2 = vec4<f32>(0.0);
  var z3 = vec4<f32>(0.0); var r3 = vec4<f32>(0.0); var n3 = vec4<f32>(0.0);
  if (fs.has_prev != 0u) {
    for (var k = 0u; k < H; k++) {
      let w = k * GH;
      let wz = ld4(w, blk.jc); let wr = ld4(w + 1u * H, blk.jc); let wn = ld4(w + 2u * H, blk.jc);
      let h = prev_h4(blk, k);
      z0 += h.x * wz; r0 += h.x * wr; n0 += h.x * wn;
      z1 += h.y * wz; r1 += h.y * wr; n1 += h.y * wn;
      z2 += h.z * wz; r2 += h.z * wr; n2 += h.z * wn;
      z3 += h.w * wz; r3 += h.w * wr; n3 += h.w * wn;
    }
  }
  emit(blk.b0, blk.j0, z0, r0, n0);
  emit(blk.b0 + 1u, blk.j0, z1, r1, n1);
  emit(blk.b0 + 2u, blk.j0, z2, r2, n2);
  emit(blk.b0 + 3u, blk.j0, z3, r3, n3);
}

// Backward through one step. dgx holds the input-side pre-activation gradients and dg
// the recurrent-side ones (they differ in the candidate: dg = r * dgx there). The direct
// path dh_prev += dh * z flows through `carry`, which only the thread owning (b, j) reads
// and writes.
@group(0) @binding(0) var<storage, read> bwht: array<f32>;
@group(0) @binding(1) var<storage, read> bdh: array<f32>;
@group(0) @binding(2) var<storage, read> bh: array<f32>;
@group(0) @binding(3) var<storage, read> bgates: array<f32>;
@group(0) @binding(4) var<storage, read> bhn: array<f32>;
@group(0) @binding(5) var<storage, read_write> bdgx: array<f32>;
@group(0) @binding(6) var<storage, read_write> bdg: array<f32>;
@group(0) @binding(7) var<storage, read_write> bcarry: array<f32>;
@group(0) @binding(8) var<uniform> bs: Step;

fn cell_bwd(b: u32, j: u32, dhrec: f32) {
  let row = b * bs.T + bs.t;
  var dht = bdh[row * H + j] + dhrec;
  if (bs.has_next != 0u) { dht += bcarry[b * H + j]; }
  let gb = row * GH + j;
  let z = bgates[gb];
  let r = bgates[gb + H];
  let n = bgates[gb + 2u * H];
  var hp = 0.0;
  if (bs.has_prev != 0u) { hp = bh[(b * bs.T + bs.tp) * H + j]; }
  let dan = dht * (1.0 - z) * (1.0 - n * n);
  let daz = dht * (hp - n) * z * (1.0 - z);
  let dar = dan * bhn[row * H + j] * r * (1.0 - r);
  bdgx[gb] = daz;
  bdgx[gb + H] = dar;
  bdgx[gb + 2u * H] = dan;
  bdg[gb] = daz;
  bdg[gb + H] = dar;
  bdg[gb + 2u * H] = dan * r;
  bcarry[b * H + j] = dht * z;
}

@compute @workgroup_size(WG)
fn gru_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  step_bwd(flat_id(gid, nwg));
}
