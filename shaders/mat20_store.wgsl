// Storing a Mat at element o of `dst` (25 consecutive mat4x4), for kernels that declare
// `dst: array<mat4x4<f32>>` (read_write; mat20.wgsl layout).
fn store_dst(o: u32, m: Mat) {
  dst[o + 0u] = m[0]; dst[o + 1u] = m[1]; dst[o + 2u] = m[2]; dst[o + 3u] = m[3]; dst[o + 4u] = m[4];
  dst[o + 5u] = m[5]; dst[o + 6u] = m[6]; dst[o + 7u] = m[7]; dst[o + 8u] = m[8]; dst[o + 9u] = m[9];
  dst[o + 10u] = m[10]; dst[o + 11u] = m[11]; dst[o + 12u] = m[12]; dst[o + 13u] = m[13]; dst[o + 14u] = m[14];
  dst[o + 15u] = m[15]; dst[o + 16u] = m[16]; dst[o + 17u] = m[17]; dst[o + 18u] = m[18]; dst[o + 19u] = m[19];
  dst[o + 20u] = m[20]; dst[o + 21u] = m[21]; dst[o + 22u] = m[22]; dst[o + 23u] = m[23]; dst[o + 24u] = m[24];
}
