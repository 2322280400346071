// Shared helpers, prepended to every kernel. A kernel file holds only its body.
// WG (threads per workgroup along x) and the kernel's other constants are declared
// between this prelude and the kernel body.

// Flat thread index for a grid folded into x and y by gridFor().
fn flat_id(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}
