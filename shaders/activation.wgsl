// Element-wise activations. ACT: 0 none, 1 relu, 2 tanh.
struct Params { n: u32 }
@group(0) @binding(0) var<storage, read_write> dst: array<f32>;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> post: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;

// out = f(inp)   (post unused)
@compute @workgroup_size(WG)
fn act_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= p.n) { return; }
  let x = src[i];
  var y = x;
  if (ACT == 1u) { y = max(x, 0.0); }
  if (ACT == 2u) { y = tanh(x); }
  dst[i] = y;
}

// dinp += dout · f'(x), with f' written in terms of the output y = f(x)
// (relu: y > 0; tanh: 1 − y²), so the forward input need not be kept.
@compute @workgroup_size(WG)
fn act_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_id(gid, nwg);
  if (i >= p.n) { return; }
  let g = src[i];
  var d = g;
  if (ACT == 1u) { d = select(0.0, g, post[i] > 0.0); }
  if (ACT == 2u) { let y = post[i]; d = g * (1.0 - y * y); }
  dst[i] += d;
}
