/**
 * Tissue models: water, CEST pools (full x,y,z) and an optional z-only MT pool, in the
 * units of pulseq-cest YAML files (f relative to water, rates in 1/s, times in s, ppm).
 * @module
 */

/** The free water pool (f = 1 by definition). */
export interface WaterPool {
  /** Longitudinal relaxation time, s. */
  t1S: number;
  /** Transverse relaxation time, s. */
  t2S: number;
  /** Pool size; 1 for water (pulseq-cest allows other values, kept for round trips). */
  f: number;
}

/** A CEST pool, simulated with x, y and z magnetisation. */
export interface CestPool {
  name: string;
  /** Pool size relative to water. */
  f: number;
  t1S: number;
  t2S: number;
  /** Exchange rate solute → water, 1/s (water → solute is f·k). */
  kPerS: number;
  /** Chemical shift from water, ppm. */
  dwPpm: number;
}

/**
 * MT lineshapes of pulseq-cest's z-only `mt_pool`. "None" keeps the pool (exchange and
 * relaxation) but it is not saturated by the RF (pulseq-cest's `None`).
 */
export type MtLineshape = "Lorentzian" | "SuperLorentzian" | "None";

/** The semisolid pool in pulseq-cest's z-only form (saturated through its lineshape). */
export interface MtPool {
  f: number;
  t1S: number;
  t2S: number;
  kPerS: number;
  dwPpm: number;
  lineshape: MtLineshape;
}

/** A tissue model as in a pulseq-cest YAML file. */
export interface TissueModel {
  water: WaterPool;
  cest: CestPool[];
  mt?: MtPool;
  /** Main field, T. */
  b0T: number;
  /** γ, rad/(s·µT). */
  gammaRadPerSUT: number;
  /**
   * B0 inhomogeneity, ppm. A positive value moves the whole Z-spectrum to higher offsets,
   * Z(offset; s) = Z(offset − s; 0) (BMCTool's sign; pulseq-cest's C++ uses the opposite,
   * pulseq-cest issue #26). All reference files use 0.
   */
  b0InhomPpm: number;
  /** Relative B1 (multiplies the protocol's B1). */
  relB1: number;
  /** Other pulseq-cest keys kept verbatim so a round trip loses nothing. */
  extra?: Record<string, unknown>;
}

/** Number of state entries: 3 per water/CEST pool, +1 for a z-only MT pool. */
export function stateSize(model: TissueModel): number {
  return 3 * (model.cest.length + 1) + (model.mt ? 1 : 0);
}
