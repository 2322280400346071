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

// vector ids in the scratch (bm_linalg.wgsl)
const V_C: u32 = 0u;
const V_MSS: u32 = 1u;
const V_V: u32 = 2u;   // 2, 3: per slot M0 − Mss
const V_W: u32 = 4u;   // 4, 5: per slot F(acc)·v
const V_T: u32 = 6u;
const V_Z: u32 = 7u;

// z block of the free (no RF) system into MA (RNZ×RNZ) and V_C. Offset-independent.
fn build_free_z(g: u32) {
  mat_zero(MA, RNZ);
  for (var i = 0u; i < N; i++) { vset(V_C, i, 0.0); }
  let r1w = rec(g, G_R1W);
  var sum_fk = 0.0;
  for (var i = 1u; i < RP; i++) {
    let b = G_POOLS + 5u * (i - 1u);
    let f = rec(g, b);
    let k = rec(g, b + 1u);
    let r1 = rec(g, b + 2u);
    sum_fk += f * k;
    mset(MA, 0u, i, k);          // water ← pool
    mset(MA, i, 0u, f * k);      // pool ← water
    mset(MA, i, i, -(r1 + k));
    vset(V_C, i, f * r1);
  }
  var wdiag = -(r1w + sum_fk);
  if (RMT == 1u) {
    let f = rec(g, G_MTP);
    let k = rec(g, G_MTP + 1u);
    let r1 = rec(g, G_MTP + 2u);
    wdiag -= f * k;
    mset(MA, 0u, RP, k);
    mset(MA, RP, 0u, f * k);
    mset(MA, RP, RP, -(r1 + k));
    vset(V_C, RP, f * r1);
  }
  mset(MA, 0u, 0u, wdiag);
  vset(V_C, 0u, rec(g, G_FW) * r1w);
}

// Full system at one RF offset (ppm) into MA (RN×RN) and V_C. mt_sat = ω1²·G of the MT pool.
fn build_full(g: u32, off_ppm: f32, mt_sat: f32) {
  mat_zero(MA, RN);
  for (var i = 0u; i < N; i++) { vset(V_C, i, 0.0); }
  let w1 = rec(g, G_W1);
  let w0 = rec(g, G_W0);
  let dw0 = rec(g, G_DW0);
  let r1w = rec(g, G_R1W);
  let r2w = rec(g, G_R2W);
  let y = RP;
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
    mset(MA, 0u, i, k);
    mset(MA, i, 0u, fk);
    mset(MA, i, i, -(r2 + k));
    mset(MA, y, y + i, k);
    mset(MA, y + i, y, fk);
    mset(MA, y + i, y + i, -(r2 + k));
    mset(MA, zw, zw + i, k);
    mset(MA, zw + i, zw, fk);
    mset(MA, zw + i, zw + i, -(r1 + k));
    vset(V_C, zw + i, f * r1);
    // resonance − RF in rad/s; the ppm difference first keeps f32 rounding small
    let det = (dw - off_ppm) * w0 + dw0;
    mset(MA, i, y + i, -det);
    mset(MA, y + i, i, det);
    mset(MA, y + i, zw + i, w1);
    mset(MA, zw + i, y + i, -w1);
  }
  var wzdiag = -(r1w + sum_fk);
  mset(MA, 0u, 0u, -(r2w + sum_fk));
  mset(MA, y, y, -(r2w + sum_fk));
  let detw = -off_ppm * w0 + dw0;
  mset(MA, 0u, y, -detw);
  mset(MA, y, 0u, detw);
  mset(MA, y, zw, w1);
  mset(MA, zw, y, -w1);
  vset(V_C, zw, rec(g, G_FW) * r1w);
  if (RMT == 1u) {
    let m = 3u * RP;
    let f = rec(g, G_MTP);
    let k = rec(g, G_MTP + 1u);
    let r1 = rec(g, G_MTP + 2u);
    wzdiag -= f * k;
    mset(MA, zw, m, k);
    mset(MA, m, zw, f * k);
    mset(MA, m, m, -r1 - k - mt_sat);
    vset(V_C, m, f * r1);
  }
  mset(MA, zw, zw, wzdiag);
}

// ω1²·G(Δω) of a Lorentzian z-only MT pool (pulseq-cest convention: G = T2/(1+(Δω T2)²)).
fn mt_lorentz(g: u32, off_ppm: f32) -> f32 {
  let w1 = rec(g, G_W1);
  let t2 = rec(g, G_MTP + 3u);
  let dwmt = (off_ppm - rec(g, G_MTP + 4u)) * rec(g, G_W0) - rec(g, G_DW0);
  let x = dwmt * t2;
  return w1 * w1 * t2 / (1.0 + x * x);
}
