import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { assertClose } from "../_util.ts";
import {
  interpolationPlan,
  predictVolumeData,
  predictVolumeFile,
  type RunLoader,
  type SpectraPredictor,
} from "../../src/eval/predict_volume.ts";
import { readNifti, writeNifti } from "../../src/data/nifti.ts";
import { readSidecar, writeSidecar } from "../../src/data/sidecar.ts";
import { exists } from "../../src/util/atomic.ts";
import { InputError } from "../../src/util/errors.ts";
import { withTempDir } from "../_tmp.ts";

/** A stand-in network: y_k = 0.5·x_k + 0.1·k (so the output depends on position and value). */
const fakeNet: SpectraPredictor = (x, n) => {
  const T = x.length / n;
  return Promise.resolve(Float32Array.from(x, (v, i) => 0.5 * v + 0.1 * (i % T)));
};
const fakeRef = (spec: number[]) => spec.map((v, k) => 0.5 * v + 0.1 * k);

Deno.test("predictVolumeData() masks, divides by M0, batches and leaves out NaN voxels", async () => {
  const nvox = 37, T = 7;
  const offs = Array.from({ length: T }, (_, k) => -3 + k);
  const data = Float32Array.from({ length: nvox * T }, () => 100 * Math.random());
  const m0 = Float32Array.from({ length: nvox }, () => 100 + 50 * Math.random());
  const mask = Uint8Array.from({ length: nvox }, () => (Math.random() < 0.8 ? 1 : 0));
  mask[3] = 1, mask[4] = 1, mask[5] = 1;
  data[2 * nvox + 3] = NaN; // NaN input
  data[4] = Infinity; // Inf input
  m0[5] = 0; // invalid M0
  const batch = 1 + Math.floor(Math.random() * 6);
  let calls = 0;
  const res = await predictVolumeData(
    {
      data,
      nvox,
      offsetsPpm: offs,
      modelInputOffsetsPpm: offs,
      modelOutputLength: T,
      mask,
      m0,
      batch,
    },
    (x, n) => (calls++, assert(n <= batch), fakeNet(x, n)),
  );
  assertEquals(res.skipped, [3, 4, 5]);
  const expectN = mask.reduce((s, x) => s + x, 0) - 3;
  assertEquals(res.predicted, expectN);
  assertEquals(calls, Math.ceil(expectN / batch));
  for (let v = 0; v < nvox; v++) {
    const got = Array.from({ length: T }, (_, k) => res.data[k * nvox + v]!);
    if (!mask[v] || v === 3 || v === 4 || v === 5) {
      assert(got.every((g) => g === 0), `voxel ${v} must be 0`);
      continue;
    }
    const spec = Array.from({ length: T }, (_, k) => data[k * nvox + v]! / m0[v]!);
    assertClose(got, fakeRef(spec), { atol: 1e-5, rtol: 1e-5, label: `voxel ${v}` });
  }
  assert(res.data.every(Number.isFinite), "no NaN/Inf propagates to the output");
});

Deno.test("predictVolumeData() rejects mismatched offsets unless asked to interpolate, then resamples linearly", async () => {
  const nvox = 5;
  const scanOffs = [-6, -4.5, -2, -1, 0, 1.5, 3, 4, 6];
  const modelOffs = Array.from({ length: 13 }, (_, k) => -6 + k);
  // spectra linear in the offset: linear interpolation is exact
  const a = Array.from({ length: nvox }, () => Math.random()),
    b = Array.from({ length: nvox }, () => Math.random() * 0.1);
  const data = new Float32Array(nvox * scanOffs.length);
  scanOffs.forEach((o, k) => a.forEach((_, v) => (data[k * nvox + v] = a[v]! + b[v]! * o)));
  const inp = {
    data,
    nvox,
    offsetsPpm: scanOffs,
    modelInputOffsetsPpm: modelOffs,
    modelOutputLength: 13,
  };
  const e = await assertRejects(
    () => predictVolumeData(inp, fakeNet),
    /do not match the network's.*--interpolate/,
  );
  assert(e instanceof InputError);
  const res = await predictVolumeData({ ...inp, interpolate: true }, fakeNet);
  assert(res.interpolated);
  for (let v = 0; v < nvox; v++) {
    const want = fakeRef(modelOffs.map((o) => a[v]! + b[v]! * o));
    assertClose(modelOffs.map((_, k) => res.data[k * nvox + v]!), want, {
      atol: 1e-5,
      label: `voxel ${v}`,
    });
  }
  // no extrapolation
  await assertRejects(
    () =>
      predictVolumeData({
        ...inp,
        offsetsPpm: scanOffs.slice(1),
        data: data.subarray(nvox),
        interpolate: true,
      }, fakeNet),
    /outside the scan's offsets/,
  );
});

Deno.test("interpolationPlan() handles descending offsets", () => {
  const from = [3, 2, 1, 0], to = [0.5, 2.25];
  const { lo, w } = interpolationPlan(from, to);
  const vals = [30, 20, 10, 0]; // = 10·offset
  const got = to.map((_, k) => (1 - w[k]!) * vals[lo[2 * k]!]! + w[k]! * vals[lo[2 * k + 1]!]!);
  assertClose(got, [5, 22.5], { atol: 1e-12, label: "interpolated" });
});

const T = 9;
const OFFS = Array.from({ length: T }, (_, k) => -4 + k);
const fakeLoader: RunLoader = (run) =>
  Promise.resolve({
    name: run,
    arch: "fake",
    offsetsPpm: OFFS,
    targetTsS: 5,
    targetTdS: 1,
    predict: fakeNet,
  });

async function _scan(
  dir: string,
  dims: [number, number, number, number],
  sidecar = true,
  fill?: (i: number) => number,
) {
  const path = `${dir}/scan.nii.gz`;
  const n = dims[0] * dims[1] * dims[2] * dims[3];
  await writeNifti(path, {
    dims,
    data: Float32Array.from({ length: n }, (_, i) => fill ? fill(i) : Math.random()),
    ndim: 4,
  });
  if (sidecar) {
    await writeSidecar(path, { offsetsPpm: OFFS.slice(0, dims[3]), tsS: 1.5, tdS: 4.5, b1UT: 1 });
  }
  return path;
}

Deno.test("predictVolumeFile() writes the prediction and its sidecar", async () => {
  await withTempDir({ prefix: "quass_pred_" }, async (dir) => {
    const input = await _scan(dir, [4, 3, 2, T]);
    const out = `${dir}/pred.nii`;
    const res = await predictVolumeFile({ run: "runs/fake", input, out }, fakeLoader);
    assertEquals(res.predicted, 24);
    const vol = await readNifti(out);
    assertEquals(vol.dims, [4, 3, 2, T]);
    const src = await readNifti(input);
    for (const v of [0, 7, 23]) {
      const spec = Array.from({ length: T }, (_, k) => src.data[k * 24 + v]!);
      assertClose(Array.from({ length: T }, (_, k) => vol.data[k * 24 + v]!), fakeRef(spec), {
        atol: 1e-5,
        label: `voxel ${v}`,
      });
    }
    const side = await readSidecar(out, T);
    assertEquals(side?.offsetsPpm, OFFS);
    assertEquals(side?.tsS, 5);
  });
});

Deno.test("predictVolumeFile() fails with a clear error and writes nothing on bad inputs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "quass_pred_bad_" });
  const out = `${dir}/pred.nii.gz`;
  const run = (o: Partial<Parameters<typeof predictVolumeFile>[0]> & { input: string }) =>
    predictVolumeFile({ run: "runs/fake", out, ...o }, fakeLoader);
  try {
    // wrong dims: a 3-D volume
    const threeD = `${dir}/three_d.nii.gz`;
    await writeNifti(threeD, { dims: [4, 4, 1, 1], data: new Float32Array(16) });
    await assertRejects(() => run({ input: threeD }), /three_d\.nii\.gz.*4th dimension/);
    // offset mismatch (7 offsets where the network has 9)
    const short = await _scan(dir, [3, 3, 1, 7]);
    await assertRejects(() => run({ input: short }), /offsets do not match the network's/);
    // missing sidecar
    const bare = `${dir}/bare.nii.gz`;
    await writeNifti(bare, { dims: [3, 3, 1, T], data: new Float32Array(9 * T), ndim: 4 });
    await assertRejects(() => run({ input: bare }), /bare\.json.*offsetsPpm.*--offsets/);
    // not a NIfTI
    const text = `${dir}/notes.nii`;
    await Deno.writeTextFile(text, "this is not an image\n".repeat(30));
    await assertRejects(() => run({ input: text }), /notes\.nii: not a NIfTI/);
    // every voxel NaN
    const nan = await _scan(dir, [2, 2, 1, T], true, () => NaN);
    await assertRejects(() => run({ input: nan }), /no voxel to predict.*NaN/);
    // mask with other dims
    const good = await _scan(dir, [3, 3, 1, T]);
    const mask = `${dir}/mask.nii.gz`;
    await writeNifti(mask, { dims: [4, 3, 1, 1], data: new Float32Array(12).fill(1) });
    await assertRejects(() => run({ input: good, mask }), /mask\.nii\.gz: dims are \[4,3,1,1\]/);
    // bad output name
    await assertRejects(
      () => predictVolumeFile({ run: "r", input: good, out: `${dir}/pred.png` }, fakeLoader),
      /\.nii or \.nii\.gz/,
    );
    assert(!(await exists(out)) && !(await exists(`${dir}/pred.json`)), "nothing may be written");
    // some NaN voxels: reported, left out, the rest predicted
    const some = await _scan(dir, [3, 3, 1, T], true, (i) => (i % 9 === 4 ? NaN : Math.random()));
    const res = await run({ input: some });
    assertEquals(res.skipped, [4]);
    assert(/1 voxel\(s\).*\(1, 1, 0\)/.test(res.skippedNote), res.skippedNote);
    assert((await readNifti(out)).nonFinite === 0, "no NaN in the output");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("predictVolumeData() hands each voxel's T1 to a T1-informed network and leaves out invalid T1", async () => {
  const nvox = 23, T = 5;
  const offs = Array.from({ length: T }, (_, k) => -2 + k);
  const data = Float32Array.from({ length: nvox * T }, () => Math.random());
  const t1 = Float32Array.from({ length: nvox }, () => 1 + 2 * Math.random());
  t1[7] = 0; // invalid T1
  t1[9] = NaN;
  // the stand-in network returns the T1 it was given at every offset
  const echoT1: SpectraPredictor = (_x, n, t1S) => {
    assert(t1S && t1S.length === n, "one T1 per spectrum");
    return Promise.resolve(Float32Array.from({ length: n * T }, (_, i) => t1S[Math.floor(i / T)]!));
  };
  const base = {
    data,
    nvox,
    offsetsPpm: offs,
    modelInputOffsetsPpm: offs,
    modelOutputLength: T,
    needsT1: true,
    batch: 4,
  };
  const res = await predictVolumeData({ ...base, t1S: t1 }, echoT1);
  assertEquals(res.skipped, [7, 9]);
  for (let v = 0; v < nvox; v++) {
    const want = v === 7 || v === 9 ? 0 : t1[v]!;
    for (let k = 0; k < T; k++) assertEquals(res.data[k * nvox + v], want, `voxel ${v}`);
  }
  const one = await predictVolumeData({ ...base, t1S: 1.7 }, echoT1);
  assert(one.data.every((y) => Math.abs(y - 1.7) < 1e-6), "one T1 for every voxel");
  const e = await assertRejects(() => predictVolumeData(base, echoT1), /--t1/);
  assert(e instanceof InputError, "a missing T1 is the user's to fix");
  await assertRejects(() => predictVolumeData({ ...base, t1S: t1.slice(1) }, echoT1), /T1 map/);
});
