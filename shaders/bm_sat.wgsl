// One thread per (group, offset): CW saturation for every slot of the group, then the
// post-delay and the readout of water Mz. The slots share A, the steady state and the
// propagator ladder: slot s saturates for m_s·h, and F(m·h)·v is accumulated from
// F(h), F(2h), F(4h), ... with F(a+b)v = F(b)v + F(a)(v + F(b)v) (matrix–vector only).
// A chunk may need several dispatches (the scratch holds `prm.nthreads` threads); thread t
// of a dispatch is global thread `prm.first + t`.
struct Params { ngroups: u32, noff: u32, pools: u32, mt: u32, first: u32, nthreads: u32, }
@group(0) @binding(0) var<storage, read> groups: array<f32>;
@group(0) @binding(1) var<storage, read> offsets: array<f32>;   // [G, noff] ppm
@group(0) @binding(2) var<storage, read> mtg: array<f32>;       // [G, noff] ω1²G (table mode)
@group(0) @binding(3) var<storage, read> zprep: array<f32>;     // from bm_prep
@group(0) @binding(4) var<storage, read_write> out: array<f32>; // [G, NSLOT, noff] water Mz
@group(0) @binding(5) var<storage, read_write> scr: array<f32>;
@group(0) @binding(6) var<uniform> prm: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let th = sat_thread(gid, nwg);
  if (!th.live) { return; }
  let g = th.g;
  set_scratch(th.lt);
  scratch_zero();
  build_full(g, th.off_ppm, th.mt_sat);
  // steady state −A⁻¹C on a copy (A is still needed for the propagator)
  for (var i = 0u; i < RN; i++) {
    for (var j = 0u; j < N; j++) { mset(MB, i, j, mget(MA, i, j)); }
    mset(MC, i, 0u, -vget(V_C, i));
  }
  lu_solve(MB, MC, RN);
  for (var i = 0u; i < RN; i++) { vset(V_MSS, i, mget(MC, i, 0u)); }

  // per slot: v = M0 − Mss (M0 is z-only), w = F(acc)·v = 0; levels = ladder length
  var levels = 0u;
  for (var s = 0u; s < NSLOT; s++) {
    let m = slot_multiple(g, s);
    if (m > 0u) { levels = max(levels, 32u - countLeadingZeros(m)); }
    let zo = g * ZP + s * ZP_SLOT;
    for (var i = 0u; i < RN; i++) {
      var m0 = 0.0;
      if (i >= 2u * RP) { m0 = zprep[zo + i - 2u * RP]; }
      vset(V_V + s, i, m0 - vget(V_MSS, i));
      vset(V_W + s, i, 0.0);
    }
  }
  if (levels > 0u) {
    expm1_pade(RN, rec(g, G_H));
    for (var lvl = 0u; lvl < levels; lvl++) {
      if (lvl > 0u) { expm1_square(MF, MB, RN); }   // MF = F(2^lvl·h)
      for (var s = 0u; s < NSLOT; s++) {
        if (((slot_multiple(g, s) >> lvl) & 1u) == 1u) {
          for (var i = 0u; i < RN; i++) {
            var acc = vget(V_W + s, i);
            for (var j = 0u; j < N; j++) {
              acc = fma(mget(MF, i, j), vget(V_V + s, j) + vget(V_W + s, j), acc);
            }
            vset(V_T, i, acc);
          }
          for (var i = 0u; i < RN; i++) { vset(V_W + s, i, vget(V_T, i)); }
        }
      }
    }
  }

  for (var s = 0u; s < NSLOT; s++) {
    let mode = rec(g, G_SLOT + SLOT_W * s + GS_MODE);
    let zo = g * ZP + s * ZP_SLOT;
    for (var i = 0u; i < RNZ; i++) {
      let k = 2u * RP + i;
      if (mode < 0.0) {
        vset(V_Z, i, vget(V_MSS, k));
      } else {
        // M(Ts) = Mss + E·(M0 − Mss) = M0 + F·(M0 − Mss) = M0 + w
        vset(V_Z, i, zprep[zo + i] + vget(V_W + s, k));
      }
    }
    // post-delay free evolution on the z block: z + F(post)·(z − z_ss); water row only
    var zw = vget(V_Z, 0u);
    if (rec(g, G_SLOT + SLOT_W * s + GS_POST) > 0.0) {
      var acc = 0.0;
      for (var j = 0u; j < RNZ; j++) {
        acc += zprep[zo + RNZ + j] * (vget(V_Z, j) - rec(g, G_ZSS + j));
      }
      zw += acc;
    }
    out[(g * NSLOT + s) * prm.noff + th.o] = zw;
  }
}
