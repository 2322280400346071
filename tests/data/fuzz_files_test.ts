/**
 * Fuzzing the file readers: a few hundred random mutations (byte flips, deletions, inserted
 * bytes, truncation, spliced duplicates) of a valid tissue-model YAML, a safetensors file and
 * NIfTI-1 files (.nii and .nii.gz) must each parse or give an InputError (what the CLI turns
 * into one line and exit 2, the server into a 400) — never another error, a crash or a hang.
 * The seed is fresh per run and printed in the test names; QUASS_FUZZ_SEED repeats a run.
 */
import { assert } from "../_assert.ts";
import { Rng } from "../../src/util/rng.ts";
import { InputError } from "../../src/util/errors.ts";
import { parseModelYaml } from "../../src/physics/model_yaml.ts";
import { decodeSafetensors, encodeSafetensors } from "../../src/data/safetensors.ts";
import { encodeNifti, gzip, parseNifti } from "../../src/data/nifti.ts";

const SEED = Number(Deno.env.get("QUASS_FUZZ_SEED") ?? Math.floor(Math.random() * 2 ** 31));
const CASES = 300;
/** Longest a single parse may take, ms (a hang shows as far more). */
const MAX_MS = 2000;

/** One random mutation of `src`. */
function mutate(src: Uint8Array, rng: Rng): Uint8Array {
  const b = Array.from(src);
  const edits = 1 + Math.floor(rng.uniform() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rng.uniform() * Math.max(1, b.length));
    switch (Math.floor(rng.uniform() * 6)) {
      case 0: // flip a byte
        b[at] = Math.floor(rng.uniform() * 256);
        break;
      case 1: // delete a run
        b.splice(at, 1 + Math.floor(rng.uniform() * 16));
        break;
      case 2: // insert random bytes
        b.splice(
          at,
          0,
          ...Array.from(
            { length: 1 + Math.floor(rng.uniform() * 8) },
            () => Math.floor(rng.uniform() * 256),
          ),
        );
        break;
      case 3: // truncate
        b.length = at;
        break;
      case 4: // duplicate a slice somewhere else
        b.splice(Math.floor(rng.uniform() * b.length), 0, ...b.slice(at, at + 32));
        break;
      default: // an extreme number in text form (digits, signs, exponents)
        b.splice(
          at,
          0,
          ...new TextEncoder().encode(
            ["9e999", "-1", "1e-400", "nan", "0x7fffffff", "[[[[["][Math.floor(rng.uniform() * 6)]!,
          ),
        );
    }
  }
  return Uint8Array.from(b);
}

/** Runs `parse` on CASES mutations; any error other than InputError fails the test. */
async function fuzz(
  what: string,
  valid: Uint8Array,
  parse: (bytes: Uint8Array) => unknown,
  stream: number,
): Promise<void> {
  const rng = new Rng(SEED, stream);
  await parse(valid); // the unmutated file parses
  let refused = 0;
  for (let k = 0; k < CASES; k++) {
    const bytes = mutate(valid, rng);
    const t0 = performance.now();
    try {
      await parse(bytes);
    } catch (e) {
      if (!(e instanceof InputError)) {
        throw new Error(
          `${what} mutation ${k} (QUASS_FUZZ_SEED=${SEED}): ${(e as Error)?.name}: ${
            (e as Error)?.message
          }`,
          { cause: e },
        );
      }
      assert(e.message.length > 0 && !e.message.includes("\n"), `one-line message: ${e.message}`);
      refused++;
    }
    const ms = performance.now() - t0;
    assert(ms < MAX_MS, `${what} mutation ${k} (QUASS_FUZZ_SEED=${SEED}) took ${ms.toFixed(0)} ms`);
  }
  assert(refused > 0, `${what}: some mutations must be refused`);
}

Deno.test(`fuzzed tissue-model YAML parses or gives an InputError (seed ${SEED})`, async () => {
  const text = await Deno.readTextFile(
    new URL("../../static/models/rat_brain_7T_7pool_tumour_example.yaml", import.meta.url),
  );
  const dec = new TextDecoder();
  await fuzz(
    "YAML",
    new TextEncoder().encode(text),
    (b) => parseModelYaml(dec.decode(b), "fuzz.yaml"),
    1,
  );
});

Deno.test(`fuzzed safetensors parse or give an InputError (seed ${SEED})`, async () => {
  const valid = encodeSafetensors({
    tensors: {
      input: { data: Float32Array.from({ length: 24 }, (_, i) => i / 24), shape: [4, 6] },
      offsets_ppm: { data: Float32Array.from([-3, -2, -1, 1, 2, 3]), shape: [6] },
      split: { data: Uint8Array.from([0, 0, 1, 2]), shape: [4] },
    },
    metadata: { protocol: "{}", seed: "1" },
  });
  await fuzz("safetensors", valid, (b) => decodeSafetensors(b, "fuzz.safetensors"), 2);
});

Deno.test(`fuzzed NIfTI-1 files (.nii and .nii.gz) parse or give an InputError (seed ${SEED})`, async () => {
  const vol = {
    dims: [4, 3, 2, 5] as [number, number, number, number],
    data: Float32Array.from({ length: 120 }, (_, i) => Math.sin(i)),
  };
  const nii = encodeNifti(vol);
  await fuzz("NIfTI", nii, (b) => parseNifti(b, "fuzz.nii"), 3);
  // mutate the header of a compressed file: re-compress each mutated header + the voxels
  const rng = new Rng(SEED, 4);
  await fuzz(
    "NIfTI .gz",
    nii.subarray(0, 352),
    async (hdr) => {
      const body = new Uint8Array(hdr.length + nii.length - 352);
      body.set(hdr);
      body.set(nii.subarray(352), hdr.length);
      return await parseNifti(await gzip(rng.uniform() < 0.5 ? body : nii), "fuzz.nii.gz");
    },
    5,
  );
});
