// One thread per constant interval of a .seq timeline (src/physics/seq/seq_gpu_sim.ts):
// F = exp(A·t) − I of the augmented system A = [[A_bm, C], [0, 0]] (state [M; 1]), by the
// Padé [5/5] + squarings in F form of bm_linalg.wgsl. A dispatch covers `prm.nthreads`
// threads (the scratch holds that many); thread t of it is interval `prm.first + t`.
struct Params { count: u32, first: u32, nthreads: u32, }
@group(0) @binding(0) var<storage, read> mats: array<f32>;       // [count, N, N] A (zero padded)
@group(0) @binding(1) var<storage, read> info: array<f32>;       // [count, 2]: n, t (s)
@group(0) @binding(2) var<storage, read_write> outf: array<f32>; // [count, N, N] F
@group(0) @binding(3) var<storage, read_write> scr: array<f32>;
@group(0) @binding(4) var<uniform> prm: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lt = flat_id(gid, nwg);
  if (lt >= prm.nthreads) { return; }
  let t = prm.first + lt;
  if (t >= prm.count) { return; }
  set_scratch(lt);
  scratch_zero();
  let n = u32(info[2u * t]);
  let dt = info[2u * t + 1u];
  for (var i = 0u; i < n; i++) {
    for (var j = 0u; j < N; j++) { mset(MA, i, j, mats[(t * N + i) * N + j]); }
  }
  expm1_pade(n, dt);
  for (var i = 0u; i < N; i++) {
    for (var j = 0u; j < N; j++) { outf[(t * N + i) * N + j] = mget(MF, i, j); }
  }
}
