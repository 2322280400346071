/**
 * `quass quass-fit`: the analytic QUASS baseline (Sun 2021) per voxel, predicting the steady
 * state (default) or a target protocol's image (`--target ts=5,td=1`, what the networks
 * are trained to predict).
 *
 *     deno task quass quass-fit --input scan.nii.gz --t1 T1.nii.gz --b1 1.0 --ts 1.5 --td 4.5 [--target ts=5,td=1] --out quass.nii.gz
 *     deno task quass quass-fit --input raw.nii.gz --m0 m0.nii.gz --b0 auto --denoise pca --t1 T1.nii.gz --out quass.nii.gz
 *
 * With an M0 or a B0/denoise flag the scan goes through M0 → B0 → denoise first
 * (preprocess/pipeline.ts), onto its own nominal offsets. `--b0` takes none|auto; a number
 * there is still read as the main field in T, as before (now `--field`).
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import type { QuassTarget } from "../physics/analytic.ts";
import { checkQuassTarget, describeQuassTarget, quassFitFile } from "../eval/quass_image.ts";
import { InputError } from "../util/errors.ts";
import { parseB1, parseDelay, parsePositive, parseSecondsOrInf } from "./_args.ts";
import { PREPROCESS_HELP, preprocessFromFlags } from "./_preprocess.ts";

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
    .option(
      "--b0 <none|auto>",
      `${PREPROCESS_HELP.b0} (a number here is read as the main field in T, as before: use --field)`,
    )
    .option("--field <T>", "main field, T (default: the sidecar's b0T, else 7)")
    .option("--offsets <list>", "offsets, ppm (lo:hi:n or a comma list) instead of the sidecar's")
    .option("--mask <path>", "fit only voxels where the mask is nonzero")
    .option(
      "--b0-shift <path>",
      "B0 shift map, ppm, handed to the formula (the output stays on the acquired offsets); or correct the spectra with --b0/--wassr/--b0-map",
    )
    .option("--m0 <path>", "M0 volume: the input is raw signal and is divided by it")
    .option("--wassr <path>", PREPROCESS_HELP.wassr)
    .option("--b0-map <path>", PREPROCESS_HELP.b0Map)
    .option("--b0-map-unit <ppm|hz>", PREPROCESS_HELP.b0MapUnit)
    .option("--denoise <none|pca[:criterion]>", PREPROCESS_HELP.denoise)
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
      // --b0 was the main field before it chose the B0 correction: a number keeps that meaning
      const b0IsField = o.b0 !== undefined && !/^\s*(none|auto)\s*$/i.test(o.b0);
      if (b0IsField && o.field !== undefined) {
        throw new InputError(
          `--b0 ${o.b0} and --field ${o.field}: give the main field once, as --field`,
        );
      }
      if (b0IsField && !/^[\s\d.eE+-]+$/.test(o.b0!)) {
        throw new InputError(
          `--b0 "${o.b0}": expected none or auto (B0 correction), or the main field in T (better: --field)`,
        );
      }
      const preprocess = preprocessFromFlags({ ...o, b0: b0IsField ? undefined : o.b0 });
      const field = b0IsField
        ? parsePositive("--b0", o.b0!)
        : o.field === undefined
        ? undefined
        : parsePositive("--field", o.field);
      const res = await quassFitFile({
        input: o.input,
        t1: o.t1,
        b1UT: o.b1 === undefined ? undefined : parseB1("--b1", o.b1, true),
        tsS: o.ts === undefined ? undefined : parseSecondsOrInf("--ts", o.ts),
        tdS: o.td === undefined ? undefined : parseDelay("--td", o.td),
        b0T: field,
        offsets: o.offsets,
        mask: o.mask,
        b0Shift: o.b0Shift,
        control: o.control ?? false,
        target,
        m0: o.m0,
        preprocess,
        onStage: (line) => console.error(`quass quass-fit: ${line}`),
        out: o.out,
      });
      if (res.b0MapPath) console.error(`quass quass-fit: B0 map (ppm) → ${res.b0MapPath}`);
      const s = ((performance.now() - t0) / 1000).toFixed(1);
      console.log(
        `quass-fit: ${res.fitted} voxels fitted${
          res.skipped ? `, ${res.skipped} left out (NaN/Inf input or T1 ≤ 0)` : ""
        } in ${s} s → ${o.out} (${describeQuassTarget(target)})`,
      );
    });
}
