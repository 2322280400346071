/** Helpers of the CLI input-checking tests: small input files and what a run leaves behind. */
import { assert, assertEquals } from "../_assert.ts";
import { DATASET_FORMAT, writeDataset } from "../../src/data/dataset.ts";
import { writeNifti } from "../../src/data/nifti.ts";
import { writeSidecar } from "../../src/data/sidecar.ts";
import { PAPER_OFFSETS_PPM } from "../../src/physics/protocol.ts";
import { syntheticDataset } from "../nn/_synthetic.ts";
import { quass } from "./_quass.ts";

/** `quass train` of a tiny MLP, quiet (add --data, --out and any other flags). */
export const TINY_TRAIN = ["train", "--arch", "mlp", "--preset", "tiny", "--quiet"];

/** Runs {@link TINY_TRAIN} on the dataset `data` into the run directory `out`, with `flags`. */
export function trainTiny(
  data: string,
  out: string,
  ...flags: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  return quass(...TINY_TRAIN, ...flags, "--data", data, "--out", out);
}

/** Every file and directory under `dir`, relative, sorted (dot files included). */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string) => {
    for await (const e of Deno.readDir(d)) {
      const name = rel ? `${rel}/${e.name}` : e.name;
      out.push(e.isDirectory ? `${name}/` : name);
      if (e.isDirectory) await walk(`${d}/${e.name}`, name);
    }
  };
  await walk(dir, "");
  return out.sort();
}

/**
 * Asserts the CLI's contract for bad input: exit code 2 and one line on stderr holding each
 * of `parts` (the file or flag, and the fix).
 */
export function assertInputError(
  r: { code: number; stdout: string; stderr: string },
  parts: (string | RegExp)[],
): string {
  assertEquals(r.code, 2, `exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trim().split("\n");
  assertEquals(lines.length, 1, `one line on stderr:\n${r.stderr}`);
  const line = lines[0]!;
  for (const p of parts) {
    assert(typeof p === "string" ? line.includes(p) : p.test(line), `"${p}" in: ${line}`);
  }
  return line;
}

/** A quass dataset of synthetic pairs (T 21, 400 rows: 250 train, 150 validation). */
export async function tinyDataset(path: string, seed = 1): Promise<void> {
  const st = syntheticDataset(400, 21, seed, 150);
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

/**
 * A 2×2×1 Z-spectral scan at the paper's 101 offsets with the input protocol in its sidecar,
 * and a water T1 map of it (1.2–2 s).
 */
export async function tinyScan(dir: string): Promise<{ scan: string; t1: string }> {
  const nt = PAPER_OFFSETS_PPM.length;
  const data = Float32Array.from({ length: 4 * nt }, () => 0.3 + 0.5 * Math.random());
  const scan = `${dir}/scan.nii.gz`, t1 = `${dir}/t1.nii.gz`;
  await writeNifti(scan, { dims: [2, 2, 1, nt], data });
  await writeSidecar(scan, {
    offsetsPpm: [...PAPER_OFFSETS_PPM],
    tsS: 1.5,
    tdS: 4.5,
    b1UT: 1,
    b0T: 7,
  });
  const t1s = Float32Array.from({ length: 4 }, () => 1.2 + 0.8 * Math.random());
  await writeNifti(t1, { dims: [2, 2, 1, 1], data: t1s });
  return { scan, t1 };
}
