// One thread per output of one level of the tree that composes a pulse's intervals:
// (I + F_b)(I + F_a) = I + F_a + F_b + F_b·F_a, interval b after interval a; b < 0 copies a.
// Inner loops run over the capacity N (unrolled; the padding of every F is zero), so a thread
// stays within lavapipe's loop budget (bm_linalg.wgsl).
struct Params { count: u32, }
@group(0) @binding(0) var<storage, read> src: array<f32>;        // [*, N, N] F
@group(0) @binding(1) var<storage, read> pairs: array<i32>;      // [count, 3]: a, b, n
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;  // [count, N, N]
@group(0) @binding(3) var<uniform> prm: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = flat_id(gid, nwg);
  if (o >= prm.count) { return; }
  let a = u32(pairs[3u * o]);
  let b = pairs[3u * o + 1u];
  let n = u32(pairs[3u * o + 2u]);
  let ao = a * N * N;
  let oo = o * N * N;
  if (b < 0) {
    for (var i = 0u; i < N; i++) {
      for (var j = 0u; j < N; j++) { dst[oo + i * N + j] = src[ao + i * N + j]; }
    }
    return;
  }
  let bo = u32(b) * N * N;
  for (var i = 0u; i < N; i++) {
    for (var j = 0u; j < N; j++) {
      var s = 0.0;
      if (i < n) {
        s = src[ao + i * N + j] + src[bo + i * N + j];
        for (var k = 0u; k < N; k++) { s = fma(src[bo + i * N + k], src[ao + k * N + j], s); }
      }
      dst[oo + i * N + j] = s;
    }
  }
}
