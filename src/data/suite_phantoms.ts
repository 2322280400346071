/**
 * The evaluation suite's phantoms: single-slice 64×64 objects whose geometry differs from the
 * rat-brain phantom (phantom_maps.ts) and whose tissue is NOT drawn from the training
 * sampler: every tissue class takes its 7-pool parameters from the literature rows of
 * docs/physics/pool_parameters.md §1 (copied below, source named per class), several lie
 * outside the training box, the z-only MT lineshape is Lorentzian in some classes and
 * SuperLorentzian in others, and a smooth relative-B1 field (0.85–1.15) multiplies the
 * nominal 1 µT. Quality claims are measured on these, never tuned on them.
 *
 * - `human-axial`: a human-like axial slice: gyrated cortical GM ribbon, WM core, deep GM
 *   nuclei, and two ventricles left out of the mask (no CSF is simulated);
 * - `tumour`: a brain with GM/WM, a lobulated tumour with necrotic core, enhancing rim and
 *   finger-like peritumoural oedema;
 * - `vials`: seven vials (six on a ring, one central), one literature tissue each.
 *
 * Each class's parameters vary smoothly over the slice: parameter p of a voxel is
 * mean·(1 + variation·field_p), field_p a smooth random field scaled to peak |1| over the
 * slice, so it stays within mean·[1 − variation, 1 + variation] (variation 3–15 % by class).
 * Noise (Rician on signal and M0, phantom.ts's addRicianNoise) is added after one noiseless
 * simulation per phantom.
 * @module
 */
import { Rng } from "../util/rng.ts";
import { InputError } from "../util/errors.ts";
import { exists } from "../util/atomic.ts";
import { readSafetensors, type SafeTensors, writeSafetensors } from "./safetensors.ts";
import { smoothField } from "./phantom_maps.ts";
import {
  addRicianNoise,
  type NoisyImages,
  type PairSimulator,
  simulateVolumes,
} from "./phantom.ts";
import type { CestPool, MtLineshape, TissueModel } from "../physics/model.ts";
import { PAPER_POOLS } from "../physics/param_space.ts";
import { DEFAULT_B0_T, GAMMA_RAD_PER_S_UT } from "../physics/constants.ts";

/** Names of the suite phantoms. */
export const SUITE_PHANTOMS = ["human-axial", "tumour", "vials"] as const;
/** One of {@link SUITE_PHANTOMS}. */
export type SuitePhantomName = typeof SUITE_PHANTOMS[number];

/**
 * FROZEN seeds of the suite (geometry jitter, parameter fields, B1 field, noise). They were
 * fixed on 2026-12-01, before any model or hyper-parameter was tuned against the suite;
 * never change them (a change makes every earlier quality number incomparable).
 */
export const SUITE_SEEDS: Readonly<Record<SuitePhantomName, number>> = Object.freeze({
  "human-axial": 7_310_001,
  tumour: 7_310_002,
  vials: 7_310_003,
});

/** SNRs of the suite (Infinity = noiseless), relative to the mean M0 inside the mask. */
export const SUITE_SNRS: readonly number[] = Object.freeze([Infinity, 200, 100, 50]);

/** Nominal saturation B1 of every suite scan, µT (relB1 maps vary around it). */
export const SUITE_B1_UT = 1;

/** Range of the relative-B1 field over each phantom's mask. */
export const SUITE_REL_B1_RANGE: readonly [number, number] = [0.85, 1.15];

/**
 * The 20 per-voxel parameters, in the order of the datasets' parameter space (water T1, T2,
 * then f, k, T2 of amide +3.5, guanidyl +2.0, hydroxyl +1.3, NOE −1.6, MT, NOE −3.5 ppm).
 * Kept here so the suite does not change when the training space does.
 */
export const SUITE_PARAM_NAMES: readonly string[] = Object.freeze([
  "water_t1_s",
  "water_t2_s",
  ...["amide", "guanidyl", "hydroxyl", "NOE_m1p6", "MT", "NOE_m3p5"].flatMap((
    p,
  ) => [`${p}_f`, `${p}_k_per_s`, `${p}_t2_s`]),
]);
/** Number of per-voxel parameters (20). */
export const SUITE_N_PARAMS = 20;

/** A tissue class of a suite phantom. */
export interface SuiteTissueClass {
  /** Label value in the label map (1, 2, ...). */
  label: number;
  name: string;
  /** Where the numbers come from. */
  source: string;
  /** Mean of the 20 parameters, {@link SUITE_PARAM_NAMES} order (s, 1/s, fractions). */
  params: readonly number[];
  /** Lineshape of the z-only MT pool. */
  mtLineshape: MtLineshape;
  /** Centre of the MT pool, ppm. */
  mtDwPpm: number;
  /** T1 of every solute pool, s. */
  soluteT1S: number;
  /** Relative proton density (M0). */
  pd: number;
  /** Peak relative variation of every parameter over the slice (0.03–0.15). */
  variation: number;
}

// Literature rows of pool_parameters.md §1, copied (f relative to water, k 1/s, T2 s):
// [f, k, T2] per pool.
type _Pool = readonly [number, number, number];
/** van Zijl et al. 2018 NeuroImage 168:222 (GM_vanZijl2018 yaml, 3 T). */
const VZ = {
  amide: [6.5e-4, 30, 0.1],
  guan: [1.8e-4, 1100, 0.17],
  oh: [4.1e-4, 2000, 0.055],
  noe16: [9.0e-4, 16, 5e-3],
  noe35: [4.5e-3, 16, 5e-3], // five NOE pools −1.75…−3.75 ppm summed
  mt: [0.0495, 40, 9e-6], // SuperLorentzian, dw 0
  soluteT1S: 1.3,
} as const;
/** Liu et al. 2013 (WM_3T_Liu2013 yaml, 7 T human). */
const LIU = {
  amide: [2.2e-3, 281, 22.7e-3],
  noe35: [2.39e-2, 27.5, 0.32e-3],
  mt: [0.062, 67.5, 83e-6],
} as const;
/** Glang et al. 2022 (9.4 T human GM yaml, pulseq-cest-library). */
const GLANG = {
  water: [2.17, 0.097],
  amide: [1.0e-3, 310, 0.68e-3],
  guan: [8.3e-4, 523, 1.3e-3],
  noe16: [1.0e-2, 7.9, 0.69e-3], // NOE_2 at −1.7 ppm
  noe35: [6.8e-3, 60.6, 0.48e-3],
  mt: [0.032, 47.5, 34e-6], // Lorentzian, dw −1.4
} as const;
/** MultiB0_B1_qCEST_brain 7 T human fits (Fitresults/*_7T.mat). */
const MB0 = {
  gmWater: [1.79, 0.033],
  wmWater: [1.49, 0.049],
  gmOh: [2.4e-3, 2140],
  gmMt: [0.040, 32, 27e-6],
  wmMt: [0.094, 14, 11e-6],
} as const;
/** Zhu et al. 2014 ISMRM (pulseq-cest-library sim-library Readme): 7 T human water. */
const ZHU = { wmWater: [1.222, 0.037], gmWater: [1.670, 0.043] } as const;
/** Heo et al. 2019 (WM_3T_Heo2019_4pool yaml). */
const HEO = { amide: [1.9e-3, 162, 2.5e-3], mt: [0.101, 29, 63e-6] } as const;
/** GLIO_3T_001_7pool yaml (heuristic glioma) and WM_3T_001 (guanidyl). */
const GLIO = {
  amide: [9.0e-4, 50, 0.1],
  guan: [1.4e-3, 1100, 0.17],
  oh: [1.8e-4, 3500, 0.2],
  mt: [0.054, 29, 39e-6],
  soluteT1S: 1.05,
} as const;
/** tests/fixtures/bmsim/generated/rat_brain_7T_7pool_{normal,tumour}_example.yaml (illustrative). */
const RAT = {
  normalWater: [1.8, 0.05],
  tumourWater: [2.2, 0.08],
  normalAmide: [1.0e-3, 50, 0.02],
  tumourAmide: [2.0e-3, 50, 0.02],
  guan: [1.0e-3, 800, 0.02],
  oh: [1.0e-3, 2500, 0.02],
  noe16: [1.5e-3, 20, 2e-3],
  normalMt: [0.10, 30, 1.5e-5],
  tumourMt: [0.05, 30, 1.5e-5],
  normalNoe35: [5.0e-3, 20, 1e-3],
  tumourNoe35: [3.0e-3, 20, 1e-3],
} as const;
/** Dortch et al. 2009 NMR Biomed (7 T rat C6 glioma): water T2, s. */
const DORTCH = { tumourT2S: 76.4e-3, gmT2S: 48.8e-3 } as const;
/** pubmed 8598810 (rat tumours): water T1 1.30 s vs 1.06 s normal, T2 91 ms vs 77 ms. */
const PM8598810 = { tumourT1S: 1.30, tumourT2S: 0.091, t1Ratio: 1.30 / 1.06 } as const;
/** pool_parameters.md §2 low ends (the least of each pool the training box allows). */
const LOW = { amideF: 5e-4, noe16F: 5e-4, mtF: 0.02, noe35F: 1e-3 } as const;

function _row(
  water: readonly number[],
  amide: _Pool,
  guan: _Pool,
  oh: _Pool,
  noe16: _Pool,
  mt: _Pool,
  noe35: _Pool,
): number[] {
  return [water[0]!, water[1]!, ...amide, ...guan, ...oh, ...noe16, ...mt, ...noe35];
}

/** The rat 7 T tumour example with the C6 glioma water T2 (Dortch 2009). */
const RAT_C6_TUMOUR = _row(
  [RAT.tumourWater[0], DORTCH.tumourT2S],
  RAT.tumourAmide,
  RAT.guan,
  RAT.oh,
  RAT.noe16,
  RAT.tumourMt,
  RAT.tumourNoe35,
);

/** Tissue classes of each suite phantom (label = index + 1). */
export const SUITE_CLASSES: Readonly<Record<SuitePhantomName, readonly SuiteTissueClass[]>> = {
  "human-axial": [
    {
      label: 1,
      name: "cortical GM",
      source:
        "water Zhu 2014 7 T GM; OH f, k MultiB0 7 T GM; MT MultiB0 7 T GM fit (Lorentzian); other pools van Zijl 2018",
      params: _row(
        ZHU.gmWater,
        VZ.amide,
        VZ.guan,
        [MB0.gmOh[0], MB0.gmOh[1], VZ.oh[2]],
        VZ.noe16,
        MB0.gmMt,
        VZ.noe35,
      ),
      mtLineshape: "Lorentzian",
      mtDwPpm: -2.4,
      soluteT1S: VZ.soluteT1S,
      pd: 1.0,
      variation: 0.08,
    },
    {
      label: 2,
      name: "white matter",
      source:
        "water Zhu 2014 7 T WM; amide, NOE −3.5 Liu 2013 7 T; guanidyl WM_3T_001; OH, NOE −1.6 van Zijl 2018; MT MultiB0 7 T WM fit (SuperLorentzian)",
      params: _row(ZHU.wmWater, LIU.amide, GLIO.guan, VZ.oh, VZ.noe16, MB0.wmMt, LIU.noe35),
      mtLineshape: "SuperLorentzian",
      mtDwPpm: -2.4,
      soluteT1S: 1.0,
      pd: 0.85,
      variation: 0.04,
    },
    {
      label: 3,
      name: "deep GM",
      source: "water MultiB0 7 T GM; every pool van Zijl 2018 (MT SuperLorentzian at 0 ppm)",
      params: _row(MB0.gmWater, VZ.amide, VZ.guan, VZ.oh, VZ.noe16, VZ.mt, VZ.noe35),
      mtLineshape: "SuperLorentzian",
      mtDwPpm: 0,
      soluteT1S: VZ.soluteT1S,
      pd: 0.95,
      variation: 0.1,
    },
  ],
  tumour: [
    {
      label: 1,
      name: "normal GM",
      source: "rat_brain_7T_7pool_normal_example.yaml; water T2 Dortch 2009 contralateral GM",
      params: _row(
        [RAT.normalWater[0], DORTCH.gmT2S],
        RAT.normalAmide,
        RAT.guan,
        RAT.oh,
        RAT.noe16,
        RAT.normalMt,
        RAT.normalNoe35,
      ),
      mtLineshape: "Lorentzian",
      mtDwPpm: -2.4,
      soluteT1S: 1.0,
      pd: 1.0,
      variation: 0.06,
    },
    {
      label: 2,
      name: "normal WM",
      source:
        "water MultiB0 7 T WM; amide, MT Heo 2019 WM (Lorentzian at −3 ppm as WM_3T_default_7pool); guanidyl WM_3T_001; OH GLIO_3T_001; NOEs van Zijl 2018",
      params: _row(MB0.wmWater, HEO.amide, GLIO.guan, GLIO.oh, VZ.noe16, HEO.mt, VZ.noe35),
      mtLineshape: "Lorentzian",
      mtDwPpm: -3.0,
      soluteT1S: 1.0,
      pd: 0.88,
      variation: 0.06,
    },
    {
      label: 3,
      name: "oedema",
      source:
        "water T1 = rat normal 1.8 s × 1.30/1.06 and T2 91 ms (pubmed 8598810); amide van Zijl 2018; MT f, k GLIO_3T_001 with van Zijl's SuperLorentzian T2; other pools rat tumour yaml",
      params: _row(
        [RAT.normalWater[0] * PM8598810.t1Ratio, PM8598810.tumourT2S],
        VZ.amide,
        RAT.guan,
        RAT.oh,
        RAT.noe16,
        [GLIO.mt[0], GLIO.mt[1], VZ.mt[2]],
        RAT.tumourNoe35,
      ),
      mtLineshape: "SuperLorentzian",
      mtDwPpm: -2.4,
      soluteT1S: 1.0,
      pd: 1.12,
      variation: 0.12,
    },
    {
      label: 4,
      name: "enhancing rim",
      source: "rat_brain_7T_7pool_tumour_example.yaml; water T2 Dortch 2009 C6 glioma",
      params: RAT_C6_TUMOUR,
      mtLineshape: "Lorentzian",
      mtDwPpm: -2.4,
      soluteT1S: 1.0,
      pd: 1.08,
      variation: 0.15,
    },
    {
      label: 5,
      name: "necrotic core",
      source:
        "constructed: water T1 2.5 s (rat tumour 2.2 s + ~15 %, fluid-rich), T2 95 ms (Dortch 2009 tumour long component + 2 SD); amide, NOE, MT f at the §2 low ends; k, T2 van Zijl 2018 / GLIO_3T_001",
      params: _row(
        [2.5, 0.095],
        [LOW.amideF, VZ.amide[1], VZ.amide[2]],
        VZ.guan,
        GLIO.oh,
        [LOW.noe16F, VZ.noe16[1], VZ.noe16[2]],
        [LOW.mtF, GLIO.mt[1], GLIO.mt[2]],
        [LOW.noe35F, VZ.noe35[1], VZ.noe35[2]],
      ),
      mtLineshape: "Lorentzian",
      mtDwPpm: -2.4,
      soluteT1S: GLIO.soluteT1S,
      pd: 1.2,
      variation: 0.08,
    },
  ],
  vials: [
    {
      label: 1,
      name: "Glang 9.4 T GM",
      source:
        "Glang 2022 9.4 T GM yaml (MT Lorentzian at −1.4 ppm); OH MultiB0 7 T GM with van Zijl T2",
      params: _row(
        GLANG.water,
        GLANG.amide,
        GLANG.guan,
        [MB0.gmOh[0], MB0.gmOh[1], VZ.oh[2]],
        GLANG.noe16,
        GLANG.mt,
        GLANG.noe35,
      ),
      mtLineshape: "Lorentzian",
      mtDwPpm: -1.4,
      soluteT1S: 1.0,
      pd: 1.0,
      variation: 0.04,
    },
    {
      label: 2,
      name: "Liu 7 T WM",
      source: "water Zhu 2014 7 T WM; amide, MT, NOE −3.5 Liu 2013; others van Zijl 2018",
      params: _row(ZHU.wmWater, LIU.amide, VZ.guan, VZ.oh, VZ.noe16, LIU.mt, LIU.noe35),
      mtLineshape: "Lorentzian",
      mtDwPpm: -2.4,
      soluteT1S: 1.0,
      pd: 0.9,
      variation: 0.04,
    },
    {
      label: 3,
      name: "van Zijl GM",
      source: "water MultiB0 7 T GM; every pool van Zijl 2018 (MT SuperLorentzian at 0 ppm)",
      params: _row(MB0.gmWater, VZ.amide, VZ.guan, VZ.oh, VZ.noe16, VZ.mt, VZ.noe35),
      mtLineshape: "SuperLorentzian",
      mtDwPpm: 0,
      soluteT1S: VZ.soluteT1S,
      pd: 1.0,
      variation: 0.03,
    },
    {
      label: 4,
      name: "Heo WM",
      source:
        "water MultiB0 7 T WM; amide, MT Heo 2019; guanidyl WM_3T_001; OH, NOEs van Zijl 2018",
      params: _row(MB0.wmWater, HEO.amide, GLIO.guan, VZ.oh, VZ.noe16, HEO.mt, VZ.noe35),
      mtLineshape: "Lorentzian",
      mtDwPpm: -2.4,
      soluteT1S: 1.0,
      pd: 0.9,
      variation: 0.05,
    },
    {
      label: 5,
      name: "GLIO glioma",
      source: "water pubmed 8598810 tumour; GLIO_3T_001_7pool; NOEs van Zijl 2018",
      params: _row(
        [PM8598810.tumourT1S, PM8598810.tumourT2S],
        GLIO.amide,
        GLIO.guan,
        GLIO.oh,
        VZ.noe16,
        GLIO.mt,
        VZ.noe35,
      ),
      mtLineshape: "Lorentzian",
      mtDwPpm: -2.4,
      soluteT1S: GLIO.soluteT1S,
      pd: 1.05,
      variation: 0.05,
    },
    {
      label: 6,
      name: "rat C6 tumour",
      source: "rat_brain_7T_7pool_tumour_example.yaml; water T2 Dortch 2009",
      params: RAT_C6_TUMOUR,
      mtLineshape: "Lorentzian",
      mtDwPpm: -2.4,
      soluteT1S: 1.0,
      pd: 1.1,
      variation: 0.05,
    },
    {
      label: 7,
      name: "long-T1 gel",
      source:
        "constructed to reach T1 2.55 s: water T2 95 ms (as the necrotic core); amide Liu 2013; MT MultiB0 7 T WM (SuperLorentzian); others van Zijl 2018",
      params: _row([2.55, 0.095], LIU.amide, VZ.guan, VZ.oh, VZ.noe16, MB0.wmMt, VZ.noe35),
      mtLineshape: "SuperLorentzian",
      mtDwPpm: -2.4,
      soluteT1S: 1.0,
      pd: 1.15,
      variation: 0.03,
    },
  ],
};

/** One sentence per phantom for reports. */
export const SUITE_DESCRIPTIONS: Readonly<Record<SuitePhantomName, string>> = {
  "human-axial": "human-like axial slice: gyrated GM ribbon, WM core, deep GM, ventricles left out",
  tumour: "brain with a lobulated tumour: necrotic core, enhancing rim, peritumoural oedema",
  vials: "seven vials of literature tissues (six on a ring, one central)",
};

/** The maps of a suite phantom, each row-major [y][x] (x fastest) of size × size. */
export interface SuiteMaps {
  name: SuitePhantomName;
  size: number;
  seed: number;
  /** Class label per voxel (0 = background / left out), see {@link SUITE_CLASSES}. */
  labels: Uint8Array;
  /** 1 inside the object. */
  mask: Uint8Array;
  /** Parameters per voxel, [voxel][20] ({@link SUITE_PARAM_NAMES}; 0 outside the mask). */
  params: Float64Array;
  /** Relative B1 per voxel (1 outside the mask). */
  relB1: Float64Array;
  /** Noiseless M0 (proton density × receive coil; 0 outside the mask). */
  m0: Float64Array;
  classes: readonly SuiteTissueClass[];
}

function _checkName(name: string): asserts name is SuitePhantomName {
  if (!(SUITE_PHANTOMS as readonly string[]).includes(name)) {
    throw new InputError(
      `unknown suite phantom "${name}"; use one of ${SUITE_PHANTOMS.join(", ")}`,
    );
  }
}

/** Human-like axial slice: labels 1 cortical GM, 2 WM, 3 deep GM; ventricles 0. */
function _humanLabels(size: number, rng: Rng): Uint8Array {
  const labels = new Uint8Array(size * size);
  const a = 0.4, b = 0.46;
  const gyri = Array.from({ length: 3 }, () => ({
    k: 7 + rng.int(6),
    ph: rng.range(0, 2 * Math.PI),
    amp: rng.range(0.25, 0.45),
  }));
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size - 0.5, v = 0.5 - (y + 0.5) / size;
      const rho = Math.hypot(u / a, v / b);
      if (rho > 1) continue;
      const th = Math.atan2(v / b, u / a);
      let depth = 0.16;
      for (const g of gyri) depth *= 1 + g.amp * Math.cos(g.k * th + g.ph) / 1.5;
      const i = y * size + x;
      labels[i] = rho > 1 - depth ? 1 : 2;
      // deep GM nuclei (thalamus / basal ganglia)
      for (const s of [-1, 1]) {
        if (((u - s * 0.12) / 0.065) ** 2 + ((v + 0.03) / 0.09) ** 2 < 1) labels[i] = 3;
      }
      // lateral ventricles: tilted ellipses, left out of the mask (no CSF is simulated)
      for (const s of [-1, 1]) {
        const du = u - s * 0.045, dv = v - 0.06;
        const c = Math.cos(s * 0.25), sn = Math.sin(s * 0.25);
        const p = du * c - dv * sn, q = du * sn + dv * c;
        if ((p / 0.03) ** 2 + (q / 0.13) ** 2 < 1) labels[i] = 0;
      }
    }
  }
  return labels;
}

/** Tumour slice: 1 GM, 2 WM, 3 oedema, 4 enhancing rim, 5 necrotic core. */
function _tumourLabels(size: number, rng: Rng): Uint8Array {
  const labels = new Uint8Array(size * size);
  const a = 0.43, b = 0.4;
  const tx = 0.1 + rng.range(-0.01, 0.01), ty = 0.06 + rng.range(-0.01, 0.01);
  const tr = 0.15;
  const lobes = Array.from(
    { length: 3 },
    () => ({ k: 2 + rng.int(3), ph: rng.range(0, 2 * Math.PI), a: rng.range(0.08, 0.18) }),
  );
  const fingers = { k: 5 + rng.int(3), ph: rng.range(0, 2 * Math.PI) };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size - 0.5, v = 0.5 - (y + 0.5) / size;
      const rho = Math.hypot(u / a, v / b);
      if (rho > 1) continue;
      const i = y * size + x;
      labels[i] = rho > 0.72 ? 1 : 2;
      const du = u - tx, dv = v - ty;
      const ang = Math.atan2(dv, du);
      let rr = tr;
      for (const l of lobes) rr *= 1 + l.a * Math.cos(l.k * ang + l.ph) / 2;
      const d = Math.hypot(du, dv);
      const oedema = rr + 0.06 * (1 + Math.cos(fingers.k * ang + fingers.ph));
      if (d < rr) labels[i] = d < 0.5 * rr ? 5 : 4;
      else if (d < oedema) labels[i] = 3;
    }
  }
  return labels;
}

/** Seven vials: six on a ring, one central (labels 1..7). */
function _vialLabels(size: number): Uint8Array {
  const labels = new Uint8Array(size * size);
  const centres = [
    ...Array.from({ length: 6 }, (_, j) => {
      const t = (j * Math.PI) / 3 + Math.PI / 6;
      return [0.29 * Math.cos(t), 0.29 * Math.sin(t)] as const;
    }),
    [0, 0] as const,
  ];
  const r = 0.1;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size - 0.5, v = 0.5 - (y + 0.5) / size;
      centres.forEach(([cx, cy], j) => {
        if (Math.hypot(u - cx, v - cy) < r) labels[y * size + x] = j + 1;
      });
    }
  }
  return labels;
}

/** A smooth field scaled to peak |1| over the grid. */
function _peakField(rng: Rng, size: number, maxCycles: number, terms = 5): Float64Array {
  const f = smoothField(rng, size, maxCycles, terms);
  let peak = 0;
  for (const x of f) peak = Math.max(peak, Math.abs(x));
  for (let i = 0; i < f.length; i++) f[i] = f[i]! / (peak || 1);
  return f;
}

/** Options of {@link suiteMaps}. */
export interface SuiteMapOptions {
  /** Matrix size (square), 1 mm-like voxels. Default 64. */
  size?: number;
  /** Seed (default: the frozen {@link SUITE_SEEDS} entry). */
  seed?: number;
}

/**
 * Builds a suite phantom's labels, mask, parameter, relative-B1 and M0 maps (pure CPU,
 * deterministic from the seed).
 * @param name one of {@link SUITE_PHANTOMS}
 * @throws InputError for an unknown name; RangeError for a size below 8
 * @example
 * const maps = suiteMaps("tumour");
 */
export function suiteMaps(name: string, opts: SuiteMapOptions = {}): SuiteMaps {
  _checkName(name);
  const size = opts.size ?? 64;
  const seed = opts.seed ?? SUITE_SEEDS[name];
  if (!Number.isInteger(size) || size < 8) {
    throw new RangeError(`Expected a phantom size ≥ 8 but found ${size}`);
  }
  const labels = name === "human-axial"
    ? _humanLabels(size, new Rng(seed, 1))
    : name === "tumour"
    ? _tumourLabels(size, new Rng(seed, 1))
    : _vialLabels(size);
  const classes = SUITE_CLASSES[name];
  const nv = size * size;
  const mask = new Uint8Array(nv);
  for (let i = 0; i < nv; i++) mask[i] = labels[i]! > 0 ? 1 : 0;
  const fieldRng = new Rng(seed, 2);
  const params = new Float64Array(nv * SUITE_N_PARAMS);
  for (let p = 0; p < SUITE_N_PARAMS; p++) {
    const field = _peakField(fieldRng, size, 2.5);
    for (let i = 0; i < nv; i++) {
      const cls = classes[labels[i]! - 1];
      if (!cls) continue;
      params[i * SUITE_N_PARAMS + p] = cls.params[p]! * (1 + cls.variation * field[i]!);
    }
  }
  // relative B1: a centre-bright profile (7 T dielectric effect) plus a smooth random field,
  // mapped affinely onto SUITE_REL_B1_RANGE over the mask
  const b1Field = smoothField(new Rng(seed, 3), size, 1, 3);
  const raw = new Float64Array(nv);
  let lo = Infinity, hi = -Infinity;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const u = (x + 0.5) / size - 0.5, v = 0.5 - (y + 0.5) / size;
      raw[i] = 1.5 * Math.exp(-(u * u + v * v) / (2 * 0.2 * 0.2)) + 0.6 * b1Field[i]!;
      if (mask[i]) lo = Math.min(lo, raw[i]!), hi = Math.max(hi, raw[i]!);
    }
  }
  const [b1Lo, b1Hi] = SUITE_REL_B1_RANGE;
  const relB1 = new Float64Array(nv).fill(1);
  for (let i = 0; i < nv; i++) {
    if (mask[i]) relB1[i] = hi > lo ? b1Lo + ((raw[i]! - lo) / (hi - lo)) * (b1Hi - b1Lo) : 1;
  }
  const coil = smoothField(new Rng(seed, 4), size, 1, 3);
  const m0 = new Float64Array(nv);
  for (let i = 0; i < nv; i++) {
    const cls = classes[labels[i]! - 1];
    if (cls) m0[i] = cls.pd * (1 + 0.06 * coil[i]!);
  }
  return { name, size, seed, labels, mask, params, relB1, m0, classes };
}

/**
 * The TissueModel of voxel `v`: its class's MT lineshape, MT shift and solute T1, the
 * voxel's 20 parameters and relative B1 (no B0 shift).
 */
export function suiteVoxelModel(maps: SuiteMaps, v: number): TissueModel {
  const cls = maps.classes[maps.labels[v]! - 1];
  if (!cls) throw new RangeError(`voxel ${v} of ${maps.name} is outside the mask`);
  const p = maps.params.subarray(v * SUITE_N_PARAMS, (v + 1) * SUITE_N_PARAMS);
  const cest: CestPool[] = [];
  let mt: TissueModel["mt"];
  PAPER_POOLS.forEach((pool, j) => {
    const f = p[2 + 3 * j]!, kPerS = p[3 + 3 * j]!, t2S = p[4 + 3 * j]!;
    if (pool.name === "MT") {
      mt = { f, kPerS, t2S, t1S: cls.soluteT1S, dwPpm: cls.mtDwPpm, lineshape: cls.mtLineshape };
    } else cest.push({ name: pool.name, f, kPerS, t2S, t1S: cls.soluteT1S, dwPpm: pool.dwPpm });
  });
  return {
    water: { t1S: p[0]!, t2S: p[1]!, f: 1 },
    cest,
    mt,
    b0T: DEFAULT_B0_T,
    gammaRadPerSUT: GAMMA_RAD_PER_S_UT,
    b0InhomPpm: 0,
    relB1: maps.relB1[v]!,
  };
}

/** A simulated (noiseless) suite phantom; volumes are [offset][voxel]. */
export interface SuitePhantom {
  maps: SuiteMaps;
  offsetsPpm: number[];
  b1UT: number;
  b0T: number;
  /** Noiseless Z at the input protocol (Ts 1.5 s, Td 4.5 s), 0 outside the mask. */
  inputClean: Float32Array;
  /** Noiseless Z at Ts 5 s, Td 1 s (the reference), 0 outside the mask. */
  reference: Float32Array;
}

/** Options of {@link simulateSuitePhantom}. */
export interface SuiteSimOptions extends SuiteMapOptions {
  /** The simulator (default: the GPU engine). */
  simulate?: PairSimulator;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Simulates a suite phantom once, noiselessly, at the input and reference protocols.
 * @example
 * const ph = await simulateSuitePhantom("vials", { size: 64 });
 * const noisy = suiteNoise(ph, 100);
 */
export async function simulateSuitePhantom(
  name: string,
  opts: SuiteSimOptions = {},
): Promise<SuitePhantom> {
  const maps = suiteMaps(name, opts);
  const nvox = maps.size * maps.size;
  const voxels: number[] = [];
  for (let v = 0; v < nvox; v++) if (maps.mask[v]) voxels.push(v);
  const models = voxels.map((v) => suiteVoxelModel(maps, v));
  const sim = await simulateVolumes(models, voxels, nvox, {
    b1UT: SUITE_B1_UT,
    simulate: opts.simulate,
    onProgress: (_s, d, t) => opts.onProgress?.(d, t),
  });
  return {
    maps,
    offsetsPpm: sim.offsetsPpm,
    b1UT: SUITE_B1_UT,
    b0T: DEFAULT_B0_T,
    inputClean: sim.inputClean,
    reference: sim.reference,
  };
}

/**
 * The noisy acquisition of a suite phantom at an SNR: Rician noise on the raw series and M0
 * (σ = mean M0 in the mask / SNR), from a stream fixed by the phantom's seed and the SNR.
 * @param snr > 0; Infinity gives the noiseless images
 */
export function suiteNoise(ph: SuitePhantom, snr: number): NoisyImages {
  if (!(snr > 0)) {
    throw new InputError(`--snrs: an SNR must be positive (or inf for no noise), found ${snr}`);
  }
  const code = Number.isFinite(snr) ? Math.round(snr * 1000) : 0;
  return addRicianNoise(
    ph.inputClean,
    ph.maps.m0,
    ph.maps.mask,
    snr,
    new Rng(ph.maps.seed, 5, code),
  );
}

/** Version of the cache layout and of the suite's physics; bump to invalidate caches. */
const _CACHE_VERSION = "quass-suite-1";

/** Cache key: changes with the phantom's name, size, seed, classes and the cache version. */
export function suiteCacheKey(name: string, size: number, seed: number): string {
  _checkName(name);
  const text = JSON.stringify([_CACHE_VERSION, name, size, seed, SUITE_CLASSES[name]]);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `${_CACHE_VERSION}:${name}:${size}:${seed}:${h.toString(16)}`;
}

/** Options of {@link loadSuitePhantom}. */
export interface SuiteCacheOptions extends SuiteSimOptions {
  /** Cache folder (e.g. bench/quality/phantoms); undefined = no cache. */
  cacheDir?: string;
}

/**
 * A suite phantom from the cache folder when a file with the same key is there, else
 * simulated and written there atomically (`<cacheDir>/<name>-<size>.safetensors`).
 * @returns the phantom and whether it came from the cache
 */
export async function loadSuitePhantom(
  name: string,
  opts: SuiteCacheOptions = {},
): Promise<{ phantom: SuitePhantom; cached: boolean; path?: string }> {
  _checkName(name);
  const size = opts.size ?? 64;
  const seed = opts.seed ?? SUITE_SEEDS[name];
  const key = suiteCacheKey(name, size, seed);
  const path = opts.cacheDir
    ? `${opts.cacheDir.replace(/\/+$/, "")}/${name}-${size}.safetensors`
    : undefined;
  if (path && await exists(path)) {
    try {
      const st = await readSafetensors(path);
      const inp = st.tensors.input_clean?.data, ref = st.tensors.reference?.data;
      const offs = st.tensors.offsets_ppm?.data;
      if (
        st.metadata.key === key && inp instanceof Float32Array && ref instanceof Float32Array &&
        offs instanceof Float64Array && inp.length === size * size * offs.length
      ) {
        return {
          phantom: {
            maps: suiteMaps(name, { size, seed }),
            offsetsPpm: Array.from(offs),
            b1UT: SUITE_B1_UT,
            b0T: DEFAULT_B0_T,
            inputClean: inp,
            reference: ref,
          },
          cached: true,
          path,
        };
      }
    } catch { /* unreadable or stale: simulate again */ }
  }
  const phantom = await simulateSuitePhantom(name, { ...opts, size, seed });
  if (path) {
    const nOff = phantom.offsetsPpm.length;
    const file: SafeTensors = {
      tensors: {
        input_clean: { data: phantom.inputClean, shape: [nOff, size, size] },
        reference: { data: phantom.reference, shape: [nOff, size, size] },
        offsets_ppm: { data: Float64Array.from(phantom.offsetsPpm), shape: [nOff] },
      },
      metadata: { key, note: "quass quality-suite cache (noiseless Z, [offset][y][x])" },
    };
    await writeSafetensors(path, file);
  }
  return { phantom, cached: false, path };
}
