/** `quass quass-fit --target` run as a subprocess: the target reaches the file, bad text exits 2. */
import { assert, assertEquals } from "../_assert.ts";
import { assertClose } from "../_util.ts";
import { readNifti, writeNifti } from "../../src/data/nifti.ts";
import { readSidecar, writeSidecar } from "../../src/data/sidecar.ts";
import { quassImage } from "../../src/eval/quass_image.ts";
import { parseQuassTarget } from "../../src/cli/quass_fit.ts";
import { quass } from "./_quass.ts";
import { withTempDir } from "../_tmp.ts";

const OFFSETS_PPM = [-3.5, -1.2, 0.4, 2, 3.5];

/** A 2×2×1 Z volume at 5 offsets with the paper's input protocol in its sidecar. */
async function _scan(dir: string): Promise<{ path: string; data: Float32Array }> {
  const data = Float32Array.from({ length: 4 * 5 }, () => 0.3 + 0.5 * Math.random());
  const path = `${dir}/scan.nii.gz`;
  await writeNifti(path, { dims: [2, 2, 1, 5], data });
  await writeSidecar(path, { offsetsPpm: OFFSETS_PPM, tsS: 1.5, tdS: 4.5, b1UT: 1, b0T: 7 });
  return { path, data };
}

/** `quass quass-fit` of `scan` (water T1 1.7 s) to the `--target` protocol, into `out`. */
function fitTo(scan: string, target: string, out: string) {
  return quass("quass-fit", "--input", scan, "--t1", "1.7", "--target", target, "--out", out);
}

Deno.test("quass-fit --target ts=5,td=1 writes the Ts 5 s image and records the target", async () => {
  await withTempDir({ prefix: "quass_fit_cli_" }, async (dir) => {
    const scan = await _scan(dir);
    const out = `${dir}/q5.nii.gz`;
    const r = await fitTo(scan.path, "ts=5,td=1", out);
    assertEquals(r.code, 0, r.stderr);
    assert(r.stdout.includes("(Ts 5 s / Td 1 s)"), r.stdout);
    const side = (await readSidecar(out))!;
    assertEquals([side.tsS, side.tdS, side.target], [5, 1, "Ts 5 s / Td 1 s"]);
    const want = quassImage(scan.data, 4, 1.7, {
      offsetsPpm: OFFSETS_PPM,
      b1UT: 1,
      tsS: 1.5,
      tdS: 4.5,
    }, { target: { tsS: 5, tdS: 1 } });
    assertClose((await readNifti(out)).data, want.zss, { atol: 1e-7, label: "Ts 5 s image" });
  });
});

Deno.test("quass-fit with a bad --target exits 2 with one line naming the flag and the fix, writing nothing", async () => {
  await withTempDir({ prefix: "quass_fit_cli_" }, async (dir) => {
    const scan = await _scan(dir);
    for (const bad of ["ts=5", "5,1", "ts=-5,td=1", "ts=5,td=x", "steady-state", "td=1,ts=5"]) {
      const r = await fitTo(scan.path, bad, `${dir}/bad.nii.gz`);
      assertEquals(r.code, 2, `--target ${bad}: ${r.stderr}`);
      const lines = r.stderr.trim().split("\n");
      assertEquals(lines.length, 1, r.stderr);
      assert(
        lines[0]!.includes(`--target "${bad}"`) &&
          lines[0]!.includes("--target must be steady or ts=SECONDS,td=SECONDS"),
        lines[0],
      );
    }
    const left = [];
    for await (const e of Deno.readDir(dir)) left.push(e.name);
    assertEquals(left.sort(), ["scan.json", "scan.nii.gz"], "nothing written");
  });
});

Deno.test("parseQuassTarget() reads steady, ts=…,td=… and ts=inf", () => {
  assertEquals(parseQuassTarget("steady"), "steady");
  assertEquals(parseQuassTarget(" TS=5, td=1 "), { tsS: 5, tdS: 1 });
  assertEquals(parseQuassTarget("ts=2.5,td=0"), { tsS: 2.5, tdS: 0 });
  assertEquals(parseQuassTarget("ts=inf,td=1"), "steady");
});
