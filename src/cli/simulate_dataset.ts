/**
 * `quass simulate dataset`: paired Z-spectra (input Ts 1.5 s / target Ts 5 s or steady
 * state) of sampled tissue, simulated on the GPU, written as one .safetensors file.
 *
 *     deno task quass simulate dataset --n 350000 --seed 1 --out data/train.safetensors [--shard i/N] [--target steady]
 *     deno task quass simulate dataset --space wide --n 350000 --out data/wide.safetensors
 *     deno task quass simulate dataset --out data/train.safetensors --join data/train.shard-*.safetensors
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
import { describeGpu, getGpu } from "../gpu/device.ts";
import { InputError } from "../util/errors.ts";
import { startProgress } from "../util/progress.ts";
import { parseB1, parseInteger } from "./_args.ts";

/** `data/x.safetensors` + shard 2/8 → `data/x.shard-2-of-8.safetensors`. */
export function shardPath(out: string, index: number, count: number): string {
  const base = out.endsWith(".safetensors") ? out.slice(0, -".safetensors".length) : out;
  return `${base}.shard-${index}-of-${count}.safetensors`;
}

export function datasetCommand() {
  return new Command("dataset")
    .description("simulate a paired training dataset on the GPU (input Ts 1.5 s, target Ts 5 s)")
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
    .option(
      "--space <name|file>",
      "parameter space: 'default' (the paper's 20 parameters), 'wide' (wider water T1/T2, " +
        "per-sample solute T1, relative B1 and MT lineshape; 23 columns) or a JSON/YAML file",
    )
    .option("--quiet", "no progress bar")
    .action(async (o) => {
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
      let rows = { start: 0, end: n }, out = o.out;
      if (o.shard !== undefined) {
        const m = /^(\d+)\/(\d+)$/.exec(o.shard);
        if (!m) throw new InputError(`--shard must look like i/N (e.g. 0/8), found '${o.shard}'`);
        rows = shardRows(n, Number(m[1]), Number(m[2]));
        out = shardPath(o.out, Number(m[1]), Number(m[2]));
      }
      await checkWritable(out, "--out");
      const space = await resolveParamSpace(o.space);
      const { info } = await getGpu();
      if (!o.quiet) {
        console.error(
          `quass: simulating ${rows.end - rows.start} spectrum pairs on ${describeGpu(info)}`,
        );
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
