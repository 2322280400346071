/**
 * Handler tests: every page and API route through `app.request(...)` — status, content,
 * errors (400 with the reason, 404, 413), path traversal, the job queue. The engine is
 * replaced by the float64 CPU simulator and a fake network with a known transform, so these
 * tests check the web layer (routing, validation, voxel order, files) quickly.
 */
import type { QuassApp } from "../../src/web/app.ts";
import { parseNifti, writeNifti } from "../../src/data/nifti.ts";
import { simulateCpu } from "../../src/physics/cpu_sim.ts";
import { parseModelYaml } from "../../src/physics/model_yaml.ts";
import { paperInputProtocol } from "../../src/physics/protocol.ts";
import { PHANTOM_FILES } from "../../src/data/phantom.ts";
import { assert, assertEquals } from "../_assert.ts";
import { assertClose } from "../_util.ts";
import { fmtMs } from "../../bench/harness.ts";
import {
  APP_TEST,
  fakeLoader,
  fakeNet,
  fakeT1Net,
  jobDone,
  JSON_HEADERS,
  NX,
  NY,
  NZ,
  OFFSETS,
  PRETRAINED_NAME,
  type TestAppOptions,
  withTestApp,
  type Workspace,
} from "./_fixtures.ts";

/** The handler tests' app: uploads capped at 1 MiB unless given. */
function withApp(
  fn: (app: QuassApp, ws: Workspace) => Promise<void>,
  extra: TestAppOptions = {},
): Promise<void> {
  return withTestApp(fn, { uploadLimitBytes: 1 << 20, ...extra });
}

async function text(res: Response): Promise<string> {
  return await res.text();
}

async function submitPhantom(app: QuassApp, run = "r1"): Promise<string> {
  const res = await app.request("/api/predict", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ run, phantom: "phantom" }),
  });
  assertEquals(res.status, 202, await res.clone().text());
  return (await res.json()).jobId;
}

Deno.test({
  name: "GET / lists runs (architecture, preset, best val loss), datasets, phantoms and reports",
  ...APP_TEST,
  fn: () =>
    withApp(async (app, ws) => {
      const res = await app.request("/");
      assertEquals(res.status, 200);
      assert(res.headers.get("content-type")!.startsWith("text/html"));
      const html = await text(res);
      assert(html.startsWith("<!DOCTYPE html>"));
      assert(
        html.includes(`href="/runs/r1"`) && html.includes(`href="/runs/r2"`),
        "both runs linked",
      );
      assert(html.includes("lstm-attention") && html.includes("gru"), "architectures shown");
      assert(html.includes(">tiny<"), "preset inferred from the sizes");
      const log = (await Deno.readTextFile(`${ws.runsDir}/r1/log.jsonl`)).trim().split("\n").map((
        l,
      ) => JSON.parse(l).val_loss as number);
      assert(html.includes(Math.min(...log).toExponential(3)), "best validation loss shown");
      assert(!html.includes("/runs/escape"), "a run symlinked outside the runs dir is not listed");
      assert(
        html.includes("phantom/") && html.includes("lstm-attention") &&
          html.includes("/metrics?report=analytic"),
      );
    }),
});

Deno.test({
  name:
    "GET /runs/NAME renders the run with its loss-curve island; unknown or unsafe names give 404/400",
  ...APP_TEST,
  fn: () =>
    withApp(async (app) => {
      const res = await app.request("/runs/r1");
      assertEquals(res.status, 200);
      const html = await text(res);
      assert(html.includes(`data-island="line_chart"`) && html.includes("loss-chart"));
      assert(
        html.includes("&quot;arch&quot;: &quot;lstm-attention&quot;") ||
          html.includes(`"arch": "lstm-attention"`),
      );
      assertEquals(
        (await app.request("/runs/nope", { headers: { accept: "text/html" } })).status,
        404,
      );
      const bad = await app.request("/runs/..%2F..%2Fsecret", { headers: { accept: "text/html" } });
      assert(bad.status === 400 || bad.status === 404, `status ${bad.status}`);
      assert(!(await text(bad)).includes("do not serve me"));
      assertEquals(
        (await app.request("/runs/escape")).status,
        404,
        "symlink escaping the runs dir",
      );
    }),
});

Deno.test({
  name: "GET /api/runs and /api/runs/NAME return summaries, config and the training log as JSON",
  ...APP_TEST,
  fn: () =>
    withApp(async (app) => {
      const list = await (await app.request("/api/runs")).json();
      assertEquals(list.map((r: { name: string }) => r.name).sort(), ["r1", "r2"]);
      const r1 = await (await app.request("/api/runs/r1")).json();
      assertEquals(r1.architecture, "lstm-attention");
      assertEquals(r1.log.length, 3);
      assertEquals(r1.hasWeights, true);
      const r2 = list.find((r: { name: string }) => r.name === "r2");
      assertEquals(r2.hasWeights, false);
      assertEquals((await app.request("/api/runs/missing")).status, 404);
    }),
});

Deno.test({
  name: "POST /api/simulate returns the three spectra of the requested protocol and MTR asymmetry",
  ...APP_TEST,
  fn: () =>
    withApp(async (app) => {
      const b1UT = 0.5 + Math.random(), t1 = 1.2 + Math.random();
      const res = await app.request("/api/simulate", {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({
          model: "tumour",
          b1UT,
          tsS: 1.5,
          tdS: 4.5,
          targetTsS: 5,
          targetTdS: 1,
          params: { "water.t1S": t1 },
        }),
      });
      assertEquals(res.status, 200);
      const d = await res.json();
      assertEquals(d.offsetsPpm.length, 101);
      assertEquals(d.params.length, 20, "20 parameters for a 7-pool model");
      // independent recomputation from the bundled YAML with the protocol built here
      const model = parseModelYaml(
        await Deno.readTextFile("static/models/rat_brain_7T_7pool_tumour_example.yaml"),
        "tumour",
      );
      model.water.t1S = t1;
      const base = paperInputProtocol(b1UT);
      const zi = simulateCpu(model, base);
      const zt = simulateCpu(model, { ...base, tsS: 5, start: { kind: "satrec", tdS: 1 } });
      const zs = simulateCpu(model, { ...base, tsS: Infinity, start: { kind: "satrec", tdS: 1 } });
      assertClose(d.input, zi, { atol: 1e-12, label: "input Ts 1.5 s" });
      assertClose(d.target, zt, { atol: 1e-12, label: "target Ts 5 s" });
      assertClose(d.steady, zs, { atol: 1e-12, label: "steady state" });
      const i35 = d.offsetsPpm.findIndex((o: number) => Math.abs(o - 3.48) < 1e-9);
      const m35 = d.offsetsPpm.findIndex((o: number) => Math.abs(o + 3.48) < 1e-9);
      const j = d.mtrOffsetsPpm.findIndex((o: number) => Math.abs(o - 3.48) < 1e-9);
      assertClose([d.mtrSteady[j]], [zs[m35]! - zs[i35]!], {
        atol: 1e-12,
        label: "MTRasym at 3.48 ppm",
      });
      assertEquals(d.mtrOffsetsPpm.length, 50);
    }),
});

Deno.test({
  name: "POST /api/simulate?format=csv returns a CSV with a header and 101 rows",
  ...APP_TEST,
  fn: () =>
    withApp(async (app) => {
      const res = await app.request("/api/simulate?format=csv", {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({ model: "normal" }),
      });
      assertEquals(res.status, 200);
      assert(res.headers.get("content-type")!.startsWith("text/csv"));
      const lines = (await text(res)).trim().split("\n");
      assertEquals(lines.length, 103);
      assert(
        lines[1]!.startsWith("offset_ppm,z_input_ts1.5s,z_target_ts5s,z_steady_state,mtrasym"),
      );
      assertEquals(lines[2]!.split(",").length, 7);
    }),
});

Deno.test({
  name: "POST /api/simulate rejects bad input with 400 and a message naming the field",
  ...APP_TEST,
  fn: () =>
    withApp(async (app) => {
      const post = (body: string) =>
        app.request("/api/simulate", { method: "POST", headers: JSON_HEADERS, body });
      const cases: [string, RegExp][] = [
        ["not json", /not JSON/],
        [JSON.stringify({ model: "liver" }), /Unknown model "liver"/],
        [JSON.stringify({ model: "normal", b1UT: -1 }), /b1UT/],
        [JSON.stringify({ model: "normal", params: { "water.t3S": 1 } }), /water\.t3S/],
        [JSON.stringify({ model: "normal", params: { "amide.f": 2 } }), /amide\.f/],
        [
          JSON.stringify({ modelYaml: "water_pool: {f: 1, t1: 1.8, t2: 0.05}\nb0: 7\nbanana: 3" }),
          /banana/,
        ],
        [JSON.stringify({ modelYaml: "water_pool: {f: 1, t1: 1.8, t2: -0.05}\nb0: 7" }), /t2/],
        [JSON.stringify({ model: "normal", colour: "red" }), /Unknown field "colour"/],
      ];
      for (const [body, re] of cases) {
        const res = await post(body);
        assertEquals(res.status, 400, body);
        const msg = (await res.json()).error as string;
        assert(re.test(msg), `${body}: ${msg}`);
      }
    }),
});

Deno.test({
  name: "POST /api/simulate accepts an uploaded pulseq-cest YAML model",
  ...APP_TEST,
  fn: () =>
    withApp(async (app) => {
      const yaml =
        "water_pool: {f: 1.0, t1: 1.5, t2: 0.06}\ncest_pool: {amide: {f: 0.002, t1: 1.0, t2: 0.01, k: 100, dw: 3.5}}\nb0: 7.0\n";
      const res = await app.request("/api/simulate", {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({ modelYaml: yaml }),
      });
      assertEquals(res.status, 200);
      const d = await res.json();
      assertEquals(d.params.map((p: { key: string }) => p.key), [
        "water.t1S",
        "water.t2S",
        "amide.f",
        "amide.kPerS",
        "amide.t2S",
      ]);
      assertClose(d.input, simulateCpu(parseModelYaml(yaml, "y"), paperInputProtocol(1)), {
        atol: 1e-12,
      });
    }),
});

Deno.test({
  name: "GET /simulate, /predict, /metrics and /bench render their pages",
  ...APP_TEST,
  fn: () =>
    withApp(async (app, ws) => {
      const sim = await text(await app.request("/simulate"));
      assert(sim.includes(`data-island="simulator"`) && sim.includes("Rat brain 7 T, tumour"));
      const pred = await text(await app.request("/predict?run=r1"));
      assert(pred.includes(`data-island="predict_panel"`));
      assert(
        pred.includes("&quot;initialRun&quot;:&quot;r1&quot;") ||
          pred.includes(`"initialRun":"r1"`),
        "run preselected",
      );
      assert(!pred.includes("r2 ("), "runs without weights are not offered");
      const def = await text(await app.request("/predict"));
      const opt = def.search(
        new RegExp(
          `<option selected value(="")?>shipped pretrained model \\(${PRETRAINED_NAME}, T1-informed\\)<`,
        ),
      );
      assert(opt >= 0, "the shipped model is offered as the empty, preselected run value");
      assert(opt < def.indexOf(">r1 (lstm-attention)<"), "first, before the trained runs");
      const home = await text(await app.request("/"));
      assert(home.includes(`id="pretrained-model"`) && home.includes(PRETRAINED_NAME));
      const met = await text(await app.request("/metrics"));
      assert(
        met.includes(`id="compare-table"`) && met.includes("analytic") &&
          met.includes("ssim-chart") && met.includes("training-chart"),
      );
      assert(met.includes("2.00e-4") && met.includes("9.00e-4"), "MSE per method");
      assert(
        met.includes("/api/files/reports/analytic/regression.svg") ||
          met.includes("/api/files/reports/lstm-attention/regression.svg"),
      );
      const bench = await text(await app.request("/bench"));
      assert(
        bench.includes("sim.json") && bench.includes("spectra_per_s") &&
          bench.includes("lavapipe") && bench.includes("cpu-f64"),
      );
      // a `deno task bench` group file: its cases as the RESULTS.md table, measured figures in it
      const fig = fmtMs(ws.benchMedianMs);
      assert(bench.includes(`${fig} (${fmtMs(0.9 * ws.benchMedianMs)}–`), `median ${fig} shown`);
      assert(bench.includes("net1 inference") && bench.includes("ours vs tfjs-webgpu"));
      assert(bench.includes("3.0×"), "the ratio ours vs tfjs-webgpu");
      assert(
        /train\.json[\s\S]*No benchmark cases in this file/.test(bench),
        "an empty group says so",
      );
    }),
});

Deno.test({
  name: "GET /api/reports and /api/bench return JSON",
  ...APP_TEST,
  fn: () =>
    withApp(async (app) => {
      const reps = await (await app.request("/api/reports")).json();
      assertEquals(reps.map((r: { name: string }) => r.name).sort(), [
        "analytic",
        "lstm-attention",
      ]);
      const bench = await (await app.request("/api/bench")).json();
      const sim = bench.find((f: { name: string }) => f.name === "sim.json");
      assertEquals(sim.content.results[1].impl, "cpu-f64");
    }),
});

Deno.test({
  name:
    "POST /api/predict on the phantom queues a job whose slices, voxels and NIfTI hold the network's output",
  ...APP_TEST,
  fn: () =>
    withApp(async (app, ws) => {
      const id = await submitPhantom(app);
      const info = await jobDone(app, id);
      assertEquals(info.status, "done", JSON.stringify(info));
      const sum = await (await app.request(`/api/predict/${id}`)).json();
      assertEquals(sum.dims, [NX, NY, NZ, OFFSETS.length]);
      assertEquals(sum.hasReference, true);
      const nvox = NX * NY * NZ;
      const k = Math.floor(Math.random() * OFFSETS.length);
      const s = await (await app.request(`/api/predict/${id}/slice?k=${k}&z=0`)).json();
      const expPred = Array.from(
        { length: nvox },
        (_, v) => (ws.mask[v] ? fakeNet(ws.scan[k * nvox + v]!) : 0),
      );
      assertClose(s.prediction, expPred, { atol: 1e-5, label: "slice prediction" });
      assertClose(s.input, ws.scan.subarray(k * nvox, (k + 1) * nvox), {
        atol: 1e-5,
        label: "slice input",
      });
      assertClose(
        s.error,
        expPred.map((p, v) => (ws.mask[v] ? Math.abs(p - ws.reference[k * nvox + v]!) : 0)),
        { atol: 1e-5, label: "|error|" },
      );
      const x = Math.floor(Math.random() * NX), y = Math.floor(Math.random() * NY);
      const v = x + NX * y;
      const vox = await (await app.request(`/api/predict/${id}/voxel?x=${x}&y=${y}&z=0`)).json();
      assertEquals(vox.inMask, ws.mask[v] === 1);
      assertClose(vox.reference, OFFSETS.map((_, kk) => ws.reference[kk * nvox + v]!), {
        atol: 1e-6,
        label: "voxel reference",
      });
      if (vox.inMask) {
        assertClose(
          vox.prediction,
          OFFSETS.map((_, kk) => fakeNet(ws.scan[kk * nvox + v]!)),
          { atol: 1e-5, label: "voxel prediction" },
        );
      }
      const nii = await app.request(`/api/predict/${id}/result`);
      assertEquals(nii.status, 200);
      assert(nii.headers.get("content-disposition")!.includes(".nii.gz"));
      const vol = await parseNifti(new Uint8Array(await nii.arrayBuffer()), "result");
      assertEquals(vol.dims, [NX, NY, NZ, OFFSETS.length]);
      assertClose(vol.data.subarray(k * nvox, (k + 1) * nvox), expPred, {
        atol: 1e-5,
        label: "NIfTI data",
      });
      for (const q of ["k=99", "k=-1", "k=1.5", ""]) {
        assertEquals((await app.request(`/api/predict/${id}/slice?${q}`)).status, 400, q);
      }
      assertEquals((await app.request(`/api/predict/${id}/voxel?x=${NX}&y=0`)).status, 400);
    }),
});

Deno.test({
  name:
    "POST /api/predict with an uploaded series predicts it and removes the upload's temporary files",
  ...APP_TEST,
  fn: () =>
    withApp(async (app, ws) => {
      const ph = `${ws.dataDir}/phantom`;
      const fd = new FormData();
      fd.set("run", "r1");
      fd.set(
        "scan",
        new File([await Deno.readFile(`${ph}/${PHANTOM_FILES.input}`)], "my scan.nii.gz"),
      );
      fd.set("sidecar", new File([await Deno.readFile(`${ph}/input.json`)], "my_scan.json"));
      fd.set("mask", new File([await Deno.readFile(`${ph}/${PHANTOM_FILES.mask}`)], "mask.nii.gz"));
      const res = await app.request("/api/predict", { method: "POST", body: fd });
      assertEquals(res.status, 202, await res.clone().text());
      const id = (await res.json()).jobId;
      assertEquals((await jobDone(app, id)).status, "done");
      const sum = await (await app.request(`/api/predict/${id}`)).json();
      assertEquals(sum.hasReference, false);
      assertEquals(sum.source, "my scan.nii.gz");
      const left = [...Deno.readDirSync(ws.tmpDir)];
      assertEquals(left.length, 0, `temporary area not cleaned: ${left.map((e) => e.name)}`);
    }),
});

Deno.test({
  name:
    "POST /api/predict rejects a non-NIfTI upload, missing offsets and unknown runs with 400 and the reason",
  ...APP_TEST,
  fn: () =>
    withApp(async (app, ws) => {
      const ph = `${ws.dataDir}/phantom`;
      const form = (scan: File, extra: Record<string, string | File> = {}, run = "r1") => {
        const fd = new FormData();
        fd.set("run", run);
        fd.set("scan", scan);
        for (const [k, v] of Object.entries(extra)) fd.set(k, v);
        return fd;
      };
      const scan = new File([await Deno.readFile(`${ph}/${PHANTOM_FILES.input}`)], "s.nii.gz");
      const cases: [FormData, RegExp][] = [
        [form(new File(["hello, I am a CSV file\n1,2,3\n"], "scan.nii")), /not a NIfTI|too short/],
        [
          form(new File([new Uint8Array(400)], "zeros.nii")),
          /scan \(zeros\.nii\): not a NIfTI file \(sizeof_hdr is 0/,
        ],
        [form(new File([new Uint8Array([0x1f, 0x8b, 1, 2, 3])], "broken.nii.gz")), /gzip/],
        [form(scan), /no offsets/],
        [form(scan, { offsets: "-6:6:101" }), /101 offsets given but the image has 5/],
        [form(scan, { offsets: "0,1,2,3,4" }, "r2"), /no model\.safetensors/],
        [form(scan, { offsets: "0,1,2,3,4" }, "../secret"), /Invalid run name/],
        [
          form(scan, { offsets: "0,1,2,3,4", mask: new File(["x".repeat(500)], "m.nii") }),
          /mask.*not a NIfTI/,
        ],
      ];
      for (const [fd, re] of cases) {
        const res = await app.request("/api/predict", { method: "POST", body: fd });
        const msg = (await res.json()).error as string;
        assertEquals(res.status, 400, msg);
        assert(re.test(msg), msg);
      }
      const js = await app.request("/api/predict", {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({ run: "r1", phantom: "nope" }),
      });
      assertEquals(js.status, 400);
      assert(/No phantom "nope"/.test((await js.json()).error));
      assertEquals(
        [...Deno.readDirSync(ws.tmpDir).filter((e) => e.isDirectory)].length,
        0,
        "nothing left in the temp area",
      );
    }),
});

/** Slice k of a finished job's prediction. */
async function predictedSlice(app: QuassApp, id: string, k: number): Promise<number[]> {
  const res = await app.request(`/api/predict/${id}/slice?k=${k}&z=0`);
  assertEquals(res.status, 200, await res.clone().text());
  return (await res.json()).prediction;
}

/** What the fake T1-informed network gives at offset k with the T1 of voxel v = t1Of(v). */
function expectedT1Slice(ws: Workspace, k: number, t1Of: (v: number) => number): number[] {
  const nvox = NX * NY * NZ;
  return Array.from(
    { length: nvox },
    (_, v) => (ws.mask[v] ? fakeT1Net(ws.scan[k * nvox + v]!, t1Of(v)) : 0),
  );
}

Deno.test({
  name:
    "POST /api/predict with no run uses the shipped T1-informed model with the phantom's T1 map, and the T1 matters",
  ...APP_TEST,
  fn: () =>
    withApp(async (app, ws) => {
      const k = Math.floor(Math.random() * OFFSETS.length);
      // run "" and no run field at all both mean the pretrained model
      const id = await submitPhantom(app, "");
      assertEquals((await jobDone(app, id)).status, "done");
      const sum = await (await app.request(`/api/predict/${id}`)).json();
      assertEquals(sum.runName, PRETRAINED_NAME);
      assertEquals(sum.pretrained, true);
      assertEquals(sum.t1Informed, true);
      assert(
        sum.notes.some((n: string) => /T1-informed/.test(n) && n.includes(PHANTOM_FILES.t1)),
        sum.notes.join("; "),
      );
      const right = await predictedSlice(app, id, k);
      assertClose(right, expectedT1Slice(ws, k, (v) => ws.t1[v]!), {
        atol: 1e-5,
        label: "prediction with the phantom's T1 map",
      });
      // a wrong T1 map (three times the true one) changes the prediction
      const wrong = ws.t1.map((t) => 3 * t);
      await writeNifti(`${ws.dataDir}/phantom/${PHANTOM_FILES.t1}`, {
        dims: [NX, NY, NZ, 1],
        data: wrong,
        ndim: 3,
      });
      const res = await app.request("/api/predict", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ phantom: "phantom" }),
      });
      assertEquals(res.status, 202, await res.clone().text());
      const id2 = (await res.json()).jobId;
      assertEquals((await jobDone(app, id2)).status, "done");
      const other = await predictedSlice(app, id2, k);
      assertClose(other, expectedT1Slice(ws, k, (v) => wrong[v]!), {
        atol: 1e-5,
        label: "prediction with the wrong T1 map",
      });
      const diff = Math.max(...other.map((p, v) => Math.abs(p - right[v]!)));
      assert(diff > 0.1, `the T1 map did not change the prediction (max |Δ| ${diff})`);
      // a trained run that is not T1-informed still predicts as before
      const id3 = await submitPhantom(app, "r1");
      assertEquals((await jobDone(app, id3)).status, "done");
      const s3 = await (await app.request(`/api/predict/${id3}`)).json();
      assertEquals([s3.runName, s3.pretrained, s3.t1Informed], ["r1", false, false]);
      // a phantom without a T1 map cannot feed a T1-informed model: 400 at once
      await Deno.remove(`${ws.dataDir}/phantom/${PHANTOM_FILES.t1}`);
      const noT1 = await app.request("/api/predict", {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({ run: "", phantom: "phantom" }),
      });
      const msg = (await noT1.json()).error as string;
      assertEquals(noT1.status, 400, msg);
      assert(msg.includes(PHANTOM_FILES.t1) && /T1-informed/.test(msg), msg);
      // without the shipped model, no run is a clear 400 naming the field
      await Deno.remove(`${ws.pretrainedDir}/model.safetensors`);
      const none = await app.request("/api/predict", {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({ phantom: "phantom" }),
      });
      const msg2 = (await none.json()).error as string;
      assertEquals(none.status, 400, msg2);
      assert(/No run chosen/.test(msg2) && /field "run"/.test(msg2), msg2);
    }),
});

Deno.test({
  name:
    "POST /api/predict uploads for a T1-informed model: T1 as a map or seconds, 400 naming the T1 field when missing or bad",
  ...APP_TEST,
  fn: () =>
    withApp(async (app, ws) => {
      const ph = `${ws.dataDir}/phantom`;
      const scanBytes = await Deno.readFile(`${ph}/${PHANTOM_FILES.input}`);
      const t1Bytes = await Deno.readFile(`${ph}/${PHANTOM_FILES.t1}`);
      const form = (extra: Record<string, string | File>, run = "") => {
        const fd = new FormData();
        fd.set("run", run);
        fd.set("scan", new File([scanBytes], "s.nii.gz"));
        fd.set("offsets", OFFSETS.join(","));
        fd.set("mask", new File([Deno.readFileSync(`${ph}/${PHANTOM_FILES.mask}`)], "m.nii.gz"));
        for (const [key, v] of Object.entries(extra)) fd.set(key, v);
        return fd;
      };
      const post = (fd: FormData) => app.request("/api/predict", { method: "POST", body: fd });
      const msTmp = `${ws.root}/t1_ms.nii.gz`;
      await writeNifti(msTmp, { dims: [NX, NY, NZ, 1], data: ws.t1.map((t) => 1000 * t), ndim: 3 });
      const cases: [FormData, RegExp][] = [
        [form({}), /T1-informed.*field "t1".*field "t1s"/],
        [form({ t1s: "abc" }), /Field "t1s" must be the water T1 in seconds/],
        [form({ t1s: "0" }), /Field "t1s"/],
        [form({ t1s: "-1.5" }), /Field "t1s"/],
        [form({ t1s: "1800" }), /Field "t1s"/],
        [form({ t1: new File([scanBytes], "t1.nii.gz") }), /t1 \(t1\.nii\.gz\).*water T1 map/],
        [form({ t1: new File([await Deno.readFile(msTmp)], "ms.nii.gz") }), /in seconds/],
        [form({ t1: new File(["x".repeat(500)], "t1.nii") }), /t1.*not a NIfTI/],
        [form({ t1: new File([t1Bytes], "t1.nii.gz"), t1s: "1.5" }), /keep only one/],
      ];
      for (const [fd, re] of cases) {
        const res = await post(fd);
        const msg = (await res.json()).error as string;
        assertEquals(res.status, 400, msg);
        assert(re.test(msg), msg);
        assert(!msg.includes("\n"), `one line: ${msg}`);
      }
      const k = Math.floor(Math.random() * OFFSETS.length);
      // one T1 for every voxel
      const t1s = 0.8 + Math.random();
      const r1 = await post(form({ t1s: String(t1s) }));
      assertEquals(r1.status, 202, await r1.clone().text());
      const id1 = (await r1.json()).jobId;
      assertEquals((await jobDone(app, id1)).status, "done");
      assertClose(await predictedSlice(app, id1, k), expectedT1Slice(ws, k, () => t1s), {
        atol: 1e-5,
        label: "prediction with t1s",
      });
      // a T1 map
      const r2 = await post(form({ t1: new File([t1Bytes], "my t1.nii.gz") }));
      assertEquals(r2.status, 202, await r2.clone().text());
      const id2 = (await r2.json()).jobId;
      assertEquals((await jobDone(app, id2)).status, "done");
      assertClose(await predictedSlice(app, id2, k), expectedT1Slice(ws, k, (v) => ws.t1[v]!), {
        atol: 1e-5,
        label: "prediction with the T1 map",
      });
      const sum = await (await app.request(`/api/predict/${id2}`)).json();
      assert(sum.pretrained && sum.t1Informed, JSON.stringify(sum));
      assert(sum.notes.some((n: string) => n.includes("my t1.nii.gz")), sum.notes.join("; "));
      // a run that is not T1-informed needs no T1, and says when one was given anyway
      const r3 = await post(form({ t1s: "1.5" }, "r1"));
      assertEquals(r3.status, 202, await r3.clone().text());
      const id3 = (await r3.json()).jobId;
      assertEquals((await jobDone(app, id3)).status, "done");
      const sum3 = await (await app.request(`/api/predict/${id3}`)).json();
      assert(sum3.notes.some((n: string) => /not used/.test(n)), sum3.notes.join("; "));
      const left = [...Deno.readDirSync(ws.tmpDir)];
      assertEquals(left.length, 0, `temporary area not cleaned: ${left.map((e) => e.name)}`);
    }),
});

Deno.test({
  name: "POST /api/predict answers 413 with a clear message when the upload exceeds the cap",
  ...APP_TEST,
  fn: () =>
    withApp(async (app) => {
      const fd = new FormData();
      fd.set("run", "r1");
      fd.set("scan", new File([new Uint8Array(20_000)], "big.nii"));
      const res = await app.request("/api/predict", { method: "POST", body: fd });
      assertEquals(res.status, 413);
      const msg = (await res.json()).error as string;
      assert(/Upload too large/.test(msg) && /upload-limit-mb/.test(msg), msg);
      // a streamed body without Content-Length is cut off too
      const stream = new ReadableStream({
        start(c) {
          for (let i = 0; i < 30; i++) c.enqueue(new Uint8Array(1000));
          c.close();
        },
      });
      const res2 = await app.request("/api/predict", {
        method: "POST",
        body: stream,
        headers: { "content-type": "multipart/form-data; boundary=x" },
      });
      assertEquals(res2.status, 413);
    }, { uploadLimitBytes: 10_000 }),
});

Deno.test({
  name: "prediction jobs run one at a time and never block page requests",
  ...APP_TEST,
  fn: () =>
    withApp(async (app) => {
      const loader = app.services.loadRun as ReturnType<typeof fakeLoader>;
      const ids = [await submitPhantom(app), await submitPhantom(app), await submitPhantom(app)];
      const queued = await (await app.request(`/api/jobs/${ids[2]}`)).json();
      assert(queued.status === "queued" || queued.status === "running", queued.status);
      const t0 = performance.now();
      assertEquals((await app.request("/")).status, 200);
      const pageMs = performance.now() - t0;
      assert(pageMs < 250, `the home page took ${pageMs.toFixed(0)} ms while jobs were queued`);
      const infos = [];
      for (const id of ids) infos.push(await jobDone(app, id));
      assert(infos.every((i) => i.status === "done"));
      assertEquals(loader.maxConcurrent, 1, "jobs overlapped on the device");
      const starts = infos.map((i) => i.startedMs as number),
        ends = infos.map((i) => i.finishedMs as number);
      assert(
        starts[1]! >= ends[0]! && starts[2]! >= ends[1]!,
        "jobs ran in submission order, one after the other",
      );
    }, { loadRun: fakeLoader({ delayMs: 150 }) }),
});

Deno.test({
  name: "files are served only from the runs and reports directories (path traversal)",
  ...APP_TEST,
  fn: () =>
    withApp(async (app) => {
      const ok = await app.request("/api/files/runs/r1/log.jsonl");
      assertEquals(ok.status, 200);
      assert((await text(ok)).includes("val_loss"));
      assertEquals(
        (await app.request("/api/files/reports/analytic/regression.svg")).headers.get(
          "content-type",
        ),
        "image/svg+xml",
      );
      const attacks = [
        "/api/files/runs/..%2F..%2Fsecret%2Fpasswords.txt",
        "/api/files/runs/..%2Fsecret%2Fpasswords.txt",
        "/api/files/runs/escape/passwords.txt",
        "/api/files/runs/%2Fetc%2Fpasswd",
        "/api/files/runs/r1%2F..%2F..%2Fsecret%2Fpasswords.txt",
        "/api/files/reports/..%5C..%5Csecret%5Cpasswords.txt",
        "/api/files/secret/passwords.txt",
        "/api/files/runs/r1/%00log.jsonl",
        "/api/files/runs/.%2E/secret/passwords.txt",
        "/static/..%2F..%2Fdeno.json",
        "/static/..%2Fsrc%2Fweb%2Fapp.ts",
      ];
      for (const a of attacks) {
        const res = await app.request(a);
        assert(res.status === 404 || res.status === 400, `${a}: ${res.status}`);
        const body = await text(res);
        assert(
          !body.includes("do not serve me") && !body.includes("nodeModulesDir") &&
            !body.includes("createApp"),
          `${a} leaked`,
        );
      }
      assertEquals((await app.request("/static/app.css")).status, 200);
    }),
});

Deno.test({
  name: "unknown pages and jobs give 404 (HTML for browsers, JSON for the API)",
  ...APP_TEST,
  fn: () =>
    withApp(async (app) => {
      const page = await app.request("/no-such-page", { headers: { accept: "text/html" } });
      assertEquals(page.status, 404);
      assert((await text(page)).includes("404 — not found"));
      const api = await app.request("/api/jobs/123");
      assertEquals(api.status, 404);
      assert(/No job/.test((await api.json()).error));
      for (const p of ["", "/slice?k=0", "/voxel?x=0&y=0", "/result"]) {
        assertEquals((await app.request(`/api/predict/nope${p}`)).status, 404, p);
      }
    }),
});
