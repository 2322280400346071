import { assert, assertEquals } from "../_assert.ts";
import { assertClose } from "../_util.ts";
import {
  mtLineshape,
  superLorentzian,
  superLorentzianIntegral,
} from "../../src/physics/bm_matrix.ts";
import { findPython, runPython } from "../eval/_python.ts";

const u = (lo: number, hi: number) => lo + (hi - lo) * Math.random();

// pulseq-cest's MTPool::GetMTLineAtCurrentOffset (SimulationParameters.cpp), rewritten in
// NumPy from its description (integral on 101 samples; cubic Hermite bridge inside 1 ppm).
const PY_SL = `
import sys, json, numpy as np
d = json.load(sys.stdin)
T2, w0 = d['t2'], d['w0']
def integ(dw):
    uu = np.arange(101) * 0.01
    p = np.abs(3 * uu**2 - 1)
    return float(np.sum(np.sqrt(2 / np.pi) * T2 / p * np.exp(-2 * (dw * T2 / p)**2)) * np.pi * 0.01)
def sl(dw):
    if abs(dw) >= w0: return integ(dw)
    px = [-300 - w0, -100 - w0, 100 + w0, 300 + w0]
    py = [integ(x) for x in px]
    t0, t1 = 30 * (py[1] - py[0]), 30 * (py[3] - py[2])
    c = abs((dw - px[1] + 1) / (px[2] - px[1] + 1))
    return (2*c**3 - 3*c**2 + 1) * py[1] + (-2*c**3 + 3*c**2) * py[2] + (c**3 - 2*c**2 + c) * t0 + (c**3 - c**2) * t1
print(json.dumps([sl(x) for x in d['dw']]))
`;

Deno.test("superLorentzian() matches an independent NumPy transcription of pulseq-cest's bridge", async () => {
  const py = await findPython(["numpy"]);
  if (!py) {
    console.log("skipped: python3 with numpy not found");
    return;
  }
  const t2 = u(5e-6, 2e-5), w0 = 267.5154109126009 * u(3, 9.4);
  // inside the bridge (|Δω| < 1 ppm), outside, and at its edges
  const dw = [
    ...Array.from({ length: 12 }, () => u(-w0, w0)),
    ...Array.from({ length: 6 }, () => u(-10 * w0, 10 * w0)),
    0,
    w0,
    -w0,
    w0 * (1 - 1e-9),
  ];
  const want = JSON.parse(await runPython(py, PY_SL, JSON.stringify({ t2, w0, dw }))) as number[];
  assertClose(dw.map((x) => superLorentzian(t2, x, w0)), want, { rtol: 1e-12, label: "SL" });
});

Deno.test("superLorentzian() is the integral outside ±1 ppm and a finite bridge inside", () => {
  const t2 = 1e-5, w0 = 267.5154109126009 * 3;
  for (let i = 0; i < 5; i++) {
    const x = (Math.random() < 0.5 ? -1 : 1) * u(w0, 20 * w0);
    assertEquals(superLorentzian(t2, x, w0), superLorentzianIntegral(t2, x));
  }
  const inside = Array.from(
    { length: 50 },
    (_, i) => superLorentzian(t2, -w0 + (2 * w0 * (i + 0.5)) / 50, w0),
  );
  assert(inside.every((v) => Number.isFinite(v) && v > 0), "bridge positive and finite");
  // the bridge stays within a few × the integral at the 1-ppm edge (no pole)
  const edge = superLorentzianIntegral(t2, w0);
  assert(
    Math.max(...inside) < 5 * edge && Math.min(...inside) > 0.2 * edge,
    `${Math.max(...inside)} vs ${edge}`,
  );
});

Deno.test("mtLineshape() gives T2/(1+(Δω T2)²) for Lorentzian and 0 for None", () => {
  const t2 = u(1e-5, 5e-5), dw = u(-5000, 5000);
  assertClose([mtLineshape("Lorentzian", t2, dw, 2000)], [t2 / (1 + (dw * t2) ** 2)], {
    rtol: 1e-15,
  });
  assertEquals(mtLineshape("None", t2, dw, 2000), 0);
});
