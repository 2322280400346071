/**
 * Browser tests in real Chromium (Debian's /usr/bin/chromium through playwright-core): every
 * page loads and hydrates, a simulator slider changes the chart, a prediction runs end to
 * end on the phantom, clicking a voxel plots its spectra, an uploaded Pulseq .seq file draws
 * its pulsed spectrum (and a broken one shows the parser's error naming the line). Screenshots go to
 * tests/web/screenshots/ (git-ignored). Skipped, with the reason printed, when Chromium is
 * missing.
 *
 * The first group uses the fixture workspace with the float64 CPU simulator and a fake
 * network (fast); the last test uses the real engine: a tiny LSTM-Attention trained here on
 * a small simulated dataset and a 16×16 phantom, both made through the library.
 */
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { createApp, type QuassApp } from "../../src/web/app.ts";
import { buildIslands } from "../../src/web/build.ts";
import { assert, assertEquals } from "../_assert.ts";
import { assertClose } from "../_util.ts";
import { appDirs, cpuSimulator, fakeLoader, makeWorkspace, type Workspace } from "./_fixtures.ts";
import { makeRealRunAndPhantom } from "./_e2e.ts";
import { predictSpectra } from "../../src/nn/predict.ts";
import { fmtMs } from "../../bench/harness.ts";
import { dataSignature } from "../../islands/line_chart.tsx";
import { BMSIM } from "../fixtures/mod.ts";
import { Buffer } from "node:buffer";

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = new URL("./screenshots/", import.meta.url).pathname;
const hasChromium = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();
if (!hasChromium) {
  console.log(`browser tests skipped: ${CHROMIUM} not found (apt-get install chromium)`);
}

const opts = { sanitizeResources: false, sanitizeOps: false, ignore: !hasChromium };

interface Ctx {
  app: QuassApp;
  ws: Workspace;
  server: Deno.HttpServer;
  base: string;
  browser: BrowserContext;
  userDir: string;
  errors: string[];
}

async function setup(): Promise<Ctx> {
  await buildIslands({ quiet: true });
  await Deno.mkdir(SHOTS, { recursive: true });
  const ws = await makeWorkspace();
  const app = await createApp({
    ...appDirs(ws),
    engine: { simulate: cpuSimulator, loadRun: fakeLoader() },
  });
  return await _launch(app, ws);
}

async function _launch(app: QuassApp, ws: Workspace): Promise<Ctx> {
  let port = 0;
  const server = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: (a) => (port = a.port) },
    app.fetch,
  );
  const userDir = await Deno.makeTempDir({ prefix: "quass-chromium-" });
  // a fresh profile each time (playwright passes it as --user-data-dir)
  const browser = await chromium.launchPersistentContext(userDir, {
    executablePath: CHROMIUM,
    viewport: { width: 1360, height: 900 },
    acceptDownloads: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
  return { app, ws, server, base: `http://127.0.0.1:${port}`, browser, userDir, errors: [] };
}

async function teardown(c: Ctx): Promise<void> {
  await c.browser.close();
  await c.server.shutdown();
  await c.app.close();
  await c.ws.remove();
  await Deno.remove(c.userDir, { recursive: true }).catch(() => {});
}

/** A browser test on a fresh app and browser (setup/teardown around `body`). */
function browserTest(name: string, body: (c: Ctx) => Promise<void>): void {
  Deno.test({
    name,
    ...opts,
    fn: async () => {
      const c = await setup();
      try {
        await body(c);
      } finally {
        await teardown(c);
      }
    },
  });
}

async function open(c: Ctx, path: string): Promise<Page> {
  const page = await c.browser.newPage();
  page.on("pageerror", (e) => c.errors.push(`${path}: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") c.errors.push(`${path}: console: ${m.text()}`);
  });
  const res = await page.goto(c.base + path);
  assertEquals(res?.status(), 200, path);
  return page;
}

/** Waits until the uPlot canvas inside `#id` exists and is drawn. */
async function chartDrawn(page: Page, id: string): Promise<void> {
  await page.waitForSelector(`#${id} canvas`, { timeout: 20_000 });
}

browserTest(
  "browser: every page loads, hydrates its islands without errors, and is screenshotted",
  async (c) => {
    for (
      const [path, shot, chart] of [
        ["/", "home", null],
        ["/runs/r1", "run", "loss-chart"],
        ["/metrics", "metrics", "ssim-chart"],
        ["/bench", "bench", null],
        ["/predict", "predict_form", null],
      ] as const
    ) {
      const page = await open(c, path);
      assert((await page.locator("header.topbar").count()) === 1, `${path}: layout`);
      if (chart) await chartDrawn(page, chart);
      if (path === "/bench") {
        // the bench group file's table shows a measured figure from the JSON
        const shown = await page.locator("table.bench-group").first().innerText();
        const fig = fmtMs(c.ws.benchMedianMs);
        assert(shown.includes(fig), `median ${fig} not in the bench table: ${shown}`);
      }
      await page.screenshot({ path: `${SHOTS}${shot}.png`, fullPage: true });
      await page.close();
    }
    assertEquals(c.errors, []);
  },
);

browserTest(
  "browser: moving a simulator slider re-simulates and changes the Z-spectrum chart",
  async (c) => {
    const page = await open(c, "/simulate");
    await chartDrawn(page, "zspectrum-chart");
    await page.waitForFunction(() =>
      document.querySelector("#sim-status")?.textContent?.startsWith("simulated")
    );
    const before = await page.getAttribute("#zspectrum-chart", "data-signature");
    await page.screenshot({ path: `${SHOTS}simulate.png`, fullPage: true });
    // B1 up: stronger saturation changes every spectrum
    await page.locator("#slider-b1UT").fill("2.5");
    await page.waitForFunction(
      (b) => document.querySelector("#zspectrum-chart")?.getAttribute("data-signature") !== b,
      before,
      { timeout: 20_000 },
    );
    const afterB1 = await page.getAttribute("#zspectrum-chart", "data-signature");
    // a pool parameter slider (amide exchange rate)
    await page.locator("#slider-amide_kPerS").fill("900");
    await page.waitForFunction(
      (b) => document.querySelector("#zspectrum-chart")?.getAttribute("data-signature") !== b,
      afterB1,
      { timeout: 20_000 },
    );
    assert(
      (await page.locator("#sim-controls input[type=range]").count()) === 25,
      "20 parameters + B1, Ts, Td, target Ts, target Td",
    );
    await page.screenshot({ path: `${SHOTS}simulate_moved.png`, fullPage: true });
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click("#csv-download"),
    ]);
    const csv = await Deno.readTextFile((await download.path())!);
    assert(csv.split("\n")[1]!.startsWith("offset_ppm,"), csv.slice(0, 200));
    assertEquals(c.errors, []);
  },
);

/** Pixels of the `#id` chart's canvas within 40 of the colour `[r, g, b]` per channel. */
function colourPixels(page: Page, id: string, rgb: [number, number, number]): Promise<number> {
  return page.evaluate(([id, [r, g, b]]) => {
    const cv = document.querySelector(`#${id} canvas`) as HTMLCanvasElement | null;
    if (!cv) return -1;
    const px = cv.getContext("2d")!.getImageData(0, 0, cv.width, cv.height).data;
    let n = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (
        px[i + 3]! > 128 && Math.abs(px[i]! - r) < 40 && Math.abs(px[i + 1]! - g) < 40 &&
        Math.abs(px[i + 2]! - b) < 40
      ) n++;
    }
    return n;
  }, [id, rgb] as const);
}

browserTest(
  "browser: an uploaded .seq file draws its pulsed spectrum; a truncated one shows the error naming its line",
  async (c) => {
    const page = await open(c, "/simulate");
    await chartDrawn(page, "zspectrum-chart");
    // pulseq-cest's WASABI protocol: 5 ms block at 3 T, an M0 scan then 31 offsets −2…2 ppm
    const name = "WASABI_3T_001_3p7uT_1block_5ms__at_8db2433.seq";
    const text = await Deno.readTextFile(`${BMSIM}pulseq-cest-library/${name}`);
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith("/api/simulate_seq"), { timeout: 20_000 }),
      page.setInputFiles("#seq-upload", {
        name,
        mimeType: "text/plain",
        buffer: Buffer.from(text),
      }),
    ]);
    assertEquals(res.status(), 200, await res.text());
    const d = await res.json();
    assertEquals(d.offsetsPpm.length, 31); // the M0 row is left out
    assert(d.z.every((v: number) => v > 0 && v < 1.05), JSON.stringify(d.z));
    await page.waitForFunction(() =>
      /readouts/.test(document.querySelector("#seq-status")?.textContent ?? "")
    );
    const status = (await page.textContent("#seq-status"))!;
    assert(status.startsWith(`${name}: 32 readouts at 3 T, divided by the M0 scan`), status);
    // the chart holds exactly the server's values, and the green series is on the canvas
    await chartDrawn(page, "seq-chart");
    assertEquals(
      await page.getAttribute("#seq-chart", "data-signature"),
      dataSignature([{ label: name, y: d.z }]),
    );
    assert(
      (await page.locator("#seq-chart .u-legend").innerText()).includes(name),
      "series in the legend",
    );
    const green = await colourPixels(page, "seq-chart", [0, 158, 115]);
    assert(green > 300, `pulsed series pixels: ${green}`);
    await page.screenshot({ path: `${SHOTS}simulate_seq.png`, fullPage: true });

    // a truncated file (cut inside [RF], so [SHAPES] is missing): the first [RF] row is named
    const lines = text.split("\n");
    const rf1 = lines.indexOf("[RF]") + 1;
    assert(rf1 > 0 && lines[rf1]!.startsWith("1 "), "[RF] row 1");
    const cut = [...lines.slice(0, rf1 + 6), lines[rf1 + 6]!.slice(0, 12)];
    await page.setInputFiles("#seq-upload", {
      name: "cut.seq",
      mimeType: "text/plain",
      buffer: Buffer.from(cut.join("\n")),
    });
    await page.waitForFunction(() =>
      /^cut\.seq:/.test(document.querySelector("#seq-status")?.textContent ?? "")
    );
    const err = (await page.textContent("#seq-status"))!;
    assert(
      err.startsWith(`cut.seq:${rf1 + 1}: [RF]: magnitude shape 1 is not in [SHAPES]`),
      err,
    );
    assert(await page.locator("#seq-status.error").count() === 1, "shown as an error");
    // the previous file's curve is gone
    await page.waitForFunction(
      (s) => document.querySelector("#seq-chart")?.getAttribute("data-signature") === s,
      dataSignature([]),
    );
    assertEquals(await colourPixels(page, "seq-chart", [0, 158, 115]), 0);
    // the browser logs the 400 response itself
    assertEquals(c.errors.filter((e) => !/status of 400/.test(e)), []);
  },
);

browserTest(
  "browser: a prediction on the phantom shows progress, the slice viewer, and a clicked voxel's spectra",
  async (c) => {
    const page = await open(c, "/predict?run=r1");
    await page.click("#predict-button");
    await page.waitForSelector("#img-prediction", { timeout: 20_000 });
    await page.waitForFunction(() => !!document.querySelector("#predict-summary"));
    const box = (await page.locator("#img-prediction").boundingBox())!;
    await page.mouse.click(box.x + box.width * 0.58, box.y + box.height * 0.5); // voxel x 3 of 6, row 2 of 5 from the top
    await chartDrawn(page, "voxel-chart");
    const title = await page.textContent("#voxel-chart figcaption");
    assert(/Voxel \(x 3, y 2, z 0\)/.test(title ?? ""), title ?? "");
    const k0 = await page.textContent("#offset-label");
    await page.locator("#offset-slider").fill("0");
    await page.waitForFunction(
      (k) => document.querySelector("#offset-label")?.textContent !== k,
      k0,
    );
    assertEquals((await page.textContent("#offset-label"))?.trim(), "-3.50 ppm");
    await page.screenshot({ path: `${SHOTS}predict_fixture.png`, fullPage: true });
    assertEquals(c.errors, []);
  },
);

Deno.test({
  name:
    "browser: end to end with the real engine — a tiny trained LSTM-Attention predicts the phantom",
  ...opts,
  fn: async () => {
    await buildIslands({ quiet: true });
    const root = await Deno.makeTempDir({ prefix: "quass-e2e-" });
    const ws: Workspace = {
      root,
      runsDir: `${root}/runs`,
      reportsDir: `${root}/report`,
      dataDir: `${root}/data`,
      benchDir: `${root}/bench`,
      tmpDir: `${root}/tmp`,
      pretrainedDir: `${root}/models/none`,
      secret: "",
      scan: new Float32Array(0),
      mask: new Float32Array(0),
      reference: new Float32Array(0),
      t1: new Float32Array(0),
      benchMedianMs: 0,
      remove: () => Deno.remove(root, { recursive: true }),
    };
    for (const d of [ws.runsDir, ws.dataDir]) await Deno.mkdir(d, { recursive: true });
    const made = await makeRealRunAndPhantom(ws.runsDir, ws.dataDir);
    console.log(`  phantom ${made.phantomS.toFixed(1)} s, training ${made.trainS.toFixed(1)} s`);
    const app = await createApp({
      ...appDirs(ws),
    });
    const c = await _launch(app, ws);
    try {
      const page = await open(c, "/predict?run=tiny");
      await page.click("#predict-button");
      // generous: the GPU worker compiles its pipelines on first use (slow on a loaded 2-core machine)
      await page.waitForSelector("#img-prediction", { timeout: 240_000 });
      await page.waitForFunction(() => !!document.querySelector("#predict-summary"));
      const box = (await page.locator("#img-prediction").boundingBox())!;
      await page.mouse.click(box.x + box.width * 0.55, box.y + box.height * 0.55); // inside the brain
      await chartDrawn(page, "voxel-chart");
      const jobId = new URL(page.url()).searchParams.get("job");
      assert(jobId, page.url());
      const title = (await page.textContent("#voxel-chart figcaption"))!;
      const m = /x (\d+), y (\d+), z (\d+)/.exec(title)!;
      const vox =
        await (await app.request(`/api/predict/${jobId}/voxel?x=${m[1]}&y=${m[2]}&z=${m[3]}`))
          .json();
      assert(vox.inMask, `clicked voxel ${title} is outside the brain`);
      // the dashboard's prediction equals the library's predictSpectra on the same spectrum
      const direct = await predictSpectra(`${ws.runsDir}/tiny`, Float32Array.from(vox.input), 1);
      assertClose(vox.prediction, direct, { atol: 1e-5, label: "dashboard vs predictSpectra" });
      await page.screenshot({ path: `${SHOTS}predict_phantom.png`, fullPage: true });
      const dl = await page.request.get(`${c.base}/api/predict/${jobId}/result`);
      assertEquals(dl.status(), 200);
      assertEquals(c.errors, []);
    } finally {
      await teardown(c);
    }
  },
});
