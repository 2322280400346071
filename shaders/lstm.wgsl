// LSTM over a sequence, one dispatch per time step (Keras gate order i, f, g, o; column
// g*H + j of the [., 4H] matrices is gate g of unit j). H (hidden size) and RB (batch rows
// per thread) are compile-time constants.
// The input projection x*Wx + b for every step is computed beforehand (rec_proj) into
// `gates`, which each step overwrites in place with the gate activations it saves for
// backward: a thread reads and writes only its own units' entries.
// Each thread computes a block of RB batch rows x 4 units: every Wh value it loads serves
// RB rows and every h value 4 units x 4 gates. Register blocking like this is what makes
// the recurrence fast on llvmpipe (and cuts memory traffic on real GPUs). Out-of-range
// rows/units of an edge block read clamped (valid) addresses and are not stored.
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
const GH: u32 = 4u * H;

fn sigm(a: f32) -> f32 { return 1.0 / (1.0 + exp(-a)); }

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

@compute @workgroup_size(WG)
fn lstm_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let id = flat_id(gid, nwg);
  let nb = (fs.B + RB - 1u) / RB;
  if (id >= nb * NJ) { return; }
  let j0 = (id % NJ) * 4u;
  let b0 = (id / NJ) * RB;
  var acc: array<array<vec4<f32>, 4>, RB>;
  if (fs.has_prev != 0u) {
    let jc = vec4<u32>(min(j0, H - 1u), min(j0 + 1u, H - 1u), min(j0 + 2u, H - 1u), min(j0 + 3u, H - 1u));
    var hrow: array<u32, RB>;
    for (var r = 0u; r < RB; r++) { hrow[r] = (min(b0 + r, fs.B - 1u) * fs.T + fs.tp) * H; }
    for (var k = 0u; k < H; k++) {
      let w = k * GH;
      let wi = vec4<f32>(fwh[w + jc.x], fwh[w + jc.y], fwh[w + jc.z], fwh[w + jc.w]);
      let wf = vec4<f32>(fwh[w + H + jc.x], fwh[w + H + jc.y], fwh[w + H + jc.z], fwh[w + H + jc.w]);
      let wg = vec4<f32>(fwh[w + 2u * H + jc.x], fwh[w + 2u * H + jc.y], fwh[w + 2u * H + jc.z], fwh[w + 2u * H + jc.w]);
      let wo = vec4<f32>(fwh[w + 3u * H + jc.x], fwh[w + 3u * H + jc.y], fwh[w + 3u * H + jc.z], fwh[w + 3u * H + jc.w]);
      for (var r = 0u; r < RB; r++) {
        let hk = fh[hrow[r] + k];
        acc[r][0] += hk * wi;
        acc[r][1] += hk * wf;
        acc[r][2] += hk * wg;
        acc[r][3] += hk * wo;
      }
    }
  }
  for (var r = 0u; r < RB; r++) {
    if (b0 + r >= fs.B) { break; }
    for (var q = 0u; q < 4u; q++) {
      if (j0 + q >= H) { break; }
      lstm_cell(b0 + r, j0 + q, acc[r][0][q], acc[r][1][q], acc[r][2][q], acc[r][3][q]);
    }
  }
}

// Backward through one step (steps are dispatched in reverse processing order). The
// gradient arriving from the step processed after this one, dg[next]*Wh^T, is computed
// here rather than in a separate dispatch; dc flows through `carry`, which only the thread
// owning (b, j) reads and writes.
@group(0) @binding(0) var<storage, read> bwh: array<f32>;
@group(0) @binding(1) var<storage, read> bdh: array<f32>;
@group(0) @binding(2) var<storage, read> bc: array<f32>;
@group(0) @binding(3) var<storage, read> bgates: array<f32>;
@group(0) @binding(4) var<storage, read_write> bdg: array<f32>;
@group(0) @binding(5) var<storage, read_write> bcarry: array<f32>;
@group(0) @binding(6) var<uniform> bs: Step;

fn lstm_cell_bwd(b: u32, j: u32, dhrec: f32) {
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
      for (var r = 0u; r < RB; r++) { acc[r] += bdg[grow[r] + q] * w; }
    }
  }
  for (var r = 0u; r < RB; r++) {
    if (b0 + r >= bs.B) { break; }
    for (var q = 0u; q < 4u; q++) {
      if (j0 + q >= H) { break; }
      lstm_cell_bwd(b0 + r, j0 + q, acc[r][q]);
    }
  }
}
