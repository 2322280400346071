/**
 * The device kit (scripts/device_kit.sh, device_kit_prune.ts, device_run.sh, bench/device.ts):
 * unit checks of its pure helpers (always), and — opt-in, `deno task test:kit` (sets
 * QUASS_TEST_KIT=1; ~1–3 min, compresses deno the first time) — the whole path: build the
 * kit, clone the repo into a temporary folder, add only .device/, and run
 * `scripts/device_run.sh quick` there with an empty HOME, no deno on PATH, the kit's Vulkan
 * loader and, where `unshare -n` is permitted, no network.
 */
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { closure, parsePackageId } from "../../scripts/device_kit_prune.ts";
import {
  devicePlan,
  fitsBudget,
  lastProgress,
  MODE_LIMIT_S,
  planBudgetS,
} from "../../bench/device.ts";
import { withTempDir } from "../_tmp.ts";

Deno.test("parsePackageId() splits scoped ids and drops the peer suffix", () => {
  assertEquals(parsePackageId("@tensorflow/tfjs-layers@4.22.0_@tensorflow+tfjs-core@4.22.0"), {
    name: "@tensorflow/tfjs-layers",
    version: "4.22.0",
  });
  assertEquals(parsePackageId("yaml@2.9.1"), { name: "yaml", version: "2.9.1" });
  assertThrows(() => parsePackageId("yaml"));
});

Deno.test("closure() follows lockfile dependencies written with and without versions", () => {
  const lock = {
    "a@1.0.0": { dependencies: ["b", "c@2.0.0"] },
    "b@1.0.0": { dependencies: ["c@1.0.0"] },
    "c@1.0.0": {},
    "c@2.0.0": {},
    "unused@1.0.0": { dependencies: ["a"] },
  };
  assertEquals([...closure(lock, ["a@1.0.0"])].sort(), [
    "a@1.0.0",
    "b@1.0.0",
    "c@1.0.0",
    "c@2.0.0",
  ]);
  // an unversioned name with two versions in the lock is ambiguous
  assertThrows(() => closure({ "x@1.0.0": { dependencies: ["c"] }, ...lock }, ["x@1.0.0"]));
});

Deno.test("device plans: full fits 8 minutes, quick is short; the ladder stops by prediction", () => {
  const full = devicePlan("full"), quick = devicePlan("quick");
  assert(planBudgetS(full) <= MODE_LIMIT_S.full, `full: ${planBudgetS(full)} s`);
  assert(MODE_LIMIT_S.full + 30 <= 8 * 60);
  assert(planBudgetS(quick) <= MODE_LIMIT_S.quick, `quick: ${planBudgetS(quick)} s`);
  assertEquals(Math.max(...full.simSizes), 350000);
  assert(full.simSizes.includes(full.trainPairs) && quick.simSizes.includes(quick.trainPairs));
  assert(full.train.args.join(" ").includes("--preset paper"));
  assert(fitsBudget(1000, null, 0)); // the first size always runs
  assert(fitsBudget(1000, 100, 10) && !fitsBudget(1001, 100, 10));
});

Deno.test("lastProgress() reads the last progress line of util/progress.ts", () => {
  const log = "epoch 1/1 [░░] 0% 0/210 samples | – samples/s | ETA 0s\n" +
    "epoch 1/1 [██] 50% 105/210 samples | 900.5 samples/s | ETA 1s\n" +
    "epoch 1/1 [██] 100% 210/210 samples | 1927.9 samples/s | ETA 0s | loss 1.4e-2\n";
  assertEquals(lastProgress(log), { done: 210, total: 210, rate: 1927.9 });
  assertEquals(lastProgress("nothing here"), null);
});

const root = new URL("../../", import.meta.url).pathname;

async function sh(cmd: string[], opts: Deno.CommandOptions = {}): Promise<string> {
  const r = await new Deno.Command(cmd[0]!, {
    args: cmd.slice(1),
    ...opts,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const out = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  if (!r.success) throw new Error(`${cmd.join(" ")} failed:\n${out.slice(-4000)}`);
  return out;
}

Deno.test({
  name: "device kit: built here, run offline in a fresh clone (quick) — opt-in: deno task test:kit",
  ignore: !Deno.env.get("QUASS_TEST_KIT"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await sh(["sh", "scripts/device_kit.sh"], { cwd: root });
    const kitMiB = Number((await sh(["du", "-sm", `${root}/.device`])).split(/\s/)[0]);
    assert(kitMiB <= 60, `kit ${kitMiB} MiB`);
    await withTempDir({ prefix: "quass-kit-test-" }, async (tmp) => {
      await sh(["git", "clone", "-q", root, `${tmp}/clone`]);
      await sh(["cp", "-a", `${root}/.device`, `${tmp}/clone/.device`]);
      await Deno.mkdir(`${tmp}/home`);
      const env = ["env", "-i", `HOME=${tmp}/home`, "PATH=/usr/bin:/bin", "QUASS_KIT_LOADER=1"];
      const run = ["sh", "scripts/device_run.sh", "quick", `${tmp}/out`];
      let offline = true;
      try {
        await sh(["unshare", "-n", "true"]);
      } catch {
        offline = false; // not permitted here: empty HOME and PATH only
        console.warn("device kit test: unshare -n not permitted; running with network");
      }
      const t0 = performance.now();
      const log = await sh(offline ? ["unshare", "-n", ...env, ...run] : [...env, ...run], {
        cwd: `${tmp}/clone`,
      });
      console.log(`device_run.sh quick: ${((performance.now() - t0) / 1e3).toFixed(1)} s`);
      assert(/from the kit:.*libvulkan\.so\.1/.test(log), log.slice(-2000));
      const report = JSON.parse(await Deno.readTextFile(`${tmp}/out/device.json`));
      assert(report.sim.length >= 1 && report.sim[0].pairsPerS > 0);
      assert(report.train.finished, JSON.stringify(report.train));
      for (const s of report.stages) assert(s.ok, JSON.stringify(s));
      await Deno.stat(`${tmp}/out/bench/RESULTS.md`);
      // nothing was installed into the clone or HOME
      for (const p of [`${tmp}/clone/node_modules`, `${tmp}/home/.cache`]) {
        assert(!(await Deno.stat(p).then(() => true, () => false)), `${p} exists`);
      }
    });
  },
});
