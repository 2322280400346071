/**
 * `quass simulate spectrum`: one Z-spectrum of a pulseq-cest YAML model, printed as CSV
 * `offset_ppm,z` on stdout.
 *
 *     deno task quass simulate spectrum --model m.yaml --b1 1.0 --ts 1.5 --td 4.5 --offsets=-6:6:101
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import { InputError } from "../util/errors.ts";
import { loadModel } from "../physics/model_yaml.ts";
import { simulateCpu } from "../physics/cpu_sim.ts";
import type { Protocol } from "../physics/protocol.ts";
import {
  parseB1,
  parseDelay,
  parseNumber,
  parseOffsetRange,
  parsePositive,
  parseSecondsOrInf,
  readOffsetsFile,
} from "./_args.ts";

/** Raw option strings of the command (parsed by {@link spectrumProtocol}). */
export interface SpectrumFlags {
  b1: string;
  ts: string;
  td?: string;
  offsets?: string;
  offsetsFile?: string;
  b0?: string;
  preDelay: string;
  postDelay: string;
  m0Offset?: string;
}

/** Turns the command's flags into a Protocol (InputError naming the flag on bad values). */
export async function spectrumProtocol(f: SpectrumFlags): Promise<Protocol> {
  if (f.offsets !== undefined && f.offsetsFile !== undefined) {
    throw new InputError("--offsets and --offsets-file: give only one of them");
  }
  const offsetsPpm = f.offsetsFile !== undefined
    ? await readOffsetsFile("--offsets-file", f.offsetsFile)
    : parseOffsetRange("--offsets", f.offsets ?? "-6:6:101");
  const protocol: Protocol = {
    b1UT: parseB1("--b1", f.b1),
    tsS: parseSecondsOrInf("--ts", f.ts),
    start: f.td === undefined
      ? { kind: "relaxed" }
      : { kind: "satrec", tdS: parseDelay("--td", f.td) },
    preDelayS: parseDelay("--pre-delay", f.preDelay),
    postDelayS: parseDelay("--post-delay", f.postDelay),
    offsetsPpm,
  };
  if (f.b0 !== undefined) protocol.b0T = parsePositive("--b0", f.b0);
  if (f.m0Offset !== undefined) protocol.m0OffsetPpm = parseNumber("--m0-offset", f.m0Offset);
  return protocol;
}

/** Formats a spectrum as CSV `offset_ppm,z` (offsets rounded to 12 significant digits). */
export function spectrumCsv(offsetsPpm: readonly number[], z: ArrayLike<number>): string {
  const lines = ["offset_ppm,z"];
  offsetsPpm.forEach((o, i) => lines.push(`${Number(o.toPrecision(12))},${z[i]}`));
  return lines.join("\n") + "\n";
}

/** The `spectrum` subcommand of `quass simulate`. */
export function spectrumCommand() {
  return new Command("spectrum")
    .description("simulate one Z-spectrum of a pulseq-cest YAML model; prints CSV offset_ppm,z")
    .requiredOption("--model <file>", "tissue model (pulseq-cest YAML)")
    .option("--b1 <uT>", "CW saturation amplitude, µT", "1")
    .option("--ts <s>", 'saturation time, s, or "inf" for the exact steady state', "1.5")
    .option(
      "--td <s>",
      "saturation recovery: the readout nulls everything, then Td s of free recovery (default: start relaxed)",
    )
    .option("--offsets <lo:hi:n>", "offsets, ppm, n evenly spaced from lo to hi (default -6:6:101)")
    .option("--offsets-file <file>", "offsets, ppm, one per line")
    .option("--b0 <T>", "main field, T (default: the model's b0)")
    .option("--pre-delay <s>", "free evolution before saturation, s", "0")
    .option("--post-delay <s>", "free evolution after saturation, before the spoiler, s", "0")
    .option(
      "--m0-offset <ppm>",
      "normalise by an M0 scan at this offset with the same protocol (e.g. -300)",
    )
    .addOption(
      new Option("--device <device>", "gpu (f32 WGSL) or cpu (float64 reference)").choices(
        ["gpu", "cpu"] as const,
      ).default("gpu" as const),
    )
    .action(async (opts) => {
      const model = await loadModel(opts.model);
      const protocol = await spectrumProtocol(opts);
      let z: ArrayLike<number>;
      if (opts.device === "cpu") {
        z = simulateCpu(model, protocol);
      } else {
        const { simulateSpectraGpu } = await import("../physics/gpu_sim.ts");
        const [spectrum] = await simulateSpectraGpu([{ model, protocol }]);
        if (!spectrum) throw new Error("simulateSpectraGpu returned no spectrum");
        z = spectrum;
      }
      await Deno.stdout.write(new TextEncoder().encode(spectrumCsv(protocol.offsetsPpm, z)));
    });
}
