/**
 * Analytic R1ρ and QUASS (docs/physics/quass_formulas.md §3–4) against the exact simulator and
 * the reference data, within the bands of §5; plus exact-inverse properties on random input.
 */
import { assert, assertEquals } from "../_assert.ts";
import { assertClose } from "../_util.ts";
import { loadModelSync } from "../../src/physics/model_yaml.ts";
import {
  apparentZ,
  cos2Theta,
  fitR1rho,
  quassFitSpectrum,
  quassInvert,
  quassPredictSpectrum,
  r1ObsPerS,
  R1RHO_FIT_BOUNDS_PER_S,
  r1rhoAnalytic,
  type RexForm,
  slowestEigenRate,
  zssAnalytic,
  zTransient,
} from "../../src/physics/analytic.ts";
import { bmSystem } from "../../src/physics/bm_matrix.ts";
import { simulateCpu, steadyStateZ } from "../../src/physics/cpu_sim.ts";
import type { TissueModel } from "../../src/physics/model.ts";
import {
  PAPER_OFFSETS_PPM,
  paperInputProtocol,
  paperTargetProtocol,
} from "../../src/physics/protocol.ts";
import { BMSIM } from "../fixtures/mod.ts";

const GEN = BMSIM + "generated/";
const u = (lo: number, hi: number) => lo + (hi - lo) * Math.random();
const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

function csv(name: string): string[][] {
  return Deno.readTextFileSync(GEN + name).trim().split(/\r?\n/).slice(1).map((l) => l.split(","));
}
/** ref7T_r1rho_eig.csv → model → B1 → [offsets, R1ρ]. */
const EIG = new Map<string, { offsets: number[]; r1rho: number[] }>();
for (const r of csv("ref7T_r1rho_eig.csv")) {
  const key = `${r[0]},${Number(r[1])}`;
  if (!EIG.has(key)) EIG.set(key, { offsets: [], r1rho: [] });
  EIG.get(key)!.offsets.push(Number(r[2]));
  EIG.get(key)!.r1rho.push(Number(r[3]));
}
/** ref7T_cw_zspectra.csv → "model,B1,Ts,init,Td" → Z at −300 and at the 101 offsets. */
const SPEC = new Map<string, { m0: number; z: number[] }>();
for (const r of csv("ref7T_cw_zspectra.csv")) {
  const key = `${r[0]},${Number(r[1])},${r[2]},${r[3]},${Number(r[4])}`;
  if (!SPEC.has(key)) SPEC.set(key, { m0: NaN, z: [] });
  if (Number(r[5]) === -300) SPEC.get(key)!.m0 = Number(r[6]);
  else SPEC.get(key)!.z.push(Number(r[6]));
}
const OFFSETS = EIG.get("water_amide_7T_2pool_example,0.75")!.offsets;

Deno.test("slowestEigenRate() reproduces ref7T_r1rho_eig.csv for every model and B1", () => {
  let worst = 0;
  for (const [key, { offsets, r1rho }] of EIG) {
    const [name, b1] = key.split(",");
    const model = loadModelSync(`${GEN}${name}.yaml`);
    const got = offsets.map((o) => slowestEigenRate(bmSystem(model, Number(b1), o).A));
    worst = Math.max(worst, assertClose(got, r1rho, { rtol: 1e-9, label: key }).maxRel);
  }
  console.log(`max rel err vs ref7T_r1rho_eig.csv: ${worst.toExponential(2)}`);
});

for (
  const [form, band] of <[RexForm, number][]> [["lorentz", 1.9e-3], ["hyper", 1.9e-3], [
    "minilorentz",
    3.75e-3,
  ]]
) {
  Deno.test(`r1rhoAnalytic(${form}) matches the exact eigen-R1ρ of the 2-pool model within ${band} (§3.2)`, () => {
    const model = loadModelSync(GEN + "water_amide_7T_2pool_example.yaml");
    let worst = 0;
    for (const b1 of [0.75, 1.5]) {
      const { offsets, r1rho } = EIG.get(`water_amide_7T_2pool_example,${b1}`)!;
      const got = offsets.map((o) => r1rhoAnalytic(model, b1, o, { form }));
      worst = Math.max(
        worst,
        assertClose(got, r1rho, { rtol: band, label: `${form} B1 ${b1}` }).maxRel,
      );
    }
    console.log(`${form}: max rel err ${worst.toExponential(2)}`);
  });
}

Deno.test("r1rhoAnalytic() and cos²θ·R1obs/R1ρ match a water + z-only MT model within 1.9e-3 / 1.1e-3 (§3.3)", () => {
  const base = loadModelSync(GEN + "rat_brain_7T_7pool_normal_example.yaml");
  const model: TissueModel = {
    ...base,
    cest: [],
    mt: { ...base.mt!, f: 0.1, kPerS: 30, t2S: 15e-6, dwPpm: -2.4 },
  };
  for (const b1 of [0.75, 1.5]) {
    const eig = OFFSETS.map((o) => slowestEigenRate(bmSystem(model, b1, o).A));
    assertClose(OFFSETS.map((o) => r1rhoAnalytic(model, b1, o)), eig, {
      rtol: 1.95e-3,
      label: `R1ρ B1 ${b1}`,
    });
    const exact = OFFSETS.map((o) => steadyStateZ(model, b1, o));
    const zss = OFFSETS.map((o, i) => zssAnalytic(model, b1, o, { r1rhoPerS: eig[i] }));
    // §3.3 quotes 1.0e-3 (water T1/T2 unstated); with this model's water it is 1.08e-3 at ±0.06 ppm
    assertClose(zss, exact, { atol: 1.1e-3, label: `Zss B1 ${b1}` });
  }
  // R1obs is the slow eigen-rate of the water–MT pair without RF
  assertClose([r1ObsPerS(model)], [slowestEigenRate(bmSystem(model, 0, 0).A)], {
    rtol: 1e-9,
    label: "R1obs",
  });
});

Deno.test("cos²θ·R1w/R1ρ (§3.5) and the projected transient (§3.6) match the exact 2-pool simulation", () => {
  const model = loadModelSync(GEN + "water_amide_7T_2pool_example.yaml");
  let e35 = 0, e36 = 0, e36plain = 0;
  for (const b1 of [0.75, 1.5]) {
    const { r1rho } = EIG.get(`water_amide_7T_2pool_example,${b1}`)!;
    const zss = SPEC.get(`water_amide_7T_2pool_example,${b1},inf,relaxed,0`)!.z;
    const c2 = OFFSETS.map((o) => cos2Theta(o, b1, 7));
    e35 = Math.max(e35, maxAbs(OFFSETS.map((_, i) => (c2[i]! / model.water.t1S) / r1rho[i]!), zss));
    for (const ts of ["1.5", "5.0"]) {
      const z = SPEC.get(`water_amide_7T_2pool_example,${b1},${ts},relaxed,0`)!.z;
      e36 = Math.max(
        e36,
        maxAbs(OFFSETS.map((_, i) => zTransient(1, zss[i]!, r1rho[i]!, Number(ts), c2[i]!)), z),
      );
      e36plain = Math.max(
        e36plain,
        maxAbs(OFFSETS.map((_, i) => zTransient(1, zss[i]!, r1rho[i]!, Number(ts))), z),
      );
    }
  }
  console.log(
    `§3.5 ${e35.toExponential(2)}, §3.6 projected ${e36.toExponential(2)}, unprojected ${
      e36plain.toExponential(2)
    }`,
  );
  assert(e35 <= 8e-4, `§3.5 error ${e35}`);
  assert(e36 <= 7e-5, `§3.6 error ${e36}`);
  assert(e36plain > 10 * e36, "the cos²θ projection matters near water");
});

// §5 bands (upper ends as printed there): QUASS (4.2) with the exact eigen-R1ρ,
// with / without the cos²θ projection, and the (4.3) 1-D fit on control-normalised data.
const BANDS: [string, string, number, number, number][] = [
  // model, Ts, inversion, projected inversion, fit
  ["water_amide_7T_2pool_example", "1.5", 5.3e-3, 2.6e-4, 4.5e-3],
  ["water_amide_7T_2pool_example", "5.0", 1.9e-4, 2.0e-5, 3e-4],
  ["rat_brain_7T_7pool_normal_example", "1.5", 1.4e-2, 1.5e-2, 1.5e-2],
  ["rat_brain_7T_7pool_normal_example", "5.0", 9.5e-4, 9.5e-4, 3.8e-3],
  ["rat_brain_7T_7pool_tumour_example", "1.5", 1.9e-2, 1.9e-2, 1.7e-2],
  ["rat_brain_7T_7pool_tumour_example", "5.0", 1.8e-3, 1.8e-3, 5.2e-3],
];
for (const [name, ts, bandInv, bandProj, bandFit] of BANDS) {
  Deno.test(`quassInvert() and quassFitSpectrum() stay within the §5 bands for ${name}, Ts ${ts} s`, () => {
    const model = loadModelSync(`${GEN}${name}.yaml`);
    const r1w = 1 / model.water.t1S;
    const worst = { inv: 0, proj: 0, fit: 0, gap: 0 };
    for (const b1 of [0.75, 1.5]) {
      const { r1rho } = EIG.get(`${name},${b1}`)!;
      const zss = SPEC.get(`${name},${b1},inf,relaxed,0`)!.z;
      for (const td of [1, 3]) {
        const { m0, z } = SPEC.get(`${name},${b1},${ts},satrec,${td}`)!;
        const t = { r1wPerS: r1w, tsS: Number(ts), tdS: td, normalisedByControl: false };
        worst.gap = Math.max(worst.gap, maxAbs(z, zss));
        worst.inv = Math.max(worst.inv, maxAbs(z.map((v, i) => quassInvert(v, r1rho[i]!, t)), zss));
        worst.proj = Math.max(
          worst.proj,
          maxAbs(z.map((v, i) => quassInvert(v, r1rho[i]!, t, cos2Theta(OFFSETS[i]!, b1, 7))), zss),
        );
        const fit = quassFitSpectrum(z.map((v) => v / m0), OFFSETS, {
          ...t,
          normalisedByControl: true,
          b1UT: b1,
          b0T: 7,
        });
        worst.fit = Math.max(worst.fit, maxAbs(fit, zss));
      }
    }
    console.log(
      `|Zapp−Zss| ${worst.gap.toExponential(2)}; (4.2) ${worst.inv.toExponential(2)}, projected ${
        worst.proj.toExponential(2)
      }; (4.3) fit ${worst.fit.toExponential(2)}`,
    );
    // the §5 table gives 2 significant digits: allow the rounding (+5 %)
    assert(worst.inv <= bandInv * 1.05, `(4.2) ${worst.inv} > ${bandInv}`);
    assert(worst.proj <= bandProj * 1.05, `(4.2) projected ${worst.proj} > ${bandProj}`);
    assert(worst.fit <= bandFit * 1.05, `(4.3) ${worst.fit} > ${bandFit}`);
    assert(worst.fit < worst.gap / 4, "QUASS improves on the raw apparent Z");
  });
}

Deno.test("quassInvert() exactly inverts apparentZ() for random Z_ss, R1ρ, T1, Ts, Td", () => {
  for (let i = 0; i < 200; i++) {
    const t = {
      r1wPerS: 1 / u(0.5, 3),
      tsS: u(0.2, 6),
      tdS: Math.random() < 0.2 ? Infinity : u(0.1, 6),
      normalisedByControl: Math.random() < 0.5,
    };
    const zss = u(0, 1), r1rho = u(0.05, 25);
    const zApp = apparentZ(zss, r1rho, t);
    assertClose([quassInvert(zApp, r1rho, t)], [zss], {
      atol: 1e-9 * (1 + 1 / (1 - Math.exp(-r1rho * t.tsS))),
      label: "inverse",
    });
  }
});

Deno.test("fitR1rho() and quassFitSpectrum() recover R1ρ and cos²θ·R1w/R1ρ from noiseless apparent Z", () => {
  const n = 51;
  const offsets = Array.from({ length: n }, () => u(-6, 6));
  const t = {
    r1wPerS: 1 / u(0.8, 3),
    tsS: u(0.5, 5),
    tdS: u(0.5, 5),
    normalisedByControl: Math.random() < 0.5,
  };
  const b1UT = u(0.3, 2), b0T = u(3, 11.7);
  const r1rho = offsets.map(() => 10 ** u(-1, 1.3));
  const c2 = offsets.map((o) => cos2Theta(o, b1UT, b0T));
  const zss = offsets.map((_, i) => (c2[i]! * t.r1wPerS) / r1rho[i]!);
  const zApp = offsets.map((_, i) => apparentZ(zss[i]!, r1rho[i]!, t));
  assertClose(offsets.map((_, i) => fitR1rho(zApp[i]!, c2[i]!, t)), r1rho, {
    rtol: 1e-9,
    label: "R1ρ",
  });
  assertClose(quassFitSpectrum(zApp, offsets, { ...t, b1UT, b0T }), zss, {
    atol: 1e-10,
    label: "Zss",
  });
  // out-of-model data clamp to the lsqcurvefit bounds
  assertEquals(fitR1rho(10, 1, t), R1RHO_FIT_BOUNDS_PER_S[0]);
  assertEquals(fitR1rho(-1, 1, t), R1RHO_FIT_BOUNDS_PER_S[1]);
});

Deno.test("quassFitSpectrum() on a simulated 7-pool spectrum with a B0 shift uses the shifted cos²θ", () => {
  const model = loadModelSync(GEN + "rat_brain_7T_7pool_normal_example.yaml");
  const shift = u(-0.3, 0.3);
  const p = {
    b1UT: 1,
    tsS: 5,
    start: { kind: "satrec" as const, tdS: 1 },
    preDelayS: 0,
    postDelayS: 0,
    offsetsPpm: OFFSETS,
  };
  const shifted = { ...model, b0InhomPpm: shift };
  const z = simulateCpu(shifted, p);
  const zss = OFFSETS.map((o) => steadyStateZ(shifted, 1, o));
  const fit = quassFitSpectrum(z, OFFSETS, {
    r1wPerS: 1 / model.water.t1S,
    tsS: 5,
    tdS: 1,
    normalisedByControl: false,
    b1UT: 1,
    b0T: 7,
    b0ShiftPpm: shift,
  });
  const err = maxAbs(fit, zss);
  assert(err < 1e-2, `error ${err}`);
});

Deno.test("quassPredictSpectrum() reproduces the §4.1 forward model at the target protocol for random R1ρ, T1, Ts, Td", () => {
  const n = 41;
  const offsets = Array.from({ length: n }, () => u(-6, 6));
  const scan = {
    r1wPerS: 1 / u(0.8, 3),
    tsS: u(0.5, 3),
    tdS: u(0.5, 5),
    normalisedByControl: Math.random() < 0.5,
  };
  const b1UT = u(0.3, 2), b0T = u(3, 11.7);
  const target = { tsS: u(3, 8), tdS: u(0, 3) };
  const tgt = { ...scan, ...target, normalisedByControl: false };
  const r1rho = offsets.map(() => 10 ** u(-1, 1.3));
  const zss = offsets.map((o, i) => (cos2Theta(o, b1UT, b0T) * scan.r1wPerS) / r1rho[i]!);
  const zApp = offsets.map((_, i) => apparentZ(zss[i]!, r1rho[i]!, scan));
  const want = offsets.map((_, i) => apparentZ(zss[i]!, r1rho[i]!, tgt));
  const got = quassPredictSpectrum(zApp, offsets, { ...scan, b1UT, b0T }, target);
  assertClose(got, want, { atol: 1e-10, label: "Z at the target" });
  // a long-Ts target is not the steady state: the answer must differ from Z_ss somewhere
  assert(maxAbs(got, zss) > 1e-6, "the target answer is not just Z_ss");
});

Deno.test("quassPredictSpectrum() with target Ts = ∞ is the steady state, identical to quassFitSpectrum()", () => {
  const model = loadModelSync(GEN + "rat_brain_7T_7pool_tumour_example.yaml");
  const b1UT = u(0.75, 1.5);
  const zApp = simulateCpu(model, paperInputProtocol(b1UT));
  const opts = {
    r1wPerS: 1 / model.water.t1S,
    b1UT,
    b0T: 7,
    tsS: 1.5,
    tdS: 4.5,
    normalisedByControl: false,
  };
  const steady = quassFitSpectrum(zApp, PAPER_OFFSETS_PPM, opts);
  assertEquals(quassPredictSpectrum(zApp, PAPER_OFFSETS_PPM, opts, "steady"), steady);
  assertEquals(
    quassPredictSpectrum(zApp, PAPER_OFFSETS_PPM, opts, { tsS: Infinity, tdS: u(0, 5) }),
    steady,
  );
});

// The formula's like-for-like answer to a network trained for Ts 5 s: noiseless float64
// spectra of the paper's protocols (input Ts 1.5 s / Td 4.5 s, truth Ts 5 s / Td 1 s, B1 1 µT,
// M0-normalised). Measured max |err| / MAE vs the Ts 5 s truth: 2-pool 4.6e-3 / 1.5e-3,
// 7-pool normal 1.02e-2 / 2.9e-3, tumour 1.13e-2 / 3.8e-3; the steady-state answer's MAE vs the
// same truth is 1.9e-2, 9.2e-3, 2.7e-2 (3.2–12× worse). (At B1 1.5 µT the Ts 5 s image of the
// normal model is so close to steady that Z_ss's MAE, 3.8e-3, is below the Ts 5 s answer's
// 4.5e-3, so the ordering is asserted at the paper's 1 µT only.)
for (
  const [name, bandMax, bandMae] of [
    ["water_amide_7T_2pool_example", 6e-3, 2e-3],
    ["rat_brain_7T_7pool_normal_example", 1.3e-2, 4e-3],
    ["rat_brain_7T_7pool_tumour_example", 1.3e-2, 4.5e-3],
  ] as const
) {
  Deno.test(`quassPredictSpectrum(target Ts 5 s / Td 1 s) is within ${bandMax} of the simulated Ts 5 s spectrum of ${name}, closer than Z_ss`, () => {
    const model = loadModelSync(`${GEN}${name}.yaml`);
    const zApp = simulateCpu(model, paperInputProtocol(1));
    const z5 = simulateCpu(model, paperTargetProtocol(1));
    const opts = {
      r1wPerS: 1 / model.water.t1S,
      b1UT: 1,
      b0T: 7,
      tsS: 1.5,
      tdS: 4.5,
      normalisedByControl: false,
    };
    const p5 = quassPredictSpectrum(zApp, PAPER_OFFSETS_PPM, opts, { tsS: 5, tdS: 1 });
    const pss = quassPredictSpectrum(zApp, PAPER_OFFSETS_PPM, opts, "steady");
    const mae = (a: ArrayLike<number>) =>
      Array.from(a).reduce((m, v, i) => m + Math.abs(v - z5[i]!), 0) / a.length;
    assertClose(p5, z5, { atol: bandMax, label: "formula → Ts 5 s vs simulated Ts 5 s" });
    assert(mae(p5) <= bandMae, `MAE ${mae(p5)} > ${bandMae}`);
    assert(
      mae(pss) >= 3 * mae(p5),
      `Z_ss's MAE vs the Ts 5 s truth ${mae(pss)} is not 3× the Ts 5 s answer's ${mae(p5)}`,
    );
  });
}
