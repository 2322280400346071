import {
  type Affine,
  assertFinite,
  checkDims,
  encodeNifti,
  readNifti,
  writeNifti,
} from "../../src/data/nifti.ts";
import {
  parseOffsetsFlag,
  readSidecar,
  resolveOffsets,
  sidecarPath,
  writeSidecar,
} from "../../src/data/sidecar.ts";
import { InputError } from "../../src/util/errors.ts";
import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertRejects,
  assertThrows,
} from "../_assert.ts";
import { assertClose } from "../_util.ts";
import { findPython, runPython } from "../eval/_python.ts";
import { withTempDir } from "../_tmp.ts";

/** Where the tests write their files. */
const TMP = { prefix: "quass_nifti_test_" };

/** A random rigid rotation × voxel sizes + shift (what scanners write). */
function randomAffine(): Affine {
  const q = [Math.random() - 0.5, Math.random() - 0.5, Math.random() - 0.5, Math.random() - 0.5];
  const n = Math.hypot(...q);
  const [a, b, c, d] = q.map((v) => v / n) as [number, number, number, number];
  const r = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
  const s = [0.5 + Math.random(), 0.5 + Math.random(), 1 + 2 * Math.random()];
  const flip = Math.random() < 0.5 ? -1 : 1; // improper (qfac −1) half of the time
  return [
    ...r.map((
      row,
      i,
    ) => [
      row[0]! * s[0]! * flip,
      row[1]! * s[1]!,
      row[2]! * s[2]!,
      100 * (Math.random() - 0.5) + i,
    ]),
    [0, 0, 0, 1],
  ];
}

function randomVolume(dims: [number, number, number, number]): Float32Array {
  const d = new Float32Array(dims.reduce((a, b) => a * b, 1));
  for (let i = 0; i < d.length; i++) d[i] = Math.random() * 2 - 0.5;
  return d;
}

for (const ext of [".nii", ".nii.gz"]) {
  Deno.test(`writeNifti()/readNifti() round-trip a 4-D volume with header, affine and values (${ext})`, async () => {
    await withTempDir(TMP, async (dir) => {
      const dims: [number, number, number, number] = [7, 5, 3, 11];
      const data = randomVolume(dims);
      const affine = randomAffine();
      const path = `${dir}/scan${ext}`;
      await writeNifti(path, { dims, data, affine }, { description: "round trip" });
      const raw = await Deno.readFile(path);
      assertEquals(raw[0] === 0x1f && raw[1] === 0x8b, ext === ".nii.gz");
      const v = await readNifti(path);
      assertEquals(v.dims, dims);
      assertEquals(v.ndim, 4);
      assertEquals(v.nonFinite, 0);
      assertClose(v.data, data, { atol: 0, label: "voxels" });
      assertClose(v.affine.flat(), affine.flat(), { atol: 2e-5, rtol: 2e-6, label: "affine" });
      assertEquals(v.header?.description, "round trip");
      assertEquals(v.header?.datatypeCode, 16);
      // voxel sizes are the affine's column norms
      for (let j = 0; j < 3; j++) {
        const norm = Math.hypot(affine[0]![j]!, affine[1]![j]!, affine[2]![j]!);
        assertClose([v.pixdim[j]!], [norm], { rtol: 1e-6, label: `pixdim[${j}]` });
      }
    });
  });
}

Deno.test("readNifti() reads a 3-D volume as t = 1 and writeNifti() keeps it 3-D", async () => {
  await withTempDir(TMP, async (dir) => {
    const data = randomVolume([4, 6, 2, 1]);
    await writeNifti(`${dir}/m.nii`, { dims: [4, 6, 2, 1], data });
    const v = await readNifti(`${dir}/m.nii`);
    assertEquals(v.ndim, 3);
    assertEquals(v.header?.dims.slice(0, 5), [3, 4, 6, 2, 1]);
    assertClose(v.data, data, { atol: 0 });
    checkDims(v, "m.nii", { dims: [4, 6, 2], maxT: 1 });
    assertThrows(
      () => checkDims(v, "m.nii", { minT: 2, what: "a Z-spectrum series" }),
      /m\.nii: has 1 volume.*3-D file/,
    );
    assertThrows(
      () => checkDims(v, "m.nii", { dims: [4, 6, 3] }),
      /dims are \[4,6,2,1\] but \[4,6,3\] were expected/,
    );
  });
});

/** Rewrites a float32 file we wrote as int16 (big- or little-endian) with scl_slope/inter. */
function asInt16(
  f32File: Uint8Array,
  values: Int16Array,
  slope: number,
  inter: number,
  le: boolean,
): Uint8Array {
  const out = new Uint8Array(352 + 2 * values.length);
  out.set(f32File.subarray(0, 352));
  const dv = new DataView(out.buffer);
  if (!le) {
    // swap every header field we rely on to big-endian
    dv.setInt32(0, 348, false);
    const dims = Array.from(
      { length: 8 },
      (_, i) => new DataView(f32File.buffer).getInt16(40 + 2 * i, true),
    );
    dims.forEach((d, i) => dv.setInt16(40 + 2 * i, d, false));
    for (let i = 0; i < 8; i++) {
      dv.setFloat32(76 + 4 * i, new DataView(f32File.buffer).getFloat32(76 + 4 * i, true), false);
    }
    for (const o of [252, 254]) {
      dv.setInt16(o, new DataView(f32File.buffer).getInt16(o, true), false);
    }
    for (let o = 256; o < 328; o += 4) {
      dv.setFloat32(o, new DataView(f32File.buffer).getFloat32(o, true), false);
    }
  }
  dv.setInt16(70, 4, le);
  dv.setInt16(72, 16, le);
  dv.setFloat32(108, 352, le);
  dv.setFloat32(112, slope, le);
  dv.setFloat32(116, inter, le);
  values.forEach((v, i) => dv.setInt16(352 + 2 * i, v, le));
  return out;
}

for (const le of [true, false]) {
  Deno.test(`readNifti() converts ${le ? "little" : "big"}-endian int16 with scl_slope/scl_inter to float32`, async () => {
    await withTempDir(TMP, async (dir) => {
      const dims: [number, number, number, number] = [3, 4, 2, 5];
      const n = 120;
      const f32 = encodeNifti({ dims, data: new Float32Array(n), affine: randomAffine() });
      const ints = Int16Array.from({ length: n }, () => Math.round((Math.random() - 0.5) * 60000));
      const slope = 0.5 * Math.fround(Math.random() + 0.1),
        inter = Math.fround(Math.random() - 0.5);
      await Deno.writeFile(`${dir}/i.nii`, asInt16(f32, ints, Math.fround(slope), inter, le));
      const v = await readNifti(`${dir}/i.nii`);
      assertEquals(v.dims, dims);
      assertClose(v.data, Array.from(ints, (x) => x * Math.fround(slope) + inter), {
        atol: 1e-3,
        rtol: 1e-6,
      });
    });
  });
}

Deno.test("readNifti() rejects files that are not NIfTI-1 with a message naming the file and the problem", async () => {
  await withTempDir(TMP, async (dir) => {
    const good = encodeNifti({ dims: [2, 2, 2, 3], data: new Float32Array(24) });
    const cases: [string, Uint8Array, RegExp][] = [
      [
        "text.nii",
        new TextEncoder().encode("hello, this is not an image"),
        /text\.nii: not a NIfTI file \(only 27 bytes/,
      ],
      [
        "zeros.nii",
        new Uint8Array(400),
        /zeros\.nii: not a NIfTI file \(sizeof_hdr is 0, expected 348\)/,
      ],
      [
        "nifti2.nii",
        (() => {
          const b = new Uint8Array(600);
          new DataView(b.buffer).setInt32(0, 540, true);
          return b;
        })(),
        /NIfTI-2 is not supported/,
      ],
      [
        "badmagic.nii",
        (() => {
          const b = good.slice();
          b[345] = "x".charCodeAt(0);
          return b;
        })(),
        /not a NIfTI-1 file \(magic "nx1"/,
      ],
      ["truncated.nii", good.slice(0, 352 + 40), /truncated: \[2,2,2,3\] float32 needs 96 bytes/],
      [
        "complex.nii",
        (() => {
          const b = good.slice();
          new DataView(b.buffer).setInt16(70, 32, true);
          return b;
        })(),
        /datatype 32 .* is not supported; convert it to float32/,
      ],
      [
        "fivedim.nii",
        (() => {
          const b = good.slice();
          const dv = new DataView(b.buffer);
          dv.setInt16(40, 5, true);
          dv.setInt16(50, 2, true);
          return b;
        })(),
        /only 3-D \[x,y,z\] or 4-D \[x,y,z,offset\] volumes are supported/,
      ],
      [
        "bad.nii.gz",
        new Uint8Array([0x1f, 0x8b, 1, 2, 3, 4, 5]),
        /bad\.nii\.gz: not a valid gzip file/,
      ],
    ];
    for (const [name, bytes, re] of cases) {
      await Deno.writeFile(`${dir}/${name}`, bytes);
      const e = await assertRejects(() => readNifti(`${dir}/${name}`), re);
      assert(e instanceof InputError, `${name}: expected an InputError, got ${e}`);
    }
    await assertRejects(
      () => readNifti(`${dir}/missing.nii.gz`),
      /missing\.nii\.gz: file not found/,
    );
  });
});

Deno.test("readNifti() counts NaN/Inf voxels and assertFinite() reports them with the first position", async () => {
  await withTempDir(TMP, async (dir) => {
    const data = randomVolume([3, 3, 2, 2]);
    data[30] = NaN; // x=0, y=1, z=1, t=1 (index x + 3·(y + 3·(z + 2·t)))
    data[35] = Infinity;
    await writeNifti(`${dir}/n.nii.gz`, { dims: [3, 3, 2, 2], data });
    const v = await readNifti(`${dir}/n.nii.gz`);
    assertEquals(v.nonFinite, 2);
    assertThrows(
      () => assertFinite(v, "n.nii.gz"),
      /n\.nii\.gz: 2 voxel value\(s\) are NaN or Inf \(first at x=0, y=1, z=1, t=1\)/,
    );
  });
});

Deno.test("writeNifti() writes nothing when it fails", async () => {
  await withTempDir(TMP, async (dir) => {
    await assertRejects(
      () => writeNifti(`${dir}/a.nii`, { dims: [2, 2, 2, 2], data: new Float32Array(15) }),
      /Expected 16 voxel values/,
    );
    await assertRejects(
      () => writeNifti(`${dir}/a.img`, { dims: [1, 1, 1, 1], data: new Float32Array(1) }),
      /must end in \.nii or \.nii\.gz/,
    );
    assertEquals([...Deno.readDirSync(dir)].length, 0);
  });
});

Deno.test("sidecar: writeSidecar()/readSidecar() round-trip, offsets resolve from the sidecar or --offsets", async () => {
  await withTempDir(TMP, async (dir) => {
    const path = `${dir}/scan.nii.gz`;
    assertEquals(sidecarPath(path), `${dir}/scan.json`);
    assertEquals(sidecarPath("a/b.nii"), "a/b.json");
    assertEquals(await readSidecar(path), null);
    await assertRejects(
      () => resolveOffsets(path, 5),
      /scan\.nii\.gz: no saturation offsets: add .*scan\.json with "offsetsPpm" \(5 values\) or pass --offsets/,
    );
    const offsets = [-2, -1, 0, 1.5, 2];
    await writeSidecar(path, {
      offsetsPpm: offsets,
      tsS: Infinity,
      tdS: 1,
      b1UT: 1,
      b0T: 7,
      scanner: "phantom",
    });
    const s = await readSidecar(path, 5);
    assertEquals(s?.offsetsPpm, offsets);
    assertEquals(s?.tsS, Infinity);
    assertEquals(s?.scanner, "phantom");
    assertEquals(await resolveOffsets(path, 5), offsets);
    assertEquals(await resolveOffsets(path, 3, "-1,0,1"), [-1, 0, 1]);
    await assertRejects(
      () => readSidecar(path, 6),
      /"offsetsPpm" has 5 entries but the image has 6 volumes/,
    );
    await assertRejects(
      () => resolveOffsets(path, 4, "-1,0,1"),
      /--offsets gives 3 offsets but .* has 4 volumes/,
    );
    await Deno.writeTextFile(`${dir}/scan.json`, '{"offsetsPpm": [1, "x"]}');
    await assertRejects(
      () => readSidecar(path),
      /scan\.json: "offsetsPpm" must be an array of finite numbers/,
    );
    await Deno.writeTextFile(`${dir}/scan.json`, '{"b1UT": -1}');
    await assertRejects(
      () => readSidecar(path),
      /scan\.json: "b1UT" must be a non-negative number/,
    );
    await Deno.writeTextFile(`${dir}/scan.json`, "{oops");
    await assertRejects(() => readSidecar(path), /scan\.json: not valid JSON/);
  });
});

Deno.test("parseOffsetsFlag() reads lo:hi:n ranges and comma lists", () => {
  const r = parseOffsetsFlag("-6:6:101");
  assertEquals(r.length, 101);
  assertEquals(r[0], -6);
  assertEquals(r[50], 0);
  assertEquals(r[100], 6);
  assertAlmostEquals(r[1]! - r[0]!, 0.12, 1e-12);
  assertEquals(parseOffsetsFlag("3.5, -3.5"), [3.5, -3.5]);
  assertThrows(() => parseOffsetsFlag("a,b"), /comma-separated list/);
  assertThrows(() => parseOffsetsFlag("1,,2"), /comma-separated list/);
  assertThrows(() => parseOffsetsFlag("0:5:2.5"), /lo:hi:n/);
});

const nibPython = await findPython(["numpy", "nibabel"]);

Deno.test({
  name: "writeNifti() output loads in nibabel with the same values and affine",
  ignore: !nibPython,
  fn: async () => {
    await withTempDir(TMP, async (dir) => {
      const dims: [number, number, number, number] = [6, 5, 4, 7];
      const data = randomVolume(dims);
      const affine = randomAffine();
      await writeNifti(`${dir}/ours.nii.gz`, { dims, data, affine });
      const code = `
import sys, json, nibabel as nib, numpy as np
img = nib.load(sys.argv[1] if len(sys.argv) > 1 else ${JSON.stringify(`${dir}/ours.nii.gz`)})
d = np.asanyarray(img.dataobj)
print(json.dumps({"shape": list(d.shape), "dtype": str(d.dtype), "affine": img.affine.tolist(),
  "data": d.ravel(order="F").astype(float).tolist(), "sform": int(img.header["sform_code"]), "qform_affine": img.get_qform().tolist()}))`;
      const r = JSON.parse(await runPython(nibPython!, code));
      assertEquals(r.shape, dims);
      assertEquals(r.dtype, "float32");
      assertEquals(r.sform, 1);
      assertClose(r.data, data, { atol: 0, label: "voxels (nibabel)" });
      assertClose((r.affine as number[][]).flat(), affine.flat(), {
        atol: 2e-5,
        rtol: 2e-6,
        label: "affine (nibabel sform)",
      });
      // the qform we derive from the affine must describe the same rigid transform
      assertClose((r.qform_affine as number[][]).flat(), affine.flat(), {
        atol: 1e-4,
        rtol: 1e-5,
        label: "qform (nibabel)",
      });
    });
  },
});

Deno.test({
  name:
    "readNifti() loads files nibabel writes (int16 + scaling, float64, big-endian, qform only) with the same values and affine",
  ignore: !nibPython,
  fn: async () => {
    await withTempDir(TMP, async (dir) => {
      const seed = Math.floor(Math.random() * 1e9);
      const code = `
import json, nibabel as nib, numpy as np
rng = np.random.default_rng(${seed})
out = {}
def aff():
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    a = np.eye(4); a[:3, :3] = q * rng.uniform(0.5, 2, 3); a[:3, 3] = rng.uniform(-50, 50, 3); return a
# int16 with slope/intercept
d = rng.uniform(-3, 3, (5, 4, 3, 6))
a = aff(); img = nib.Nifti1Image(d.astype(np.float32), a); img.set_data_dtype(np.int16)
nib.save(img, "${dir}/int16.nii.gz")
out["int16"] = {"affine": nib.load("${dir}/int16.nii.gz").affine.tolist(), "data": np.asanyarray(nib.load("${dir}/int16.nii.gz").get_fdata()).ravel(order="F").tolist(), "shape": list(d.shape)}
# float64 3-D
d = rng.uniform(0, 1, (7, 3, 2)); a = aff()
nib.save(nib.Nifti1Image(d, a), "${dir}/f64.nii")
out["f64"] = {"affine": a.tolist(), "data": d.ravel(order="F").tolist(), "shape": list(d.shape) + [1]}
# big-endian float32, qform only (sform_code 0)
d = rng.uniform(0, 1, (4, 4, 2, 3)).astype(">f4"); a = aff()
img = nib.Nifti1Image(d, None, header=nib.Nifti1Header(endianness=">")); img.set_qform(a, code=1); img.set_sform(None, code=0)
nib.save(img, "${dir}/be.nii")
img2 = nib.load("${dir}/be.nii")
out["be"] = {"affine": img2.affine.tolist(), "data": np.asanyarray(img2.dataobj).astype(float).ravel(order="F").tolist(), "shape": list(d.shape), "endian": img2.header.endianness}
print(json.dumps(out))`;
      const exp = JSON.parse(await runPython(nibPython!, code)) as Record<
        string,
        { affine: number[][]; data: number[]; shape: number[]; endian?: string }
      >;
      assertEquals(exp.be!.endian, ">");
      for (
        const [name, file] of [["int16", "int16.nii.gz"], ["f64", "f64.nii"], ["be", "be.nii"]]
      ) {
        const e = exp[name!]!;
        const v = await readNifti(`${dir}/${file}`);
        assertEquals(v.dims, e.shape, `${name} dims`);
        assertClose(v.data, e.data, { atol: 1e-6, rtol: 1e-6, label: `${name} voxels` });
        assertClose(v.affine.flat(), e.affine.flat(), {
          atol: 1e-4,
          rtol: 1e-5,
          label: `${name} affine`,
        });
      }
    });
  },
});
