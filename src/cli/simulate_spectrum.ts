/**
 * `quass simulate spectrum`: one Z-spectrum of a pulseq-cest YAML model, printed as CSV
 * `offset_ppm,z` on stdout.
 *
 *     deno task quass simulate spectrum --model m.yaml --b1 1.0 --ts 1.5 --td 4.5 --offsets=-6:6:101
 *     deno task quass simulate spectrum --seq protocol.seq --model m.yaml [--normalize]
 *
 * With `--seq` the protocol is a Pulseq file simulated as pulseq-cest does (one row per
 * ADC, raw water Mz; src/physics/seq/).
 * @module
 */
import { Command, Option } from "@commander-js/extra-typings";
import { InputError } from "../util/errors.ts";
import { loadModel } from "../physics/model_yaml.ts";
import { simulateCpu } from "../physics/cpu_sim.ts";
import { checkFiniteZ, type Protocol } from "../physics/protocol.ts";
import { normalizeByM0, seqProtocol, simulateSeqSpectrumCpu } from "../physics/seq/seq_spectrum.ts";
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

/** Flags that describe a CW protocol, so they cannot go with `--seq`. */
export const CW_PROTOCOL_FLAGS = [
  "b1",
  "ts",
  "td",
  "offsets",
  "offsetsFile",
  "b0",
  "preDelay",
  "postDelay",
  "m0Offset",
] as const;

/** `--flag-name` of a commander option key. */
function _flag(key: string): string {
  return "--" + key.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());
}

/**
 * Runs `--seq`: the .seq protocol for the model (float64 CPU, or f32 GPU); returns the CSV.
 * @param seqPath the .seq file
 * @param modelPath the model file (for messages)
 * @param model the loaded model
 * @param normalize divide by the M0 row(s)
 * @param gpu run the f32 WebGPU kernels instead of the float64 reference
 */
export async function seqSpectrumCsv(
  seqPath: string,
  modelPath: string,
  model: Awaited<ReturnType<typeof loadModel>>,
  normalize: boolean,
  gpu = false,
): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(seqPath);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new InputError(`${seqPath}: .seq file not found; pass a Pulseq file with --seq`);
    }
    throw new InputError(`${seqPath}: cannot read the .seq file (${(e as Error).message})`);
  }
  const protocol = seqProtocol(model, text, seqPath, modelPath);
  if (!gpu) {
    const { offsetsPpm, z } = simulateSeqSpectrumCpu(model, protocol, normalize);
    return spectrumCsv(offsetsPpm, z);
  }
  const { simulateSeqGpu } = await import("../physics/seq/seq_gpu_sim.ts");
  const [mz] = await simulateSeqGpu([model], protocol.timeline, protocol.settings);
  if (!mz) throw new Error("simulateSeqGpu returned no spectrum");
  checkFiniteZ(mz, protocol.offsetsPpm, `${seqPath} with ${modelPath} (f32 GPU)`);
  return spectrumCsv(protocol.offsetsPpm, normalize ? normalizeByM0(protocol, mz) : mz);
}

/** The `spectrum` subcommand of `quass simulate`. */
export function spectrumCommand() {
  return new Command("spectrum")
    .description("simulate one Z-spectrum of a pulseq-cest YAML model; prints CSV offset_ppm,z")
    .requiredOption("--model <file>", "tissue model (pulseq-cest YAML)")
    .option(
      "--seq <file>",
      "Pulseq .seq protocol (pulsed, as pulseq-cest): one row per ADC, raw water Mz; replaces --b1, --ts, --td, --offsets, ...",
    )
    .option("--normalize", "with --seq: divide every row by the M0 row (the file's M0_offset)")
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
      new Option(
        "--device <device>",
        "gpu (f32 WGSL) or cpu (float64 reference); with --seq the default is cpu",
      ).choices(
        ["gpu", "cpu"] as const,
      ).default("gpu" as const),
    )
    .action(async (opts, cmd) => {
      if (opts.seq !== undefined) {
        for (const k of CW_PROTOCOL_FLAGS) {
          if (cmd.getOptionValueSource(k) === "cli") {
            throw new InputError(
              `${
                _flag(k)
              }: not used with --seq (the .seq file sets the saturation and the offsets); drop it`,
            );
          }
        }
        // float64 reproduces pulseq-cest, so --seq runs on the CPU unless --device gpu is given
        const gpu = opts.device === "gpu" && cmd.getOptionValueSource("device") === "cli";
        const model = await loadModel(opts.model);
        const csv = await seqSpectrumCsv(opts.seq, opts.model, model, opts.normalize === true, gpu);
        await Deno.stdout.write(new TextEncoder().encode(csv));
        return;
      }
      if (opts.normalize) {
        throw new InputError("--normalize: only with --seq (for CW spectra use --m0-offset)");
      }
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
