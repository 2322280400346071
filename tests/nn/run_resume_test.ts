/** The one --resume check of a run's config.json, shared by the CLI and train(). */
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { configToJson } from "../../src/nn/checkpoint.ts";
import { resolveConfig } from "../../src/nn/presets.ts";
import { loadResumeConfig } from "../../src/nn/run_resume.ts";
import { InputError } from "../../src/util/errors.ts";
import { withTempDir } from "../_tmp.ts";

Deno.test("loadResumeConfig: reads the run, refuses another arch, model or training settings", async () => {
  await withTempDir({}, async (dir) => {
    const p = `${dir}/config.json`;
    const cfg = resolveConfig("lstm", "tiny", 11, {});
    await assertRejects(
      () => loadResumeConfig(p, { arch: "lstm" }),
      /nothing to resume/,
    );
    await Deno.writeTextFile(p, "{ not json");
    await assertRejects(
      () => loadResumeConfig(p, { arch: "lstm" }),
      /nothing to resume/,
    );
    await Deno.writeTextFile(p, configToJson(cfg));
    assertEquals((await loadResumeConfig(p, { arch: "lstm" })).model, cfg.model);
    // only the epochs may change
    const longer = { ...cfg, train: { ...cfg.train, epochs: cfg.train.epochs + 5 } };
    assertEquals((await loadResumeConfig(p, { arch: "lstm", cfg: longer })).train, cfg.train);
    // the CLI (arch only) and train() (the whole config) refuse with the same message
    const other = resolveConfig("gru", "tiny", 11, {});
    for (const now of [{ arch: "gru" }, { arch: "gru", cfg: other }]) {
      const e = await assertRejects(() => loadResumeConfig(p, now));
      assert(e instanceof InputError);
      assertEquals(
        e.message,
        `${p}: the run was started with model "lstm", not "gru"; use --arch lstm`,
      );
    }
    const wider = resolveConfig("lstm", "tiny", 11, { hidden: cfg.model.hidden + 1 });
    await assertRejects(
      () => loadResumeConfig(p, { arch: "lstm", cfg: wider }),
      /started with model/,
    );
    const faster = { ...cfg, train: { ...cfg.train, lr: cfg.train.lr * 2 } };
    await assertRejects(
      () => loadResumeConfig(p, { arch: "lstm", cfg: faster }),
      /training settings differ/,
    );
  });
});
