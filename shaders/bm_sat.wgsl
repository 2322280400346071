// One thread per (group, offset): CW saturation for every slot of the group, then the
// post-delay and the readout of water Mz. The slots share A, the steady state and the
// propagator ladder: slot s saturates for m_s·h, and F(m·h)·v is accumulated from
// F(h), F(2h), F(4h), ... with F(a+b)v = F(b)v + F(a)(v + F(b)v) (matrix–vector only).
struct Params { ngroups: u32, noff: u32, pools: u32, mt: u32, }
@group(0) @binding(0) var<storage, read> groups: array<f32>;
@group(0) @binding(1) var<storage, read> offsets: array<f32>;   // [G, noff] ppm
@group(0) @binding(2) var<storage, read> mtg: array<f32>;       // [G, noff] ω1²G (table mode)
@group(0) @binding(3) var<storage, read> zprep: array<f32>;     // from bm_prep
@group(0) @binding(4) var<storage, read_write> out: array<f32>; // [G, NSLOT, noff] water Mz
@group(0) @binding(5) var<uniform> prm: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let tid = flat_id(gid, nwg);
  let g = tid / prm.noff;
  let o = tid - g * prm.noff;
  if (g >= prm.ngroups) { return; }
  set_sizes(prm.pools, prm.mt);
  if (f32(o) >= rec(g, G_NOFF)) { return; }
  let off = offsets[tid];
  let mtmode = rec(g, G_MTMODE);
  var mt_sat = 0.0;
  if (mtmode == 1.0) { mt_sat = mt_lorentz(g, off); }
  if (mtmode == 2.0) { mt_sat = mtg[tid]; }

  var a: Mat;
  var b: Mat;
  var c: Mat;
  var f: Mat;
  var cv: Vec;
  var mss: Vec;
  build_full(g, off, mt_sat, &a, &cv);
  // steady state −A⁻¹C on a copy (A is still needed for the propagator)
  for (var i = 0u; i < NN; i++) { b[i] = a[i]; }
  for (var i = 0u; i < RN; i++) { c[i * N] = -cv[i]; }
  lu_solve(&b, &c, RN, 1u);
  for (var i = 0u; i < RN; i++) { mss[i] = c[i * N]; }

  // per slot: v = M0 − Mss, w = F(acc)·v
  var v: array<Vec, NSLOT>;
  var w: array<Vec, NSLOT>;
  var mleft: array<u32, NSLOT>;
  var any_finite = false;
  for (var s = 0u; s < NSLOT; s++) {
    let mode = rec(g, G_SLOT + 5u * s);
    mleft[s] = 0u;
    if (mode >= 1.0) { mleft[s] = u32(mode); any_finite = true; }
    let zo = g * ZP + s * ZP_SLOT;
    for (var i = 0u; i < RN; i++) {
      var m0 = 0.0;
      if (i >= 2u * RP) { m0 = zprep[zo + i - 2u * RP]; }
      v[s][i] = m0 - mss[i];
      w[s][i] = 0.0;
    }
  }
  if (any_finite) {
    expm1_pade(&f, &a, &b, &c, RN, rec(g, G_H));
    loop {
      var more = false;
      for (var s = 0u; s < NSLOT; s++) {
        if ((mleft[s] & 1u) == 1u) {
          var t: Vec;
          for (var i = 0u; i < RN; i++) {
            var acc = w[s][i];
            for (var j = 0u; j < RN; j++) { acc = fma(f[i * N + j], v[s][j] + w[s][j], acc); }
            t[i] = acc;
          }
          w[s] = t;
        }
        mleft[s] = mleft[s] >> 1u;
        if (mleft[s] != 0u) { more = true; }
      }
      if (!more) { break; }
      expm1_square(&f, &b, RN);
    }
  }

  for (var s = 0u; s < NSLOT; s++) {
    let mode = rec(g, G_SLOT + 5u * s);
    let zo = g * ZP + s * ZP_SLOT;
    var z: Vec;
    for (var i = 0u; i < RNZ; i++) {
      let k = 2u * RP + i;
      if (mode < 0.0) {
        z[i] = mss[k];
      } else {
        // M(Ts) = Mss + E·(M0 − Mss) = M0 + F·(M0 − Mss) = M0 + w
        z[i] = zprep[zo + i] + w[s][k];
      }
    }
    // post-delay free evolution on the z block: z + F(post)·(z − z_ss)
    var zw = z[0];
    if (rec(g, G_SLOT + 5u * s + 4u) > 0.0) {
      var acc = 0.0;
      for (var j = 0u; j < RNZ; j++) { acc += zprep[zo + RNZ + j] * (z[j] - rec(g, G_ZSS + j)); }
      zw = z[0] + acc;
    }
    out[(g * NSLOT + s) * prm.noff + o] = zw;
  }
}
