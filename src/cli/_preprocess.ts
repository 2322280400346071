/**
 * The preprocessing flags shared by `predict`, `quass-fit` and `evaluate` (`--b0`,
 * `--wassr`, `--b0-map`, `--b0-map-unit`, `--denoise`): their help texts and their
 * resolution into a preprocess/options.ts choice. The commands declare the flags themselves
 * (typed options) with these texts.
 * @module
 */
import { parseDenoise, type PreprocessChoice, resolveB0Flags } from "../preprocess/options.ts";
import { PCA_CRITERIA } from "../preprocess/pca_denoise.ts";

/** Help texts of the preprocessing flags. */
export const PREPROCESS_HELP = {
  b0:
    "B0 correction: none, or auto (the water shift of each voxel from its own Z-spectrum); the spectra are resampled onto the network's offsets and the B0 map (ppm) is written beside the output",
  wassr: "estimate the B0 shift from this WASSR series (4-D NIfTI, offsets in its sidecar) instead",
  b0Map: 'use this B0 map (3-D NIfTI) instead; unit from its sidecar\'s "unit" or --b0-map-unit',
  b0MapUnit: "unit of --b0-map: ppm or hz",
  denoise: `denoise the masked spectra before prediction: none, or pca[:${
    PCA_CRITERIA.join("|")
  }] (PCA, median criterion by default, then a spatial step against the M0 scan's noise; :nospatial for the PCA alone)`,
} as const;

/** The flags as commander gives them. */
export interface PreprocessFlags {
  b0?: string;
  wassr?: string;
  b0Map?: string;
  b0MapUnit?: string;
  denoise?: string;
}

/** Resolves the flags (InputError on bad or contradictory values). */
export function preprocessFromFlags(o: PreprocessFlags): PreprocessChoice {
  return {
    b0: resolveB0Flags(o),
    denoise: o.denoise === undefined ? { kind: "none" } : parseDenoise(o.denoise),
  };
}
