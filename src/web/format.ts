/** Number and date formatting shared by the pages. @module */

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
