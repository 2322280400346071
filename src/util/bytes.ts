/** Byte helpers. @module */

/**
 * The bytes of `parts` in order, `total` of them (the sum of their lengths); a single part
 * is returned as it is.
 */
export function concatBytes<B extends ArrayBufferLike>(
  parts: Uint8Array<B>[],
  total: number,
): Uint8Array<B | ArrayBuffer> {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
