/**
 * Flag parsing helpers shared by the CLI commands. Each throws `InputError` with a message
 * that names the flag and says what to write instead (the CLI prints it on one line, exit 2).
 * @module
 */
import { InputError } from "../util/errors.ts";
import { checkAtMost, checkB1UT, checkOffsetCount, MAX_DURATION_S } from "../util/limits.ts";

/** Parses a finite number. */
export function parseNumber(flag: string, value: string): number {
  const v = value.trim() === "" ? NaN : Number(value);
  if (!Number.isFinite(v)) throw new InputError(`${flag}: expected a number but got "${value}"`);
  return v;
}

/** Parses a number > 0. */
export function parsePositive(flag: string, value: string): number {
  const v = parseNumber(flag, value);
  if (!(v > 0)) throw new InputError(`${flag}: must be > 0 but is ${value}`);
  return v;
}

/** Parses a number ≥ 0. */
export function parseNonNegative(flag: string, value: string): number {
  const v = parseNumber(flag, value);
  if (!(v >= 0)) throw new InputError(`${flag}: must be ≥ 0 but is ${value}`);
  return v;
}

/** Parses an integer ≥ min. */
export function parseInteger(flag: string, value: string, min = 0): number {
  const v = parseNumber(flag, value);
  if (!Number.isInteger(v) || v < min) {
    throw new InputError(`${flag}: expected an integer ≥ ${min} but got "${value}"`);
  }
  return v;
}

/**
 * Parses a saturation amplitude in µT, at most the documented cap (src/util/limits.ts);
 * `positive` refuses 0.
 */
export function parseB1(flag: string, value: string, positive = false): number {
  return checkB1UT(flag, positive ? parsePositive(flag, value) : parseNumber(flag, value));
}

/** Parses a duration in s that may be "inf" / "infinity" (→ Infinity, e.g. --ts inf). */
export function parseSecondsOrInf(flag: string, value: string): number {
  if (/^\+?inf(inity)?$/i.test(value.trim())) return Infinity;
  const v = parseNumber(flag, value);
  if (!(v > 0)) throw new InputError(`${flag}: must be > 0 s or "inf" but is ${value}`);
  checkAtMost(flag, v, MAX_DURATION_S, `write ${flag} inf for the steady state`);
  return v;
}

/** Parses a finite duration ≥ 0 s (a delay), at most the documented cap. */
export function parseDelay(flag: string, value: string): number {
  const v = parseNonNegative(flag, value);
  checkAtMost(flag, v, MAX_DURATION_S, "give the time in seconds");
  return v;
}

/**
 * Parses an offset range "lo:hi:n" (n evenly spaced values from lo to hi inclusive, ppm).
 * @example
 * parseOffsetRange("--offsets", "-6:6:101"); // 101 offsets, step 0.12 ppm
 */
export function parseOffsetRange(flag: string, value: string): number[] {
  const parts = value.split(":");
  const bad = () =>
    new InputError(`${flag}: expected "lo:hi:n" (e.g. ${flag}=-6:6:101) but got "${value}"`);
  if (parts.length !== 3) throw bad();
  const [lo, hi, n] = parts.map((p) => (p.trim() === "" ? NaN : Number(p)));
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !Number.isInteger(n) || n! < 1) throw bad();
  checkOffsetCount(flag, n!);
  if (n === 1) return [lo!];
  return Array.from({ length: n! }, (_, i) => lo! + ((hi! - lo!) * i) / (n! - 1));
}

/**
 * Reads offsets (ppm) from a text file: one number per line; blank lines and lines starting
 * with # are skipped.
 */
export async function readOffsetsFile(flag: string, path: string): Promise<number[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new InputError(`${flag}: cannot read "${path}" (${(e as Error).name})`);
  }
  const out: number[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const s = line.trim();
    if (!s || s.startsWith("#")) return;
    const v = Number(s);
    if (!Number.isFinite(v)) {
      throw new InputError(`${path}: line ${i + 1}: expected one offset in ppm but got "${s}"`);
    }
    out.push(v);
  });
  if (!out.length) throw new InputError(`${path}: no offsets found; write one ppm value per line`);
  checkOffsetCount(`${flag} ${path}`, out.length);
  return out;
}
