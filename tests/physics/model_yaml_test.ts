import { assert, assertEquals, assertThrows } from "../_assert.ts";
import {
  evalArithmetic,
  loadModel,
  loadModelSync,
  modelToYaml,
  parseModelYaml,
} from "../../src/physics/model_yaml.ts";
import { InputError } from "../../src/util/errors.ts";
import { GAMMA_RAD_PER_S_UT } from "../../src/physics/constants.ts";
import type { TissueModel } from "../../src/physics/model.ts";
import { BMSIM } from "../fixtures/mod.ts";

const REF = BMSIM;

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const p = `${dir}${e.name}`;
    if (e.isDirectory) out.push(...yamlFiles(p + "/"));
    else if (e.name.endsWith(".yaml")) out.push(p);
  }
  return out.sort();
}

Deno.test("loadModel() loads every YAML file under tests/fixtures/bmsim/ and round-trips it", async () => {
  const files = yamlFiles(REF);
  assert(files.length >= 25, `found ${files.length} files`);
  for (const f of files) {
    const m = await loadModel(f);
    assert(m.water.t1S > 0 && m.water.t2S > 0 && m.b0T > 0, f);
    assertEquals(parseModelYaml(modelToYaml(m), "roundtrip"), m, f);
  }
});

Deno.test("parseModelYaml() reads r1/r2 as rates, old gamma, mt_pool and extra keys", () => {
  const bf = loadModelSync(
    REF + "pulseq-cest-library/BF_volTueb1_9p4T_Lorentz_wo_0ppm_4cestpools_GM.yaml",
  );
  assertEquals(bf.water.t1S, 1 / 0.46019328117809477);
  assertEquals(bf.mt?.t2S, 1 / 29743.137859041264);
  assertEquals(bf.mt?.lineshape, "Lorentzian");
  assertEquals(bf.b0T, 9.4);
  assertEquals(bf.cest.map((p) => p.name), ["NOE_1", "amide", "guanidine_1", "NOE_2"]);
  assertEquals(bf.extra?.max_pulse_samples, 300);
  const gm = loadModelSync(REF + "pulseq-cest/GM_3T_example_bmsim.yaml");
  assertEquals(gm.gammaRadPerSUT, 267.5153);
  assertEquals(gm.mt?.lineshape, "SuperLorentzian");
  assertEquals(gm.extra?.scale, 0.5);
  const one = loadModelSync(REF + "BMCTool/config_1pool.yaml");
  assertEquals(one.cest.length, 0);
  assertEquals(one.mt, undefined);
  assertEquals(one.water.t2S, 1 / 15);
});

Deno.test("modelToYaml() round-trips a random model exactly", () => {
  const r = () => Math.random();
  const model: TissueModel = {
    water: { f: 1, t1S: 0.5 + 3 * r(), t2S: 0.01 + r() / 10 },
    cest: Array.from({ length: 1 + Math.floor(5 * r()) }, (_, i) => ({
      name: `pool_${i}`,
      f: r() / 100,
      t1S: 1 + r(),
      t2S: r() / 50 + 1e-4,
      kPerS: 5000 * r(),
      dwPpm: 10 * r() - 5,
    })),
    mt: {
      f: r() / 5,
      t1S: 1,
      t2S: 1e-5 * (1 + r()),
      kPerS: 50 * r(),
      dwPpm: -2.4,
      lineshape: "SuperLorentzian",
    },
    b0T: 3 + 8 * r(),
    gammaRadPerSUT: GAMMA_RAD_PER_S_UT,
    b0InhomPpm: r() - 0.5,
    relB1: 0.8 + 0.4 * r(),
    extra: { verbose: false, scale: 1, max_pulse_samples: 300 },
  };
  assertEquals(parseModelYaml(modelToYaml(model), "x"), model);
});

const GOOD = {
  water: "water_pool: {f: 1, t1: 1.8, t2: 0.05}",
  cest: "cest_pool:\n  amide: {f: 0.001, t1: 1, t2: 0.02, k: 50, dw: 3.5}",
  mt: "mt_pool: {f: 0.1, t1: 1, t2: 1.5e-5, k: 30, dw: -2.4, lineshape: Lorentzian}",
  b0: "b0: 7",
};
function doc(over: Partial<Record<keyof typeof GOOD, string>>, extra = ""): string {
  return Object.values({ ...GOOD, ...over }).join("\n") + "\n" + extra;
}

for (
  const [what, text, key] of <[string, string, string][]> [
    ["an unknown top-level key", doc({}, "b1: 3\n"), "b1"],
    [
      "an unknown pool key",
      doc({ cest: "cest_pool:\n  amide: {f: 0.001, t1: 1, t2: 0.02, k: 50, dw: 3.5, kex: 3}" }),
      "cest_pool.amide.kex",
    ],
    ["a missing water_pool", doc({ water: "" }), "water_pool"],
    ["a negative T2", doc({ water: "water_pool: {f: 1, t1: 1.8, t2: -0.05}" }), "water_pool.t2"],
    [
      "a zero T1",
      doc({ cest: "cest_pool:\n  amide: {f: 0.001, t1: 0, t2: 0.02, k: 50, dw: 3.5}" }),
      "cest_pool.amide.t1",
    ],
    ["a negative r2", doc({ water: "water_pool: {f: 1, r1: 0.5, r2: -20}" }), "water_pool.r2"],
    [
      "f ≥ 1 for a solute pool",
      doc({ cest: "cest_pool:\n  amide: {f: 1.0, t1: 1, t2: 0.02, k: 50, dw: 3.5}" }),
      "cest_pool.amide.f",
    ],
    [
      "f < 0",
      doc({ mt: "mt_pool: {f: -0.1, t1: 1, t2: 1.5e-5, k: 30, dw: -2.4, lineshape: Lorentzian}" }),
      "mt_pool.f",
    ],
    [
      "a non-numeric value",
      doc({ cest: "cest_pool:\n  amide: {f: 0.001, t1: 1, t2: 0.02, k: fast, dw: 3.5}" }),
      "cest_pool.amide.k",
    ],
    [
      "a bad lineshape",
      doc({ mt: "mt_pool: {f: 0.1, t1: 1, t2: 1.5e-5, k: 30, dw: -2.4, lineshape: Gaussian}" }),
      "mt_pool.lineshape",
    ],
    [
      "both t1 and r1",
      doc({ water: "water_pool: {f: 1, t1: 1.8, r1: 0.5, t2: 0.05}" }),
      "water_pool.t1",
    ],
    ["a missing b0", doc({ b0: "" }), "b0"],
    [
      "a missing k",
      doc({ cest: "cest_pool:\n  amide: {f: 0.001, t1: 1, t2: 0.02, dw: 3.5}" }),
      "cest_pool.amide.k",
    ],
  ]
) {
  Deno.test(`parseModelYaml() rejects ${what} with an InputError naming the file and ${key}`, () => {
    const e = assertThrows(() => parseModelYaml(text, "bad.yaml"));
    assert(e instanceof InputError, String(e));
    assert(e.message.startsWith(`bad.yaml: ${key}:`), e.message);
    assert(!e.message.includes("\n"), "one line");
  });
}

Deno.test("parseModelYaml() rejects text that is not YAML or not a mapping", () => {
  const a = assertThrows(
    () => parseModelYaml("water_pool: {f: 1, t1: [", "broken.yaml"),
    /^broken\.yaml: /,
  );
  const b = assertThrows(() => parseModelYaml("- 1\n- 2\n", "list.yaml"), /^list\.yaml: /);
  assert(a instanceof InputError && b instanceof InputError);
});

Deno.test("evalArithmetic() evaluates the plain arithmetic some library files use and nothing else", () => {
  assertEquals(evalArithmetic("11.2 / 111"), 11.2 / 111);
  assertEquals(evalArithmetic("-(1 + 2) * 3e-1"), -(1 + 2) * 3e-1);
  assertEquals(evalArithmetic("fast"), undefined);
  assertEquals(evalArithmetic("1 +"), undefined);
  assertEquals(evalArithmetic("Math.PI"), undefined);
  assertEquals(loadModelSync(REF + "pulseq-cest-library/WM_3T_003_bmsim.yaml").mt?.f, 11.2 / 111);
});

Deno.test("parseModelYaml() names top-level scalar keys without a prefix", () => {
  const e = assertThrows(() => parseModelYaml(doc({ b0: "b0: seven" }), "m.yaml"));
  assertEquals(e.message.split(":").slice(0, 2).join(":"), "m.yaml: b0");
  const g = assertThrows(() => parseModelYaml(doc({}, "gamma: -1\n"), "m.yaml"));
  assert(g.message.startsWith("m.yaml: gamma: "), g.message);
});
