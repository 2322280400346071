/**
 * `quass evaluate`: compare a predicted QUASS volume with a reference volume and write a
 * report (metrics.json, summary.md, SVG + PNG figures).
 *
 *     deno task quass evaluate --pred P.nii.gz --reference R.nii.gz [--mask M] [--input I] --out report/
 *     deno task quass evaluate ... --input raw.nii.gz --m0 m0.nii.gz --b0 auto --denoise pca
 *
 * The preprocessing flags apply to `--input`, which is then shown and scored (the floor row)
 * as the network saw it: M0 → B0 → denoise, on the prediction's offsets.
 * @module
 */
import { Command } from "@commander-js/extra-typings";
import { checkDims, type NiftiVolume, readNifti } from "../data/nifti.ts";
import { readSidecar, resolveOffsets } from "../data/sidecar.ts";
import { evaluateVolumes, voxelsFromLabels, type VoxelSpec } from "../eval/evaluate.ts";
import { sidecarProtocol, summaryTable, targetMismatch, writeReport } from "../eval/report.ts";
import { InputError } from "../util/errors.ts";
import { checkWritable } from "../util/output.ts";
import { parseInteger } from "./_args.ts";
import { PREPROCESS_HELP, preprocessFromFlags } from "./_preprocess.ts";
import { wantsPreprocessing } from "../preprocess/options.ts";
import { preprocessVolume, writeB0Map } from "../preprocess/pipeline.ts";

/** Parses `--voxel LABEL:x,y,z` (repeatable). */
export function parseVoxelFlag(value: string, previous: VoxelSpec[] = []): VoxelSpec[] {
  const m = /^([^:]+):\s*(\d+)\s*,\s*(\d+)\s*(?:,\s*(\d+))?\s*$/.exec(value);
  if (!m) {
    throw new InputError(
      `--voxel: expected LABEL:x,y[,z] (e.g. --voxel GM:20,31,0) but got "${value}"`,
    );
  }
  return [...previous, { label: m[1]!, x: Number(m[2]), y: Number(m[3]), z: Number(m[4] ?? 0) }];
}

/** Loads the label map and its names (sidecar `{"names": {"1": "GM", ...}}`). */
async function _labelVoxels(path: string, dims: readonly number[]): Promise<VoxelSpec[]> {
  const labels = await readNifti(path);
  checkDims(labels, path, {
    dims: dims.slice(0, 3),
    maxT: 1,
    what: "a 3-D label map on the prediction's grid",
  });
  const side = await readSidecar(path);
  const names: Record<number, string> = {};
  let raw = side?.names ?? side?.labels;
  if (!raw) {
    // a phantom directory (quass phantom) keeps the label names in its manifest
    const manifest = path.replace(/[^/]*$/, "") + "phantom.json";
    raw = await Deno.readTextFile(manifest).then((t) => JSON.parse(t).labels, () => undefined);
  }
  if (raw && typeof raw === "object") {
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      if (typeof v === "string") names[Number(k)] = v;
    }
  }
  return voxelsFromLabels(labels, names);
}

/** The `evaluate` command. */
export function evaluateCommand() {
  return new Command("evaluate")
    .description(
      "evaluate a predicted QUASS volume against a reference: SSIM/PSNR/MSE per offset, R² at six offsets, figures",
    )
    .requiredOption("--pred <file>", "predicted Z volume, NIfTI 4-D [x,y,z,offset] (.nii/.nii.gz)")
    .requiredOption(
      "--reference <file>",
      "reference Z volume (e.g. Ts 5 s or steady state), same grid",
    )
    .option("--mask <file>", "brain mask, 3-D NIfTI (non-zero = inside); default: every voxel")
    .option("--input <file>", "the short-saturation input volume (shown in figures and spectra)")
    .option("--out <dir>", "report directory", "report")
    .option(
      "--offsets <list>",
      "offsets, ppm, lo:hi:n or a comma list (default: from the prediction's or reference's .json sidecar)",
    )
    .option(
      "--voxel <LABEL:x,y,z>",
      "voxel whose spectra to plot (repeatable), e.g. --voxel GM:20,31,0",
      parseVoxelFlag,
    )
    .option(
      "--labels <file>",
      'label map (3-D NIfTI; names from its sidecar {"names": {"1": "GM"}} or a phantom.json beside it): one voxel per label',
    )
    .option("--slice <z>", "z-slice for the image grid (default: the middle one)")
    .option("--title <text>", "report title (e.g. the model name)")
    .option("--m0 <file>", "M0 volume of --input: the input is raw signal and is divided by it")
    .option("--b0 <none|auto>", `${PREPROCESS_HELP.b0} (applies to --input)`)
    .option("--wassr <file>", PREPROCESS_HELP.wassr)
    .option("--b0-map <file>", PREPROCESS_HELP.b0Map)
    .option("--b0-map-unit <ppm|hz>", PREPROCESS_HELP.b0MapUnit)
    .option("--denoise <none|pca[:criterion]>", `${PREPROCESS_HELP.denoise} (applies to --input)`)
    .action(async (o) => {
      const choice = preprocessFromFlags(o);
      const preprocess = wantsPreprocessing(choice) || o.m0 !== undefined;
      if (preprocess && !o.input) {
        throw new InputError(
          `--m0, --b0, --wassr, --b0-map and --denoise preprocess --input: give the short-saturation series with --input`,
        );
      }
      await checkWritable(o.out, "--out", "dir");
      const pred = await readNifti(o.pred);
      const reference = await readNifti(o.reference);
      checkDims(pred, o.pred, { minT: 2, what: "a 4-D Z-spectrum volume [x,y,z,offset]" });
      checkDims(reference, o.reference, { dims: pred.dims, what: `the grid of ${o.pred}` });
      let mask: NiftiVolume | undefined, input: NiftiVolume | undefined;
      if (o.mask) {
        mask = await readNifti(o.mask);
        checkDims(mask, o.mask, {
          dims: pred.dims.slice(0, 3),
          maxT: 1,
          what: "a 3-D mask on the prediction's grid",
        });
      }
      let inputB0: Awaited<ReturnType<typeof preprocessVolume>>["result"] | undefined;
      if (o.input && !preprocess) {
        input = await readNifti(o.input);
        checkDims(input, o.input, { dims: pred.dims, what: `the grid of ${o.pred}` });
      }
      if (pred.dims[0] < 11 || pred.dims[1] < 11) {
        throw new InputError(
          `${o.pred}: slices are ${pred.dims[0]}×${
            pred.dims[1]
          }; SSIM (11×11 Gaussian window) needs at least 11×11`,
        );
      }
      const nt = pred.dims[3];
      const [sp, sr] = [await readSidecar(o.pred, nt), await readSidecar(o.reference, nt)];
      if (
        sp?.offsetsPpm && sr?.offsetsPpm &&
        sp.offsetsPpm.some((v, i) => Math.abs(v - sr.offsetsPpm![i]!) > 1e-6)
      ) {
        throw new InputError(
          `${o.pred} and ${o.reference}: their sidecars list different offsetsPpm; evaluate volumes acquired at the same offsets`,
        );
      }
      const offsetsPpm = o.offsets !== undefined || sp?.offsetsPpm
        ? await resolveOffsets(o.pred, nt, o.offsets)
        : await resolveOffsets(o.reference, nt);
      if (o.input && preprocess) {
        // the input as the network saw it: preprocessed onto the prediction's offsets
        const raw = await readNifti(o.input);
        checkDims(raw, o.input, {
          dims: pred.dims.slice(0, 3),
          minT: 2,
          what: `a 4-D series on the x, y, z of ${o.pred}`,
        });
        const rawSide = await readSidecar(o.input, raw.dims[3]);
        const pre = await preprocessVolume({
          volume: raw,
          path: o.input,
          offsetsPpm: await resolveOffsets(o.input, raw.dims[3]),
          mask: mask?.data,
          m0: o.m0,
          choice,
          gridPpm: offsetsPpm,
          b0T: rawSide?.b0T,
          log: (line) => console.error(`quass evaluate: ${line}`),
        });
        if (pre.volume.dims[3] !== nt) {
          throw new InputError(
            `${o.input}: it has ${
              pre.volume.dims[3]
            } offsets after preprocessing but ${o.pred} has ${nt}; B0-correct it (--b0 auto) to resample it onto the prediction's offsets`,
          );
        }
        input = pre.volume;
        inputB0 = pre.result;
      }
      const voxels = o.voxel ?? (o.labels ? await _labelVoxels(o.labels, pred.dims) : undefined);
      const slice = o.slice !== undefined ? parseInteger("--slice", o.slice) : undefined;
      if (slice !== undefined && slice >= pred.dims[2]) {
        throw new InputError(
          `--slice: ${slice} is outside the volume (z has ${pred.dims[2]} slices)`,
        );
      }
      for (const v of voxels ?? []) {
        if (v.x >= pred.dims[0] || v.y >= pred.dims[1] || v.z >= pred.dims[2]) {
          throw new InputError(
            `--voxel ${v.label}: (${v.x}, ${v.y}, ${v.z}) is outside the volume [${
              pred.dims.slice(0, 3)
            }]`,
          );
        }
      }
      const evaluation = evaluateVolumes({ pred, reference, mask, input, offsetsPpm, voxels });
      if (evaluation.nonFiniteVoxels) {
        console.error(
          `quass: warning: ${evaluation.nonFiniteVoxels} masked voxel(s) have NaN/Inf values and were left out`,
        );
      }
      if (!evaluation.maskVoxels) {
        throw new InputError(`${o.mask ?? o.pred}: no voxel left to evaluate (empty mask?)`);
      }
      const sources: Record<string, string> = { prediction: o.pred, reference: o.reference };
      if (o.mask) sources.mask = o.mask;
      if (o.input) sources.input = o.input;
      // scores mean something only against the reference of the prediction's own target
      const mismatch = targetMismatch(sp, sr);
      if (mismatch) console.error(`quass: warning: ${mismatch}`);
      const { files, warnings } = await writeReport(o.out, {
        evaluation,
        pred,
        reference,
        input,
        sources,
        title: o.title,
        slice,
        referenceProtocol: sidecarProtocol(sr),
        notes: mismatch ? [`warning: ${mismatch}`] : [],
      });
      for (const w of warnings) console.error(`quass: warning: ${w}`);
      if (inputB0?.b0ShiftPpm && input) {
        const b0Path = `${o.out.replace(/\/+$/, "")}/input_b0.nii.gz`;
        await writeB0Map(b0Path, inputB0.b0ShiftPpm, input, inputB0.report.b0);
        console.error(`quass evaluate: B0 map of the input (ppm) → ${b0Path}`);
      }
      const against = sidecarProtocol(sr);
      console.log(
        `scored against: ${o.reference}${against ? ` (the ${against} reference)` : ""}`,
      );
      console.log(summaryTable(evaluation));
      console.log(`\nreport: ${o.out}/summary.md (${files.length} files)`);
    });
}
