import { assert, assertEquals } from "../_assert.ts";
import { quass } from "./_quass.ts";
import { loadModel } from "../../src/nn/checkpoint.ts";
import { SHIPPED_RECIPE, TINY_RECIPE } from "../../src/nn/recipe.ts";
import { exists } from "../../src/util/atomic.ts";
import { withTempDir } from "../_tmp.ts";

Deno.test({
  name: "quass reproduce-model --recipe tiny builds a T1-informed model folder, and re-runs resume",
  sanitizeResources: false,
  fn: async () => {
    await withTempDir({}, async (tmp) => {
      const out = `${tmp}/model`, work = `${tmp}/work`;
      const a = await quass("reproduce-model", "--recipe", "tiny", "--out", out, "--work", work);
      assertEquals(a.code, 0, a.stderr);
      assert(/quass simulate dataset --space wide --n 96/.test(a.stderr), "the recipe is printed");
      const m = await loadModel(out);
      assertEquals(m.config.model.arch, TINY_RECIPE.arch);
      assertEquals(m.config.model.hidden, TINY_RECIPE.hidden);
      assertEquals(m.config.model.input?.kind, "formula");
      assertEquals(m.config.model.input?.targetTsS, 5);
      assertEquals(m.config.model.features, SHIPPED_RECIPE.features);
      assert(
        new RegExp(` --features ${SHIPPED_RECIPE.features.join(",")} `).test(a.stderr),
        "the printed training command names the features",
      );
      assertEquals(m.config.train.snrAugment?.snrMin, SHIPPED_RECIPE.snrMin);
      assertEquals(m.config.train.lrSchedule, "cosine");
      assert(await exists(`${out}/recipe.json`) && await exists(`${out}/config.json`));
      const first = await Deno.readFile(`${out}/model.safetensors`);
      // a second run reuses the dataset and finds the training done: same model
      const b = await quass("reproduce-model", "--recipe", "tiny", "--out", out, "--work", work);
      assertEquals(b.code, 0, b.stderr);
      assert(/reusing/.test(b.stderr), b.stderr);
      assertEquals(await Deno.readFile(`${out}/model.safetensors`), first);
      const bad = await quass("reproduce-model", "--recipe", "huge", "--work", work);
      assertEquals(bad.code, 2);
      assert(/unknown recipe "huge"/.test(bad.stderr), bad.stderr);
    });
  },
});
