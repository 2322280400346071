/** Shared test helpers: tolerance checks in llm.c's style and GPU test registration. */
import { getGpu, hasGpu } from "../src/gpu/device.ts";

/** Summary of how far `actual` is from `expected`. */
export interface CloseReport {
  maxAbs: number;
  maxRel: number;
  worst: number;
}

/**
 * Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise. On failure prints the
 * first mismatches and the max abs / relative error; returns the report either way.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  opts: { atol?: number; rtol?: number; label?: string } = {},
): CloseReport {
  const atol = opts.atol ?? 0;
  const rtol = opts.rtol ?? 0;
  const label = opts.label ?? "values";
  if (actual.length !== expected.length) {
    throw new Error(`${label}: length ${actual.length} != expected ${expected.length}`);
  }
  let maxAbs = 0, maxRel = 0, worst = -1;
  const bad: string[] = [];
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    const d = Math.abs(a - e);
    if (!(d <= atol + rtol * Math.abs(e))) {
      if (bad.length < 5) {
        bad.push(`  [${i}] got ${a} expected ${e} (|diff| ${d.toExponential(3)})`);
      }
      if (Number.isNaN(d)) maxAbs = NaN;
    }
    if (d > maxAbs) {
      maxAbs = d;
      worst = i;
    }
    const r = d / Math.max(Math.abs(e), 1e-30);
    if (Math.abs(e) > atol && r > maxRel) maxRel = r;
  }
  if (bad.length) {
    throw new Error(
      `${label}: ${bad.length}+ mismatches (atol ${atol}, rtol ${rtol}); max abs err ${
        maxAbs.toExponential(3)
      }` +
        ` at [${worst}], max rel err ${maxRel.toExponential(3)}\n${bad.join("\n")}`,
    );
  }
  return { maxAbs, maxRel, worst };
}

const _gpuAvailable = await hasGpu();

/** Registers a test that needs a WebGPU device; ignored (and says so) when none exists. */
export function gpuTest(name: string, fn: (device: GPUDevice) => Promise<void> | void): void {
  Deno.test({
    name,
    ignore: !_gpuAvailable,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const { device } = await getGpu();
      await fn(device);
    },
  });
}

/** Fresh random numbers in [lo, hi) from Math.random (tests use new inputs every run). */
export function randomArray(n: number, lo = -1, hi = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * Math.random();
  return a;
}
