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
// e^{Ãt} − I by scaling, Taylor and squaring in F form (mat20.wgsl expm1_step).
struct Iv { base: u32, cx: f32, sy: f32, w2: f32, t: f32, }
struct Params { count: u32, }
@group(0) @binding(0) var<storage, read> src: array<mat4x4<f32>>;       // [nbase, 25] A0
@group(0) @binding(1) var<storage, read> rf: array<vec2<f32>>;          // [nbase]: ω1/Hz, MT/Hz²
@group(0) @binding(2) var<storage, read> ivs: array<Iv>;                // [count]
@group(0) @binding(3) var<storage, read_write> dst: array<mat4x4<f32>>;  // [count, 25] F
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
  var a = load_src(iv.base * 25u);
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

  let e = expm1_start(a, iv.t);
  var t = e.t;
  for (var step = 0u; step < TAYLOR - 1u + e.sq; step++) { t = expm1_step(e.x, t, step); }
  store_dst(i * 25u, t);
}
