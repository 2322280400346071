/**
 * The evaluation suite's tissue: every class of the suite phantoms (suite_phantoms.ts) with
 * its 7-pool parameters from the literature rows of docs/physics/pool_parameters.md §1
 * (source named per class), its MT lineshape and its smooth variation. Not drawn from the
 * training sampler; several rows lie outside the training box.
 * @module
 */
import type { MtLineshape } from "../physics/model.ts";
import type { SuitePhantomName } from "./suite_phantoms.ts";

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
