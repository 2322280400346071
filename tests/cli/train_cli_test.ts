/** `quass train` in process: flags reach the trainer, notes and run files come out. */
import { trainCommand } from "../../src/cli/train.ts";
import { runPaths } from "../../src/nn/checkpoint.ts";
import { InputError } from "../../src/util/errors.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { gpuTest } from "../_util.ts";
import { TINY_TRAIN, tinyDataset } from "./_files.ts";
import { withTempDir } from "../_tmp.ts";

/**
 * Runs `fn` in a temporary directory holding d.safetensors (synthetic pairs, T 21: 250
 * train, 150 validation, fresh seed) with `base`, `train`'s flags for a tiny quiet MLP on
 * it (add --out and any others).
 */
function _withData(prefix: string, fn: (dir: string, base: string[]) => Promise<void>) {
  return withTempDir({ prefix }, async (dir) => {
    const data = `${dir}/d.safetensors`;
    await tinyDataset(data, 1 + Math.floor(Math.random() * 1000));
    await fn(dir, [...TINY_TRAIN.slice(1), "--data", data]);
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
  await _withData("quass_train_cli_", async (dir, base) => {
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
    ]);
    const note = lines.find((l) => l.includes("runs in slices"));
    assert(note?.includes("slices of 64") && note.includes("at most 64"), lines.join("\n"));
    const log = (await Deno.readTextFile(runPaths(`${dir}/run`).log)).trim().split("\n");
    assertEquals(log.length, 3);
    assert(log.every((l) => Number.isFinite(JSON.parse(l).val_loss)), log.join("\n"));
    assert((await Deno.stat(runPaths(`${dir}/run`).model)).isFile, "model written");
    // a whole batch that fits says nothing about slices
    const plain = await _train([...base, "--out", `${dir}/plain`, "--epochs", "1"]);
    assert(!plain.some((l) => l.includes("slices")), plain.join("\n"));
    await assertRejects(
      () => _train([...base, "--out", `${dir}/bad`, "--max-slice", "0"]),
      /--max-slice: expected an integer ≥ 1/,
    );
  });
});

gpuTest(
  "train --snr/--clean-fraction/--noisy-validation reach config.json; bad values name the flag",
  async () => {
    await _withData("quass_train_snr_", async (dir, base) => {
      const lines = await _train([
        ...base,
        "--out",
        `${dir}/run`,
        "--epochs",
        "1",
        "--snr",
        "30:1000",
        "--clean-fraction",
        "0.2",
        "--noisy-validation",
      ]);
      assert(
        lines.some((l) => /Rician noise .*SNR 30–1000 .*20 % clean; validation noisy/.test(l)),
        lines.join("\n"),
      );
      const cfg = JSON.parse(await Deno.readTextFile(runPaths(`${dir}/run`).config));
      assertEquals(cfg.train.snrAugment, { snrMin: 30, snrMax: 1000, cleanFraction: 0.2 });
      assertEquals(cfg.train.noisyValidation, true);
      const log = (await Deno.readTextFile(runPaths(`${dir}/run`).log)).trim().split("\n");
      assertEquals(log.length, 2);
      // a single number is one fixed SNR; no --snr keeps augmentation off
      await _train([...base, "--out", `${dir}/fixed`, "--epochs", "1", "--snr", "50"]);
      const fixed = JSON.parse(await Deno.readTextFile(runPaths(`${dir}/fixed`).config));
      assertEquals(fixed.train.snrAugment, { snrMin: 50, snrMax: 50, cleanFraction: 0 });
      await _train([...base, "--out", `${dir}/off`, "--epochs", "1"]);
      const off = JSON.parse(await Deno.readTextFile(runPaths(`${dir}/off`).config));
      assertEquals([off.train.snrAugment, off.train.noisyValidation], [null, false]);
      const bad: [string[], RegExp][] = [
        [["--snr", "30:inf"], /--snr: SNR bounds must be finite.*--clean-fraction/],
        [["--snr", "0.5:10"], /--snr: the lowest SNR must be a number ≥ 1/],
        [["--snr", "100:30"], /--snr: the highest SNR must be .*≥ the lowest 100/],
        [["--snr", "a:b"], /--snr: expected a number but got "a"/],
        [["--snr", "30:100", "--clean-fraction", "1"], /--clean-fraction must be in \[0, 1\)/],
        [["--clean-fraction", "0.2"], /--clean-fraction needs --snr MIN:MAX/],
        [["--noisy-validation"], /--noisy-validation needs --snr MIN:MAX/],
      ];
      for (const [flags, re] of bad) {
        const e = await assertRejects(() => _train([...base, "--out", `${dir}/bad`, ...flags]), re);
        assert(e instanceof InputError, `${flags.join(" ")}: ${e}`);
      }
    });
  },
);
