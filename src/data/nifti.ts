/**
 * NIfTI-1 reading for image volumes (.nii and .nii.gz); writing is nifti_write.ts (re-exported
 * here, so one import serves both).
 *
 * Volumes are held as float32 with x fastest: `data[x + X·(y + Y·(z + Z·t))]`, the same
 * order as the file. Reading accepts the common datatypes (u8, i8, i16, u16, i32, u32, i64,
 * u64, f32, f64) in either byte order and applies `scl_slope`/`scl_inter`; writing is always
 * little-endian float32 with the affine in both sform and qform (code 1, scanner), gzip'd
 * when the name ends in `.gz`, and atomic. Header parsing uses `nifti-reader-js`; the affine
 * follows nibabel's choice (sform when `sform_code > 0`, else qform, else pixdim scaling).
 * The pieces: headers and affines (nifti_header.ts), voxel conversion (nifti_voxels.ts),
 * bounded streaming reads (nifti_stream.ts), writing (nifti_write.ts).
 * @module
 */
import { InputError } from "../util/errors.ts";
import { isGzip, type NiftiVolume, parseNiftiHeader, truncatedError } from "./nifti_header.ts";
import { decodeNifti } from "./nifti_voxels.ts";
import { type NiftiReadOptions, readBounded, takeBudget } from "./nifti_stream.ts";

export { type Affine, type NiftiVolume, scalingAffine } from "./nifti_header.ts";
export {
  ByteBudget,
  MAX_NIFTI_BYTES,
  NIFTI_SLACK_BYTES,
  type NiftiReadOptions,
} from "./nifti_stream.ts";
/**
 * Parses NIfTI-1 bytes (.nii, or .nii.gz: gunzipped piece by piece, never past what the
 * header declares). `name` is used in error messages.
 * @throws InputError when the bytes are not a NIfTI-1 single file, hold an unsupported type,
 * or declare or hold more than the budget allows
 */
export async function parseNifti(
  bytes: Uint8Array,
  name: string,
  opts: NiftiReadOptions = {},
): Promise<NiftiVolume> {
  if (isGzip(bytes)) {
    const r = await readBounded(
      new Blob([bytes as Uint8Array<ArrayBuffer>]).stream(),
      name,
      opts.budget,
    );
    return decodeNifti(r.bytes, r.hd, true);
  }
  const hd = parseNiftiHeader(bytes, name);
  takeBudget(opts.budget, hd, name);
  if (bytes.length < hd.total) throw truncatedError(name, hd, bytes.length);
  return decodeNifti(bytes, hd, false);
}

/**
 * Reads a NIfTI-1 volume (.nii or .nii.gz, 1- to 4-D, any common datatype) as float32,
 * streaming: a .nii.gz is gunzipped piece by piece into one buffer of the size its header
 * declares, and refused as soon as it holds more (or declares more than the budget,
 * {@link MAX_NIFTI_BYTES} by default).
 * @param path file to read
 * @param opts the byte budget (shared by several reads when given)
 * @returns the volume; NaN/Inf voxels are kept and counted in `nonFinite`
 * @throws InputError when the file is missing, not a NIfTI-1 file, has an unsupported layout,
 * or is larger than its header or the budget allows
 * @example
 * ```ts
 * const vol = await readNifti("scan.nii.gz");
 * const [nx, ny, nz, nOffsets] = vol.dims;
 * ```
 */
export async function readNifti(path: string, opts: NiftiReadOptions = {}): Promise<NiftiVolume> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new InputError(`${path}: file not found`);
    throw e;
  }
  const r = await readBounded(file.readable, path, opts.budget);
  return decodeNifti(r.bytes, r.hd, true);
}

/**
 * Checks a volume's shape. `expect` gives the required [x,y,z,t] sizes (undefined entries
 * are free) and/or `minT`/`maxT` the allowed count along t.
 * @throws InputError naming the file, the dims found and what was expected
 */
export function checkDims(
  vol: Pick<NiftiVolume, "dims">,
  name: string,
  expect: { dims?: (number | undefined)[]; maxT?: number; minT?: number; what?: string },
): void {
  const what = expect.what ? ` (${expect.what})` : "";
  const want = expect.dims ?? [];
  for (let i = 0; i < 4; i++) {
    const w = want[i];
    if (w !== undefined && vol.dims[i] !== w) {
      throw new InputError(
        `${name}: dims are [${vol.dims}] but [${want.map((x) => x ?? "*")}] were expected${what}`,
      );
    }
  }
  if (expect.maxT !== undefined && vol.dims[3] > expect.maxT) {
    throw new InputError(
      `${name}: has ${
        vol.dims[3]
      } volumes along the 4th dimension; at most ${expect.maxT} expected${what}`,
    );
  }
  if (expect.minT !== undefined && vol.dims[3] < expect.minT) {
    throw new InputError(
      `${name}: has ${
        vol.dims[3]
      } volume(s) along the 4th dimension; ${expect.minT} or more expected${what} (is it a 3-D file?)`,
    );
  }
}

/**
 * Throws when a volume has NaN/Inf voxels, with their count and the first position.
 * @throws InputError
 */
export function assertFinite(vol: Pick<NiftiVolume, "dims" | "data">, name: string): void {
  let count = 0, first = -1;
  for (let i = 0; i < vol.data.length; i++) {
    if (!Number.isFinite(vol.data[i]!)) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (count) {
    const [nx, ny, nz] = vol.dims;
    const x = first % nx,
      y = Math.floor(first / nx) % ny,
      z = Math.floor(first / (nx * ny)) % nz,
      t = Math.floor(first / (nx * ny * nz));
    throw new InputError(
      `${name}: ${count} voxel value(s) are NaN or Inf (first at x=${x}, y=${y}, z=${z}, t=${t}); fix them or exclude them with a mask`,
    );
  }
}

export { encodeNifti, gzip, writeNifti, type WriteNiftiOptions } from "./nifti_write.ts";
