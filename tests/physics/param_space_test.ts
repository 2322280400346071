import { assert, assertEquals, assertRejects } from "../_assert.ts";
import {
  defaultParamSpace,
  EXTRA_PARAM_NAMES,
  loadParamSpace,
  modelFromParams,
  N_PARAMS,
  namedParamSpace,
  paramNames,
  resolveParamSpace,
  sampleParamRows,
  sampleParams,
  wideParamSpace,
} from "../../src/physics/param_space.ts";
import { InputError } from "../../src/util/errors.ts";
import { withTempDir } from "../_tmp.ts";

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

Deno.test("wideParamSpace() samples its 23 columns inside their ranges, both MT lineshapes half/half", () => {
  const s = wideParamSpace();
  const names = paramNames(s);
  assertEquals(names.length, 23);
  assertEquals(names.slice(0, N_PARAMS), paramNames(defaultParamSpace()));
  assertEquals(names.slice(N_PARAMS), [...EXTRA_PARAM_NAMES]);
  const r = (n: string) => s.ranges.find((x) => x.name === n)!;
  assertEquals([r("water_t1_s").lo, r("water_t1_s").hi], [1.0, 3.0]);
  assertEquals([r("water_t2_s").lo, r("water_t2_s").hi], [20e-3, 120e-3]);
  assertEquals([r("solute_t1_s").lo, r("solute_t1_s").hi], [0.8, 2.0]);
  assertEquals([r("rel_b1").lo, r("rel_b1").hi], [0.8, 1.2]);
  const seed = Math.floor(Math.random() * 1e9);
  const n = 2000;
  const rows = sampleParamRows(s, seed, 0, n);
  let sl = 0, t1Lo = Infinity, t1Hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const p = rows.subarray(i * 23, (i + 1) * 23);
    p.forEach((v, j) => {
      const { lo, hi, name } = s.ranges[j]!;
      assert(v >= lo && v <= hi, `${name} = ${v}`);
    });
    assert(p[22] === 0 || p[22] === 1, `mt_superlorentzian = ${p[22]}`);
    const m = modelFromParams(p, s);
    assertEquals(m.relB1, p[21]);
    assert(m.cest.every((c) => c.t1S === p[20]) && m.mt!.t1S === p[20], "solute T1 column used");
    assertEquals(m.mt!.lineshape, p[22] === 1 ? "SuperLorentzian" : "Lorentzian");
    if (p[22] === 1) sl++;
    t1Lo = Math.min(t1Lo, p[0]!);
    t1Hi = Math.max(t1Hi, p[0]!);
  }
  assert(Math.abs(sl / n - 0.5) < 0.05, `SuperLorentzian fraction ${sl / n}`);
  assert(t1Lo < 1.1 && t1Hi > 2.9, `water T1 spans ${t1Lo}…${t1Hi}`);
  // the default space is unchanged: 20 columns, fixed solute T1, Lorentzian, relB1 1
  const d = modelFromParams(sampleParams(defaultParamSpace(), seed, 0));
  assertEquals([d.relB1, d.mt!.lineshape, d.cest[0]!.t1S], [1, "Lorentzian", 1.0]);
  assert(!("base" in defaultParamSpace()), "default space (and its dataset metadata) unchanged");
});

Deno.test("resolveParamSpace() takes a built-in name or a file; base: wide files override it", async () => {
  assertEquals(await resolveParamSpace(undefined), defaultParamSpace());
  assertEquals(await resolveParamSpace("default"), defaultParamSpace());
  assertEquals(await resolveParamSpace("wide"), wideParamSpace());
  assertEquals(namedParamSpace("wide"), wideParamSpace());
  await assertRejects(
    () => resolveParamSpace("wider"),
    /--space: unknown space "wider"; use default or wide/,
  );
  await withTempDir({}, async (dir) => {
    await Deno.writeTextFile(`${dir}/w.yaml`, "base: wide\nranges: { rel_b1: [0.9, 1.1] }\n");
    const s = await resolveParamSpace(`${dir}/w.yaml`);
    assertEquals(s.ranges.length, 23);
    assertEquals(s.ranges[21], { name: "rel_b1", lo: 0.9, hi: 1.1 });
    const cases: [string, RegExp][] = [
      ["base: huge", /base must be "default" or "wide"/],
      [
        "base: wide\nmt_lineshape: Lorentzian",
        /mt_lineshape is sampled per spectrum .*mt_superlorentzian/,
      ],
      ["base: wide\nsolute_t1_s: 1.2", /solute_t1_s is sampled per spectrum/],
      ["base: wide\nmt_form: xyz", /mt_form xyz has no MT lineshape/],
      ["base: wide\nranges: { mt_superlorentzian: [0, 1] }", /is a 0\/1 choice/],
    ];
    for (const [text, re] of cases) {
      await Deno.writeTextFile(`${dir}/bad.yaml`, text);
      const e = await assertRejects(() => resolveParamSpace(`${dir}/bad.yaml`), re);
      assert(e instanceof InputError && e.message.startsWith(`${dir}/bad.yaml`), `${text}: ${e}`);
    }
  });
});
