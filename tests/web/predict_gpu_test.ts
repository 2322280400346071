/**
 * The Predict API on the real engine with the shipped-model path: a T1-informed model made by
 * the tiny recipe (the shipped recipe at test size) stands in for models/quass-7t-cw, the
 * app's default GPU worker loads it when no run is chosen, and the phantom's T1 map travels
 * through the worker protocol to the formula input. The dashboard's voxel prediction must
 * equal the library's predictor fed the same spectrum and T1 (|Δ| ≤ 1e-4), and a wrong T1
 * map must change it.
 */
import { createApp } from "../../src/web/app.ts";
import { reproduceModel, TINY_RECIPE } from "../../src/nn/recipe.ts";
import { makePhantom, PHANTOM_FILES, writePhantom } from "../../src/data/phantom.ts";
import { readNifti, writeNifti } from "../../src/data/nifti.ts";
import { loadRunPredictor } from "../../src/eval/run_predictor.ts";
import { assert, assertEquals } from "../_assert.ts";
import { assertClose, gpuTest } from "../_util.ts";
import { cpuPairs } from "./_e2e.ts";

gpuTest(
  "POST /api/predict with no run: the pretrained T1-informed model predicts the phantom in the GPU worker with its T1 map",
  async (device) => {
    const root = await Deno.makeTempDir({ prefix: "quass-web-t1-" });
    const model = `${root}/models/quass-7t-cw`;
    await reproduceModel(TINY_RECIPE, { out: model, work: `${root}/work`, device });
    const size = 8;
    const ph = await makePhantom({
      size,
      seed: 1 + Math.floor(Math.random() * 1000),
      snr: 100,
      simulate: cpuPairs,
    });
    await writePhantom(`${root}/data/phantom`, ph);
    const app = await createApp({
      runsDir: `${root}/runs`,
      reportsDir: `${root}/report`,
      dataDir: `${root}/data`,
      benchDir: `${root}/bench`,
      tmpDir: `${root}/tmp`,
      pretrainedDir: model,
    });
    const predictPhantom = async () => {
      const res = await app.request("/api/predict", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ phantom: "phantom" }),
      });
      assertEquals(res.status, 202, await res.clone().text());
      const id = (await res.json()).jobId as string;
      for (let i = 0; i < 1200; i++) {
        const info = await (await app.request(`/api/jobs/${id}`)).json();
        if (info.status === "error") throw new Error(`prediction failed: ${info.error}`);
        if (info.status === "done") return id;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`job ${id} did not finish`);
    };
    const direct = await loadRunPredictor(model);
    try {
      const nvox = size * size;
      const brain = Array.from({ length: nvox }, (_, v) => v).filter((v) => ph.maps.mask[v]);
      const v = brain[Math.floor(Math.random() * brain.length)]!;
      const [x, y] = [v % size, Math.floor(v / size)];
      const t1Map = (await readNifti(`${root}/data/phantom/${PHANTOM_FILES.t1}`)).data;

      const id = await predictPhantom();
      const sum = await (await app.request(`/api/predict/${id}`)).json();
      assertEquals([sum.runName, sum.pretrained, sum.t1Informed], ["quass-7t-cw", true, true]);
      const vox = await (await app.request(`/api/predict/${id}/voxel?x=${x}&y=${y}&z=0`)).json();
      assert(vox.inMask, "a brain voxel");
      const want = await direct.predict(
        Float32Array.from(vox.input),
        1,
        Float32Array.of(t1Map[v]!),
      );
      assertClose(vox.prediction, want, { atol: 1e-4, label: "dashboard vs library, true T1" });

      // a wrong T1 map (40 % of the true one) changes the prediction
      const wrong = t1Map.map((t) => 0.4 * t);
      await writeNifti(`${root}/data/phantom/${PHANTOM_FILES.t1}`, {
        dims: [size, size, 1, 1],
        data: wrong,
        ndim: 3,
      });
      const id2 = await predictPhantom();
      const vox2 = await (await app.request(`/api/predict/${id2}/voxel?x=${x}&y=${y}&z=0`)).json();
      const want2 = await direct.predict(
        Float32Array.from(vox.input),
        1,
        Float32Array.of(wrong[v]!),
      );
      assertClose(vox2.prediction, want2, { atol: 1e-4, label: "dashboard vs library, wrong T1" });
      const diff = Math.max(
        ...vox.prediction.map((p: number, k: number) => Math.abs(p - vox2.prediction[k])),
      );
      console.log(`  max |ΔZ| between the true and the wrong T1 map: ${diff.toExponential(2)}`);
      assert(diff > 1e-3, `the T1 map did not change the prediction (max |ΔZ| ${diff})`);
    } finally {
      await app.close();
      await Deno.remove(root, { recursive: true });
    }
  },
);
