// The packed Bloch–McConnell group record shared by the bm_* kernels (packed by
// src/physics/gpu_sim.ts `_packGroup`). Pool counts are runtime values (RP water + CEST
// pools, RMT = 1 with a z-only MT pool, RN = 3·RP + RMT, RNZ = RP + RMT), so one pipeline
// serves every model. Each kernel file declares `groups: array<f32>` (the records) and
// calls `set_sizes` first.
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
