/**
 * `quass quass-fit`: the analytic QUASS baseline (Sun 2021) per voxel.
 *
 *     deno task quass quass-fit --input scan.nii.gz --t1 T1.nii.gz --b1 1.0 --ts 1.5 --td 4.5 --out quass.nii.gz
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { quassFitFile } from "../eval/quass_image.ts";
import { parseNonNegative, parsePositive } from "./_args.ts";

/** The `quass-fit` command. */
export function quassFitCommand() {
  return new Command("quass-fit")
    .description(
      "analytic QUASS reconstruction (Sun 2021) of a short-saturation CEST volume, voxel by voxel",
    )
    .requiredOption(
      "--input <path>",
      "Z-spectral volume (.nii/.nii.gz, 4-D [x,y,z,offset]) with a .json sidecar",
    )
    .requiredOption(
      "--t1 <path|seconds>",
      "water T1: a map (.nii/.nii.gz, seconds) or one value in seconds",
    )
    .option("--b1 <uT>", "saturation B1, µT (default: the sidecar's b1UT, else 1.0)")
    .option("--ts <s>", "saturation time of the scan, s (default: the sidecar's tsS, else 1.5)")
    .option("--td <s>", "relaxation delay of the scan, s (default: the sidecar's tdS, else 4.5)")
    .option("--b0 <T>", "main field, T (default: the sidecar's b0T, else 7)")
    .option("--offsets <list>", "offsets, ppm (lo:hi:n or a comma list) instead of the sidecar's")
    .option("--mask <path>", "fit only voxels where the mask is nonzero")
    .option("--b0-shift <path>", "B0 shift map, ppm")
    .option("--control", "Z was normalised by a control scan with the same Ts and Td (not by M0)")
    .requiredOption(
      "--out <path>",
      "output volume (.nii/.nii.gz); a .json sidecar is written beside it",
    )
    .action(async (o) => {
      const t0 = performance.now();
      const res = await quassFitFile({
        input: o.input,
        t1: o.t1,
        b1UT: o.b1 === undefined ? undefined : parsePositive("--b1", o.b1),
        tsS: o.ts === undefined ? undefined : parsePositive("--ts", o.ts),
        tdS: o.td === undefined ? undefined : parseNonNegative("--td", o.td),
        b0T: o.b0 === undefined ? undefined : parsePositive("--b0", o.b0),
        offsets: o.offsets,
        mask: o.mask,
        b0Shift: o.b0Shift,
        control: o.control ?? false,
        out: o.out,
      });
      const s = ((performance.now() - t0) / 1000).toFixed(1);
      console.log(
        `quass-fit: ${res.fitted} voxels fitted${
          res.skipped ? `, ${res.skipped} left out (NaN/Inf input or T1 ≤ 0)` : ""
        } in ${s} s → ${o.out}`,
      );
    });
}
