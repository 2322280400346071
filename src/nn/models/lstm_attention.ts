/**
 * LSTM-Attention (the QUASS paper's network): per-step dense 1 → E plus a sinusoidal
 * positional encoding → LSTM(H) → multi-head self-attention (Q, K, V dense H → 3H,
 * scaled dot-product attention over the T offsets, output dense H → H) with a residual
 * connection and post-layer-norm, LN(h + attn(h)) → per-step dense H → 1.
 * @module
 */
import { fanInBound, ParamStore } from "../params.ts";
import { sinusoidalEncoding } from "../posenc.ts";
import type { ModelSpec, Op } from "./graph.ts";
import { finish, type ModelConfig } from "./config.ts";
import { addRecurrentParams } from "./recurrent_models.ts";

/**
 * Builds the LSTM-Attention model of a config.
 * @throws RangeError when `heads` does not divide `hidden`
 */
export function buildLstmAttention(cfg: ModelConfig): ModelSpec {
  const { T, hidden: H, embed: E, heads: NH } = cfg;
  if (H % NH !== 0) throw new RangeError(`hidden (${H}) must be a multiple of heads (${NH})`);
  const store = new ParamStore();
  store.add("embed.w", [1, E], { uniform: fanInBound(1) });
  store.add("embed.b", [E], { uniform: fanInBound(1) });
  addRecurrentParams(store, "lstm", "lstm", E, H);
  store.add("attn.wqkv", [H, 3 * H], { uniform: fanInBound(H) });
  store.add("attn.bqkv", [3 * H], { uniform: fanInBound(H) });
  store.add("attn.wo", [H, H], { uniform: fanInBound(H) });
  store.add("attn.bo", [H], { uniform: fanInBound(H) });
  store.add("ln.gamma", [H], { constant: 1 });
  store.add("ln.beta", [H], { constant: 0 });
  store.add("head.w", [H, 1], { uniform: fanInBound(H) });
  store.add("head.b", [1], { uniform: fanInBound(H) });
  const consts = new Map([["posenc", sinusoidalEncoding(T, E)]]);
  const ops = (B: number): Op[] => {
    const M = B * T;
    return finish(
      [
        { kind: "dense", out: "emb", inp: "x", w: "embed.w", b: "embed.b", M, K: 1, N: E },
        { kind: "addBroadcast", out: "emb_pe", inp: "emb", table: "posenc", B, n: T * E },
        {
          kind: "recurrent",
          cell: "lstm",
          out: "h",
          inp: "emb_pe",
          prefix: "lstm",
          B,
          T,
          C: E,
          H,
          reverse: false,
        },
        { kind: "dense", out: "qkv", inp: "h", w: "attn.wqkv", b: "attn.bqkv", M, K: H, N: 3 * H },
        { kind: "attention", out: "a", att: "att", qkv: "qkv", B, T, D: H, NH },
        { kind: "dense", out: "o", inp: "a", w: "attn.wo", b: "attn.bo", M, K: H, N: H },
        { kind: "add", out: "r", a: "h", b: "o", n: M * H },
        {
          kind: "layernorm",
          out: "ln",
          mean: "ln_mean",
          rstd: "ln_rstd",
          inp: "r",
          gamma: "ln.gamma",
          beta: "ln.beta",
          M,
          C: H,
        },
        { kind: "dense", out: "z", inp: "ln", w: "head.w", b: "head.b", M, K: H, N: 1 },
      ],
      cfg.residual,
      M,
    );
  };
  return { arch: "lstm-attention", T, store, consts, ops };
}
