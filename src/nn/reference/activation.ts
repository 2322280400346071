/** CPU float64 references of src/nn/activation.ts. @module */
import type { Act } from "../types.ts";

/** out = act(inp). */
export function actForwardRef(inp: ArrayLike<number>, act: Act): Float64Array {
  const out = new Float64Array(inp.length);
  for (let i = 0; i < inp.length; i++) {
    const x = inp[i]!;
    out[i] = act === "relu" ? Math.max(x, 0) : act === "tanh" ? Math.tanh(x) : x;
  }
  return out;
}

/** dinp += dout·act'(x), the derivative written with the output `out` = act(x). */
export function actBackwardRef(
  dinp: Float64Array,
  dout: ArrayLike<number>,
  out: ArrayLike<number>,
  act: Act,
): void {
  for (let i = 0; i < dinp.length; i++) {
    const g = dout[i]!, y = out[i]!;
    const d = act === "relu" ? (y > 0 ? g : 0) : act === "tanh" ? g * (1 - y * y) : g;
    dinp[i] = dinp[i]! + d;
  }
}
