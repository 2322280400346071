/** Number and date formatting shared by the pages and the islands (no Deno APIs here). @module */

/** A loss value in scientific notation ("—" when absent). */
export function fmtLoss(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? "—" : v.toExponential(3);
}

/** An ISO date as "YYYY-MM-DD HH:MM" (UTC). */
export function fmtDate(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 16).replace("T", " ") : "—";
}

/** Bytes as KiB/MiB/GiB. */
export function fmtBytes(n: number): string {
  const u = ["B", "KiB", "MiB", "GiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${u[i]}`;
}

/** A number with `d` significant digits, or "—". */
export function fmtNum(v: unknown, d = 4): string {
  return typeof v === "number" && Number.isFinite(v) ? Number(v.toPrecision(d)).toString() : "—";
}

/**
 * An axis tick label: plain for 0.001 ≤ |v| < 10⁴ (4 significant digits at most, float
 * noise dropped: 0.1, 0.003, 250), otherwise mantissa and exponent (1e-4, 2.5e-5, 3e4) —
 * so a small value on a log axis never reads "0". Empty for null or non-finite values.
 */
export function fmtTick(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e4) return String(Number(v.toPrecision(4)));
  const [m, e] = v.toExponential(3).split("e");
  return `${Number(m)}e${Number(e)}`;
}
