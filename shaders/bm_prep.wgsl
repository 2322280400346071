// Per group (one thread each): the offset-independent parts of each slot's timeline, all
// on the z block (without RF the z block does not couple to the transverse one):
// start z (relaxed, or saturation recovery −F(Td)·z_ss), then the pre-delay, and the
// post-delay propagator F(post) = exp(A_z·post) − I (zeros when there is no post-delay).
struct Params { ngroups: u32, pools: u32, mt: u32, }
@group(0) @binding(0) var<storage, read> groups: array<f32>;
@group(0) @binding(1) var<storage, read_write> zprep: array<f32>;
@group(0) @binding(2) var<uniform> prm: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = flat_id(gid, nwg);
  if (g >= prm.ngroups) { return; }
  set_sizes(prm.pools, prm.mt);
  var a: Mat;
  var b: Mat;
  var c: Mat;
  var f: Mat;
  var cz: Vec;
  var zss: Vec;
  var z: Vec;
  var t: Vec;
  for (var i = 0u; i < RNZ; i++) { zss[i] = rec(g, G_ZSS + i); }
  for (var s = 0u; s < NSLOT; s++) {
    let sb = G_SLOT + 5u * s;
    let start = rec(g, sb + 1u);
    let td = rec(g, sb + 2u);
    let pre = rec(g, sb + 3u);
    let post = rec(g, sb + 4u);
    if (start == 0.0) {
      for (var i = 0u; i < RNZ; i++) { z[i] = rec(g, G_ZREL + i); }
    } else {
      // readout nulls everything; free recovery: z(Td) = z_ss + E(0 − z_ss) = −F(Td)·z_ss
      for (var i = 0u; i < RNZ; i++) { z[i] = 0.0; }
      if (td > 0.0) {
        build_free_z(g, &a, &cz);
        expm1_pade(&f, &a, &b, &c, RNZ, td);
        for (var i = 0u; i < RNZ; i++) {
          var acc = 0.0;
          for (var j = 0u; j < RNZ; j++) { acc -= f[i * N + j] * zss[j]; }
          z[i] = acc;
        }
      }
    }
    if (pre > 0.0) {
      build_free_z(g, &a, &cz);
      expm1_pade(&f, &a, &b, &c, RNZ, pre);
      for (var i = 0u; i < RNZ; i++) {
        var acc = 0.0;
        for (var j = 0u; j < RNZ; j++) { acc += f[i * N + j] * (z[j] - zss[j]); }
        t[i] = z[i] + acc;
      }
      for (var i = 0u; i < RNZ; i++) { z[i] = t[i]; }
    }
    let o = g * ZP + s * ZP_SLOT;
    for (var i = 0u; i < RNZ; i++) { zprep[o + i] = z[i]; }
    if (post > 0.0) {
      build_free_z(g, &a, &cz);
      expm1_pade(&f, &a, &b, &c, RNZ, post);
      for (var i = 0u; i < RNZ; i++) {
        for (var j = 0u; j < RNZ; j++) { zprep[o + RNZ + i * RNZ + j] = f[i * N + j]; }
      }
    } else {
      for (var i = 0u; i < RNZ * RNZ; i++) { zprep[o + RNZ + i] = 0.0; }
    }
  }
}
