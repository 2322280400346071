/**
 * NIfTI-1 headers: the volume type, the datatypes read, the header's layout checks and the
 * voxel → world affine (nibabel's choice: sform when `sform_code > 0`, else qform, else
 * pixdim scaling). Header fields are read with `nifti-reader-js`. Reading whole files is
 * nifti.ts.
 * @module
 */
import * as nifti from "nifti-reader-js";
import { InputError } from "../util/errors.ts";

/** A 4×4 row-major affine mapping voxel indices (i, j, k, 1) to world millimetres. */
export type Affine = number[][];

/** An image volume: up to 4-D, float32, x fastest. */
export interface NiftiVolume {
  /** Sizes [x, y, z, t]; a 3-D volume has t = 1. */
  dims: [number, number, number, number];
  /** Number of dimensions in the file (2, 3 or 4); writeNifti keeps a 4-D volume 4-D. */
  ndim: number;
  /** Voxel values, scl_slope/scl_inter applied, x fastest. */
  data: Float32Array;
  /** Voxel → world (mm) transform, 4×4 row-major. */
  affine: Affine;
  /** Voxel spacing [dx, dy, dz (mm), dt (s or file units)] from pixdim[1..4]. */
  pixdim: [number, number, number, number];
  /** Number of NaN or ±Inf voxels in `data` (they are kept; callers decide). */
  nonFinite: number;
  /** The parsed header (absent for volumes built in memory). */
  header?: nifti.NIFTI1;
}

/** The identity affine scaled by voxel sizes (NIfTI "method 1"). */
export function scalingAffine(pixdim: ArrayLike<number>): Affine {
  return [
    [pixdim[0] || 1, 0, 0, 0],
    [0, pixdim[1] || 1, 0, 0],
    [0, 0, pixdim[2] || 1, 0],
    [0, 0, 0, 1],
  ];
}

/** The datatypes read, by NIfTI-1 datatype code: bytes per voxel and name. */
export const NIFTI_TYPES: Record<number, { bytes: number; name: string }> = {
  2: { bytes: 1, name: "uint8" },
  4: { bytes: 2, name: "int16" },
  8: { bytes: 4, name: "int32" },
  16: { bytes: 4, name: "float32" },
  64: { bytes: 8, name: "float64" },
  256: { bytes: 1, name: "int8" },
  512: { bytes: 2, name: "uint16" },
  768: { bytes: 4, name: "uint32" },
  1024: { bytes: 8, name: "int64" },
  1280: { bytes: 8, name: "uint64" },
};

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** The qform affine of a NIfTI-1 header (nifti1.h method 2: quaternion, pixdim, qfac). */
export function qformAffine(h: nifti.NIFTI1): Affine {
  let b = h.quatern_b, c = h.quatern_c, d = h.quatern_d;
  const s = b * b + c * c + d * d;
  let a: number;
  if (s > 1 - 1e-7) {
    // nifti1_io: a 180° rotation; renormalise (b, c, d) and take a = 0
    const n = Math.sqrt(s);
    b /= n, c /= n, d /= n;
    a = 0;
  } else a = Math.sqrt(1 - s);
  const qfac = h.pixDims[0]! < 0 ? -1 : 1;
  const dx = h.pixDims[1]!, dy = h.pixDims[2]!, dz = h.pixDims[3]! * qfac;
  const r = [
    [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
    [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
    [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
  ];
  const off = [h.qoffset_x, h.qoffset_y, h.qoffset_z];
  return [
    ...r.map((row, i) => [row[0]! * dx, row[1]! * dy, row[2]! * dz, off[i]!]),
    [0, 0, 0, 1],
  ];
}

/** Reads srow_x/y/z straight from the header bytes (nifti-reader-js does not keep them separately). */
export function sformAffine(view: DataView, le: boolean): Affine {
  const rows: number[][] = [];
  for (let r = 0; r < 3; r++) {
    const row: number[] = [];
    for (let c = 0; c < 4; c++) row.push(view.getFloat32(280 + 16 * r + 4 * c, le));
    rows.push(row);
  }
  rows.push([0, 0, 0, 1]);
  return rows;
}

/** What a NIfTI-1 header says about the file's layout (see {@link parseNiftiHeader}). */
export interface NiftiHeader {
  h: nifti.NIFTI1;
  le: boolean;
  ndim: number;
  dims: [number, number, number, number];
  /** Voxel count. */
  n: number;
  type: { bytes: number; name: string };
  /** Byte offset of the voxel data. */
  offset: number;
  /** Bytes of voxel data. */
  need: number;
  /** offset + need: the bytes the file must hold. */
  total: number;
}

/**
 * Validates the header at the start of `bytes` (`length` = the file's whole length when
 * known, for the "too short" message) and returns the layout it declares.
 */
export function parseNiftiHeader(
  bytes: Uint8Array,
  name: string,
  length = bytes.length,
): NiftiHeader {
  if (length < 348) {
    throw new InputError(
      `${name}: not a NIfTI file (only ${length} bytes; a NIfTI-1 header has 348)`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sizeLe = view.getInt32(0, true), sizeBe = view.getInt32(0, false);
  if (sizeLe === 540 || sizeBe === 540) {
    throw new InputError(
      `${name}: NIfTI-2 is not supported; save it as NIfTI-1 (e.g. nibabel.Nifti1Image)`,
    );
  }
  if (sizeLe !== 348 && sizeBe !== 348) {
    throw new InputError(`${name}: not a NIfTI file (sizeof_hdr is ${sizeLe}, expected 348)`);
  }
  const le = sizeLe === 348;
  const magic = String.fromCharCode(bytes[344]!, bytes[345]!, bytes[346]!);
  if (magic === "ni1") {
    throw new InputError(
      `${name}: a .hdr/.img pair is not supported; save it as a single .nii or .nii.gz`,
    );
  }
  if (magic !== "n+1") {
    throw new InputError(
      `${name}: not a NIfTI-1 file (magic ${JSON.stringify(magic)}, expected "n+1")`,
    );
  }
  const head = new Uint8Array(352);
  head.set(bytes.subarray(0, Math.min(352, bytes.length)));
  const h = new nifti.NIFTI1(); // readHeader tries big-endian first, then little-endian
  try {
    h.readHeader(head.buffer);
  } catch (e) {
    throw new InputError(`${name}: unreadable NIfTI header (${(e as Error).message})`);
  }
  const ndim = h.dims[0]!;
  if (ndim < 1 || ndim > 7) {
    throw new InputError(`${name}: dim[0] is ${ndim}; a NIfTI-1 volume has 1 to 7 dimensions`);
  }
  const size = (i: number) => (i <= ndim ? Math.max(h.dims[i]!, 1) : 1);
  for (let i = 5; i <= ndim; i++) {
    if (size(i) > 1) {
      throw new InputError(
        `${name}: has ${ndim} dimensions [${
          h.dims.slice(1, ndim + 1)
        }]; only 3-D [x,y,z] or 4-D [x,y,z,offset] volumes are supported`,
      );
    }
  }
  for (let i = 1; i <= Math.min(ndim, 4); i++) {
    if (h.dims[i]! < 1) {
      throw new InputError(`${name}: dim[${i}] is ${h.dims[i]}; sizes must be ≥ 1`);
    }
  }
  const dims: [number, number, number, number] = [size(1), size(2), size(3), size(4)];
  const n = dims[0] * dims[1] * dims[2] * dims[3];
  const type = NIFTI_TYPES[h.datatypeCode];
  if (!type) {
    throw new InputError(
      `${name}: datatype ${h.datatypeCode} (${
        h.getDatatypeCodeString(h.datatypeCode)
      }) is not supported; ` +
        `convert it to float32 (supported: ${
          Object.values(NIFTI_TYPES).map((t) => t.name).join(", ")
        })`,
    );
  }
  const offset = Math.floor(h.vox_offset);
  if (!(offset >= 348)) {
    throw new InputError(`${name}: vox_offset is ${h.vox_offset}; it must be ≥ 352`);
  }
  const need = n * type.bytes;
  return { h, le, ndim, dims, n, type, offset, need, total: offset + need };
}

/** The error for a file shorter than its header declares (`length` bytes held). */
export function truncatedError(name: string, hd: NiftiHeader, length: number): InputError {
  return new InputError(
    `${name}: truncated: [${hd.dims}] ${hd.type.name} needs ${hd.need} bytes of voxel data after offset ${hd.offset}, the file has ${
      Math.max(0, length - hd.offset)
    }`,
  );
}
