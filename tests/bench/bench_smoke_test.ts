/**
 * Smoke test of the benchmark harness: the `deno task bench all --quick` equivalent (into a
 * temporary directory) runs, compares every baseline's outputs with ours before timing,
 * and writes well-formed results; plus unit checks of the harness' own arithmetic. It
 * asserts that the harness works and the outputs agree — not that we are fast.
 */
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { gpuTest } from "../_util.ts";
import {
  checkAgree,
  DisagreementError,
  finishCase,
  floorMs,
  type Peak,
  timeRuns,
} from "../../bench/harness.ts";
import { runBench } from "../../bench/main.ts";
import { readGroups } from "../../bench/report.ts";
import { withTempDir } from "../_tmp.ts";

Deno.test("checkAgree() returns the max |diff| within tolerance and throws DisagreementError beyond it", () => {
  const a = Float32Array.from({ length: 100 }, () => Math.random());
  const b = a.map((v, i) => v + (i === 7 ? 1e-6 : 0));
  const d = checkAgree("close", a, b, { atol: 1e-5, rtol: 0 });
  assert(d > 0 && d <= 1e-5 + 1e-7, `max |diff| ${d}`);
  const c = a.map((v, i) => v + (i === 42 ? 1e-3 : 0));
  const e = assertThrows(
    () => checkAgree("far", a, c, { atol: 1e-5, rtol: 1e-4 }),
    /first at \[42\]/,
  );
  assert(e instanceof DisagreementError, "a DisagreementError");
  assert(
    assertThrows(() => checkAgree("length", a, a.subarray(1), { atol: 1, rtol: 1 })) instanceof
      DisagreementError,
  );
});

Deno.test("timeRuns() excludes the warm-up, repeats to the target and reports median within min–max", async () => {
  let calls = 0;
  const sleepMs = 3 + Math.random() * 3;
  const t = await timeRuns(async (iters) => {
    calls += iters;
    await new Promise((r) => setTimeout(r, sleepMs * iters));
  }, { runs: 5, targetMs: 20 });
  assertEquals(t.runsMs.length, 5);
  assert(t.iters >= 2, `iters ${t.iters} should reach the 20 ms target`);
  assert(t.minMs <= t.medianMs && t.medianMs <= t.maxMs, "median within min–max");
  assert(
    t.medianMs >= sleepMs * 0.9,
    `per-iteration median ${t.medianMs} below the sleep ${sleepMs}`,
  );
  assertEquals(calls, 2 + 5 * t.iters); // warm-up + sizing call + timed runs
});

Deno.test("floorMs() is the larger of the compute and memory bounds; finishCase() derives % of peak", () => {
  const peak: Peak = { flopsPerS: 1e9, bytesPerS: 1e9, syncMs: 10, note: "" };
  assertEquals(floorMs(2e9, 1e6, peak), 2000);
  assertEquals(floorMs(1e6, 3e9, peak), 3000);
  const t = { medianMs: 4000, minMs: 4000, maxMs: 4000, runsMs: [4000], iters: 1, firstMs: 4000 };
  const c = finishCase(
    {
      group: "g",
      name: "n",
      size: "s",
      shape: "",
      flops: 2e9,
      bytes: 0,
      results: [{ impl: "ours", timing: t }],
    },
    peak,
  );
  assertEquals(c.results[0]!.fractionOfPeak, 0.5);
  assertEquals(c.results[0]!.flopsPerS, 5e8);
});

gpuTest(
  "deno task bench all --quick: every group runs, baselines agree with ours, results are written",
  async () => {
    await withTempDir({ prefix: "quass_bench_" }, async (out) => {
      const t0 = performance.now();
      const done = await runBench("all", {
        quick: true,
        out,
        md: `${out}/RESULTS.md`,
        budgetS: 15,
      });
      const s = (performance.now() - t0) / 1e3;
      console.log(`bench all --quick took ${s.toFixed(0)} s`);
      for (const g of ["layers", "train", "infer"]) {
        const cases = done[g];
        assert(cases && cases.length > 0, `group ${g} produced cases`);
        let compared = 0;
        for (const c of cases) {
          const ours = c.results.find((r) => r.impl === "ours");
          assert(ours?.timing, `${c.name}: ours was timed (${ours?.skipped ?? ""})`);
          assert(ours.timing.runsMs.length >= 5, `${c.name}: ≥ 5 timed runs`);
          assert(
            ours.timing.medianMs > 0 && c.flops > 0 && c.bytes > 0 && c.floorMs! > 0,
            `${c.name}: napkin math filled`,
          );
          for (const r of c.results) {
            if (r.impl === "ours") continue;
            assert(r.timing || r.skipped, `${c.name} ${r.impl}: timed or skipped with a reason`);
            if (r.maxAbsDiff !== undefined) compared++;
          }
        }
        assert(
          compared >= cases.length,
          `${g}: baselines compared with ours (${compared} comparisons)`,
        );
      }
      const sim = done.sim?.[0];
      assert(sim, "the simulation group ran");
      assert(
        sim.results.some((r) => r.impl === "ours (CPU f64)" && r.timing),
        "the f64 reference was timed",
      );
      for (
        const r of sim.results.filter((r) => r.impl.includes("scipy") || r.impl.includes("numpy"))
      ) {
        assert(r.skipped || r.maxAbsDiff! <= 1e-7, `${r.impl} agrees with the f64 reference`);
      }
      const groups = await readGroups(out);
      assert(groups.length >= 4, "group JSON files written");
      const md = await Deno.readTextFile(`${out}/RESULTS.md`);
      assert(
        md.includes("ours vs tfjs-webgpu") && md.includes("llvmpipe uses all cores"),
        "RESULTS.md has ratios and caveats",
      );
    });
  },
);
