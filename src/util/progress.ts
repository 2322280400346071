/**
 * Progress bars for long jobs on stderr (cli-progress, with `noTTYOutput` so CI logs show
 * progress too): rate in items/s and ETA.
 * @module
 */
import cliProgress from "cli-progress";
import process from "node:process";

/** A running progress bar. */
export interface Progress {
  /** Sets the number of items done (and optional extra text, e.g. the loss). */
  update(done: number, info?: string): void;
  /** Finishes the bar. */
  stop(): void;
}

/**
 * Starts a progress bar for `total` items named `unit` (e.g. "spectra").
 * Quiet (no output) when `quiet` is set.
 */
export function startProgress(label: string, total: number, unit: string, quiet = false): Progress {
  if (quiet) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar({
    format:
      `${label} [{bar}] {percentage}% {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted} {info}`,
    noTTYOutput: true,
    notTTYSchedule: 5000,
    stream: process.stderr,
    hideCursor: false,
    etaBuffer: 50,
    barsize: 24,
  }, cliProgress.Presets.shades_classic);
  const t0 = performance.now();
  bar.start(total, 0, { rate: "–", info: "" });
  return {
    update(done: number, info = "") {
      const s = (performance.now() - t0) / 1000;
      bar.update(done, { rate: s > 0 ? (done / s).toFixed(1) : "–", info });
    },
    stop() {
      bar.stop();
    },
  };
}
