// Element-wise sums: out = a + b, broadcast add of a table, accumulation and column sums
// (the backward of a broadcast add and of a bias).
struct Params { n: u32, inner: u32 }
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// out[i] = a[i] + b[i]
@compute @workgroup_size(WG)
fn add(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= p.n) { return; }
  out[i] = a[i] + b[i];
}

// out[i] = a[i] + b[i % inner]  (a table [inner] added to every row of a [n / inner, inner])
@compute @workgroup_size(WG)
fn add_broadcast(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= p.n) { return; }
  out[i] = a[i] + b[i % p.inner];
}

// out[i] += a[i]  (b unused)
@compute @workgroup_size(WG)
fn add_acc(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= p.n) { return; }
  out[i] += a[i];
}

// out[j] += Σ_r a[r * inner + j] for j < inner, r < n / inner (b unused). One thread per
// column, rows summed in order.
@compute @workgroup_size(WG)
fn col_sum_acc(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = flat_id(gid, nwg);
  if (j >= p.inner) { return; }
  let rows = p.n / p.inner;
  var s = 0.0;
  for (var r = 0u; r < rows; r++) { s += a[r * p.inner + j]; }
  out[j] += s;
}

// Rows per block of col_partial (COL_BLOCK_ROWS in src/nn/add.ts).
const ROWS_PER: u32 = 128u;

// out[c, j] = Σ_{r in rows block c} a[r * inner + j], blocks of ROWS_PER rows (b unused):
// the first stage of a column sum over many rows, so that inner × blocks threads share the
// work instead of `inner` threads each walking every row. Then col_sum_acc over the blocks.
@compute @workgroup_size(WG)
fn col_partial(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  let rows = p.n / p.inner;
  let blocks = (rows + ROWS_PER - 1u) / ROWS_PER;
  if (i >= blocks * p.inner) { return; }
  let j = i % p.inner;
  let blk = i / p.inner;
  let r1 = min(rows, (blk + 1u) * ROWS_PER);
  var s = 0.0;
  for (var r = blk * ROWS_PER; r < r1; r++) { s += a[r * p.inner + j]; }
  out[i] = s;
}
