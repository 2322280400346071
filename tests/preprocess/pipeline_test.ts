/** The preprocessing pipeline (M0 → B0 → denoise) and its options on fresh random volumes. */
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { assertClose } from "../_util.ts";
import {
  b0MapPathFor,
  type PreprocessInputs,
  preprocessScan,
  readPreprocessInputs,
  type ScanArrays,
} from "../../src/preprocess/pipeline.ts";
import { NO_PREPROCESSING, parseDenoise, resolveB0Flags } from "../../src/preprocess/options.ts";
import { writeNifti } from "../../src/data/nifti.ts";
import { writeSidecar } from "../../src/data/sidecar.ts";
import { GAMMA_HZ_PER_UT } from "../../src/physics/constants.ts";
import { InputError } from "../../src/util/errors.ts";
import { withTempDir } from "../_tmp.ts";
import { gauss } from "../_random.ts";

/** A Z-like spectrum with the water dip at s and a per-voxel amplitude of two features. */
function zLike(x: number, s: number, a: number, b: number): number {
  const lor = (c: number, h: number, amp: number) => amp / (1 + ((x - c) / h) ** 2);
  return 0.95 - lor(s, 0.4, 0.9) - lor(s - 2.4, 5, a) - lor(s + 3.5, 0.5, b);
}

const GRID = Array.from({ length: 61 }, (_, i) => -3 + 0.1 * i);

/**
 * A 12×10×2 volume: raw signal = Z(shifted) × M0 + noise, a mask with holes, two NaN voxels;
 * returns it with the truth (shift, Z in the water frame).
 */
function volume(sigma: number, maxShift = 0.3) {
  const dims = [12, 10, 2] as const, nvox = 240, n = GRID.length;
  const mask = Float32Array.from({ length: nvox }, () => (Math.random() < 0.85 ? 1 : 0));
  const shift = Float64Array.from({ length: nvox }, (_, v) => maxShift * Math.sin(v / 37 + 1));
  const m0 = Float32Array.from({ length: nvox }, () => 500 + 500 * Math.random());
  const data = new Float32Array(nvox * n), truth = new Float32Array(nvox * n);
  for (let v = 0; v < nvox; v++) {
    const a = 0.05 + 0.15 * Math.random(), b = 0.05 * Math.random();
    GRID.forEach((x, k) => {
      data[k * nvox + v] = m0[v]! * (zLike(x, shift[v]!, a, b) + sigma * gauss());
      truth[k * nvox + v] = zLike(x, 0, a, b);
    });
  }
  const nanVoxels = [3, 77].filter((v) => mask[v]);
  for (const v of nanVoxels) data[5 * nvox + v] = NaN;
  const scan: ScanArrays = {
    data,
    dims,
    offsetsPpm: GRID,
    mask,
    m0,
    source: "raw.nii.gz",
    m0Source: "m0.nii.gz",
  };
  return { scan, nvox, shift, truth, mask, nanVoxels };
}

const inputs = (b0: PreprocessInputs["b0"], denoise = false): PreprocessInputs => ({
  choice: {
    b0: b0.kind === "wassr" || b0.kind === "map" ? { kind: b0.kind, path: b0.path } : b0,
    denoise: denoise ? { kind: "pca", criterion: "median", spatial: true } : { kind: "none" },
  },
  b0,
});

Deno.test("preprocessScan(): M0 → B0 auto → PCA on a random volume with mask holes and NaN voxels", () => {
  const { scan, nvox, shift, truth, mask, nanVoxels } = volume(0.01);
  const lines: string[] = [];
  const r = preprocessScan(scan, inputs({ kind: "auto" }, true), { log: (l) => lines.push(l) });
  assertEquals(lines.length, 4, lines.join("\n"));
  assert(
    lines[0]!.startsWith("M0:") && lines[1]!.startsWith("B0:") && lines[3]!.startsWith("denoise:"),
  );
  assertEquals(r.offsetsPpm, GRID);
  const inside = Array.from({ length: nvox }, (_, v) => v).filter((v) => mask[v]);
  const good = inside.filter((v) => !nanVoxels.includes(v));
  assertEquals(r.report.voxels, good.length);
  assertEquals(r.report.leftOut, nanVoxels.length);
  assertEquals(r.report.denoise?.criterion, "median");
  assert(r.report.denoise!.components >= 2 && r.report.denoise!.components < 20);
  // B0 map: accurate inside, NaN voxels NaN, outside the mask 0
  let ss = 0;
  for (const v of good) ss += (r.b0ShiftPpm![v]! - shift[v]!) ** 2;
  assert(Math.sqrt(ss / good.length) < 0.02, `B0 RMS ${Math.sqrt(ss / good.length)}`);
  for (const v of nanVoxels) {
    assert(GRID.every((_, k) => Number.isNaN(r.data[k * nvox + v]!)), `NaN voxel ${v}`);
  }
  for (let v = 0; v < nvox; v++) {
    if (!mask[v]) assert(GRID.every((_, k) => r.data[k * nvox + v] === 0), `outside ${v}`);
  }
  // the corrected, denoised Z is closer to the water-frame truth than the raw Z / M0
  let errOut = 0, errIn = 0;
  for (const v of good) {
    GRID.forEach((_, k) => {
      const i = k * nvox + v;
      errOut += Math.abs(r.data[i]! - truth[i]!);
      errIn += Math.abs(scan.data[i]! / scan.m0![v]! - truth[i]!);
    });
  }
  assert(errOut < errIn / 3, `error after ${errOut} vs before ${errIn}`);
});

Deno.test("preprocessScan() without a mask: the M0's signal mask keeps the background's noise out of B0 and PCA", () => {
  const { scan, nvox, shift } = volume(0.01);
  // background: M0 and signal are noise only
  const m0 = Float32Array.from(scan.m0!);
  const data = Float32Array.from(scan.data);
  const background = Array.from({ length: nvox }, (_, v) => v).filter((v) => !scan.mask![v]);
  for (const v of background) {
    m0[v] = Math.abs(5 * gauss());
    for (let k = 0; k < GRID.length; k++) data[k * nvox + v] = Math.abs(5 * gauss());
  }
  m0[background[0]!] = 0; // a zero M0 in the background is fine without a mask
  const lines: string[] = [];
  const r = preprocessScan(
    { ...scan, data, m0, mask: undefined },
    inputs({ kind: "auto" }, true),
    { log: (l) => lines.push(l) },
  );
  assert(/no mask given: the \d+ voxels with M0 ≥/.test(lines[0]!), lines[0]);
  for (const v of background) assertEquals(r.mask[v], 0, `background voxel ${v}`);
  let ss = 0, n = 0;
  for (let v = 0; v < nvox; v++) {
    if (!r.mask[v] || !Number.isFinite(r.b0ShiftPpm![v]!)) continue;
    ss += (r.b0ShiftPpm![v]! - shift[v]!) ** 2;
    n++;
  }
  assert(
    n > 0.8 * (nvox - background.length) && Math.sqrt(ss / n) < 0.02,
    `B0 RMS ${Math.sqrt(ss / n)} over ${n}`,
  );
});

Deno.test("preprocessScan(): without B0 and denoise only divides by M0 and leaves the offsets alone", () => {
  const { scan, nvox } = volume(0, 0);
  const r = preprocessScan(scan, { choice: NO_PREPROCESSING, b0: { kind: "none" } });
  assertEquals(r.b0ShiftPpm, undefined);
  const v = Array.from({ length: nvox }, (_, i) => i).find((i) => scan.mask![i] && i !== 3)!;
  assertClose(
    GRID.map((_, k) => r.data[k * nvox + v]!),
    GRID.map((_, k) => scan.data[k * nvox + v]! / scan.m0![v]!),
    { rtol: 1e-6, label: "Z = S / M0" },
  );
});

Deno.test("preprocessScan(): bad input is an InputError naming the file: M0 zeros in the mask, a grid beyond the offsets, too few voxels", () => {
  const { scan } = volume(0.01);
  const inMask = Array.from(scan.mask!).findIndex((m) => m);
  const m0 = Float32Array.from(scan.m0!);
  m0[inMask] = 0;
  const e = assertThrows(
    () => preprocessScan({ ...scan, m0 }, inputs({ kind: "auto" })),
    /^m0\.nii\.gz: M0 is zero, negative or not finite at 1 voxel\(s\) inside the mask/,
  );
  assert(e instanceof InputError);
  // a zero outside the mask is fine
  const outMask = Array.from(scan.mask!).findIndex((m) => !m);
  const m0b = Float32Array.from(scan.m0!);
  m0b[outMask] = 0;
  preprocessScan({ ...scan, m0: m0b }, { choice: NO_PREPROCESSING, b0: { kind: "none" } });
  assertThrows(
    () => preprocessScan(scan, inputs({ kind: "auto" }), { gridPpm: [-6, 0, 6] }),
    /raw\.nii\.gz: offsets -3…3 ppm do not cover the network's offsets -6…6 ppm/,
  );
  const tiny = new Float32Array(scan.mask!.length);
  tiny[Array.from(scan.mask!).findIndex((m) => m)] = 1;
  assertThrows(
    () => preprocessScan({ ...scan, mask: tiny }, inputs({ kind: "none" }, true)),
    /PCA denoising needs at least 3 voxels/,
  );
});

Deno.test("readPreprocessInputs() + preprocessScan(): a WASSR series gives the shift, one without a dip is an error; a B0 map in Hz is converted, one without a unit is an error", async () => {
  await withTempDir({ prefix: "quass_pre_" }, async (dir) => {
    const { scan, nvox, shift, nanVoxels } = volume(0.005);
    const processed = (v: number) => scan.mask![v] && !nanVoxels.includes(v);
    const dims = [12, 10, 2, 1] as [number, number, number, number];
    // WASSR: narrow dip, ±1 ppm, raw scale
    const wx = Array.from({ length: 21 }, (_, i) => -1 + 0.1 * i);
    const wassr = new Float32Array(nvox * wx.length);
    wx.forEach((x, k) => {
      for (let v = 0; v < nvox; v++) {
        wassr[k * nvox + v] = 800 * (1 - 0.7 / (1 + ((x - shift[v]!) / 0.15) ** 2));
      }
    });
    await writeNifti(`${dir}/wassr.nii.gz`, { dims: [12, 10, 2, wx.length], data: wassr });
    await writeSidecar(`${dir}/wassr.nii.gz`, { offsetsPpm: wx });
    const w = await readPreprocessInputs({
      ...NO_PREPROCESSING,
      b0: { kind: "wassr", path: `${dir}/wassr.nii.gz` },
    }, dims);
    const r = preprocessScan(scan, w);
    assertEquals(r.report.b0?.source, "wassr");
    for (let v = 0; v < nvox; v++) {
      if (processed(v)) {
        assert(Math.abs(r.b0ShiftPpm![v]! - shift[v]!) < 0.005, `WASSR voxel ${v}`);
      }
    }
    const flat = Float32Array.from(wassr, () => 800 + gauss());
    await writeNifti(`${dir}/flat.nii.gz`, { dims: [12, 10, 2, wx.length], data: flat });
    await writeSidecar(`${dir}/flat.nii.gz`, { offsetsPpm: wx });
    const f = await readPreprocessInputs({
      ...NO_PREPROCESSING,
      b0: { kind: "wassr", path: `${dir}/flat.nii.gz` },
    }, dims);
    assertThrows(() => preprocessScan(scan, f), /flat\.nii\.gz: no water dip in the WASSR series/);
    // a B0 map in Hz (unit in its sidecar) at 7 T
    const hz = Float32Array.from(shift, (s) => s * GAMMA_HZ_PER_UT * 7);
    await writeNifti(`${dir}/b0hz.nii.gz`, { dims, data: hz });
    await writeSidecar(`${dir}/b0hz.nii.gz`, { unit: "Hz" });
    const m = await readPreprocessInputs(
      { ...NO_PREPROCESSING, b0: { kind: "map", path: `${dir}/b0hz.nii.gz` } },
      dims,
      7,
    );
    assert(m.b0.kind === "map" && m.b0.unit === "hz");
    const rm = preprocessScan(scan, m);
    for (let v = 0; v < nvox; v++) {
      if (processed(v)) {
        assertClose([rm.b0ShiftPpm![v]!], [shift[v]!], { atol: 1e-5, label: `map voxel ${v}` });
      }
    }
    await writeNifti(`${dir}/b0.nii.gz`, { dims, data: hz });
    await assertRejects(
      () =>
        readPreprocessInputs(
          { ...NO_PREPROCESSING, b0: { kind: "map", path: `${dir}/b0.nii.gz` } },
          dims,
        ),
      /b0\.nii\.gz: the B0 map's unit is unknown: add "unit": "ppm" or "Hz"/,
    );
    // the flag's unit wins; a WASSR series with other x, y, z is refused
    const u = await readPreprocessInputs({
      ...NO_PREPROCESSING,
      b0: { kind: "map", path: `${dir}/b0.nii.gz`, unit: "hz" },
    }, dims);
    assert(u.b0.kind === "map" && u.b0.unit === "hz");
    await assertRejects(
      () =>
        readPreprocessInputs({
          ...NO_PREPROCESSING,
          b0: { kind: "wassr", path: `${dir}/wassr.nii.gz` },
        }, [12, 9, 2]),
      /wassr\.nii\.gz: dims are \[12,10,2,21\] but \[12,9,2\] were expected \(a WASSR series/,
    );
  });
});

Deno.test("preprocessing options: --denoise and the B0 flags parse, contradictions are InputErrors; B0 map path", () => {
  assertEquals(parseDenoise("pca"), { kind: "pca", criterion: "median", spatial: true });
  assertEquals(parseDenoise("PCA:Nelson"), { kind: "pca", criterion: "nelson", spatial: true });
  assertEquals(parseDenoise("pca:nospatial"), { kind: "pca", criterion: "median", spatial: false });
  assertEquals(parseDenoise("pca:malinowski:nospatial"), {
    kind: "pca",
    criterion: "malinowski",
    spatial: false,
  });
  assertThrows(() => parseDenoise("pca:median:nelson"), /expected none, pca/);
  assertEquals(parseDenoise("none"), { kind: "none" });
  assertThrows(
    () => parseDenoise("pca:foo"),
    /--denoise "pca:foo": expected none, pca or pca:median\|malinowski\|nelson/,
  );
  assertThrows(() => parseDenoise("wavelet"), /expected none, pca/);
  assertEquals(resolveB0Flags({}), { kind: "none" });
  assertEquals(resolveB0Flags({ b0: "auto" }), { kind: "auto" });
  assertEquals(resolveB0Flags({ wassr: "w.nii" }), { kind: "wassr", path: "w.nii" });
  assertEquals(resolveB0Flags({ b0: "auto", b0Map: "m.nii", b0MapUnit: "Hz" }), {
    kind: "map",
    path: "m.nii",
    unit: "hz",
  });
  assertThrows(() => resolveB0Flags({ b0: "yes" }), /--b0 "yes": expected none or auto/);
  assertThrows(
    () => resolveB0Flags({ b0: "none", wassr: "w.nii" }),
    /--b0 none contradicts --wassr/,
  );
  assertThrows(() => resolveB0Flags({ wassr: "w", b0Map: "m" }), /both given/);
  assertThrows(() => resolveB0Flags({ b0Map: "m", b0MapUnit: "tesla" }), /expected ppm or Hz/);
  assertThrows(() => resolveB0Flags({ b0MapUnit: "ppm" }), /without --b0-map/);
  assertEquals(b0MapPathFor("out/pred.nii.gz"), "out/pred_b0.nii.gz");
  assertEquals(b0MapPathFor("pred.nii"), "pred_b0.nii");
});
