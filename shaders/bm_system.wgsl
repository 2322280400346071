// Bloch–McConnell matrices built on the GPU from the group record (bm_record.wgsl) into the
// storage scratch of bm_linalg.wgsl, in the layout of src/physics/bm_matrix.ts:
// state [x_0..x_{RP-1}, y_0..y_{RP-1}, z_0..z_{RP-1}, (z_MT)]. The only compile-time size is
// N, the row stride and capacity of the scratch matrices (src/physics/bm_capacity.ts picks 20 or
// 32): with compile-time pool counts lavapipe's LLVM unrolls the 19³ products and needs
// minutes per layout.

// vector ids in the scratch (bm_linalg.wgsl)
const V_C: u32 = 0u;
const V_MSS: u32 = 1u;
const V_V: u32 = 2u;   // 2, 3: per slot M0 − Mss
const V_W: u32 = 4u;   // 4, 5: per slot F(acc)·v
const V_T: u32 = 6u;
const V_Z: u32 = 7u;

// Exchange between the water row w and a pool row q (pool fraction f, exchange rate k, pool
// relaxation rate r): water ← pool k, pool ← water f·k, and the pool's diagonal −(r + k).
fn exchange(w: u32, q: u32, f: f32, k: f32, r: f32) {
  mset(MA, w, q, k);
  mset(MA, q, w, f * k);
  mset(MA, q, q, -(r + k));
}

// z block of the free (no RF) system into MA (RNZ×RNZ) and V_C. Offset-independent.
fn build_free_z(g: u32) {
  mat_zero(MA, RNZ);
  for (var i = 0u; i < N; i++) { vset(V_C, i, 0.0); }
  let r1w = rec(g, G_R1W);
  var sum_fk = 0.0;
  for (var i = 1u; i < RP; i++) {
    let b = G_POOLS + POOL_W * (i - 1u);
    let f = rec(g, b + GP_F);
    let k = rec(g, b + GP_K);
    let r1 = rec(g, b + GP_R1);
    sum_fk += f * k;
    exchange(0u, i, f, k, r1);
    vset(V_C, i, f * r1);
  }
  var wdiag = -(r1w + sum_fk);
  if (RMT == 1u) {
    let f = rec(g, G_MTP + GM_F);
    let k = rec(g, G_MTP + GM_K);
    let r1 = rec(g, G_MTP + GM_R1);
    wdiag -= f * k;
    exchange(0u, RP, f, k, r1);
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
    let b = G_POOLS + POOL_W * (i - 1u);
    let f = rec(g, b + GP_F);
    let k = rec(g, b + GP_K);
    let r1 = rec(g, b + GP_R1);
    let r2 = rec(g, b + GP_R2);
    let dw = rec(g, b + GP_DW);
    sum_fk += f * k;
    exchange(0u, i, f, k, r2);
    exchange(y, y + i, f, k, r2);
    exchange(zw, zw + i, f, k, r1);
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
    let f = rec(g, G_MTP + GM_F);
    let k = rec(g, G_MTP + GM_K);
    let r1 = rec(g, G_MTP + GM_R1);
    wzdiag -= f * k;
    mset(MA, zw, m, k);
    mset(MA, m, zw, f * k);
    mset(MA, m, m, -r1 - k - mt_sat);
    vset(V_C, m, f * r1);
  }
  mset(MA, zw, zw, wzdiag);
}
