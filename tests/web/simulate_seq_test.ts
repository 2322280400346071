/**
 * POST /api/simulate_seq: an uploaded .seq file simulated for the page's model with the
 * CLI's function, its normalisation, the field of a bundled model, and 400s naming the
 * line of a malformed file or the size limit.
 */
import type { QuassApp } from "../../src/web/app.ts";
import { parseModelYaml } from "../../src/physics/model_yaml.ts";
import { seqProtocol, simulateSeqSpectrumCpu } from "../../src/physics/seq/seq_spectrum.ts";
import { SEQ_UPLOAD_LIMIT_BYTES } from "../../src/web/simulate_seq.ts";
import { assert, assertEquals } from "../_assert.ts";
import { assertClose } from "../_util.ts";
import { pulseTrainSeq } from "../physics/seq/_seq_text.ts";
import { APP_TEST, JSON_HEADERS, withTestApp } from "./_fixtures.ts";

const SEQ = pulseTrainSeq({ offsetsPpm: [-3.5, 0, 3.5], pulses: 3 });
const YAML =
  "water_pool: {f: 1.0, t1: 1.5, t2: 0.06}\ncest_pool: {amide: {f: 0.002, t1: 1.0, t2: 0.01, k: 100, dw: 3.5}}\nb0: 3.0\n";

/** An app over a fresh workspace, uploads capped at 1 MiB. */
const withApp = (fn: (app: QuassApp) => Promise<void>) =>
  withTestApp(fn, { uploadLimitBytes: 1 << 20 });

const post = (app: QuassApp, body: unknown) =>
  app.request("/api/simulate_seq", {
    method: "POST",
    headers: JSON_HEADERS,
    body: JSON.stringify(body),
  });

Deno.test({
  name:
    "POST /api/simulate_seq gives the CLI's M0-normalised spectrum of an uploaded .seq and model",
  ...APP_TEST,
  fn: () =>
    withApp(async (app) => {
      const res = await post(app, { modelYaml: YAML, seq: SEQ, seqName: "t.seq" });
      assertEquals(res.status, 200, await res.clone().text());
      const d = await res.json();
      const model = parseModelYaml(YAML, "m.yaml");
      const want = simulateSeqSpectrumCpu(model, seqProtocol(model, SEQ, "t.seq"), true);
      assertEquals(d.normalized, true);
      assertClose(d.offsetsPpm, [-3.5, 0, 3.5], { atol: 1e-6 });
      assertClose(d.z, Array.from(want.z).slice(1), { atol: 1e-12 });
      assertEquals(d.settings.adcCount, 4);
      assertClose(d.mtr, [d.z[0] - d.z[2]], { atol: 1e-12 });
      // a bundled model (7 T) takes the file's B0 and says so
      const b = await (await post(app, { model: "normal", seq: SEQ })).json();
      assertEquals(b.settings.b0T, 3);
      assert(/B0 3 T/.test(b.notes.join()), JSON.stringify(b.notes));
    }),
});

Deno.test({
  name:
    "POST /api/simulate_seq rejects a malformed .seq (400 naming the line), a field mismatch and a too large file",
  ...APP_TEST,
  fn: () =>
    withApp(async (app) => {
      const bad = SEQ.replace("[BLOCKS]\n1 1", "[BLOCKS]\n1 x");
      const line = SEQ.split("\n").indexOf("[BLOCKS]") + 2;
      const r1 = await post(app, { modelYaml: YAML, seq: bad, seqName: "bad.seq" });
      assertEquals(r1.status, 400);
      const m1 = (await r1.json()).error as string;
      assert(m1.startsWith(`bad.seq:${line}: [BLOCKS]`), m1);
      const r2 = await post(app, { modelYaml: YAML.replace("b0: 3.0", "b0: 7.0"), seq: SEQ });
      assertEquals(r2.status, 400);
      assert(/B0 is 3 T/.test((await r2.json()).error));
      const big = SEQ + "#".repeat(SEQ_UPLOAD_LIMIT_BYTES);
      const r3 = await post(app, { model: "normal", seq: big });
      assert(r3.status === 400 || r3.status === 413, String(r3.status));
      assert(/bytes|limit|large/i.test((await r3.json()).error));
      const r4 = await post(app, { model: "normal" });
      assertEquals(r4.status, 400);
      assert(/seq: expected/.test((await r4.json()).error));
    }),
});
