/** predictVolumeFile() with the real-scan preprocessing (M0 → B0 → denoise), a stand-in network. */
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { predictVolumeFile, type RunLoader } from "../../src/eval/predict_volume.ts";
import { readNifti, writeNifti } from "../../src/data/nifti.ts";
import { readSidecar, writeSidecar } from "../../src/data/sidecar.ts";
import { exists } from "../../src/util/atomic.ts";
import { InputError } from "../../src/util/errors.ts";
import type { PreprocessChoice } from "../../src/preprocess/options.ts";
import { withTempDir } from "../_tmp.ts";
import { gauss } from "../_random.ts";

const GRID = Array.from({ length: 61 }, (_, i) => -3 + 0.1 * i);

/** The stand-in network returns its input: the prediction is the preprocessed spectrum. */
const echoLoader: RunLoader = (run) =>
  Promise.resolve({
    name: run,
    arch: "echo",
    offsetsPpm: GRID,
    predict: (x) => Promise.resolve(Float32Array.from(x)),
  });

const z = (x: number, s: number, a: number) =>
  0.95 - 0.9 / (1 + ((x - s) / 0.4) ** 2) - a / (1 + ((x - s + 2.4) / 5) ** 2);

/** A 10×10×1 raw series with a smooth B0 field, its M0, a mask with holes. */
async function scanFiles(dir: string, offsets = GRID) {
  const nvox = 100;
  const shift = Float32Array.from({ length: nvox }, (_, v) => 0.25 * Math.cos(v / 23));
  const m0 = Float32Array.from({ length: nvox }, () => 200 + 100 * Math.random());
  const mask = Float32Array.from({ length: nvox }, () => (Math.random() < 0.9 ? 1 : 0));
  const data = new Float32Array(nvox * offsets.length);
  for (let v = 0; v < nvox; v++) {
    const a = 0.05 + 0.1 * Math.random();
    offsets.forEach((x, k) => {
      data[k * nvox + v] = m0[v]! * (z(x, shift[v]!, a) + 0.01 * gauss());
    });
  }
  const p = (f: string) => `${dir}/${f}`;
  await writeNifti(p("raw.nii.gz"), { dims: [10, 10, 1, offsets.length], data, ndim: 4 });
  await writeSidecar(p("raw.nii.gz"), { offsetsPpm: offsets, tsS: 1.5, tdS: 4.5, b0T: 7 });
  await writeNifti(p("m0.nii.gz"), { dims: [10, 10, 1, 1], data: m0 });
  await writeNifti(p("mask.nii.gz"), { dims: [10, 10, 1, 1], data: mask });
  return {
    raw: p("raw.nii.gz"),
    m0: p("m0.nii.gz"),
    mask: p("mask.nii.gz"),
    shift,
    m0Data: m0,
    maskData: mask,
  };
}

const FULL: PreprocessChoice = {
  b0: { kind: "auto" },
  denoise: { kind: "pca", criterion: "malinowski", spatial: true },
};

Deno.test("predictVolumeFile() with --m0 --b0 auto --denoise pca: one line per stage, the B0 map beside the output, the sidecar records the stages", async () => {
  await withTempDir({ prefix: "quass_prepro_" }, async (dir) => {
    const f = await scanFiles(dir);
    const out = `${dir}/pred.nii.gz`;
    const lines: string[] = [];
    const res = await predictVolumeFile({
      run: "runs/echo",
      input: f.raw,
      m0: f.m0,
      mask: f.mask,
      preprocess: FULL,
      out,
      onStage: (l) => lines.push(l),
    }, echoLoader);
    assertEquals(lines.map((l) => l.split(":")[0]), ["M0", "B0", "B0", "denoise"]);
    assertEquals(res.b0MapPath, `${dir}/pred_b0.nii.gz`);
    const b0 = await readNifti(res.b0MapPath!);
    assertEquals(b0.dims, [10, 10, 1, 1]);
    let ss = 0, n = 0;
    for (let v = 0; v < 100; v++) {
      if (!f.maskData[v]) continue;
      ss += (b0.data[v]! - f.shift[v]!) ** 2;
      n++;
    }
    assert(Math.sqrt(ss / n) < 0.02, `B0 RMS ${Math.sqrt(ss / n)}`);
    const b0Side = await readSidecar(res.b0MapPath!);
    assertEquals([b0Side?.unit, b0Side?.source], ["ppm", "z-spectra"]);
    const side = await readSidecar(out, GRID.length);
    const pre = side?.preprocessing as Record<string, Record<string, unknown>>;
    assertEquals(pre.denoise!.criterion, "malinowski");
    assert(typeof pre.denoise!.components === "number" && pre.denoise!.components >= 1);
    assertEquals(pre.b0!.source, "z-spectra");
    assertEquals(pre.m0!.file, f.m0);
    // the echo network returns Z in the water frame: the dip sits at 0 ppm in every voxel
    const pred = await readNifti(out);
    for (let v = 0; v < 100; v++) {
      if (!f.maskData[v]) continue;
      const spec = GRID.map((_, k) => pred.data[k * 100 + v]!);
      const kMin = spec.indexOf(Math.min(...spec));
      assert(Math.abs(GRID[kMin]!) <= 0.11, `voxel ${v}: dip at ${GRID[kMin]} ppm`);
    }
  });
});

Deno.test("predictVolumeFile() with preprocessing: bad input is one InputError naming the file, and nothing is written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "quass_prepro_bad_" });
  const out = `${dir}/pred.nii.gz`;
  const nothingWritten = async () =>
    assert(
      !(await exists(out)) && !(await exists(`${dir}/pred.json`)) &&
        !(await exists(`${dir}/pred_b0.nii.gz`)),
      "nothing may be written",
    );
  try {
    const f = await scanFiles(dir);
    const run = (o: Partial<Parameters<typeof predictVolumeFile>[0]>) =>
      predictVolumeFile({
        run: "r",
        input: f.raw,
        m0: f.m0,
        mask: f.mask,
        preprocess: FULL,
        out,
        ...o,
      }, echoLoader);
    // M0 with zeros inside the mask
    const m0z = Float32Array.from(f.m0Data);
    m0z[f.maskData.findIndex((m) => m !== 0)] = 0;
    await writeNifti(`${dir}/m0zero.nii.gz`, { dims: [10, 10, 1, 1], data: m0z });
    const e = await assertRejects(
      () => run({ m0: `${dir}/m0zero.nii.gz` }),
      /m0zero\.nii\.gz: M0 is zero, negative or not finite at 1 voxel\(s\) inside the mask/,
    );
    assert(e instanceof InputError);
    // an M0 of another shape
    await writeNifti(`${dir}/m0small.nii.gz`, {
      dims: [10, 9, 1, 1],
      data: new Float32Array(90).fill(1),
    });
    await assertRejects(
      () => run({ m0: `${dir}/m0small.nii.gz` }),
      /m0small\.nii\.gz: dims are \[10,9,1,1\]/,
    );
    // offsets that do not cover the network's grid
    const narrow = GRID.filter((x) => Math.abs(x) <= 2.001);
    const sub = await Deno.makeTempDir({ dir, prefix: "narrow" });
    const g = await scanFiles(sub, narrow);
    await assertRejects(
      () => run({ input: g.raw, m0: g.m0, mask: g.mask }),
      /raw\.nii\.gz: offsets -2…2 ppm do not cover the network's offsets -3…3 ppm/,
    );
    // a WASSR series without a dip
    const wx = Array.from({ length: 11 }, (_, i) => -1 + 0.2 * i);
    await writeNifti(`${dir}/wassr.nii.gz`, {
      dims: [10, 10, 1, 11],
      data: Float32Array.from({ length: 1100 }, () => 100 + Math.random()),
      ndim: 4,
    });
    await writeSidecar(`${dir}/wassr.nii.gz`, { offsetsPpm: wx });
    await assertRejects(
      () => run({ preprocess: { ...FULL, b0: { kind: "wassr", path: `${dir}/wassr.nii.gz` } } }),
      /wassr\.nii\.gz: no water dip in the WASSR series/,
    );
    await nothingWritten();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
