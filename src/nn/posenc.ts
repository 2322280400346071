/**
 * Sinusoidal positional encoding (Vaswani et al. 2017): PE[t, 2i] = sin(t / 10000^(2i/E)),
 * PE[t, 2i+1] = cos(t / 10000^(2i/E)). Computed once on the CPU in float64, stored as f32
 * and added on the GPU with `addBroadcastForward`.
 * @module
 */

/**
 * The [T, E] sinusoidal position table, row-major.
 * @param T sequence length (101 offsets)
 * @param E embedding width
 * @throws RangeError when T or E is not a positive integer
 * @example
 * const table = uploadBuffer(device, sinusoidalEncoding(101, 64));
 */
export function sinusoidalEncoding(T: number, E: number): Float32Array {
  if (!Number.isInteger(T) || T < 1 || !Number.isInteger(E) || E < 1) {
    throw new RangeError(
      `sinusoidalEncoding needs positive integer T and E but got T=${T}, E=${E}`,
    );
  }
  const out = new Float32Array(T * E);
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < E; j++) {
      const i2 = j - (j % 2); // 2i for both the sin and the cos column of pair i
      const angle = t / Math.pow(10000, i2 / E);
      out[t * E + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return out;
}
