/**
 * `quass phantom`: the digital rat-brain phantom (NIfTI volumes + sidecars).
 *
 *     deno task quass phantom --out phantom/ --seed 1 --snr 100 --b1 1.0 \
 *       [--b0-inhom-ppm 0.3] [--b1-inhom 0.15] [--m0-inhom 0.06]
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import cliProgress from "cli-progress";
import process from "node:process";
import { checkWritable } from "../util/output.ts";
import { makePhantom, PHANTOM_FILES, writePhantom } from "../data/phantom.ts";
import { parseB1, parseInteger, parseNonNegative, parsePositive } from "./_args.ts";
import { InputError } from "../util/errors.ts";

/** Parses a fraction in [0, max). */
function parseFraction(flag: string, value: string, max: number): number {
  const v = parseNonNegative(flag, value);
  if (!(v < max)) throw new InputError(`${flag}: must be in [0, ${max}) but is ${value}`);
  return v;
}

/** The `phantom` command. */
export function phantomCommand() {
  return new Command("phantom")
    .description(
      "simulate the 64×64 rat-brain phantom (GM, WM, tumour + rim) at Ts 1.5 s, Ts 5 s and steady state",
    )
    .requiredOption("--out <dir>", "output directory")
    .option("--seed <n>", "seed of the anatomy, parameter maps and noise", "1")
    .option("--snr <x>", 'SNR relative to the mean brain M0 ("inf" = no noise)', "100")
    .option("--b1 <uT>", "saturation B1, µT", "1.0")
    .option("--size <n>", "matrix size (1 mm voxels)", "64")
    .option(
      "--b0-inhom-ppm <ppm>",
      "smooth B0 field with this peak |water shift| in the brain, ppm (0 = none); the input series are shifted, the references are not",
    )
    .addOption(new Option("--b0-shift <ppm>", "old name of --b0-inhom-ppm").hideHelp())
    .option(
      "--b1-inhom <F>",
      "smooth relative-B1 field, relB1 in 1 ± F (e.g. 0.15; 0 = none)",
      "0",
    )
    .option(
      "--m0-inhom <F>",
      "receive-coil shading of the M0 image (M0 = proton density × (1 + F·smooth field))",
      "0.06",
    )
    .action(async (o) => {
      await checkWritable(o.out, "--out", "dir");
      const t0 = performance.now();
      const bar = new cliProgress.SingleBar(
        {
          format: "phantom {stage} [{bar}] {value}/{total} spectra",
          noTTYOutput: true,
          stream: process.stderr,
          notTTYSchedule: 5000,
        },
        cliProgress.Presets.shades_classic,
      );
      let started = false;
      const ph = await makePhantom({
        seed: parseInteger("--seed", o.seed),
        snr: /^\+?inf(inity)?$/i.test(o.snr.trim()) ? Infinity : parsePositive("--snr", o.snr),
        b1UT: parseB1("--b1", o.b1, true),
        size: parseInteger("--size", o.size, 8),
        b0ShiftPpm: o.b0InhomPpm !== undefined
          ? parseNonNegative("--b0-inhom-ppm", o.b0InhomPpm)
          : parseNonNegative("--b0-shift", o.b0Shift ?? "0"),
        b1Inhom: parseFraction("--b1-inhom", o.b1Inhom, 1),
        m0Inhom: parseFraction("--m0-inhom", o.m0Inhom, 0.5),
        onProgress: (stage, done, total) => {
          if (!started) bar.start(total, 0, { stage }), started = true;
          if (bar.getTotal() !== total) bar.setTotal(total);
          bar.update(done, { stage });
        },
      });
      if (started) bar.stop();
      await writePhantom(o.out, ph);
      const n = ph.maps.mask.reduce((s, x) => s + x, 0);
      const s = ((performance.now() - t0) / 1000).toFixed(1);
      console.log(
        `phantom: ${ph.maps.size}×${ph.maps.size}, ${n} brain voxels, SNR ${ph.snr}, B1 ${ph.b1UT} µT${
          ph.inputCleanUnshifted ? `, B0 field ±${o.b0InhomPpm ?? o.b0Shift} ppm` : ""
        }${
          Number(o.b1Inhom) > 0 ? `, relB1 1 ± ${o.b1Inhom}` : ""
        } in ${s} s → ${o.out}/ (${PHANTOM_FILES.input}, ${PHANTOM_FILES.inputRaw} + ${PHANTOM_FILES.m0}, ${PHANTOM_FILES.reference}, ${PHANTOM_FILES.mask}, ${PHANTOM_FILES.t1}, ${PHANTOM_FILES.b0Shift}, ${PHANTOM_FILES.relB1}, ...)`,
      );
    });
}
