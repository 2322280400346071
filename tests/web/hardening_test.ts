/**
 * Hostile input to the dashboard: decompression bombs and oversized headers in uploads,
 * models the engine cannot run, jobs that never end (time limit, cancel, client gone,
 * shutdown), odd folder names, symlinks pointing outside, cross-site and rebinding
 * requests, and the caps of JSON bodies. Every refusal is one 4xx with a message naming
 * the field and the fix, and the server keeps answering.
 */
import { createApp, defaultDirs, type QuassApp } from "../../src/web/app.ts";
import { startServer } from "../../src/web/serve.ts";
import { encodeNifti, gzip } from "../../src/data/nifti.ts";
import { PHANTOM_FILES } from "../../src/data/phantom.ts";
import type { SpectraSimulator } from "../../src/web/simulate.ts";
import type { RunLoader } from "../../src/eval/predict_volume.ts";
import { assert, assertEquals } from "../_assert.ts";
import {
  APP_TEST,
  appDirs,
  cpuSimulator,
  fakeLoader,
  JSON_HEADERS,
  makeWorkspace,
  NX,
  NY,
  NZ,
  OFFSETS,
  type TestAppOptions,
  withTestApp,
  type Workspace,
} from "./_fixtures.ts";

/** A simulator that never answers when B1 > 10 µT (and says whether it was told to stop). */
function stuckAbove10(): SpectraSimulator & { aborted: number } {
  const f = ((jobs, signal) => {
    if (jobs[0]!.protocol.b1UT <= 10) return cpuSimulator(jobs);
    return new Promise((_, reject) =>
      signal?.addEventListener("abort", () => {
        f.aborted++;
        reject(signal.reason);
      })
    );
  }) as SpectraSimulator & { aborted: number };
  f.aborted = 0;
  return f;
}

/** The hardening tests' app: uploads capped at 4 MiB. */
function withApp(
  fn: (app: QuassApp, ws: Workspace) => Promise<void>,
  extra: TestAppOptions = {},
): Promise<void> {
  return withTestApp(fn, { uploadLimitBytes: 4 << 20, ...extra });
}

/** app.request with a time limit: a hang fails the test instead of stalling it. */
async function request(
  app: QuassApp,
  path: string,
  init: RequestInit = {},
  ms = 5000,
): Promise<Response> {
  return await app.request(`http://localhost${path}`, {
    ...init,
    signal: AbortSignal.timeout(ms),
  });
}

function simulate(app: QuassApp, body: unknown, ms = 5000) {
  return request(app, "/api/simulate", {
    method: "POST",
    headers: JSON_HEADERS,
    body: JSON.stringify(body),
  }, ms);
}

async function errorOf(res: Response): Promise<string> {
  return (await res.json()).error as string;
}

/** A gzip'd NIfTI of the fixture's shape followed by `zeros` zero bytes. */
async function bomb(zeros: number): Promise<Uint8Array<ArrayBuffer>> {
  const head = encodeNifti({
    dims: [NX, NY, NZ, OFFSETS.length],
    data: new Float32Array(NX * NY * NZ * OFFSETS.length).fill(0.5),
  }) as Uint8Array<ArrayBuffer>;
  const zero = new Uint8Array(1 << 20);
  let sent = -1;
  const src = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(c) {
      if (sent < 0) c.enqueue(head), sent = 0;
      else if (sent >= zeros) c.close();
      else c.enqueue(zero), sent += zero.length;
    },
  });
  return new Uint8Array(
    await new Response(src.pipeThrough(new CompressionStream("gzip"))).arrayBuffer(),
  );
}

function uploadForm(files: Record<string, Uint8Array<ArrayBuffer>>): FormData {
  const fd = new FormData();
  fd.set("run", "r1");
  fd.set("offsets", OFFSETS.join(","));
  for (const [field, b] of Object.entries(files)) fd.set(field, new File([b], `${field}.nii.gz`));
  return fd;
}

Deno.test({
  name:
    "POST /api/predict refuses a 64 MiB gzip bomb and a header declaring 100 GiB with 400 at once, and shares the inflate budget",
  ...APP_TEST,
  fn: () =>
    withApp(async (app, ws) => {
      const b = await bomb(64 << 20);
      assert(b.length < 1 << 20, `${b.length} bytes`);
      const t0 = performance.now();
      const res = await request(app, "/api/predict", {
        method: "POST",
        body: uploadForm({ scan: b }),
      });
      const msg = await errorOf(res);
      assertEquals(res.status, 400, msg);
      assert(/scan \(scan\.nii\.gz\): holds more data than its header declares/.test(msg), msg);
      const ms = performance.now() - t0;
      assert(ms < 1500, `took ${ms.toFixed(0)} ms: the upload was inflated whole`);
      // a header that declares more than the server inflates per request
      const huge = encodeNifti({ dims: [4, 4, 1, 5], data: new Float32Array(80) }).slice();
      const dv = new DataView(huge.buffer);
      [4, 2048, 2048, 64, 101].forEach((d, i) => dv.setInt16(40 + 2 * i, d, true));
      const res2 = await request(app, "/api/predict", {
        method: "POST",
        body: uploadForm({ scan: await gzip(huge) as Uint8Array<ArrayBuffer> }),
      });
      const msg2 = await errorOf(res2);
      assertEquals(res2.status, 400, msg2);
      assert(/over the limit of 1\.0 GiB.*--inflate-limit-mb/.test(msg2), msg2);
      assertEquals((await request(app, "/api/runs")).status, 200, "the server keeps answering");
      const left = await Array.fromAsync(Deno.readDir(ws.tmpDir)).catch(() => []);
      assertEquals(left.length, 0, "nothing left in the temp area");
    }),
});

Deno.test({
  name: "the inflate budget is shared by the files of one upload (400 naming what is left)",
  ...APP_TEST,
  fn: () =>
    withApp(async (app, ws) => {
      const ph = `${ws.dataDir}/phantom`;
      const scan = await Deno.readFile(`${ph}/${PHANTOM_FILES.input}`);
      const mask = await Deno.readFile(`${ph}/${PHANTOM_FILES.mask}`);
      const ok = await request(app, "/api/predict", {
        method: "POST",
        body: uploadForm({ scan, mask }), // 952 + 472 bytes inflated
      });
      assertEquals(ok.status, 202, await ok.clone().text());
      const res = await request(app, "/api/predict", {
        method: "POST",
        body: uploadForm({ scan, mask, reference: scan }), // + 952 > 2000
      });
      const msg = await errorOf(res);
      assertEquals(res.status, 400, msg);
      assert(
        /^reference \(reference\.nii\.gz\): .*\(576 bytes left after the other files\)/.test(msg),
        msg,
      );
    }, { inflateLimitBytes: 2000 }),
});

/** A pulseq-cest YAML model with `n` CEST pools. */
function poolsYaml(n: number): string {
  const pools = Array.from(
    { length: n },
    (_, i) =>
      `  p${i}: {f: 0.0005, t1: 1.0, t2: 0.01, k: ${50 + i}, dw: ${(-4 + 8 * i / n).toFixed(3)}}`,
  );
  return `water_pool: {f: 1.0, t1: 1.5, t2: 0.06}\ncest_pool:\n${pools.join("\n")}\nb0: 7.0\n`;
}

Deno.test({
  name:
    "POST /api/simulate refuses models with more CEST pools than the GPU simulator takes (9) with 400 at once",
  ...APP_TEST,
  fn: () =>
    withApp(async (app) => {
      const nine = await simulate(app, { modelYaml: poolsYaml(9) });
      assertEquals(nine.status, 200, await nine.clone().text());
      for (const n of [10, 20, 1000]) {
        const t0 = performance.now();
        const res = await simulate(app, { modelYaml: poolsYaml(n) });
        const msg = await errorOf(res);
        assertEquals(res.status, 400, msg);
        // refused where the YAML is read (the shared pool cap) or by the simulator's own guard
        assert(new RegExp(`${n} (CEST )?pools`).test(msg) && /\b9\b/.test(msg), msg);
        assert(performance.now() - t0 < 2000, `${n} pools: refused only after the simulation`);
      }
      assertEquals(app.services.queue.busy, 0);
    }),
});

Deno.test({
  name:
    "a job past the time limit is stopped (503 naming the limit and the flag) and the next one runs",
  ...APP_TEST,
  fn: async () => {
    const sim = stuckAbove10();
    await withApp(async (app) => {
      const t0 = performance.now();
      const res = await simulate(app, { model: "normal", b1UT: 15 });
      const msg = await errorOf(res);
      assertEquals(res.status, 503, msg);
      assert(/job time limit of 0\.3 s.*--job-time-limit-s/.test(msg), msg);
      assert(performance.now() - t0 < 3000);
      assertEquals(sim.aborted, 1, "the engine was told to stop");
      assertEquals((await simulate(app, { model: "normal", b1UT: 1 })).status, 200);
    }, { simulate: sim, jobTimeLimitMs: 300 });
  },
});

Deno.test({
  name: "a client that goes away cancels its simulation, and the queue moves on",
  ...APP_TEST,
  fn: async () => {
    const sim = stuckAbove10();
    await withApp(async (app) => {
      const ac = new AbortController();
      const pending = Promise.resolve(app.request(
        new Request("http://localhost/api/simulate", {
          method: "POST",
          headers: JSON_HEADERS,
          body: JSON.stringify({ model: "normal", b1UT: 15 }),
          signal: ac.signal,
        }),
      ));
      await new Promise((r) => setTimeout(r, 100));
      assertEquals(app.services.queue.busy, 1);
      ac.abort();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ended = await Promise.race([
        pending.then(() => true, () => true),
        new Promise<false>((r) => (timer = setTimeout(() => r(false), 3000))),
      ]);
      clearTimeout(timer);
      assert(ended, "the request still waits 3 s after its client went away");
      assertEquals(sim.aborted, 1, "the engine was told to stop");
      assertEquals(app.services.queue.busy, 0);
      assertEquals((await simulate(app, { model: "normal" })).status, 200);
    }, { simulate: sim });
  },
});

Deno.test({
  name:
    "DELETE /api/jobs/ID cancels a queued job (it never runs) and stops a running one; a finished one is dropped",
  ...APP_TEST,
  fn: async () => {
    let calls = 0;
    const slow = fakeLoader({ delayMs: 60_000 });
    const fast = fakeLoader();
    const loader: RunLoader = (dir) => (++calls === 1 ? slow(dir) : fast(dir));
    await withApp(async (app) => {
      const submit = async () => {
        const res = await request(app, "/api/predict", {
          method: "POST",
          headers: JSON_HEADERS,
          body: JSON.stringify({ run: "r1", phantom: "phantom" }),
        });
        assertEquals(res.status, 202, await res.clone().text());
        return (await res.json()).jobId as string;
      };
      const a = await submit(), b = await submit();
      await new Promise((r) => setTimeout(r, 50));
      const del = (id: string) => request(app, `/api/jobs/${id}`, { method: "DELETE" });
      const rb = await del(b);
      assertEquals(rb.status, 200);
      assertEquals((await rb.json()).status, "cancelled");
      const ra = await del(a);
      assertEquals((await ra.json()).status, "cancelled");
      assertEquals((await (await request(app, `/api/jobs/${a}`)).json()).status, "cancelled");
      assertEquals(calls, 1, "the queued job never ran");
      const res = await request(app, `/api/predict/${a}`);
      assertEquals(res.status, 409);
      // the queue moves on at once (the stopped job would have held it for a minute)
      const c = await submit();
      for (let i = 0; i < 100 && (await app.services.queue.info(c))?.status !== "done"; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assertEquals(app.services.queue.info(c)?.status, "done");
      const rc = await del(c);
      assertEquals((await rc.json()).removed, true);
      assertEquals((await request(app, `/api/jobs/${c}`)).status, 404);
      assertEquals((await del("no-such-job")).status, 404);
    }, { loadRun: loader });
  },
});

Deno.test({
  name:
    "a report folder with a space is listed with its problem; /, /metrics and /api/reports answer 200",
  ...APP_TEST,
  fn: () =>
    withApp(async (app, ws) => {
      const odd = `${ws.reportsDir}/my report`;
      await Deno.mkdir(odd);
      await Deno.copyFile(`${ws.reportsDir}/analytic/metrics.json`, `${odd}/metrics.json`);
      for (const path of ["/", "/metrics", "/api/reports"]) {
        const res = await request(app, path, { headers: { accept: "text/html" } });
        const body = await res.text();
        assertEquals(res.status, 200, `${path}: ${body.slice(0, 300)}`);
        assert(body.includes("my report") && body.includes("rename it"), path);
      }
      const list = await (await request(app, "/api/reports")).json();
      assertEquals(list.filter((r: { metrics: unknown }) => r.metrics).length, 2);
    }),
});

Deno.test({
  name: "symlinks out of the runs folder answer the same whether their target exists or not",
  ...APP_TEST,
  fn: () =>
    withApp(async (app, ws) => {
      await Deno.symlink(`${ws.root}/secret`, `${ws.runsDir}/out-there`);
      await Deno.symlink(`${ws.root}/nowhere`, `${ws.runsDir}/out-missing`);
      for (
        const [a, b] of [
          ["/api/files/runs/out-there/passwords.txt", "/api/files/runs/out-missing/passwords.txt"],
          ["/api/runs/out-there", "/api/runs/out-missing"],
          ["/api/files/runs/out-there", "/api/files/runs/out-missing"],
        ] as const
      ) {
        const ra = await request(app, a), rb = await request(app, b);
        assertEquals(ra.status, 404);
        assertEquals(rb.status, ra.status);
        const ma = (await errorOf(ra)).replace("out-there", "X");
        const mb = (await errorOf(rb)).replace("out-missing", "X");
        assertEquals(ma, mb, `${a} vs ${b}`);
      }
    }),
});

Deno.test({
  name:
    "state-changing requests need their content type and the dashboard's origin; Host must name this server",
  ...APP_TEST,
  fn: () =>
    withApp(async (app) => {
      const body = JSON.stringify({ model: "normal" });
      const post = (path: string, headers: Record<string, string>, b: BodyInit = body) =>
        request(app, path, { method: "POST", headers, body: b });
      const cases: [Promise<Response>, number, RegExp][] = [
        [post("/api/simulate", { "content-type": "text/plain" }), 415, /send application\/json/],
        [post("/api/simulate", {}, new Blob([body])), 415, /"\(none\)"/],
        [
          post(
            "/api/predict",
            { "content-type": "application/x-www-form-urlencoded" },
            "phantom=phantom",
          ),
          415,
          /multipart\/form-data or application\/json/,
        ],
        [
          post("/api/simulate", { ...JSON_HEADERS, origin: "http://evil.example" }),
          403,
          /Cross-site request refused: Origin "http:\/\/evil\.example"/,
        ],
        [post("/api/simulate", { ...JSON_HEADERS, origin: "null" }), 403, /Cross-site/],
        [
          request(app, "/api/jobs/x", {
            method: "DELETE",
            headers: { origin: "http://evil.example" },
          }),
          403,
          /Cross-site/,
        ],
        [
          request(app, "/", { headers: { host: "evil.example" } }),
          403,
          /--allow-host evil\.example/,
        ],
        [
          post("/api/simulate", { ...JSON_HEADERS, host: "rebind.example:8000" }),
          403,
          /Host "rebind\.example:8000" is not served here/,
        ],
      ];
      for (const [p, status, re] of cases) {
        const res = await p;
        const msg = await errorOf(res);
        assertEquals(res.status, status, msg);
        assert(re.test(msg), msg);
      }
      for (
        const headers of [
          { ...JSON_HEADERS, origin: "http://localhost" },
          { ...JSON_HEADERS, host: "127.0.0.1:8000", origin: "http://127.0.0.1:8000" },
          { ...JSON_HEADERS, host: "[::1]:8000" },
          { ...JSON_HEADERS, host: "192.168.1.20:8000" },
          { ...JSON_HEADERS, host: "mybox:8000", origin: "http://mybox:8000" },
        ]
      ) {
        const res = await post("/api/simulate", headers);
        assertEquals(res.status, 200, `${JSON.stringify(headers)}: ${await res.clone().text()}`);
      }
    }, { allowedHosts: ["mybox"] }),
});

Deno.test({
  name: "a JSON body over its cap gets 413 naming the JSON cap, not the upload flag",
  ...APP_TEST,
  fn: () =>
    withApp(async (app) => {
      const big = JSON.stringify({ run: "r1", phantom: "phantom", pad: "x".repeat(300 << 10) });
      for (const path of ["/api/predict", "/api/simulate"]) {
        const res = await request(app, path, { method: "POST", headers: JSON_HEADERS, body: big });
        const msg = await errorOf(res);
        assertEquals(res.status, 413, msg);
        assert(/JSON requests are capped at 256 KiB/.test(msg), msg);
        assert(!msg.includes("--upload-limit-mb"), msg);
      }
    }),
});

Deno.test({
  name:
    "shutdown answers a request waiting on a stuck job, closes the listener and returns within 2 s",
  ...APP_TEST,
  fn: async () => {
    const ws = await makeWorkspace();
    const sim = stuckAbove10();
    const srv = await startServer({
      port: 0,
      hostname: "127.0.0.1",
      ...appDirs(ws),
      engine: { simulate: sim, loadRun: fakeLoader() },
    });
    try {
      const pending = fetch(`${srv.url}api/simulate`, {
        method: "POST",
        headers: JSON_HEADERS,
        body: JSON.stringify({ model: "normal", b1UT: 15 }),
      });
      await new Promise((r) => setTimeout(r, 200));
      assertEquals(srv.app.services.queue.busy, 1);
      const t0 = performance.now();
      await srv.shutdown();
      const ms = performance.now() - t0;
      assert(ms < 2000, `shutdown took ${ms.toFixed(0)} ms`);
      const res = await pending;
      assertEquals(res.status, 503);
      assert(/shutting down/.test(await errorOf(res)));
      assertEquals(sim.aborted, 1);
      const after = await fetch(srv.url, { signal: AbortSignal.timeout(2000) }).then(
        (r) => `answered ${r.status}`,
        () => "refused",
      );
      assertEquals(after, "refused", "the listener is closed");
    } finally {
      await srv.shutdown();
      await ws.remove();
    }
  },
});

Deno.test({
  name: "SIGTERM stops `serve` within 4 s even while a job is stuck",
  ...APP_TEST,
  fn: async () => {
    const root = new URL("../../", import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${root}tests/web/_serve_stuck.ts`],
      cwd: root,
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    const deadline = Date.now() + 60_000;
    while (!out.includes("stuck job running") && Date.now() < deadline) {
      const { done, value } = await reader.read();
      if (done) break;
      out += value;
    }
    assert(out.includes("stuck job running"), out);
    const t0 = performance.now();
    child.kill("SIGTERM");
    let timer: ReturnType<typeof setTimeout> | undefined;
    const status = await Promise.race([
      child.status,
      new Promise<null>((r) => (timer = setTimeout(() => r(null), 10_000))),
    ]);
    clearTimeout(timer);
    const ms = performance.now() - t0;
    reader.cancel().catch(() => {});
    if (!status) child.kill("SIGKILL");
    assert(status, "still running 10 s after SIGTERM");
    assertEquals(status.code, 0);
    assert(ms < 4000, `exit took ${ms.toFixed(0)} ms`);
  },
});

Deno.test({
  name:
    "without directories given, the server shows the demo's output (demo/runs, demo/report, demo/)",
  ...APP_TEST,
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "quass-demo-dirs-" });
    const ws = await makeWorkspace();
    try {
      assertEquals(defaultDirs(root), {
        runsDir: `${root}/runs`,
        reportsDir: `${root}/report`,
        dataDir: `${root}/data`,
      });
      // the demo's layout: demo/{runs/NAME, report/NAME/metrics.json, phantom/, data/*.safetensors}
      await Deno.mkdir(`${root}/demo`);
      await Deno.rename(ws.runsDir, `${root}/demo/runs`);
      await Deno.rename(ws.reportsDir, `${root}/demo/report`);
      await Deno.rename(`${ws.dataDir}/phantom`, `${root}/demo/phantom`);
      const dirs = defaultDirs(root);
      assertEquals(dirs, {
        runsDir: `${root}/demo/runs`,
        reportsDir: `${root}/demo/report`,
        dataDir: `${root}/demo`,
      });
      const app = await createApp({
        ...dirs,
        benchDir: ws.benchDir,
        tmpDir: ws.tmpDir,
        pretrainedDir: ws.pretrainedDir,
        engine: { simulate: cpuSimulator, loadRun: fakeLoader() },
      });
      try {
        const html = await (await request(app, "/")).text();
        assert(html.includes(`href="/runs/r1"`), "the demo's run");
        assert(html.includes("/metrics?report=analytic"), "the demo's report");
        assert(html.includes("<strong>phantom/</strong>"), "the demo's phantom");
        const pred = await request(app, "/api/predict", {
          method: "POST",
          headers: JSON_HEADERS,
          body: JSON.stringify({ run: "r1", phantom: "phantom" }),
        });
        assertEquals(pred.status, 202, await pred.clone().text());
      } finally {
        await app.close();
      }
      // a project's own folder wins once it exists
      await Deno.mkdir(`${root}/runs`);
      assertEquals(defaultDirs(root).runsDir, `${root}/runs`);
    } finally {
      await Deno.remove(root, { recursive: true });
      await ws.remove();
    }
  },
});
