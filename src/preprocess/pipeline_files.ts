/**
 * The file side of the real-scan preprocessing (pipeline.ts computes in memory): reading the
 * B0 source (WASSR series, B0 map in ppm or Hz), writing the estimated B0 map beside an
 * output, and a whole NIfTI volume through the pipeline.
 * @module
 */
import { InputError } from "../util/errors.ts";
import { checkDims, type NiftiVolume, readNifti, writeNifti } from "../data/nifti.ts";
import { readSidecar, resolveOffsets, sidecarPath, writeSidecar } from "../data/sidecar.ts";
import { DEFAULT_B0_T, GAMMA_HZ_PER_UT } from "../physics/constants.ts";
import { parseB0MapUnit, type PreprocessChoice } from "./options.ts";
import {
  type PreprocessInputs,
  type PreprocessReport,
  type PreprocessResult,
  preprocessScan,
} from "./pipeline.ts";

/**
 * Reads and checks the files a preprocessing choice names (a WASSR series, a B0 map) against
 * the scan's x, y, z, before anything is computed.
 * @param choice the resolved flags
 * @param dims the scan's [x, y, z]
 * @param b0T main field, T (converts a map in Hz)
 * @throws InputError naming the file, the field and the fix
 */
export async function readPreprocessInputs(
  choice: PreprocessChoice,
  dims: readonly number[],
  b0T = DEFAULT_B0_T,
): Promise<PreprocessInputs> {
  const [nx, ny, nz] = dims;
  const b = choice.b0;
  if (b.kind === "wassr") {
    const vol = await readNifti(b.path);
    checkDims(vol, b.path, {
      dims: [nx, ny, nz],
      minT: 4,
      what: `a WASSR series [x, y, z, offset] with the scan's x, y, z = ${nx}, ${ny}, ${nz}`,
    });
    const offsetsPpm = await resolveOffsets(b.path, vol.dims[3]);
    return { choice, b0: { kind: "wassr", path: b.path, data: vol.data, offsetsPpm } };
  }
  if (b.kind === "map") {
    const vol = await readNifti(b.path);
    checkDims(vol, b.path, {
      dims: [nx, ny, nz],
      maxT: 1,
      what: `a 3-D B0 map with the scan's x, y, z = ${nx}, ${ny}, ${nz}`,
    });
    const side = await readSidecar(b.path);
    const sideUnit = side?.unit ?? side?.units;
    let unit = b.unit;
    if (unit === undefined) {
      if (typeof sideUnit !== "string") {
        throw new InputError(
          `${b.path}: the B0 map's unit is unknown: add "unit": "ppm" or "Hz" to ${
            sidecarPath(b.path)
          }, or pass --b0-map-unit ppm|hz`,
        );
      }
      unit = parseB0MapUnit(sideUnit, `${sidecarPath(b.path)}: "unit"`);
    }
    const hzPerPpm = GAMMA_HZ_PER_UT * b0T; // γ/2π [MHz/T] · B0 [T] = Hz per ppm
    const shiftPpm = unit === "hz" ? vol.data.map((v) => v / hzPerPpm) : vol.data;
    return { choice, b0: { kind: "map", path: b.path, shiftPpm, unit } };
  }
  return { choice, b0: b.kind === "auto" ? { kind: "auto" } : { kind: "none" } };
}

/** `pred.nii.gz` → `pred_b0.nii.gz`: where the B0 map of an output goes. */
export function b0MapPathFor(outPath: string): string {
  return outPath.replace(/(\.nii(\.gz)?)?$/, (ext) => `_b0${ext || ".nii.gz"}`);
}

/**
 * Writes a B0 map (ppm) as a 3-D NIfTI with a sidecar saying its unit and source.
 * @param path destination (.nii/.nii.gz)
 * @param shiftPpm the map from {@link preprocessScan}
 * @param like the scan (x, y, z, affine, pixdim)
 * @param report the B0 part of the report
 */
export async function writeB0Map(
  path: string,
  shiftPpm: Float32Array,
  like: Pick<NiftiVolume, "dims" | "affine" | "pixdim">,
  report: PreprocessReport["b0"],
  b0T = DEFAULT_B0_T,
): Promise<void> {
  const [nx, ny, nz] = like.dims;
  await writeNifti(path, {
    dims: [nx, ny, nz, 1],
    data: shiftPpm,
    affine: like.affine,
    pixdim: like.pixdim,
    ndim: 3,
  }, { description: "B0 water shift (ppm)" });
  await writeSidecar(path, {
    unit: "ppm",
    b0T,
    description:
      "water frequency shift per voxel, ppm (the water dip sits at +shift); NaN: no estimate, 0: not processed",
    ...(report ? { source: report.source, method: report.method } : {}),
    ...(report?.file ? { file: report.file } : {}),
  });
}

/** Options of {@link preprocessVolume}. */
export interface PreprocessVolumeOptions {
  /** The scan, read, and its path (for messages). */
  volume: NiftiVolume;
  path: string;
  /** The scan's offsets, ppm. */
  offsetsPpm: readonly number[];
  /** Mask per voxel (x, y, z). */
  mask?: ArrayLike<number>;
  /** M0 file (3-D, the scan's x, y, z). */
  m0?: string;
  choice: PreprocessChoice;
  /** Resample onto these offsets when B0-correcting (default the scan's own). */
  gridPpm?: readonly number[];
  /** Main field, T (a B0 map in Hz). */
  b0T?: number;
  log?: (line: string) => void;
}

/**
 * A whole volume through the pipeline: reads the M0 and the B0 source, checks them, runs
 * {@link preprocessScan} and returns the result as a 4-D volume on its offsets (the scan's
 * affine), for commands that hold a scan already read (evaluate's `--input`).
 * @returns the preprocessed volume and the stage result
 * @throws InputError as readPreprocessInputs and preprocessScan do
 */
export async function preprocessVolume(
  o: PreprocessVolumeOptions,
): Promise<{ volume: NiftiVolume; result: PreprocessResult }> {
  const [nx, ny, nz] = o.volume.dims;
  let m0: Float32Array | undefined;
  if (o.m0) {
    const v = await readNifti(o.m0);
    checkDims(v, o.m0, {
      dims: [nx, ny, nz],
      maxT: 1,
      what: `an M0 volume with the scan's x, y, z = ${nx}, ${ny}, ${nz}`,
    });
    m0 = v.data;
  }
  const inputs = await readPreprocessInputs(o.choice, [nx, ny, nz], o.b0T);
  const result = preprocessScan(
    {
      data: o.volume.data,
      dims: [nx, ny, nz],
      offsetsPpm: o.offsetsPpm,
      mask: o.mask,
      m0,
      source: o.path,
      m0Source: o.m0,
    },
    inputs,
    { gridPpm: o.gridPpm, log: o.log },
  );
  const nt = result.offsetsPpm.length;
  return {
    volume: {
      dims: [nx, ny, nz, nt],
      ndim: 4,
      data: result.data,
      affine: o.volume.affine,
      pixdim: o.volume.pixdim,
      nonFinite: result.data.reduce((c, x) => c + (Number.isFinite(x) ? 0 : 1), 0),
    },
    result,
  };
}
