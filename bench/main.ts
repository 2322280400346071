/**
 * The benchmark dispatcher: `deno task bench [sim|nn|all] [--quick] [--out DIR] [--md FILE]
 * [--budget SECONDS] [--only layers,train,infer] [--sizes tiny,default,paper]
 * [--archs mlp,lstm-attention] [--impls ours,tfjs-webgpu,tfjs-cpu]`, and
 * `deno task bench validation [flags]` (bench/validation.ts: models vs the formula on a
 * dataset's validation split, for choosing configurations);
 * `deno task bench preprocess [flags]` (bench/preprocess.ts: B0 correction and PCA denoising
 * on the digital phantom);
 * `deno task bench quality [flags]` (bench/quality.ts: QUASS quality on the unseen suite
 * phantoms; its own flags, see that file).
 *
 * - `nn`: layer, training-step and inference benchmarks (ours vs tfjs-webgpu vs tfjs-cpu);
 * - `sim`: the simulation benchmark of bench/sim.ts (`benchSim(ctx)`) when it exports one,
 *   else bench/sim_python.ts' case (GPU kernel vs f64 CPU reference vs SciPy / NumPy);
 *   `--only dataset,cw,pulsed` runs a subset and merges it into the earlier results;
 * - `all`: both. `--quick` runs the smoke-test sizes (tiny, small batches) in a few minutes.
 *
 * Results: `<out>/<group>.json` (default bench/results, with --quick bench/results/quick)
 * and a regenerated Markdown report (default bench/RESULTS.md, with --quick
 * `<out>/RESULTS.md`). Exit status 1 when implementations disagree (nothing is timed then).
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import { describeGpu, getGpu } from "../src/gpu/device.ts";
import { type BenchCase, type BenchContext, DisagreementError, measurePeak } from "./harness.ts";
import { machineInfo, type RunInfo, writeGroup, writeResultsMd } from "./report.ts";

/** Groups of the nn suite. */
export const NN_GROUPS = ["layers", "train", "infer"] as const;

/** Options of {@link runBench}. */
export interface BenchOptions {
  quick: boolean;
  out: string;
  md: string;
  /** Seconds one implementation of one case may take (warm-up + timed runs). */
  budgetS: number;
  /** Subset of the nn groups. */
  only?: string[];
  /** Layer sizes (tiny, default, paper). */
  sizes?: string[];
  /** Architectures of the train and infer groups. */
  archs?: string[];
  /** Implementations to run (ours, tfjs-webgpu, tfjs-cpu). */
  impls?: string[];
}

/**
 * Runs a suite and writes its results.
 * @returns the cases of every group run
 * @throws DisagreementError when outputs disagree
 */
export async function runBench(
  what: "sim" | "nn" | "all",
  o: BenchOptions,
): Promise<Record<string, BenchCase[]>> {
  const { device, info: gpu } = await getGpu();
  const adapter = describeGpu(gpu);
  console.error(`bench: ${what}${o.quick ? " --quick" : ""} on ${adapter}`);
  const peak = await measurePeak(device, o.quick);
  console.error(
    `bench: measured peak ${
      ((peak.arithFlopsPerS ?? peak.flopsPerS) / 1e9).toFixed(2)
    } GFLOP/s (matmul ${(peak.flopsPerS / 1e9).toFixed(2)}), ${
      (peak.bytesPerS / 1e9).toFixed(2)
    } GB/s (${peak.note})`,
  );
  const ctx: BenchContext = {
    device,
    peak,
    quick: o.quick,
    budgetMs: o.budgetS * 1e3,
    sizes: o.sizes,
    archs: o.archs,
    impls: o.impls,
  };
  const { machine, loadavg } = machineInfo();
  const info = (): RunInfo => ({
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    quick: o.quick,
    adapter,
    machine,
    deno: Deno.version.deno,
    loadavg,
    peak,
  });
  const done: Record<string, BenchCase[]> = {};
  if (what === "nn" || what === "all") {
    const { tfjsInfo } = await import("./tfjs.ts");
    const tfi = await tfjsInfo();
    console.error(`bench: tfjs ${tfi.version}, flags ${JSON.stringify(tfi.flags)}`);
    const groups = o.only
      ? NN_GROUPS.filter((g) => o.only!.includes(g)).sort((a, b) =>
        o.only!.indexOf(a) - o.only!.indexOf(b)
      )
      : NN_GROUPS;
    for (const g of groups) {
      const run = g === "layers"
        ? (await import("./nn_layers.ts")).benchLayers
        : g === "train"
        ? (await import("./nn_train.ts")).benchTrain
        : (await import("./nn_infer.ts")).benchInfer;
      const cases = await run(ctx);
      done[g] = cases;
      const partial = o.archs !== undefined || o.sizes !== undefined || o.impls !== undefined;
      const path = await writeGroup(
        o.out,
        { group: g, info: { ...info(), tfjs: tfi }, cases },
        partial,
      );
      console.error(`bench: wrote ${path}`);
    }
  }
  if (what === "sim" || what === "all") {
    const simUrl = new URL("./sim.ts", import.meta.url);
    let src = "";
    try {
      src = await Deno.readTextFile(simUrl);
    } catch { /* absent */ }
    if (/export\s+(async\s+)?function\s+benchSim\b/.test(src)) {
      const mod = await import(simUrl.href) as {
        benchSim: (ctx: BenchContext, only?: string[]) => Promise<BenchCase[]>;
      };
      // --only for sim: a subset of dataset,cw,pulsed, merged into the earlier results
      const only = what === "sim" ? o.only : undefined;
      const cases = await mod.benchSim(ctx, only);
      done.sim = cases;
      console.error(
        `bench: wrote ${await writeGroup(
          o.out,
          { group: "sim", info: info(), cases },
          only !== undefined,
        )}`,
      );
    } else {
      // Until bench/sim.ts provides benchSim(ctx): the GPU kernel vs our f64 reference vs
      // SciPy / NumPy on one workload (bench/sim_python.ts).
      const { simCase } = await import("./sim_python.ts");
      const cases = [await simCase(ctx)];
      done.sim = cases;
      console.error(
        `bench: wrote ${await writeGroup(o.out, { group: "sim", info: info(), cases })}`,
      );
    }
  }
  console.error(`bench: wrote ${await writeResultsMd(o.out, o.md)}`);
  return done;
}

if (import.meta.main && Deno.args[0] === "quality") {
  const { qualityMain } = await import("./quality.ts");
  await qualityMain(Deno.args.slice(1));
} else if (import.meta.main && Deno.args[0] === "preprocess") {
  const { preprocessMain } = await import("./preprocess.ts");
  await preprocessMain(Deno.args.slice(1));
} else if (import.meta.main && Deno.args[0] === "validation") {
  const { validationMain } = await import("./validation.ts");
  await validationMain(Deno.args.slice(1));
} else if (import.meta.main) {
  const cmd = new Command("bench")
    .description(
      "Benchmarks: our WGSL kernels vs tfjs-webgpu / tfjs-cpu (nn) and the simulation baselines (sim)",
    )
    .addArgument(
      new Command().createArgument("[suite]", "sim, nn or all (or quality, with its own flags)")
        .choices(["sim", "nn", "all"])
        .default("all"),
    )
    .option("--quick", "smoke-test sizes (tiny, small batches), a few minutes", false)
    .option(
      "--out <dir>",
      "results directory (default bench/results, or bench/results/quick with --quick)",
    )
    .option(
      "--md <file>",
      "Markdown report to regenerate (default bench/RESULTS.md, or <out>/RESULTS.md with --quick)",
    )
    .addOption(
      new Option("--budget <seconds>", "time one implementation of one benchmark may take")
        .argParser(Number),
    )
    .option(
      "--only <groups>",
      "comma-separated subset of layers,train,infer (nn) or dataset,cw,pulsed (sim)",
    )
    .option("--sizes <sizes>", "layer sizes, comma-separated subset of tiny,default,paper")
    .option(
      "--archs <archs>",
      "architectures of train/infer, comma-separated (mlp,rnn,lstm,gru,bilstm,lstm-attention)",
    )
    .option(
      "--impls <impls>",
      "implementations of the nn groups, comma-separated (ours,tfjs-webgpu,tfjs-cpu)",
    );
  cmd.parse();
  const opts = cmd.opts();
  const suite = (cmd.processedArgs[0] ?? "all") as "sim" | "nn" | "all";
  const out = opts.out ?? (opts.quick ? "bench/results/quick" : "bench/results");
  const md = opts.md ?? (opts.quick ? `${out}/RESULTS.md` : "bench/RESULTS.md");
  try {
    await runBench(suite, {
      quick: opts.quick,
      out,
      md,
      budgetS: opts.budget ?? (opts.quick ? 15 : 60),
      only: opts.only?.split(",").map((s) => s.trim()),
      sizes: opts.sizes?.split(",").map((s) => s.trim()),
      archs: opts.archs?.split(",").map((s) => s.trim()),
      impls: opts.impls?.split(",").map((s) => s.trim()),
    });
  } catch (e) {
    if (e instanceof DisagreementError) {
      console.error(`bench: FAILED — ${e.message}`);
      Deno.exit(1);
    }
    throw e;
  }
}
