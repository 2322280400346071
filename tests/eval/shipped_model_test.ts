/**
 * The shipped pretrained model (models/quass-7t-cw) on an unseen suite phantom: it must be
 * closer to the Ts 5 s reference than the like-for-like analytic formula, which gets the
 * same true T1 map, on clean and on SNR-100 input.
 */
import { gpuTest } from "../_util.ts";
import { assert } from "../_assert.ts";
import { DEFAULT_MODEL_DIR } from "../../src/eval/predict_volume.ts";
import { loadRunPredictor } from "../../src/eval/run_predictor.ts";
import {
  formulaMethod,
  inputMethod,
  networkMethod,
  runQualitySuite,
  suiteCase,
} from "../../src/eval/quality_suite.ts";
import { simulateSuitePhantom } from "../../src/data/suite_phantoms.ts";

gpuTest(
  "the shipped model beats the like-for-like formula on unseen phantoms (SNR ∞, 100)",
  async () => {
    const run = await loadRunPredictor(DEFAULT_MODEL_DIR);
    assert(run.needsT1, "the shipped model is T1-informed");
    for (const name of ["human-axial", "tumour"]) {
      const ph = await simulateSuitePhantom(name, { size: 20 });
      const rows = await runQualitySuite(
        [suiteCase(ph, Infinity), suiteCase(ph, 100)],
        [networkMethod(run, "shipped"), formulaMethod(), inputMethod()],
      );
      for (const snr of [null, 100]) {
        const mae = (kind: string) => rows.find((r) => r.snr === snr && r.kind === kind)!.score.mae;
        console.log(
          `${name} SNR ${snr ?? "∞"}: shipped ${mae("network").toExponential(3)}, formula ${
            mae("formula").toExponential(3)
          }, input ${mae("input").toExponential(3)}`,
        );
        assert(
          mae("network") < mae("formula"),
          `${name} SNR ${snr ?? "∞"}: the shipped model must win`,
        );
      }
    }
  },
);
