/**
 * Inputs that used to be accepted with exit 0: a safetensors file whose tensors share bytes,
 * a T1 map with no usable voxel, a `compare --runs` directory that does not exist.
 */
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { InputError } from "../../src/util/errors.ts";
import { decodeSafetensors, encodeSafetensors } from "../../src/data/safetensors.ts";
import { readDataset } from "../../src/data/dataset.ts";
import { writeNifti } from "../../src/data/nifti.ts";
import { gpuTest } from "../_util.ts";
import { assertInputError, listTree, tinyDataset, tinyScan, trainTiny } from "./_files.ts";
import { quass } from "./_quass.ts";
import { withTempDir } from "../_tmp.ts";

/** Rewrites a safetensors file's header with `edit` (tensor data left as it is). */
function _editHeader(bytes: Uint8Array, edit: (h: Record<string, unknown>) => void): Uint8Array {
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)));
  edit(header);
  let json = JSON.stringify(header);
  while (json.length < len) json += " ";
  if (json.length > len) throw new Error("edited header is longer");
  const out = bytes.slice();
  out.set(new TextEncoder().encode(json), 8);
  return out;
}

type Info = { data_offsets: [number, number] };

Deno.test("a dataset whose tensors overlap exits 2 naming the file and both tensors", async () => {
  await withTempDir({ prefix: "quass_st_overlap_" }, async (dir) => {
    const path = `${dir}/d.safetensors`;
    await tinyDataset(path);
    // the target's data_offsets point at the input's bytes (same size): a polyglot file
    const bad = _editHeader(await Deno.readFile(path), (h) => {
      (h.target as Info).data_offsets = [...(h.input as Info).data_offsets];
    });
    await Deno.writeFile(`${dir}/bad.safetensors`, bad);
    const e = await assertRejects(() => readDataset(`${dir}/bad.safetensors`), /overlap/);
    assert(e instanceof InputError, String(e));
    const r = await trainTiny(`${dir}/bad.safetensors`, `${dir}/run`);
    assertInputError(r, [`${dir}/bad.safetensors`, '"input"', '"target"', "overlap"]);
    assertEquals(await listTree(dir), ["bad.safetensors", "d.safetensors"]);
  });
});

Deno.test("decodeSafetensors() takes any header order but refuses gaps, overlaps and trailing bytes", () => {
  const good = encodeSafetensors({
    tensors: {
      a: { data: Float32Array.from([1, 2]), shape: [2] },
      b: { data: Float32Array.from([3, 4, 5]), shape: [3] },
    },
    metadata: {},
  });
  // the header lists b first: still a valid file
  const reordered = _editHeader(good, (h) => {
    const { a, b } = h as Record<string, unknown>;
    delete h.a, delete h.b;
    Object.assign(h, { b, a });
  });
  assertEquals([...decodeSafetensors(reordered, "r").tensors.a!.data], [1, 2]);
  // a: [0, 8], b: [8, 20] → b moved to [4, 16] overlaps a
  const overlap = _editHeader(good, (h) => ((h.b as Info).data_offsets = [4, 16]));
  assertThrows(
    () => decodeSafetensors(overlap, "o.safetensors"),
    /o\.safetensors .*"a" .*"b" .*overlap/,
  );
  // a shortened to [0, 4] with shape [1]: 4 bytes belong to no tensor
  const gap = _editHeader(good, (h) => {
    Object.assign(h.a as object, { shape: [1], data_offsets: [4, 8] });
  });
  assertThrows(
    () => decodeSafetensors(gap, "g"),
    /4 bytes before tensor "a" .*belong to no tensor/,
  );
  const trailing = new Uint8Array(good.length + 8);
  trailing.set(good);
  assertThrows(() => decodeSafetensors(trailing, "t"), /cover 20 of the 28 data bytes/);
});

Deno.test("quass-fit with an all-zero T1 map exits 2 naming the map and writes nothing", async () => {
  await withTempDir({ prefix: "quass_fit_t1_" }, async (dir) => {
    const { scan } = await tinyScan(dir);
    const t1 = `${dir}/t1_zero.nii.gz`;
    await writeNifti(t1, { dims: [2, 2, 1, 1], data: new Float32Array(4) });
    const before = await listTree(dir);
    const r = await quass("quass-fit", "--input", scan, "--t1", t1, "--out", `${dir}/q.nii.gz`);
    assertInputError(r, [t1, "no positive value", "in seconds"]);
    assertEquals(await listTree(dir), before, "no output");
  });
});

Deno.test("a T1 in milliseconds (map or number) exits 2 saying seconds, as the dashboard does", async () => {
  await withTempDir({ prefix: "quass_fit_t1ms_" }, async (dir) => {
    const { scan } = await tinyScan(dir);
    const t1 = `${dir}/t1_ms.nii.gz`;
    await writeNifti(t1, { dims: [2, 2, 1, 1], data: Float32Array.from([1800, 1750, 0, 1900]) });
    const before = await listTree(dir);
    const out = `${dir}/q.nii.gz`;
    const m = await quass("quass-fit", "--input", scan, "--t1", t1, "--out", out);
    assertInputError(m, [t1, "median T1 1800", "must be in seconds", "divide"]);
    const n = await quass("quass-fit", "--input", scan, "--t1", "1800", "--out", out);
    assertInputError(n, ["--t1 1800", "in seconds", "divide by 1000"]);
    assertEquals(await listTree(dir), before, "no output");
  });
});

gpuTest("compare --runs that does not exist exits 2 naming the path", async () => {
  await withTempDir({ prefix: "quass_compare_runs_" }, async (dir) => {
    const ph = await quass("phantom", "--size", "16", "--snr", "inf", "--out", `${dir}/ph`);
    assertEquals(ph.code, 0, ph.stderr);
    const before = await listTree(dir);
    const missing = `${dir}/nonexistent`;
    const r = await quass(
      "compare",
      "--phantom",
      `${dir}/ph`,
      "--runs",
      missing,
      "--out",
      `${dir}/cmp`,
    );
    assertInputError(r, [`--runs ${missing}`, "directory not found"]);
    assertEquals(await listTree(dir), before, "no report");
  });
});
