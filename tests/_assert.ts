/** Assertions for tests (node:assert underneath; @std/assert is not installable here). */
import nodeAssert from "node:assert/strict";

/** Deep strict equality. */
export function assertEquals<T>(actual: T, expected: T, msg?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, msg);
}

/** Truthiness. */
export function assert(cond: unknown, msg?: string): asserts cond {
  nodeAssert.ok(cond, msg);
}

/** |a − b| ≤ tol. */
export function assertAlmostEquals(a: number, b: number, tol: number, msg?: string): void {
  if (!(Math.abs(a - b) <= tol)) {
    throw new Error(`${msg ?? "values differ"}: ${a} vs ${b} (|diff| ${Math.abs(a - b)} > ${tol})`);
  }
}

/** `fn` throws an error whose message matches `re`; returns the error. */
export function assertThrows(fn: () => unknown, re?: RegExp): Error {
  try {
    fn();
  } catch (e) {
    if (re && !re.test(String((e as Error).message))) {
      throw new Error(`error message "${(e as Error).message}" does not match ${re}`);
    }
    return e as Error;
  }
  throw new Error("expected a throw");
}

/** `fn` rejects with an error whose message matches `re`; returns the error. */
export async function assertRejects(fn: () => Promise<unknown>, re?: RegExp): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    if (re && !re.test(String((e as Error).message))) {
      throw new Error(`error message "${(e as Error).message}" does not match ${re}`);
    }
    return e as Error;
  }
  throw new Error("expected a rejection");
}
