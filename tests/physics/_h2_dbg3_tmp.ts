import { simulateSpectraGpu } from "../../src/physics/gpu_sim.ts";
import { loadModel } from "../../src/physics/model_yaml.ts";
const base = await loadModel("/work/shared/reference/bmsim/generated/rat_brain_7T_7pool_tumour_example.yaml");
for (const np of [4, 5]) {
const m = { ...base, mt: undefined, cest: base.cest.slice(0, np) };
const n = 3 * (np + 1);
const p = { b1UT: 1, tsS: Number(Deno.args[0]), start: { kind: "relaxed" as const }, preDelayS: 0, postDelayS: 0, offsetsPpm: [0,0,0,0,0] };
const [z] = await simulateSpectraGpu([{ model: m, protocol: p }]);
console.log(Array.from(z!.slice(0, n), v => v.toFixed(4)).join(" "));
console.log(Array.from(z!.slice(0,0), v => v.toFixed(4)).join(" "));
}
