/**
 * The preprocessing with the shipped model on small phantoms: relations measured in the test
 * (the model may be replaced; no numbers of its own are assumed): B0-corrected MAE close to
 * the same phantom without the field, denoised better than noisy, clean input barely moved.
 */
import { gpuTest } from "../_util.ts";
import { assert } from "../_assert.ts";
import { DEFAULT_MODEL_DIR } from "../../src/eval/predict_volume.ts";
import { loadRunPredictor } from "../../src/eval/run_predictor.ts";
import { makePhantom } from "../../src/data/phantom.ts";
import { scorePhantomPreprocessing } from "../../src/eval/preprocess_quality.ts";
import type { PreprocessChoice } from "../../src/preprocess/options.ts";

const choice = (b0: boolean, denoise: boolean): PreprocessChoice => ({
  b0: b0 ? { kind: "auto" } : { kind: "none" },
  denoise: denoise ? { kind: "pca", criterion: "median", spatial: true } : { kind: "none" },
});

gpuTest(
  "preprocessing on 16×16 phantoms with the shipped model: --b0 auto ≈ no field, --denoise pca beats noisy, clean input kept",
  async () => {
    const run = await loadRunPredictor(DEFAULT_MODEL_DIR);
    const seed = 1 + Math.floor(Math.random() * 1000);
    const base = { size: 16, seed, snr: 100 };
    const [plain, field, clean] = await Promise.all([
      makePhantom(base),
      makePhantom({ ...base, b0ShiftPpm: 0.3 }),
      makePhantom({ ...base, snr: Infinity }),
    ]);
    const ref = await scorePhantomPreprocessing(plain, choice(false, false), run);
    const uncorrected = await scorePhantomPreprocessing(field, choice(false, false), run);
    const corrected = await scorePhantomPreprocessing(field, choice(true, false), run);
    const denoised = await scorePhantomPreprocessing(plain, choice(false, true), run);
    const cleanRef = await scorePhantomPreprocessing(clean, choice(false, false), run);
    const cleanDn = await scorePhantomPreprocessing(clean, choice(false, true), run);
    const f = (x: number) => x.toExponential(3);
    console.log(
      `seed ${seed}: no field ${f(ref.mae)}, B0 field ${f(uncorrected.mae)} → --b0 auto ${
        f(corrected.mae)
      } (B0 RMS ${corrected.b0RmsPpm!.toFixed(4)} ppm); --denoise pca ${f(denoised.mae)}; clean ${
        f(cleanRef.mae)
      } → ${f(cleanDn.mae)}`,
    );
    assert(corrected.b0RmsPpm! <= 0.02, `B0 RMS ${corrected.b0RmsPpm} ppm`);
    assert(uncorrected.mae > 1.3 * ref.mae, "the field must hurt uncorrected");
    assert(corrected.mae <= 1.15 * ref.mae, "B0-corrected within 15 % of no field");
    assert(denoised.mae < 0.8 * ref.mae, "denoised clearly better than noisy");
    assert(cleanDn.mae <= 1.05 * cleanRef.mae, "clean input: at most 5 % lost");
  },
);
