/**
 * Small shared helpers for the layer files: cached uniform buffers and a dummy buffer for
 * optional bindings. Private to src/nn/ (the leading underscore says so).
 * @module
 */
import { storageBuffer, uniformBuffer, type UniformField } from "../gpu/buffers.ts";
import type { BufRef } from "./types.ts";

const _cache = new WeakMap<GPUDevice, Map<string, GPUBuffer>>();
/** Above this many distinct uniform contents the cache starts over (shapes rarely vary). */
const MAX_CACHED = 4096;

/**
 * A uniform buffer holding `fields`, shared by every call with the same values. Shape
 * uniforms never change once written, so a training step re-uses them instead of
 * allocating new ones; values that change every step (Adam's step) must not come here.
 */
export function cachedUniform(device: GPUDevice, fields: UniformField[]): GPUBuffer {
  let m = _cache.get(device);
  if (!m) {
    m = new Map();
    _cache.set(device, m);
  }
  const key = fields.map((f) => ("u32" in f ? `u${f.u32}` : "i32" in f ? `i${f.i32}` : `f${f.f32}`))
    .join(",");
  let buf = m.get(key);
  if (!buf) {
    if (m.size >= MAX_CACHED) m.clear();
    buf = uniformBuffer(device, fields, "nn-shape");
    m.set(key, buf);
  }
  return buf;
}

const _dummy = new WeakMap<GPUDevice, GPUBuffer>();

/** A 16-byte storage buffer bound where an optional argument (bias, gradient) is null. */
export function dummyBuffer(device: GPUDevice): GPUBuffer {
  let b = _dummy.get(device);
  if (!b) {
    b = storageBuffer(device, 16, "nn-dummy");
    _dummy.set(device, b);
  }
  return b;
}

const _scratch = new WeakMap<GPUDevice, Map<string, GPUBuffer>>();

/**
 * A scratch storage buffer of at least `bytes` bytes, one per (device, tag); grown when a
 * larger one is asked for. Callers must not use the same tag for two live uses in one
 * submission unless the uses are ordered (dispatches in one pass are).
 */
export function scratchBuffer(device: GPUDevice, tag: string, bytes: number): GPUBuffer {
  let m = _scratch.get(device);
  if (!m) {
    m = new Map();
    _scratch.set(device, m);
  }
  let b = m.get(tag);
  if (!b || b.size < bytes) {
    b = storageBuffer(device, bytes, `nn-scratch-${tag}`);
    m.set(tag, b);
  }
  return b;
}

/** A sub-range of a buffer reference in f32 elements (offsets add up; callers keep them 256-byte aligned). */
export function subRef(r: BufRef, offsetFloats: number, sizeFloats: number): GPUBufferBinding {
  const off = offsetFloats * 4, size = sizeFloats * 4;
  if ("buffer" in r) return { buffer: r.buffer, offset: (r.offset ?? 0) + off, size };
  return { buffer: r, offset: off, size };
}

/**
 * Throws a RangeError naming the layer when an operand of `floats` f32 values is larger
 * than one storage binding may be on this device (128 MiB on llvmpipe); WebGPU would
 * otherwise only log a validation error and leave the output unwritten.
 */
export function checkBinding(device: GPUDevice, floats: number, what: string): void {
  const limit = device.limits.maxStorageBufferBindingSize;
  if (floats * 4 > limit) {
    throw new RangeError(
      `${what} needs ${floats * 4} bytes in one binding but this adapter allows ${limit} ` +
        `(maxStorageBufferBindingSize); use a smaller batch or width`,
    );
  }
}
