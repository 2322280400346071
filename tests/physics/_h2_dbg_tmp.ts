import { simulateSpectraGpu } from "../../src/physics/gpu_sim.ts";
import { simulateCpu } from "../../src/physics/cpu_sim.ts";
import { loadModel } from "../../src/physics/model_yaml.ts";
const m = await loadModel("/work/shared/reference/bmsim/generated/rat_brain_7T_7pool_tumour_example.yaml");
for (const ts of [0.001, 0.01, 0.1, 1.5]) {
  const p = { b1UT: 1, tsS: ts, start: { kind: "relaxed" as const }, preDelayS: 0, postDelayS: 0, offsetsPpm: [0, 1, 3.5] };
  const [z] = await simulateSpectraGpu([{ model: m, protocol: p }]);
  console.log(ts, Array.from(z!), Array.from(simulateCpu(m, p)));
}
