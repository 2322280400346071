/**
 * Request bodies: size caps enforced while the body streams in (413 naming the cap that
 * applies and how to change it), JSON bodies (one fixed cap), multipart uploads (the
 * `--upload-limit-mb` cap), and a per-job temporary directory that is removed when the
 * job's result is dropped. NIfTI files are checked by the bounded reader of src/data/nifti.ts.
 * @module
 */
import { concatBytes } from "../util/bytes.ts";
import { InputError } from "../util/errors.ts";
import { requireContentType } from "./guard.ts";

/** Largest JSON request body (fixed: JSON requests carry settings and a model YAML at most). */
export const JSON_BODY_LIMIT = 256 << 10;

/** Advice of the 413 for a multipart upload. */
export const UPLOAD_ADVICE =
  "Crop the series or mask it, or start the server with a larger --upload-limit-mb.";

/** Advice of the 413 for a JSON body. */
export const JSON_ADVICE = `JSON requests are capped at ${
  JSON_BODY_LIMIT >> 10
} KiB whatever the server's flags: send a shorter body (upload files as multipart/form-data).`;

/** The request body is larger than the cap that applies (served as 413). */
export class PayloadTooLargeError extends Error {
  constructor(
    readonly limitBytes: number,
    readonly gotBytes?: number,
    readonly advice = UPLOAD_ADVICE,
  ) {
    super(
      `${advice === UPLOAD_ADVICE ? "Upload" : "Request body"} too large: ${
        gotBytes !== undefined ? _size(gotBytes) + " exceeds" : "the body exceeds"
      } the limit of ${_size(limitBytes)}. ${advice}`,
    );
    this.name = "PayloadTooLargeError";
  }
}

function _size(n: number): string {
  return n >= 1 << 20
    ? `${(n / (1 << 20)).toFixed(1)} MiB`
    : n >= 1 << 10
    ? `${(n / (1 << 10)).toFixed(1)} KiB`
    : `${n} bytes`;
}

/**
 * Reads the whole request body, failing with PayloadTooLargeError (with `advice`) as soon as
 * more than `limitBytes` arrive (or when Content-Length already says so) — the rest is
 * never read.
 */
export async function readLimitedBody(
  req: Request,
  limitBytes: number,
  advice = UPLOAD_ADVICE,
): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > limitBytes) {
    await req.body?.cancel().catch(() => {});
    throw new PayloadTooLargeError(limitBytes, declared, advice);
  }
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limitBytes) {
      await reader.cancel().catch(() => {});
      throw new PayloadTooLargeError(limitBytes, undefined, advice);
    }
    chunks.push(value);
  }
  return concatBytes(chunks, total);
}

/**
 * Reads a JSON request body (content-type application/json, at most {@link JSON_BODY_LIMIT}).
 * @throws HttpError 415 for another content type, PayloadTooLargeError, InputError for bad JSON
 */
export async function readJsonBody(req: Request, example: string): Promise<unknown> {
  requireContentType(req, ["application/json"]);
  const text = new TextDecoder().decode(await readLimitedBody(req, JSON_BODY_LIMIT, JSON_ADVICE));
  try {
    return JSON.parse(text);
  } catch (e) {
    // the parser quotes the body around the fault, line breaks included: keep one line
    const why = (e as Error).message.replace(/\s+/g, " ");
    throw new InputError(`The request body is not JSON (${why}); send ${example}`);
  }
}

/** Parses a size-capped multipart/form-data body. */
export async function readLimitedForm(req: Request, limitBytes: number): Promise<FormData> {
  const type = req.headers.get("content-type") ?? "";
  requireContentType(req, ["multipart/form-data"]);
  const body = await readLimitedBody(req, limitBytes);
  try {
    return await new Response(body, { headers: { "content-type": type } }).formData();
  } catch (e) {
    throw new InputError(`Could not parse the upload form: ${(e as Error).message}`);
  }
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
