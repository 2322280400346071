/** `quass simulate spectrum` run as a subprocess: output format and one-line errors. */
import { assert, assertEquals } from "../_assert.ts";
import { assertClose } from "../_util.ts";
import { loadModelSync } from "../../src/physics/model_yaml.ts";
import { simulateCpu } from "../../src/physics/cpu_sim.ts";
import { linspaceOffsets } from "../../src/physics/protocol.ts";
import { hasGpu } from "../../src/gpu/device.ts";
import { parseSpectrumCsv, quass } from "./_quass.ts";
import { RAT_BRAIN_7T_YAML } from "../fixtures/mod.ts";

/** The paper's input protocol (B1 1 µT, Ts 1.5 s, Td 4.5 s, 101 offsets) on the 7-pool model. */
const PAPER_INPUT_ARGS = [
  "--model",
  RAT_BRAIN_7T_YAML,
  "--b1",
  "1.0",
  "--ts",
  "1.5",
  "--td",
  "4.5",
  "--offsets=-6:6:101",
];

Deno.test("simulate spectrum --device cpu prints the 101-row CSV of the float64 simulator", async () => {
  const r = await quass("simulate", "spectrum", ...PAPER_INPUT_ARGS, "--device", "cpu");
  assertEquals(r.code, 0, r.stderr);
  const { offsets, z } = parseSpectrumCsv(r.stdout);
  assertEquals(offsets.length, 101);
  assertClose(offsets, linspaceOffsets(-6, 6, 101), { atol: 1e-10, label: "offsets" });
  const model = loadModelSync(RAT_BRAIN_7T_YAML);
  // spot check against the library call at a few random offsets of the grid
  const idx = Array.from({ length: 5 }, () => Math.floor(Math.random() * 101));
  const want = simulateCpu(model, {
    b1UT: 1,
    tsS: 1.5,
    start: { kind: "satrec", tdS: 4.5 },
    preDelayS: 0,
    postDelayS: 0,
    offsetsPpm: idx.map((i) => offsets[i]!),
  });
  assertClose(idx.map((i) => z[i]!), want, { atol: 1e-12, label: "z" });
  assert(z.every((v) => v > 0 && v < 1), "0 < Z < 1");
});

Deno.test({
  name:
    "simulate spectrum (the issue's exact command, default GPU) prints 101 rows within 2e-5 of the CPU",
  ignore: !(await hasGpu()),
  fn: async () => {
    const args = PAPER_INPUT_ARGS;
    const gpu = await quass("simulate", "spectrum", ...args);
    assertEquals(gpu.code, 0, gpu.stderr);
    const cpu = await quass("simulate", "spectrum", ...args, "--device", "cpu");
    const g = parseSpectrumCsv(gpu.stdout), c = parseSpectrumCsv(cpu.stdout);
    assertEquals(g.offsets.length, 101);
    assertEquals(g.offsets, c.offsets);
    const r = assertClose(g.z, c.z, { atol: 2e-5, label: "gpu vs cpu" });
    console.log(`CLI gpu vs cpu: max |ΔZ| = ${r.maxAbs.toExponential(2)}`);
  },
});

Deno.test("simulate spectrum --ts inf --offsets-file --m0-offset gives normalised steady-state Z", async () => {
  const file = await Deno.makeTempFile({ suffix: ".txt" });
  try {
    await Deno.writeTextFile(file, "# offsets\n-300\n3.5\n\n-2.4\n");
    const r = await quass(
      "simulate",
      "spectrum",
      "--model",
      RAT_BRAIN_7T_YAML,
      "--ts",
      "inf",
      "--offsets-file",
      file,
      "--m0-offset",
      "-300",
      "--device",
      "cpu",
    );
    assertEquals(r.code, 0, r.stderr);
    const { offsets, z } = parseSpectrumCsv(r.stdout);
    assertEquals(offsets, [-300, 3.5, -2.4]);
    assertClose([z[0]!], [1], { atol: 1e-15, label: "Z at the M0 offset" });
  } finally {
    await Deno.remove(file);
  }
});

for (
  const [what, args, mention] of <[string, string[], string][]> [
    ["a negative --b1", ["--model", RAT_BRAIN_7T_YAML, "--b1", "-1"], "--b1"],
    ["a malformed --offsets", ["--model", RAT_BRAIN_7T_YAML, "--offsets=bad"], "--offsets"],
    ["a missing --model", ["--b1", "1"], "--model"],
    ["a non-numeric --ts", ["--model", RAT_BRAIN_7T_YAML, "--ts", "long"], "--ts"],
    ["a missing model file", ["--model", "/nonexistent/model.yaml"], "/nonexistent/model.yaml"],
    ["an unknown --device", ["--model", RAT_BRAIN_7T_YAML, "--device", "tpu"], "--device"],
  ]
) {
  Deno.test(`simulate spectrum with ${what} exits 2 with one line on stderr`, async () => {
    const r = await quass(
      "simulate",
      "spectrum",
      ...args,
      ...(what.includes("device") ? [] : ["--device", "cpu"]),
    );
    assertEquals(r.code, 2);
    assertEquals(r.stdout, "");
    const lines = r.stderr.trim().split("\n").filter((l) => !l.includes("XDG_RUNTIME_DIR"));
    assertEquals(lines.length, 1, r.stderr);
    assert(lines[0]!.includes(mention), `"${lines[0]}" should mention ${mention}`);
  });
}

Deno.test("simulate spectrum with a malformed YAML model exits 2 naming the file and key", async () => {
  const file = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await Deno.writeTextFile(file, "water_pool: {f: 1, t1: 1.8, t2: -0.05}\nb0: 7\n");
    const r = await quass("simulate", "spectrum", "--model", file, "--device", "cpu");
    assertEquals(r.code, 2);
    const lines = r.stderr.trim().split("\n").filter((l) => !l.includes("XDG_RUNTIME_DIR"));
    assertEquals(lines.length, 1, r.stderr);
    assert(lines[0]!.includes(file) && lines[0]!.includes("water_pool.t2"), lines[0]);
  } finally {
    await Deno.remove(file);
  }
});
