/** Unit tests of the dashboard's helpers: router patterns, job queue, paths, uploads, parsing. */
import { routePattern } from "../../src/web/router.ts";
import { JobQueue } from "../../src/web/job_queue.ts";
import { PathError, resolveUnder } from "../../src/web/paths.ts";
import { PayloadTooLargeError, readLimitedBody } from "../../src/web/uploads.ts";
import { applyParams, modelParams, mtrAsym } from "../../src/web/simulate.ts";
import { inferPreset, parseTrainingLog } from "../../src/web/catalog.ts";
import { benchTables, pickBarColumn } from "../../src/web/bench.ts";
import { entrySource, islandNames } from "../../src/web/build.ts";
import { fmtTick } from "../../src/web/format.ts";
import { parseModelYaml } from "../../src/physics/model_yaml.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { assertClose, randomArray } from "../_util.ts";
import { withTempDir } from "../_tmp.ts";

Deno.test("routePattern() maps Fresh file names to Hono patterns", () => {
  assertEquals(routePattern("index.tsx"), "/");
  assertEquals(routePattern("simulate.tsx"), "/simulate");
  assertEquals(routePattern("api/runs/index.ts"), "/api/runs");
  assertEquals(routePattern("runs/[name].tsx"), "/runs/:name");
  assertEquals(routePattern("api/files/[area]/[...rest].ts"), "/api/files/:area/:rest{.+}");
});

Deno.test("JobQueue runs jobs one at a time in order, reports progress and keeps errors", async () => {
  const q = new JobQueue({ isUserError: (e) => (e as Error).message.startsWith("user") });
  const order: string[] = [];
  let active = 0, maxActive = 0;
  const job =
    (name: string, ms: number, fail?: string) =>
    async (progress: (f: number, m?: string) => void) => {
      active++;
      maxActive = Math.max(maxActive, active);
      order.push(`start ${name}`);
      progress(0.5, "half");
      await new Promise((r) => setTimeout(r, ms));
      order.push(`end ${name}`);
      active--;
      if (fail) throw new Error(fail);
      return name;
    };
  const a = q.submit("t", job("a", 30)),
    b = q.submit("t", job("b", 5, "user: bad input")),
    c = q.submit("t", job("c", 5));
  assertEquals(q.info(c)!.status, "queued");
  await q.wait(c);
  assertEquals(order, ["start a", "end a", "start b", "end b", "start c", "end c"]);
  assertEquals(maxActive, 1);
  assertEquals(q.result(a), "a");
  assertEquals(q.info(b)!.status, "error");
  assertEquals(q.info(b)!.userError, true);
  assertEquals(q.info(b)!.error, "user: bad input");
  assertEquals(q.info(c)!.progress, 1);
  await assertRejects(() => q.runNow("t", () => Promise.reject(new Error("boom"))), /boom/);
  assertEquals(await q.runNow("t", () => Promise.resolve(7)), 7);
  await q.close();
});

Deno.test("JobQueue drops the oldest finished jobs beyond keepFinished, running their cleanup", async () => {
  const q = new JobQueue({ keepFinished: 2 });
  const cleaned: number[] = [];
  const ids = [0, 1, 2, 3].map((i) =>
    q.submit("t", () => Promise.resolve(i), () => void cleaned.push(i))
  );
  await q.wait(ids[3]!);
  assertEquals(cleaned, [0, 1]);
  assertEquals(q.info(ids[0]!), undefined);
  assertEquals(q.result(ids[3]!), 3);
  await q.close();
  assertEquals(cleaned.sort(), [0, 1, 2, 3]);
});

Deno.test("resolveUnder() accepts paths inside the root and rejects escapes (.., absolute, symlinks)", async () => {
  await withTempDir({}, async (root) => {
    await Deno.mkdir(`${root}/in/sub`, { recursive: true });
    await Deno.writeTextFile(`${root}/in/sub/f.txt`, "x");
    await Deno.writeTextFile(`${root}/outside.txt`, "y");
    await Deno.symlink(`${root}/outside.txt`, `${root}/in/link.txt`);
    assertEquals(
      await resolveUnder(`${root}/in`, "sub/f.txt"),
      await Deno.realPath(`${root}/in/sub/f.txt`),
    );
    for (
      const bad of [
        "../outside.txt",
        "sub/../../outside.txt",
        "/etc/passwd",
        "link.txt",
        "sub\\..\\..\\outside.txt",
        "sub/\0f.txt",
        ".hidden",
        "missing.txt",
      ]
    ) {
      await assertRejects(() => resolveUnder(`${root}/in`, bad));
      try {
        await resolveUnder(`${root}/in`, bad);
      } catch (e) {
        assert(e instanceof PathError, `${bad}: ${e}`);
      }
    }
  });
});

Deno.test("readLimitedBody() stops at the cap, with or without Content-Length", async () => {
  const big = new Uint8Array(5000);
  await assertRejects(
    () => readLimitedBody(new Request("http://x/", { method: "POST", body: big }), 4999),
    /Upload too large/,
  );
  const ok = await readLimitedBody(new Request("http://x/", { method: "POST", body: big }), 5000);
  assertEquals(ok.length, 5000);
  const stream = new ReadableStream({
    pull(c) {
      c.enqueue(new Uint8Array(1000)); // endless: must be cut off
    },
  });
  const err = await assertRejects(() =>
    readLimitedBody(new Request("http://x/", { method: "POST", body: stream }), 10_000)
  );
  assert(err instanceof PayloadTooLargeError);
});

Deno.test("mtrAsym() is Z(−Δ) − Z(+Δ) at every mirrored positive offset", () => {
  const offs = [-3, -2, -1, 0, 1, 2, 3, 4];
  const z = Array.from(randomArray(offs.length, 0, 1));
  const r = mtrAsym(offs, z);
  assertEquals(r.offsetsPpm, [1, 2, 3]);
  assertClose(r.values, [z[4 - 2]! - z[4]!, z[1]! - z[5]!, z[0]! - z[6]!], { atol: 0 });
});

Deno.test("modelParams() gives 20 parameters for the 7-pool models and applyParams() sets them", async () => {
  const model = parseModelYaml(
    await Deno.readTextFile("static/models/rat_brain_7T_7pool_normal_example.yaml"),
    "normal",
  );
  const specs = modelParams(model);
  assertEquals(specs.length, 20);
  for (const s of specs) {
    assert(s.min <= s.value && s.value <= s.max, `${s.key}: ${s.min} ≤ ${s.value} ≤ ${s.max}`);
  }
  const t1 = 1 + Math.random(), k = 10 + 100 * Math.random();
  const m = applyParams(model, { "water.t1S": t1, "mt.kPerS": k, "amide.f": 0.002 });
  assertEquals(m.water.t1S, t1);
  assertEquals(m.mt!.kPerS, k);
  assertEquals(m.cest.find((c) => c.name === "amide")!.f, 0.002);
  assertEquals(model.water.t1S, 1.8, "the original model is not modified");
  assertThrows(() => applyParams(model, { "lipid.f": 0.1 }), /lipid\.f/);
  assertThrows(() => applyParams(model, { "water.t1S": -1 }), /positive/);
});

Deno.test("parseTrainingLog() reads the trainer's log.jsonl and skips a half-written last line", () => {
  const log = parseTrainingLog(
    `{"epoch":0,"train_loss":null,"val_loss":0.1,"samples_per_s":10,"time":0}\n{"epoch":1,"train_loss":0.05,"val_loss":0.04,"time":3.5}\n{"epoch":2,"tra`,
  );
  assertEquals(log, [{ epoch: 0, trainLoss: undefined, valLoss: 0.1, timeS: 0 }, {
    epoch: 1,
    trainLoss: 0.05,
    valLoss: 0.04,
    timeS: 3.5,
  }]);
});

Deno.test("inferPreset() recognises the presets from config.json and says custom otherwise", () => {
  const tiny = {
    model: { arch: "gru", hidden: 8, embed: 4, heads: 2 },
    train: { lr: 1e-2, batch: 16 },
  };
  assertEquals(inferPreset(tiny), "tiny");
  assertEquals(inferPreset({ ...tiny, model: { ...tiny.model, hidden: 12 } }), "custom");
  assertEquals(inferPreset({}), "—");
});

Deno.test("benchTables() finds record arrays and charts the throughput column", () => {
  const t = benchTables({
    adapter: "lavapipe",
    gpu: { name: "x" },
    sim: {
      rows: [{ impl: "gpu", ms: 3, spectra_per_s: 100 }, { impl: "cpu", ms: 9, spectra_per_s: 30 }],
    },
  });
  assertEquals(t.facts, [["adapter", "lavapipe"], ["gpu.name", "x"]]);
  assertEquals(t.tables.length, 1);
  assertEquals(t.tables[0]!.path, "sim.rows");
  assertEquals(t.tables[0]!.barColumn, "spectra_per_s");
  assertEquals(pickBarColumn(["name", "median_ms"], [{ name: "a", median_ms: 2 }]), "median_ms");
});

Deno.test("entrySource() registers every island file by name", async () => {
  const names = await islandNames();
  for (const n of ["line_chart", "simulator", "slice_viewer", "predict_panel"]) {
    assert(names.includes(n), n);
  }
  const src = entrySource(names);
  for (const n of names) assert(src.includes(`"${n}": `) && src.includes(`./islands/${n}.tsx`), n);
});

Deno.test("fmtTick() labels log-axis ticks without rounding small values to 0", () => {
  const ticks = [1e-6, 2.5e-5, 1e-4, 3e-4, 1e-3, 0.01, 0.1, 0.30000000000000004, 1, 10, 250, 1e5];
  assertEquals(ticks.map(fmtTick), [
    "1e-6",
    "2.5e-5",
    "1e-4",
    "3e-4",
    "0.001",
    "0.01",
    "0.1",
    "0.3",
    "1",
    "10",
    "250",
    "1e5",
  ]);
  // every decade of a loss axis, and random values in it, keeps its own non-zero label
  for (let e = -12; e <= 6; e++) {
    const v = (1 + 8 * Math.random()) * 10 ** e;
    const label = fmtTick(v);
    assert(label !== "0" && Number(label) > 0, `${v}: ${label}`);
    assert(Math.abs(Number(label) / v - 1) < 1e-3, `${v}: ${label} is not the value`);
  }
  assertEquals([fmtTick(0), fmtTick(-2e-4), fmtTick(null), fmtTick(NaN)], ["0", "-2e-4", "", ""]);
});
