/**
 * Bounded NIfTI reading: a .nii.gz is gunzipped piece by piece into exactly the bytes its
 * header declares and refused as soon as it holds more (a decompression bomb) or declares
 * more than the byte budget — for the CLI (`quass predict`, checked for its peak memory
 * under /usr/bin/time) and the dashboard alike.
 */
import {
  ByteBudget,
  encodeNifti,
  gzip,
  MAX_NIFTI_BYTES,
  NIFTI_SLACK_BYTES,
  parseNifti,
  readNifti,
} from "../../src/data/nifti.ts";
import { InputError } from "../../src/util/errors.ts";
import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { withTempDir } from "../_tmp.ts";

/** A valid little NIfTI-1 file (4×4×1×5 float32, random values). */
function smallNifti(): { bytes: Uint8Array<ArrayBuffer>; data: Float32Array } {
  const data = Float32Array.from({ length: 80 }, () => Math.random());
  return { bytes: encodeNifti({ dims: [4, 4, 1, 5], data }) as Uint8Array<ArrayBuffer>, data };
}

/** gzip of `head` followed by `zeros` zero bytes, made streaming (never held inflated). */
async function gzipBomb(
  head: Uint8Array<ArrayBuffer>,
  zeros: number,
  path?: string,
): Promise<Uint8Array> {
  const zero = new Uint8Array(1 << 20);
  let sent = -1;
  const src = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(c) {
      if (sent < 0) {
        c.enqueue(head);
        sent = 0;
      } else if (sent >= zeros) c.close();
      else {
        const n = Math.min(zero.length, zeros - sent);
        c.enqueue(n === zero.length ? zero : zero.subarray(0, n));
        sent += n;
      }
    },
  });
  const gz = src.pipeThrough(new CompressionStream("gzip"));
  if (path) {
    await gz.pipeTo((await Deno.open(path, { write: true, create: true })).writable);
    return new Uint8Array(0);
  }
  return new Uint8Array(await new Response(gz).arrayBuffer());
}

/** The header of `bytes` with dims set to `dims` (a file that declares more than it holds). */
function withDims(bytes: Uint8Array, dims: number[]): Uint8Array {
  const b = bytes.slice();
  const dv = new DataView(b.buffer);
  dv.setInt16(40, dims.length, true);
  dims.forEach((d, i) => dv.setInt16(42 + 2 * i, d, true));
  return b;
}

Deno.test("parseNifti() reads .nii.gz exactly and accepts a few trailing bytes", async () => {
  const { bytes, data } = smallNifti();
  const vol = await parseNifti(await gzip(bytes), "ok.nii.gz");
  assertEquals(vol.dims, [4, 4, 1, 5]);
  assertEquals(Array.from(vol.data), Array.from(data));
  const padded = new Uint8Array(bytes.length + 100);
  padded.set(bytes);
  assertEquals((await parseNifti(await gzip(padded), "pad.nii.gz")).dims, [4, 4, 1, 5]);
});

Deno.test("parseNifti() refuses a gzip bomb behind a valid header once it passes the header's size", async () => {
  const { bytes } = smallNifti();
  const bomb = await gzipBomb(bytes, 256 << 20); // 256 MiB of zeros after a 672-byte file
  assert(bomb.length < 1 << 20, `the bomb is ${bomb.length} bytes compressed`);
  const t0 = performance.now();
  const e = await assertRejects(
    () => parseNifti(bomb, "bomb.nii.gz"),
    /bomb\.nii\.gz: holds more data than its header declares \(\[4,4,1,5\] float32 = 672 bytes/,
  );
  const ms = performance.now() - t0;
  assert(e instanceof InputError, String(e));
  // inflating all 256 MiB takes ~1 s here; stopping after the slack takes milliseconds
  assert(ms < 500, `took ${ms.toFixed(0)} ms: the bomb was inflated further than needed`);
  // just over the slack is refused, just under it is read
  const over = await gzipBomb(bytes, NIFTI_SLACK_BYTES + 1);
  await assertRejects(() => parseNifti(over, "over.nii.gz"), /more data than its header/);
  const under = await gzipBomb(bytes, NIFTI_SLACK_BYTES);
  assertEquals((await parseNifti(under, "under.nii.gz")).dims, [4, 4, 1, 5]);
});

Deno.test("parseNifti()/readNifti() refuse a header that declares more than the budget, before reading its data", async () => {
  const { bytes } = smallNifti();
  const huge = withDims(bytes, [2048, 2048, 64, 101]); // 108 GiB of float32 declared
  for (const [name, b] of [["huge.nii", huge], ["huge.nii.gz", await gzip(huge)]] as const) {
    const e = await assertRejects(
      () => parseNifti(b, name),
      new RegExp(
        `${
          name.replace(".", "\\.")
        }: its header declares \\[2048,2048,64,101\\] float32 .* over the limit of 2\\.0 GiB`,
      ),
    );
    assert(e instanceof InputError);
  }
  assertEquals(MAX_NIFTI_BYTES, 2 ** 31);
  await withTempDir({}, async (dir) => {
    await Deno.writeFile(`${dir}/huge.nii.gz`, await gzip(huge));
    await assertRejects(() => readNifti(`${dir}/huge.nii.gz`), /over the limit of 2\.0 GiB/);
    // a budget shared by several files: the second one no longer fits
    const budget = new ByteBudget(1000, "or raise the limit");
    await Deno.writeFile(`${dir}/a.nii.gz`, await gzip(bytes));
    assertEquals((await readNifti(`${dir}/a.nii.gz`, { budget })).dims, [4, 4, 1, 5]);
    assertEquals(budget.remainingBytes, 1000 - bytes.length);
    await assertRejects(
      () => parseNifti(bytes, "b.nii", { budget }),
      /b\.nii: its header declares .* over the limit of 1000 bytes \(328 bytes left after the other files\); or raise the limit/,
    );
  });
});

Deno.test({
  name:
    "quass predict refuses a 2 MB .nii.gz that inflates to 2 GiB with exit code 2 and a bounded peak memory",
  sanitizeResources: false,
  ignore: !(() => {
    try {
      return Deno.statSync("/usr/bin/time").isFile;
    } catch {
      return false;
    }
  })(),
  fn: async () => {
    await withTempDir({ prefix: "quass-bomb-" }, async (dir) => {
      const bomb = `${dir}/bomb.nii.gz`;
      await gzipBomb(smallNifti().bytes, 2 ** 31, bomb);
      const size = (await Deno.stat(bomb)).size;
      assert(size < 4 << 20, `bomb is ${size} bytes`);
      const root = new URL("../../", import.meta.url).pathname;
      const out = await new Deno.Command("/usr/bin/time", {
        args: [
          "-v",
          Deno.execPath(),
          "run",
          "-A",
          `${root}src/cli/main.ts`,
          "predict",
          "--input",
          bomb,
          "--t1",
          "1.5",
          "--offsets=-6:6:5",
          "--out",
          `${dir}/out.nii.gz`,
        ],
        cwd: root,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const err = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 2, err);
      assert(/holds more data than its header declares/.test(err), err);
      const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(err)?.[1]);
      assert(kb > 0, err);
      // the old reader held the 2 GiB twice (> 4 GB); now the process stays near its baseline
      assert(kb < 400_000, `max RSS ${(kb / 1024).toFixed(0)} MiB`);
      assert(!(await Deno.stat(`${dir}/out.nii.gz`).catch(() => null)), "nothing written");
    });
  },
});
