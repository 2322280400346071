/**
 * Real-engine fixtures for the end-to-end browser test: a small digital phantom and a tiny
 * LSTM-Attention trained (on the GPU) on its noiseless brain spectra (input Ts 1.5 s →
 * reference Ts 5 s), both made through the library. The phantom is simulated with the
 * float64 CPU reference by default: on this shared 2-core machine the first GPU simulation
 * spends over a minute compiling the Bloch–McConnell shaders, which is not what this test
 * is about (`gpu: true` uses the GPU engine).
 * @module
 */
import { makePhantom, type PairSimulator, writePhantom } from "../../src/data/phantom.ts";
import { simulateCpu } from "../../src/physics/cpu_sim.ts";
import { resolveConfig } from "../../src/nn/presets.ts";
import { train } from "../../src/nn/train.ts";
import type { TrainingData } from "../../src/nn/training_data.ts";
import { getGpu } from "../../src/gpu/device.ts";

/** The float64 CPU reference with the PairSimulator signature. */
export const cpuPairs: PairSimulator = (models, input, target) => {
  const T = input.offsetsPpm.length;
  const a = new Float32Array(models.length * T), b = new Float32Array(models.length * T);
  models.forEach((m, i) => {
    a.set(simulateCpu(m, input), i * T);
    b.set(simulateCpu(m, target), i * T);
  });
  return Promise.resolve({ input: a, target: b });
};

/** Writes `dataDir/phantom` and trains `runsDir/tiny`; returns seconds spent on each. */
export async function makeRealRunAndPhantom(
  runsDir: string,
  dataDir: string,
  opts: { size?: number; gpu?: boolean } = {},
): Promise<{ phantomS: number; trainS: number }> {
  const size = opts.size ?? 8;
  const t0 = performance.now();
  const ph = await makePhantom({
    size,
    seed: 1 + Math.floor(Math.random() * 1000),
    snr: 100,
    simulate: opts.gpu ? undefined : cpuPairs,
  });
  await writePhantom(`${dataDir}/phantom`, ph);
  const t1 = performance.now();
  const nvox = size * size, T = ph.offsetsPpm.length;
  const brain: number[] = [];
  for (let v = 0; v < nvox; v++) if (ph.maps.mask[v]) brain.push(v);
  const n = brain.length;
  const input = new Float32Array(n * T), target = new Float32Array(n * T);
  brain.forEach((v, j) => {
    for (let k = 0; k < T; k++) {
      input[j * T + k] = ph.inputClean[k * nvox + v]!;
      target[j * T + k] = ph.reference[k * nvox + v]!;
    }
  });
  const idx = Array.from({ length: n }, (_, i) => i);
  const data: TrainingData = {
    input,
    target,
    n,
    T,
    offsetsPpm: ph.offsetsPpm,
    protocol: "",
    trainIdx: Uint32Array.from(idx.filter((i) => i % 5 !== 0)),
    valIdx: Uint32Array.from(idx.filter((i) => i % 5 === 0)),
    source: "phantom spectra",
  };
  const { device } = await getGpu();
  await train(device, data, resolveConfig("lstm-attention", "tiny", T, { epochs: 2 }), {
    out: `${runsDir}/tiny`,
  });
  return { phantomS: (t1 - t0) / 1000, trainS: (performance.now() - t1) / 1000 };
}

if (import.meta.main) {
  const root = await Deno.makeTempDir({ prefix: "quass-e2e-" });
  await Deno.mkdir(`${root}/runs`);
  await Deno.mkdir(`${root}/data`);
  console.log(root, await makeRealRunAndPhantom(`${root}/runs`, `${root}/data`));
}
