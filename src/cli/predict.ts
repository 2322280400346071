/**
 * `quass predict`: QUASS images from a short-saturation CEST volume with a trained run.
 *
 *     deno task quass predict [--run runs/NAME] --input scan.nii.gz [--t1 T1.nii.gz|SECONDS] \
 *       [--mask mask.nii.gz] [--m0 m0.nii.gz] [--offsets LIST] [--interpolate] --out pred.nii.gz
 *
 * Without --run the shipped pretrained model (models/quass-7t-cw) predicts.
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import cliProgress from "cli-progress";
import process from "node:process";
import { predictVolumeFile } from "../eval/predict_volume.ts";
import { loadRunPredictor } from "../eval/run_predictor.ts";

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
    .requiredOption(
      "--out <path>",
      "output volume (.nii/.nii.gz); a .json sidecar is written beside it",
    )
    .action(async (o) => {
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
        out: o.out,
        onProgress: (done, total) => {
          if (!started) bar.start(total, 0), started = true;
          bar.update(done);
        },
      }, loadRunPredictor);
      if (started) bar.stop();
      if (res.skippedNote) console.error(`quass predict: ${res.skippedNote}`);
      console.log(
        `predict: ${res.predicted} voxels${res.interpolated ? " (offsets interpolated)" : ""} in ${
          res.seconds.toFixed(1)
        } s → ${o.out}`,
      );
    });
}
