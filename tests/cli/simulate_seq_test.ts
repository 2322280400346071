/** `quass simulate spectrum --seq`: pulseq-cest's output from the CLI, and its one-line errors. */
import { assertEquals } from "../_assert.ts";
import { assertClose } from "../_util.ts";
import { parseSpectrumCsv, quass } from "./_quass.ts";
import { assertInputError } from "./_files.ts";
import { BMSIM } from "../fixtures/mod.ts";
import { hasGpu } from "../../src/gpu/device.ts";
import { withTempDir } from "../_tmp.ts";

const LIB = `${BMSIM}pulseq-cest-library/`;
const SEQ = `${LIB}APTw_3T_000_2uT_1block_2s_braintumor__at_8db2433.seq`;
const MODEL = `${LIB}WM_3T_default_7pool_bmsim__at_8db2433.yaml`;
const WANT = `${LIB}M_z_APTw_3T_000_2uT_1block_2s_braintumor__at_8db2433.txt`;

Deno.test("simulate spectrum --seq prints one row per ADC (M0 first), raw Mz as pulseq-cest's M_z file", async () => {
  const r = await quass("simulate", "spectrum", "--seq", SEQ, "--model", MODEL);
  assertEquals(r.code, 0, r.stderr);
  const { offsets, z } = parseSpectrumCsv(r.stdout);
  const want = Deno.readTextFileSync(WANT).trim().split(/\r?\n/).map(Number);
  assertEquals(offsets.length, 34);
  assertEquals(offsets[0], -300);
  assertClose(offsets.slice(1), Array.from({ length: 33 }, (_, i) => -4 + 0.25 * i), {
    atol: 1e-9,
    label: "offsets",
  });
  const d = assertClose(z, want, { atol: 1e-10, label: "Mz" });
  console.log(`CLI --seq vs pulseq-cest M_z: max |ΔMz| = ${d.maxAbs.toExponential(2)}`);

  const n = await quass("simulate", "spectrum", "--seq", SEQ, "--model", MODEL, "--normalize");
  assertEquals(n.code, 0, n.stderr);
  const zn = parseSpectrumCsv(n.stdout).z;
  assertClose(zn, z.map((v) => v / z[0]!), { atol: 1e-12, label: "normalised" });
  assertEquals(zn[0], 1);
});

Deno.test("simulate spectrum --seq: CW flags, --normalize without --seq and a bad .seq line exit 2 with one line", async () => {
  assertInputError(
    await quass("simulate", "spectrum", "--seq", SEQ, "--model", MODEL, "--b1", "2"),
    ["--b1", "--seq", "drop it"],
  );

  assertInputError(
    await quass("simulate", "spectrum", "--model", MODEL, "--normalize", "--device", "cpu"),
    ["--normalize", "--seq"],
  );
  await withTempDir({}, async (dir) => {
    const bad = `${dir}/bad.seq`;
    const text = Deno.readTextFileSync(SEQ).replace("[TRAP]", "[CONTROLS]");
    const line = text.split("\n").findIndex((l) => l.startsWith("[CONTROLS]")) + 1;
    await Deno.writeTextFile(bad, text);
    const r = await quass("simulate", "spectrum", "--seq", bad, "--model", MODEL);
    assertInputError(r, [`bad.seq:${line}:`, "[CONTROLS]"]);
    assertEquals(r.stdout, "");
    assertInputError(
      await quass("simulate", "spectrum", "--seq", `${dir}/none.seq`, "--model", MODEL),
      ["none.seq", "not found"],
    );
  });
});

Deno.test({
  name: "simulate spectrum --seq --device gpu prints the f32 WebGPU result within 2e-5 of float64",
  ignore: !(await hasGpu()),
  fn: async () => {
    const args = ["simulate", "spectrum", "--seq", SEQ, "--model", MODEL, "--normalize"];
    const g = await quass(...args, "--device", "gpu");
    assertEquals(g.code, 0, g.stderr);
    const c = await quass(...args);
    const gc = parseSpectrumCsv(g.stdout), cc = parseSpectrumCsv(c.stdout);
    assertEquals(gc.offsets, cc.offsets);
    const d = assertClose(gc.z, cc.z, { atol: 2e-5, label: "gpu vs cpu" });
    console.log(`CLI --seq gpu vs cpu: max |ΔZ| = ${d.maxAbs.toExponential(2)}`);
  },
});
