/**
 * `quass simulate dataset --seq` as a subprocess on a tiny pulsed protocol (float64 CPU, so
 * no GPU is needed): the format `quass train` reads, the protocol metadata, sharding and
 * joining, and the one-line errors.
 */
import { assert, assertEquals } from "../_assert.ts";
import { readDataset, splitOf } from "../../src/data/dataset.ts";
import { trainingDataFromDataset } from "../../src/nn/training_data.ts";
import { sha256Hex } from "../../src/physics/seq/seq_pairs.ts";
import { pulseTrainSeq } from "../physics/seq/_seq_text.ts";
import { quass } from "./_quass.ts";
import { assertInputError } from "./_files.ts";
import { withTempDir } from "../_tmp.ts";

const IN = pulseTrainSeq({ offsetsPpm: [-3.5, 0, 3.5], pulses: 2 });
const TARGET = pulseTrainSeq({ offsetsPpm: [-3.5, 0, 3.5], pulses: 4 });

async function withSeqs(fn: (dir: string) => Promise<void>): Promise<void> {
  await withTempDir({ prefix: "quass_sim_seq_ds_" }, async (dir) => {
    await Deno.writeTextFile(`${dir}/in.seq`, IN);
    await Deno.writeTextFile(`${dir}/target.seq`, TARGET);
    await fn(dir);
  });
}

/** The flags of pairs from in.seq to its steady state after `trainS` seconds of the train. */
const toSteady = (dir: string, trainS: string) => [
  "--seq",
  `${dir}/in.seq`,
  "--target",
  "steady",
  "--steady-time",
  trainS,
];

const sim = (...args: string[]) => quass("simulate", "dataset", "--quiet", ...args);

Deno.test("simulate dataset --seq --target-seq writes a dataset train reads; shards join to the single run", async () => {
  await withSeqs(async (dir) => {
    // a fresh seed whose 10 rows hold train and validation rows (train needs both)
    let seedN: number;
    do seedN = 1 + Math.floor(Math.random() * 1e6); while (
      ![0, 1].every((k) => Array.from({ length: 10 }, (_, i) => splitOf(seedN, i)).includes(k))
    );
    const seed = String(seedN);
    const common = ["--seq", `${dir}/in.seq`, "--target-seq", `${dir}/target.seq`];
    const args = [...common, "--n", "10", "--seed", seed, "--device", "cpu"];
    const r = await sim(...args, "--out", `${dir}/all.safetensors`);
    assertEquals(r.code, 0, r.stderr);
    const ds = await readDataset(`${dir}/all.safetensors`);
    assertEquals([ds.count, ds.T], [10, 3]);
    assertEquals(Array.from(ds.offsetsPpm).map((o) => Math.round(o * 1e6) / 1e6), [-3.5, 0, 3.5]);
    const proto = JSON.parse(ds.metadata.protocol!);
    assertEquals(proto.input.file, `${dir}/in.seq`);
    assertEquals(proto.input.sha256, sha256Hex(IN));
    assertEquals(proto.target.sha256, sha256Hex(TARGET));
    assertEquals(JSON.parse(ds.metadata.param_space!).b0T, 3);
    assert(ds.input.every((v) => v > -1 && v < 1.01), "input Z in range");
    assert(ds.target.some((v, i) => Math.abs(v - ds.input[i]!) > 1e-3), "target = input");
    // what quass train reads
    const data = trainingDataFromDataset(ds, "all.safetensors");
    assertEquals(data.T, 3);
    assertEquals(data.b0T, 3);
    // shards, then join
    for (const s of ["0/2", "1/2"]) {
      const rs = await sim(...args, "--shard", s, "--out", `${dir}/x.safetensors`);
      assertEquals(rs.code, 0, rs.stderr);
    }
    const j = await sim(
      "--out",
      `${dir}/joined.safetensors`,
      "--join",
      `${dir}/x.shard-1-of-2.safetensors`,
      `${dir}/x.shard-0-of-2.safetensors`,
    );
    assertEquals(j.code, 0, j.stderr);
    assertEquals(
      await Deno.readFile(`${dir}/joined.safetensors`),
      await Deno.readFile(`${dir}/all.safetensors`),
    );
  });
});

Deno.test("simulate dataset --seq --target steady records its definition", async () => {
  await withSeqs(async (dir) => {
    const r = await sim(
      ...toSteady(dir, "4"),
      "--n",
      "3",
      "--device",
      "cpu",
      "--out",
      `${dir}/s.safetensors`,
    );
    assertEquals(r.code, 0, r.stderr);
    const ds = await readDataset(`${dir}/s.safetensors`);
    const t = JSON.parse(ds.metadata.protocol!).target;
    assertEquals([t.kind, t.train_s, t.sha256], ["seq-steady", 4, sha256Hex(IN)]);
  });
});

Deno.test("simulate dataset --seq --device auto runs on the GPU when there is one (the default space fits the register path)", async () => {
  await withSeqs(async (dir) => {
    const r = await quass(
      "simulate",
      "dataset",
      ...toSteady(dir, "1"),
      "--n",
      "2",
      "--out",
      `${dir}/a.safetensors`,
    );
    assertEquals(r.code, 0, r.stderr);
    const { hasGpu } = await import("../../src/gpu/device.ts");
    assert(/B0 3 T/.test(r.stderr), r.stderr);
    const onCpu = /on the CPU \(float64 reference, \d+ workers?\)/.test(r.stderr);
    assertEquals(onCpu, !(await hasGpu()), r.stderr);
  });
});

Deno.test("simulate dataset --seq: missing target, CW flags, bad files are one-line errors", async () => {
  await withSeqs(async (dir) => {
    const out = ["--out", `${dir}/o.safetensors`, "--n", "2", "--device", "cpu"];
    const seq = ["--seq", `${dir}/in.seq`];
    assertInputError(await sim(...seq, ...out), ["--target-seq FILE", "--target steady"]);
    assertInputError(await sim(...seq, "--target", "ts5", ...out), ["--target ts5", "CW"]);
    assertInputError(await sim(...seq, "--target", "steady", "--b1", "2", ...out), ["--b1"]);
    assertInputError(
      await sim("--target-seq", `${dir}/target.seq`, "--out", `${dir}/o.safetensors`),
      ["--target-seq", "only with --seq"],
    );
    assertInputError(await sim("--seq", `${dir}/nope.seq`, "--target", "steady", ...out), [
      "nope.seq",
      "not found",
    ]);
    await Deno.writeTextFile(`${dir}/bad.seq`, IN.replace("[BLOCKS]\n1 1", "[BLOCKS]\n1 x"));
    assertInputError(await sim("--seq", `${dir}/bad.seq`, "--target", "steady", ...out), [
      `bad.seq:${IN.split("\n").indexOf("[BLOCKS]") + 2}: [BLOCKS]`,
    ]);
    assertEquals((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(), [
      "bad.seq",
      "in.seq",
      "target.seq",
    ]);
  });
});
