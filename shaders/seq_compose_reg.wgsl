// One thread per output of one level of the tree that composes a pulse's intervals, every
// matrix in registers (mat20.wgsl): up to FANIN matrices in order, each step
// (I + F_b)(I + F_a) = I + F_a + F_b + F_b·F_a with b after a; −1 ends a group early.
struct Params { count: u32, }
@group(0) @binding(0) var<storage, read> src: array<mat4x4<f32>>;        // [*, 25] F
@group(0) @binding(1) var<storage, read> groups: array<i32>;             // [count, FANIN]
@group(0) @binding(2) var<storage, read_write> dst: array<mat4x4<f32>>;  // [count, 25]
@group(0) @binding(3) var<uniform> prm: Params;

fn load(o: u32) -> Mat {
  return Mat(
    src[o], src[o + 1u], src[o + 2u], src[o + 3u], src[o + 4u],
    src[o + 5u], src[o + 6u], src[o + 7u], src[o + 8u], src[o + 9u],
    src[o + 10u], src[o + 11u], src[o + 12u], src[o + 13u], src[o + 14u],
    src[o + 15u], src[o + 16u], src[o + 17u], src[o + 18u], src[o + 19u],
    src[o + 20u], src[o + 21u], src[o + 22u], src[o + 23u], src[o + 24u],
  );
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = flat_id(gid, nwg);
  if (o >= prm.count) { return; }
  var acc = load(u32(groups[FANIN * o]) * 25u);
  for (var k = 1u; k < FANIN; k++) {
    let b = groups[FANIN * o + k];
    if (b < 0) { break; }
    let f = load(u32(b) * 25u);
    acc = lin(1.0, lin(1.0, acc, 1.0, f), 1.0, mm(f, acc));
  }
  let oo = o * 25u;
  dst[oo + 0u] = acc[0]; dst[oo + 1u] = acc[1]; dst[oo + 2u] = acc[2]; dst[oo + 3u] = acc[3]; dst[oo + 4u] = acc[4];
  dst[oo + 5u] = acc[5]; dst[oo + 6u] = acc[6]; dst[oo + 7u] = acc[7]; dst[oo + 8u] = acc[8]; dst[oo + 9u] = acc[9];
  dst[oo + 10u] = acc[10]; dst[oo + 11u] = acc[11]; dst[oo + 12u] = acc[12]; dst[oo + 13u] = acc[13]; dst[oo + 14u] = acc[14];
  dst[oo + 15u] = acc[15]; dst[oo + 16u] = acc[16]; dst[oo + 17u] = acc[17]; dst[oo + 18u] = acc[18]; dst[oo + 19u] = acc[19];
  dst[oo + 20u] = acc[20]; dst[oo + 21u] = acc[21]; dst[oo + 22u] = acc[22]; dst[oo + 23u] = acc[23]; dst[oo + 24u] = acc[24];
}
