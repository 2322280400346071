// LSTM over a sequence, one dispatch per time step (Keras gate order i, f, g, o; column
// g*H + j of the [., 4H] matrices is gate g of unit j). H is a compile-time constant.
// The input projection x*Wx + b for every step is computed beforehand (rec_proj) into
// `gates`, which each step overwrites in place with the gate activations it saves for
// backward: a thread reads and writes only its own unit's four entries.
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

fn sigm(a: f32) -> f32 { return 1.0 / (1.0 + exp(-a)); }

@group(0) @binding(0) var<storage, read> fwh: array<f32>;
@group(0) @binding(1) var<storage, read_write> fh: array<f32>;
@group(0) @binding(2) var<storage, read_write> fc: array<f32>;
@group(0) @binding(3) var<storage, read_write> fgates: array<f32>;
@group(0) @binding(4) var<uniform> fs: Step;

@compute @workgroup_size(WG)
fn lstm_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  if (id >= fs.B * H) { return; }
  let b = id / H;
  let j = id % H;
  let row = b * fs.T + fs.t;
  let gb = row * 4u * H + j;
  var ai = fgates[gb];
  var af = fgates[gb + H];
  var ag = fgates[gb + 2u * H];
  var ao = fgates[gb + 3u * H];
  var cp = 0.0;
  if (fs.has_prev != 0u) {
    let pb = (b * fs.T + fs.tp) * H;
    for (var k = 0u; k < H; k++) {
      let hk = fh[pb + k];
      let w = k * 4u * H + j;
      ai += hk * fwh[w];
      af += hk * fwh[w + H];
      ag += hk * fwh[w + 2u * H];
      ao += hk * fwh[w + 3u * H];
    }
    cp = fc[pb + j];
  }
  let i = sigm(ai);
  let f = sigm(af);
  let g = tanh(ag);
  let o = sigm(ao);
  let c = f * cp + i * g;
  fc[row * H + j] = c;
  fh[row * H + j] = o * tanh(c);
  fgates[gb] = i;
  fgates[gb + H] = f;
  fgates[gb + 2u * H] = g;
  fgates[gb + 3u * H] = o;
}

// Backward through one step (steps are dispatched in reverse processing order). The
// gradient arriving from the step processed after this one, dg[next]*Wh^T, is computed
// here rather than in a separate dispatch; dc flows through `carry`, which only this
// thread reads and writes.
@group(0) @binding(0) var<storage, read> bwh: array<f32>;
@group(0) @binding(1) var<storage, read> bdh: array<f32>;
@group(0) @binding(2) var<storage, read> bc: array<f32>;
@group(0) @binding(3) var<storage, read> bgates: array<f32>;
@group(0) @binding(4) var<storage, read_write> bdg: array<f32>;
@group(0) @binding(5) var<storage, read_write> bcarry: array<f32>;
@group(0) @binding(6) var<uniform> bs: Step;

@compute @workgroup_size(WG)
fn lstm_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  if (id >= bs.B * H) { return; }
  let b = id / H;
  let j = id % H;
  let row = b * bs.T + bs.t;
  var dht = bdh[row * H + j];
  var dc = 0.0;
  if (bs.has_next != 0u) {
    let nb = (b * bs.T + bs.tn) * 4u * H;
    let wr = j * 4u * H;
    for (var q = 0u; q < 4u * H; q++) { dht += bdg[nb + q] * bwh[wr + q]; }
    dc = bcarry[id];
  }
  let gb = row * 4u * H + j;
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
  bcarry[id] = dc * f;
}
