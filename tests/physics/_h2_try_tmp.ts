import { loadModel } from "/work/main/src/physics/model_yaml.ts";
import { simulateCpu } from "/work/main/src/physics/cpu_sim.ts";
import { simulateSpectraGpu, simulatePairsGpu } from "/work/main/src/physics/gpu_sim.ts";
import { paperInputProtocol, paperTargetProtocol } from "/work/main/src/physics/protocol.ts";
const m = await loadModel("/work/shared/reference/bmsim/generated/rat_brain_7T_7pool_tumour_example.yaml");
for (const p of [paperInputProtocol(1), paperTargetProtocol(1), paperTargetProtocol(1, true)]) {
  let t0 = performance.now();
  const [z] = await simulateSpectraGpu([{ model: m, protocol: p }]);
  const t1 = performance.now();
  const r = simulateCpu(m, p);
  const t2 = performance.now();
  let mx = 0; for (let i = 0; i < r.length; i++) mx = Math.max(mx, Math.abs(z![i]! - r[i]!));
  console.log(p.tsS, "maxdiff", mx, "gpu ms", (t1-t0).toFixed(1), "cpu ms", (t2-t1).toFixed(1), z![50], r[50]);
}
const models = Array.from({length: 64}, () => m);
let t0 = performance.now();
const pr = await simulatePairsGpu(models, paperInputProtocol(1), paperTargetProtocol(1));
console.log("pairs 64 ms", performance.now()-t0);
const ri = simulateCpu(m, paperInputProtocol(1)), rt = simulateCpu(m, paperTargetProtocol(1));
let mx = 0; for (let i = 0; i < 101; i++) mx = Math.max(mx, Math.abs(pr.input[63*101+i]! - ri[i]!), Math.abs(pr.target[63*101+i]! - rt[i]!));
console.log("pairs maxdiff", mx);
