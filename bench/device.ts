/**
 * The device run (scripts/device_run.sh, docs/device.md): on whatever adapter this machine
 * has, within a fixed time budget per stage,
 *
 * 1. the adapter (name, limits);
 * 2. simulation throughput: dataset pairs/s (`generateDataset`, Ts 1.5 s + Ts 5 s, the
 *    paper's 101 offsets) on a ladder of sizes up to 350,000 pairs, stopping where the
 *    next size would not fit the stage's budget;
 * 3. the nn benchmarks (bench/main.ts nn: layers, training step, inference; ours vs
 *    tfjs-webgpu) at default and paper size, one subprocess per group with its own budget;
 * 4. an end-to-end training run (`quass train`, one epoch): full, the paper preset
 *    (LSTM-Attention H 1024) for a few hundred steps; quick, the tiny MLP;
 *
 * and writes `device.json` + `device.md` (plus the bench's layers/train/infer.json and
 * RESULTS.md under `bench/`) to the output folder.
 *
 *     deno run -A bench/device.ts [quick|full] OUTDIR
 * @module
 */
import { describeGpu, getGpu } from "../src/gpu/device.ts";
import { generateDataset, writeDataset } from "../src/data/dataset.ts";

/** Stage budgets (seconds) and sizes of a mode. */
export interface DevicePlan {
  mode: "quick" | "full";
  /** Sizes of the simulation ladder (pairs). */
  simSizes: number[];
  simBudgetS: number;
  /**
   * Size of the dataset the training stage uses (pairs), one of simSizes (the largest size
   * simulated up to it when the ladder stops earlier).
   */
  trainPairs: number;
  /** bench/main.ts nn: per group, its flags and budget. */
  bench: { group: string; args: string[]; budgetS: number }[];
  train: { args: string[]; budgetS: number };
}

/** Seconds a mode's stages may take together (≤ 8 min for `full`; see {@link planBudgetS}). */
export const MODE_LIMIT_S = { quick: 180, full: 450 } as const;

/** The sum of a plan's stage budgets, seconds. */
export function planBudgetS(p: DevicePlan): number {
  return p.simBudgetS + p.bench.reduce((s, b) => s + b.budgetS, 0) + p.train.budgetS;
}

/** The plan of a mode: `full` ≈ 7 min on a datacenter GPU, `quick` < 1 min on lavapipe. */
export function devicePlan(mode: "quick" | "full"): DevicePlan {
  if (mode === "quick") {
    return {
      mode,
      simSizes: [64, 256],
      simBudgetS: 40,
      trainPairs: 256,
      bench: ["train", "infer"].map((group) => ({
        group,
        args: ["--quick", "--only", group, "--archs", "mlp", "--impls", "ours,tfjs-webgpu"],
        budgetS: 45,
      })),
      train: {
        args: ["--arch", "mlp", "--preset", "tiny", "--epochs", "1", "--batch", "16"],
        budgetS: 30,
      },
    };
  }
  // One subprocess per group and size: a stage cut at its limit loses only its own rows
  // (each writes its group's JSON when done; partial runs merge into it).
  const impls = ["--impls", "ours,tfjs-webgpu", "--budget", "8"];
  const archs = ["--archs", "mlp,lstm,lstm-attention"];
  const stage = (group: string, size: string, budgetS: number, extra: string[] = []) => ({
    group: `${group} ${size}`,
    args: ["--only", group, "--sizes", size, ...extra, ...impls],
    budgetS,
  });
  return {
    mode,
    simSizes: [1024, 8192, 65536, 350000],
    simBudgetS: 100,
    trainPairs: 65536, // 80 % train split / batch 256 ≈ 205 steps
    bench: [
      stage("layers", "default", 30),
      stage("layers", "paper", 60),
      stage("train", "default", 30, archs),
      stage("train", "paper", 50, archs),
      stage("infer", "default", 25, archs),
      stage("infer", "paper", 40, archs),
    ],
    train: {
      args: ["--arch", "lstm-attention", "--preset", "paper", "--epochs", "1"],
      budgetS: 90,
    },
  };
}

/**
 * The largest prefix of a size ladder whose next size still fits the time left, predicted
 * from the last rate measured (pairs/s); null rate = the first size always runs.
 */
export function fitsBudget(pairs: number, ratePairsPerS: number | null, leftS: number): boolean {
  if (ratePairsPerS === null) return true;
  return pairs / ratePairsPerS <= leftS;
}

/** The last progress line's `done/total` and rate (cli-progress format of util/progress.ts). */
export function lastProgress(log: string): { done: number; total: number; rate: number } | null {
  const re = /(\d+)\/(\d+) \w+ \| ([\d.]+) \w+\/s/g;
  let m: RegExpExecArray | null, last: RegExpExecArray | null = null;
  while ((m = re.exec(log)) !== null) last = m;
  return last ? { done: Number(last[1]), total: Number(last[2]), rate: Number(last[3]) } : null;
}

interface StageResult {
  stage: string;
  ok: boolean;
  wallS: number;
  note?: string;
}

/** Runs deno with args under a time limit, its output echoed and returned. */
async function runDeno(
  args: string[],
  budgetS: number,
): Promise<{ ok: boolean; timedOut: boolean; wallS: number; log: string }> {
  const t0 = performance.now();
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, budgetS * 1e3);
  const flags = Deno.env.get("QUASS_DENO_FLAGS")?.split(" ").filter((s) => s) ?? [];
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...flags, ...args],
    stdout: "piped",
    stderr: "piped",
    signal: ac.signal,
  }).spawn();
  let log = "";
  const pump = async (s: ReadableStream<Uint8Array>, to: typeof Deno.stderr) => {
    const dec = new TextDecoder();
    for await (const chunk of s) {
      log += dec.decode(chunk, { stream: true });
      await to.write(chunk);
    }
  };
  const [status] = await Promise.all([
    child.status,
    pump(child.stdout, Deno.stderr),
    pump(child.stderr, Deno.stderr),
  ]);
  clearTimeout(timer);
  return { ok: status.success, timedOut, wallS: (performance.now() - t0) / 1e3, log };
}

const fmt = (x: number, d = 1) => x.toLocaleString("en-US", { maximumFractionDigits: d });

if (import.meta.main) {
  const mode = Deno.args[0] === "quick" ? "quick" : "full";
  const outDir = Deno.args[1] ?? "bench/results/device";
  const plan = devicePlan(mode);
  await Deno.mkdir(`${outDir}/bench`, { recursive: true });
  const work = await Deno.makeTempDir({ prefix: "quass-device-" });
  const t0 = performance.now();
  const stages: StageResult[] = [];
  const report: Record<string, unknown> = {
    mode,
    date: new Date().toISOString(),
    deno: Deno.version.deno,
    stages,
  };

  // 1. adapter
  const { device, info } = await getGpu();
  const adapter = describeGpu(info);
  console.error(`device: adapter ${adapter}`);
  report.adapter = adapter;
  report.limits = {
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
    maxBufferSize: device.limits.maxBufferSize,
    maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
  };

  // 2. simulation throughput
  const sim: { pairs: number; seconds: number; pairsPerS: number }[] = [];
  let trainPairs = 0;
  {
    const s0 = performance.now();
    const w0 = performance.now();
    await generateDataset({ n: 16, seed: 7 }); // compile the kernels
    const warmS = (performance.now() - w0) / 1e3;
    let rate: number | null = null, note = `warm-up (16 pairs, compiles) ${fmt(warmS, 2)} s`;
    for (const n of plan.simSizes) {
      const left = plan.simBudgetS - (performance.now() - s0) / 1e3;
      if (!fitsBudget(n, rate, left)) {
        note += `; ${n} pairs skipped (≈ ${fmt(n / rate!, 0)} s predicted, ${fmt(left, 0)} s left)`;
        break;
      }
      const t = performance.now();
      const ds = await generateDataset({ n, seed: 1 });
      const seconds = (performance.now() - t) / 1e3;
      rate = n / seconds;
      sim.push({ pairs: n, seconds, pairsPerS: rate });
      console.error(`device: simulated ${n} pairs in ${fmt(seconds, 2)} s = ${fmt(rate)} pairs/s`);
      // the training stage's data: the largest dataset of the ladder up to trainPairs
      if (n <= plan.trainPairs) {
        await writeDataset(`${work}/train.safetensors`, ds);
        trainPairs = n;
      }
    }
    stages.push({ stage: "sim", ok: true, wallS: (performance.now() - s0) / 1e3, note });
    report.sim = sim;
  }
  device.destroy();

  // 3. nn benchmarks (one subprocess per group; its own time limit)
  for (const b of plan.bench) {
    const r = await runDeno([
      "bench/main.ts",
      "nn",
      ...b.args,
      "--out",
      `${outDir}/bench`,
      "--md",
      `${outDir}/bench/RESULTS.md`,
    ], b.budgetS);
    stages.push({
      stage: `bench ${b.group}`,
      ok: r.ok,
      wallS: r.wallS,
      note: r.timedOut ? `stopped at its ${b.budgetS} s limit` : r.ok ? undefined : "failed",
    });
  }

  // 4. training, end to end
  {
    const r = await runDeno([
      "src/cli/main.ts",
      "train",
      ...plan.train.args,
      "--data",
      `${work}/train.safetensors`,
      "--out",
      `${work}/run`,
    ], plan.train.budgetS);
    const p = lastProgress(r.log);
    const batch = Number(plan.train.args[plan.train.args.indexOf("--batch") + 1]) || 256;
    const train = {
      args: plan.train.args.join(" "),
      datasetPairs: trainPairs,
      batch,
      samplesDone: p?.done ?? null,
      samplesPerEpoch: p?.total ?? null,
      samplesPerS: p?.rate ?? null,
      stepsPerS: p ? p.rate / batch : null,
      finished: r.ok,
    };
    report.train = train;
    stages.push({
      stage: "train",
      ok: r.ok,
      wallS: r.wallS,
      note: r.timedOut ? `stopped at its ${plan.train.budgetS} s limit` : undefined,
    });
  }
  await Deno.remove(work, { recursive: true }).catch(() => {});
  report.totalS = (performance.now() - t0) / 1e3;

  // results
  await Deno.writeTextFile(`${outDir}/device.json`, JSON.stringify(report, null, 2) + "\n");
  const md = [
    `# quass device run (${mode})`,
    "",
    `${report.date}, Deno ${Deno.version.deno}, **${adapter}**; total ${
      fmt(report.totalS as number)
    } s.`,
    "",
    "## Simulation throughput (dataset pairs: Ts 1.5 s + Ts 5 s, 101 offsets)",
    "",
    "| pairs | seconds | pairs/s |",
    "|---|---|---|",
    ...sim.map((r) => `| ${r.pairs} | ${fmt(r.seconds, 2)} | ${fmt(r.pairsPerS)} |`),
    "",
    "## Training, end to end (`quass train`, one epoch)",
    "",
    "```json",
    JSON.stringify(report.train, null, 2),
    "```",
    "",
    "## Stages",
    "",
    "| stage | ok | wall s | note |",
    "|---|---|---|---|",
    ...stages.map((s) =>
      `| ${s.stage} | ${s.ok ? "yes" : "no"} | ${fmt(s.wallS)} | ${s.note ?? ""} |`
    ),
    "",
    "The nn benchmark tables are in bench/RESULTS.md beside this file.",
    "",
  ].join("\n");
  await Deno.writeTextFile(`${outDir}/device.md`, md);
  console.error(
    `device: wrote ${outDir}/device.json and device.md (${fmt(report.totalS as number)} s)`,
  );
}
