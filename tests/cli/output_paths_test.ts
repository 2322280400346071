/**
 * Output paths are checked before the work: an `--out` that cannot be written, or that is one
 * of the command's inputs (or an input's sidecar), exits 2 with one line and writes nothing.
 */
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { InputError } from "../../src/util/errors.ts";
import { checkNotInput, checkWritable } from "../../src/util/output.ts";
import { assertInputError, listTree, TINY_TRAIN, tinyDataset, tinyScan } from "./_files.ts";
import { quass } from "./_quass.ts";
import { withTempDir } from "../_tmp.ts";

Deno.test("an --out under a file, or a file --out that is a directory, exits 2 before the work", async () => {
  await withTempDir({ prefix: "quass_out_" }, async (dir) => {
    await Deno.writeTextFile(`${dir}/file`, "not a directory");
    await Deno.mkdir(`${dir}/adir`);
    await tinyDataset(`${dir}/d.safetensors`);
    const { scan } = await tinyScan(dir);
    const before = await listTree(dir);
    const underFile = `${dir}/file/sub`;
    const cases: [string[], string, string][] = [
      // a dataset that would take a while to simulate: the check must come first
      [
        ["simulate", "dataset", "--n", "5000", "--quiet", "--out"],
        `${underFile}/x.safetensors`,
        "is a file, not a directory",
      ],
      [
        ["simulate", "dataset", "--n", "5000", "--quiet", "--out"],
        `${dir}/adir`,
        "is a directory; give a file name",
      ],
      [
        [...TINY_TRAIN, "--data", `${dir}/d.safetensors`, "--out"],
        `${dir}/file`,
        "is a file, not a directory",
      ],
      [["phantom", "--size", "16", "--out"], `${dir}/file`, "is a file, not a directory"],
      [
        ["quass-fit", "--input", scan, "--t1", "1.7", "--out"],
        `${underFile}/q.nii.gz`,
        "is a file, not a directory",
      ],
      [
        ["predict", "--input", scan, "--t1", "1.7", "--out"],
        `${underFile}/p.nii.gz`,
        "is a file, not a directory",
      ],
      [
        ["evaluate", "--pred", scan, "--reference", scan, "--out"],
        `${underFile}/report`,
        "is a file, not a directory",
      ],
    ];
    for (const [args, out, why] of cases) {
      const r = await quass(...args, out);
      assertInputError(r, [`--out ${out}`, why]);
    }
    assertEquals(await listTree(dir), before, "nothing written");
  });
});

Deno.test("checkWritable() probes the nearest existing directory and leaves nothing behind", async () => {
  await withTempDir({ prefix: "quass_out_" }, async (dir) => {
    await checkWritable(`${dir}/new/deeper/x.nii.gz`, "--out");
    await checkWritable(`${dir}/run`, "--out", "dir");
    await checkWritable(dir, "--out", "dir");
    assertEquals(await listTree(dir), [], "no directory made, no probe left");
    await Deno.writeTextFile(`${dir}/f`, "");
    const e = await assertRejects(() => checkWritable(`${dir}/f`, "--out", "dir"), /is a file/);
    assert(e instanceof InputError);
  });
});

Deno.test("predict and quass-fit refuse an --out that is an input or an input's sidecar; the inputs survive", async () => {
  await withTempDir({ prefix: "quass_out_in_" }, async (dir) => {
    const { scan, t1 } = await tinyScan(dir);
    const scanJson = `${dir}/scan.json`;
    const keep = async () => [
      await Deno.readFile(scan),
      await Deno.readFile(scanJson),
      await Deno.readFile(t1),
    ];
    const before = await keep();
    const tree = await listTree(dir);
    // the same file, spelled differently
    const r1 = await quass("predict", "--input", scan, "--t1", t1, "--out", `${dir}/./scan.nii.gz`);
    assertInputError(r1, ["--out", "is also --input", "choose another output name"]);
    // scan.nii writes scan.json: the input's sidecar
    const r2 = await quass("predict", "--input", scan, "--t1", t1, "--out", `${dir}/scan.nii`);
    assertInputError(r2, ["--out's sidecar", scanJson, "--input's sidecar"]);
    // through a symlink to the T1 map
    await Deno.symlink(t1, `${dir}/link.nii.gz`);
    const r3 = await quass("quass-fit", "--input", scan, "--t1", t1, "--out", `${dir}/link.nii.gz`);
    assertInputError(r3, ["--out", "is also --t1"]);
    const r4 = await quass("quass-fit", "--input", scan, "--t1", "1.7", "--out", scan);
    assertInputError(r4, ["--out", "is also --input"]);
    assertEquals(await keep(), before, "inputs unchanged");
    assertEquals(await listTree(dir), [...tree, "link.nii.gz"].sort(), "nothing written");
  });
});

Deno.test("checkNotInput() compares resolved paths and names both flags", async () => {
  await withTempDir({ prefix: "quass_out_in_" }, async (dir) => {
    await Deno.mkdir(`${dir}/a`);
    await checkNotInput([{ flag: "--out", path: `${dir}/b.nii` }], [{
      flag: "--input",
      path: `${dir}/a.nii`,
    }]);
    await assertRejects(
      () =>
        checkNotInput([{ flag: "--out", path: `${dir}/a/../x.nii` }], [
          { flag: "--mask", path: `${dir}/x.nii` },
        ]),
      /--out: .* is also --mask/,
    );
  });
});
