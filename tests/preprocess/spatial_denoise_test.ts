/** The spatial step of the denoising on fresh random two-tissue volumes. */
import { assert, assertEquals } from "../_assert.ts";
import {
  guidedAverage,
  smoothScale,
  spatialDenoise,
} from "../../src/preprocess/spatial_denoise.ts";
import { gauss } from "../_random.ts";

const OFFS = Array.from({ length: 41 }, (_, i) => -6 + 0.3 * i);

/** Two tissues (left/right half, different shapes), a 16×12×2 volume with a masked hole. */
function twoTissues() {
  const dims = [16, 12, 2] as const, nvox = 16 * 12 * 2, m = OFFS.length;
  const shape = (x: number, t: number) =>
    0.9 - 0.85 / (1 + (x / 0.5) ** 2) - (t ? 0.2 : 0.05) / (1 + ((x + 2.4) / 4) ** 2);
  const clean = new Float32Array(nvox * m);
  const voxels: number[] = [];
  for (let v = 0; v < nvox; v++) {
    const x = v % 16, y = Math.floor(v / 16) % 12;
    if (x >= 6 && x <= 8 && y >= 5 && y <= 7) continue; // a hole in the mask
    voxels.push(v);
    OFFS.forEach((o, k) => (clean[k * nvox + v] = shape(o, x < 8 ? 0 : 1)));
  }
  return { dims, nvox, m, clean, voxels };
}

const err = (
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  nvox: number,
  m: number,
  vox: number[],
) => {
  let s = 0;
  for (const v of vox) {
    for (let k = 0; k < m; k++) s += Math.abs(a[k * nvox + v]! - b[k * nvox + v]!);
  }
  return s / (vox.length * m);
};

Deno.test("smoothScale() removes most of a random per-voxel scale error and keeps the tissue edge", () => {
  const { dims, nvox, m, clean, voxels } = twoTissues();
  const eps = 0.005 + 0.01 * Math.random();
  const noisy = Float32Array.from(clean);
  for (const v of voxels) {
    const f = 1 + eps * gauss();
    for (let k = 0; k < m; k++) noisy[k * nvox + v] = clean[k * nvox + v]! * f;
  }
  const r = smoothScale(noisy, dims, OFFS, voxels, 1e-10);
  assert(r.applied);
  const before = err(noisy, clean, nvox, m, voxels), after = err(r.data, clean, nvox, m, voxels);
  assert(after < before / 2, `scale error ${after} vs ${before}`);
  // clean data: nothing to remove
  const c = smoothScale(clean, dims, OFFS, voxels, 1e-10);
  assert(err(c.data, clean, nvox, m, voxels) < 1e-6, "clean data changed");
  // too few far offsets: not applied
  assertEquals(
    smoothScale(noisy, dims, OFFS.filter((o) => Math.abs(o) < 3), voxels, 1e-10).applied,
    false,
  );
});

Deno.test("guidedAverage() and spatialDenoise() lower white noise without mixing the two tissues; voxels outside the list are untouched", () => {
  const { dims, nvox, m, clean, voxels } = twoTissues();
  const sigma = 0.003 + 0.005 * Math.random();
  const noisy = Float32Array.from(
    clean,
    (c, i) => (voxels.includes(i % nvox) ? c + sigma * gauss() : NaN),
  );
  // no PCA here: like spectra differ by 2σ² per offset
  const avg = guidedAverage(noisy, dims, m, voxels, 2 * sigma * sigma)!;
  const before = err(noisy, clean, nvox, m, voxels);
  assert(err(avg, clean, nvox, m, voxels) < before / 2, "noise halved at least");
  // the edge voxels keep their own tissue (mixing would leave an error of ~0.15 · 0.5)
  const edge = voxels.filter((v) => v % 16 === 7 || v % 16 === 8);
  assert(err(avg, clean, nvox, m, edge) < before, "edge voxels not blurred across");
  const all = spatialDenoise(noisy, dims, OFFS, voxels, sigma * sigma, m);
  // clean data (no noise) is left alone
  const still = spatialDenoise(clean, dims, OFFS, voxels, 0, 5);
  assert(err(still.data, clean, nvox, m, voxels) < 1e-7, "clean data changed");
  assert(all.scaleApplied && all.averaged);
  assert(err(all.data, clean, nvox, m, voxels) < before / 2);
  for (let v = 0; v < nvox; v++) {
    if (!voxels.includes(v)) assert(Number.isNaN(all.data[v]!), `voxel ${v} outside the list`);
  }
});
