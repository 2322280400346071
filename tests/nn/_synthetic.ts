/**
 * A small synthetic paired dataset with a known mapping, for trainer tests: targets are
 * Lorentzian Z-spectra (water, amide at +3.5 ppm, NOE at −3.5 ppm, a broad MT term);
 * inputs are what a short saturation would leave of them under a simple known law,
 * z_in = 1 − (1 − z)·(1 − exp(−1.5·(1 + z))). Seeded, so tests are repeatable.
 */
import { Rng } from "../../src/util/rng.ts";
import { linspaceOffsets } from "../../src/physics/protocol.ts";
import type { SafeTensors } from "../../src/data/safetensors.ts";
import { type TrainingData, trainingDataFrom } from "../../src/nn/training_data.ts";

function lorentz(x: number, c: number, w: number): number {
  const d = (x - c) / (w / 2);
  return 1 / (1 + d * d);
}

/** n pairs on T offsets from −6 to 6 ppm, first `nVal` of a seeded order for validation. */
export function syntheticDataset(n: number, T: number, seed: number, nVal: number): SafeTensors {
  const rng = new Rng(seed, 99);
  const offs = linspaceOffsets(-6, 6, T);
  const input = new Float32Array(n * T), target = new Float32Array(n * T);
  for (let s = 0; s < n; s++) {
    const aw = rng.range(0.6, 0.95), ww = rng.range(0.6, 1.6);
    const aa = rng.range(0, 0.12), wa = rng.range(0.4, 1.2);
    const an = rng.range(0, 0.15), wn = rng.range(0.8, 2);
    const am = rng.range(0, 0.2);
    offs.forEach((o, i) => {
      const sat = aw * lorentz(o, 0, ww) + aa * lorentz(o, 3.5, wa) + an * lorentz(o, -3.5, wn) +
        am * lorentz(o, -1, 25);
      const z = Math.max(0, 1 - Math.min(sat, 1));
      target[s * T + i] = z;
      input[s * T + i] = 1 - (1 - z) * (1 - Math.exp(-1.5 * (1 + z)));
    });
  }
  const split = new Uint8Array(n);
  split.fill(1, 0, nVal);
  return {
    tensors: {
      input: { data: input, shape: [n, T] },
      target: { data: target, shape: [n, T] },
      offsets_ppm: { data: Float32Array.from(offs), shape: [T] },
      split: { data: split, shape: [n] },
    },
    metadata: { protocol: JSON.stringify({ synthetic: true }) },
  };
}

/** {@link syntheticDataset} as the trainer's input, named `source`. */
export function syntheticTrainingData(
  n: number,
  T: number,
  seed: number,
  nVal: number,
  source = "synthetic",
): TrainingData {
  return trainingDataFrom(syntheticDataset(n, T, seed, nVal), source);
}
