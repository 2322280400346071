/** Property tests of the CPU float64 simulator on random models (not the references). */
import { assert, assertEquals } from "../_assert.ts";
import { assertClose } from "../_util.ts";
import { freeEvolve, simulateCpu, steadyState, steadyStateZ } from "../../src/physics/cpu_sim.ts";
import { bmSystem, equilibrium, stateLayout } from "../../src/physics/bm_matrix.ts";
import { matvec } from "../../src/physics/expm.ts";
import type { Protocol } from "../../src/physics/protocol.ts";
import type { TissueModel } from "../../src/physics/model.ts";
import { GAMMA_RAD_PER_S_UT } from "../../src/physics/constants.ts";
import { randomModel } from "./_random_model.ts";

const u = (lo: number, hi: number) => lo + (hi - lo) * Math.random();
const randomOffsets = (n: number) => Array.from({ length: n }, () => u(-6, 6));

function protocol(over: Partial<Protocol>): Protocol {
  return {
    b1UT: u(0.3, 2),
    tsS: u(0.5, 5),
    start: { kind: "satrec", tdS: u(0.5, 5) },
    preDelayS: 0,
    postDelayS: 0,
    offsetsPpm: randomOffsets(7),
    ...over,
  };
}

Deno.test("simulateCpu() approaches the steady state −A⁻¹C as Ts → ∞, and A·M_ss + C = 0", () => {
  for (let rep = 0; rep < 3; rep++) {
    const model = randomModel();
    const p = protocol({});
    const inf = simulateCpu(model, { ...p, tsS: Infinity });
    // slowest rate ≥ ~R1 of the slowest pool; 60·T1 leaves e^{-60} of the start
    const long = simulateCpu(model, {
      ...p,
      tsS: 60 * Math.max(model.water.t1S, ...model.cest.map((c) => c.t1S), 1),
    });
    assertClose(long, inf, { atol: 1e-9, label: "Ts=60·T1 vs Ts=inf" });
    for (const o of p.offsetsPpm) {
      const { A, C } = bmSystem(model, p.b1UT, o);
      const m = steadyState(model, p.b1UT, o);
      const res = matvec(A, m).map((v, i) => v + C[i]!);
      assertClose(res, new Float64Array(res.length), { atol: 1e-12, label: "A·Mss + C" });
    }
  }
});

Deno.test("simulateCpu() with b0InhomPpm = s shifts the spectrum: Z(o; s) = Z(o − s; 0)", () => {
  for (let rep = 0; rep < 3; rep++) {
    const model = randomModel();
    const s = u(-0.5, 0.5);
    const p = protocol({ tsS: rep === 0 ? Infinity : u(0.5, 3) });
    const shifted = simulateCpu({ ...model, b0InhomPpm: s }, p);
    const ref = simulateCpu(model, { ...p, offsetsPpm: p.offsetsPpm.map((o) => o - s) });
    assertClose(shifted, ref, { atol: 1e-11, label: `shift ${s}` });
  }
});

Deno.test("simulateCpu() with B1 = 0 gives the flat free-recovery value", () => {
  const model = randomModel();
  const td = u(0.5, 4), ts = u(0.5, 4), pre = u(0, 0.5), post = u(0, 0.1);
  const z = simulateCpu(
    model,
    protocol({
      b1UT: 0,
      tsS: ts,
      start: { kind: "satrec", tdS: td },
      preDelayS: pre,
      postDelayS: post,
    }),
  );
  const n = stateLayout(model).n;
  const want = freeEvolve(
    model,
    new Float64Array(n),
    td + pre + ts + post,
  )[stateLayout(model).waterZ]!;
  // off-resonance precession raises ‖A·t‖ to ~1e5, i.e. ~17 squarings: rounding ~1e-11
  assertClose(z, new Float64Array(z.length).fill(want), { atol: 1e-10, label: "B1=0" });
  // water only: the closed form 1 − e^{−R1 t}
  const water: TissueModel = { ...model, cest: [] };
  delete water.mt;
  const zw = simulateCpu(water, protocol({ b1UT: 0, tsS: ts, start: { kind: "satrec", tdS: td } }));
  assertClose(zw, new Float64Array(zw.length).fill(1 - Math.exp(-(td + ts) / water.water.t1S)), {
    atol: 1e-10,
    label: "1-pool recovery",
  });
});

Deno.test("simulateCpu() of a 1-pool water model matches the closed-form Bloch solution", () => {
  for (let rep = 0; rep < 5; rep++) {
    // R1 = R2 = R: M(t) − Mss = e^{−Rt}·Rot(ω_eff t)(M0 − Mss); rotation by Rodrigues' formula
    const r = u(0.3, 20), b1UT = u(0.2, 3), b0T = u(3, 9.4), offsetPpm = u(-3, 3), ts = u(0.001, 2);
    const model: TissueModel = {
      water: { f: 1, t1S: 1 / r, t2S: 1 / r },
      cest: [],
      b0T,
      gammaRadPerSUT: GAMMA_RAD_PER_S_UT,
      b0InhomPpm: 0,
      relB1: 1,
    };
    const w1 = GAMMA_RAD_PER_S_UT * b1UT, dw = GAMMA_RAD_PER_S_UT * b0T * offsetPpm;
    // Bloch equations in the frame of the RF (B1 along x, off-resonance Δ along z):
    // dM/dt = ω × M − R(M − M0 ẑ) with ω = (ω1, 0, Δ) up to orientation; Mz is unaffected by
    // the sign conventions. Closed-form steady state for R1 = R2 = R:
    const d = r * r + dw * dw + w1 * w1;
    const mss = [w1 * dw / d, -w1 * r / d, (r * r + dw * dw) / d]; // ω = (ω1, 0, Δ), M0 = ẑ
    const wEff = Math.hypot(w1, dw), th = wEff * ts;
    const k = [w1 / wEff, 0, dw / wEff];
    const v0 = [0 - mss[0]!, 0 - mss[1]!, 1 - mss[2]!];
    const kxv = [
      k[1]! * v0[2]! - k[2]! * v0[1]!,
      k[2]! * v0[0]! - k[0]! * v0[2]!,
      k[0]! * v0[1]! - k[1]! * v0[0]!,
    ];
    const kdv = k[0]! * v0[0]! + k[2]! * v0[2]!;
    const rot = [0, 1, 2].map((i) =>
      v0[i]! * Math.cos(th) + kxv[i]! * Math.sin(th) + k[i]! * kdv * (1 - Math.cos(th))
    );
    const wantZ = mss[2]! + Math.exp(-r * ts) * rot[2]!;
    const z = simulateCpu(model, {
      b1UT,
      tsS: ts,
      start: { kind: "relaxed" },
      preDelayS: 0,
      postDelayS: 0,
      offsetsPpm: [offsetPpm],
    });
    assertClose(z, [wantZ], { atol: 1e-12, label: "1-pool transient" });
    // and the steady state for R1 ≠ R2: Mz = R1(R2²+Δ²)/(R1(R2²+Δ²) + ω1² R2)
    const r1 = u(0.2, 2), r2 = u(5, 50);
    const m2: TissueModel = { ...model, water: { f: 1, t1S: 1 / r1, t2S: 1 / r2 } };
    const zss = r1 * (r2 * r2 + dw * dw) / (r1 * (r2 * r2 + dw * dw) + w1 * w1 * r2);
    assertClose([steadyStateZ(m2, b1UT, offsetPpm)], [zss], {
      atol: 1e-13,
      label: "1-pool steady state",
    });
  }
});

Deno.test("equilibrium() is a fixed point of free evolution (detailed balance)", () => {
  for (let rep = 0; rep < 3; rep++) {
    const model = randomModel();
    const eq = equilibrium(model);
    const { A, C } = bmSystem(model, 0, u(-6, 6));
    const res = matvec(A, eq).map((v, i) => v + C[i]!);
    assertClose(res, new Float64Array(res.length), { atol: 1e-14, label: "A·M_eq + C" });
    assertClose(freeEvolve(model, eq, u(0.1, 10)), eq, { atol: 1e-12, label: "e^{At} M_eq" });
    // relaxed start + B1 = 0 ⇒ Z = 1 everywhere
    const z = simulateCpu(model, protocol({ b1UT: 0, start: { kind: "relaxed" } }));
    assertClose(z, new Float64Array(z.length).fill(1), { atol: 1e-12, label: "Z relaxed, B1=0" });
  }
});

Deno.test("simulateCpu() with m0OffsetPpm divides by the same protocol run at that offset", () => {
  const model = randomModel();
  const p = protocol({ offsetsPpm: [-300, ...randomOffsets(4)] });
  const raw = simulateCpu(model, p);
  const norm = simulateCpu(model, { ...p, m0OffsetPpm: -300 });
  assertEquals(norm[0], 1);
  assertClose(norm, raw.map((v) => v / raw[0]!), { atol: 1e-15, label: "normalised" });
  assert(raw.every((v) => v < 1 && v > -1));
});
