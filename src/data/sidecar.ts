/**
 * JSON sidecars of NIfTI volumes: `scan.nii.gz` ↔ `scan.json`, holding the saturation
 * protocol of the 4th dimension. Known fields are validated; any other field is kept.
 * @module
 */
import { InputError } from "../util/errors.ts";
import { exists, writeFileAtomic } from "../util/atomic.ts";
import { checkOffsetCount } from "../util/limits.ts";
import type { FlagPath } from "../util/output.ts";

/** Protocol of a CEST image series (the fields quass reads; others are kept as they are). */
export interface Sidecar {
  /** Saturation offset of each volume along the 4th dimension, ppm. */
  offsetsPpm?: number[];
  /** Saturation duration, seconds (Infinity is written as the string "inf": steady state). */
  tsS?: number;
  /** Recovery delay before saturation, seconds. */
  tdS?: number;
  /** Saturation amplitude B1, µT. */
  b1UT?: number;
  /** Main field, tesla. */
  b0T?: number;
  /** Free fields. */
  [key: string]: unknown;
}

/** The sidecar path of a NIfTI path: `dir/scan.nii.gz` → `dir/scan.json`. */
export function sidecarPath(niftiPath: string): string {
  return niftiPath.replace(/\.nii(\.gz)?$/, "") + ".json";
}

/**
 * The files a NIfTI path stands for: the volume and its sidecar, each labelled with `flag`
 * (for {@link checkNotInput}'s messages); undefined gives none.
 */
export function withSidecar(flag: string, niftiPath: string | undefined): FlagPath[] {
  if (niftiPath === undefined) return [];
  return [
    { flag, path: niftiPath },
    { flag: `${flag}'s sidecar`, path: sidecarPath(niftiPath) },
  ];
}

const _NUMBER_FIELDS = ["tsS", "tdS", "b1UT", "b0T"] as const;

/**
 * Validates a parsed sidecar object. `nOffsets`, when given, is the size of the 4th
 * dimension that `offsetsPpm` must match.
 * @throws InputError naming the file, the field and the fix
 */
export function validateSidecar(obj: unknown, name: string, nOffsets?: number): Sidecar {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    throw new InputError(
      `${name}: a sidecar must be a JSON object like {"offsetsPpm": [...], "tsS": 1.5}`,
    );
  }
  const s = obj as Record<string, unknown>;
  const out: Sidecar = { ...s };
  if (s.offsetsPpm !== undefined) {
    if (
      !Array.isArray(s.offsetsPpm) ||
      !s.offsetsPpm.every((v) => typeof v === "number" && Number.isFinite(v))
    ) {
      throw new InputError(`${name}: "offsetsPpm" must be an array of finite numbers (ppm)`);
    }
    if (nOffsets !== undefined && s.offsetsPpm.length !== nOffsets) {
      throw new InputError(
        `${name}: "offsetsPpm" has ${s.offsetsPpm.length} entries but the image has ${nOffsets} volumes along the 4th dimension; make them match`,
      );
    }
  }
  for (const k of _NUMBER_FIELDS) {
    const v = s[k];
    if (v === undefined) continue;
    if (k === "tsS" && (v === "inf" || v === "Infinity" || v === Infinity)) {
      out.tsS = Infinity;
      continue;
    }
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new InputError(
        `${name}: "${k}" must be a non-negative number${k === "tsS" ? ' (or "inf")' : ""}, found ${
          JSON.stringify(v)
        }`,
      );
    }
  }
  return out;
}

/**
 * Reads the sidecar of a NIfTI file, or returns null when there is none.
 * @param niftiPath the image path (`scan.nii.gz`), not the sidecar path
 * @param nOffsets size of the image's 4th dimension, to check `offsetsPpm` against
 * @throws InputError when the sidecar is not valid JSON or a field is wrong
 */
export async function readSidecar(niftiPath: string, nOffsets?: number): Promise<Sidecar | null> {
  const path = sidecarPath(niftiPath);
  if (!(await exists(path))) return null;
  let obj: unknown;
  try {
    obj = JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    throw new InputError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return validateSidecar(obj, path, nOffsets);
}

/**
 * Writes the sidecar of a NIfTI file atomically (`tsS` = Infinity is written as "inf").
 * @param niftiPath the image path; the sidecar goes beside it
 */
export async function writeSidecar(niftiPath: string, sidecar: Sidecar): Promise<void> {
  const path = sidecarPath(niftiPath);
  validateSidecar(sidecar, path);
  const out = { ...sidecar };
  if (out.tsS === Infinity) out.tsS = "inf" as unknown as number;
  await writeFileAtomic(path, JSON.stringify(out, null, 2) + "\n");
}

/**
 * Parses an `--offsets` flag as the other commands do: `lo:hi:n` (n evenly spaced offsets
 * from lo to hi inclusive, ppm, e.g. `-6:6:101`) or a comma list (`-3.5,0,3.5`).
 * @throws InputError on anything else
 */
export function parseOffsetsFlag(text: string): number[] {
  const t = text.trim();
  const range = t.split(":");
  if (range.length === 3) {
    const [lo, hi, n] = range.map((p) => (p.trim() === "" ? NaN : Number(p))) as [
      number,
      number,
      number,
    ];
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !Number.isInteger(n) || n < 1) {
      throw new InputError(
        `--offsets "${text}": expected lo:hi:n in ppm (e.g. --offsets=-6:6:101) or a comma list`,
      );
    }
    checkOffsetCount("--offsets", n);
    if (n === 1) return [lo];
    return Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
  }
  checkOffsetCount("--offsets", t.split(",").length);
  const vals = t.split(",").map((v) => (v.trim() === "" ? NaN : Number(v)));
  if (vals.some((v) => !Number.isFinite(v))) {
    throw new InputError(
      `--offsets "${text}": expected a comma-separated list of ppm values or lo:hi:n`,
    );
  }
  return vals;
}

/**
 * The offsets of a 4-D image: from `--offsets` when given, else from its sidecar.
 * @param niftiPath the image path (for the sidecar and messages)
 * @param nOffsets size of the 4th dimension
 * @param flag the `--offsets` value, if the user passed one
 * @throws InputError when neither gives offsets, or the count does not match
 */
export async function resolveOffsets(
  niftiPath: string,
  nOffsets: number,
  flag?: string,
): Promise<number[]> {
  if (flag !== undefined) {
    const offs = parseOffsetsFlag(flag);
    if (offs.length !== nOffsets) {
      throw new InputError(
        `--offsets gives ${offs.length} offsets but ${niftiPath} has ${nOffsets} volumes along the 4th dimension`,
      );
    }
    return offs;
  }
  const side = await readSidecar(niftiPath, nOffsets);
  if (!side?.offsetsPpm) {
    throw new InputError(
      `${niftiPath}: no saturation offsets: add ${
        sidecarPath(niftiPath)
      } with "offsetsPpm" (${nOffsets} values) or pass --offsets`,
    );
  }
  return side.offsetsPpm;
}
