// CW saturation with every matrix in registers: the fast path of bm_sat.wgsl for systems of
// up to 19 states (water + 5 CEST pools + a z-only MT pool, the paper's model) and finite
// saturation times. One thread per (group, offset), same slots, ladder and readout as
// bm_sat.wgsl, but no storage scratch: every matrix is a register `Mat` (mat20.wgsl).
//
// Affine form: the state carries a constant 1 at index AFF, so the BM system dM/dt = A·M + C
// becomes Ã = [[A, C], [0, 0]] and M(t) = M0 + F̃(t)·[M0; 1] with F̃ = e^{Ãt} − I: no
// steady-state solve (Ts = ∞ goes to bm_sat.wgsl, which solves for it).
//
// State order: the register order of mat20.wgsl (water x 0, y 1, z 2; CEST pool i = 1..5 at
// 3i, 3i + 1, 3i + 2; MT z at MT_Z = 18; the 1 at AFF = 19), so every index is a constant.
// Unused pools leave zero rows and columns, and F̃ = e^0 − 1 = 0 keeps them zero.
//
// F̃(h) = e^{Ãh} − I by scaling, Taylor and squaring in F form (mat20.wgsl expm1_step): the F
// form keeps the slow eigenvalues that set Z (no e^X − I cancellation). Every product goes
// through one call site in one loop: few values live across the loop and one inlined product
// keep lavapipe's compile short.
struct Params { ngroups: u32, noff: u32, pools: u32, mt: u32, first: u32, nthreads: u32, }
@group(0) @binding(0) var<storage, read> groups: array<f32>;
@group(0) @binding(1) var<storage, read> offsets: array<f32>;   // [G, noff] ppm
@group(0) @binding(2) var<storage, read> mtg: array<f32>;       // [G, noff] ω1²G (table mode)
@group(0) @binding(3) var<storage, read> zprep: array<f32>;     // from bm_prep
@group(0) @binding(4) var<storage, read_write> out: array<f32>; // [G, NSLOT, noff] water Mz
@group(0) @binding(5) var<uniform> prm: Params;


// w + F·(v + w), the ladder step F(a + b)·v = F(b)·v + F(a)·(v + F(b)·v).
fn ladder_step(f: Mat, v: Vec, w: Vec) -> Vec {
  let u = array<vec4<f32>, 5>(v[0] + w[0], v[1] + w[1], v[2] + w[2], v[3] + w[3], v[4] + w[4]);
  var r: Vec;
  r[0] = w[0] + f[0] * u[0] + f[1] * u[1] + f[2] * u[2] + f[3] * u[3] + f[4] * u[4];
  r[1] = w[1] + f[5] * u[0] + f[6] * u[1] + f[7] * u[2] + f[8] * u[3] + f[9] * u[4];
  r[2] = w[2] + f[10] * u[0] + f[11] * u[1] + f[12] * u[2] + f[13] * u[3] + f[14] * u[4];
  r[3] = w[3] + f[15] * u[0] + f[16] * u[1] + f[17] * u[2] + f[18] * u[3] + f[19] * u[4];
  r[4] = w[4] + f[20] * u[0] + f[21] * u[1] + f[22] * u[2] + f[23] * u[3] + f[24] * u[4];
  return r;
}

// State index of z-block entry k (0 water, 1..RP−1 CEST pools, RP the MT pool).
fn zpos(k: u32) -> u32 { return select(3u * k + 2u, MT_Z, k >= RP); }

fn vget(v: Vec, i: u32) -> f32 { return v[i / 4u][i % 4u]; }

// One CEST pool's rows and columns of Ã (i a constant 1..5); returns f·k.
fn put_pool(a: ptr<function, Mat>, g: u32, i: u32, off_ppm: f32, w1: f32, w0: f32, dw0: f32) -> f32 {
  if (i >= RP) { return 0.0; }
  let b = G_POOLS + POOL_W * (i - 1u);
  let f = rec(g, b + GP_F);
  let k = rec(g, b + GP_K);
  let r1 = rec(g, b + GP_R1);
  let r2 = rec(g, b + GP_R2);
  // resonance − RF in rad/s; the ppm difference first keeps f32 rounding small
  let det = (rec(g, b + GP_DW) - off_ppm) * w0 + dw0;
  let x = 3u * i;
  put(a, 0u, x, k);
  put(a, x, 0u, f * k);
  put(a, x, x, -(r2 + k));
  put(a, 1u, x + 1u, k);
  put(a, x + 1u, 1u, f * k);
  put(a, x + 1u, x + 1u, -(r2 + k));
  put(a, 2u, x + 2u, k);
  put(a, x + 2u, 2u, f * k);
  put(a, x + 2u, x + 2u, -(r1 + k));
  put(a, x + 2u, AFF, f * r1);
  put(a, x, x + 1u, -det);
  put(a, x + 1u, x, det);
  put(a, x + 1u, x + 2u, w1);
  put(a, x + 2u, x + 1u, -w1);
  return f * k;
}

// Ã at one RF offset (ppm); mt_sat = ω1²·G of the MT pool. Same physics as bm_system.wgsl
// build_full, in this kernel's state order.
fn build(g: u32, off_ppm: f32, mt_sat: f32) -> Mat {
  var a = Mat();
  let w1 = rec(g, G_W1);
  let w0 = rec(g, G_W0);
  let dw0 = rec(g, G_DW0);
  let r1w = rec(g, G_R1W);
  let r2w = rec(g, G_R2W);
  var sum_fk = put_pool(&a, g, 1u, off_ppm, w1, w0, dw0);
  sum_fk += put_pool(&a, g, 2u, off_ppm, w1, w0, dw0);
  sum_fk += put_pool(&a, g, 3u, off_ppm, w1, w0, dw0);
  sum_fk += put_pool(&a, g, 4u, off_ppm, w1, w0, dw0);
  sum_fk += put_pool(&a, g, 5u, off_ppm, w1, w0, dw0);
  var wzdiag = -(r1w + sum_fk);
  if (RMT == 1u) {
    let f = rec(g, G_MTP + GM_F);
    let k = rec(g, G_MTP + GM_K);
    let r1 = rec(g, G_MTP + GM_R1);
    wzdiag -= f * k;
    put(&a, 2u, MT_Z, k);
    put(&a, MT_Z, 2u, f * k);
    put(&a, MT_Z, MT_Z, -r1 - k - mt_sat);
    put(&a, MT_Z, AFF, f * r1);
  }
  let detw = -off_ppm * w0 + dw0;
  put(&a, 0u, 0u, -(r2w + sum_fk));
  put(&a, 1u, 1u, -(r2w + sum_fk));
  put(&a, 0u, 1u, -detw);
  put(&a, 1u, 0u, detw);
  put(&a, 1u, 2u, w1);
  put(&a, 2u, 1u, -w1);
  put(&a, 2u, 2u, wzdiag);
  put(&a, 2u, AFF, rec(g, G_FW) * r1w);
  return a;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let th = sat_thread(gid, nwg);
  if (!th.live) { return; }
  let g = th.g;

  // per slot: v = [M0; 1] (M0 is z-only, from bm_prep), w = F(acc)·v = 0
  var v0 = Vec();
  var v1 = Vec();
  var levels = 0u;
  for (var s = 0u; s < NSLOT; s++) {
    let m = slot_multiple(g, s);
    if (m > 0u) { levels = max(levels, 32u - countLeadingZeros(m)); }
  }
  for (var k = 0u; k < RNZ; k++) {
    let p = zpos(k);
    v0[p / 4u][p % 4u] = zprep[g * ZP + k];
    v1[p / 4u][p % 4u] = zprep[g * ZP + ZP_SLOT + k];
  }
  v0[AFF / 4u][AFF % 4u] = 1.0;
  v1[AFF / 4u][AFF % 4u] = 1.0;
  var w0 = Vec();
  var w1 = Vec();

  if (levels > 0u) {
    let h = rec(g, G_H);
    // F(h) after TAYLOR − 1 + sq steps (mat20.wgsl); one more per further ladder level: the
    // ladder reads F(2^lvl·h) after step TAYLOR − 2 + sq + lvl.
    let e = expm1_start(build(g, th.off_ppm, th.mt_sat), h);
    let sq = e.sq;
    let tsteps = TAYLOR - 1u;
    var t = e.t;
    let steps = tsteps + sq + levels - 1u;
    for (var step = 0u; step < steps; step++) {
      t = expm1_step(e.x, t, step);
      if (step + 1u >= tsteps + sq) {
        let lvl = step + 1u - tsteps - sq;
        if (((slot_multiple(g, 0u) >> lvl) & 1u) == 1u) { w0 = ladder_step(t, v0, w0); }
        if (((slot_multiple(g, 1u) >> lvl) & 1u) == 1u) { w1 = ladder_step(t, v1, w1); }
      }
    }
  }

  for (var s = 0u; s < NSLOT; s++) {
    let zo = g * ZP + s * ZP_SLOT;
    var w = w0;
    if (s == 1u) { w = w1; }
    // M(Ts) = M0 + F·[M0; 1]; post-delay free evolution on the z block (water row only)
    var zw = zprep[zo] + vget(w, 2u);
    if (rec(g, G_SLOT + SLOT_W * s + GS_POST) > 0.0) {
      var acc = 0.0;
      for (var j = 0u; j < RNZ; j++) {
        acc += zprep[zo + RNZ + j] * (zprep[zo + j] + vget(w, zpos(j)) - rec(g, G_ZSS + j));
      }
      zw += acc;
    }
    out[(g * NSLOT + s) * prm.noff + th.o] = zw;
  }
}
