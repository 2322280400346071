/**
 * `quass phantom`: the digital rat-brain phantom (NIfTI volumes + sidecars).
 *
 *     deno task quass phantom --out phantom/ --seed 1 --snr 100 --b1 1.0
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import cliProgress from "cli-progress";
import process from "node:process";
import { checkWritable } from "../util/output.ts";
import { makePhantom, PHANTOM_FILES, writePhantom } from "../data/phantom.ts";
import { parseB1, parseInteger, parseNonNegative, parsePositive } from "./_args.ts";

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
    .option("--b0-shift <ppm>", "peak |B0 shift| of a smooth B0 map, ppm (0 = none)", "0")
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
        b0ShiftPpm: parseNonNegative("--b0-shift", o.b0Shift),
        onProgress: (stage, done, total) => {
          if (!started) bar.start(total, 0, { stage }), started = true;
          bar.update(done, { stage });
        },
      });
      if (started) bar.stop();
      await writePhantom(o.out, ph);
      const n = ph.maps.mask.reduce((s, x) => s + x, 0);
      const s = ((performance.now() - t0) / 1000).toFixed(1);
      console.log(
        `phantom: ${ph.maps.size}×${ph.maps.size}, ${n} brain voxels, SNR ${ph.snr}, B1 ${ph.b1UT} µT in ${s} s → ${o.out}/ (${PHANTOM_FILES.input}, ${PHANTOM_FILES.reference}, ${PHANTOM_FILES.steady}, ${PHANTOM_FILES.mask}, ...)`,
      );
    });
}
