/**
 * Upload handling: a size cap enforced while the body streams in (413 with a clear
 * message), a cheap NIfTI check before anything is used (400 with the reason), and a
 * per-job temporary directory that is removed when the job's result is dropped.
 * @module
 */
import { InputError } from "../util/errors.ts";

/** The request body is larger than the configured cap (served as 413). */
export class PayloadTooLargeError extends Error {
  constructor(readonly limitBytes: number, readonly gotBytes?: number) {
    super(
      `Upload too large: ${
        gotBytes !== undefined ? _mib(gotBytes) + " exceeds" : "the body exceeds"
      } ` +
        `the limit of ${
          _mib(limitBytes)
        }. Crop the series or mask it, or start the server with a larger --upload-limit-mb.`,
    );
    this.name = "PayloadTooLargeError";
  }
}

function _mib(n: number): string {
  return n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${n} bytes`;
}

/**
 * Reads the whole request body, failing with PayloadTooLargeError as soon as more than
 * `limitBytes` arrive (or when Content-Length already says so) — the rest is never read.
 */
export async function readLimitedBody(
  req: Request,
  limitBytes: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes) {
    await req.body?.cancel().catch(() => {});
    throw new PayloadTooLargeError(limitBytes, declared);
  }
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limitBytes) {
      await reader.cancel().catch(() => {});
      throw new PayloadTooLargeError(limitBytes);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}

/** Parses a size-capped multipart/form-data body. */
export async function readLimitedForm(req: Request, limitBytes: number): Promise<FormData> {
  const type = req.headers.get("content-type") ?? "";
  if (!type.startsWith("multipart/form-data")) {
    throw new InputError(
      `Expected a multipart/form-data upload but got content-type ${JSON.stringify(type)}`,
    );
  }
  const body = await readLimitedBody(req, limitBytes);
  try {
    return await new Response(body, { headers: { "content-type": type } }).formData();
  } catch (e) {
    throw new InputError(`Could not parse the upload form: ${(e as Error).message}`);
  }
}

/** Un-gzips `bytes` when they start with the gzip magic, else returns them. */
export async function maybeGunzip(
  bytes: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array<ArrayBuffer>> {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Checks that `bytes` (.nii or .nii.gz) start with a NIfTI-1 header; returns a reason
 * when they do not, or null when they look like NIfTI. Does not read the data.
 */
export async function niftiProblem(
  bytes: Uint8Array<ArrayBuffer>,
  name: string,
): Promise<string | null> {
  let raw: Uint8Array<ArrayBuffer>;
  try {
    raw = await maybeGunzip(bytes);
  } catch {
    return `${name}: starts like gzip but could not be decompressed (truncated or corrupt .nii.gz)`;
  }
  if (raw.length < 348) {
    return `${name}: ${raw.length} bytes is too short for a NIfTI-1 header (348 bytes)`;
  }
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const le = dv.getInt32(0, true) === 348, be = dv.getInt32(0, false) === 348;
  if (!le && !be) return `${name}: not a NIfTI-1 file (header size field is not 348)`;
  const magic = String.fromCharCode(raw[344]!, raw[345]!, raw[346]!);
  if (magic !== "n+1" && magic !== "ni1") {
    return `${name}: NIfTI magic is ${JSON.stringify(magic)}, expected "n+1" (single-file NIfTI-1)`;
  }
  const ndim = dv.getInt16(40, le);
  if (ndim < 2 || ndim > 4) return `${name}: ${ndim}-D image; expected a 3-D or 4-D volume`;
  return null;
}

/** A temporary directory for one job's files; `remove()` deletes it and everything in it. */
export interface TempArea {
  dir: string;
  remove(): Promise<void>;
}

/** Creates a fresh temporary directory under `root`. */
export async function makeTempArea(root: string, prefix = "job-"): Promise<TempArea> {
  await Deno.mkdir(root, { recursive: true });
  const dir = await Deno.makeTempDir({ dir: root, prefix });
  return { dir, remove: () => Deno.remove(dir, { recursive: true }).catch(() => {}) };
}
