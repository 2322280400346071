import { evaluateCommand, parseVoxelFlag } from "../../src/cli/evaluate.ts";
import { writeNifti } from "../../src/data/nifti.ts";
import { writeSidecar } from "../../src/data/sidecar.ts";
import { exists } from "../../src/util/atomic.ts";
import { InputError } from "../../src/util/errors.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { withTempDir } from "../_tmp.ts";

const NX = 12, NY = 12, NT = 7;

async function files(dir: string, withSidecar = true) {
  const dims = [NX, NY, 1, NT] as [number, number, number, number];
  const ref = Float32Array.from({ length: NX * NY * NT }, () => 0.3 + 0.6 * Math.random());
  await writeNifti(`${dir}/ref.nii.gz`, { dims, data: ref });
  await writeNifti(`${dir}/pred.nii.gz`, {
    dims,
    data: ref.map((v) => v + 0.01 * (Math.random() - 0.5)),
  });
  await writeNifti(`${dir}/mask.nii`, {
    dims: [NX, NY, 1, 1],
    data: new Float32Array(NX * NY).fill(1),
  });
  await writeNifti(`${dir}/small.nii`, {
    dims: [NX, NY - 1, 1, NT],
    data: new Float32Array(NX * (NY - 1) * NT),
  });
  await writeNifti(`${dir}/3d.nii`, { dims: [NX, NY, 1, 1], data: new Float32Array(NX * NY) });
  if (withSidecar) {
    await writeSidecar(`${dir}/ref.nii.gz`, {
      offsetsPpm: [-3.5, -2.4, -1.5, 0, 1.3, 2, 3.5],
      tsS: 5,
    });
  }
}

async function run(args: string[]): Promise<void> {
  const log = console.log;
  console.log = () => {};
  try {
    await evaluateCommand().exitOverride().parseAsync(args, { from: "user" });
  } finally {
    console.log = log;
  }
}

Deno.test("quass evaluate writes a report from NIfTI files with offsets from the reference's sidecar", async () => {
  await withTempDir({ prefix: "quass_eval_cli_" }, async (dir) => {
    await files(dir);
    await run([
      "--pred",
      `${dir}/pred.nii.gz`,
      "--reference",
      `${dir}/ref.nii.gz`,
      "--mask",
      `${dir}/mask.nii`,
      "--out",
      `${dir}/report`,
      "--voxel",
      "GM:3,4,0",
    ]);
    const m = JSON.parse(await Deno.readTextFile(`${dir}/report/metrics.json`));
    assertEquals(m.offsetsPpm, [-3.5, -2.4, -1.5, 0, 1.3, 2, 3.5]);
    assertEquals(m.maskVoxels, NX * NY);
    assertEquals(m.spectra[0].label, "GM");
    assertEquals(m.regressions.map((r: { offsetPpm: number }) => r.offsetPpm), [
      -3.5,
      -2.4,
      -1.5,
      1.3,
      2,
      3.5,
    ]);
    assert(m.mean.ssim > 0.9 && m.mean.ssim < 1);
    assert(await exists(`${dir}/report/summary.md`));
    assert(await exists(`${dir}/report/regression.svg`));
  });
});

/** Each command line must fail with an InputError matching its pattern and leave `out` absent. */
async function expectInputErrors(cases: [string[], RegExp][], out: string): Promise<void> {
  for (const [args, re] of cases) {
    const e = await assertRejects(() => run(args), re);
    assert(e instanceof InputError, `${args.join(" ")}: expected an InputError, got ${e}`);
    assertEquals(await exists(out), false, "nothing written on error");
  }
}

Deno.test("quass evaluate: bad inputs give InputErrors that name the file and the fix, and write nothing", async () => {
  await withTempDir({ prefix: "quass_eval_cli_" }, async (dir) => {
    await files(dir, false);
    const out = `${dir}/report`;
    const base = ["--pred", `${dir}/pred.nii.gz`, "--out", out];
    const cases: [string[], RegExp][] = [
      [
        [...base, "--reference", `${dir}/ref.nii.gz`],
        /ref\.nii\.gz: no saturation offsets: add .*ref\.json with "offsetsPpm" \(7 values\) or pass --offsets/,
      ],
      [
        [...base, "--reference", `${dir}/small.nii`, "--offsets", "-3:3:7"],
        /small\.nii: dims are \[12,11,1,7\] but \[12,12,1,7\] were expected/,
      ],
      [
        [...base, "--reference", `${dir}/ref.nii.gz`, "--offsets", "-3:3:6"],
        /--offsets gives 6 offsets but .*pred\.nii\.gz has 7 volumes/,
      ],
      [[
        ...base,
        "--reference",
        `${dir}/ref.nii.gz`,
        "--offsets",
        "-3:3:7",
        "--mask",
        `${dir}/pred.nii.gz`,
      ], /pred\.nii\.gz: has 7 volumes along the 4th dimension; at most 1 expected \(a 3-D mask/],
      [
        ["--pred", `${dir}/3d.nii`, "--reference", `${dir}/ref.nii.gz`, "--out", out],
        /3d\.nii: has 1 volume\(s\) along the 4th dimension; 2 or more expected/,
      ],
      [
        [...base, "--reference", `${dir}/mask.nii.json`],
        /mask\.nii\.json: not a NIfTI file \(only 9 bytes/,
      ],
      [[...base, "--reference", `${dir}/none.nii.gz`], /none\.nii\.gz: file not found/],
      [
        [
          ...base,
          "--reference",
          `${dir}/ref.nii.gz`,
          "--offsets",
          "-3:3:7",
          "--voxel",
          "GM:30,1,0",
        ],
        /--voxel GM: \(30, 1, 0\) is outside the volume/,
      ],
      [
        [...base, "--reference", `${dir}/ref.nii.gz`, "--offsets", "-3:3:7", "--slice", "3"],
        /--slice: 3 is outside the volume/,
      ],
    ];
    await Deno.writeTextFile(`${dir}/mask.nii.json`, "not nifti");
    await writeNifti(`${dir}/tiny.nii`, {
      dims: [10, 12, 1, NT],
      data: new Float32Array(120 * NT),
    });
    cases.push([
      ["--pred", `${dir}/tiny.nii`, "--reference", `${dir}/tiny.nii`, "--out", out],
      /tiny\.nii: slices are 10×12; SSIM .* needs at least 11×11/,
    ]);
    await expectInputErrors(cases, out);
    // sidecars that disagree (written after the cases above, which need none)
    await writeSidecar(`${dir}/pred.nii.gz`, { offsetsPpm: [-3, -2, -1, 0, 1, 2, 3] });
    await Deno.copyFile(`${dir}/ref.nii.gz`, `${dir}/ref2.nii.gz`);
    await writeSidecar(`${dir}/ref2.nii.gz`, { offsetsPpm: [-3, -2, -1, 0, 1, 2, 3.5] });
    await expectInputErrors([[
      [...base, "--reference", `${dir}/ref2.nii.gz`],
      /their sidecars list different offsetsPpm/,
    ]], out);
  });
});

Deno.test("parseVoxelFlag() reads LABEL:x,y[,z] and accumulates repeats", () => {
  assertEquals(parseVoxelFlag("WM:1,2", parseVoxelFlag("GM:3, 4, 5")), [{
    label: "GM",
    x: 3,
    y: 4,
    z: 5,
  }, { label: "WM", x: 1, y: 2, z: 0 }]);
  assertThrows(() => parseVoxelFlag("GM:1"), /expected LABEL:x,y\[,z\]/);
});

Deno.test("quass evaluate says which reference it scores against and warns when the prediction is for another target", async () => {
  const dir = await Deno.makeTempDir({ prefix: "quass_eval_cli_" });
  const err = console.error, errors: string[] = [];
  try {
    await files(dir);
    await writeSidecar(`${dir}/pred.nii.gz`, { tsS: Infinity }); // a steady-state prediction
    const args = ["--pred", `${dir}/pred.nii.gz`, "--reference", `${dir}/ref.nii.gz`];
    console.error = (...a: unknown[]) => errors.push(a.join(" "));
    await run([...args, "--out", `${dir}/report`]);
    const md = await Deno.readTextFile(`${dir}/report/summary.md`);
    assert(md.includes("- scored against: the Ts 5 s reference"), md);
    assert(md.includes("prediction is for steady state but the reference is Ts 5 s"), md);
    assert(errors.some((l) => l.includes("not like for like")), errors.join("\n"));
    // the same target: no warning
    errors.length = 0;
    await writeSidecar(`${dir}/pred.nii.gz`, { tsS: 5, tdS: 1 });
    await run([...args, "--out", `${dir}/report2`]);
    const md2 = await Deno.readTextFile(`${dir}/report2/summary.md`);
    assert(!md2.includes("not like for like") && md2.includes("scored against"), md2);
    assert(!errors.some((l) => l.includes("like for like")), errors.join("\n"));
  } finally {
    console.error = err;
    await Deno.remove(dir, { recursive: true });
  }
});
