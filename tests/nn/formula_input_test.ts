import { assert, assertEquals, assertThrows } from "../_assert.ts";
import {
  applyFormulaInput,
  type FormulaInput,
  formulaInputFromProtocol,
} from "../../src/nn/formula_input.ts";
import { simulateCpu } from "../../src/physics/cpu_sim.ts";
import { defaultParamSpace, modelFromParams, sampleParams } from "../../src/physics/param_space.ts";
import {
  linspaceOffsets,
  paperInputProtocol,
  paperTargetProtocol,
} from "../../src/physics/protocol.ts";

const SPEC: FormulaInput = {
  kind: "formula",
  b1UT: 1,
  b0T: 7,
  tsS: 1.5,
  tdS: 4.5,
  targetTsS: 5,
  targetTdS: 1,
};

/** The protocol metadata as data/dataset.ts writes it (Ts = ∞ as "inf"). */
function protocolJson(steady: boolean): string {
  const proto = (p: ReturnType<typeof paperInputProtocol>) => ({
    ...p,
    tsS: Number.isFinite(p.tsS) ? p.tsS : "inf",
  });
  return JSON.stringify({
    input: proto(paperInputProtocol()),
    target: proto(paperTargetProtocol(1, steady)),
  });
}

Deno.test("applyFormulaInput() brings each spectrum, with its own T1, close to its Ts 5 s truth", () => {
  const offs = linspaceOffsets(-6, 6, 25);
  const space = defaultParamSpace();
  const seed = 1 + Math.floor(Math.random() * 1e6);
  const n = 8;
  const x = new Float32Array(n * offs.length);
  const truth: Float64Array[] = [], t1: number[] = [];
  for (let j = 0; j < n; j++) {
    const model = modelFromParams(sampleParams(space, seed, j), space);
    t1.push(model.water.t1S);
    x.set(simulateCpu(model, { ...paperInputProtocol(), offsetsPpm: offs }), j * offs.length);
    truth.push(simulateCpu(model, { ...paperTargetProtocol(), offsetsPpm: offs }));
  }
  const before = Float32Array.from(x);
  const steady = Float32Array.from(x);
  applyFormulaInput(x, n, t1, offs, SPEC);
  applyFormulaInput(steady, n, t1, offs, { ...SPEC, targetTsS: Infinity });
  let sumOut = 0, sumSteady = 0;
  for (let j = 0; j < n; j++) {
    let eIn = 0, eOut = 0;
    for (let k = 0; k < offs.length; k++) {
      const i = j * offs.length + k;
      eIn += Math.abs(before[i]! - truth[j]![k]!);
      eOut += Math.abs(x[i]! - truth[j]![k]!);
      sumSteady += Math.abs(steady[i]! - truth[j]![k]!);
    }
    sumOut += eOut;
    // measured over 200 random models: MAE ≤ 1.0e-2, error ≤ 0.16 × the uncorrected one
    assert(eOut / offs.length < 1.5e-2, `seed ${seed} row ${j}: formula MAE ${eOut / offs.length}`);
    assert(eOut < eIn / 4, `seed ${seed} row ${j}: ${eOut} vs uncorrected ${eIn}`);
  }
  // predicting Ts 5 s beats handing over the steady state (median error ratio 0.07 vs 0.11)
  assert(sumOut < 0.8 * sumSteady, `seed ${seed}: Ts 5 s answer ${sumOut} vs steady ${sumSteady}`);
  // each row used its own T1: swapping the T1s changes the answer
  const swapped = Float32Array.from(before);
  applyFormulaInput(swapped, n, [...t1].reverse(), offs, SPEC);
  assert(swapped.some((v, i) => Math.abs(v - x[i]!) > 1e-4), "T1 per row must matter");
});

Deno.test("applyFormulaInput() refuses a non-positive T1 and a wrong T1 count", () => {
  const offs = [-3, 0, 3];
  assertThrows(() => applyFormulaInput(new Float32Array(6), 2, [1, 0], offs, SPEC), /T1 > 0/);
  assertThrows(() => applyFormulaInput(new Float32Array(6), 2, [1, 1, 1], offs, SPEC), /T1/);
});

Deno.test("formulaInputFromProtocol() reads the input and target protocols of a dataset", () => {
  assertEquals(formulaInputFromProtocol(protocolJson(false), "d.safetensors"), SPEC);
  const steady = formulaInputFromProtocol(protocolJson(true), "d.safetensors");
  assertEquals(steady.targetTsS, Infinity);
  assertThrows(() => formulaInputFromProtocol("", "d.safetensors"), /d\.safetensors: .*protocol/);
  const relaxed = JSON.parse(protocolJson(false));
  relaxed.input.start = { kind: "relaxed" };
  assertThrows(
    () => formulaInputFromProtocol(JSON.stringify(relaxed), "d.safetensors"),
    /saturation-recovery/,
  );
});
