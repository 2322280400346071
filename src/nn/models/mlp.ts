/** MLP: T → H → H → T with ReLU (the spectrum as one vector). @module */
import { fanInBound, ParamStore } from "../params.ts";
import type { ModelSpec, Op } from "./graph.ts";
import { finish, type ModelConfig } from "./config.ts";

/**
 * Builds the MLP of a config: dense T→H, ReLU, dense H→H, ReLU, dense H→T. An MLP with
 * per-spectrum features (`features`) adds them, c [B, C], to the first layer through their
 * own weights: z1 = x·W1 + c·W1c + b1, the first layer of the concatenation [x, c].
 * Initialisation U(−1/√fan_in, 1/√fan_in) for weights and biases.
 */
export function buildMlp(cfg: ModelConfig): ModelSpec {
  const { T, hidden: H } = cfg;
  const C = cfg.features?.length ?? 0;
  const store = new ParamStore();
  const dense = (name: string, K: number, N: number) => {
    store.add(`${name}.w`, [K, N], { uniform: fanInBound(K) });
    store.add(`${name}.b`, [N], { uniform: fanInBound(K) });
  };
  dense("fc1", T, H);
  if (C) store.add("fc1c.w", [C, H], { uniform: fanInBound(T + C) });
  dense("fc2", H, H);
  dense("fc3", H, T);
  const first = (B: number): Op[] =>
    C
      ? [
        { kind: "dense", out: "z1x", inp: "x", w: "fc1.w", b: "fc1.b", M: B, K: T, N: H },
        { kind: "dense", out: "z1c", inp: "c", w: "fc1c.w", b: null, M: B, K: C, N: H },
        { kind: "add", out: "z1", a: "z1x", b: "z1c", n: B * H },
      ]
      : [{ kind: "dense", out: "z1", inp: "x", w: "fc1.w", b: "fc1.b", M: B, K: T, N: H }];
  const ops = (B: number): Op[] =>
    finish(
      [
        ...first(B),
        { kind: "act", out: "a1", inp: "z1", n: B * H, act: "relu" },
        { kind: "dense", out: "z2", inp: "a1", w: "fc2.w", b: "fc2.b", M: B, K: H, N: H },
        { kind: "act", out: "a2", inp: "z2", n: B * H, act: "relu" },
        { kind: "dense", out: "z3", inp: "a2", w: "fc3.w", b: "fc3.b", M: B, K: H, N: T },
      ],
      cfg.residual,
      B * T,
    );
  return { arch: "mlp", T, store, consts: new Map(), ops, C };
}
