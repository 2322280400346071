/**
 * Whole-model tests for the six architectures: the float64 reference model's gradient
 * against central finite differences, and the GPU model's forward and backward against
 * the reference model, on fresh random weights and inputs.
 */
import { assertClose, gpuTest } from "../_util.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import { readF32, uploadBuffer } from "../../src/gpu/buffers.ts";
import { ALIGN_FLOATS, ParamStore } from "../../src/nn/params.ts";
import {
  ARCHS,
  buildModel,
  GpuModel,
  type ModelConfig,
  type ModelSpec,
  refBackward,
  refForward,
} from "../../src/nn/models/mod.ts";
import { zeroFill } from "../../src/nn/fill.ts";
import type { BufRef } from "../../src/nn/types.ts";
import { dot, finiteDiff } from "./_layer_util.ts";

function rand(n: number, a = 1): Float64Array {
  return Float64Array.from({ length: n }, () => (Math.random() * 2 - 1) * a);
}

/** Fresh random weights (layer-norm γ around 1) as per-tensor float64 arrays. */
function randomParams(spec: ModelSpec): Map<string, Float64Array> {
  const m = new Map<string, Float64Array>();
  for (const s of spec.store.specs) {
    const v = rand(s.size, 0.6);
    if (s.name.endsWith("gamma")) { for (let i = 0; i < v.length; i++) v[i]! += 1; }
    m.set(s.name, v);
  }
  return m;
}

function cfgOf(
  arch: typeof ARCHS[number],
  T: number,
  over: Partial<ModelConfig> = {},
): ModelConfig {
  return { arch, T, hidden: 4, embed: 3, heads: 2, residual: true, ...over };
}

Deno.test("ParamStore lays tensors out on 256-byte boundaries and initialises U(−a, a) reproducibly", () => {
  const s = new ParamStore();
  s.add("a", [3, 5], { uniform: 0.5 });
  s.add("b", [70], { uniform: 2 });
  s.add("g", [4], { constant: 1 });
  assertEquals(s.specs.map((p) => p.offset), [0, 64, 192]);
  assertEquals(s.totalFloats, 256);
  for (const p of s.specs) assertEquals((p.offset * 4) % 256, 0);
  const v1 = s.initialValues(7), v2 = s.initialValues(7), v3 = s.initialValues(8);
  assertEquals(v1, v2);
  assert(v1.some((x, i) => x !== v3[i]), "a different seed gives different weights");
  assert(
    [...s.view(v1, "a")].every((x) => Math.abs(x) <= 0.5) &&
      [...s.view(v1, "b")].every((x) => Math.abs(x) <= 2),
  );
  assert(s.view(v1, "a").some((x) => Math.abs(x) > 0.25), "values spread over the range");
  assertEquals([...s.view(v1, "g")], [1, 1, 1, 1]);
  assertEquals(v1.subarray(15, 64).every((x) => x === 0), true);
  assertThrows(() => s.add("a", [1], { constant: 0 }), /twice/);
  assertEquals(ALIGN_FLOATS, 64);
});

Deno.test("buildModel() rejects heads that do not divide hidden and unknown architectures", () => {
  assertThrows(
    () => buildModel(cfgOf("lstm-attention", 5, { hidden: 6, heads: 4 })),
    /multiple of heads/,
  );
  assertThrows(
    () => buildModel({ ...cfgOf("mlp", 5), arch: "cnn" as never }),
    /Unknown architecture/,
  );
});

/** The variants tested per architecture: direct output and noise input for the MLP. */
function variants(arch: typeof ARCHS[number]): { name: string; over: Partial<ModelConfig> }[] {
  const v = [{ name: "", over: {} }];
  if (arch !== "mlp") return v;
  return [...v, { name: " (direct)", over: { residual: false } }, {
    name: " (features noise, t1)",
    over: { features: ["noise", "t1"] },
  }];
}

for (const arch of ARCHS) {
  for (const { name, over } of variants(arch)) {
    Deno.test(`refBackward() of ${arch}${name} matches central finite differences of refForward()`, () => {
      const B = 2, T = 6;
      const spec = buildModel(cfgOf(arch, T, over));
      const params = randomParams(spec);
      const x = rand(B * T), r = rand(B * T);
      const c = spec.C ? rand(B * spec.C) : undefined;
      const loss = () => dot(refForward(spec, params, x, B, c).y, r);
      const { cache } = refForward(spec, params, x, B, c);
      const grads = refBackward(spec, params, cache, r);
      let checked = 0;
      for (const s of spec.store.specs) {
        const g = grads.get(s.name)!;
        const fd = finiteDiff(params.get(s.name)!, loss);
        assertClose(g, fd, { atol: 1e-7, rtol: 1e-5, label: `${arch} d${s.name}` });
        checked += s.size;
      }
      assertEquals(checked, spec.store.count);
    });
  }
}

async function readRef(device: GPUDevice, r: BufRef, n: number): Promise<Float32Array> {
  if ("buffer" in r) return await readF32(device, r.buffer, n, (r.offset ?? 0) / 4);
  return await readF32(device, r, n);
}

for (const arch of ARCHS) {
  for (const { name, over } of variants(arch).filter((v) => v.over.residual !== false)) {
    gpuTest(
      `GpuModel ${arch}${name} forward and backward match the float64 reference model`,
      async (device) => {
        const B = 3, T = 101;
        const spec = buildModel(cfgOf(arch, T, { hidden: 8, embed: 4, heads: 2, ...over }));
        const params = randomParams(spec);
        const flat = spec.store.flatten(params);
        const p64 = spec.store.toF64(flat); // the exact f32 weights the GPU sees
        const bufs = spec.store.createBuffers(device, flat);
        const model = new GpuModel(device, spec, bufs);
        const x32 = Float32Array.from(rand(B * T, 1).map((v) => 0.5 + 0.5 * v));
        const dy32 = Float32Array.from(rand(B * T));
        const c32 = spec.C ? Float32Array.from(rand(B * spec.C, 2)) : undefined;
        const xb = uploadBuffer(device, x32), dyb = uploadBuffer(device, dy32);
        const cb = c32 ? uploadBuffer(device, c32) : undefined;
        const enc = device.createCommandEncoder();
        const pass = enc.beginComputePass();
        const y = model.forward(pass, xb, B, cb);
        zeroFill(device, pass, bufs.grads, spec.store.totalFloats);
        model.backward(pass, dyb, B);
        pass.end();
        device.queue.submit([enc.finish()]);
        const yGpu = await readRef(device, y, B * T);
        const gGpu = await readF32(device, bufs.grads, spec.store.totalFloats);
        const ref = refForward(spec, p64, Float64Array.from(x32), B, c32 && Float64Array.from(c32));
        const gRef = refBackward(spec, p64, ref.cache, Float64Array.from(dy32));
        // f32 over a 101-step recurrence (and a 101-wide softmax) against float64.
        const yr = assertClose(yGpu, ref.y, { atol: 2e-5, rtol: 2e-5, label: `${arch} y` });
        let maxG = 0;
        for (const g of gRef.values()) for (const v of g) maxG = Math.max(maxG, Math.abs(v));
        let gErr = 0;
        for (const s of spec.store.specs) {
          gErr = Math.max(
            gErr,
            assertClose(spec.store.view(gGpu, s.name), gRef.get(s.name)!, {
              atol: 1e-4 * Math.max(1, maxG),
              rtol: 1e-3,
              label: `${arch} grad ${s.name}`,
            }).maxAbs,
          );
        }
        console.log(
          `${arch}: y max abs err ${yr.maxAbs.toExponential(2)}; grad max abs err ${
            gErr.toExponential(2)
          } (max |grad| ${maxG.toExponential(2)})`,
        );
        model.releaseWorkspaces();
        for (const b of [xb, dyb, ...(cb ? [cb] : []), ...Object.values(bufs)]) b.destroy();
      },
    );
  }
}

Deno.test("buildModel() offers per-spectrum features for the MLP only, and the graph insists on them", () => {
  assertThrows(() => buildModel(cfgOf("lstm", 6, { features: ["noise"] })), /MLP only/);
  assertThrows(() => buildModel(cfgOf("mlp", 6, { features: ["noise", "noise"] })), /distinct/);
  assertThrows(() => buildModel(cfgOf("mlp", 6, { features: ["b1" as never] })), /noise, t1/);
  const spec = buildModel(cfgOf("mlp", 6, { features: ["t1"] }));
  assertEquals(spec.C, 1);
  assertEquals(spec.store.specs.find((s) => s.name === "fc1c.w")?.shape, [1, 4]);
  assertEquals(buildModel(cfgOf("mlp", 6, { features: ["noise", "t1"] })).C, 2);
  const params = randomParams(spec);
  assertThrows(() => refForward(spec, params, rand(12), 2), /features/);
  const plain = buildModel(cfgOf("mlp", 6));
  assertThrows(() => refForward(plain, randomParams(plain), rand(12), 2, rand(2)), /no features/);
});

Deno.test("resolveConfig() applies preset, then flags, and names the flag that is out of range", async () => {
  const { resolveConfig } = await import("../../src/nn/presets.ts");
  const p = resolveConfig("lstm-attention", "paper", 101);
  assertEquals([p.model.hidden, p.model.heads, p.train.lr, p.train.batch, p.train.epochs], [
    1024,
    4,
    1e-4,
    256,
    100,
  ]);
  const d = resolveConfig("gru", "default", 101, { hidden: 12, epochs: 3, residual: false });
  assertEquals([d.model.hidden, d.train.epochs, d.model.residual], [12, 3, false]);
  assertThrows(
    () => resolveConfig("lstm-attention", "tiny", 101, { hidden: 10, heads: 4 }),
    /--heads must be a divisor of --hidden 10/,
  );
  assertThrows(
    () => resolveConfig("mlp", "tiny", 101, { lr: -1 }),
    /--lr must be a positive number/,
  );
  assertThrows(() => resolveConfig("mlp", "tiny", 101, { batch: 0 }), /--batch/);
});
