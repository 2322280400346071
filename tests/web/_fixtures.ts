/**
 * Test fixtures for the dashboard: a temporary workspace with runs, a fake shipped
 * pretrained model (T1-informed), a report, a bench result and a small phantom-shaped scan
 * with a T1 map (random values, fresh each run), plus engine stand-ins (float64 CPU
 * simulator; fake networks with known transforms).
 * @module
 */
import { writeNifti } from "../../src/data/nifti.ts";
import { writeSidecar } from "../../src/data/sidecar.ts";
import { PHANTOM_FILES } from "../../src/data/phantom.ts";
import { simulateCpu } from "../../src/physics/cpu_sim.ts";
import type { SpectraSimulator } from "../../src/web/simulate.ts";
import type { RunLoader } from "../../src/eval/predict_volume.ts";
import { type AppOptions, createApp, type QuassApp } from "../../src/web/app.ts";

/** Sizes of the fixture scan. */
export const NX = 6, NY = 5, NZ = 1;
/** Offsets of the fixture scan and the fake network, ppm. */
export const OFFSETS = [-3.5, -1, 0, 1, 3.5];

/** The fake network's transform of one input value. */
export const fakeNet = (z: number) => 0.5 * z + 0.25;

/** The fake T1-informed network's transform of one input value with the voxel's water T1 (s). */
export const fakeT1Net = (z: number, t1S: number) => 0.5 * z + 0.1 * t1S;

/** Name of the fake shipped pretrained model folder (T1-informed). */
export const PRETRAINED_NAME = "quass-7t-cw";

/** A workspace on disk; `remove()` deletes it. */
export interface Workspace {
  root: string;
  runsDir: string;
  reportsDir: string;
  dataDir: string;
  benchDir: string;
  tmpDir: string;
  /** A fake shipped pretrained model (T1-informed config, placeholder weights). */
  pretrainedDir: string;
  /** Outside every served directory (traversal target). */
  secret: string;
  /** The fixture scan [offset][voxel] and mask. */
  scan: Float32Array;
  mask: Float32Array;
  reference: Float32Array;
  /** The phantom's water T1 map (s), per voxel. */
  t1: Float32Array;
  /** Median ms of "ours" in the first case of the bench group file infer.json (random). */
  benchMedianMs: number;
  remove(): Promise<void>;
}

/** The float64 CPU reference as a SpectraSimulator (fast to start; no shader compilation). */
export const cpuSimulator: SpectraSimulator = (jobs) =>
  Promise.resolve(jobs.map(({ model, protocol }) => simulateCpu(model, protocol)));

/**
 * A fake run loader with OFFSETS: `fakeNet` elementwise, or `fakeT1Net` (needing the T1 of
 * every spectrum) when the run's config.json says T1-informed; counts concurrent predictions.
 */
export function fakeLoader(opts: { delayMs?: number } = {}): RunLoader & { maxConcurrent: number } {
  let active = 0;
  const f = (async (runDir: string) => {
    active++;
    f.maxConcurrent = Math.max(f.maxConcurrent, active);
    try {
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
    } finally {
      active--;
    }
    const cfg = JSON.parse(await Deno.readTextFile(`${runDir}/config.json`).catch(() => "{}"));
    const needsT1 = cfg?.model?.input?.kind === "formula";
    const T = OFFSETS.length;
    return {
      name: runDir.split("/").at(-1)!,
      arch: "fake",
      offsetsPpm: OFFSETS,
      needsT1,
      predict: (x: Float32Array, n: number, t1S?: Float32Array) => {
        if (!needsT1) return Promise.resolve(Float32Array.from(x.subarray(0, n * T), fakeNet));
        if (!t1S || t1S.length !== n) {
          return Promise.reject(
            new Error(`fake T1 net: expected ${n} T1 values, got ${t1S?.length}`),
          );
        }
        return Promise.resolve(
          Float32Array.from(x.subarray(0, n * T), (z, i) => fakeT1Net(z, t1S[Math.floor(i / T)]!)),
        );
      },
    };
  }) as RunLoader & { maxConcurrent: number };
  f.maxConcurrent = 0;
  return f;
}

function _metrics(offsets: number[], mse: number) {
  const reg = [-3.48, -2.40, -1.56, 1.32, 2.04, 3.48].map((p, i) => ({
    requestedPpm: p,
    offsetPpm: p,
    index: i,
    slope: 0.98,
    intercept: 0.01,
    r2: 0.99 - 0.001 * i,
    n: 20,
  }));
  return {
    format: "quass-metrics",
    version: 1,
    createdAt: new Date().toISOString(),
    sources: { pred: "pred.nii.gz", reference: "reference_ts5.nii.gz" },
    dims: [NX, NY, NZ, offsets.length],
    offsetsPpm: offsets,
    maskVoxels: 20,
    nonFiniteVoxels: 0,
    perOffset: offsets.map((o, i) => ({
      offsetPpm: o,
      ssim: 0.99 - 0.01 * i,
      psnr: 40 + i,
      mse,
      mae: 0.01,
    })),
    mean: { ssim: 0.97, psnr: 42, mse, mae: 0.01 },
    regressions: reg,
    spectra: [],
    conventions: "test",
    paper: { r2Min: 0.9748, ssim: 0.9991, psnr: 49.67, mse: 1.68e-4 },
  };
}

/** The folders of a workspace as createApp/startServer options. */
export function appDirs(ws: Workspace) {
  const { runsDir, reportsDir, dataDir, benchDir, tmpDir, pretrainedDir } = ws;
  return { runsDir, reportsDir, dataDir, benchDir, tmpDir, pretrainedDir };
}

/** Creates the workspace. */
export async function makeWorkspace(): Promise<Workspace> {
  const root = await Deno.makeTempDir({ prefix: "quass-web-test-" });
  const runsDir = `${root}/runs`,
    reportsDir = `${root}/report`,
    dataDir = `${root}/data`,
    benchDir = `${root}/bench`;
  for (const d of [runsDir, reportsDir, dataDir, benchDir, `${root}/secret`]) {
    await Deno.mkdir(d, { recursive: true });
  }
  const secret = `${root}/secret/passwords.txt`;
  await Deno.writeTextFile(secret, "do not serve me");

  // run r1: trained, 3 epochs; r2: no weights; escape: a symlink to the secret folder
  const cfg = {
    model: { arch: "lstm-attention", T: 5, hidden: 8, embed: 4, heads: 2, residual: true },
    train: { epochs: 3, batch: 16, lr: 1e-2, seed: 1 },
  };
  await Deno.mkdir(`${runsDir}/r1`);
  await Deno.writeTextFile(`${runsDir}/r1/config.json`, JSON.stringify(cfg));
  const val = [0.05, 0.01, 0.004 + Math.random() * 1e-3];
  await Deno.writeTextFile(
    `${runsDir}/r1/log.jsonl`,
    val.map((v, e) =>
      JSON.stringify({
        epoch: e,
        train_loss: e ? v * 1.1 : null,
        val_loss: v,
        samples_per_s: 1000,
        time: e,
      })
    ).join("\n") + "\n",
  );
  await Deno.writeFile(`${runsDir}/r1/model.safetensors`, new Uint8Array([1, 2, 3]));
  await Deno.mkdir(`${runsDir}/r2`);
  await Deno.writeTextFile(
    `${runsDir}/r2/config.json`,
    JSON.stringify({ model: { ...cfg.model, arch: "gru" }, train: cfg.train }),
  );
  await Deno.symlink(`${root}/secret`, `${runsDir}/escape`);

  // the shipped pretrained model: T1-informed (formula input), placeholder weights
  const pretrainedDir = `${root}/models/${PRETRAINED_NAME}`;
  await Deno.mkdir(pretrainedDir, { recursive: true });
  await Deno.writeTextFile(
    `${pretrainedDir}/config.json`,
    JSON.stringify({
      model: {
        ...cfg.model,
        arch: "mlp",
        input: { kind: "formula", b1UT: 1, b0T: 7, tsS: 1.5, tdS: 4.5, targetTsS: 5, targetTdS: 1 },
      },
      train: cfg.train,
    }),
  );
  await Deno.writeFile(`${pretrainedDir}/model.safetensors`, new Uint8Array([1, 2, 3]));

  // reports: two methods at the same offsets
  for (const [name, mse] of [["lstm-attention", 2e-4], ["analytic", 9e-4]] as const) {
    await Deno.mkdir(`${reportsDir}/${name}`);
    await Deno.writeTextFile(
      `${reportsDir}/${name}/metrics.json`,
      JSON.stringify(_metrics(OFFSETS, mse)),
    );
    await Deno.writeTextFile(
      `${reportsDir}/${name}/regression.svg`,
      `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>`,
    );
  }

  await Deno.writeTextFile(
    `${benchDir}/sim.json`,
    JSON.stringify({
      adapter: "lavapipe",
      results: [{ impl: "gpu", spectra_per_s: 5000 }, { impl: "cpu-f64", spectra_per_s: 90 }],
    }),
  );

  // `deno task bench` group files: infer.json with two cases, train.json with none
  const benchMedianMs = 20 + 80 * Math.random();
  const timing = (m: number) => ({
    medianMs: m,
    minMs: 0.9 * m,
    maxMs: 1.2 * m,
    runsMs: [m],
    iters: 1,
    firstMs: 3 * m,
  });
  const info = {
    date: "2026-01-01 00:00 UTC",
    quick: false,
    adapter: "lavapipe (software adapter)",
    machine: "test machine, 2 logical cores",
    deno: "2.9.6",
    loadavg: "0 0 0",
    peak: { flopsPerS: 5e9, bytesPerS: 2e10, syncMs: 11, note: "test" },
  };
  await Deno.writeTextFile(
    `${benchDir}/infer.json`,
    JSON.stringify({
      group: "infer",
      info,
      cases: [benchMedianMs, 2 * benchMedianMs].map((m, i) => ({
        group: "infer",
        name: `net${i} inference`,
        size: "default",
        shape: "4096 spectra",
        flops: 1e8,
        bytes: 1e6,
        floorMs: 1,
        results: [
          { impl: "ours", timing: timing(m), flopsPerS: 1e8 / m * 1e3, fractionOfPeak: 0.1 },
          { impl: "tfjs-webgpu", timing: timing(3 * m), maxAbsDiff: 1e-7 },
        ],
      })),
    }),
  );
  await Deno.writeTextFile(
    `${benchDir}/train.json`,
    JSON.stringify({ group: "train", info, cases: [] }),
  );

  // a phantom-shaped scan: random Z in (0.2, 1), mask, reference
  const nvox = NX * NY * NZ, nt = OFFSETS.length;
  const scan = Float32Array.from({ length: nvox * nt }, () => 0.2 + 0.8 * Math.random());
  const reference = Float32Array.from({ length: nvox * nt }, () => Math.random());
  const mask = Float32Array.from({ length: nvox }, (_, v) => (v % 7 === 3 ? 0 : 1));
  const t1 = Float32Array.from({ length: nvox }, () => 1 + 1.5 * Math.random());
  const ph = `${dataDir}/phantom`;
  await Deno.mkdir(ph);
  const dims4: [number, number, number, number] = [NX, NY, NZ, nt];
  await writeNifti(`${ph}/${PHANTOM_FILES.input}`, { dims: dims4, data: scan, ndim: 4 });
  await writeSidecar(`${ph}/${PHANTOM_FILES.input}`, {
    offsetsPpm: OFFSETS,
    tsS: 1.5,
    tdS: 4.5,
    b1UT: 1,
  });
  await writeNifti(`${ph}/${PHANTOM_FILES.reference}`, { dims: dims4, data: reference, ndim: 4 });
  await writeSidecar(`${ph}/${PHANTOM_FILES.reference}`, { offsetsPpm: OFFSETS, tsS: 5, tdS: 1 });
  await writeNifti(`${ph}/${PHANTOM_FILES.mask}`, { dims: [NX, NY, NZ, 1], data: mask, ndim: 3 });
  await writeNifti(`${ph}/${PHANTOM_FILES.t1}`, { dims: [NX, NY, NZ, 1], data: t1, ndim: 3 });
  await Deno.writeTextFile(
    `${ph}/${PHANTOM_FILES.manifest}`,
    JSON.stringify({ format: "quass-phantom-1", size: NX }),
  );

  return {
    root,
    runsDir,
    reportsDir,
    dataDir,
    benchDir,
    tmpDir: `${root}/tmp`,
    pretrainedDir,
    secret,
    scan,
    mask,
    reference,
    t1,
    benchMedianMs,
    remove: () => Deno.remove(root, { recursive: true }),
  };
}

/** Settings of a test app beyond its workspace's folders, and its engine's parts. */
export type TestAppOptions = Omit<AppOptions, "engine"> & {
  /** Default: {@link cpuSimulator}. */
  simulate?: SpectraSimulator;
  /** Default: {@link fakeLoader}(). */
  loadRun?: RunLoader;
};

/**
 * Runs `fn` with an app over a fresh workspace ({@link makeWorkspace}), then closes the app
 * and removes the workspace.
 */
export async function withTestApp(
  fn: (app: QuassApp, ws: Workspace) => Promise<void>,
  opts: TestAppOptions = {},
): Promise<void> {
  const { simulate = cpuSimulator, loadRun = fakeLoader(), ...config } = opts;
  const ws = await makeWorkspace();
  const app = await createApp({ ...appDirs(ws), ...config, engine: { simulate, loadRun } });
  try {
    await fn(app, ws);
  } finally {
    await app.close();
    await ws.remove();
  }
}

/** Polls a job (every 20 ms, `tries` times) until it is done or failed; its info. */
export async function jobDone(
  app: QuassApp,
  id: string,
  tries = 300,
): Promise<Record<string, unknown>> {
  for (let i = 0; i < tries; i++) {
    const info = await (await app.request(`/api/jobs/${id}`)).json();
    if (info.status === "done" || info.status === "error") return info;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`job ${id} did not finish`);
}

/** Deno.test options of the app tests: the app keeps timers and files open between tests. */
export const APP_TEST = { sanitizeResources: false, sanitizeOps: false };

/** Headers of a JSON request body. */
export const JSON_HEADERS = { "content-type": "application/json" };
