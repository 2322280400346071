// Layer normalisation over the last dimension C of [M, C] rows:
// out = (x − mean)·rstd·gamma + beta, rstd = 1/sqrt(var + eps) (biased variance).
// Each entry point declares its own bindings (Naga accepts re-used binding numbers across
// entry points), so every input is bound read-only and may share a buffer with others.
struct Params { M: u32, C: u32, eps: f32 }

@group(0) @binding(0) var<storage, read_write> f_out: array<f32>;
@group(0) @binding(1) var<storage, read_write> f_mean: array<f32>;
@group(0) @binding(2) var<storage, read_write> f_rstd: array<f32>;
@group(0) @binding(3) var<storage, read> f_inp: array<f32>;
@group(0) @binding(4) var<storage, read> f_gamma: array<f32>;
@group(0) @binding(5) var<storage, read> f_beta: array<f32>;
@group(0) @binding(6) var<uniform> f_p: Params;

// One thread per row; two passes (mean, then centred variance) for accuracy.
@compute @workgroup_size(WG)
fn layernorm_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = flat_id(gid, nwg);
  let C = f_p.C;
  if (r >= f_p.M) { return; }
  let base = r * C;
  var s = 0.0;
  for (var c = 0u; c < C; c++) { s += f_inp[base + c]; }
  let mean = s / f32(C);
  var v = 0.0;
  for (var c = 0u; c < C; c++) { let d = f_inp[base + c] - mean; v += d * d; }
  let rstd = 1.0 / sqrt(v / f32(C) + f_p.eps);
  for (var c = 0u; c < C; c++) {
    f_out[base + c] = (f_inp[base + c] - mean) * rstd * f_gamma[c] + f_beta[c];
  }
  f_mean[r] = mean;
  f_rstd[r] = rstd;
}

@group(0) @binding(0) var<storage, read_write> bi_dinp: array<f32>;
@group(0) @binding(1) var<storage, read> bi_dout: array<f32>;
@group(0) @binding(2) var<storage, read> bi_inp: array<f32>;
@group(0) @binding(3) var<storage, read> bi_gamma: array<f32>;
@group(0) @binding(4) var<storage, read> bi_mean: array<f32>;
@group(0) @binding(5) var<storage, read> bi_rstd: array<f32>;
@group(0) @binding(6) var<uniform> bi_p: Params;

// dinp += rstd·(dnorm − mean(dnorm) − norm·mean(dnorm·norm)), dnorm = gamma·dout.
// One thread per row, as llm.c's layernorm_backward.
@compute @workgroup_size(WG)
fn layernorm_backward_inp(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = flat_id(gid, nwg);
  let C = bi_p.C;
  if (r >= bi_p.M) { return; }
  let base = r * C;
  let mean = bi_mean[r];
  let rstd = bi_rstd[r];
  var dnorm_mean = 0.0;
  var dnorm_norm_mean = 0.0;
  for (var c = 0u; c < C; c++) {
    let norm = (bi_inp[base + c] - mean) * rstd;
    let dnorm = bi_gamma[c] * bi_dout[base + c];
    dnorm_mean += dnorm;
    dnorm_norm_mean += dnorm * norm;
  }
  dnorm_mean /= f32(C);
  dnorm_norm_mean /= f32(C);
  for (var c = 0u; c < C; c++) {
    let norm = (bi_inp[base + c] - mean) * rstd;
    let dnorm = bi_gamma[c] * bi_dout[base + c];
    bi_dinp[base + c] += rstd * (dnorm - dnorm_mean - norm * dnorm_norm_mean);
  }
}

@group(0) @binding(0) var<storage, read_write> bp_pg: array<f32>;
@group(0) @binding(1) var<storage, read_write> bp_pb: array<f32>;
@group(0) @binding(2) var<storage, read> bp_dout: array<f32>;
@group(0) @binding(3) var<storage, read> bp_inp: array<f32>;
@group(0) @binding(4) var<storage, read> bp_mean: array<f32>;
@group(0) @binding(5) var<storage, read> bp_rstd: array<f32>;
@group(0) @binding(6) var<uniform> bp_p: Params;

// Rows per block (LN_BLOCK_ROWS in src/nn/layernorm.ts).
const LN_ROWS: u32 = 128u;

// Partial parameter gradients over blocks of LN_ROWS rows: pg[blk, c] = Σ dout·norm,
// pb[blk, c] = Σ dout; one thread per (block, column), so many rows and few columns still
// keep every core busy. The block sums are then added to dgamma and dbeta (colSumAcc).
@compute @workgroup_size(WG)
fn layernorm_backward_params(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  let C = bp_p.C;
  let blocks = (bp_p.M + LN_ROWS - 1u) / LN_ROWS;
  if (i >= blocks * C) { return; }
  let c = i % C;
  let blk = i / C;
  let r1 = min(bp_p.M, (blk + 1u) * LN_ROWS);
  var dg = 0.0;
  var db = 0.0;
  for (var r = blk * LN_ROWS; r < r1; r++) {
    let g = bp_dout[r * C + c];
    dg += g * (bp_inp[r * C + c] - bp_mean[r]) * bp_rstd[r];
    db += g;
  }
  bp_pg[i] = dg;
  bp_pb[i] = db;
}
