/**
 * The CPU float64 simulator against independent references: the BMCTool/scipy 7 T spectra
 * (tests/fixtures/bmsim/generated/ref7T_cw_zspectra.csv) and pulseq-cest's own outputs
 * (tests/fixtures/bmsim/pulseq-cest-library/M_z_*.txt).
 */
import { assert, assertEquals } from "../_assert.ts";
import { assertClose } from "../_util.ts";
import { loadModelSync } from "../../src/physics/model_yaml.ts";
import { simulateCpu } from "../../src/physics/cpu_sim.ts";
import type { Protocol } from "../../src/physics/protocol.ts";
import { parseCestSeq } from "./_pulseq_seq.ts";
import { BMSIM } from "../fixtures/mod.ts";

const REF = BMSIM;

Deno.test("simulateCpu() matches ref7T_cw_zspectra.csv to 1e-8 over all 70 spectra", () => {
  const rows = Deno.readTextFileSync(REF + "generated/ref7T_cw_zspectra.csv").trim().split(/\r?\n/);
  assertEquals(rows[0], "model,B1_uT,Ts_s,init,Td_s,offset_ppm,Z");
  const groups = new Map<string, { offsets: number[]; z: number[] }>();
  for (const line of rows.slice(1)) {
    const r = line.split(",");
    const key = r.slice(0, 5).join(",");
    if (!groups.has(key)) groups.set(key, { offsets: [], z: [] });
    groups.get(key)!.offsets.push(Number(r[5]));
    groups.get(key)!.z.push(Number(r[6]));
  }
  assertEquals(groups.size, 70);
  let maxAbs = 0;
  for (const [key, g] of groups) {
    const [name, b1, ts, init, td] = key.split(",");
    const model = loadModelSync(`${REF}generated/${name}.yaml`);
    assertEquals(model.b0T, 7);
    const protocol: Protocol = {
      b1UT: Number(b1),
      tsS: ts === "inf" ? Infinity : Number(ts),
      start: init === "relaxed" ? { kind: "relaxed" } : { kind: "satrec", tdS: Number(td) },
      preDelayS: 0,
      postDelayS: 0,
      offsetsPpm: g.offsets,
    };
    const r = assertClose(simulateCpu(model, protocol), g.z, { atol: 1e-8, label: key });
    maxAbs = Math.max(maxAbs, r.maxAbs);
  }
  console.log(`ref7T_cw_zspectra: max |ΔZ| = ${maxAbs.toExponential(2)} over 70 spectra`);
});

for (
  const [seqName, txtName] of <[string, string][]> [
    [
      "APTw_3T_000_2uT_1block_2s_braintumor__at_8db2433.seq",
      "M_z_APTw_3T_000_2uT_1block_2s_braintumor__at_8db2433.txt",
    ],
    [
      "WASABI_3T_001_3p7uT_1block_5ms__at_8db2433.seq",
      "M_z_WASABI_3T_001_3p7uT_1block_5ms__at_8db2433.txt",
    ],
  ]
) {
  Deno.test(`simulateCpu() reproduces pulseq-cest's ${txtName.slice(0, 14)}… to 1e-6`, () => {
    const lib = REF + "pulseq-cest-library/";
    const model = loadModelSync(lib + "WM_3T_default_7pool_bmsim__at_8db2433.yaml");
    const { offsetsPpm, events } = parseCestSeq(Deno.readTextFileSync(lib + seqName!));
    const want = Deno.readTextFileSync(lib + txtName!).trim().split(/\r?\n/).map(Number);
    assertEquals(events.length, want.length);
    assertEquals(offsetsPpm.length, want.length);
    const got = events.map((ev, i) => {
      // the .seq stores rounded Hz; simulate exactly those frequencies and amplitudes
      const w0 = model.gammaRadPerSUT * model.b0T;
      const offsetPpm = (2 * Math.PI * ev.freqHz) / w0;
      assert(
        Math.abs(offsetPpm - offsetsPpm[i]!) <= 1e-5 * Math.max(1, Math.abs(offsetsPpm[i]!)),
        `offset ${i} ${offsetPpm} vs ${offsetsPpm[i]}`,
      );
      const protocol: Protocol = {
        b1UT: (2 * Math.PI * ev.ampHz) / model.gammaRadPerSUT,
        tsS: ev.pulseS,
        start: { kind: "relaxed" }, // reset_init_mag: True, scale: 1
        preDelayS: ev.deadTimeS,
        postDelayS: ev.ringDownS + ev.spoilerS,
        offsetsPpm: [offsetPpm],
      };
      return simulateCpu(model, protocol)[0]!;
    });
    const r = assertClose(got, want, { atol: 1e-6, label: txtName });
    console.log(`${txtName}: max |ΔMz| = ${r.maxAbs.toExponential(2)}`);
  });
}
