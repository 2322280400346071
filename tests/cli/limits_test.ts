/**
 * Values beyond the documented limits (src/util/limits.ts, README "Usage") and values the
 * engine cannot take exit 2 with one line naming the flag or field and the fix, before any
 * work, leaving nothing behind.
 */
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { B1_MAX_UT, MAX_CEST_POOLS } from "../../src/util/limits.ts";
import { parseSimRequest } from "../../src/web/simulate.ts";
import { MAX_STATE_SIZE } from "../../src/physics/gpu_sim.ts";
import { checkFiniteZ } from "../../src/physics/protocol.ts";
import { InputError } from "../../src/util/errors.ts";
import { writeSafetensors } from "../../src/data/safetensors.ts";
import { RAT_BRAIN_7T_YAML } from "../fixtures/mod.ts";
import { gpuTest } from "../_util.ts";
import { assertInputError, listTree, tinyDataset, trainTiny } from "./_files.ts";
import { quass } from "./_quass.ts";
import { withTempDir } from "../_tmp.ts";

Deno.test("B1 above the shared cap exits 2 on both devices; the web takes the same cap", async () => {
  for (const device of ["cpu", "gpu"]) {
    const r = await quass(
      "simulate",
      "spectrum",
      "--model",
      RAT_BRAIN_7T_YAML,
      "--b1",
      "1e30",
      "--device",
      device,
    );
    assertInputError(r, ["--b1", `0–${B1_MAX_UT} µT`, "1e+30"]);
    assertEquals(r.stdout, "", "no spectrum printed");
  }
  await withTempDir({ prefix: "quass_b1_" }, async (dir) => {
    const r = await quass(
      "simulate",
      "dataset",
      "--n",
      "8",
      "--b1",
      "25",
      "--out",
      `${dir}/d.safetensors`,
    );
    assertInputError(r, ["--b1", `0–${B1_MAX_UT} µT`]);
    assertEquals(await listTree(dir), []);
  });
  assertEquals(parseSimRequest({ b1UT: B1_MAX_UT }).b1UT, B1_MAX_UT);
  assertThrows(() => parseSimRequest({ b1UT: B1_MAX_UT + 0.5 }), /b1UT/);
});

Deno.test("checkFiniteZ() makes a NaN or Inf spectrum an InputError naming the offset", () => {
  checkFiniteZ([0.5, 0.9], [-1, 1], "test");
  const e = assertThrows(() => checkFiniteZ([0.5, NaN], [-1, 1], "model m.yaml"), /non-finite Z/);
  assert(e instanceof InputError && /model m\.yaml.*NaN.*at 1 ppm/.test(e.message), e.message);
});

Deno.test("offsets, dataset size and pool count beyond their caps exit 2 before any work", async () => {
  await withTempDir({ prefix: "quass_caps_" }, async (dir) => {
    const r1 = await quass(
      "simulate",
      "spectrum",
      "--model",
      RAT_BRAIN_7T_YAML,
      "--offsets=-6:6:1e9",
    );
    assertInputError(r1, ["--offsets", "1000000000", "10,000", "at most 10000 offsets"]);
    const r2 = await quass("simulate", "dataset", "--n", "1e12", "--out", `${dir}/d.safetensors`);
    assertInputError(r2, ["--n", "10,000,000", "--seed"]);
    // the GPU simulator's 31 state entries are water, 9 CEST pools and a z-only MT pool
    assertEquals(3 + 3 * MAX_CEST_POOLS + 1, MAX_STATE_SIZE);
    const pools = Array.from(
      { length: MAX_CEST_POOLS + 1 },
      (_, i) => `  p${i}: {f: 0.001, t1: 1, t2: 0.01, k: 50, dw: ${i * 0.3}}`,
    );
    await Deno.writeTextFile(
      `${dir}/many.yaml`,
      `water_pool: {f: 1, t1: 1.8, t2: 0.05}\ncest_pool:\n${pools.join("\n")}\nb0: 7\n`,
    );
    const r3 = await quass(
      "simulate",
      "spectrum",
      "--model",
      `${dir}/many.yaml`,
      "--device",
      "cpu",
    );
    assertInputError(r3, [
      `${dir}/many.yaml`,
      "cest_pool",
      `${MAX_CEST_POOLS + 1} pools`,
      `limit of ${MAX_CEST_POOLS}`,
    ]);
    assertEquals(await listTree(dir), ["many.yaml"]);
  });
});

Deno.test("YAML nested too deeply, .nan, .inf and text values: one line saying what was found", async () => {
  await withTempDir({ prefix: "quass_yaml_" }, async (dir) => {
    const deep = `${dir}/deep.yaml`;
    await Deno.writeTextFile(deep, `water_pool: ${"[".repeat(200_000)}${"]".repeat(200_000)}\n`);
    assertInputError(await quass("simulate", "spectrum", "--model", deep), [
      deep,
      "nested too deeply",
      "water_pool: {f: 1",
    ]);
    const space = `${dir}/space.json`;
    await Deno.writeTextFile(space, `{"ranges": ${"[".repeat(200_000)}${"]".repeat(200_000)}}`);
    const r = await quass(
      "simulate",
      "dataset",
      "--n",
      "4",
      "--space",
      space,
      "--out",
      `${dir}/d.safetensors`,
    );
    assertInputError(r, [space, "nested too deeply", "ranges"]);
    for (
      const [value, found] of [
        [".nan", "found NaN (.nan)"],
        [".inf", "found infinity (.inf)"],
        ['"abc"', 'found the text "abc"'],
        ["", "found an empty value"],
      ] as const
    ) {
      const f = `${dir}/v.yaml`;
      await Deno.writeTextFile(f, `water_pool: {f: 1, t1: ${value}, t2: 0.05}\nb0: 7\n`);
      const r = await quass("simulate", "spectrum", "--model", f, "--device", "cpu");
      assertInputError(r, [`${f}: water_pool.t1`, found, "write a plain number"]);
    }
  });
});

Deno.test("train --batch 1e8 and --hidden 1e6 exit 2 naming the flag and the limit, creating no run", async () => {
  await withTempDir({ prefix: "quass_train_caps_" }, async (dir) => {
    await tinyDataset(`${dir}/d.safetensors`);
    const base = ["train", "--arch", "mlp", "--data", `${dir}/d.safetensors`, "--quiet"];
    const r1 = await quass(...base, "--out", `${dir}/run`, "--batch", "1e8");
    assertInputError(r1, ["--batch", "≤ 65536", "100000000"]);
    const r2 = await quass(...base, "--out", `${dir}/run`, "--hidden", "1e6");
    assertInputError(r2, ["--hidden", "≤ 4096", "1000000"]);
    assertEquals(await listTree(dir), ["d.safetensors"], "no run directory, no config.json");
  });
});

gpuTest(
  "predict-spectra: a --run that is a file, and offsets_ppm that do not fit input, exit 2",
  async () => {
    await withTempDir({ prefix: "quass_pspec_" }, async (dir) => {
      await tinyDataset(`${dir}/d.safetensors`);
      await Deno.writeTextFile(`${dir}/file`, "");
      const r1 = await quass(
        "predict-spectra",
        "--run",
        `${dir}/file`,
        "--data",
        `${dir}/d.safetensors`,
      );
      assertInputError(r1, [
        `--run ${dir}/file`,
        "is a file, not a run directory",
        "quass train --out",
      ]);
      const r0 = await trainTiny(`${dir}/d.safetensors`, `${dir}/run`, "--epochs", "1");
      assertEquals(r0.code, 0, r0.stderr);
      // 10 columns of input but the 21 offsets the model was trained on
      await writeSafetensors(`${dir}/p.safetensors`, {
        tensors: {
          input: { data: new Float32Array(3 * 10).fill(0.5), shape: [3, 10] },
          offsets_ppm: {
            data: Float64Array.from({ length: 21 }, (_, i) => -6 + 0.6 * i),
            shape: [21],
          },
        },
        metadata: {},
      });
      const before = await listTree(dir);
      const r2 = await quass(
        "predict-spectra",
        "--run",
        `${dir}/run`,
        "--data",
        `${dir}/p.safetensors`,
      );
      assertInputError(r2, [
        `${dir}/p.safetensors`,
        '"offsets_ppm" has 21 entries',
        "10 columns",
        "one offset per column",
      ]);
      assertEquals(await listTree(dir), before, "no prediction written");
    });
  },
);

Deno.test("phantom --size beyond the cap exits 2 naming the flag, the cap and NIfTI-1's limit", async () => {
  await withTempDir({ prefix: "quass_phantom_size_" }, async (dir) => {
    const r = await quass("phantom", "--size", "100000", "--out", `${dir}/ph`);
    assertInputError(r, ["--size", "100000", "limit of 512", "32767", "--size 64"]);
    assertEquals(await listTree(dir), [], "no phantom directory");
  });
});
