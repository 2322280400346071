import { simulateSpectraGpu } from "../../src/physics/gpu_sim.ts";
import { bmSystem } from "../../src/physics/bm_matrix.ts";
import { expm, normInf } from "../../src/physics/expm.ts";
import { loadModel } from "../../src/physics/model_yaml.ts";
const base = await loadModel("/work/shared/reference/bmsim/generated/rat_brain_7T_7pool_tumour_example.yaml");
for (const [np, pools] of [[4, [0,1,2,3]], [5,[0,1,2,3,4]], [9,[0,1,2,3,4,0,1,2,3]]] as [number, number[]][]) {
const m = { ...base, mt: undefined, cest: pools.map((i) => base.cest[i]!) };
const n = 3 * (np + 1);
for (const ts of [1, 5]) {
const p = { b1UT: 1, tsS: ts, start: { kind: "relaxed" as const }, preDelayS: 0, postDelayS: 0, offsetsPpm: new Array(n*n).fill(0) };
const [z] = await simulateSpectraGpu([{ model: m, protocol: p }]);
const { A } = bmSystem(m, 1, 0);
const E = expm(A, ts);
for (let i = 0; i < n; i++) E[i*n+i]! -= 1;
let mx = 0; for (let i = 0; i < n*n; i++) mx = Math.max(mx, Math.abs(z![i]! - E[i]!));
const nrm = normInf(A) * ts;
console.log(np, ts, "s", Math.ceil(Math.log2(nrm / 0.5)), "err", mx.toExponential(2));
}}
