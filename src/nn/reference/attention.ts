/** CPU float64 references of src/nn/attention.ts (multi-head self-attention, no mask). @module */

/** Forward: { out [B,T,D], att [B,NH,T,T] } from qkv [B,T,3D]. */
export function attentionForwardRef(
  qkv: ArrayLike<number>,
  B: number,
  T: number,
  D: number,
  NH: number,
): { out: Float64Array; att: Float64Array } {
  const hs = D / NH, scale = 1 / Math.sqrt(hs), C3 = 3 * D;
  const out = new Float64Array(B * T * D), att = new Float64Array(B * NH * T * T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let t = 0; t < T; t++) {
        const row = ((b * NH + h) * T + t) * T;
        let mx = -Infinity;
        for (let t2 = 0; t2 < T; t2++) {
          let s = 0;
          for (let i = 0; i < hs; i++) {
            s += qkv[(b * T + t) * C3 + h * hs + i]! * qkv[(b * T + t2) * C3 + D + h * hs + i]!;
          }
          att[row + t2] = s * scale;
          mx = Math.max(mx, s * scale);
        }
        let sum = 0;
        for (let t2 = 0; t2 < T; t2++) {
          const e = Math.exp(att[row + t2]! - mx);
          att[row + t2] = e;
          sum += e;
        }
        for (let t2 = 0; t2 < T; t2++) att[row + t2] = att[row + t2]! / sum;
        for (let i = 0; i < hs; i++) {
          let s = 0;
          for (let t2 = 0; t2 < T; t2++) {
            s += att[row + t2]! * qkv[(b * T + t2) * C3 + 2 * D + h * hs + i]!;
          }
          out[(b * T + t) * D + h * hs + i] = s;
        }
      }
    }
  }
  return { out, att };
}

/** Backward: accumulates dqkv [B,T,3D] from dout [B,T,D], the forward's qkv and att. */
export function attentionBackwardRef(
  dqkv: Float64Array,
  dout: ArrayLike<number>,
  qkv: ArrayLike<number>,
  att: ArrayLike<number>,
  B: number,
  T: number,
  D: number,
  NH: number,
): void {
  const hs = D / NH, scale = 1 / Math.sqrt(hs), C3 = 3 * D;
  const datt = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let t = 0; t < T; t++) {
        const row = ((b * NH + h) * T + t) * T;
        const go = (b * T + t) * D + h * hs;
        for (let t2 = 0; t2 < T; t2++) {
          const vo = (b * T + t2) * C3 + 2 * D + h * hs;
          let s = 0;
          for (let i = 0; i < hs; i++) {
            s += dout[go + i]! * qkv[vo + i]!;
            dqkv[vo + i] = dqkv[vo + i]! + att[row + t2]! * dout[go + i]!;
          }
          datt[t2] = s;
        }
        let dotv = 0;
        for (let t2 = 0; t2 < T; t2++) dotv += att[row + t2]! * datt[t2]!;
        for (let t2 = 0; t2 < T; t2++) {
          const dpre = att[row + t2]! * (datt[t2]! - dotv) * scale;
          const qo = (b * T + t) * C3 + h * hs, ko = (b * T + t2) * C3 + D + h * hs;
          for (let i = 0; i < hs; i++) {
            dqkv[qo + i] = dqkv[qo + i]! + dpre * qkv[ko + i]!;
            dqkv[ko + i] = dqkv[ko + i]! + dpre * qkv[qo + i]!;
          }
        }
      }
    }
  }
}
