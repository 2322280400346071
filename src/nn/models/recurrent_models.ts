/**
 * The plain recurrent models: one RNN (tanh) / LSTM / GRU layer over the T offsets (one
 * input value per step), then a per-step dense H → 1.
 * @module
 */
import { fanInBound, ParamStore } from "../params.ts";
import { recurrentParamShapes } from "../reference/recurrent.ts";
import type { Cell, ModelSpec, Op } from "./graph.ts";
import { finish, type ModelConfig } from "./config.ts";

/**
 * Registers `${prefix}.wx`, `.wh`, `.b` of a recurrent layer with C inputs and H units,
 * all U(−1/√H, 1/√H) (the PyTorch default for RNN/LSTM/GRU).
 */
export function addRecurrentParams(
  store: ParamStore,
  prefix: string,
  cell: Cell,
  C: number,
  H: number,
): void {
  const s = recurrentParamShapes(cell, C, H);
  const a = { uniform: fanInBound(H) };
  store.add(`${prefix}.wx`, s.wx, a);
  store.add(`${prefix}.wh`, s.wh, a);
  store.add(`${prefix}.b`, s.b, a);
}

/** Builds a one-layer recurrent model of the given cell + per-step dense H → 1. */
export function buildRecurrent(cell: Cell, cfg: ModelConfig): ModelSpec {
  const { T, hidden: H } = cfg;
  const store = new ParamStore();
  addRecurrentParams(store, cell, cell, 1, H);
  store.add("head.w", [H, 1], { uniform: fanInBound(H) });
  store.add("head.b", [1], { uniform: fanInBound(H) });
  const ops = (B: number): Op[] =>
    finish(
      [
        {
          kind: "recurrent",
          cell,
          out: "h",
          inp: "x",
          prefix: cell,
          B,
          T,
          C: 1,
          H,
          reverse: false,
        },
        { kind: "dense", out: "z", inp: "h", w: "head.w", b: "head.b", M: B * T, K: H, N: 1 },
      ],
      cfg.residual,
      B * T,
    );
  return { arch: cell, T, store, consts: new Map(), ops };
}
