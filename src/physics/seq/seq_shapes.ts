/**
 * Pulseq's compressed shapes ([SHAPES] section): the samples' first differences,
 * run-length encoded (a value written twice is followed by the number of further repeats),
 * then summed. From Pulseq 1.4 on, a shape written with as many values as samples is not
 * compressed and is taken as it is (before 1.4 every shape is compressed). The sum runs in
 * float32, as in Pulseq's C++ reader (`ExternalSequence::decompressShape`) that pulseq-cest
 * uses: with it our spectra match pulseq-cest's to ~1e-13 on block pulses instead of ~1e-7.
 * @module
 */

/**
 * Decompresses one Pulseq shape.
 * @param packed the numbers listed under `num_samples` in the file
 * @param numSamples the shape's `num_samples`
 * @param plainWhenFull take `packed` as the samples when it has `numSamples` values (1.4)
 * @returns the samples, or a string saying what is wrong (the caller adds the file and line)
 * @example
 * decompressShape([1, 0, 0, 1, -1], 5); // → [1, 1, 1, 1, 0]
 */
export function decompressShape(
  packed: readonly number[],
  numSamples: number,
  plainWhenFull = false,
): Float64Array | string {
  if (plainWhenFull && packed.length === numSamples) return Float64Array.from(packed, Math.fround);
  const deriv = new Float64Array(numSamples);
  let n = 0;
  for (let i = 0; i < packed.length;) {
    const v = packed[i]!;
    if (i + 1 < packed.length && packed[i + 1] === v) {
      if (i + 2 >= packed.length) {
        return `a repeated value ${v} must be followed by its repeat count`;
      }
      const extra = packed[i + 2]!;
      if (!Number.isInteger(extra) || extra < 0) {
        return `the repeat count after ${v} ${v} must be an integer ≥ 0 but is ${extra}`;
      }
      const reps = extra + 2;
      if (n + reps > numSamples) return _tooMany(numSamples);
      deriv.fill(v, n, n + reps);
      n += reps;
      i += 3;
    } else {
      if (n + 1 > numSamples) return _tooMany(numSamples);
      deriv[n++] = v;
      i += 1;
    }
  }
  if (n !== numSamples) return `decompresses to ${n} samples but num_samples is ${numSamples}`;
  let s = 0;
  for (let i = 0; i < numSamples; i++) deriv[i] = s = Math.fround(s + Math.fround(deriv[i]!));
  return deriv;
}

function _tooMany(numSamples: number): string {
  return `decompresses to more than num_samples (${numSamples}) samples`;
}
