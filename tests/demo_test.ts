import { assert, assertEquals } from "./_assert.ts";
import { gpuTest } from "./_util.ts";
import { runDemo } from "../src/demo.ts";
import type { PairSimulator } from "../src/data/phantom.ts";
import { loadRunPredictor } from "../src/eval/run_predictor.ts";
import { readNifti } from "../src/data/nifti.ts";
import { r1ObsPerS, r1rhoAnalytic, zssAnalytic } from "../src/physics/analytic.ts";
import type { Protocol } from "../src/physics/protocol.ts";

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
  const dir = await Deno.makeTempDir({ prefix: "quass_demo_" });
  try {
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
    const names = r.compare.vsTs5.map((e) => e.name);
    assertEquals(names.length, 3, `rows ${names}`);
    assert(
      names.some((n) => n.startsWith("lstm-attention")) && names.includes("analytic QUASS"),
      `rows ${names}`,
    );
    assert(
      r.compare.markdown.includes("R²") && r.compare.markdown.includes("analytic QUASS"),
      "the table names R² and the baseline",
    );
    const pred = await readNifti(`${dir}/report/lstm-attention/pred.nii.gz`);
    assertEquals(pred.dims, [16, 16, 1, 101]);
    assertEquals(pred.nonFinite, 0);
    for (
      const f of [
        "compare.md",
        "compare.json",
        "analytic_quass/metrics.json",
        "lstm-attention/summary.md",
      ]
    ) {
      assert((await Deno.stat(`${dir}/report/${f}`)).isFile, `${f} written`);
    }
    // a re-run reuses dataset, run and phantom and only re-evaluates
    lines.length = 0;
    const again = await runDemo(opts);
    assertEquals(Object.keys(again.seconds), ["evaluate"]);
    assertEquals(lines.filter((l) => l.includes("up to date")).length, 3, lines.join("\n"));
    assertEquals(again.networkMae, r.networkMae);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
