import { simulateSpectraGpu } from "../../src/physics/gpu_sim.ts";
import { simulateCpu } from "../../src/physics/cpu_sim.ts";
import { loadModel } from "../../src/physics/model_yaml.ts";
const base = await loadModel("/work/shared/reference/bmsim/generated/rat_brain_7T_7pool_tumour_example.yaml");
const jobs = [];
for (const pools of JSON.parse(Deno.args[0]!) as number[][]) for (const mt of [false, true]) for (const ts of [0.01, 1.5, 5, 50, Infinity]) {
  const m = { ...base, cest: pools.map((i) => base.cest[i]!), mt: mt ? base.mt : undefined };
  const p = { b1UT: 1, tsS: ts, start: { kind: "satrec" as const, tdS: 1.3 }, preDelayS: 0.1, postDelayS: 0.01, offsetsPpm: [-4, -1, 0, 0.5, 2, 3.5], m0OffsetPpm: -300 };
  jobs.push({ model: m, protocol: p });
}
let t = performance.now();
await simulateSpectraGpu(jobs.slice(0,1));
console.log("first (compile) ms", performance.now() - t); t = performance.now();
const z = await simulateSpectraGpu(jobs);
console.log("gpu ms", performance.now() - t);
jobs.forEach((j, k) => {
  const r = simulateCpu(j.model, j.protocol);
  const d = Math.max(...Array.from(z[k]!, (v, i) => Math.abs(v - r[i]!)));
  console.log(j.model.cest.length, !!j.model.mt, j.protocol.tsS, d.toExponential(2));
});
