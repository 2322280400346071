// The thread prologue shared by the two saturation kernels (bm_sat.wgsl, bm_sat_reg.wgsl),
// which declare `prm` (ngroups, noff, pools, mt, first, nthreads) and `offsets`: one thread
// per (group, offset) of the chunk; thread `lt` of a dispatch is global thread
// `prm.first + lt`.

struct SatThread {
  // false: this thread has nothing to do (past the chunk, the groups or the group's offsets)
  live: bool,
  lt: u32,
  tid: u32,
  g: u32,
  // the offset's index within its group
  o: u32,
  off_ppm: f32,
  // the z-only MT pool's ω1²·G at this offset (bm_mt.wgsl)
  mt_sat: f32,
}

fn sat_thread(gid: vec3<u32>, nwg: vec3<u32>) -> SatThread {
  var t: SatThread;
  t.live = false;
  t.lt = flat_id(gid, nwg);
  if (t.lt >= prm.nthreads) { return t; }
  t.tid = prm.first + t.lt;
  t.g = t.tid / prm.noff;
  t.o = t.tid - t.g * prm.noff;
  if (t.g >= prm.ngroups) { return t; }
  set_sizes(prm.pools, prm.mt);
  if (f32(t.o) >= rec(t.g, G_NOFF)) { return t; }
  t.off_ppm = offsets[t.tid];
  t.mt_sat = mt_saturation(t.g, t.tid, t.off_ppm);
  t.live = true;
  return t;
}

// Saturation time of slot s in units of h (0 for steady state or no saturation).
fn slot_multiple(g: u32, s: u32) -> u32 {
  let mode = rec(g, G_SLOT + SLOT_W * s + GS_MODE);
  return select(0u, u32(mode), mode >= 1.0);
}
