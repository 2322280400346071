// The z-only MT pool's saturation rate ω1²·G(Δω) at a thread's offset, shared by the two
// saturation kernels (bm_sat.wgsl, bm_sat_reg.wgsl), which declare `mtg`.

// ω1²·G(Δω) of a Lorentzian z-only MT pool (pulseq-cest convention: G = T2/(1+(Δω T2)²)).
fn mt_lorentz(g: u32, off_ppm: f32) -> f32 {
  let w1 = rec(g, G_W1);
  let t2 = rec(g, G_MTP + GM_T2);
  let dwmt = (off_ppm - rec(g, G_MTP + GM_DW)) * rec(g, G_W0) - rec(g, G_DW0);
  let x = dwmt * t2;
  return w1 * w1 * t2 / (1.0 + x * x);
}

// ω1²·G for group g at offset `off_ppm` (thread tid): Lorentzian in closed form, a
// SuperLorentzian from the host's float64 table `mtg`, 0 without an MT pool.
fn mt_saturation(g: u32, tid: u32, off_ppm: f32) -> f32 {
  let mode = rec(g, G_MTMODE);
  if (mode == 1.0) { return mt_lorentz(g, off_ppm); }
  if (mode == 2.0) { return mtg[tid]; }
  return 0.0;
}
