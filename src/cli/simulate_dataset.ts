/**
 * `quass simulate dataset`: paired Z-spectra (input Ts 1.5 s / target Ts 5 s or steady
 * state) of sampled tissue, simulated on the GPU, written as one .safetensors file.
 *
 *     deno task quass simulate dataset --n 350000 --seed 1 --out data/train.safetensors [--shard i/N] [--target steady]
 *     deno task quass simulate dataset --space wide --n 350000 --out data/wide.safetensors
 *     deno task quass simulate dataset --out data/train.safetensors --join data/train.shard-*.safetensors
 *     deno task quass simulate dataset --seq in.seq --target-seq target.seq --n 20000 --out data/pulsed.safetensors
 *     deno task quass simulate dataset --seq in.seq --target steady --n 20000 --out data/pulsed.safetensors
 *
 * With `--seq` the input (and `--target-seq` the target) is a Pulseq file simulated as
 * pulseq-cest does (src/physics/seq/seq_pairs.ts: columns, M0 normalisation and what
 * `--target steady` means for a pulse train), on the GPU (on a software adapter such as
 * lavapipe only for models of up to 19 states), else on the float64 CPU reference.
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import {
  checkDatasetSize,
  generateDataset,
  joinShards,
  shardRows,
  writeDataset,
} from "../data/dataset.ts";
import { checkNotInput, checkWritable } from "../util/output.ts";
import { resolveParamSpace } from "../physics/param_space.ts";
import { paperInputProtocol, paperTargetProtocol } from "../physics/protocol.ts";
import { describeGpu, getGpu, hasGpu } from "../gpu/device.ts";
import {
  autoSeqDevice,
  type SeqDevice,
  seqPairs,
  type SeqSource,
} from "../physics/seq/seq_pairs.ts";
import { GAMMA_RAD_PER_S_UT } from "../physics/constants.ts";
import { InputError } from "../util/errors.ts";
import { startProgress } from "../util/progress.ts";
import { parseB1, parseInteger, parsePositive } from "./_args.ts";

async function _readSeq(flag: string, path: string): Promise<SeqSource> {
  try {
    return { name: path, text: await Deno.readTextFile(path) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new InputError(`${flag} ${path}: .seq file not found`);
    }
    throw new InputError(`${flag} ${path}: cannot read the .seq file (${(e as Error).message})`);
  }
}

/** `data/x.safetensors` + shard 2/8 → `data/x.shard-2-of-8.safetensors`. */
export function shardPath(out: string, index: number, count: number): string {
  const base = out.endsWith(".safetensors") ? out.slice(0, -".safetensors".length) : out;
  return `${base}.shard-${index}-of-${count}.safetensors`;
}

export function datasetCommand() {
  return new Command("dataset")
    .description(
      "simulate a paired training dataset on the GPU (input Ts 1.5 s, target Ts 5 s), or of pulsed .seq protocols (--seq)",
    )
    .option("--n <count>", "number of samples of the full dataset", "350000")
    .option("--seed <seed>", "random seed (same seed = same data, however sharded)", "1")
    .requiredOption("--out <file>", "output .safetensors file")
    .option("--shard <i/N>", "generate only shard i of N (written beside --out as .shard-i-of-N)")
    .option("--join <shards...>", "join shard files into --out instead of simulating")
    .option(
      "--target <kind>",
      "target: 'ts5' (Ts 5 s, Td 1 s) or 'steady' (exact steady state)",
      "ts5",
    )
    .option("--b1 <uT>", "CW saturation amplitude, µT", "1.0")
    .option("--seq <file>", "pulsed input protocol: a Pulseq .seq file (replaces --b1)")
    .option("--target-seq <file>", "with --seq: the target protocol as a .seq file")
    .option(
      "--steady-time <s>",
      "with --seq and --target steady: least duration of the repeated pulse train, s (default 10 × the space's longest T1)",
    )
    .option(
      "--workers <n>",
      "with --seq on the CPU: threads to spread the tissue models over (default: the logical cores)",
    )
    .option(
      "--device <device>",
      "with --seq: gpu (f32), cpu (float64 reference) or auto (a GPU; on a software adapter only for ≤ 19 states)",
      "auto",
    )
    .option(
      "--space <name|file>",
      "parameter space: 'default' (the paper's 20 parameters), 'wide' (wider water T1/T2, " +
        "per-sample solute T1, relative B1 and MT lineshape; 23 columns) or a JSON/YAML file",
    )
    .option("--quiet", "no progress bar")
    .action(async (o, cmd) => {
      if (o.join) {
        await checkWritable(o.out, "--out");
        await checkNotInput(
          [{ flag: "--out", path: o.out }],
          o.join.map((path) => ({ flag: "--join", path })),
        );
        const ds = await joinShards(o.join);
        await writeDataset(o.out, ds);
        console.error(`quass: joined ${o.join.length} shards (${ds.count} samples) into ${o.out}`);
        return;
      }
      const n = parseInteger("--n", o.n, 1);
      checkDatasetSize(n);
      const seed = parseInteger("--seed", o.seed, 0);
      const b1UT = parseB1("--b1", o.b1, true);
      if (o.target !== "ts5" && o.target !== "steady") {
        throw new InputError(`--target must be 'ts5' or 'steady', found '${o.target}'`);
      }
      const cli = (k: "b1" | "target" | "targetSeq" | "steadyTime" | "device" | "workers") =>
        cmd.getOptionValueSource(k) === "cli";
      if (o.seq === undefined) {
        for (
          const [k, f] of [
            ["targetSeq", "--target-seq"],
            ["steadyTime", "--steady-time"],
            ["device", "--device"],
            ["workers", "--workers"],
          ] as const
        ) {
          if (cli(k)) throw new InputError(`${f}: only with --seq (a pulsed input protocol)`);
        }
      } else {
        if (cli("b1")) {
          throw new InputError(
            "--b1: not used with --seq (the .seq file sets the pulses); drop it",
          );
        }
        const steady = cli("target") && o.target === "steady";
        if (cli("target") && !steady) {
          throw new InputError(
            "--target ts5 is a CW protocol; with --seq give --target-seq FILE or --target steady",
          );
        }
        if (steady === (o.targetSeq !== undefined)) {
          throw new InputError(
            "--seq needs a target: --target-seq FILE (a second .seq file) or --target steady (not both)",
          );
        }
        if (cli("steadyTime") && !steady) {
          throw new InputError("--steady-time: only with --target steady");
        }
        if (!["auto", "gpu", "cpu"].includes(o.device)) {
          throw new InputError(`--device must be auto, gpu or cpu, found '${o.device}'`);
        }
      }
      let rows = { start: 0, end: n }, out = o.out;
      if (o.shard !== undefined) {
        const m = /^(\d+)\/(\d+)$/.exec(o.shard);
        if (!m) throw new InputError(`--shard must look like i/N (e.g. 0/8), found '${o.shard}'`);
        rows = shardRows(n, Number(m[1]), Number(m[2]));
        out = shardPath(o.out, Number(m[1]), Number(m[2]));
      }
      await checkWritable(out, "--out");
      let space = await resolveParamSpace(o.space);
      let pairs: ReturnType<typeof seqPairs> | undefined;
      let where: string;
      if (o.seq !== undefined) {
        const device: SeqDevice = o.device === "cpu" || o.device === "gpu"
          ? o.device
          : autoSeqDevice(await hasGpu() ? (await getGpu()).info : null, space);
        const workers = o.workers === undefined
          ? navigator.hardwareConcurrency
          : parseInteger("--workers", o.workers, 1);
        const longestT1 = Math.max(
          space.soluteT1S,
          ...space.ranges.filter((r) => /_t1_s$/.test(r.name)).map((r) => r.hi),
        );
        const steadyS = o.steadyTime === undefined
          ? 10 * longestT1
          : parsePositive("--steady-time", o.steadyTime);
        pairs = seqPairs(
          await _readSeq("--seq", o.seq),
          o.targetSeq === undefined ? { steadyS } : await _readSeq("--target-seq", o.targetSeq),
          { device, gammaRadPerSUT: GAMMA_RAD_PER_S_UT, b0T: space.b0T, workers },
        );
        if (pairs.b0T !== undefined && pairs.b0T !== space.b0T) {
          if (!o.quiet) {
            console.error(
              `quass: the tissue field is the .seq file's B0 ${pairs.b0T} T (the space says ${space.b0T} T)`,
            );
          }
          space = { ...space, b0T: pairs.b0T };
        }
        where = device === "gpu"
          ? describeGpu((await getGpu()).info)
          : `the CPU (float64 reference, ${workers} worker${workers > 1 ? "s" : ""})`;
      } else {
        where = describeGpu((await getGpu()).info);
      }
      if (!o.quiet) {
        console.error(`quass: simulating ${rows.end - rows.start} spectrum pairs on ${where}`);
      }
      const abort = new AbortController();
      const onSigint = () =>
        abort.abort(new InputError("interrupted (Ctrl-C); nothing was written"));
      Deno.addSignalListener("SIGINT", onSigint);
      const bar = startProgress("simulate", rows.end - rows.start, "spectra", o.quiet);
      try {
        const ds = await generateDataset({
          n,
          seed,
          space,
          input: paperInputProtocol(b1UT),
          target: paperTargetProtocol(b1UT, o.target === "steady"),
          rows,
          ...(pairs ? { pairs } : {}),
          signal: abort.signal,
          onProgress: (done) => bar.update(done),
        });
        bar.stop();
        await writeDataset(out, ds);
        console.error(`quass: wrote ${ds.count} samples to ${out}`);
      } finally {
        bar.stop();
        Deno.removeSignalListener("SIGINT", onSigint);
      }
    });
}
