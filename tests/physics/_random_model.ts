/** Test helper: random tissue models (not the references) for property tests. */
import type { TissueModel } from "../../src/physics/model.ts";
import { GAMMA_RAD_PER_S_UT } from "../../src/physics/constants.ts";

const u = (lo: number, hi: number) => lo + (hi - lo) * Math.random();

/** A random water + 1–6 CEST pools model, with a z-only Lorentzian MT pool unless mt=false. */
export function randomModel(
  opts: { pools?: number; mt?: boolean; b0T?: number } = {},
): TissueModel {
  const pools = opts.pools ?? 1 + Math.floor(6 * Math.random());
  const model: TissueModel = {
    water: { f: 1, t1S: u(0.8, 3), t2S: u(0.02, 0.12) },
    cest: Array.from({ length: pools }, (_, i) => ({
      name: `p${i}`,
      f: 10 ** u(-4, -2),
      t1S: u(0.8, 1.5),
      t2S: 10 ** u(-3, -1.3),
      kPerS: 10 ** u(1, 3.5),
      dwPpm: u(-4, 4),
    })),
    b0T: opts.b0T ?? u(3, 9.4),
    gammaRadPerSUT: GAMMA_RAD_PER_S_UT,
    b0InhomPpm: 0,
    relB1: 1,
  };
  if (opts.mt ?? Math.random() < 0.7) {
    model.mt = {
      f: u(0.02, 0.15),
      t1S: 1,
      t2S: u(1e-5, 4e-5),
      kPerS: u(10, 60),
      dwPpm: u(-3, 0),
      lineshape: "Lorentzian",
    };
  }
  return model;
}
