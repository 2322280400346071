/** CPU float64 references of src/nn/loss.ts. @module */

/** Mean over all values of (pred − target)². */
export function mseForwardRef(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += (pred[i]! - target[i]!) ** 2;
  return s / pred.length;
}

/** dpred = 2(pred − target)/n. */
export function mseBackwardRef(pred: ArrayLike<number>, target: ArrayLike<number>): Float64Array {
  const n = pred.length, d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = (2 * (pred[i]! - target[i]!)) / n;
  return d;
}
