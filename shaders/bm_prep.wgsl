// Per group (one thread each): the offset-independent parts of each slot's timeline, all
// on the z block (without RF the z block does not couple to the transverse one):
// start z (relaxed, or saturation recovery −F(Td)·z_ss), then the pre-delay, and the
// post-delay propagator F(post) = exp(A_z·post) − I (zeros when there is no post-delay).
// Thread t of a dispatch is group `prm.first + t` (the scratch holds prm.nthreads threads).
struct Params { ngroups: u32, pools: u32, mt: u32, first: u32, nthreads: u32, }
@group(0) @binding(0) var<storage, read> groups: array<f32>;
@group(0) @binding(1) var<storage, read_write> zprep: array<f32>;
@group(0) @binding(2) var<storage, read_write> scr: array<f32>;
@group(0) @binding(3) var<uniform> prm: Params;

const V_ZSS: u32 = V_MSS;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lt = flat_id(gid, nwg);
  if (lt >= prm.nthreads) { return; }
  let g = prm.first + lt;
  if (g >= prm.ngroups) { return; }
  set_sizes(prm.pools, prm.mt);
  set_scratch(lt);
  scratch_zero();
  for (var i = 0u; i < RNZ; i++) { vset(V_ZSS, i, rec(g, G_ZSS + i)); }
  for (var s = 0u; s < NSLOT; s++) {
    let sb = G_SLOT + SLOT_W * s;
    let start = rec(g, sb + GS_START);
    let td = rec(g, sb + GS_TD);
    let pre = rec(g, sb + GS_PRE);
    let post = rec(g, sb + GS_POST);
    if (start == 0.0) {
      for (var i = 0u; i < RNZ; i++) { vset(V_Z, i, rec(g, G_ZREL + i)); }
    } else {
      // the readout nulls everything; free recovery: z(Td) = z_ss + E(0 − z_ss) = −F(Td)·z_ss
      for (var i = 0u; i < RNZ; i++) { vset(V_Z, i, 0.0); }
      if (td > 0.0) {
        build_free_z(g);
        expm1_pade(RNZ, td);
        for (var i = 0u; i < RNZ; i++) {
          var acc = 0.0;
          for (var j = 0u; j < N; j++) { acc -= mget(MF, i, j) * vget(V_ZSS, j); }
          vset(V_Z, i, acc);
        }
      }
    }
    if (pre > 0.0) {
      build_free_z(g);
      expm1_pade(RNZ, pre);
      for (var i = 0u; i < RNZ; i++) {
        var acc = 0.0;
        for (var j = 0u; j < N; j++) { acc += mget(MF, i, j) * (vget(V_Z, j) - vget(V_ZSS, j)); }
        vset(V_T, i, vget(V_Z, i) + acc);
      }
      for (var i = 0u; i < RNZ; i++) { vset(V_Z, i, vget(V_T, i)); }
    }
    let o = g * ZP + s * ZP_SLOT;
    for (var i = 0u; i < RNZ; i++) { zprep[o + i] = vget(V_Z, i); }
    if (post > 0.0) {
      build_free_z(g);
      expm1_pade(RNZ, post);
      for (var i = 0u; i < RNZ; i++) {
        for (var j = 0u; j < RNZ; j++) { zprep[o + RNZ + i * RNZ + j] = mget(MF, i, j); }
      }
    } else {
      for (var i = 0u; i < RNZ * RNZ; i++) { zprep[o + RNZ + i] = 0.0; }
    }
  }
}
