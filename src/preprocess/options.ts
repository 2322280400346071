/**
 * The preprocessing choices of a real scan, as the CLI flags (`--b0`, `--wassr`, `--b0-map`,
 * `--b0-map-unit`, `--denoise`) and the dashboard's form fields spell them, parsed in one
 * place so both fronts accept and reject the same text.
 * @module
 */
import { InputError } from "../util/errors.ts";
import { DEFAULT_PCA_CRITERION, PCA_CRITERIA, type PcaCriterion } from "./pca_denoise.ts";

/** Unit of a given B0 map. */
export type B0MapUnit = "ppm" | "hz";

/** Where the B0 shift comes from. */
export type B0Source =
  | { kind: "none" }
  /** Estimated from the Z-spectra themselves. */
  | { kind: "auto" }
  /** Estimated from a WASSR series (a 4-D NIfTI with offsets in its sidecar). */
  | { kind: "wassr"; path: string }
  /** A given map (3-D NIfTI); the unit from the flag, else its sidecar's "unit". */
  | { kind: "map"; path: string; unit?: B0MapUnit };

/**
 * Whether and how to denoise: PCA with a criterion for k, then (unless `spatial` is false)
 * the spatial step of spatial_denoise.ts (M0 noise, guided neighbourhood average).
 */
export type DenoiseChoice =
  | { kind: "none" }
  | { kind: "pca"; criterion: PcaCriterion; spatial: boolean };

/** The preprocessing of one scan. */
export interface PreprocessChoice {
  b0: B0Source;
  denoise: DenoiseChoice;
}

/** No preprocessing (the input is used as it is). */
export const NO_PREPROCESSING: PreprocessChoice = {
  b0: { kind: "none" },
  denoise: { kind: "none" },
};

/** True when `c` asks for any preprocessing stage. */
export function wantsPreprocessing(c: PreprocessChoice): boolean {
  return c.b0.kind !== "none" || c.denoise.kind !== "none";
}

/**
 * Parses `--denoise`: `none`, `pca` (the default criterion, median) or
 * `pca:median|malinowski|nelson`, optionally followed by `:nospatial` (the PCA alone, without
 * the spatial step).
 * @throws InputError naming the flag and the accepted values
 * @example
 * parseDenoise("pca:nelson"); // { kind: "pca", criterion: "nelson", spatial: true }
 */
export function parseDenoise(text: string, flag = "--denoise"): DenoiseChoice {
  const t = text.trim().toLowerCase();
  if (t === "none" || t === "") return { kind: "none" };
  const [head, ...mods] = t.split(":");
  let criterion: PcaCriterion = DEFAULT_PCA_CRITERION, spatial = true, crits = 0;
  let ok = head === "pca" && mods.length <= 2;
  for (const m of mods) {
    if ((PCA_CRITERIA as readonly string[]).includes(m)) {
      criterion = m as PcaCriterion;
      crits++;
    } else if (m === "nospatial") spatial = false;
    else ok = false;
  }
  if (!ok || crits > 1) {
    throw new InputError(
      `${flag} "${text}": expected none, pca or pca:${
        PCA_CRITERIA.join("|")
      }, optionally with :nospatial (e.g. ${flag} pca:median)`,
    );
  }
  return { kind: "pca", criterion, spatial };
}

/** Parses a B0 map unit: `ppm` or `hz` (any case). */
export function parseB0MapUnit(text: string, what = "--b0-map-unit"): B0MapUnit {
  const t = text.trim().toLowerCase();
  if (t === "ppm" || t === "hz") return t;
  throw new InputError(`${what} "${text}": expected ppm or Hz`);
}

/** The B0 flags as given (undefined = not given). */
export interface B0Flags {
  /** `--b0`: none or auto. */
  b0?: string;
  wassr?: string;
  b0Map?: string;
  b0MapUnit?: string;
}

/**
 * Resolves the B0 flags into one source: `--wassr FILE` or `--b0-map FILE` (each implies B0
 * correction; `--b0 auto` beside them is accepted, `--b0 none` is a contradiction), else
 * `--b0 none|auto` (default none).
 * @throws InputError for unknown values and contradictory flags
 */
export function resolveB0Flags(f: B0Flags): B0Source {
  const mode = f.b0?.trim().toLowerCase();
  if (mode !== undefined && mode !== "none" && mode !== "auto") {
    throw new InputError(
      `--b0 "${f.b0}": expected none or auto (auto: estimate the shift from the Z-spectra; for a WASSR series or a map use --wassr FILE or --b0-map FILE)`,
    );
  }
  if (f.wassr !== undefined && f.b0Map !== undefined) {
    throw new InputError(`--wassr and --b0-map both given: pick one source of the B0 shift`);
  }
  if (f.b0MapUnit !== undefined && f.b0Map === undefined) {
    throw new InputError(`--b0-map-unit given without --b0-map FILE`);
  }
  const file = f.wassr ?? f.b0Map;
  if (file !== undefined && mode === "none") {
    throw new InputError(
      `--b0 none contradicts ${f.wassr !== undefined ? "--wassr" : "--b0-map"} ${file}: drop one`,
    );
  }
  if (f.wassr !== undefined) return { kind: "wassr", path: f.wassr };
  if (f.b0Map !== undefined) {
    return {
      kind: "map",
      path: f.b0Map,
      ...(f.b0MapUnit !== undefined ? { unit: parseB0MapUnit(f.b0MapUnit) } : {}),
    };
  }
  return mode === "auto" ? { kind: "auto" } : { kind: "none" };
}
