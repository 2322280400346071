// Bloch–McConnell matrices built on the GPU from packed pool parameters, in the layout of
// src/physics/bm_matrix.ts: state [x_0..x_{RP-1}, y_0..y_{RP-1}, z_0..z_{RP-1}, (z_MT)].
// The only compile-time size is N, the row stride and capacity of the private matrices
// (src/physics/gpu_sim.ts picks 20 or 32). Pool counts are runtime values (RP water + CEST
// pools, RMT = 1 with a z-only MT pool, RN = 3·RP + RMT, RNZ = RP + RMT), so one pipeline
// serves every model: with compile-time sizes lavapipe's LLVM unrolls the 19³ products and
// needs minutes per layout. Each kernel file declares `groups: array<f32>` (the records,
// packed by gpu_sim.ts `_packGroup`) and calls `set_sizes` first.
//
// Group record (f32): [0] ω1 rad/s (B1·relB1·γ), [1] ω0 rad/s per ppm (γ·B0), [2] B0 shift
// rad/s, [3] base step h s, [4] R1w, [5] R2w, [6] f_w, [7] number of valid offsets,
// [8] MT lineshape (0 none, 1 Lorentzian, 2 table in `mtg`), then per CEST pool
// (f, k, R1, R2, δ ppm), then the MT pool (f, k, R1, T2, δ ppm), then per slot
// (mode, start, Td s, pre-delay s, post-delay s), then the free steady state z (NZ) and the
// relaxed start z (NZ). Slot mode: −1 steady state, 0 no saturation, m ≥ 1 Ts = m·h.

const G_W1: u32 = 0u;
const G_W0: u32 = 1u;
const G_DW0: u32 = 2u;
const G_H: u32 = 3u;
const G_R1W: u32 = 4u;
const G_R2W: u32 = 5u;
const G_FW: u32 = 6u;
const G_NOFF: u32 = 7u;
const G_MTMODE: u32 = 8u;
const G_POOLS: u32 = 9u;
const NSLOT: u32 = 2u;

var<private> RP: u32;
var<private> RMT: u32;
var<private> RN: u32;
var<private> RNZ: u32;
var<private> GR: u32;
var<private> G_MTP: u32;
var<private> G_SLOT: u32;
var<private> G_ZSS: u32;
var<private> G_ZREL: u32;
// Per group and slot in the prep buffer: start z (RNZ), then post-delay F (RNZ×RNZ).
var<private> ZP_SLOT: u32;
var<private> ZP: u32;

fn set_sizes(pools: u32, mt: u32) {
  RP = pools;
  RMT = mt;
  RN = 3u * pools + mt;
  RNZ = pools + mt;
  G_MTP = G_POOLS + 5u * (pools - 1u);
  G_SLOT = G_MTP + 5u;
  G_ZSS = G_SLOT + 5u * NSLOT;
  G_ZREL = G_ZSS + RNZ;
  GR = G_ZREL + RNZ;
  ZP_SLOT = RNZ + RNZ * RNZ;
  ZP = NSLOT * ZP_SLOT;
}

fn rec(g: u32, i: u32) -> f32 { return groups[g * GR + i]; }

// z block of the free (no RF) system: A_z (NZ×NZ, stride N) and C_z. Offset-independent.
fn build_free_z(g: u32, a: ptr<function, Mat>, cz: ptr<function, Vec>) {
  for (var i = 0u; i < RN * N; i++) { (*a)[i] = 0.0; }
  for (var i = 0u; i < RN; i++) { (*cz)[i] = 0.0; }
  let r1w = rec(g, G_R1W);
  var sum_fk = 0.0;
  for (var i = 1u; i < RP; i++) {
    let b = G_POOLS + 5u * (i - 1u);
    let f = rec(g, b);
    let k = rec(g, b + 1u);
    let r1 = rec(g, b + 2u);
    sum_fk += f * k;
    (*a)[i] = k;                       // water ← pool
    (*a)[i * N] = f * k;               // pool ← water
    (*a)[i * N + i] = -(r1 + k);
    (*cz)[i] = f * r1;
  }
  var wdiag = -(r1w + sum_fk);
  if (RMT == 1u) {
    let f = rec(g, G_MTP);
    let k = rec(g, G_MTP + 1u);
    let r1 = rec(g, G_MTP + 2u);
    wdiag -= f * k;
    (*a)[RP] = k;
    (*a)[RP * N] = f * k;
    (*a)[RP * N + RP] = -(r1 + k);
    (*cz)[RP] = f * r1;
  }
  (*a)[0] = wdiag;
  (*cz)[0] = rec(g, G_FW) * r1w;
}

// Full system at one RF offset (ppm). mt_sat = ω1²·G of the MT pool (0 without MT).
fn build_full(g: u32, off_ppm: f32, mt_sat: f32, a: ptr<function, Mat>, c: ptr<function, Vec>) {
  for (var i = 0u; i < RN * N; i++) { (*a)[i] = 0.0; }
  for (var i = 0u; i < RN; i++) { (*c)[i] = 0.0; }
  let w1 = rec(g, G_W1);
  let w0 = rec(g, G_W0);
  let dw0 = rec(g, G_DW0);
  let r1w = rec(g, G_R1W);
  let r2w = rec(g, G_R2W);
  let zw = 2u * RP;
  var sum_fk = 0.0;
  for (var i = 1u; i < RP; i++) {
    let b = G_POOLS + 5u * (i - 1u);
    let f = rec(g, b);
    let k = rec(g, b + 1u);
    let r1 = rec(g, b + 2u);
    let r2 = rec(g, b + 3u);
    let dw = rec(g, b + 4u);
    let fk = f * k;
    sum_fk += fk;
    (*a)[i] = k;
    (*a)[i * N] = fk;
    (*a)[i * N + i] = -(r2 + k);
    (*a)[RP * N + RP + i] = k;
    (*a)[(RP + i) * N + RP] = fk;
    (*a)[(RP + i) * N + RP + i] = -(r2 + k);
    (*a)[zw * N + zw + i] = k;
    (*a)[(zw + i) * N + zw] = fk;
    (*a)[(zw + i) * N + zw + i] = -(r1 + k);
    (*c)[zw + i] = f * r1;
    // resonance − RF in rad/s; the ppm difference first keeps f32 rounding small
    let det = (dw - off_ppm) * w0 + dw0;
    (*a)[i * N + RP + i] = -det;
    (*a)[(RP + i) * N + i] = det;
    (*a)[(RP + i) * N + zw + i] = w1;
    (*a)[(zw + i) * N + RP + i] = -w1;
  }
  var wzdiag = -(r1w + sum_fk);
  (*a)[0] = -(r2w + sum_fk);
  (*a)[RP * N + RP] = -(r2w + sum_fk);
  let detw = -off_ppm * w0 + dw0;
  (*a)[RP] = -detw;
  (*a)[RP * N] = detw;
  (*a)[RP * N + zw] = w1;
  (*a)[zw * N + RP] = -w1;
  (*c)[zw] = rec(g, G_FW) * r1w;
  if (RMT == 1u) {
    let m = 3u * RP;
    let f = rec(g, G_MTP);
    let k = rec(g, G_MTP + 1u);
    let r1 = rec(g, G_MTP + 2u);
    wzdiag -= f * k;
    (*a)[zw * N + m] = k;
    (*a)[m * N + zw] = f * k;
    (*a)[m * N + m] = -r1 - k - mt_sat;
    (*c)[m] = f * r1;
  }
  (*a)[zw * N + zw] = wzdiag;
}

// ω1²·G(Δω) of a Lorentzian z-only MT pool (pulseq-cest convention: G = T2/(1+(Δω T2)²)).
fn mt_lorentz(g: u32, off_ppm: f32) -> f32 {
  let w1 = rec(g, G_W1);
  let t2 = rec(g, G_MTP + 3u);
  let dwmt = (off_ppm - rec(g, G_MTP + 4u)) * rec(g, G_W0) - rec(g, G_DW0);
  let x = dwmt * t2;
  return w1 * w1 * t2 / (1.0 + x * x);
}
