/**
 * What the scratch kernels can hold and what lavapipe lets them run: the matrix capacity
 * compiled for a state size, and the check that a group's `bm_sat` run stays inside Mesa
 * lavapipe's loop limit (past it loops end early and the numbers are silently wrong).
 * @module
 */
import { MAX_CEST_POOLS } from "../util/limits.ts";
import { omega0PerPpm } from "./bm_matrix.ts";
import type { BmGroup, BmLayout } from "./bm_record.ts";

/** Largest state size the kernels take: 10 water + CEST pools and a z-only MT pool. */
export const MAX_STATE_SIZE = 31;

// The pool cap of util/limits.ts is what these kernels hold: 3·(9 + 1) + 1 = MAX_STATE_SIZE.
if (3 * (MAX_CEST_POOLS + 1) + 1 > MAX_STATE_SIZE) {
  throw new Error(`MAX_CEST_POOLS ${MAX_CEST_POOLS} exceeds the kernels' ${MAX_STATE_SIZE} states`);
}

/** Matrix capacity compiled for a state size: 20 covers the 7-pool model (19). */
export function matrixCapacity(n: number): number {
  if (n > MAX_STATE_SIZE) {
    throw new RangeError(
      `The GPU simulator takes up to ${MAX_STATE_SIZE} state entries (9 CEST pools + MT) but the model has ${n}; use the CPU reference`,
    );
  }
  return n <= 20 ? 20 : 32;
}

/** Mesa lavapipe (gallivm) ends every invocation after this many loop iterations in total. */
const LAVAPIPE_LOOP_LIMIT = 65535;

/**
 * Rejects a group whose kernel run would pass lavapipe's loop limit (loops then end early
 * and the numbers are silently wrong). Upper bound of the iterations of `bm_sat`: each
 * n×n product or squaring counts n + n² (the innermost loop is unrolled), the ladder and
 * the two LU solves a few n² more; the number of squarings follows from a bound on ‖A‖∞.
 */
export function checkLoopBudget(g: BmGroup, lay: BmLayout): void {
  const m = g.model;
  const w0 = omega0PerPpm(m, g.b0T);
  const w1 = m.gammaRadPerSUT * g.b1UT * m.relB1;
  const maxOff = Math.max(0, ...Array.from(g.offsetsPpm, Math.abs)) + Math.abs(m.b0InhomPpm);
  let norm = 1 / m.water.t2S + 1 / m.water.t1S + w1 + maxOff * w0;
  for (const p of m.cest) {
    norm += p.f * p.kPerS;
    norm = Math.max(
      norm,
      1 / p.t2S + p.kPerS + p.f * p.kPerS + w1 + (maxOff + Math.abs(p.dwPpm)) * w0,
    );
  }
  if (m.mt) norm += m.mt.f * m.mt.kPerS + m.mt.kPerS + w1 * w1 * m.mt.t2S;
  const maxMode = Math.max(0, ...g.slots.map((s) => s.mode));
  if (maxMode < 1) return;
  const squarings = Math.max(0, Math.ceil(Math.log2((norm * g.hS) / 0.5))) +
    Math.ceil(Math.log2(maxMode + 1));
  // Count with the compiled capacity (loops may run over it, not over n) and keep a 25 %
  // margin: the estimate undercounted by ~10 % on a 9-pool model at Ts 1e15 s, and refusing
  // a little early (with a clear error) is safe where answering wrongly is not.
  const n = matrixCapacity(lay.N);
  const iters = (squarings + 8) * (n + n * n) + 6 * n * n;
  if (iters > 0.75 * LAVAPIPE_LOOP_LIMIT) {
    throw new RangeError(
      `This simulation (${lay.P - 1} CEST pools${m.mt ? " + MT" : ""}, Ts ${
        maxMode * g.hS
      } s) needs ~${squarings} ` +
        `squarings per offset, beyond the 65,535 loop iterations per invocation that Mesa's software ` +
        `adapter (lavapipe) allows; use --device cpu, a shorter Ts, or a hardware GPU`,
    );
  }
}
