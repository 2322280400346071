/** Checkpoint tests: round trip, and clear InputErrors for every kind of bad file. */
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { decodeSafetensors, encodeSafetensors } from "../../src/data/safetensors.ts";
import { InputError } from "../../src/util/errors.ts";
import {
  checkOffsets,
  decodeModel,
  encodeModel,
  loadModel,
  loadOptimizer,
  saveModel,
  saveOptimizer,
} from "../../src/nn/checkpoint.ts";
import { buildModel } from "../../src/nn/models/mod.ts";
import { resolveConfig } from "../../src/nn/presets.ts";
import { linspaceOffsets } from "../../src/physics/protocol.ts";
import { withTempDir } from "../_tmp.ts";

const T = 101;
const offsets = linspaceOffsets(-6, 6, T);
const cfg = resolveConfig("lstm-attention", "tiny", T, { seed: 4 });
const spec = buildModel(cfg.model);
const flat = spec.store.initialValues(Math.floor(Math.random() * 1e6));
const meta = { offsetsPpm: offsets, protocol: '{"tsS":1.5}', epoch: 3, valLoss: 0.0123 };

function isInputError(e: Error, re: RegExp): void {
  assert(e instanceof InputError, `expected an InputError but got ${e.name}: ${e.message}`);
  assert(re.test(e.message), `message "${e.message}" does not match ${re}`);
}

Deno.test("encodeModel()/decodeModel() round-trip weights, config and metadata", () => {
  const bytes = encodeModel(spec.store, flat, cfg, meta);
  const m = decodeModel(bytes, "m.safetensors", "lstm-attention");
  assertEquals(m.flat, flat);
  assertEquals(m.config, cfg);
  assertEquals(m.meta, meta);
  // Named tensors, readable without our code.
  const st = decodeSafetensors(bytes);
  assertEquals(st.tensors["lstm.wx"]!.shape, [cfg.model.embed, 4 * cfg.model.hidden]);
  assertEquals(st.metadata.architecture, "lstm-attention");
});

Deno.test("decodeModel() names the file and the fix for a wrong architecture", () => {
  const bytes = encodeModel(spec.store, flat, cfg, meta);
  isInputError(
    assertThrows(() => decodeModel(bytes, "runs/x/model.safetensors", "gru")),
    /runs\/x.*"lstm-attention".*--arch lstm-attention/,
  );
});

Deno.test("decodeModel() rejects corrupt, truncated and foreign files with an InputError", () => {
  const bytes = encodeModel(spec.store, flat, cfg, meta);
  isInputError(
    assertThrows(() => decodeModel(bytes.slice(0, bytes.length - 17), "a.safetensors")),
    /a\.safetensors.*corrupt/,
  );
  isInputError(
    assertThrows(() => decodeModel(new TextEncoder().encode("hello"), "b.safetensors")),
    /b\.safetensors/,
  );
  const junk = bytes.slice();
  junk.fill(0x7b, 8, 40); // clobber the JSON header
  isInputError(
    assertThrows(() => decodeModel(junk, "c.safetensors")),
    /c\.safetensors.*(JSON|corrupt)/,
  );
  const foreign = encodeSafetensors({
    tensors: { w: { data: new Float32Array(4), shape: [4] } },
    metadata: {},
  });
  isInputError(
    assertThrows(() => decodeModel(foreign, "d.safetensors")),
    /d\.safetensors.*format.*not a quass model/,
  );
});

Deno.test("decodeModel() rejects tensors that do not fit the stored config", () => {
  const st = decodeSafetensors(encodeModel(spec.store, flat, cfg, meta));
  const wrongShape = structuredClone(st);
  wrongShape.tensors["attn.wo"] = { data: new Float32Array(12), shape: [3, 4] };
  isInputError(
    assertThrows(() => decodeModel(encodeSafetensors(wrongShape), "e.safetensors")),
    /"attn\.wo" has shape \[3,4\]/,
  );
  const missing = structuredClone(st);
  delete missing.tensors["ln.gamma"];
  isInputError(
    assertThrows(() => decodeModel(encodeSafetensors(missing), "f.safetensors")),
    /"ln\.gamma" is missing/,
  );
  const nan = structuredClone(st);
  (nan.tensors["head.b"]!.data as Float32Array)[0] = NaN;
  isInputError(
    assertThrows(() => decodeModel(encodeSafetensors(nan), "g.safetensors")),
    /non-finite/,
  );
  const badArch = structuredClone(st);
  badArch.metadata.architecture = "transformer";
  isInputError(
    assertThrows(() => decodeModel(encodeSafetensors(badArch), "h.safetensors")),
    /unknown architecture "transformer"/,
  );
});

Deno.test("checkOffsets() accepts equal offsets and names both files when they differ", () => {
  checkOffsets(
    offsets,
    Float32Array.from(offsets),
    "runs/a/model.safetensors",
    "data/x.safetensors",
  );
  const e = assertThrows(() =>
    checkOffsets(
      offsets,
      linspaceOffsets(-5, 5, T),
      "runs/a/model.safetensors",
      "data/x.safetensors",
    )
  );
  isInputError(e, /data\/x\.safetensors.*-5 to 5 ppm.*runs\/a\/model\.safetensors.*-6 to 6 ppm/);
  isInputError(
    assertThrows(() => checkOffsets(offsets, offsets.slice(1), "m", "d")),
    /100 offsets/,
  );
});

Deno.test("loadModel() and loadOptimizer() give InputErrors for missing and mismatched files", async () => {
  await withTempDir({ prefix: "quass_ckpt_" }, async (dir) => {
    isInputError(
      await assertRejects(() => loadModel(`${dir}/nothing`)),
      /file not found.*quass train/,
    );
    await saveModel(`${dir}/model.safetensors`, spec.store, flat, cfg, meta);
    assertEquals((await loadModel(dir)).flat, flat);
    const n = spec.store.totalFloats;
    const state = {
      params: flat,
      m: new Float32Array(n).fill(0.5),
      v: new Float32Array(n).fill(0.25),
      step: 40,
      epoch: 2,
      bestVal: 0.1,
      bestEpoch: 1,
      badEpochs: 1,
      rngState: [1, 2, 3, 4],
    };
    await saveOptimizer(`${dir}/optimizer.safetensors`, cfg, state);
    assertEquals(await loadOptimizer(`${dir}/optimizer.safetensors`, "lstm-attention", n), state);
    isInputError(
      await assertRejects(() => loadOptimizer(`${dir}/optimizer.safetensors`, "mlp", n)),
      /"lstm-attention", not "mlp"/,
    );
    isInputError(
      await assertRejects(() =>
        loadOptimizer(`${dir}/optimizer.safetensors`, "lstm-attention", n + 64)
      ),
      /"params".*wrong size/,
    );
    await Deno.writeFile(`${dir}/optimizer.safetensors`, new Uint8Array([1, 2, 3]));
    isInputError(
      await assertRejects(() => loadOptimizer(`${dir}/optimizer.safetensors`, "lstm-attention", n)),
      /not a valid safetensors/,
    );
  });
});
