/**
 * `quass quass-fit`: the analytic QUASS baseline (Sun 2021) per voxel, predicting the steady
 * state (default) or a target protocol's image (`--target ts=5,td=1`, what the networks
 * are trained to predict).
 *
 *     deno task quass quass-fit --input scan.nii.gz --t1 T1.nii.gz --b1 1.0 --ts 1.5 --td 4.5 [--target ts=5,td=1] --out quass.nii.gz
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import type { QuassTarget } from "../physics/analytic.ts";
import { checkQuassTarget, describeQuassTarget, quassFitFile } from "../eval/quass_image.ts";
import { InputError } from "../util/errors.ts";
import { parseB1, parseDelay, parsePositive, parseSecondsOrInf } from "./_args.ts";

/**
 * Parses `--target`: `steady` (or `inf`), or `ts=SECONDS,td=SECONDS` (ts may be `inf`).
 * @throws InputError naming the flag and the fix
 * @example
 * parseQuassTarget("ts=5,td=1"); // { tsS: 5, tdS: 1 }
 */
export function parseQuassTarget(text: string, flag = "--target"): QuassTarget {
  const t = text.trim().toLowerCase();
  const bad = () =>
    new InputError(
      `${flag} "${text}": ${flag} must be steady or ts=SECONDS,td=SECONDS (e.g. ${flag} ts=5,td=1)`,
    );
  if (t === "steady" || t === "inf") return "steady";
  const m = /^ts\s*=\s*([^,\s]+)\s*,\s*td\s*=\s*([^,\s]+)$/.exec(t);
  if (!m) throw bad();
  const num = (v: string) =>
    /^\+?inf(inity)?$/.test(v) ? Infinity : /^[\d.eE+-]+$/.test(v) ? Number(v) : NaN;
  const tsS = num(m[1]!), tdS = num(m[2]!);
  if (!(tsS > 0) || !(tdS >= 0 && Number.isFinite(tdS))) throw bad();
  return checkQuassTarget({ tsS, tdS }, flag);
}

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
    .option(
      "--target <steady|ts=S,td=S>",
      "protocol to predict: steady (Z_ss) or e.g. ts=5,td=1 (the networks' Ts 5 s target)",
      "steady",
    )
    .requiredOption(
      "--out <path>",
      "output volume (.nii/.nii.gz); a .json sidecar is written beside it",
    )
    .action(async (o) => {
      const t0 = performance.now();
      const target = parseQuassTarget(o.target);
      const res = await quassFitFile({
        input: o.input,
        t1: o.t1,
        b1UT: o.b1 === undefined ? undefined : parseB1("--b1", o.b1, true),
        tsS: o.ts === undefined ? undefined : parseSecondsOrInf("--ts", o.ts),
        tdS: o.td === undefined ? undefined : parseDelay("--td", o.td),
        b0T: o.b0 === undefined ? undefined : parsePositive("--b0", o.b0),
        offsets: o.offsets,
        mask: o.mask,
        b0Shift: o.b0Shift,
        control: o.control ?? false,
        target,
        out: o.out,
      });
      const s = ((performance.now() - t0) / 1000).toFixed(1);
      console.log(
        `quass-fit: ${res.fitted} voxels fitted${
          res.skipped ? `, ${res.skipped} left out (NaN/Inf input or T1 ≤ 0)` : ""
        } in ${s} s → ${o.out} (${describeQuassTarget(target)})`,
      );
    });
}
