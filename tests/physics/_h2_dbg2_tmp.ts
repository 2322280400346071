import { simulateSpectraGpu } from "../../src/physics/gpu_sim.ts";
import { simulateCpu } from "../../src/physics/cpu_sim.ts";
import { loadModel } from "../../src/physics/model_yaml.ts";
const base = await loadModel("/work/shared/reference/bmsim/generated/rat_brain_7T_7pool_tumour_example.yaml");
for (const npools of [1, 4, 5]) for (const noff of [3]) {
  const m = { ...base, cest: base.cest.slice(0, npools), mt: undefined };
  const p = { b1UT: 1, tsS: Number(Deno.args[0]), start: { kind: "relaxed" as const }, preDelayS: 0, postDelayS: 0, offsetsPpm: Array.from({length: noff}, (_, i) => i * 0.01) };
  const [z] = await simulateSpectraGpu([{ model: m, protocol: p }]);
  const r = simulateCpu(m, p);
  const d = Array.from(z!, (v, i) => Math.abs(v - r[i]!));
  console.log(npools, noff, Math.max(...d).toExponential(2), d.map((v) => v > 1e-4 ? 1 : 0).join(""));
}
