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
import { readSafetensors, writeSafetensors } from "../data/safetensors.ts";
import { checkOffsets, loadModel, runPaths } from "../nn/checkpoint.ts";
import { predictSpectra } from "../nn/predict.ts";
import { parseInteger, parsePositive } from "./_args.ts";
import { waterT1Column } from "../data/dataset.ts";
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
      const loaded = await loadModel(o.run);
      let st;
      try {
        st = await readSafetensors(o.data);
      } catch (e) {
        throw new InputError((e as Error).message);
      }
      const inp = st.tensors["input"];
      if (!inp || !(inp.data instanceof Float32Array) || inp.shape.length !== 2) {
        throw new InputError(`${o.data}: needs an F32 tensor "input" [N, offsets]`);
      }
      const off = st.tensors["offsets_ppm"];
      if (!off) throw new InputError(`${o.data}: tensor "offsets_ppm" is missing`);
      checkOffsets(
        loaded.meta.offsetsPpm,
        [...off.data].map(Number),
        runPaths(o.run).model,
        o.data,
      );
      const [n, T] = inp.shape as [number, number];
      let t1S: ArrayLike<number> | undefined;
      if (needsT1(loaded.config.model)) {
        const params = st.tensors["params"];
        t1S = o.t1 !== undefined ? [parsePositive("--t1", o.t1)] : params &&
          waterT1Column({
            params: Float32Array.from(params.data, Number),
            count: n,
            metadata: st.metadata,
          });
        if (!t1S) {
          throw new InputError(
            `${o.data}: ${o.run} needs the water T1 of every spectrum and the file has no water_t1_s column; give it with --t1 SECONDS`,
          );
        }
      }
      const t0 = performance.now();
      const pred = await predictSpectra(loaded, inp.data, n, {
        chunk: parseInteger("--chunk", o.chunk, 1),
        t1S,
      });
      const s = (performance.now() - t0) / 1000;
      const out = o.out ?? `${o.run.replace(/\/+$/, "")}/prediction.safetensors`;
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
      const tgt = st.tensors["target"];
      if (tgt && tgt.data.length === pred.length) {
        let e = 0;
        for (let i = 0; i < pred.length; i++) e += (pred[i]! - Number(tgt.data[i])) ** 2;
        msg += `; MSE vs target ${(e / pred.length).toExponential(4)}`;
      }
      console.error(msg);
    });
}
