import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { assertClose, gpuTest } from "../_util.ts";
import { simulateSuitePhantom, SUITE_N_PARAMS } from "../../src/data/suite_phantoms.ts";
import { fakeSim } from "../data/_fake_sim.ts";
import {
  formulaMethod,
  formulaPredict,
  inputMethod,
  networkMethod,
  PAPER_REPORTED,
  qualityMarkdown,
  type QualityMethod,
  qualityReport,
  runQualitySuite,
  scoreCase,
  type SuiteCase,
  suiteCase,
  writeQualityReport,
} from "../../src/eval/quality_suite.ts";
import { cos2Theta } from "../../src/physics/analytic.ts";
import { PAPER_OFFSETS_PPM } from "../../src/physics/protocol.ts";
import { InputError } from "../../src/util/errors.ts";
import { withTempDir } from "../_tmp.ts";

async function fakeCase(snr: number): Promise<SuiteCase> {
  const ph = await simulateSuitePhantom("tumour", { size: 16, simulate: fakeSim });
  return suiteCase(ph, snr);
}

/** A method returning the reference (a perfect "model"). */
const oracle: QualityMethod = {
  name: "oracle",
  kind: "other",
  predict: (c) => Promise.resolve(c.reference),
};

Deno.test("runQualitySuite() ranks a perfect model first, the input equals the floor", async () => {
  const cases = [await fakeCase(Infinity), await fakeCase(100)];
  const lines: string[] = [];
  const rows = await runQualitySuite(
    cases,
    [oracle, formulaMethod(), inputMethod()],
    (l) => lines.push(l),
  );
  assertEquals(rows.length, 6);
  assertEquals(rows.map((r) => r.method), [
    "oracle",
    "QUASS formula (true T1, nominal B1)",
    "input (uncorrected)",
    "oracle",
    "QUASS formula (true T1, nominal B1)",
    "input (uncorrected)",
  ]);
  assertEquals(rows.map((r) => r.snr), [null, null, null, 100, 100, 100]);
  assertEquals(lines.length, 6);
  for (const snrRows of [rows.slice(0, 3), rows.slice(3)]) {
    const [o, f, floor] = snrRows.map((r) => r.score);
    assertEquals(o!.mae, 0);
    assertClose(o!.r2, [1, 1, 1, 1, 1, 1], { atol: 1e-12, label: "oracle R²" });
    assertEquals(o!.minR2, Math.min(...o!.r2));
    assertEquals(o!.mse, 0);
    assert(o!.ssim > 0.999999, `oracle SSIM ${o!.ssim}`);
    assert(o!.mae < f!.mae, "the perfect model beats the formula");
    assert(o!.mae < floor!.mae && o!.minR2 > floor!.minR2, "and the floor");
    assert(f!.mae > 0 && floor!.mae > 0);
    assert(o!.maskVoxels > 50, `mask voxels ${o!.maskVoxels}`);
  }
  // the floor is exactly the input scored against the reference
  const direct = scoreCase(cases[1]!, cases[1]!.input);
  assertEquals(rows[5]!.score, direct);
  // the noisy case really is noisy: its input differs from the noiseless one
  assert(cases[1]!.input.some((x, i) => x !== cases[0]!.input[i]), "SNR 100 adds noise");
});

Deno.test("formulaPredict() recovers the Ts 5 s scan of a spectrum that obeys the QUASS model", async () => {
  const c = await fakeCase(Infinity);
  const nvox = c.size * c.size, nOff = c.offsetsPpm.length;
  // input and reference built from the formula's own model: per voxel and offset an R1ρ,
  // Z_app = Z_i e^{−R Ts} + cos²θ·R1w/R·(1 − e^{−R Ts}) with Z_i = 1 − e^{−R1w Td}
  const input = new Float32Array(nvox * nOff), reference = new Float32Array(nvox * nOff);
  for (let v = 0; v < nvox; v++) {
    if (!c.mask[v]) continue;
    const r1w = 1 / c.t1S[v]!;
    for (let k = 0; k < nOff; k++) {
      const o = c.offsetsPpm[k]!;
      const c2 = cos2Theta(o, c.b1UT, c.b0T);
      const r = r1w + 0.3 + 3 * Math.exp(-o * o / 2) + 0.001 * (v % 7);
      const z = (ts: number, td: number) => {
        const e = Math.exp(-r * ts);
        return (1 - Math.exp(-r1w * td)) * e + (c2 * r1w / r) * (1 - e);
      };
      input[k * nvox + v] = z(1.5, 4.5);
      reference[k * nvox + v] = z(5, 1);
    }
  }
  const exact: SuiteCase = { ...c, input, reference };
  const pred = formulaPredict(exact);
  assertClose(pred, reference, { atol: 2e-6, label: "formula vs exact Ts 5 s" });
  // with a wrong T1 map the formula is off (the T1 map is used)
  const wrong = formulaPredict({ ...exact, t1S: exact.t1S.map((t) => t * 1.3) });
  const err = wrong.reduce((m, x, i) => Math.max(m, Math.abs(x - reference[i]!)), 0);
  assert(err > 1e-3, `a wrong T1 must change the prediction (max err ${err})`);
  // the case's T1 map is the phantom's true water T1
  const ph = await simulateSuitePhantom("tumour", { size: 16, simulate: fakeSim });
  for (let v = 0; v < nvox; v++) {
    assertEquals(c.t1S[v], ph.maps.mask[v] ? ph.maps.params[v * SUITE_N_PARAMS] : 0);
  }
});

Deno.test("networkMethod() predicts the masked voxels and rejects a run for another target", async () => {
  const c = await fakeCase(50);
  const identity = {
    name: "runs/identity",
    arch: "mlp",
    offsetsPpm: [...PAPER_OFFSETS_PPM],
    targetTsS: 5,
    targetTdS: 1,
    predict: (x: Float32Array) => Promise.resolve(x.slice()),
  };
  const m = networkMethod(identity);
  assertEquals(m.kind, "network");
  assertEquals(m.arch, "mlp");
  const rows = await runQualitySuite([c], [m, inputMethod()]);
  assertClose(rows[0]!.score.r2, rows[1]!.score.r2, { rtol: 1e-6, label: "identity = floor" });
  assertClose([rows[0]!.score.mae], [rows[1]!.score.mae], { rtol: 1e-6, label: "identity MAE" });
  const e = assertThrows(
    () => networkMethod({ ...identity, targetTsS: Infinity }),
    /trained for Ts Infinity s/,
  );
  assert(e instanceof InputError);
  // wrong offsets: the volume predictor refuses (InputError naming the fix)
  const other = networkMethod({ ...identity, offsetsPpm: [...PAPER_OFFSETS_PPM].slice(0, 50) });
  await assertRejects(() => other.predict(c), /offsets do not match/);
});

Deno.test("qualityMarkdown() has one table per SNR with every method, phantom and the paper row", async () => {
  const cases = [await fakeCase(Infinity), await fakeCase(200)];
  const methods = [oracle, inputMethod()];
  const rows = await runQualitySuite(cases, methods);
  const r = qualityReport(rows, { size: 16, phantoms: ["tumour"], snrs: [Infinity, 200], methods });
  assertEquals(r.snrs, [null, 200]);
  assertEquals(r.seeds, { tumour: 7_310_002 });
  const md = qualityMarkdown(r);
  assertEquals(md.match(/^## SNR /gm)?.length, 2);
  assert(md.includes("## SNR ∞") && md.includes("## SNR 200"));
  assertEquals(md.match(/^\| oracle \| 0\.00e\+0 · 1\.0000 \|/gm)?.length, 2, md);
  assertEquals(md.match(/^\| input \(uncorrected\) \|/gm)?.length, 2);
  assertEquals(md.match(/^\| \*paper \(reported, other data\)\* \|/gm)?.length, 2);
  for (const s of [String(PAPER_REPORTED.r2Min), "0.9991", "49.67", "1.68e-4"]) {
    assert(md.includes(s), `the report shows the paper's ${s}`);
  }
  await withTempDir({ prefix: "quass_quality_" }, async (dir) => {
    const paths = { json: `${dir}/results/quality.json`, md: `${dir}/QUALITY.md` };
    await writeQualityReport(r, paths);
    const back = JSON.parse(await Deno.readTextFile(paths.json));
    assertEquals(back.format, "quass-quality-1");
    assertEquals(back.rows.length, 4);
    assertEquals(back.rows[0].score.mae, 0);
    assertEquals(await Deno.readTextFile(paths.md), md);
    assertEquals([...Deno.readDirSync(`${dir}/results`)].length, 1, "no temp files left");
  });
});

gpuTest(
  "trainArchRuns() trains the requested architectures with one budget into loadable runs",
  async () => {
    const { generateDataset, writeDataset } = await import("../../src/data/dataset.ts");
    const { trainArchRuns } = await import("../../src/eval/quality_archs.ts");
    const { loadRunPredictor } = await import("../../src/eval/run_predictor.ts");
    await withTempDir({ prefix: "quass_quality_archs_" }, async (dir) => {
      const ds = await generateDataset({ n: 40, seed: 3 });
      await writeDataset(`${dir}/data.safetensors`, ds);
      const runs = await trainArchRuns({
        data: `${dir}/data.safetensors`,
        runsDir: `${dir}/runs`,
        epochs: 2,
        batch: 8,
        preset: "tiny",
        archs: ["mlp", "gru"],
      });
      assertEquals(runs.map((r) => r.arch), ["mlp", "gru"]);
      for (const r of runs) {
        const cfg = JSON.parse(await Deno.readTextFile(`${r.dir}/config.json`));
        assertEquals([cfg.train.epochs, cfg.train.batch, cfg.train.patience], [2, 8, 0]);
        const m = networkMethod(await loadRunPredictor(r.dir));
        const [row] = await runQualitySuite([await fakeCase(Infinity)], [m]);
        assert(Number.isFinite(row!.score.mae), `${r.arch} scores`);
      }
      await assertRejects(
        () => trainArchRuns({ data: `${dir}/data.safetensors`, runsDir: dir, epochs: 0 }),
        /--budget-epochs/,
      );
      await assertRejects(
        () =>
          trainArchRuns({
            data: `${dir}/data.safetensors`,
            runsDir: dir,
            epochs: 1,
            archs: ["cnn"],
          }),
        /--arch-list: unknown architecture "cnn"/,
      );
    });
  },
);
