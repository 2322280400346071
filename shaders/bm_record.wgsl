// The packed Bloch–McConnell group record shared by the bm_* kernels (packed by
// src/physics/bm_record.ts `packGroup`). Pool counts are runtime values (RP water + CEST
// pools, RMT = 1 with a z-only MT pool, RN = 3·RP + RMT, RNZ = RP + RMT), so one pipeline
// serves every model. Each kernel file declares `groups: array<f32>` (the records) and
// calls `set_sizes` first.
//
// Group record (f32): the header (ω1, ω0 per ppm, B0 shift, base step h, R1w, R2w, f_w,
// number of valid offsets, MT lineshape), per CEST pool a pool block (f, k, R1, R2, δ ppm),
// the MT block (f, k, R1, T2, δ ppm), per slot a slot block (mode, start, Td s, pre-delay s,
// post-delay s), then the free steady state z (NZ) and the relaxed start z (NZ). Slot mode:
// −1 steady state, 0 no saturation, m ≥ 1 Ts = m·h.
//
// The offsets are not written here: src/physics/bm_record.ts holds the one table that packs
// the record and compiles it into `const` lines before this file (BM_RECORD_CONSTANTS):
// header indices G_W1 … G_MTMODE and G_POOLS (the header length), offsets within a block
// GP_* (CEST pool), GM_* (MT), GS_* (slot), the block widths POOL_W, MT_W, SLOT_W and NSLOT.

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
  G_MTP = G_POOLS + POOL_W * (pools - 1u);
  G_SLOT = G_MTP + MT_W;
  G_ZSS = G_SLOT + SLOT_W * NSLOT;
  G_ZREL = G_ZSS + RNZ;
  GR = G_ZREL + RNZ;
  ZP_SLOT = RNZ + RNZ * RNZ;
  ZP = NSLOT * ZP_SLOT;
}

fn rec(g: u32, i: u32) -> f32 { return groups[g * GR + i]; }
