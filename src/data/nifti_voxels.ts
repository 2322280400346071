/**
 * NIfTI-1 voxel data → float32: any datatype of {@link NIFTI_TYPES} in either byte order,
 * `scl_slope`/`scl_inter` applied, non-finite voxels counted, with the header's affine.
 * @module
 */
import {
  NIFTI_TYPES,
  type NiftiHeader,
  type NiftiVolume,
  qformAffine,
  scalingAffine,
  sformAffine,
} from "./nifti_header.ts";

/** Decodes the voxels and the affine of a whole file's bytes (`own`: the bytes may be reused). */
export function decodeNifti(bytes: Uint8Array, hd: NiftiHeader, own: boolean): NiftiVolume {
  const { h, le, ndim, dims, n, offset } = hd;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = _decodeVoxels(view, offset, n, h.datatypeCode, le, own);
  let slope = h.scl_slope, inter = h.scl_inter;
  if (!Number.isFinite(slope) || slope === 0) slope = 1, inter = 0; // NIfTI: slope 0 means unscaled
  if (!Number.isFinite(inter)) inter = 0;
  if (slope !== 1 || inter !== 0) {
    for (let i = 0; i < n; i++) {
      data[i] = data[i]! * slope + inter;
    }
  }
  let nonFinite = 0;
  for (let i = 0; i < n; i++) if (!Number.isFinite(data[i]!)) nonFinite++;
  const pd = h.pixDims;
  const pixdim: [number, number, number, number] = [pd[1] || 1, pd[2] || 1, pd[3] || 1, pd[4] || 1];
  const affine = h.sform_code > 0
    ? sformAffine(view, le)
    : h.qform_code > 0
    ? qformAffine(h)
    : scalingAffine(pixdim);
  return { dims, ndim: Math.min(ndim, 4), data, affine, pixdim, nonFinite, header: h };
}

/** The n voxels of datatype `code` at `offset` as float32 (a view when aligned, host-order f32 and `own`). */
function _decodeVoxels(
  view: DataView,
  offset: number,
  n: number,
  code: number,
  le: boolean,
  own: boolean,
): Float32Array {
  const hostLe = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  // Fast path: aligned float32 in host order is a view of bytes we own, else a copy.
  if (code === 16 && le === hostLe && (view.byteOffset + offset) % 4 === 0) {
    const f = new Float32Array(view.buffer, view.byteOffset + offset, n);
    return own ? f : f.slice();
  }
  const out = new Float32Array(n);
  const get: (o: number) => number = {
    2: (o: number) => view.getUint8(o),
    256: (o: number) => view.getInt8(o),
    4: (o: number) => view.getInt16(o, le),
    512: (o: number) => view.getUint16(o, le),
    8: (o: number) => view.getInt32(o, le),
    768: (o: number) => view.getUint32(o, le),
    16: (o: number) => view.getFloat32(o, le),
    64: (o: number) => view.getFloat64(o, le),
    1024: (o: number) => Number(view.getBigInt64(o, le)),
    1280: (o: number) => Number(view.getBigUint64(o, le)),
  }[code]!;
  const bytes = NIFTI_TYPES[code]!.bytes;
  for (let i = 0; i < n; i++) out[i] = get(offset + i * bytes);
  return out;
}
