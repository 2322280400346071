import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { assertClose } from "../_util.ts";
import { quassFitFile, quassFitVoxel, quassImage } from "../../src/eval/quass_image.ts";
import { readNifti, writeNifti } from "../../src/data/nifti.ts";
import { readSidecar, sidecarPath, writeSidecar } from "../../src/data/sidecar.ts";
import { InputError } from "../../src/util/errors.ts";
import { simulateCpu } from "../../src/physics/cpu_sim.ts";
import {
  PAPER_OFFSETS_PPM,
  paperInputProtocol,
  paperTargetProtocol,
} from "../../src/physics/protocol.ts";
import type { TissueModel } from "../../src/physics/model.ts";
import { GAMMA_RAD_PER_S_UT } from "../../src/physics/constants.ts";
import { withTempDir } from "../_tmp.ts";

/** The 7-pool rat-brain examples of tests/fixtures/bmsim/generated/ (typed in, not loaded). */
function _ratBrain(tumour: boolean): TissueModel {
  const c = (name: string, f: number, t2S: number, kPerS: number, dwPpm: number) => ({
    name,
    f,
    t1S: 1,
    t2S,
    kPerS,
    dwPpm,
  });
  return {
    water: { t1S: tumour ? 2.2 : 1.8, t2S: tumour ? 0.08 : 0.05, f: 1 },
    mt: {
      f: tumour ? 0.05 : 0.1,
      t1S: 1,
      t2S: 1.5e-5,
      kPerS: 30,
      dwPpm: -2.4,
      lineshape: "Lorentzian",
    },
    cest: [
      c("amide", tumour ? 2e-3 : 1e-3, 0.02, 50, 3.5),
      c("guanidyl", 1e-3, 0.02, 800, 2.0),
      c("hydroxyl", 1e-3, 0.02, 2500, 1.3),
      c("NOE_m1p6", 1.5e-3, 0.002, 20, -1.6),
      c("NOE_m3p5", tumour ? 3e-3 : 5e-3, 0.001, 20, -3.5),
    ],
    b0T: 7,
    gammaRadPerSUT: GAMMA_RAD_PER_S_UT,
    b0InhomPpm: 0,
    relB1: 1,
  };
}

for (const tumour of [false, true]) {
  Deno.test(`quassFitVoxel() on a noiseless 7-pool ${tumour ? "tumour" : "normal"} spectrum is within the §5 band of the exact steady state`, () => {
    const model = _ratBrain(tumour);
    const b1UT = 0.75 + 0.75 * Math.random(); // the §5 bands cover B1 0.75–1.5 µT
    const zApp = simulateCpu(model, paperInputProtocol(b1UT));
    const zss = simulateCpu(model, paperTargetProtocol(b1UT, true));
    const fit = quassFitVoxel(zApp, 1 / model.water.t1S, {
      offsetsPpm: PAPER_OFFSETS_PPM,
      b1UT,
      tsS: 1.5,
      tdS: 4.5,
    });
    let rawErr = 0;
    for (let k = 0; k < 101; k++) rawErr = Math.max(rawErr, Math.abs(zApp[k]! - zss[k]!));
    // §5, 7-pool, Ts 1.5 s, 1-D fit: 1.2e-2–1.7e-2 (Td 1–3 s, control-normalised); our Td is
    // 4.5 s with M0 normalisation; measured 0.9e-2–1.1e-2 (normal), 1.0e-2–1.9e-2 (tumour, worst
    // at B1 0.75 µT). Allow 2e-2 / 2.2e-2 and demand a 4× gain over doing nothing.
    const { maxAbs } = assertClose(fit, zss, {
      atol: tumour ? 2.2e-2 : 2e-2,
      label: "QUASS fit vs exact Z_ss",
    });
    assert(maxAbs < rawErr / 4, `fit error ${maxAbs} not 4× below the raw error ${rawErr}`);
  });
}

Deno.test("quassFitVoxel() inverts the §4.1 forward model exactly for random R1ρ, T1, Ts, Td", () => {
  const n = 60;
  const offsetsPpm = Array.from({ length: n }, () => (Math.random() * 12 - 6) || 0.1);
  const t1 = 1 + 2 * Math.random(), r1w = 1 / t1;
  const tsS = 0.5 + 4 * Math.random(), tdS = 0.5 + 4 * Math.random(), b1UT = 0.5 + Math.random();
  const b0T = 7, shift = Math.random() * 0.4 - 0.2;
  for (const control of [false, true]) {
    const zApp = new Float64Array(n), want = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const dw = b0T * (offsetsPpm[k]! - shift);
      const cos2 = dw * dw / (dw * dw + b1UT * b1UT);
      const r1rho = cos2 * r1w + 0.05 + 5 * Math.random(); // anywhere inside [0.01, 30]
      const zss = cos2 * r1w / r1rho;
      const e = Math.exp(-r1rho * tsS);
      const norm = control ? 1 - Math.exp(-r1w * (tsS + tdS)) : 1;
      zApp[k] = ((1 - Math.exp(-r1w * tdS)) * e + zss * (1 - e)) / norm;
      want[k] = zss;
    }
    const got = quassFitVoxel(zApp, r1w, {
      offsetsPpm,
      b1UT,
      b0T,
      tsS,
      tdS,
      normalisedByControl: control,
    }, shift);
    assertClose(got, want, { atol: 1e-9, rtol: 1e-7, label: `inversion (control ${control})` });
  }
});

Deno.test("quassImage() fits masked voxels with a T1 map, skips NaN voxels and T1 ≤ 0", () => {
  const nOff = 5, nvox = 6;
  const offsetsPpm = [-3, -1, 0.5, 2, 3.5];
  const data = new Float32Array(nvox * nOff);
  for (let i = 0; i < data.length; i++) data[i] = 0.2 + 0.6 * Math.random();
  data[2 * nvox + 3] = NaN; // voxel 3 has a NaN at offset 2
  const t1 = Float32Array.from({ length: nvox }, () => 1.2 + Math.random());
  t1[4] = 0;
  const mask = [1, 1, 0, 1, 1, 1];
  const scan = { offsetsPpm, b1UT: 1, tsS: 1.5, tdS: 4.5 };
  const res = quassImage(data, nvox, t1, scan, { mask });
  assertEquals(res.skipped, [3, 4]);
  assertEquals(res.fitted, 3);
  for (const v of [0, 1, 5]) {
    const spec = offsetsPpm.map((_, k) => data[k * nvox + v]!);
    const want = quassFitVoxel(spec, 1 / t1[v]!, scan);
    assertClose(offsetsPpm.map((_, k) => res.zss[k * nvox + v]!), want, {
      atol: 1e-6,
      rtol: 1e-6,
      label: `voxel ${v}`,
    });
  }
  for (const v of [2, 3, 4]) for (let k = 0; k < nOff; k++) assertEquals(res.zss[k * nvox + v], 0);
  assertThrows(() => quassImage(data, nvox, new Float32Array(3), scan), /T1 map/);
  assertThrows(() => quassImage(data.subarray(1), nvox, 1.5, scan), /voxels × offsets/);
});

Deno.test("quassImage() on noiseless phantom voxels is within the §5 bands of the exact steady state", async () => {
  const { makePhantom } = await import("../../src/data/phantom.ts");
  // float64 CPU simulator: the reference here is the physics, not the GPU engine
  const cpuPairs = (
    models: TissueModel[],
    a: Parameters<typeof simulateCpu>[1],
    b: Parameters<typeof simulateCpu>[1],
  ) => {
    const z = (p: typeof a) =>
      Float32Array.from(models.flatMap((m) => Array.from(simulateCpu(m, p))));
    return Promise.resolve({ input: z(a), target: z(b) });
  };
  const ph = await makePhantom({
    size: 12,
    seed: Math.floor(Math.random() * 1e6),
    snr: Infinity,
    simulate: cpuPairs,
  });
  const nvox = 144;
  const t1 = Float64Array.from({ length: nvox }, (_, v) => ph.maps.params[v * 20]!);
  const res = quassImage(ph.inputClean, nvox, t1, {
    offsetsPpm: ph.offsetsPpm,
    b1UT: 1,
    tsS: 1.5,
    tdS: 4.5,
  }, { mask: ph.maps.mask });
  assertEquals(res.fitted, ph.maps.mask.reduce((s, x) => s + x, 0));
  const errs: number[] = [], raws: number[] = [];
  let minGain = Infinity;
  for (let v = 0; v < nvox; v++) {
    if (!ph.maps.mask[v]) continue;
    let e = 0, r = 0;
    for (let k = 0; k < 101; k++) {
      const i = k * nvox + v;
      e = Math.max(e, Math.abs(res.zss[i]! - ph.steady[i]!));
      r = Math.max(r, Math.abs(ph.inputClean[i]! - ph.steady[i]!));
    }
    errs.push(e);
    raws.push(r);
    minGain = Math.min(minGain, r / e);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const worst = Math.max(...errs), medErr = median(errs), medRaw = median(raws);
  // §5 (7-pool, Ts 1.5 s, 1-D fit): 1.2e-2–1.7e-2 per spectrum. The phantom's tissue spans the
  // dataset box (T1 up to 2.5 s, MT fraction up to 0.15; the formula's error grows with both,
  // §5). Measured over 190 random seeds: worst voxel 1.8e-2–3.7e-2 (always a T1 ≈ 2.5 s voxel),
  // median 0.95e-2–1.1e-2, per-voxel gain over the uncorrected Z ≥ 2.5, median gain ≥ 7.
  assert(worst <= 5e-2, `worst voxel error ${worst}`);
  assert(medErr <= 1.5e-2, `median voxel error ${medErr}`);
  assert(
    minGain >= 2,
    `a voxel's fit is only ${minGain.toFixed(2)}× closer than its uncorrected Z`,
  );
  assert(medRaw >= 4 * medErr, `median fit error ${medErr} vs uncorrected ${medRaw}`);
});

Deno.test("quassImage() with a target predicts each voxel's Ts 5 s / Td 1 s spectrum; a bad target is an InputError", () => {
  const model = _ratBrain(Math.random() < 0.5);
  const nvox = 3, nOff = PAPER_OFFSETS_PPM.length;
  const zApp = simulateCpu(model, paperInputProtocol(1));
  const z5 = simulateCpu(model, paperTargetProtocol(1));
  const data = new Float32Array(nvox * nOff);
  for (let v = 0; v < nvox; v++) for (let k = 0; k < nOff; k++) data[k * nvox + v] = zApp[k]!;
  const scan = { offsetsPpm: PAPER_OFFSETS_PPM, b1UT: 1, tsS: 1.5, tdS: 4.5 };
  const t1 = model.water.t1S;
  const five = quassImage(data, nvox, t1, scan, { target: { tsS: 5, tdS: 1 } });
  const steady = quassImage(data, nvox, t1, scan);
  assertEquals(five.fitted, nvox);
  const want = quassFitVoxel(zApp, 1 / t1, scan, 0, { tsS: 5, tdS: 1 });
  const voxel = (z: Float32Array, v: number) => PAPER_OFFSETS_PPM.map((_, k) => z[k * nvox + v]!);
  for (let v = 0; v < nvox; v++) {
    assertClose(voxel(five.zss, v), want, { atol: 1e-6, label: `voxel ${v}` });
  }
  // the image for the Ts 5 s target is near the simulated Ts 5 s truth (max 1.02e-2 normal,
  // 1.13e-2 tumour at B1 1 µT, tests/physics/analytic_test.ts) and not the steady-state image
  assertClose(voxel(five.zss, 1), z5, { atol: 1.3e-2, label: "image → Ts 5 s vs truth" });
  assert(
    Math.max(...voxel(five.zss, 1).map((z, k) => Math.abs(z - voxel(steady.zss, 1)[k]!))) > 1e-3,
    "the Ts 5 s image differs from the steady-state image",
  );
  for (const bad of [{ tsS: 0, tdS: 1 }, { tsS: 5, tdS: -1 }, { tsS: NaN, tdS: 1 }]) {
    const e = assertThrows(() => quassImage(data, nvox, t1, scan, { target: bad }), /Td .* s/);
    assert(e instanceof InputError, `${e.name}: ${e.message}`);
  }
});

Deno.test("quassFitFile() writes the target's image and records the target protocol in the sidecar", async () => {
  await withTempDir({ prefix: "quass_fit_target_" }, async (dir) => {
    const offsetsPpm = [-3.5, -1, 0.6, 2, 3.5];
    const nvox = 4, nOff = offsetsPpm.length;
    const data = Float32Array.from({ length: nvox * nOff }, () => 0.3 + 0.5 * Math.random());
    const input = `${dir}/scan.nii.gz`;
    await writeNifti(input, { dims: [2, 2, 1, nOff], data });
    await writeSidecar(input, { offsetsPpm, tsS: 1.5, tdS: 4.5, b1UT: 1, b0T: 7 });
    const scan = { offsetsPpm, b1UT: 1, tsS: 1.5, tdS: 4.5, b0T: 7 };
    for (
      const [target, tsS, tdS, words] of [
        [{ tsS: 5, tdS: 1 }, 5, 1, "Ts 5 s / Td 1 s"],
        [undefined, Infinity, undefined, "steady state"],
        [{ tsS: Infinity, tdS: 1 }, Infinity, undefined, "steady state"],
      ] as const
    ) {
      const out = `${dir}/q_${words.replace(/\W+/g, "_")}_${tdS ?? "x"}.nii.gz`;
      const res = await quassFitFile({ input, t1: 1.6, out, ...(target ? { target } : {}) });
      assertEquals(res, { fitted: nvox, skipped: 0 });
      const side = (await readSidecar(out))!;
      assertEquals([side.tsS, side.tdS], [tsS, tdS]);
      assert(String(side.source).endsWith(`→ ${words}`), `source: ${side.source}`);
      assertEquals(side.inputScan, { path: input, tsS: 1.5, tdS: 4.5 });
      const want = quassImage(data, nvox, 1.6, scan, { target: target ?? "steady" }).zss;
      assertClose((await readNifti(out)).data, want, { atol: 1e-7, label: words });
    }
    // a bad target is refused before anything is written
    const out = `${dir}/bad.nii.gz`;
    const e = await assertRejects(
      () => quassFitFile({ input, t1: 1.6, out, target: { tsS: -5, tdS: 1 } }),
      /^--target: Ts -5 s/,
    );
    assert(e instanceof InputError, `${e.name}: ${e.message}`);
    for (const p of [out, sidecarPath(out)]) {
      await assertRejects(() => Deno.stat(p), /No such file/);
    }
  });
});
