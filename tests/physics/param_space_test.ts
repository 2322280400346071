import { assert, assertEquals, assertRejects } from "../_assert.ts";
import {
  defaultParamSpace,
  loadParamSpace,
  modelFromParams,
  N_PARAMS,
  paramNames,
  sampleParamRows,
  sampleParams,
} from "../../src/physics/param_space.ts";
import { InputError } from "../../src/util/errors.ts";

Deno.test("defaultParamSpace() has the 20 parameters of pool_parameters.md §2 in order", () => {
  const s = defaultParamSpace();
  const names = paramNames(s);
  assertEquals(names.length, N_PARAMS);
  assertEquals(new Set(names).size, N_PARAMS);
  assertEquals(names.slice(0, 5), [
    "water_t1_s",
    "water_t2_s",
    "amide_f",
    "amide_k_per_s",
    "amide_t2_s",
  ]);
  assertEquals(names.slice(14, 17), ["MT_f", "MT_k_per_s", "MT_t2_s"]);
  // spot checks of the table: T1w 1.2–2.5 s, k_OH 1000–5000 /s, T2_MT 5–50 µs
  assertEquals([s.ranges[0]!.lo, s.ranges[0]!.hi], [1.2, 2.5]);
  assertEquals([s.ranges[9]!.lo, s.ranges[9]!.hi], [1000, 5000]);
  assertEquals([s.ranges[16]!.lo, s.ranges[16]!.hi], [5e-6, 50e-6]);
  assert(s.ranges.every((r) => r.lo > 0 && r.lo < r.hi));
});

Deno.test("sampleParamRows() of a shard equals the same rows of a whole run", () => {
  const s = defaultParamSpace();
  const seed = Math.floor(Math.random() * 1e9);
  const whole = sampleParamRows(s, seed, 0, 30);
  const part = sampleParamRows(s, seed, 11, 19);
  assertEquals(Array.from(part), Array.from(whole.subarray(11 * N_PARAMS, 19 * N_PARAMS)));
  assertEquals(
    Array.from(sampleParams(s, seed, 12)),
    Array.from(whole.subarray(12 * N_PARAMS, 13 * N_PARAMS)),
  );
});

Deno.test("modelFromParams() puts MT in an x,y,z pool with mt_form xyz and uses the fixed values", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/space.yaml`;
  await Deno.writeTextFile(
    path,
    "mt_form: xyz\nsolute_t1_s: 1.3\nb0_t: 9.4\nranges: { amide_f: [0.001, 0.002] }\n",
  );
  const space = await loadParamSpace(path);
  const p = sampleParams(space, 5, 3);
  assert(p[2]! >= 0.001 && p[2]! <= 0.002);
  const m = modelFromParams(p, space);
  assertEquals(m.mt, undefined);
  assertEquals(m.cest.map((c) => c.dwPpm), [3.5, 2.0, 1.3, -1.6, -2.4, -3.5]);
  assert(m.cest.every((c) => c.t1S === 1.3));
  assertEquals(m.b0T, 9.4);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadParamSpace() errors name the file and the field", async () => {
  const dir = await Deno.makeTempDir();
  const cases: [string, RegExp][] = [
    ["ranges: { water_t1_s: [2, 1] }", /space\.yaml: ranges\.water_t1_s: .*0 < lo ≤ hi/],
    ["ranges: { waterT1: [1, 2] }", /space\.yaml: ranges\.waterT1 is not a parameter/],
    ["mt_form: lorentz", /space\.yaml: mt_form must be/],
    ["b0_t: -7", /space\.yaml: b0_t must be a number > 0/],
    ["seed: 3", /space\.yaml: unknown field "seed"/],
    ["ranges: [1, 2", /space\.yaml: not valid YAML/],
  ];
  for (const [text, re] of cases) {
    await Deno.writeTextFile(`${dir}/space.yaml`, text);
    const e = await assertRejects(() => loadParamSpace(`${dir}/space.yaml`), re);
    assert(e instanceof InputError, `${text}: ${e}`);
  }
  await assertRejects(() => loadParamSpace(`${dir}/missing.yaml`), /missing\.yaml: file not found/);
  await Deno.remove(dir, { recursive: true });
});
