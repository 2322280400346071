/** `quass simulate dataset` run as a subprocess: `--space wide` columns and names, errors. */
import { assert, assertEquals } from "../_assert.ts";
import { gpuTest } from "../_util.ts";
import { readDataset } from "../../src/data/dataset.ts";
import {
  defaultParamSpace,
  paramNames,
  sampleParamRows,
  wideParamSpace,
} from "../../src/physics/param_space.ts";
import { quass } from "./_quass.ts";
import { withTempDir } from "../_tmp.ts";

gpuTest("simulate dataset --space wide writes the 23 params columns and their names", async () => {
  await withTempDir({ prefix: "quass_sim_ds_" }, async (dir) => {
    const out = `${dir}/wide.safetensors`;
    const seed = String(1 + Math.floor(Math.random() * 1e6));
    const r = await quass(
      "simulate",
      "dataset",
      "--space",
      "wide",
      "--n",
      "64",
      "--seed",
      seed,
      "--out",
      out,
      "--quiet",
    );
    assertEquals(r.code, 0, r.stderr);
    const ds = await readDataset(out);
    const space = wideParamSpace();
    assertEquals(ds.count, 64);
    assertEquals(JSON.parse(ds.metadata.param_names!), paramNames(space));
    assertEquals(paramNames(space).length, 23);
    assertEquals(ds.params.length, 64 * 23);
    assertEquals(ds.params, Float32Array.from(sampleParamRows(space, Number(seed), 0, 64)));
    assertEquals(JSON.parse(ds.metadata.param_space!).base, "wide");
    assert(/lineshape per sample/.test(ds.metadata.mt_form!), ds.metadata.mt_form);
    const col = (name: string) => {
      const j = paramNames(space).indexOf(name);
      return Array.from({ length: 64 }, (_, i) => ds.params[i * 23 + j]!);
    };
    assert(col("mt_superlorentzian").some((v) => v === 1), "SuperLorentzian rows");
    assert(col("mt_superlorentzian").some((v) => v === 0), "Lorentzian rows");
    assert(col("rel_b1").every((v) => v >= 0.8 - 1e-6 && v <= 1.2 + 1e-6), "rel_b1 in range");
    const lo = Math.min(...ds.input), hi = Math.max(...ds.input);
    assert(lo > -1e-3 && hi < 1, `input Z in [${lo}, ${hi}]`);

    // the default space keeps its 20 columns
    const d = `${dir}/default.safetensors`;
    const r2 = await quass("simulate", "dataset", "--n", "4", "--out", d, "--quiet");
    assertEquals(r2.code, 0, r2.stderr);
    const dd = await readDataset(d);
    assertEquals(dd.params.length, 4 * 20);
    assertEquals(JSON.parse(dd.metadata.param_names!), paramNames(defaultParamSpace()));
  });
});

Deno.test("simulate dataset --space with an unknown name says which spaces exist (exit 2)", async () => {
  const r = await quass("simulate", "dataset", "--space", "broad", "--n", "4", "--out", "x");
  assertEquals(r.code, 2, r.stderr);
  assert(/--space: unknown space "broad"; use default or wide/.test(r.stderr), r.stderr);
  assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
});
