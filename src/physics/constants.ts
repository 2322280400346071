/** Physics constants, pinned to full precision. @module */

/** Proton gyromagnetic ratio γ in rad/(s·µT) (= 2π · 42.5764 MHz/T, pulseq-cest's value). */
export const GAMMA_RAD_PER_S_UT = 267.5154109126009;

/** γ/2π in Hz/µT. */
export const GAMMA_HZ_PER_UT = GAMMA_RAD_PER_S_UT / (2 * Math.PI);

/** Default main field, tesla. */
export const DEFAULT_B0_T = 7;

/** Offset used for the M0 (unsaturated) normalisation scan, ppm. */
export const DEFAULT_M0_OFFSET_PPM = -300;
