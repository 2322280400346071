/**
 * `quass train`'s run directory: the dataset it records and `--resume` checks, the lock that
 * keeps a second trainer out, and the leftovers of an interrupted run.
 */
import { assert, assertEquals } from "../_assert.ts";
import { gpuTest } from "../_util.ts";
import { runPaths } from "../../src/nn/checkpoint.ts";
import { RUN_LOCK } from "../../src/nn/run_dir.ts";
import { assertInputError, listTree, TINY_TRAIN, tinyDataset, trainTiny } from "./_files.ts";
import { quass } from "./_quass.ts";
import { withTempDir } from "../_tmp.ts";

/** `quass train` resuming `run` on `data` up to epoch 2. */
function resumeTo2(data: string, run: string): string[] {
  return [...TINY_TRAIN, "--epochs", "2", "--resume", "--data", data, "--out", run];
}

/** A finished one-epoch run in `${dir}/run` on `${dir}/a.safetensors`. */
async function _run(dir: string): Promise<string> {
  await tinyDataset(`${dir}/a.safetensors`, 1);
  const run = `${dir}/run`;
  const r = await trainTiny(`${dir}/a.safetensors`, run, "--epochs", "1");
  assertEquals(r.code, 0, r.stderr);
  return run;
}

gpuTest(
  "train records its dataset; --resume with another --data exits 2, the same bytes resume",
  async () => {
    await withTempDir({ prefix: "quass_run_data_" }, async (dir) => {
      const run = await _run(dir);
      const cfg = JSON.parse(await Deno.readTextFile(runPaths(run).config));
      const bytes = await Deno.readFile(`${dir}/a.safetensors`);
      const sha = Array.from(
        new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)),
        (b) => b.toString(16).padStart(2, "0"),
      ).join("");
      assertEquals(cfg.dataset, { path: `${dir}/a.safetensors`, bytes: bytes.length, sha256: sha });

      await tinyDataset(`${dir}/b.safetensors`, 2);
      const files = await listTree(run);
      const log = await Deno.readTextFile(runPaths(run).log);
      const r = await quass(...resumeTo2(`${dir}/b.safetensors`, run));
      assertInputError(r, [
        `--data ${dir}/b.safetensors`,
        `trained on (${dir}/a.safetensors`,
        `Resume with --data ${dir}/a.safetensors`,
        "drop --resume and give another --out",
      ]);
      assertEquals(await listTree(run), files, "run directory unchanged");
      assertEquals(await Deno.readTextFile(runPaths(run).log), log, "log unchanged");

      // the same bytes under another name resume
      await Deno.copyFile(`${dir}/a.safetensors`, `${dir}/copy.safetensors`);
      const ok = await quass(...resumeTo2(`${dir}/copy.safetensors`, run));
      assertEquals(ok.code, 0, ok.stderr);
      assertEquals((await Deno.readTextFile(runPaths(run).log)).trim().split("\n").length, 3);
    });
  },
);

gpuTest("a run made before the dataset record resumes with a warning", async () => {
  await withTempDir({ prefix: "quass_run_old_" }, async (dir) => {
    const run = await _run(dir);
    const cfg = JSON.parse(await Deno.readTextFile(runPaths(run).config));
    delete cfg.dataset;
    await Deno.writeTextFile(runPaths(run).config, JSON.stringify(cfg, null, 2));
    const r = await quass(...resumeTo2(`${dir}/a.safetensors`, run));
    assertEquals(r.code, 0, r.stderr);
    assert(/warning: .*config\.json records no dataset hash/.test(r.stderr), r.stderr);
  });
});

gpuTest(
  "a second train on a locked run directory exits 2; a dead holder's lock and leftovers are cleaned",
  async () => {
    await withTempDir({ prefix: "quass_run_lock_" }, async (dir) => {
      const run = await _run(dir);
      assert(!(await listTree(run)).includes(RUN_LOCK), "lock released after the run");
      const lock = `${run}/${RUN_LOCK}`;
      const host = Deno.hostname();
      // held by a live process (this test): refused, nothing touched
      await Deno.writeTextFile(lock, JSON.stringify({ pid: Deno.pid, host, started: "now" }));
      const files = await listTree(run);
      const resume = resumeTo2(`${dir}/a.safetensors`, run);
      const r1 = await quass(...resume);
      assertInputError(r1, [`--out ${run}`, `pid ${Deno.pid}`, "another --out", `delete ${lock}`]);
      const r2 = await trainTiny(`${dir}/a.safetensors`, run);
      assertInputError(r2, [`pid ${Deno.pid}`]);
      assertEquals(await listTree(run), files, "nothing touched");

      // held by a process that is gone, with the temporary files of its interrupted writes
      const gone = new Deno.Command("true").spawn();
      await gone.status;
      await Deno.writeTextFile(lock, JSON.stringify({ pid: gone.pid, host, started: "then" }));
      const stale = ["config.json.4242.0badcafe.tmp", "log.jsonl.4242.deadbeef.tmp"];
      for (const f of stale) await Deno.writeTextFile(`${run}/${f}`, "half");
      const r3 = await quass(...resume);
      assertEquals(r3.code, 0, r3.stderr);
      assert(
        r3.stderr.includes(`took over the lock of an earlier quass train (pid ${gone.pid}`),
        r3.stderr,
      );
      assert(r3.stderr.includes(`removed 2 temporary file(s)`), r3.stderr);
      const after = await listTree(run);
      assert(!after.includes(RUN_LOCK) && stale.every((f) => !after.includes(f)), after.join(", "));
      assertEquals((await Deno.readTextFile(runPaths(run).log)).trim().split("\n").length, 3);
    });
  },
);

gpuTest("a new run that fails before its first epoch leaves no run directory behind", async () => {
  await withTempDir({ prefix: "quass_run_fail_" }, async (dir) => {
    await tinyDataset(`${dir}/a.safetensors`);
    // fails inside the trainer, after config.json was written: no 64-spectrum slice fits 1
    const r = await trainTiny(`${dir}/a.safetensors`, `${dir}/run`, "--max-slice", "1");
    assertEquals(r.code, 2, r.stderr);
    assert(r.stderr.includes("batch slice") && r.stderr.includes("raise --max-slice"), r.stderr);
    assertEquals(await listTree(dir), ["a.safetensors"]);
  });
});
