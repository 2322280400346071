import {
  evaluateVolumes,
  nearestOffsetIndex,
  REGRESSION_OFFSETS_PPM,
  type Volume4D,
  voxelsFromLabels,
} from "../../src/eval/evaluate.ts";
import { ssim } from "../../src/eval/metrics.ts";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import { assertClose } from "../_util.ts";

/** Random Z-like volume [nx, ny, nz, nt] and a disc mask. */
function fixture(nx: number, ny: number, nz: number, nt: number) {
  const dims = [nx, ny, nz, nt] as const;
  const ref = new Float32Array(nx * ny * nz * nt);
  for (let i = 0; i < ref.length; i++) ref[i] = 0.2 + 0.7 * Math.random();
  const mask = new Float32Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        mask[x + nx * (y + ny * z)] = Math.hypot(x - nx / 2, y - ny / 2) < nx / 3 ? 1 : 0;
      }
    }
  }
  const offsetsPpm = Array.from({ length: nt }, (_, i) => -6 + (12 * i) / (nt - 1));
  return { dims, ref, mask, offsetsPpm, maskVol: { dims: [nx, ny, nz, 1] as const, data: mask } };
}

Deno.test("evaluateVolumes() gives SSIM 1, MSE 0, PSNR ∞ and R² 1 for a perfect prediction", () => {
  const f = fixture(16, 14, 2, 31);
  const vol: Volume4D = { dims: f.dims, data: f.ref };
  const ev = evaluateVolumes({
    pred: vol,
    reference: vol,
    mask: f.maskVol,
    offsetsPpm: f.offsetsPpm,
  });
  assertEquals(ev.perOffset.length, 31);
  for (const m of ev.perOffset) {
    assertAlmostEquals(m.ssim, 1, 1e-12);
    assertEquals(m.mse, 0);
    assertEquals(m.psnr, Infinity);
  }
  assertEquals(ev.mean.mae, 0);
  for (const r of ev.regressions) {
    assertAlmostEquals(r.slope, 1, 1e-12);
    assertAlmostEquals(r.r2, 1, 1e-12);
  }
  assertEquals(ev.maskVoxels, f.mask.reduce((a, b) => a + b, 0));
});

Deno.test("evaluateVolumes() with a constant error d: masked MAE d, slab MSE d²·(mask fraction), slope 1, intercept d", () => {
  const f = fixture(16, 16, 3, 21);
  const d = 0.005 + 0.02 * Math.random();
  const nvox = 16 * 16 * 3;
  const pred = f.ref.map((v) => v + d);
  const ev = evaluateVolumes({
    pred: { dims: f.dims, data: pred },
    reference: { dims: f.dims, data: f.ref },
    mask: f.maskVol,
    offsetsPpm: f.offsetsPpm,
  });
  const frac = ev.maskVoxels / nvox;
  assertAlmostEquals(ev.mean.mae, d, 1e-6); // f32 storage of ref + d
  for (const m of ev.perOffset) {
    assertAlmostEquals(m.mse, d * d * frac, 1e-7);
    assertAlmostEquals(m.psnr, 10 * Math.log10(1 / (d * d * frac)), 1e-2);
  }
  for (const r of ev.regressions) {
    assertAlmostEquals(r.slope, 1, 1e-5);
    assertAlmostEquals(r.intercept, d, 1e-5);
    assertAlmostEquals(r.r2, 1, 1e-9);
    assertEquals(r.n, ev.maskVoxels);
  }
  // per-offset SSIM is the mean over z-slices of ssim() on the masked slices
  const t = 7, sl = 256;
  let s = 0;
  for (let z = 0; z < 3; z++) {
    const a = new Float64Array(sl), b = new Float64Array(sl);
    for (let i = 0; i < sl; i++) {
      const v = z * sl + i, m = f.mask[v]!;
      a[i] = m ? pred[v + nvox * t]! : 0;
      b[i] = m ? f.ref[v + nvox * t]! : 0;
    }
    s += ssim(a, b, 16, 16);
  }
  assertAlmostEquals(ev.perOffset[t]!.ssim, s / 3, 1e-12);
  // error map: d inside the mask, 0 outside
  for (let v = 0; v < nvox; v++) {
    assertAlmostEquals(ev.errorMap[v + nvox * t]!, f.mask[v] ? d : 0, 1e-6);
  }
});

Deno.test("evaluateVolumes() regresses at the nearest acquired offsets and says which were used", () => {
  const f = fixture(12, 12, 1, 11); // offsets −6, −4.8, …, 6
  const vol: Volume4D = { dims: f.dims, data: f.ref };
  const ev = evaluateVolumes({ pred: vol, reference: vol, offsetsPpm: f.offsetsPpm });
  assertEquals(ev.regressions.map((r) => r.requestedPpm), [...REGRESSION_OFFSETS_PPM]);
  assertClose(ev.regressions.map((r) => r.offsetPpm), [-3.6, -2.4, -1.2, 1.2, 2.4, 3.6], {
    atol: 1e-12,
  });
  assertEquals(nearestOffsetIndex([-1, 0, 1], 0.4), 1);
  assertEquals(nearestOffsetIndex([-1, 0, 1], -7), 0);
});

Deno.test("evaluateVolumes() leaves out and counts masked voxels with NaN/Inf values", () => {
  const f = fixture(16, 16, 1, 5);
  const pred = f.ref.slice();
  const nvox = 256;
  const inside = [...f.mask.keys()].filter((v) => f.mask[v]);
  pred[inside[0]! + nvox * 2] = NaN;
  pred[inside[1]! + nvox * 4] = Infinity;
  const ev = evaluateVolumes({
    pred: { dims: f.dims, data: pred },
    reference: { dims: f.dims, data: f.ref },
    mask: f.maskVol,
    offsetsPpm: f.offsetsPpm,
  });
  assertEquals(ev.nonFiniteVoxels, 2);
  assertEquals(ev.maskVoxels, inside.length - 2);
  assertEquals(ev.mean.mae, 0);
  assert(ev.perOffset.every((m) => Number.isFinite(m.ssim) && m.mse === 0));
});

Deno.test("evaluateVolumes() keeps spectra at the chosen voxels and rejects mismatched inputs", () => {
  const f = fixture(16, 16, 2, 9);
  const input = f.ref.map((v) => v * 0.9);
  const vol: Volume4D = { dims: f.dims, data: f.ref };
  const ev = evaluateVolumes({
    pred: vol,
    reference: vol,
    input: { dims: f.dims, data: input },
    offsetsPpm: f.offsetsPpm,
    voxels: [{ label: "GM", x: 3, y: 5, z: 1 }],
  });
  const v = 3 + 16 * (5 + 16 * 1);
  assertEquals(ev.spectra[0]!.label, "GM");
  assertClose(ev.spectra[0]!.reference, Array.from({ length: 9 }, (_, t) => f.ref[v + 512 * t]!), {
    atol: 0,
  });
  assertClose(ev.spectra[0]!.input!, Array.from({ length: 9 }, (_, t) => input[v + 512 * t]!), {
    atol: 0,
  });
  assert(ev.inputMae! > 0);
  assertThrows(
    () =>
      evaluateVolumes({
        pred: vol,
        reference: { dims: [16, 16, 1, 9], data: f.ref },
        offsetsPpm: f.offsetsPpm,
      }),
    /reference: dims \[16,16,1,9\] differ/,
  );
  assertThrows(
    () => evaluateVolumes({ pred: vol, reference: vol, offsetsPpm: [1, 2] }),
    /Expected 9 offsets/,
  );
  assertThrows(
    () =>
      evaluateVolumes({
        pred: vol,
        reference: vol,
        offsetsPpm: f.offsetsPpm,
        voxels: [{ label: "x", x: 16, y: 0, z: 0 }],
      }),
    /outside the volume/,
  );
});

Deno.test("voxelsFromLabels() picks the labelled voxel nearest each label's centroid", () => {
  const nx = 10, ny = 8;
  const data = new Float32Array(nx * ny);
  // label 1: a 3×3 block centred at (2, 2); label 4: a U shape whose centroid (7, 6.33) lies off the shape
  for (let y = 1; y <= 3; y++) for (let x = 1; x <= 3; x++) data[x + nx * y] = 1;
  for (const [x, y] of [[5, 5], [9, 5], [5, 6], [9, 6], [5, 7], [6, 7], [7, 7], [8, 7], [9, 7]]) {
    data[x! + nx * y!] = 4;
  }
  const v = voxelsFromLabels({ dims: [nx, ny, 1, 1], data }, { 1: "GM" });
  assertEquals(v[0], { label: "GM", x: 2, y: 2, z: 0 });
  assertEquals(v[1], { label: "label 4", x: 7, y: 7, z: 0 });
});
