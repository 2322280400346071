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

const _TYPES: Record<number, { bytes: number; name: string }> = {
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
function _isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Gunzips with the web DecompressionStream. */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new DecompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Gzips with the web CompressionStream. */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** The qform affine of a NIfTI-1 header (nifti1.h method 2: quaternion, pixdim, qfac). */
function _qformAffine(h: nifti.NIFTI1): Affine {
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
function _sformAffine(view: DataView, le: boolean): Affine {
  const rows: number[][] = [];
  for (let r = 0; r < 3; r++) {
    const row: number[] = [];
    for (let c = 0; c < 4; c++) row.push(view.getFloat32(280 + 16 * r + 4 * c, le));
    rows.push(row);
  }
  rows.push([0, 0, 0, 1]);
  return rows;
}

/** What a NIfTI-1 header says about the file's layout (see {@link _parseHeader}). */
interface _Header {
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
function _parseHeader(bytes: Uint8Array, name: string, length = bytes.length): _Header {
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
  const type = _TYPES[h.datatypeCode];
  if (!type) {
    throw new InputError(
      `${name}: datatype ${h.datatypeCode} (${
        h.getDatatypeCodeString(h.datatypeCode)
      }) is not supported; ` +
        `convert it to float32 (supported: ${Object.values(_TYPES).map((t) => t.name).join(", ")})`,
    );
  }
  const offset = Math.floor(h.vox_offset);
  if (!(offset >= 348)) {
    throw new InputError(`${name}: vox_offset is ${h.vox_offset}; it must be ≥ 352`);
  }
  const need = n * type.bytes;
  return { h, le, ndim, dims, n, type, offset, need, total: offset + need };
}

function _truncated(name: string, hd: _Header, length: number): InputError {
  return new InputError(
    `${name}: truncated: [${hd.dims}] ${hd.type.name} needs ${hd.need} bytes of voxel data after offset ${hd.offset}, the file has ${
      Math.max(0, length - hd.offset)
    }`,
  );
}

/** Decodes the voxels and the affine of a whole file's bytes (`own`: the bytes may be reused). */
function _decode(bytes: Uint8Array, hd: _Header, own: boolean): NiftiVolume {
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
    ? _sformAffine(view, le)
    : h.qform_code > 0
    ? _qformAffine(h)
    : scalingAffine(pixdim);
  return { dims, ndim: Math.min(ndim, 4), data, affine, pixdim, nonFinite, header: h };
}

/**
 * The most bytes one NIfTI file may hold (header + voxel data, after gunzip) when no
 * smaller {@link ByteBudget} is given: 2 GiB.
 */
export const MAX_NIFTI_BYTES = 2 ** 31;

/** Bytes a file may hold past the voxel data its header declares before it is refused. */
export const NIFTI_SLACK_BYTES = 1 << 16;

/**
 * Compressed bytes handed to the gunzip at a time. Deflate inflates at most ~1032:1, so an
 * inflated chunk stays below ~8.5 MiB however the file was made.
 */
const _GZ_PIECE = 8192;

function _size(n: number): string {
  return n >= 1 << 30
    ? `${(n / 2 ** 30).toFixed(1)} GiB`
    : n >= 1 << 20
    ? `${(n / 2 ** 20).toFixed(1)} MiB`
    : `${n} bytes`;
}

/**
 * A budget of bytes that NIfTI reads may hold once inflated, shared by every read given it
 * (e.g. the files of one upload). A file takes what its header declares, before its voxel
 * data is read; a file over what is left is refused at once (InputError).
 *
 * @example
 * ```ts
 * const budget = new ByteBudget(1 << 30, "or start the server with a larger --inflate-limit-mb");
 * const scan = await parseNifti(scanBytes, "scan", { budget });
 * const mask = await parseNifti(maskBytes, "mask", { budget }); // shares what is left
 * ```
 */
export class ByteBudget {
  #left: number;
  /**
   * @param limitBytes the bytes all reads together may take
   * @param advice what to do when a file does not fit (ends the error message)
   */
  constructor(
    readonly limitBytes: number,
    readonly advice = "crop or mask the image (fewer slices or voxels)",
  ) {
    this.#left = limitBytes;
  }

  /** Bytes still free. */
  get remainingBytes(): number {
    return this.#left;
  }

  /** Takes `bytes` for the file `name` (its header `hd`), or throws InputError. */
  take(bytes: number, name: string, what: string): void {
    if (bytes > this.#left) {
      const others = this.#left < this.limitBytes
        ? ` (${_size(this.#left)} left after the other files)`
        : "";
      throw new InputError(
        `${name}: its header declares ${what} = ${_size(bytes)}, over the limit of ${
          _size(this.limitBytes)
        }${others}; ${this.advice}`,
      );
    }
    this.#left -= bytes;
  }
}

/** Options of {@link parseNifti} and {@link readNifti}. */
export interface NiftiReadOptions {
  /** Bytes the file may take (default: a fresh budget of {@link MAX_NIFTI_BYTES}). */
  budget?: ByteBudget;
}

function _take(budget: ByteBudget | undefined, hd: _Header, name: string): void {
  (budget ?? new ByteBudget(MAX_NIFTI_BYTES)).take(
    hd.total,
    name,
    `[${hd.dims}] ${hd.type.name} after a ${hd.offset}-byte header`,
  );
}

/**
 * Reads a .nii or .nii.gz byte stream into exactly the bytes its header declares, gunzipping
 * piece by piece: the header is read first and checked against the budget, then the voxel
 * data fills one buffer of that size. Reading stops, and the stream is cancelled, as soon as
 * the file holds more than {@link NIFTI_SLACK_BYTES} beyond it (a corrupt file or a
 * decompression bomb), so nothing larger than the declared size is ever held.
 */
async function _readBounded(
  src: ReadableStream<Uint8Array>,
  name: string,
  budget: ByteBudget | undefined,
): Promise<{ bytes: Uint8Array; hd: _Header }> {
  const raw = src.getReader();
  const pending: Uint8Array[] = [];
  let gz = false;
  {
    let got = 0;
    while (got < 2) {
      const { done, value } = await raw.read();
      if (done) break;
      pending.push(value);
      got += value.length;
    }
    const first = pending.length === 1 ? pending[0]! : _concat(pending, got);
    pending.splice(0, pending.length, ...(got ? [first] : []));
    gz = _isGzip(first);
  }
  const pieces = new ReadableStream<Uint8Array>({
    async pull(c) {
      let cur = pending[0];
      if (!cur) {
        const { done, value } = await raw.read();
        if (done) return c.close();
        pending.push(cur = value);
      }
      if (!gz || cur.length <= _GZ_PIECE) {
        pending.shift();
        c.enqueue(cur);
      } else {
        c.enqueue(cur.slice(0, _GZ_PIECE));
        pending[0] = cur.subarray(_GZ_PIECE);
      }
    },
    cancel: (reason) => raw.cancel(reason),
  }, { highWaterMark: 0 });
  const reader = (gz
    ? pieces.pipeThrough(
      new DecompressionStream("gzip") as TransformStream<Uint8Array, Uint8Array>,
    )
    : pieces).getReader();
  let finished = false;
  const next = async (): Promise<Uint8Array | null> => {
    try {
      const { done, value } = await reader.read();
      if (done) finished = true;
      return done ? null : value;
    } catch (e) {
      finished = true;
      if (!gz) throw e;
      throw new InputError(
        `${name}: not a valid gzip file (${(e as Error).message}); expected .nii or .nii.gz`,
      );
    }
  };
  try {
    const head: Uint8Array[] = [];
    let got = 0;
    while (got < 352) {
      const c = await next();
      if (!c) break;
      head.push(c);
      got += c.length;
    }
    const start = _concat(head, got);
    const hd = _parseHeader(start, name);
    _take(budget, hd, name);
    const bytes = new Uint8Array(hd.total);
    let filled = Math.min(hd.total, start.length), extra = start.length - filled;
    bytes.set(start.subarray(0, filled));
    while (extra <= NIFTI_SLACK_BYTES) {
      const c = await next();
      if (!c) break;
      const k = Math.min(c.length, hd.total - filled);
      bytes.set(k === c.length ? c : c.subarray(0, k), filled);
      filled += k;
      extra += c.length - k;
    }
    if (extra > NIFTI_SLACK_BYTES) {
      throw new InputError(
        `${name}: holds more data than its header declares ([${hd.dims}] ${hd.type.name} = ${
          _size(hd.total)
        } with the header); a corrupt file or a decompression bomb, refused`,
      );
    }
    if (filled < hd.total) throw _truncated(name, hd, filled);
    return { bytes, hd };
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
  }
}

function _concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

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
  if (_isGzip(bytes)) {
    const r = await _readBounded(
      new Blob([bytes as Uint8Array<ArrayBuffer>]).stream(),
      name,
      opts.budget,
    );
    return _decode(r.bytes, r.hd, true);
  }
  const hd = _parseHeader(bytes, name);
  _take(opts.budget, hd, name);
  if (bytes.length < hd.total) throw _truncated(name, hd, bytes.length);
  return _decode(bytes, hd, false);
}

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
  const bytes = _TYPES[code]!.bytes;
  for (let i = 0; i < n; i++) out[i] = get(offset + i * bytes);
  return out;
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
  const r = await _readBounded(file.readable, path, opts.budget);
  return _decode(r.bytes, r.hd, true);
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

export { encodeNifti, writeNifti, type WriteNiftiOptions } from "./nifti_write.ts";
