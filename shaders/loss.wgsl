// Reductions for the loss and the gradient norm, and the MSE backward.
// A sum over n values runs as partial sums (each thread a strided set of elements, so
// neighbouring threads read neighbouring addresses) repeated until at most 1024 partials
// remain, then one thread finishes. No workgroup memory (slow on llvmpipe).
// Every entry point is compiled with both constants MODE and FINISH defined.

// ---- partial sums: part[i] = Σ_{j ≡ i mod P, j < n} term(j) ----
// MODE 0: (a − b)²   MODE 1: a²   MODE 2: a
struct PartParams { n: u32, P: u32 }
@group(0) @binding(0) var<storage, read_write> r_part: array<f32>;
@group(0) @binding(1) var<storage, read> r_a: array<f32>;
@group(0) @binding(2) var<storage, read> r_b: array<f32>;
@group(0) @binding(3) var<uniform> r_p: PartParams;

@compute @workgroup_size(WG)
fn reduce_partial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= r_p.P) { return; }
  var s = 0.0;
  for (var j = i; j < r_p.n; j += r_p.P) {
    var x = r_a[j];
    if (MODE == 0u) { x -= r_b[j]; }
    if (MODE != 2u) { x *= x; }
    s += x;
  }
  r_part[i] = s;
}

// ---- finish: one thread sums P partials. FINISH 0: out = s·mul (mean: mul = 1/n);
// FINISH 1: out = min(1, mul / sqrt(s)) (clip scale, mul = maxNorm; 1 when s = 0) ----
struct FinParams { P: u32, mul: f32 }
@group(0) @binding(0) var<storage, read_write> f_out: array<f32>;
@group(0) @binding(1) var<storage, read> f_part: array<f32>;
@group(0) @binding(2) var<uniform> f_p: FinParams;

@compute @workgroup_size(1)
fn reduce_finish(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x != 0u) { return; }
  var s = 0.0;
  for (var i = 0u; i < f_p.P; i++) { s += f_part[i]; }
  if (FINISH == 0u) {
    f_out[0] = s * f_p.mul;
  } else {
    let norm = sqrt(s);
    f_out[0] = select(1.0, min(1.0, f_p.mul / norm), norm > 0.0);
  }
}

// ---- MSE backward: dpred = scale·(pred − target), scale = 2/n (written, not accumulated) ----
struct BwdParams { n: u32, scale: f32 }
@group(0) @binding(0) var<storage, read_write> m_dpred: array<f32>;
@group(0) @binding(1) var<storage, read> m_pred: array<f32>;
@group(0) @binding(2) var<storage, read> m_target: array<f32>;
@group(0) @binding(3) var<uniform> m_p: BwdParams;

@compute @workgroup_size(WG)
fn mse_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= m_p.n) { return; }
  m_dpred[i] = m_p.scale * (m_pred[i] - m_target[i]);
}
