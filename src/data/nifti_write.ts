/**
 * NIfTI-1 writing: little-endian float32 with the affine in both sform and qform (code 1,
 * scanner), gzip'd when the name ends in `.gz`, atomic. Volumes as in nifti.ts (x fastest).
 * @module
 */
import * as nifti from "nifti-reader-js";
import { InputError } from "../util/errors.ts";
import { writeFileAtomic } from "../util/atomic.ts";
import { NIFTI1_MAX_DIM } from "../util/limits.ts";
import { type Affine, type NiftiVolume, scalingAffine } from "./nifti_header.ts";

/** Gzips with the web CompressionStream. */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Options of {@link writeNifti}. */
export interface WriteNiftiOptions {
  /** Voxel → world affine (defaults to the volume's, else diag(pixdim)). */
  affine?: Affine;
  /** Voxel spacing [dx, dy, dz, dt] (defaults to the volume's, else the affine's column norms). */
  pixdim?: [number, number, number, number];
  /** Header description (≤ 79 ASCII chars; longer is cut). */
  description?: string;
  /** Write 4-D even when t = 1 (default: 4-D when the volume says ndim 4 or t > 1). */
  force4d?: boolean;
}

/** Affine → (pixdim, quaternion, qfac, offsets) as nifti1_io's mat44_to_quatern does for orthogonal axes. */
function _affineToQuatern(
  m: Affine,
): { b: number; c: number; d: number; qfac: number; dx: number; dy: number; dz: number } {
  const col = (j: number) => [m[0]![j]!, m[1]![j]!, m[2]![j]!];
  const norm = (v: number[]) => Math.hypot(v[0]!, v[1]!, v[2]!) || 1;
  const c0 = col(0), c1 = col(1), c2 = col(2);
  const dx = norm(c0), dy = norm(c1), dz = norm(c2);
  const r = [c0.map((v) => v / dx), c1.map((v) => v / dy), c2.map((v) => v / dz)]; // columns
  const det = r[0]![0]! * (r[1]![1]! * r[2]![2]! - r[2]![1]! * r[1]![2]!) -
    r[1]![0]! * (r[0]![1]! * r[2]![2]! - r[2]![1]! * r[0]![2]!) +
    r[2]![0]! * (r[0]![1]! * r[1]![2]! - r[1]![1]! * r[0]![2]!);
  let qfac = 1;
  if (det < 0) {
    qfac = -1;
    r[2] = r[2]!.map((v) => -v);
  }
  // R[i][j] = r[j][i] (r holds columns)
  const R = (i: number, j: number) => r[j]![i]!;
  let a = 1 + R(0, 0) + R(1, 1) + R(2, 2), b: number, c: number, d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = 0.25 * (R(2, 1) - R(1, 2)) / a;
    c = 0.25 * (R(0, 2) - R(2, 0)) / a;
    d = 0.25 * (R(1, 0) - R(0, 1)) / a;
  } else {
    const xd = 1 + R(0, 0) - R(1, 1) - R(2, 2),
      yd = 1 + R(1, 1) - R(0, 0) - R(2, 2),
      zd = 1 + R(2, 2) - R(0, 0) - R(1, 1);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd),
        c = 0.25 * (R(0, 1) + R(1, 0)) / b,
        d = 0.25 * (R(0, 2) + R(2, 0)) / b,
        a = 0.25 * (R(2, 1) - R(1, 2)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd),
        b = 0.25 * (R(0, 1) + R(1, 0)) / c,
        d = 0.25 * (R(1, 2) + R(2, 1)) / c,
        a = 0.25 * (R(0, 2) - R(2, 0)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd),
        b = 0.25 * (R(0, 2) + R(2, 0)) / d,
        c = 0.25 * (R(1, 2) + R(2, 1)) / d,
        a = 0.25 * (R(1, 0) - R(0, 1)) / d;
    }
    if (a < 0) b = -b, c = -c, d = -d;
  }
  return { b, c, d, qfac, dx, dy, dz };
}

/**
 * Encodes a volume as NIfTI-1 float32 bytes (uncompressed, vox_offset 352).
 * @throws TypeError when `data` does not hold dims' product values; InputError when a
 *   dimension is above NIfTI-1's 32,767
 */
export function encodeNifti(
  vol:
    & Pick<NiftiVolume, "dims" | "data">
    & Partial<Pick<NiftiVolume, "affine" | "pixdim" | "ndim">>,
  opts: WriteNiftiOptions = {},
): Uint8Array {
  const [nx, ny, nz, nt] = vol.dims;
  if (vol.dims.some((d) => d > NIFTI1_MAX_DIM)) {
    throw new InputError(
      `dims [${vol.dims}]: NIfTI-1 holds at most ${NIFTI1_MAX_DIM} values per dimension; write a smaller volume`,
    );
  }
  const n = nx * ny * nz * nt;
  if (vol.data.length !== n) {
    throw new TypeError(
      `Expected ${n} voxel values for dims [${vol.dims}] but found ${vol.data.length}`,
    );
  }
  const affine = opts.affine ?? vol.affine ??
    scalingAffine(opts.pixdim ?? vol.pixdim ?? [1, 1, 1, 1]);
  const q = _affineToQuatern(affine);
  const pixdim = opts.pixdim ?? vol.pixdim ?? [q.dx, q.dy, q.dz, 1];
  const four = opts.force4d || nt > 1 || vol.ndim === 4;
  const h = new nifti.NIFTI1();
  h.littleEndian = true;
  h.dims = [four ? 4 : 3, nx, ny, nz, four ? nt : 1, 1, 1, 1];
  h.datatypeCode = nifti.NIFTI1.TYPE_FLOAT32;
  h.numBitsPerVoxel = 32;
  h.pixDims = [q.qfac, pixdim[0], pixdim[1], pixdim[2], four ? pixdim[3] : 0, 0, 0, 0];
  h.vox_offset = 352;
  h.scl_slope = 1;
  h.scl_inter = 0;
  h.xyzt_units = nifti.NIFTI1.UNITS_MM | (four ? nifti.NIFTI1.UNITS_PPM : 0);
  h.cal_max = 0;
  h.cal_min = 0;
  h.description = (opts.description ?? "quass").replace(/[^\x20-\x7e]/g, "?").slice(0, 79);
  h.aux_file = "";
  h.intent_name = "";
  h.qform_code = nifti.NIFTI1.XFORM_SCANNER_ANAT;
  h.sform_code = nifti.NIFTI1.XFORM_SCANNER_ANAT;
  h.quatern_b = q.b;
  h.quatern_c = q.c;
  h.quatern_d = q.d;
  h.qoffset_x = affine[0]![3]!;
  h.qoffset_y = affine[1]![3]!;
  h.qoffset_z = affine[2]![3]!;
  h.affine = affine.map((r) => r.slice());
  h.magic = "n+1";
  const header = new Uint8Array(h.toArrayBuffer(false));
  const out = new Uint8Array(352 + 4 * n);
  out.set(header.subarray(0, 352));
  out.fill(0, 348, 352); // no extensions
  const dv = new DataView(out.buffer);
  for (let i = 0; i < n; i++) dv.setFloat32(352 + 4 * i, vol.data[i]!, true);
  return out;
}

/**
 * Writes a volume as NIfTI-1 float32; gzip'd when `path` ends in `.gz`. Atomic: nothing is
 * left under `path` if anything fails.
 * @param path destination (.nii or .nii.gz)
 * @param vol dims + data (+ affine/pixdim; options override them)
 * @example
 * ```ts
 * await writeNifti("pred.nii.gz", { dims: [64, 64, 1, 101], data, affine: input.affine });
 * ```
 */
export async function writeNifti(
  path: string,
  vol:
    & Pick<NiftiVolume, "dims" | "data">
    & Partial<Pick<NiftiVolume, "affine" | "pixdim" | "ndim">>,
  opts: WriteNiftiOptions = {},
): Promise<void> {
  if (!/\.nii(\.gz)?$/.test(path)) {
    throw new InputError(`${path}: NIfTI output names must end in .nii or .nii.gz`);
  }
  let bytes = encodeNifti(vol, opts);
  if (path.endsWith(".gz")) bytes = await gzip(bytes);
  await writeFileAtomic(path, bytes);
}
