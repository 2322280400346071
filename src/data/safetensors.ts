/**
 * safetensors read/write (the format of huggingface/safetensors): an 8-byte little-endian
 * header length, a JSON header `{name: {dtype, shape, data_offsets}, __metadata__: {..}}`,
 * then the raw little-endian data. Readable by Python's `safetensors` and numpy.
 * @module
 */
import { writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";

/** Typed arrays we store, by safetensors dtype. */
export type TensorData = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;

/** A named tensor: data in row-major order plus its shape. */
export interface Tensor {
  data: TensorData;
  shape: number[];
}

/** A whole file: tensors by name and string metadata. */
export interface SafeTensors {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

const _DTYPES: Record<string, { ctor: new (b: ArrayBuffer) => TensorData; bytes: number }> = {
  F32: { ctor: Float32Array, bytes: 4 },
  F64: { ctor: Float64Array, bytes: 8 },
  I32: { ctor: Int32Array, bytes: 4 },
  U32: { ctor: Uint32Array, bytes: 4 },
  U8: { ctor: Uint8Array, bytes: 1 },
};

function _dtypeOf(d: TensorData): string {
  if (d instanceof Float32Array) return "F32";
  if (d instanceof Float64Array) return "F64";
  if (d instanceof Int32Array) return "I32";
  if (d instanceof Uint32Array) return "U32";
  return "U8";
}

/** Serialises tensors and metadata to safetensors bytes. */
export function encodeSafetensors(file: SafeTensors): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(file.metadata).length) header.__metadata__ = file.metadata;
  let offset = 0;
  const names = Object.keys(file.tensors);
  for (const name of names) {
    const t = file.tensors[name]!;
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) {
      throw new TypeError(
        `Tensor "${name}" has shape [${t.shape}] (${n} values) but ${t.data.length} values`,
      );
    }
    header[name] = {
      dtype: _dtypeOf(t.data),
      shape: t.shape,
      data_offsets: [offset, offset + t.data.byteLength],
    };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += " ";
  const jsonBytes = new TextEncoder().encode(json);
  // TextEncoder may produce more bytes than chars for non-ASCII metadata: pad again in bytes.
  const pad = (8 - ((8 + jsonBytes.length) % 8)) % 8;
  const headerLen = jsonBytes.length + pad;
  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(jsonBytes, 8);
  out.fill(0x20, 8 + jsonBytes.length, 8 + headerLen);
  let pos = 8 + headerLen;
  for (const name of names) {
    const d = file.tensors[name]!.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}

/**
 * The format's layout rule: the tensors' byte ranges, in offset order, tile the data buffer
 * from 0 to its end with no overlap and no gap (so no byte belongs to two tensors and none is
 * hidden between them).
 */
function _checkLayout(
  ranges: { name: string; b: number; e: number }[],
  dataBytes: number,
  bad: (why: string) => Error,
): void {
  const sorted = [...ranges].sort((x, y) => x.b - y.b || x.e - y.e);
  let pos = 0, prev: { name: string; b: number; e: number } | undefined;
  for (const r of sorted) {
    if (r.b < pos) {
      throw bad(
        `tensors "${prev!.name}" [${prev!.b}, ${
          prev!.e
        }] and "${r.name}" [${r.b}, ${r.e}] overlap; each byte of the data must belong to one tensor: rewrite the file`,
      );
    }
    if (r.b > pos) {
      throw bad(
        `${
          r.b - pos
        } bytes before tensor "${r.name}" (data_offsets [${r.b}, ${r.e}]) belong to no tensor; the tensors must be contiguous: rewrite the file`,
      );
    }
    pos = r.e;
    prev = r;
  }
  if (pos !== dataBytes) {
    throw bad(
      `the tensors cover ${pos} of the ${dataBytes} data bytes after the header; the rest belongs to no tensor: rewrite the file`,
    );
  }
}

/**
 * Parses safetensors bytes.
 * @param source a name for error messages (usually the file path)
 * @throws InputError naming the source and what is wrong when the bytes are not safetensors,
 *   including tensors whose byte ranges overlap, leave gaps or do not reach the end
 */
export function decodeSafetensors(bytes: Uint8Array, source = "<bytes>"): SafeTensors {
  const bad = (why: string) => new InputError(`${source} is not a valid safetensors file: ${why}`);
  if (bytes.length < 8) throw bad(`only ${bytes.length} bytes`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(dv.getBigUint64(0, true));
  if (headerLen <= 0 || 8 + headerLen > bytes.length) {
    throw bad(`header length ${headerLen} exceeds the file size`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    // the parser quotes the offending bytes: keep the message one printable line
    // deno-lint-ignore no-control-regex
    const why = (e as Error).message.replace(/[\x00-\x1f\x7f-\x9f\ufffd]/g, "?").slice(0, 160);
    throw bad(`header is not JSON (${why})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw bad("header is not a JSON object");
  }
  const dataStart = 8 + headerLen;
  const tensors: Record<string, Tensor> = {};
  const ranges: { name: string; b: number; e: number }[] = [];
  for (const [name, v] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const info = v as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const dt = _DTYPES[info?.dtype];
    if (!dt) {
      throw bad(
        `tensor "${name}" has unsupported dtype ${info?.dtype} (supported: ${
          Object.keys(_DTYPES)
        })`,
      );
    }
    const okInt = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
    if (!Array.isArray(info.shape) || !info.shape.every(okInt)) {
      throw bad(
        `tensor "${name}" has shape ${JSON.stringify(info.shape)}; expected a list of sizes`,
      );
    }
    const [b, e] = Array.isArray(info.data_offsets) ? info.data_offsets : [];
    if (!okInt(b) || !okInt(e) || info.data_offsets.length !== 2) {
      throw bad(
        `tensor "${name}" has data_offsets ${
          JSON.stringify(info.data_offsets)
        }; expected [begin, end]`,
      );
    }
    const n = info.shape.reduce((a, c) => a * c, 1);
    if (e! - b! !== n * dt.bytes || dataStart + e! > bytes.length) {
      throw bad(
        `tensor "${name}" data_offsets [${b}, ${e}] do not match shape [${info.shape}] or the file size`,
      );
    }
    ranges.push({ name, b: b!, e: e! });
  }
  _checkLayout(ranges, bytes.length - dataStart, bad);
  for (const { name, b, e } of ranges) {
    const info = header[name] as { dtype: string; shape: number[] };
    const dt = _DTYPES[info.dtype]!;
    // Copy so the result is aligned and independent of the input buffer.
    const copy = bytes.slice(dataStart + b, dataStart + e);
    tensors[name] = { data: new dt.ctor(copy.buffer), shape: info.shape };
  }
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  return { tensors, metadata };
}

/** Writes a safetensors file atomically. */
export async function writeSafetensors(path: string, file: SafeTensors): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(file));
}

/**
 * Reads a safetensors file.
 * @throws InputError naming the path when the file is missing, unreadable or malformed
 */
export async function readSafetensors(path: string): Promise<SafeTensors> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new InputError(`${path}: file not found`);
    throw new InputError(`${path}: cannot be read (${(e as Error).message})`, { cause: e });
  }
  return decodeSafetensors(bytes, path);
}

/** The tensor `name` as float32, or an InputError naming the file and the missing tensor. */
export function f32Tensor(
  file: SafeTensors,
  name: string,
  source: string,
): Tensor & { data: Float32Array } {
  const t = file.tensors[name];
  if (!t) {
    throw new InputError(
      `${source}: tensor "${name}" is missing (found: ${Object.keys(file.tensors).join(", ")})`,
    );
  }
  if (!(t.data instanceof Float32Array)) {
    throw new InputError(`${source}: tensor "${name}" must be F32`);
  }
  return t as Tensor & { data: Float32Array };
}
