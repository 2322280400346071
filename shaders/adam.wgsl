// Adam with decoupled weight decay (AdamW, as llm.c), gradients scaled first (clipping):
//   g = grad·scale; m = β1 m + (1−β1) g; v = β2 v + (1−β2) g²
//   param −= lr · ( (m / bc1) / (sqrt(v / bc2) + eps) + wd · param ),  bc = 1 − β^step
struct Params { n: u32, lr: f32, beta1: f32, beta2: f32, eps: f32, wd: f32, bc1: f32, bc2: f32 }
@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read_write> m: array<f32>;
@group(0) @binding(2) var<storage, read_write> v: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
@group(0) @binding(4) var<storage, read> scale: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

@compute @workgroup_size(WG)
fn adam_update(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= p.n) { return; }
  let g = grad[i] * scale[0];
  let mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  let vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  let w = param[i];
  param[i] = w - p.lr * ((mi / p.bc1) / (sqrt(vi / p.bc2) + p.eps) + p.wd * w);
}
