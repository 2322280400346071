/**
 * Bounded NIfTI-1 reads: a byte budget shared by the files of one request, and the
 * streaming read (gunzipped piece by piece) that never holds more than a file's header
 * declares.
 * @module
 */
import { concatBytes } from "../util/bytes.ts";
import { InputError } from "../util/errors.ts";
import { isGzip, type NiftiHeader, parseNiftiHeader, truncatedError } from "./nifti_header.ts";

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

/** Takes a file's declared bytes from `budget` (default: a fresh {@link MAX_NIFTI_BYTES}). */
export function takeBudget(budget: ByteBudget | undefined, hd: NiftiHeader, name: string): void {
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
export async function readBounded(
  src: ReadableStream<Uint8Array>,
  name: string,
  budget: ByteBudget | undefined,
): Promise<{ bytes: Uint8Array; hd: NiftiHeader }> {
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
    const first = pending.length === 1 ? pending[0]! : concatBytes(pending, got);
    pending.splice(0, pending.length, ...(got ? [first] : []));
    gz = isGzip(first);
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
    const start = concatBytes(head, got);
    const hd = parseNiftiHeader(start, name);
    takeBudget(budget, hd, name);
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
    if (filled < hd.total) throw truncatedError(name, hd, filled);
    return { bytes, hd };
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
  }
}
