/** `quass train` in process: flags reach the trainer, notes and run files come out. */
import { trainCommand } from "../../src/cli/train.ts";
import { DATASET_FORMAT, writeDataset } from "../../src/data/dataset.ts";
import { runPaths } from "../../src/nn/checkpoint.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { gpuTest } from "../_util.ts";
import { syntheticDataset } from "../nn/_synthetic.ts";

/** A quass dataset file of synthetic pairs (T 21): 250 train, 150 validation. */
async function _dataset(path: string): Promise<void> {
  const st = syntheticDataset(400, 21, 1 + Math.floor(Math.random() * 1000), 150);
  const t = st.tensors;
  await writeDataset(path, {
    input: t.input!.data as Float32Array,
    target: t.target!.data as Float32Array,
    params: new Float32Array(400 * 20),
    offsetsPpm: Float64Array.from(t.offsets_ppm!.data),
    split: t.split!.data as Uint8Array,
    count: 400,
    T: 21,
    metadata: { format: DATASET_FORMAT },
  });
}

async function _train(args: string[]): Promise<string[]> {
  const lines: string[] = [];
  const err = console.error;
  console.error = (...a: unknown[]) => lines.push(a.join(" "));
  try {
    await trainCommand().exitOverride().parseAsync(args, { from: "user" });
  } finally {
    console.error = err;
  }
  return lines;
}

gpuTest("train --max-slice runs batches in slices, says so, and writes the run", async () => {
  const dir = await Deno.makeTempDir({ prefix: "quass_train_cli_" });
  try {
    await _dataset(`${dir}/d.safetensors`);
    const base = ["--arch", "mlp", "--data", `${dir}/d.safetensors`, "--preset", "tiny"];
    const lines = await _train([
      ...base,
      "--out",
      `${dir}/run`,
      "--epochs",
      "2",
      "--batch",
      "128",
      "--max-slice",
      "64",
      "--quiet",
    ]);
    const note = lines.find((l) => l.includes("runs in slices"));
    assert(note?.includes("slices of 64") && note.includes("at most 64"), lines.join("\n"));
    const log = (await Deno.readTextFile(runPaths(`${dir}/run`).log)).trim().split("\n");
    assertEquals(log.length, 3);
    assert(log.every((l) => Number.isFinite(JSON.parse(l).val_loss)), log.join("\n"));
    assert((await Deno.stat(runPaths(`${dir}/run`).model)).isFile, "model written");
    // a whole batch that fits says nothing about slices
    const plain = await _train([...base, "--out", `${dir}/plain`, "--epochs", "1", "--quiet"]);
    assert(!plain.some((l) => l.includes("slices")), plain.join("\n"));
    await assertRejects(
      () => _train([...base, "--out", `${dir}/bad`, "--max-slice", "0"]),
      /--max-slice: expected an integer ≥ 1/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
