// One thread per constant interval of a .seq timeline (src/physics/seq/seq_gpu_maps.ts), every
// matrix in registers (mat20.wgsl; systems of up to 19 states): F = e^{Ãt} − I of the
// augmented system Ã = [[A, C], [0, 0]] (state [M; 1]).
//
// State order: the register order of mat20.wgsl. Unused pools have zero rows and columns in
// A0 and start at zero, so the RF couplings written for them rotate zeros.
//
// The host writes, per (model, RF frequency), Ã at zero RF amplitude (A0) and two scalars:
// ω1 per Hz of amplitude and the MT saturation rate per Hz²; the thread adds its interval's
// RF, (cx, sy, w2) = (a cos φ, a sin φ, a²) with a the amplitude in Hz, in pulseq-cest's
// convention: −ω1 sin φ couples z into x, ω1 cos φ z into y.
//
// e^X − I with X = Ãt/2^s by Taylor degree TAYLOR in the nested F form of bm_sat_reg.wgsl
// (S_k = (X + X·S_{k+1})/k, S_1 = e^X − I), then s squarings F ← 2F + F·F; one call site of
// `mm` in one loop.
struct Iv { base: u32, cx: f32, sy: f32, w2: f32, t: f32, }
struct Params { count: u32, }
@group(0) @binding(0) var<storage, read> bases: array<mat4x4<f32>>;     // [nbase, 25] A0
@group(0) @binding(1) var<storage, read> rf: array<vec2<f32>>;          // [nbase]: ω1/Hz, MT/Hz²
@group(0) @binding(2) var<storage, read> ivs: array<Iv>;                // [count]
@group(0) @binding(3) var<storage, read_write> outf: array<mat4x4<f32>>; // [count, 25] F
@group(0) @binding(4) var<uniform> prm: Params;

// Pool i's RF couplings (i a constant).
fn put_rf(m: ptr<function, Mat>, i: u32, c: f32, s: f32) {
  put(m, 3u * i, 3u * i + 2u, -s);
  put(m, 3u * i + 2u, 3u * i, s);
  put(m, 3u * i + 1u, 3u * i + 2u, c);
  put(m, 3u * i + 2u, 3u * i + 1u, -c);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= prm.count) { return; }
  let iv = ivs[i];
  let o = iv.base * 25u;
  var a = Mat(
    bases[o], bases[o + 1u], bases[o + 2u], bases[o + 3u], bases[o + 4u],
    bases[o + 5u], bases[o + 6u], bases[o + 7u], bases[o + 8u], bases[o + 9u],
    bases[o + 10u], bases[o + 11u], bases[o + 12u], bases[o + 13u], bases[o + 14u],
    bases[o + 15u], bases[o + 16u], bases[o + 17u], bases[o + 18u], bases[o + 19u],
    bases[o + 20u], bases[o + 21u], bases[o + 22u], bases[o + 23u], bases[o + 24u],
  );
  let r = rf[iv.base];
  let c = iv.cx * r.x;
  let s = iv.sy * r.x;
  put_rf(&a, 0u, c, s);
  put_rf(&a, 1u, c, s);
  put_rf(&a, 2u, c, s);
  put_rf(&a, 3u, c, s);
  put_rf(&a, 4u, c, s);
  put_rf(&a, 5u, c, s);
  a[(MT_Z / 4u) * NB + MT_Z / 4u][MT_Z % 4u][MT_Z % 4u] -= iv.w2 * r.y;

  let nrm = norm_inf(a) * iv.t;
  var sq = 0u;
  if (nrm > THETA) { sq = u32(ceil(log2(nrm / THETA))); }
  let x = lin(iv.t * exp2(-f32(sq)), a, 0.0, a);
  let tsteps = TAYLOR - 1u;
  var t = lin(1.0 / f32(TAYLOR), x, 0.0, x);
  for (var step = 0u; step < tsteps + sq; step++) {
    let taylor = step < tsteps;
    var l = t;
    if (taylor) { l = x; }
    let p = mm(l, t);
    if (taylor) {
      let inv_k = 1.0 / f32(tsteps - step);
      t = lin(inv_k, x, inv_k, p);
    } else {
      t = lin(2.0, t, 1.0, p);
    }
  }
  let oo = i * 25u;
  outf[oo + 0u] = t[0]; outf[oo + 1u] = t[1]; outf[oo + 2u] = t[2]; outf[oo + 3u] = t[3]; outf[oo + 4u] = t[4];
  outf[oo + 5u] = t[5]; outf[oo + 6u] = t[6]; outf[oo + 7u] = t[7]; outf[oo + 8u] = t[8]; outf[oo + 9u] = t[9];
  outf[oo + 10u] = t[10]; outf[oo + 11u] = t[11]; outf[oo + 12u] = t[12]; outf[oo + 13u] = t[13]; outf[oo + 14u] = t[14];
  outf[oo + 15u] = t[15]; outf[oo + 16u] = t[16]; outf[oo + 17u] = t[17]; outf[oo + 18u] = t[18]; outf[oo + 19u] = t[19];
  outf[oo + 20u] = t[20]; outf[oo + 21u] = t[21]; outf[oo + 22u] = t[22]; outf[oo + 23u] = t[23]; outf[oo + 24u] = t[24];
}
