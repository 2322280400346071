/**
 * The preprocessing flags of `quass predict`, `quass-fit` and `evaluate` as subprocesses:
 * the stages run and report, the B0 map lands beside the output, and bad input exits 2 with
 * one error line naming the file, writing nothing.
 */
import { assert, assertEquals } from "../_assert.ts";
import { hasGpu } from "../../src/gpu/device.ts";
import { readNifti, writeNifti } from "../../src/data/nifti.ts";
import { readSidecar, writeSidecar } from "../../src/data/sidecar.ts";
import { exists } from "../../src/util/atomic.ts";
import { PAPER_OFFSETS_PPM } from "../../src/physics/protocol.ts";
import { quass } from "./_quass.ts";
import { withTempDir } from "../_tmp.ts";
import { gauss } from "../_random.ts";

/** A 12×12×1 raw series (101 offsets, −6…6 ppm) with a smooth B0 field, M0, mask, T1. */
async function files(dir: string, offsets: readonly number[] = PAPER_OFFSETS_PPM) {
  const nvox = 144, n = offsets.length;
  const m0 = Float32Array.from({ length: nvox }, () => 300 + 100 * Math.random());
  const data = new Float32Array(nvox * n);
  for (let v = 0; v < nvox; v++) {
    const s = 0.2 * Math.sin(v / 30), a = 0.1 + 0.05 * Math.random();
    offsets.forEach((x, k) => {
      const z = 0.92 - 0.88 / (1 + ((x - s) / 0.45) ** 2) - a / (1 + ((x - s + 2.4) / 5) ** 2);
      data[k * nvox + v] = m0[v]! * (z + 0.01 * gauss());
    });
  }
  const p = (f: string) => `${dir}/${f}`;
  await writeNifti(p("raw.nii.gz"), { dims: [12, 12, 1, n], data, ndim: 4 });
  await writeSidecar(p("raw.nii.gz"), {
    offsetsPpm: [...offsets],
    tsS: 1.5,
    tdS: 4.5,
    b1UT: 1,
    b0T: 7,
  });
  await writeNifti(p("m0.nii.gz"), { dims: [12, 12, 1, 1], data: m0 });
  await writeNifti(p("t1.nii.gz"), {
    dims: [12, 12, 1, 1],
    data: new Float32Array(nvox).fill(1.8),
  });
  return { raw: p("raw.nii.gz"), m0: p("m0.nii.gz"), t1: p("t1.nii.gz"), m0Data: m0 };
}

/** The flags of the scan `f.raw` with its M0, the water T1 `t1` and `--b0 auto`. */
function withB0Auto(f: { raw: string; m0: string }, t1: string): string[] {
  return ["--input", f.raw, "--m0", f.m0, "--t1", t1, "--b0", "auto"];
}

/** Exit 2, exactly one error line that matches `re`. */
function assertUserError(r: { code: number; stderr: string }, re: RegExp) {
  assertEquals(r.code, 2, r.stderr);
  const errors = r.stderr.split("\n").filter((l) => l.startsWith("quass: error:"));
  assertEquals(errors.length, 1, r.stderr);
  assert(re.test(errors[0]!), `"${errors[0]}" does not match ${re}`);
}

Deno.test("quass-fit --m0 --b0 auto --denoise pca: one line per stage, the B0 map and the stages recorded; --b0 7 still means the main field", async () => {
  await withTempDir({ prefix: "quass_pre_cli_" }, async (dir) => {
    const f = await files(dir);
    const out = `${dir}/q.nii.gz`;
    const r = await quass(
      "quass-fit",
      ...withB0Auto(f, "1.8"),
      "--denoise",
      "pca:nelson",
      "--target",
      "ts=5,td=1",
      "--out",
      out,
    );
    assertEquals(r.code, 0, r.stderr);
    for (const stage of ["M0:", "B0: from the Z-spectra", "denoise: PCA kept"]) {
      assert(r.stderr.includes(`quass quass-fit: ${stage}`), r.stderr);
    }
    const b0 = await readNifti(`${dir}/q_b0.nii.gz`);
    assertEquals(b0.dims, [12, 12, 1, 1]);
    assertEquals((await readSidecar(`${dir}/q_b0.nii.gz`))?.unit, "ppm");
    const side = await readSidecar(out, 101);
    const pre = side?.preprocessing as { denoise: { criterion: string; components: number } };
    assertEquals(pre.denoise.criterion, "nelson");
    assert(pre.denoise.components >= 1);
    // the old meaning of a number
    const legacy = await quass(
      "quass-fit",
      "--input",
      f.raw,
      "--m0",
      f.m0,
      "--t1",
      "1.8",
      "--b0",
      "7",
      "--out",
      `${dir}/l.nii.gz`,
    );
    assertEquals(legacy.code, 0, legacy.stderr);
    assertEquals((await readSidecar(`${dir}/l.nii.gz`))?.b0T, 7);
    assertUserError(
      await quass(
        "quass-fit",
        "--input",
        f.raw,
        "--t1",
        "1.8",
        "--b0",
        "7",
        "--field",
        "7",
        "--out",
        `${dir}/x.nii.gz`,
      ),
      /give the main field once/,
    );
  });
});

Deno.test("bad preprocessing input exits 2 with one line naming the file and writes nothing: M0 zeros, M0 shape, bad --denoise, a WASSR series without a dip", async () => {
  await withTempDir({ prefix: "quass_pre_cli_bad_" }, async (dir) => {
    const f = await files(dir);
    const out = `${dir}/q.nii.gz`;
    const m0z = Float32Array.from(f.m0Data);
    m0z[17] = 0;
    await writeNifti(`${dir}/m0zero.nii.gz`, { dims: [12, 12, 1, 1], data: m0z });
    await writeNifti(`${dir}/m0small.nii.gz`, {
      dims: [12, 11, 1, 1],
      data: new Float32Array(132).fill(1),
    });
    const wx = Array.from({ length: 11 }, (_, i) => -1 + 0.2 * i);
    await writeNifti(`${dir}/wassr.nii.gz`, {
      dims: [12, 12, 1, 11],
      data: Float32Array.from({ length: 144 * 11 }, () => 500 + gauss()),
      ndim: 4,
    });
    await writeSidecar(`${dir}/wassr.nii.gz`, { offsetsPpm: wx });
    const fit = (...extra: string[]) =>
      quass("quass-fit", "--input", f.raw, "--t1", "1.8", "--out", out, ...extra);
    await writeNifti(`${dir}/mask.nii.gz`, {
      dims: [12, 12, 1, 1],
      data: new Float32Array(144).fill(1),
    });
    assertUserError(
      await fit("--m0", `${dir}/m0zero.nii.gz`, "--mask", `${dir}/mask.nii.gz`, "--b0", "auto"),
      /m0zero\.nii\.gz: M0 is zero, negative or not finite at 1 voxel\(s\) inside the mask \(first at x=5, y=1, z=0/,
    );
    // without a mask a zero is background, a negative M0 is still wrong
    m0z[17] = -1;
    await writeNifti(`${dir}/m0neg.nii.gz`, { dims: [12, 12, 1, 1], data: m0z });
    assertUserError(
      await fit("--m0", `${dir}/m0neg.nii.gz`),
      /m0neg\.nii\.gz: M0 is negative or not finite at 1 voxel/,
    );
    assertUserError(
      await fit("--m0", `${dir}/m0small.nii.gz`),
      /m0small\.nii\.gz: dims are \[12,11,1,1\]/,
    );
    assertUserError(await fit("--denoise", "pca:best"), /--denoise "pca:best": expected none, pca/);
    assertUserError(
      await fit("--m0", f.m0, "--wassr", `${dir}/wassr.nii.gz`),
      /wassr\.nii\.gz: no water dip in the WASSR series/,
    );
    assertUserError(
      await fit("--b0", "none", "--wassr", `${dir}/wassr.nii.gz`),
      /--b0 none contradicts --wassr/,
    );
    assert(
      !(await exists(out)) && !(await exists(`${dir}/q.json`)) &&
        !(await exists(`${dir}/q_b0.nii.gz`)),
    );
  });
});

Deno.test({
  name:
    "quass predict --m0 --b0 auto --denoise pca with the shipped model; offsets that do not cover its grid exit 2; evaluate preprocesses --input",
  ignore: !(await hasGpu()),
  fn: async () => {
    await withTempDir({ prefix: "quass_pre_cli_pred_" }, async (dir) => {
      const f = await files(dir);
      const out = `${dir}/pred.nii.gz`;
      const r = await quass(
        "predict",
        ...withB0Auto(f, f.t1),
        "--denoise",
        "pca",
        "--out",
        out,
      );
      assertEquals(r.code, 0, r.stderr);
      for (
        const stage of [
          "M0:",
          "B0: from the Z-spectra",
          "B0: resampled onto 101 offsets",
          "denoise: PCA kept",
        ]
      ) {
        assert(r.stderr.includes(`quass predict: ${stage}`), r.stderr);
      }
      assert(await exists(`${dir}/pred_b0.nii.gz`));
      const pre = (await readSidecar(out, 101))?.preprocessing as {
        denoise: { criterion: string };
      };
      assertEquals(pre.denoise.criterion, "median");
      // evaluate: the input as the network saw it
      const rep = `${dir}/report`;
      const ev = await quass(
        "evaluate",
        "--pred",
        out,
        "--reference",
        out,
        "--input",
        f.raw,
        "--m0",
        f.m0,
        "--b0",
        "auto",
        "--out",
        rep,
      );
      assertEquals(ev.code, 0, ev.stderr);
      assert(await exists(`${rep}/input_b0.nii.gz`));
      assertUserError(
        await quass(
          "evaluate",
          "--pred",
          out,
          "--reference",
          out,
          "--m0",
          f.m0,
          "--out",
          `${dir}/r2`,
        ),
        /preprocess --input/,
      );
      // a scan of −4…4 ppm does not cover the network's −6…6 ppm
      const sub = await Deno.makeTempDir({ dir });
      const g = await files(sub, PAPER_OFFSETS_PPM.filter((x) => Math.abs(x) <= 4.0001));
      assertUserError(
        await quass(
          "predict",
          ...withB0Auto(g, g.t1),
          "--out",
          `${sub}/p.nii.gz`,
        ),
        /raw\.nii\.gz: offsets -3\.96…3\.96 ppm do not cover the network's offsets -6…6 ppm/,
      );
      assert(!(await exists(`${sub}/p.nii.gz`)) && !(await exists(`${sub}/p_b0.nii.gz`)));
    });
  },
  sanitizeResources: false,
  sanitizeOps: false,
});
