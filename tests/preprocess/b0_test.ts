/** B0 estimation, the spline and the resampling onto the grid, on fresh random spectra. */
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { assertClose } from "../_util.ts";
import { NaturalSpline } from "../../src/preprocess/spline.ts";
import {
  assertHasDip,
  estimateB0Map,
  estimateWaterShift,
  sortedOffsets,
} from "../../src/preprocess/b0.ts";
import { assertCoversGrid, resampleToGrid } from "../../src/preprocess/b0_correct.ts";
import { simulateCpu } from "../../src/physics/cpu_sim.ts";
import { PAPER_OFFSETS_PPM, paperInputProtocol } from "../../src/physics/protocol.ts";
import { defaultParamSpace, modelFromParams, sampleParams } from "../../src/physics/param_space.ts";
import { InputError } from "../../src/util/errors.ts";
import { gauss } from "../_random.ts";

/** A Z-like spectrum: water Lorentzian at `s`, a broad asymmetric background, a CEST dip. */
function zLike(x: number, s: number, w = 0.4): number {
  const lor = (c: number, h: number, a: number) => a / (1 + ((x - c) / h) ** 2);
  return 0.95 - lor(s, w, 0.9) - lor(s - 2.4, 6, 0.15) - lor(s + 3.5, 0.5, 0.03);
}

Deno.test("NaturalSpline passes through its knots, is exact on straight lines and beats linear interpolation on a smooth curve", () => {
  const n = 8 + Math.floor(Math.random() * 20);
  const xs = Array.from({ length: n }, () => 10 * Math.random()).sort((a, b) => a - b);
  const ys = xs.map(() => Math.random());
  const sp = new NaturalSpline(xs);
  const m = sp.fit(ys);
  assertClose(xs.map((x) => sp.at(ys, m, x)), ys, { atol: 1e-12, label: "knots" });
  const [a, b] = [Math.random(), Math.random()];
  const line = xs.map((x) => a + b * x), ml = sp.fit(line);
  const probe = Array.from({ length: 50 }, () => xs[0]! + (xs[n - 1]! - xs[0]!) * Math.random());
  assertClose(probe.map((x) => sp.at(line, ml, x)), probe.map((x) => a + b * x), {
    atol: 1e-12,
    label: "line",
  });
  // a Z-like curve on an even grid: the spline is far closer than linear interpolation
  const grid = Array.from({ length: 61 }, (_, i) => -3 + 0.1 * i);
  const z = grid.map((x) => zLike(x, 0.1));
  const sz = new NaturalSpline(grid), mz = sz.fit(z);
  let errSpline = 0, errLinear = 0;
  for (let i = 0; i < grid.length - 1; i++) {
    const x = grid[i]! + 0.05;
    errSpline = Math.max(errSpline, Math.abs(sz.at(z, mz, x) - zLike(x, 0.1)));
    errLinear = Math.max(errLinear, Math.abs((z[i]! + z[i + 1]!) / 2 - zLike(x, 0.1)));
  }
  assert(errSpline < errLinear / 4, `spline ${errSpline} vs linear ${errLinear}`);
  assertThrows(() => new NaturalSpline([0, 1, 1]), /strictly ascending/);
});

Deno.test("estimateWaterShift() finds random shifts of Z-like spectra to a few 1e-3 ppm, and sub-sample when clean", () => {
  const xs = Float64Array.from(PAPER_OFFSETS_PPM);
  let ss = 0, ssClean = 0;
  const N = 60;
  for (let i = 0; i < N; i++) {
    const s = (2 * Math.random() - 1) * 0.6, w = 0.3 + 0.3 * Math.random();
    const clean = Array.from(xs, (x) => zLike(x, s, w));
    const rc = estimateWaterShift(clean, xs);
    assertEquals(rc.method, "lorentzian");
    ssClean += (rc.shiftPpm - s) ** 2;
    const noisy = clean.map((z) => z + 0.01 * gauss()); // SNR 100
    const r = estimateWaterShift(noisy, xs);
    assert(r.method !== "none", `no estimate for shift ${s}: ${r.reason}`);
    ss += (r.shiftPpm - s) ** 2;
  }
  const rmsClean = Math.sqrt(ssClean / N), rms = Math.sqrt(ss / N);
  assert(rmsClean < 0.01, `clean RMS ${rmsClean} ppm`);
  assert(rms < 0.02, `SNR 100 RMS ${rms} ppm`);
});

Deno.test("estimateWaterShift() on simulated 7-pool spectra at SNR 100 (Rician): RMS ≤ 0.02 ppm", () => {
  const space = defaultParamSpace(), seed = Math.floor(Math.random() * 1e9);
  const prot = paperInputProtocol(1);
  const xs = Float64Array.from(prot.offsetsPpm);
  let ss = 0;
  const N = 12;
  for (let i = 0; i < N; i++) {
    const s = (2 * Math.random() - 1) * 0.3;
    const z = simulateCpu(modelFromParams(sampleParams(space, seed, i), space, s), prot);
    const m0 = Math.hypot(1 + 0.01 * gauss(), 0.01 * gauss());
    const noisy = Array.from(z, (v) => Math.hypot(v + 0.01 * gauss(), 0.01 * gauss()) / m0);
    const r = estimateWaterShift(noisy, xs);
    assert(r.method !== "none", r.reason);
    ss += (r.shiftPpm - s) ** 2;
  }
  const rms = Math.sqrt(ss / N);
  assert(rms <= 0.02, `RMS ${rms} ppm`);
});

Deno.test("estimateWaterShift() on a WASSR-like series (narrow dip, ±1 ppm, raw scale)", () => {
  const xs = Float64Array.from({ length: 41 }, (_, i) => -1 + 0.05 * i);
  for (let i = 0; i < 10; i++) {
    const s = (2 * Math.random() - 1) * 0.4, scale = 100 + 1000 * Math.random();
    const z = Array.from(
      xs,
      (x) => scale * (1 - 0.6 / (1 + ((x - s) / 0.12) ** 2) + 0.003 * gauss()),
    );
    const r = estimateWaterShift(z, xs);
    assertEquals(r.method, "lorentzian");
    assert(Math.abs(r.shiftPpm - s) < 0.01, `shift ${r.shiftPpm} vs ${s}`);
  }
});

Deno.test("estimateWaterShift() reports no dip: flat noise, a monotone spectrum, a minimum at the edge, NaN", () => {
  const xs = Float64Array.from({ length: 41 }, (_, i) => -2 + 0.1 * i);
  const flat = Array.from(xs, () => 1 + 0.001 * gauss());
  assertEquals(estimateWaterShift(flat, xs).method, "none");
  assertEquals(estimateWaterShift(Array.from(xs, (x) => 1 + 0.2 * x), xs).method, "none");
  // the dip at +1.9 ppm: outside the search range and at the end
  assertEquals(estimateWaterShift(Array.from(xs, (x) => zLike(x, 1.9)), xs).method, "none");
  const withNaN = Array.from(xs, (x) => zLike(x, 0));
  withNaN[3] = NaN;
  assertEquals(estimateWaterShift(withNaN, xs).method, "none");
});

Deno.test("estimateB0Map() and assertHasDip() on a series in any offset order, with holes", () => {
  const offs = Array.from({ length: 51 }, (_, i) => -3 + 0.12 * i).sort(() => Math.random() - 0.5);
  const nvox = 30;
  const truth = Array.from({ length: nvox }, () => (2 * Math.random() - 1) * 0.3);
  const data = new Float32Array(nvox * offs.length);
  offs.forEach((x, k) => truth.forEach((s, v) => (data[k * nvox + v] = zLike(x, s))));
  const voxels = truth.map((_, v) => v).filter((v) => v % 7 !== 3);
  const est = estimateB0Map(data, nvox, offs, voxels);
  assertEquals(est.fitted, voxels.length);
  for (let v = 0; v < nvox; v++) {
    if (voxels.includes(v)) assert(Math.abs(est.shiftPpm[v]! - truth[v]!) < 0.01, `voxel ${v}`);
    else assert(Number.isNaN(est.shiftPpm[v]!), `voxel ${v} outside the list has a shift`);
  }
  assertHasDip(data, nvox, offs, voxels, "scan.nii.gz", "the Z-spectra");
  const flat = Float32Array.from(data, () => 1 + 0.001 * gauss());
  const e = assertThrows(
    () => assertHasDip(flat, nvox, offs, voxels, "wassr.nii.gz", "the WASSR series"),
    /wassr\.nii\.gz: no water dip in the WASSR series/,
  );
  assert(e instanceof InputError);
  assertThrows(() => sortedOffsets([0, 1, 0]), /appears twice/);
});

Deno.test("resampleToGrid() puts shifted spectra back in the water frame and holds off-range offsets at the end sample, counted", () => {
  const offs = Array.from({ length: 101 }, (_, i) => -6 + 0.12 * i).reverse(); // descending scan
  const grid = PAPER_OFFSETS_PPM;
  const nvox = 20;
  const shift = Float64Array.from({ length: nvox }, () => (2 * Math.random() - 1) * 0.3);
  shift[5] = NaN; // no estimate: left out
  shift[6] = 0;
  const data = new Float32Array(nvox * offs.length);
  offs.forEach((x, k) => shift.forEach((s, v) => (data[k * nvox + v] = zLike(x, s || 0))));
  const voxels = Array.from({ length: nvox }, (_, v) => v).filter((v) => v !== 9);
  const r = resampleToGrid(data, nvox, offs, shift, grid, voxels);
  let held = 0, heldVoxels = 0, maxErr = 0;
  for (const v of voxels) {
    const s = shift[v]!;
    if (Number.isNaN(s)) {
      assert(grid.every((_, k) => Number.isNaN(r.data[k * nvox + v]!)), "NaN shift → NaN");
      continue;
    }
    let h = 0;
    grid.forEach((g, k) => {
      const got = r.data[k * nvox + v]!;
      if (g + s > 6 + 1e-3 || g + s < -6 - 1e-3) {
        h++;
        assertEquals(got, data[(g + s > 6 ? 0 : 100) * nvox + v]!, "held at the end sample");
      } else maxErr = Math.max(maxErr, Math.abs(got - zLike(g, 0)));
    });
    held += h;
    if (h) heldVoxels++;
  }
  assert(maxErr < 2e-3, `max resampling error ${maxErr}`);
  assertEquals([r.clampedValues, r.clampedVoxels], [held, heldVoxels]);
  assert(r.maxBeyondPpm <= 0.3 + 1e-9);
  assert(grid.every((_, k) => Number.isNaN(r.data[k * nvox + 9]!)), "unlisted voxel stays NaN");
  assertThrows(
    () => assertCoversGrid([-4, 0, 4], grid, "scan.nii.gz"),
    /scan\.nii\.gz: offsets -4…4 ppm do not cover the network's offsets -6…6 ppm/,
  );
});
