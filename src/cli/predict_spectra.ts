/**
 * `quass predict-spectra`: runs a trained network over the `input` spectra of a
 * .safetensors file and writes the predictions.
 *
 *     deno task quass predict-spectra --run runs/a --data data/test.safetensors [--out pred.safetensors]
 *
 * The output holds `prediction` [N, T], `offsets_ppm` [T] and, when the input file has a
 * `target`, prints the MSE against it.
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { InputError } from "../util/errors.ts";
import { writeSafetensors } from "../data/safetensors.ts";
import { readSpectraFile } from "../data/dataset.ts";
import { checkNotInput, checkWritable } from "../util/output.ts";
import { checkOffsets, loadModel, runPaths } from "../nn/checkpoint.ts";
import { predictSpectra } from "../nn/predict.ts";
import { parseInteger, parsePositive } from "./_args.ts";
import { needsT1 } from "../nn/model_input.ts";

/** The `predict-spectra` command. */
export function predictSpectraCommand() {
  return new Command("predict-spectra")
    .exitOverride()
    .description("Predict QUASS spectra from short-saturation Z-spectra with a trained run")
    .requiredOption("--run <dir>", "run directory written by `quass train`")
    .requiredOption("--data <file>", ".safetensors with `input` [N, offsets] and `offsets_ppm`")
    .option("--out <file>", "output .safetensors (default: <run>/prediction.safetensors)")
    .option("--chunk <n>", "spectra per GPU batch", "1024")
    .option(
      "--t1 <s>",
      "water T1 of every spectrum, s, for a T1-informed model (default: the file's water_t1_s column)",
    )
    .action(async (o) => {
      const chunk = parseInteger("--chunk", o.chunk, 1);
      const loaded = await loadModel(o.run);
      const out = o.out ?? `${o.run.replace(/\/+$/, "")}/prediction.safetensors`;
      await checkWritable(out, "--out");
      await checkNotInput([{ flag: "--out", path: out }], [
        { flag: "--data", path: o.data },
        { flag: "--run's model", path: runPaths(o.run).model },
      ]);
      const spectra = await readSpectraFile(o.data);
      checkOffsets(loaded.meta.offsetsPpm, spectra.offsetsPpm, runPaths(o.run).model, o.data);
      const { n, T } = spectra;
      let t1S: ArrayLike<number> | undefined;
      if (needsT1(loaded.config.model)) {
        t1S = o.t1 !== undefined ? [parsePositive("--t1", o.t1)] : spectra.t1S;
        if (!t1S) {
          throw new InputError(
            `${o.data}: ${o.run} needs the water T1 of every spectrum and the file has no water_t1_s column; give it with --t1 SECONDS`,
          );
        }
      }
      const t0 = performance.now();
      const pred = await predictSpectra(loaded, spectra.input, n, { chunk, t1S });
      const s = (performance.now() - t0) / 1000;
      await writeSafetensors(out, {
        tensors: {
          prediction: { data: pred, shape: [n, T] },
          offsets_ppm: { data: Float32Array.from(loaded.meta.offsetsPpm), shape: [T] },
        },
        metadata: { run: o.run, data: o.data, architecture: loaded.config.model.arch },
      });
      let msg = `quass predict-spectra: ${n} spectra in ${s.toFixed(2)} s (${
        (n / s).toFixed(0)
      } spectra/s) → ${out}`;
      const tgt = spectra.target;
      if (tgt && tgt.length === pred.length) {
        let e = 0;
        for (let i = 0; i < pred.length; i++) e += (pred[i]! - tgt[i]!) ** 2;
        msg += `; MSE vs target ${(e / pred.length).toExponential(4)}`;
      }
      console.error(msg);
    });
}
