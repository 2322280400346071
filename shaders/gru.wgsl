// GRU over a sequence, Keras reset_after=true (gate order z, r, n; bias [2, 3H]: input bias
// then recurrent bias), one dispatch per time step. The input projection x*Wx + b_in for
// every step is computed beforehand (rec_proj) into `gates`, which each step overwrites in
// place with its gate activations. `hn` saves h_prev*Un + b'n, the candidate's recurrent
// term before the reset gate, which backward needs. H is a compile-time constant.
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

fn sigm(a: f32) -> f32 { return 1.0 / (1.0 + exp(-a)); }

@group(0) @binding(0) var<storage, read> fwh: array<f32>;
@group(0) @binding(1) var<storage, read> fb: array<f32>;
@group(0) @binding(2) var<storage, read_write> fh: array<f32>;
@group(0) @binding(3) var<storage, read_write> fgates: array<f32>;
@group(0) @binding(4) var<storage, read_write> fhn: array<f32>;
@group(0) @binding(5) var<uniform> fs: Step;

@compute @workgroup_size(WG)
fn gru_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  if (id >= fs.B * H) { return; }
  let b = id / H;
  let j = id % H;
  let row = b * fs.T + fs.t;
  var rz = fb[3u * H + j];
  var rr = fb[4u * H + j];
  var rn = fb[5u * H + j];
  var hp = 0.0;
  if (fs.has_prev != 0u) {
    let pb = (b * fs.T + fs.tp) * H;
    for (var k = 0u; k < H; k++) {
      let hk = fh[pb + k];
      let w = k * 3u * H + j;
      rz += hk * fwh[w];
      rr += hk * fwh[w + H];
      rn += hk * fwh[w + 2u * H];
    }
    hp = fh[pb + j];
  }
  let gb = row * 3u * H + j;
  let z = sigm(fgates[gb] + rz);
  let r = sigm(fgates[gb + H] + rr);
  let n = tanh(fgates[gb + 2u * H] + r * rn);
  fh[row * H + j] = z * hp + (1.0 - z) * n;
  fhn[row * H + j] = rn;
  fgates[gb] = z;
  fgates[gb + H] = r;
  fgates[gb + 2u * H] = n;
}

// Backward through one step. dgx holds the input-side pre-activation gradients and dgh
// the recurrent-side ones (they differ in the candidate: dgh = r * dgx there). The direct
// path dh_prev += dh * z flows through `carry`, which only this thread reads and writes.
@group(0) @binding(0) var<storage, read> bwh: array<f32>;
@group(0) @binding(1) var<storage, read> bdh: array<f32>;
@group(0) @binding(2) var<storage, read> bh: array<f32>;
@group(0) @binding(3) var<storage, read> bgates: array<f32>;
@group(0) @binding(4) var<storage, read> bhn: array<f32>;
@group(0) @binding(5) var<storage, read_write> bdgx: array<f32>;
@group(0) @binding(6) var<storage, read_write> bdgh: array<f32>;
@group(0) @binding(7) var<storage, read_write> bcarry: array<f32>;
@group(0) @binding(8) var<uniform> bs: Step;

@compute @workgroup_size(WG)
fn gru_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  if (id >= bs.B * H) { return; }
  let b = id / H;
  let j = id % H;
  let row = b * bs.T + bs.t;
  var dht = bdh[row * H + j];
  if (bs.has_next != 0u) {
    let nb = (b * bs.T + bs.tn) * 3u * H;
    let wr = j * 3u * H;
    for (var q = 0u; q < 3u * H; q++) { dht += bdgh[nb + q] * bwh[wr + q]; }
    dht += bcarry[id];
  }
  let gb = row * 3u * H + j;
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
  bcarry[id] = dht * z;
}
