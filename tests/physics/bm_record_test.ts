/** The GPU simulator's group record: one table packs it and gives the kernels its offsets. */
import { assert, assertEquals } from "../_assert.ts";
import {
  BM_RECORD_CONSTANTS,
  type BmGroup,
  bmLayout,
  freeSteadyZ,
  HEADER_FIELDS,
  MT_FIELDS,
  NSLOT,
  packGroup,
  POOL_FIELDS,
  readGroup,
  SLOT_FIELDS,
} from "../../src/physics/bm_record.ts";
import { equilibrium, omega0PerPpm } from "../../src/physics/bm_matrix.ts";
import { BM_PREP, BM_SAT, BM_SAT_REG } from "../../src/physics/gpu_sim.ts";
import { kernelSource, shaderSource } from "../../src/gpu/kernel.ts";
import { randomModel } from "./_random_model.ts";

const f32 = Math.fround;

function randomGroup(i: number): BmGroup {
  const model = randomModel({ mt: i % 3 !== 0 });
  if (model.mt && i % 2) model.mt.lineshape = "SuperLorentzian";
  model.b0InhomPpm = Math.random() - 0.5;
  model.relB1 = 0.8 + 0.4 * Math.random();
  const slot = (mode: number) => ({
    mode,
    start: Math.random() < 0.5 ? "relaxed" as const : "satrec" as const,
    tdS: 4 * Math.random(),
    preDelayS: Math.random(),
    postDelayS: Math.random(),
  });
  return {
    model,
    b1UT: 3 * Math.random(),
    b0T: model.b0T,
    hS: 0.5,
    offsetsPpm: Array.from({ length: 5 + i }, (_, o) => o - 2),
    // one or two slots; the second, when missing, packs zeros
    slots: i % 4 === 1 ? [slot(3)] : [slot(3), slot(i % 5 === 0 ? -1 : 10)],
  };
}

Deno.test("packGroup: every field of random records reads back through the table", () => {
  for (let i = 0; i < 40; i++) {
    const g = randomGroup(i);
    const m = g.model;
    const lay = bmLayout(m);
    const base = 7;
    const buf = new Float32Array(base + lay.GR + 3).fill(NaN);
    packGroup(g, lay, buf, base);
    // the record fills exactly its GR floats
    assert(buf.subarray(base, base + lay.GR).every(Number.isFinite));
    assert(Number.isNaN(buf[base - 1]!) && Number.isNaN(buf[base + lay.GR]!));
    assertEquals(
      lay.GR,
      HEADER_FIELDS.length + POOL_FIELDS.length * m.cest.length +
        MT_FIELDS.length + SLOT_FIELDS.length * NSLOT + 2 * lay.NZ,
    );

    const r = readGroup(lay, buf, base);
    const w0 = omega0PerPpm(m, g.b0T);
    assertEquals(r.header, {
      G_W1: f32(m.gammaRadPerSUT * g.b1UT * m.relB1),
      G_W0: f32(w0),
      G_DW0: f32(m.b0InhomPpm * w0),
      G_H: f32(g.hS),
      G_R1W: f32(1 / m.water.t1S),
      G_R2W: f32(1 / m.water.t2S),
      G_FW: f32(m.water.f),
      G_NOFF: g.offsetsPpm.length,
      G_MTMODE: m.mt ? (m.mt.lineshape === "Lorentzian" ? 1 : 2) : 0,
    });
    assertEquals(
      r.pools,
      m.cest.map((p) => ({
        GP_F: f32(p.f),
        GP_K: f32(p.kPerS),
        GP_R1: f32(1 / p.t1S),
        GP_R2: f32(1 / p.t2S),
        GP_DW: f32(p.dwPpm),
      })),
    );
    const mt = m.mt;
    assertEquals(r.mt, {
      GM_F: mt ? f32(mt.f) : 0,
      GM_K: mt ? f32(mt.kPerS) : 0,
      GM_R1: mt ? f32(1 / mt.t1S) : 0,
      GM_T2: mt ? f32(mt.t2S) : 0,
      GM_DW: mt ? f32(mt.dwPpm) : 0,
    });
    assertEquals(
      r.slots,
      Array.from({ length: NSLOT }, (_, s) => {
        const sl = g.slots[s];
        return {
          GS_MODE: sl ? sl.mode : 0,
          GS_START: sl?.start === "satrec" ? 1 : 0,
          GS_TD: sl ? f32(sl.tdS) : 0,
          GS_PRE: sl ? f32(sl.preDelayS) : 0,
          GS_POST: sl ? f32(sl.postDelayS) : 0,
        };
      }),
    );
    assertEquals(r.zss, freeSteadyZ(m).map(f32));
    const eq = equilibrium(m);
    assertEquals(r.zrel, Array.from({ length: lay.NZ }, (_, k) => f32(eq[2 * lay.P + k]!)));
  }
});

Deno.test("BM_RECORD_CONSTANTS: the kernels compile the table's offsets and only those", () => {
  const expected: [string, number][] = [
    ...HEADER_FIELDS.map((f, i): [string, number] => [f.name, i]),
    ["G_POOLS", HEADER_FIELDS.length],
    ...POOL_FIELDS.map((f, i): [string, number] => [f.name, i]),
    ["POOL_W", POOL_FIELDS.length],
    ...MT_FIELDS.map((f, i): [string, number] => [f.name, i]),
    ["MT_W", MT_FIELDS.length],
    ...SLOT_FIELDS.map((f, i): [string, number] => [f.name, i]),
    ["SLOT_W", SLOT_FIELDS.length],
    ["NSLOT", NSLOT],
  ];
  assertEquals(Object.entries(BM_RECORD_CONSTANTS), expected);
  const lines = expected.map(([k, v]) => `const ${k}: u32 = ${v}u;`);
  for (const desc of [BM_PREP, BM_SAT, BM_SAT_REG]) {
    const src = kernelSource(desc, { ...BM_RECORD_CONSTANTS, N: 20 });
    const generated = src.split("\n").filter((l) =>
      /^const (G|GP|GM|GS)_|^const (POOL_W|MT_W|SLOT_W|NSLOT):/.test(l)
    );
    assertEquals(generated, lines, desc.name);
  }
  // No hand-written offsets left in the record file, and every record name the kernels use
  // is generated or laid out at run time by set_sizes.
  const rec = shaderSource("bm_record.wgsl");
  assert(!/^const /m.test(rec), "bm_record.wgsl declares no constants");
  const runtime = ["G_MTP", "G_SLOT", "G_ZSS", "G_ZREL"];
  for (
    const f of [
      "bm_record.wgsl",
      "bm_mt.wgsl",
      "bm_prep.wgsl",
      "bm_sat.wgsl",
      "bm_sat_reg.wgsl",
      "bm_sat_thread.wgsl",
      "bm_system.wgsl",
    ]
  ) {
    for (const [name] of shaderSource(f).matchAll(/\bG[PMS]?_[A-Z0-9_]+\b/g)) {
      assert(name in BM_RECORD_CONSTANTS || runtime.includes(name), `${f}: ${name}`);
    }
  }
});

Deno.test("bmLayout matches set_sizes: blocks in order, widths from the table", () => {
  for (const [pools, mt] of [[0, false], [1, true], [6, true], [9, false]] as const) {
    const m = randomModel({ pools, mt });
    const lay = bmLayout(m);
    const P = pools + 1, MT = mt ? 1 : 0, NZ = P + MT;
    // the arithmetic of bm_record.wgsl's set_sizes, with the generated constants
    const c = BM_RECORD_CONSTANTS as Record<string, number>;
    const gMtp = c.G_POOLS! + c.POOL_W! * (P - 1);
    const gSlot = gMtp + c.MT_W!;
    const gZss = gSlot + c.SLOT_W! * c.NSLOT!;
    assertEquals(lay, {
      P,
      MT,
      N: 3 * P + MT,
      NZ,
      pools: c.G_POOLS!,
      mt: gMtp,
      slot: gSlot,
      zss: gZss,
      zrel: gZss + NZ,
      GR: gZss + 2 * NZ,
      zpSlot: NZ + NZ * NZ,
    });
  }
});
