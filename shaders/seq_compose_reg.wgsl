// One thread per output of one level of the tree that composes a pulse's intervals, every
// matrix in registers (mat20.wgsl): up to FANIN matrices in order, each step
// (I + F_b)(I + F_a) = I + F_a + F_b + F_b·F_a with b after a; −1 ends a group early.
struct Params { count: u32, }
@group(0) @binding(0) var<storage, read> src: array<mat4x4<f32>>;        // [*, 25] F
@group(0) @binding(1) var<storage, read> groups: array<i32>;             // [count, FANIN]
@group(0) @binding(2) var<storage, read_write> dst: array<mat4x4<f32>>;  // [count, 25]
@group(0) @binding(3) var<uniform> prm: Params;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = flat_id(gid, nwg);
  if (o >= prm.count) { return; }
  var acc = load_src(u32(groups[FANIN * o]) * 25u);
  for (var k = 1u; k < FANIN; k++) {
    let b = groups[FANIN * o + k];
    if (b < 0) { break; }
    let f = load_src(u32(b) * 25u);
    acc = lin(1.0, lin(1.0, acc, 1.0, f), 1.0, mm(f, acc));
  }
  store_dst(o * 25u, acc);
}
