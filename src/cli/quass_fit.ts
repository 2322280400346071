/** `quass quass-fit`: the analytic QUASS baseline (Sun 2021) per voxel. @module */
import { Command } from "@commander-js/extra-typings";
import { quassFitFile } from "../eval/quass_image.ts";
import { InputError } from "../util/errors.ts";

/** The `quass-fit` command. */
export function quassFitCommand() {
  return new Command("quass-fit")
    .description("Analytic QUASS reconstruction (Sun 2021) of a short-saturation CEST volume, voxel by voxel")
    .requiredOption("--input <path>", "Z-spectral volume (.nii/.nii.gz, 4-D [x,y,z,offset]) with a .json sidecar")
    .requiredOption("--t1 <path|seconds>", "water T1: a map (.nii/.nii.gz, seconds) or one value in seconds")
    .option("--b1 <uT>", "saturation B1, µT (default: sidecar b1UT, else 1.0)")
    .option("--ts <s>", "saturation time of the scan, s (default: sidecar tsS, else 1.5)")
    .option("--td <s>", "relaxation delay of the scan, s (default: sidecar tdS, else 4.5)")
    .option("--b0 <T>", "main field, T (default: sidecar b0T, else 7)")
    .option("--offsets <list>", "offsets in ppm (comma list or start:step:stop) instead of the sidecar's")
    .option("--mask <path>", "fit only voxels where the mask is nonzero")
    .option("--b0-shift <path>", "B0 shift map in ppm")
    .option("--control", "Z was normalised by a control scan with the same Ts and Td (not by M0)")
    .requiredOption("--out <path>", "output volume (.nii/.nii.gz); a .json sidecar is written beside it")
    .action(async (o) => {
      const num = (v: string | undefined, flag: string) => {
        if (v === undefined) return undefined;
        const x = Number(v);
        if (!Number.isFinite(x) || x < 0) throw new InputError(`${flag} must be a non-negative number, found "${v}"`);
        return x;
      };
      const res = await quassFitFile({
        input: o.input,
        t1: o.t1,
        b1UT: num(o.b1, "--b1"),
        tsS: num(o.ts, "--ts"),
        tdS: num(o.td, "--td"),
        b0T: num(o.b0, "--b0"),
        offsets: o.offsets,
        mask: o.mask,
        b0Shift: o.b0Shift,
        control: o.control ?? false,
        out: o.out,
      });
      console.log(
        `quass-fit: ${res.fitted} voxels fitted${res.skipped ? `, ${res.skipped} left out (NaN/Inf input or T1 ≤ 0)` : ""} → ${o.out}`,
      );
    });
}
