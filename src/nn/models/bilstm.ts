/**
 * BiLSTM: a forward and a reverse LSTM over the offsets, then a per-step dense on the
 * concatenation [h_fwd, h_bwd] (2H → 1), computed as the sum of two dense layers H → 1
 * (the concatenation's weight split in halves), so no concat kernel is needed.
 * @module
 */
import { fanInBound, ParamStore } from "../params.ts";
import type { ModelSpec, Op } from "./graph.ts";
import { finish, type ModelConfig } from "./config.ts";
import { addRecurrentParams } from "./recurrent_models.ts";

/** Builds the BiLSTM of a config (H units per direction). */
export function buildBilstm(cfg: ModelConfig): ModelSpec {
  const { T, hidden: H } = cfg;
  const store = new ParamStore();
  addRecurrentParams(store, "lstm_f", "lstm", 1, H);
  addRecurrentParams(store, "lstm_b", "lstm", 1, H);
  // fan-in of the concatenated head is 2H
  store.add("head.wf", [H, 1], { uniform: fanInBound(2 * H) });
  store.add("head.wb", [H, 1], { uniform: fanInBound(2 * H) });
  store.add("head.b", [1], { uniform: fanInBound(2 * H) });
  const ops = (B: number): Op[] =>
    finish(
      [
        {
          kind: "recurrent",
          cell: "lstm",
          out: "hf",
          inp: "x",
          prefix: "lstm_f",
          B,
          T,
          C: 1,
          H,
          reverse: false,
        },
        {
          kind: "recurrent",
          cell: "lstm",
          out: "hb",
          inp: "x",
          prefix: "lstm_b",
          B,
          T,
          C: 1,
          H,
          reverse: true,
        },
        { kind: "dense", out: "of", inp: "hf", w: "head.wf", b: "head.b", M: B * T, K: H, N: 1 },
        { kind: "dense", out: "ob", inp: "hb", w: "head.wb", b: null, M: B * T, K: H, N: 1 },
        { kind: "add", out: "z", a: "of", b: "ob", n: B * T },
      ],
      cfg.residual,
      B * T,
    );
  return { arch: "bilstm", T, store, consts: new Map(), ops };
}
