/**
 * The packed Bloch–McConnell group record of the bm_* kernels, described once.
 *
 * One table (header fields in order, then the fields of a CEST-pool block, the MT block
 * and a slot block) both packs the record ({@link packGroup}) and gives the kernels their
 * offsets ({@link BM_RECORD_CONSTANTS}, compiled as `const` lines before
 * shaders/bm_record.wgsl, whose `set_sizes` lays out the runtime-sized parts from the same
 * block sizes). Record (f32): the header, per CEST pool one pool block, one MT block (zeros
 * without MT), per slot one slot block, then the free steady state z (NZ) and the relaxed
 * start z (NZ).
 * @module
 */
import type { CestPool, MtPool, TissueModel } from "./model.ts";
import type { ConstValue } from "../gpu/kernel.ts";
import { equilibrium, omega0PerPpm } from "./bm_matrix.ts";

/** Slots (timelines) per group, compiled into the kernels as NSLOT. */
export const NSLOT = 2;

/** One timeline of a group: how it starts, saturates and is read out. */
export interface BmSlot {
  /** −1 steady state, 0 no saturation, m ≥ 1: Ts = m·h. */
  mode: number;
  start: "relaxed" | "satrec";
  tdS: number;
  preDelayS: number;
  postDelayS: number;
}

/** A model with its offsets and up to {@link NSLOT} timelines sharing A at each offset. */
export interface BmGroup {
  model: TissueModel;
  b1UT: number;
  b0T: number;
  /** Base saturation step, s (slot mode m means Ts = m·hS). */
  hS: number;
  offsetsPpm: ArrayLike<number>;
  slots: BmSlot[];
}

/** A field of the record: its WGSL name and how its value is computed. */
interface _Field<T> {
  /** Constant name in WGSL (the offset of the field in its block). */
  name: string;
  /** The value packed for a source. */
  value: (src: T) => number;
}

const _lineshapeCode = (m: TissueModel): number => {
  const ls = m.mt?.lineshape;
  return ls === "Lorentzian" ? 1 : ls === "SuperLorentzian" ? 2 : 0;
};

/** Header fields, in record order (WGSL `G_*`: the index in the record). */
export const HEADER_FIELDS: readonly _Field<BmGroup>[] = [
  // ω1 rad/s (B1·relB1·γ)
  { name: "G_W1", value: (g) => g.model.gammaRadPerSUT * g.b1UT * g.model.relB1 },
  // ω0 rad/s per ppm (γ·B0)
  { name: "G_W0", value: (g) => omega0PerPpm(g.model, g.b0T) },
  // B0 shift, rad/s
  { name: "G_DW0", value: (g) => g.model.b0InhomPpm * omega0PerPpm(g.model, g.b0T) },
  // base step h, s
  { name: "G_H", value: (g) => g.hS },
  { name: "G_R1W", value: (g) => 1 / g.model.water.t1S },
  { name: "G_R2W", value: (g) => 1 / g.model.water.t2S },
  { name: "G_FW", value: (g) => g.model.water.f },
  // number of valid offsets
  { name: "G_NOFF", value: (g) => g.offsetsPpm.length },
  // MT lineshape: 0 none, 1 Lorentzian, 2 table in `mtg`
  { name: "G_MTMODE", value: (g) => _lineshapeCode(g.model) },
];

/** Fields of a CEST-pool block (WGSL `GP_*`: the offset in the block). */
export const POOL_FIELDS: readonly _Field<CestPool>[] = [
  { name: "GP_F", value: (p) => p.f },
  { name: "GP_K", value: (p) => p.kPerS },
  { name: "GP_R1", value: (p) => 1 / p.t1S },
  { name: "GP_R2", value: (p) => 1 / p.t2S },
  { name: "GP_DW", value: (p) => p.dwPpm },
];

/** Fields of the MT block (WGSL `GM_*`); T2 itself, not R2 (the lineshape needs it). */
export const MT_FIELDS: readonly _Field<MtPool>[] = [
  { name: "GM_F", value: (p) => p.f },
  { name: "GM_K", value: (p) => p.kPerS },
  { name: "GM_R1", value: (p) => 1 / p.t1S },
  { name: "GM_T2", value: (p) => p.t2S },
  { name: "GM_DW", value: (p) => p.dwPpm },
];

/** Fields of a slot block (WGSL `GS_*`); a missing slot packs zeros. */
export const SLOT_FIELDS: readonly _Field<BmSlot>[] = [
  { name: "GS_MODE", value: (s) => s.mode },
  { name: "GS_START", value: (s) => (s.start === "satrec" ? 1 : 0) },
  { name: "GS_TD", value: (s) => s.tdS },
  { name: "GS_PRE", value: (s) => s.preDelayS },
  { name: "GS_POST", value: (s) => s.postDelayS },
];

function _offsets(prefix: string, fields: readonly _Field<never>[]): [string, number][] {
  return fields.map((f, i): [string, number] => [f.name, i]).concat([[`${prefix}`, fields.length]]);
}

/**
 * The record's compile-time constants for the bm_* kernels: header indices, field offsets
 * within the blocks, block widths (G_POOLS = header length, POOL_W, MT_W, SLOT_W) and NSLOT.
 */
export const BM_RECORD_CONSTANTS: Readonly<Record<string, ConstValue>> = Object.freeze(
  Object.fromEntries([
    ..._offsets("G_POOLS", HEADER_FIELDS),
    ..._offsets("POOL_W", POOL_FIELDS),
    ..._offsets("MT_W", MT_FIELDS),
    ..._offsets("SLOT_W", SLOT_FIELDS),
    ["NSLOT", NSLOT],
  ]),
);

/** Where each part of a record lies, for one pool count and MT. */
export interface BmLayout {
  /** water + CEST pools */
  P: number;
  /** 1 with a z-only MT pool */
  MT: number;
  /** State size, 3·P + MT. */
  N: number;
  /** z-block size, P + MT. */
  NZ: number;
  /** First CEST-pool block. */
  pools: number;
  /** The MT block. */
  mt: number;
  /** First slot block. */
  slot: number;
  /** Free steady state z. */
  zss: number;
  /** Relaxed start z. */
  zrel: number;
  /** Record length (floats per group). */
  GR: number;
  /** Floats per group and slot in the prep buffer: start z, then post-delay F (NZ×NZ). */
  zpSlot: number;
}

/** The record layout of a model (the TypeScript side of bm_record.wgsl's `set_sizes`). */
export function bmLayout(model: TissueModel): BmLayout {
  const P = model.cest.length + 1;
  const MT = model.mt ? 1 : 0;
  const NZ = P + MT;
  const pools = HEADER_FIELDS.length;
  const mt = pools + POOL_FIELDS.length * (P - 1);
  const slot = mt + MT_FIELDS.length;
  const zss = slot + SLOT_FIELDS.length * NSLOT;
  const zrel = zss + NZ;
  return {
    P,
    MT,
    N: 3 * P + MT,
    NZ,
    pools,
    mt,
    slot,
    zss,
    zrel,
    GR: zrel + NZ,
    zpSlot: NZ + NZ * NZ,
  };
}

/**
 * The z-block steady state without RF (float64, closed form): each solute pool
 * M_i = f_i (k_i M_w + R1_i)/(R1_i + k_i), water from its balance equation. Equals the
 * equilibrium f_i when water f = 1.
 */
export function freeSteadyZ(model: TissueModel): number[] {
  const r1w = 1 / model.water.t1S;
  const pools = model.cest.map((p) => ({ f: p.f, k: p.kPerS, r1: 1 / p.t1S }));
  if (model.mt) pools.push({ f: model.mt.f, k: model.mt.kPerS, r1: 1 / model.mt.t1S });
  let lhs = r1w, rhs = model.water.f * r1w;
  for (const p of pools) {
    lhs += p.f * p.k - (p.k * p.f * p.k) / (p.r1 + p.k);
    rhs += (p.k * p.f * p.r1) / (p.r1 + p.k);
  }
  const mw = rhs / lhs;
  return [mw, ...pools.map((p) => (p.f * (p.k * mw + p.r1)) / (p.r1 + p.k))];
}

/** Packs one group's record at dst[base ..] by the table. */
export function packGroup(g: BmGroup, lay: BmLayout, dst: Float32Array, base: number): void {
  const m = g.model;
  HEADER_FIELDS.forEach((f, i) => (dst[base + i] = f.value(g)));
  m.cest.forEach((p, j) => {
    const b = base + lay.pools + POOL_FIELDS.length * j;
    POOL_FIELDS.forEach((f, i) => (dst[b + i] = f.value(p)));
  });
  const mt = m.mt;
  MT_FIELDS.forEach((f, i) => (dst[base + lay.mt + i] = mt ? f.value(mt) : 0));
  for (let s = 0; s < NSLOT; s++) {
    const sl = g.slots[s];
    const b = base + lay.slot + SLOT_FIELDS.length * s;
    SLOT_FIELDS.forEach((f, i) => (dst[b + i] = sl ? f.value(sl) : 0));
  }
  const zss = freeSteadyZ(m);
  const eq = equilibrium(m);
  if (zss.length !== lay.NZ) {
    throw new Error(`bm group record: ${zss.length} z entries, layout says ${lay.NZ}`);
  }
  for (let k = 0; k < lay.NZ; k++) {
    dst[base + lay.zss + k] = zss[k]!;
    dst[base + lay.zrel + k] = eq[2 * lay.P + k]!;
  }
}

/** One record read back by the table (tests, debugging). */
export interface BmRecordView {
  header: Record<string, number>;
  pools: Record<string, number>[];
  mt: Record<string, number>;
  slots: Record<string, number>[];
  zss: number[];
  zrel: number[];
}

/** Reads a packed record back field by field. */
export function readGroup(lay: BmLayout, src: ArrayLike<number>, base: number): BmRecordView {
  const block = (fields: readonly _Field<never>[], at: number) =>
    Object.fromEntries(fields.map((f, i) => [f.name, src[base + at + i]!]));
  const span = (at: number) => Array.from({ length: lay.NZ }, (_, k) => src[base + at + k]!);
  return {
    header: block(HEADER_FIELDS, 0),
    pools: Array.from(
      { length: lay.P - 1 },
      (_, j) => block(POOL_FIELDS, lay.pools + POOL_FIELDS.length * j),
    ),
    mt: block(MT_FIELDS, lay.mt),
    slots: Array.from(
      { length: NSLOT },
      (_, s) => block(SLOT_FIELDS, lay.slot + SLOT_FIELDS.length * s),
    ),
    zss: span(lay.zss),
    zrel: span(lay.zrel),
  };
}
