// GRU over a sequence, Keras reset_after=true (gate order z, r, n; bias [2, 3H]: input bias
// then recurrent bias), one dispatch per time step. The input projection x*Wx + b_in for
// every step is computed beforehand (rec_proj) into `gates`, which each step overwrites in
// place with its gate activations. `hn` saves h_prev*Un + b'n, the candidate's recurrent
// term before the reset gate, which backward needs. H (hidden size) and RB (batch rows per
// thread) are compile-time constants; each thread computes RB rows x 4 units (register
// blocking, see lstm.wgsl), edge blocks read clamped addresses and store only valid ones.
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
const GH: u32 = 3u * H;

fn sigm(a: f32) -> f32 { return 1.0 / (1.0 + exp(-a)); }

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

@compute @workgroup_size(WG)
fn gru_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  let nb = (fs.B + RB - 1u) / RB;
  if (id >= nb * NJ) { return; }
  let j0 = (id % NJ) * 4u;
  let b0 = (id / NJ) * RB;
  var acc: array<array<vec4<f32>, 3>, RB>;
  if (fs.has_prev != 0u) {
    let jc = vec4<u32>(min(j0, H - 1u), min(j0 + 1u, H - 1u), min(j0 + 2u, H - 1u), min(j0 + 3u, H - 1u));
    var hrow: array<u32, RB>;
    for (var r = 0u; r < RB; r++) { hrow[r] = (min(b0 + r, fs.B - 1u) * fs.T + fs.tp) * H; }
    for (var k = 0u; k < H; k++) {
      let w = k * GH;
      let wz = vec4<f32>(fwh[w + jc.x], fwh[w + jc.y], fwh[w + jc.z], fwh[w + jc.w]);
      let wr = vec4<f32>(fwh[w + H + jc.x], fwh[w + H + jc.y], fwh[w + H + jc.z], fwh[w + H + jc.w]);
      let wn = vec4<f32>(fwh[w + 2u * H + jc.x], fwh[w + 2u * H + jc.y], fwh[w + 2u * H + jc.z], fwh[w + 2u * H + jc.w]);
      for (var r = 0u; r < RB; r++) {
        let hk = fh[hrow[r] + k];
        acc[r][0] += hk * wz;
        acc[r][1] += hk * wr;
        acc[r][2] += hk * wn;
      }
    }
  }
  for (var r = 0u; r < RB; r++) {
    if (b0 + r >= fs.B) { break; }
    for (var q = 0u; q < 4u; q++) {
      if (j0 + q >= H) { break; }
      gru_cell(b0 + r, j0 + q, acc[r][0][q], acc[r][1][q], acc[r][2][q]);
    }
  }
}

// Backward through one step. dgx holds the input-side pre-activation gradients and dgh
// the recurrent-side ones (they differ in the candidate: dgh = r * dgx there). The direct
// path dh_prev += dh * z flows through `carry`, which only the thread owning (b, j) reads
// and writes.
@group(0) @binding(0) var<storage, read> bwh: array<f32>;
@group(0) @binding(1) var<storage, read> bdh: array<f32>;
@group(0) @binding(2) var<storage, read> bh: array<f32>;
@group(0) @binding(3) var<storage, read> bgates: array<f32>;
@group(0) @binding(4) var<storage, read> bhn: array<f32>;
@group(0) @binding(5) var<storage, read_write> bdgx: array<f32>;
@group(0) @binding(6) var<storage, read_write> bdgh: array<f32>;
@group(0) @binding(7) var<storage, read_write> bcarry: array<f32>;
@group(0) @binding(8) var<uniform> bs: Step;

fn gru_cell_bwd(b: u32, j: u32, dhrec: f32) {
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
  bdgh[gb] = daz;
  bdgh[gb + H] = dar;
  bdgh[gb + 2u * H] = dan * r;
  bcarry[b * H + j] = dht * z;
}

@compute @workgroup_size(WG)
fn gru_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  let nb = (bs.B + RB - 1u) / RB;
  if (id >= nb * NJ) { return; }
  let j0 = (id % NJ) * 4u;
  let b0 = (id / NJ) * RB;
  var acc: array<vec4<f32>, RB>;
  if (bs.has_next != 0u) {
    let wr = vec4<u32>(min(j0, H - 1u), min(j0 + 1u, H - 1u), min(j0 + 2u, H - 1u), min(j0 + 3u, H - 1u)) * GH;
    var grow: array<u32, RB>;
    for (var r = 0u; r < RB; r++) { grow[r] = (min(b0 + r, bs.B - 1u) * bs.T + bs.tn) * GH; }
    for (var q = 0u; q < GH; q++) {
      let w = vec4<f32>(bwh[wr.x + q], bwh[wr.y + q], bwh[wr.z + q], bwh[wr.w + q]);
      for (var r = 0u; r < RB; r++) { acc[r] += bdgh[grow[r] + q] * w; }
    }
  }
  for (var r = 0u; r < RB; r++) {
    if (b0 + r >= bs.B) { break; }
    for (var q = 0u; q < 4u; q++) {
      if (j0 + q >= H) { break; }
      gru_cell_bwd(b0 + r, j0 + q, acc[r][q]);
    }
  }
}
