import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { assertClose, gpuTest } from "../_util.ts";
import {
  loadSuitePhantom,
  simulateSuitePhantom,
  SUITE_CLASSES,
  SUITE_N_PARAMS,
  SUITE_PARAM_NAMES,
  SUITE_PHANTOMS,
  SUITE_REL_B1_RANGE,
  SUITE_SEEDS,
  SUITE_SNRS,
  suiteMaps,
  suiteNoise,
  suiteVoxelModel,
} from "../../src/data/suite_phantoms.ts";
import { fakeSim } from "./_fake_sim.ts";
import { simulateCpu } from "../../src/physics/cpu_sim.ts";
import { paperInputProtocol, paperTargetProtocol } from "../../src/physics/protocol.ts";
import { withTempDir } from "../_tmp.ts";

Deno.test("suite seeds and SNRs are the frozen constants", () => {
  // Frozen before any model tuning: changing them invalidates every earlier quality number.
  assertEquals({ ...SUITE_SEEDS }, {
    "human-axial": 7_310_001,
    tumour: 7_310_002,
    vials: 7_310_003,
  });
  assertEquals([...SUITE_SNRS], [Infinity, 200, 100, 50]);
  assert(Object.isFrozen(SUITE_SEEDS), "SUITE_SEEDS must be frozen");
  assertEquals(SUITE_PARAM_NAMES.length, SUITE_N_PARAMS);
  for (const p of SUITE_PHANTOMS) {
    for (const c of SUITE_CLASSES[p]) assertEquals(c.params.length, SUITE_N_PARAMS, c.name);
  }
});

Deno.test("suiteMaps() is deterministic from the frozen seed and differs for another seed", () => {
  for (const name of SUITE_PHANTOMS) {
    const a = suiteMaps(name, { size: 32 }), b = suiteMaps(name, { size: 32 });
    assertEquals(a.seed, SUITE_SEEDS[name]);
    assertEquals(Array.from(a.labels), Array.from(b.labels));
    assertEquals(Array.from(a.params), Array.from(b.params));
    assertEquals(Array.from(a.relB1), Array.from(b.relB1));
    assertEquals(Array.from(a.m0), Array.from(b.m0));
    const c = suiteMaps(name, { size: 32, seed: SUITE_SEEDS[name] + 1 });
    let diff = 0;
    for (let i = 0; i < a.params.length; i++) {
      if (a.labels[Math.floor(i / SUITE_N_PARAMS)] && c.labels[Math.floor(i / SUITE_N_PARAMS)]) {
        diff = Math.max(diff, Math.abs(a.params[i]! - c.params[i]!));
      }
    }
    assert(diff > 0, `${name}: another seed must give other parameter maps`);
  }
  assertThrows(() => suiteMaps("rat"), /unknown suite phantom "rat"/);
  assertThrows(() => suiteMaps("vials", { size: 4 }), /size ≥ 8/);
});

Deno.test("suite parameters stay within their classes' stated ranges and vary smoothly", () => {
  let t1Lo = Infinity, t1Hi = 0;
  for (const name of SUITE_PHANTOMS) {
    const m = suiteMaps(name, { size: 64 });
    const classes = SUITE_CLASSES[name];
    const seen = new Set<number>();
    // per class and parameter: observed min / max
    const lo = classes.map(() => new Array(SUITE_N_PARAMS).fill(Infinity));
    const hi = classes.map(() => new Array(SUITE_N_PARAMS).fill(-Infinity));
    for (let v = 0; v < m.labels.length; v++) {
      const l = m.labels[v]!;
      if (!l) {
        for (let p = 0; p < SUITE_N_PARAMS; p++) assertEquals(m.params[v * SUITE_N_PARAMS + p], 0);
        assertEquals(m.m0[v], 0);
        continue;
      }
      seen.add(l);
      const cls = classes[l - 1]!;
      assert(cls.variation >= 0.03 && cls.variation <= 0.15, `${cls.name} variation`);
      for (let p = 0; p < SUITE_N_PARAMS; p++) {
        const x = m.params[v * SUITE_N_PARAMS + p]!, mean = cls.params[p]!;
        assert(
          x >= mean * (1 - cls.variation) * (1 - 1e-12) &&
            x <= mean * (1 + cls.variation) * (1 + 1e-12),
          `${name} ${cls.name} ${SUITE_PARAM_NAMES[p]} = ${x} outside ${mean} ± ${
            cls.variation * 100
          } %`,
        );
        lo[l - 1]![p] = Math.min(lo[l - 1]![p], x);
        hi[l - 1]![p] = Math.max(hi[l - 1]![p], x);
      }
      t1Lo = Math.min(t1Lo, m.params[v * SUITE_N_PARAMS]!);
      t1Hi = Math.max(t1Hi, m.params[v * SUITE_N_PARAMS]!);
    }
    assertEquals([...seen].sort(), classes.map((c) => c.label), `${name}: every class present`);
    // every parameter of every class actually varies (small vials see part of the field only)
    classes.forEach((c, j) => {
      for (let p = 0; p < SUITE_N_PARAMS; p++) {
        const spread = (hi[j]![p] - lo[j]![p]) / c.params[p]!;
        assert(
          spread > 0.1 * c.variation,
          `${name} ${c.name} ${SUITE_PARAM_NAMES[p]} varies by only ${spread}`,
        );
      }
    });
    // smooth: 4-neighbours of the same class differ by far less than the class span
    for (let v = 0; v < m.labels.length - 1; v++) {
      const l = m.labels[v]!;
      if (!l || m.labels[v + 1] !== l) continue;
      const c = classes[l - 1]!;
      const d = Math.abs(m.params[v * SUITE_N_PARAMS]! - m.params[(v + 1) * SUITE_N_PARAMS]!);
      assert(d < 0.5 * c.variation * c.params[0]!, `${name}: T1 jumps by ${d} between neighbours`);
    }
  }
  // water T1 spans about 1.2–2.6 s over the suite
  assert(t1Lo >= 1.15 && t1Lo < 1.25, `lowest water T1 ${t1Lo}`);
  assert(t1Hi > 2.45 && t1Hi <= 2.65, `highest water T1 ${t1Hi}`);
});

Deno.test("suite relative B1 spans 0.85–1.15 smoothly inside the mask and is 1 outside", () => {
  for (const name of SUITE_PHANTOMS) {
    const m = suiteMaps(name, { size: 64 });
    let lo = Infinity, hi = -Infinity;
    for (let v = 0; v < m.relB1.length; v++) {
      if (!m.mask[v]) {
        assertEquals(m.relB1[v], 1);
        continue;
      }
      lo = Math.min(lo, m.relB1[v]!);
      hi = Math.max(hi, m.relB1[v]!);
      if (v + 1 < m.relB1.length && m.mask[v + 1]) {
        const d = Math.abs(m.relB1[v]! - m.relB1[v + 1]!);
        assert(d < 0.05, `${name}: relB1 jumps by ${d} between neighbours`);
      }
    }
    assertClose([lo, hi], [...SUITE_REL_B1_RANGE], { atol: 1e-12, label: `${name} relB1 range` });
    // the model of a voxel carries its relB1 and no B0 shift
    const v = m.mask.indexOf(1);
    const model = suiteVoxelModel(m, v);
    assertEquals(model.relB1, m.relB1[v]);
    assertEquals(model.b0InhomPpm, 0);
  }
});

Deno.test("suite MT lineshape follows the class: both Lorentzian and SuperLorentzian occur", () => {
  const all = new Set<string>();
  for (const name of SUITE_PHANTOMS) {
    const m = suiteMaps(name, { size: 32 });
    const inPhantom = new Set<string>();
    for (let v = 0; v < m.labels.length; v++) {
      if (!m.labels[v]) continue;
      const cls = SUITE_CLASSES[name][m.labels[v]! - 1]!;
      const model = suiteVoxelModel(m, v);
      assertEquals(model.mt?.lineshape, cls.mtLineshape);
      assertEquals(model.mt?.dwPpm, cls.mtDwPpm);
      assertEquals(model.mt?.f, m.params[v * SUITE_N_PARAMS + 14]);
      assertEquals(model.water.t1S, m.params[v * SUITE_N_PARAMS]);
      assertEquals(model.cest.map((c) => c.dwPpm), [3.5, 2.0, 1.3, -1.6, -3.5]);
      inPhantom.add(cls.mtLineshape);
      all.add(cls.mtLineshape);
    }
    assertEquals(
      [...inPhantom].sort(),
      ["Lorentzian", "SuperLorentzian"],
      `${name}: both lineshapes`,
    );
  }
  assertEquals([...all].sort(), ["Lorentzian", "SuperLorentzian"]);
});

Deno.test("suiteNoise(): Rician noise at the SNR (background std), deterministic, none at ∞", async () => {
  const ph = await simulateSuitePhantom("human-axial", { size: 16, simulate: fakeSim });
  const nvox = 256;
  const clean = suiteNoise(ph, Infinity);
  assertClose(
    clean.input,
    Array.from(ph.inputClean, (x, i) => (ph.maps.mask[i % nvox] ? x : 0)),
    { rtol: 1e-6, label: "noiseless input" },
  );
  let m0Mean = 0, nIn = 0;
  for (let v = 0; v < nvox; v++) if (ph.maps.mask[v]) (m0Mean += ph.maps.m0[v]!, nIn++);
  m0Mean /= nIn;
  for (const snr of [200, 50]) {
    const a = suiteNoise(ph, snr), b = suiteNoise(ph, snr);
    assertEquals(Array.from(a.inputRaw), Array.from(b.inputRaw), "same SNR, same noise");
    // background: Rayleigh with std σ·√(2 − π/2), σ = mean M0 in the mask / SNR
    const bg: number[] = [];
    for (let i = 0; i < a.inputRaw.length; i++) {
      if (!ph.maps.mask[i % nvox]) bg.push(a.inputRaw[i]!);
    }
    assert(bg.length > 5000, `background samples ${bg.length}`);
    const mean = bg.reduce((s, x) => s + x, 0) / bg.length;
    const std = Math.sqrt(bg.reduce((s, x) => s + (x - mean) ** 2, 0) / bg.length);
    assertClose([std], [(m0Mean / snr) * Math.sqrt(2 - Math.PI / 2)], {
      rtol: 0.05,
      label: `background std at SNR ${snr}`,
    });
  }
  const n200 = suiteNoise(ph, 200), n100 = suiteNoise(ph, 100);
  assert(n200.inputRaw.some((x, i) => x !== n100.inputRaw[i]), "each SNR has its own draw");
  assertThrows(() => suiteNoise(ph, 0), /--snrs/);
});

Deno.test("loadSuitePhantom() caches the simulation on disk and re-reads it", async () => {
  await withTempDir({ prefix: "quass_suite_" }, async (dir) => {
    fakeSim.calls = 0;
    const a = await loadSuitePhantom("vials", { size: 16, cacheDir: dir, simulate: fakeSim });
    assertEquals(a.cached, false);
    const calls = fakeSim.calls;
    assert(calls > 0);
    const b = await loadSuitePhantom("vials", { size: 16, cacheDir: dir, simulate: fakeSim });
    assertEquals(b.cached, true);
    assertEquals(fakeSim.calls, calls, "no simulation on a cache hit");
    assertEquals(Array.from(b.phantom.reference), Array.from(a.phantom.reference));
    assertEquals(Array.from(b.phantom.inputClean), Array.from(a.phantom.inputClean));
    assertEquals(b.phantom.offsetsPpm, a.phantom.offsetsPpm);
    assertEquals(Array.from(b.phantom.maps.params), Array.from(a.phantom.maps.params));
    // another seed is another key: simulated again
    const c = await loadSuitePhantom("vials", {
      size: 16,
      seed: 5,
      cacheDir: dir,
      simulate: fakeSim,
    });
    assertEquals(c.cached, false);
    await assertRejects(() => loadSuitePhantom("nope", { cacheDir: dir }), /unknown suite/);
  });
});

gpuTest(
  "simulateSuitePhantom() on the GPU matches the float64 CPU simulator (relB1, both MT lineshapes)",
  async () => {
    const ph = await simulateSuitePhantom("human-axial", { size: 12 });
    const nvox = 144;
    const pick: number[] = [];
    for (const ls of ["Lorentzian", "SuperLorentzian"]) {
      const v = Array.from({ length: nvox }, (_, i) => i).find((i) =>
        ph.maps.mask[i] && suiteVoxelModel(ph.maps, i).mt?.lineshape === ls
      );
      assert(v !== undefined, `a ${ls} voxel`);
      pick.push(v);
    }
    for (const v of pick) {
      const model = suiteVoxelModel(ph.maps, v);
      assert(model.relB1 !== 1, "the voxel has a non-trivial relB1");
      const col = (vol: Float32Array) => Array.from({ length: 101 }, (_, k) => vol[k * nvox + v]!);
      assertClose(col(ph.inputClean), simulateCpu(model, paperInputProtocol(1)), {
        atol: 2e-4,
        label: `input, voxel ${v} (${model.mt?.lineshape})`,
      });
      assertClose(col(ph.reference), simulateCpu(model, paperTargetProtocol(1, false)), {
        atol: 2e-4,
        label: `reference, voxel ${v} (${model.mt?.lineshape})`,
      });
    }
  },
);
