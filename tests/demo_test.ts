import { assert, assertEquals } from "./_assert.ts";
import { gpuTest } from "./_util.ts";
import { runDemo } from "../src/demo.ts";
import { comparePhantom, INPUT_ROW } from "../src/eval/compare.ts";
import { makePhantom, type PairSimulator, writePhantom } from "../src/data/phantom.ts";
import type { RunLoader } from "../src/eval/predict_volume.ts";
import { PAPER_OFFSETS_PPM } from "../src/physics/protocol.ts";
import { loadRunPredictor } from "../src/eval/run_predictor.ts";
import { readNifti } from "../src/data/nifti.ts";
import { r1ObsPerS, r1rhoAnalytic, zssAnalytic } from "../src/physics/analytic.ts";
import type { Protocol } from "../src/physics/protocol.ts";
import { withTempDir } from "./_tmp.ts";

/**
 * A fast stand-in for the Bloch–McConnell engine: the Zaiss–Bachert closed form (§3, §4.1),
 * so the test exercises every stage of the pipeline in seconds; the GPU engine itself is
 * tested in tests/physics and by the phantom's GPU test.
 */
const analyticSim: PairSimulator = (models, input, target) => {
  const z = (p: Protocol) => {
    const out = new Float32Array(models.length * p.offsetsPpm.length);
    models.forEach((m0, i) => {
      const m = { ...m0, mt: undefined }; // the MT closed form has singular corners; CEST pools suffice here
      const td = p.start.kind === "satrec" ? p.start.tdS : Infinity;
      const zi = 1 - Math.exp(-r1ObsPerS(m) * td);
      p.offsetsPpm.forEach((o, k) => {
        const r = r1rhoAnalytic(m, p.b1UT, o), zss = zssAnalytic(m, p.b1UT, o, { r1rhoPerS: r });
        out[i * p.offsetsPpm.length + k] = p.tsS === Infinity
          ? zss
          : (zi - zss) * Math.exp(-r * p.tsS) + zss;
      });
    });
    return out;
  };
  return Promise.resolve({ input: z(input), target: z(target) });
};

gpuTest("runDemo() runs every stage on tiny sizes, then reuses them on a re-run", async () => {
  await withTempDir({ prefix: "quass_demo_" }, async (dir) => {
    const lines: string[] = [];
    const opts = {
      dir,
      datasetSize: 96,
      epochs: 1,
      preset: "tiny" as const,
      phantomSize: 16,
      snr: 100,
      seed: Math.floor(Math.random() * 1000),
      simulate: analyticSim,
      loader: loadRunPredictor,
      log: (l: string) => lines.push(l),
    };
    const r = await runDemo(opts);
    for (const s of ["dataset", "train", "phantom", "evaluate"]) {
      assert(s in r.seconds, `stage ${s} ran`);
    }
    assert(Number.isFinite(r.networkMae) && r.networkMae > 0, `network MAE ${r.networkMae}`);
    assert(Number.isFinite(r.analyticMae) && r.analyticMae > 0, `analytic MAE ${r.analyticMae}`);
    // the demo's network is trained for Ts 5 s / Td 1 s: it and the formula predicting Ts 5 s
    // are scored against the Ts 5 s reference, and nothing of theirs against the steady state
    assertEquals([r.target, r.analyticName], ["Ts 5 s / Td 1 s", "analytic QUASS → Ts 5 s"]);
    const names = r.compare.vsTs5.map((e) => e.name);
    // the demo's own run, the shipped pretrained model beside it, the formula, the floor
    assertEquals(names.length, 4, `rows ${names}`);
    assert(
      names[0] === INPUT_ROW && names.some((n) => n.startsWith("lstm-attention")) &&
        names.includes("analytic QUASS → Ts 5 s") && names.includes(r.pretrainedName!),
      `rows ${names}`,
    );
    assert(/T1-informed/.test(r.pretrainedName!), r.pretrainedName);
    assert(
      Number.isFinite(r.pretrainedMae) &&
        r.pretrainedMae === r.compare.maeTs5[r.pretrainedName!],
      `pretrained MAE ${r.pretrainedMae}`,
    );
    // the real-scan pipeline ran with the pretrained model on a phantom with B0 and B1 fields
    assert(
      r.realScan && "real scan" in r.seconds && Number.isFinite(r.realScan.rawMae) &&
        Number.isFinite(r.realScan.preprocessedMae) && Number.isFinite(r.realScan.b0RmsPpm),
      JSON.stringify(r.realScan),
    );
    assertEquals(r.compare.vsSteady.map((e) => e.name), [
      INPUT_ROW,
      "analytic QUASS → steady state",
    ]);
    assertEquals(r.analyticMae, r.compare.maeTs5["analytic QUASS → Ts 5 s"]);
    assertEquals(r.inputMae, r.compare.maeTs5[INPUT_ROW]);
    assert(
      r.compare.markdown.includes("R²") && r.compare.markdown.includes("## Target Ts 5 s / Td 1 s"),
      "the table names R² and the target",
    );
    const pred = await readNifti(`${dir}/report/lstm-attention/pred.nii.gz`);
    assertEquals(pred.dims, [16, 16, 1, 101]);
    assertEquals(pred.nonFinite, 0);
    for (
      const f of [
        "compare.md",
        "compare.json",
        "analytic_quass_ts5/metrics.json",
        "analytic_quass_steady/metrics.json",
        "lstm-attention/summary.md",
      ]
    ) {
      assert((await Deno.stat(`${dir}/report/${f}`)).isFile, `${f} written`);
    }
    // a re-run reuses dataset, run and phantom and only re-evaluates (and re-runs the small
    // real-scan comparison, part of the evaluation)
    lines.length = 0;
    const again = await runDemo(opts);
    assertEquals(Object.keys(again.seconds), ["evaluate", "real scan"]);
    assertEquals(lines.filter((l) => l.includes("up to date")).length, 3, lines.join("\n"));
    assertEquals(again.networkMae, r.networkMae);
  });
});

/** A run directory the fake loader below accepts (listRuns needs model.safetensors). */
async function _fakeRun(dir: string, arch: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/model.safetensors`, "");
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ model: { arch } }));
}

Deno.test("comparePhantom() scores each method against the reference of the target it predicts", async () => {
  await withTempDir({ prefix: "quass_compare_" }, async (dir) => {
    const ph = await makePhantom({ size: 16, seed: 3, snr: 100, simulate: analyticSim });
    await writePhantom(`${dir}/phantom`, ph);
    // four "runs" that return their input: trained for Ts 5 s / Td 1 s, for the steady state,
    // with no target recorded (the paper's Ts 5 s / Td 1 s), and for Ts 3 s (no reference)
    const runTargets: Record<string, { targetTsS?: number; targetTdS?: number }> = {
      a_ts5: { targetTsS: 5, targetTdS: 1 },
      b_steady: { targetTsS: Infinity },
      c_unrecorded: {},
      d_ts3: { targetTsS: 3, targetTdS: 1 },
    };
    for (const name of Object.keys(runTargets)) await _fakeRun(`${dir}/runs/${name}`, "mlp");
    const loader: RunLoader = (run) =>
      Promise.resolve({
        name: run,
        arch: "mlp",
        offsetsPpm: [...PAPER_OFFSETS_PPM],
        ...runTargets[run.slice(run.lastIndexOf("/") + 1)],
        predict: (x) => Promise.resolve(Float32Array.from(x)),
      });
    const r = await comparePhantom({
      phantom: `${dir}/phantom`,
      runs: `${dir}/runs`,
      out: `${dir}/report`,
      loader,
    });
    assertEquals(r.vsTs5.map((e) => [e.name, e.target]), [
      [INPUT_ROW, "— (uncorrected floor)"],
      ["mlp (a_ts5)", "Ts 5 s / Td 1 s"],
      ["mlp (c_unrecorded)", "Ts 5 s / Td 1 s"],
      ["analytic QUASS → Ts 5 s", "Ts 5 s / Td 1 s"],
    ]);
    assertEquals(r.vsSteady.map((e) => [e.name, e.target]), [
      [INPUT_ROW, "— (uncorrected floor)"],
      ["mlp (b_steady)", "steady state"],
      ["analytic QUASS → steady state", "steady state"],
    ]);
    assertEquals(r.unscored, ["mlp (d_ts3)"]);
    // an identity "network" scores exactly the input floor against its own target's reference
    assertEquals(r.maeTs5["mlp (a_ts5)"], r.maeTs5[INPUT_ROW]);
    assertEquals(r.maeSteady["mlp (b_steady)"], r.maeSteady[INPUT_ROW]);
    assert(r.maeTs5[INPUT_ROW]! !== r.maeSteady[INPUT_ROW]!, "the two references differ");
    // the formula fitted for each target beats the floor against that target's reference
    assert(
      r.maeTs5["analytic QUASS → Ts 5 s"]! < r.maeTs5[INPUT_ROW]! / 2,
      JSON.stringify(r.maeTs5),
    );
    assert(
      r.maeSteady["analytic QUASS → steady state"]! < r.maeSteady[INPUT_ROW]! / 2,
      JSON.stringify(r.maeSteady),
    );
    assert(
      r.markdown.includes("## Target Ts 5 s / Td 1 s") &&
        r.markdown.includes("## Target steady state") && r.markdown.includes("| predicts |") &&
        r.markdown.includes("Not scored") && r.markdown.includes("mlp (d_ts3)"),
      r.markdown,
    );
    const json = JSON.parse(await Deno.readTextFile(`${dir}/report/compare.json`));
    assertEquals([json.vsTs5.target, json.vsSteady.target], ["Ts 5 s / Td 1 s", "steady state"]);
    const side = JSON.parse(await Deno.readTextFile(`${dir}/report/analytic_quass_ts5/pred.json`));
    assertEquals([side.tsS, side.tdS], [5, 1]);
    const summary = await Deno.readTextFile(`${dir}/report/b_steady/summary.md`);
    assert(summary.includes("scored against: the steady state reference"), summary);
  });
});
