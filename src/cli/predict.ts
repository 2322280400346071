/**
 * `quass predict`: QUASS images from a short-saturation CEST volume with a trained run.
 *
 *     deno task quass predict [--run runs/NAME] --input scan.nii.gz [--t1 T1.nii.gz|SECONDS] \
 *       [--mask mask.nii.gz] [--m0 m0.nii.gz] [--offsets LIST] [--interpolate] \
 *       [--b0 none|auto | --wassr FILE | --b0-map FILE [--b0-map-unit ppm|hz]] \
 *       [--denoise none|pca[:median|malinowski|nelson]] --out pred.nii.gz
 *
 * Without --run the shipped pretrained model (models/quass-7t-cw) predicts. With an M0 or a
 * B0/denoise flag the scan goes through M0 → B0 → denoise first (preprocess/pipeline.ts),
 * one line per stage.
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import cliProgress from "cli-progress";
import process from "node:process";
import { predictVolumeFile } from "../eval/predict_volume.ts";
import { loadRunPredictor } from "../eval/run_predictor.ts";
import { PREPROCESS_HELP, preprocessFromFlags } from "./_preprocess.ts";

/** The `predict` command. */
export function predictCommand() {
  return new Command("predict")
    .description(
      "predict QUASS Z-spectra for every (masked) voxel of a NIfTI volume with a trained run",
    )
    .option(
      "--run <dir>",
      "run directory (runs/NAME, from quass train); default: the shipped pretrained model models/quass-7t-cw",
    )
    .option(
      "--t1 <path|seconds>",
      "water T1: a map (.nii/.nii.gz, seconds) or one value; needed by T1-informed models such as the shipped one",
    )
    .requiredOption(
      "--input <path>",
      "Z-spectral volume (.nii/.nii.gz, 4-D [x,y,z,offset]); offsets from its .json sidecar",
    )
    .option("--mask <path>", "predict only where the mask is nonzero (3-D, same x, y, z)")
    .option("--m0 <path>", "M0 volume: the input is raw signal and is divided by it")
    .option("--offsets <list>", "offsets, ppm (lo:hi:n or a comma list) instead of the sidecar's")
    .option(
      "--interpolate",
      "resample the input onto the network's offsets (linear) when they differ",
    )
    .option("--b0 <none|auto>", PREPROCESS_HELP.b0)
    .option("--wassr <path>", PREPROCESS_HELP.wassr)
    .option("--b0-map <path>", PREPROCESS_HELP.b0Map)
    .option("--b0-map-unit <ppm|hz>", PREPROCESS_HELP.b0MapUnit)
    .option("--denoise <none|pca[:criterion]>", PREPROCESS_HELP.denoise)
    .requiredOption(
      "--out <path>",
      "output volume (.nii/.nii.gz); a .json sidecar is written beside it",
    )
    .action(async (o) => {
      const preprocess = preprocessFromFlags(o);
      const bar = new cliProgress.SingleBar(
        {
          format: "predict [{bar}] {value}/{total} voxels",
          noTTYOutput: true,
          notTTYSchedule: 5000,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      );
      let started = false;
      const res = await predictVolumeFile({
        run: o.run,
        t1: o.t1,
        input: o.input,
        mask: o.mask,
        m0: o.m0,
        offsets: o.offsets,
        interpolate: o.interpolate ?? false,
        preprocess,
        onStage: (line) => console.error(`quass predict: ${line}`),
        out: o.out,
        onProgress: (done, total) => {
          if (!started) bar.start(total, 0), started = true;
          bar.update(done);
        },
      }, loadRunPredictor);
      if (started) bar.stop();
      if (res.skippedNote) console.error(`quass predict: ${res.skippedNote}`);
      if (res.b0MapPath) console.error(`quass predict: B0 map (ppm) → ${res.b0MapPath}`);
      console.log(
        `predict: ${res.predicted} voxels${res.interpolated ? " (offsets interpolated)" : ""} in ${
          res.seconds.toFixed(1)
        } s → ${o.out}`,
      );
    });
}
