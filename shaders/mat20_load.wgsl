// Loading the Mat stored at element o of `src` (25 consecutive mat4x4), for kernels that declare
// `src: array<mat4x4<f32>>` (mat20.wgsl layout).
fn load_src(o: u32) -> Mat {
  return Mat(
    src[o], src[o + 1u], src[o + 2u], src[o + 3u], src[o + 4u],
    src[o + 5u], src[o + 6u], src[o + 7u], src[o + 8u], src[o + 9u],
    src[o + 10u], src[o + 11u], src[o + 12u], src[o + 13u], src[o + 14u],
    src[o + 15u], src[o + 16u], src[o + 17u], src[o + 18u], src[o + 19u],
    src[o + 20u], src[o + 21u], src[o + 22u], src[o + 23u], src[o + 24u],
  );
}
