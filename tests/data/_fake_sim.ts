/** A fast stand-in pair simulator for phantom tests: a smooth function of water T1, relB1 and the offset. */
import type { PairSimulator } from "../../src/data/phantom.ts";

/** The stand-in; `calls` counts its invocations (cache tests). */
export const fakeSim: PairSimulator & { calls: number } = Object.assign(
  ((models, input, target) => {
    fakeSim.calls++;
    const z = (p: typeof input) =>
      Float32Array.from(
        models.flatMap((m) =>
          p.offsetsPpm.map((o) =>
            (0.9 - 0.6 * m.relB1 * Math.exp(-o * o)) * (p.tsS === 5 ? 0.9 : 1) * m.water.t1S / 2
          )
        ),
      );
    return Promise.resolve({ input: z(input), target: z(target) });
  }) as PairSimulator,
  { calls: 0 },
);
