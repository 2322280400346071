/**
 * Learning-rate schedules (TrainConfig.lrSchedule): `constant` (the paper's Adam 1e-4), or
 * `cosine`: a linear warm-up over the first 2 % of the run's steps (at least one step), then
 * a cosine decay from `lr` to `lr`·{@link COSINE_FLOOR} at the last step. The schedule
 * depends on the step and the run's total steps only, so a resumed run follows it exactly.
 * @module
 */

/** The schedules, as spelled on the command line (`--schedule`). */
export const LR_SCHEDULES = ["constant", "cosine"] as const;
/** One of {@link LR_SCHEDULES}. */
export type LrSchedule = typeof LR_SCHEDULES[number];

/** Fraction of the peak rate the cosine schedule ends at. */
export const COSINE_FLOOR = 0.02;
/** Fraction of the steps spent warming up under the cosine schedule. */
export const WARMUP_FRACTION = 0.02;

/**
 * The learning rate of one Adam step.
 * @param step 1-based step number
 * @param totalSteps the run's steps (epochs × steps per epoch)
 * @example
 * learningRate("cosine", 1e-3, 500, 1000); // ≈ 5.1e-4
 */
export function learningRate(
  schedule: LrSchedule,
  lr: number,
  step: number,
  totalSteps: number,
): number {
  if (schedule === "constant") return lr;
  const warm = Math.max(1, Math.round(WARMUP_FRACTION * totalSteps));
  if (step <= warm) return (lr * step) / warm;
  const t = Math.min(1, (step - warm) / Math.max(1, totalSteps - warm));
  return lr * (COSINE_FLOOR + (1 - COSINE_FLOOR) * 0.5 * (1 + Math.cos(Math.PI * t)));
}

/** True when `s` names a schedule. */
export function isLrSchedule(s: string): s is LrSchedule {
  return (LR_SCHEDULES as readonly string[]).includes(s);
}
