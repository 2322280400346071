/**
 * Buffer helpers: storage buffers from typed arrays, uniform structs, readback.
 * Every readback waits on the GPU (~11 ms on llvmpipe), so callers read back rarely.
 * @module
 */

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Rounds a byte size up to a multiple of 4 (WebGPU's copy alignment), at least 4. */
export function align4(bytes: number): number {
  return Math.max(4, Math.ceil(bytes / 4) * 4);
}

/**
 * The one rule of splitting work under the storage-binding limit: how many rows of
 * `bytesPerRow` bytes fit one binding of `limitBytes`, rounded down to a multiple of `unit`
 * (64 rows keep f32 slice offsets 256-byte aligned, as WebGPU requires). 0 when not even one
 * unit fits. Used by the matmul, attention, inference and simulation chunking.
 */
export function rowsPerBinding(limitBytes: number, bytesPerRow: number, unit = 1): number {
  return Math.floor(limitBytes / bytesPerRow / unit) * unit;
}

/** An empty (zeroed) storage buffer of `bytes` bytes. */
export function storageBuffer(device: GPUDevice, bytes: number, label?: string): GPUBuffer {
  return device.createBuffer({ label, size: align4(bytes), usage: STORAGE });
}

/** A storage buffer holding `data`. */
export function uploadBuffer(
  device: GPUDevice,
  data: Float32Array | Uint32Array | Int32Array,
  label?: string,
): GPUBuffer {
  const buf = device.createBuffer({
    label,
    size: align4(data.byteLength),
    usage: STORAGE,
    mappedAtCreation: true,
  });
  const dst = new Uint8Array(buf.getMappedRange());
  dst.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buf.unmap();
  return buf;
}

/** Writes `data` into an existing buffer at `offsetBytes`. */
export function writeBuffer(
  device: GPUDevice,
  buf: GPUBuffer,
  data: Float32Array | Uint32Array | Int32Array,
  offsetBytes = 0,
): void {
  device.queue.writeBuffer(buf, offsetBytes, data.buffer, data.byteOffset, data.byteLength);
}

/** One field of a uniform struct: a u32, an i32 or an f32 (all 4 bytes, in declaration order). */
export type UniformField = { u32: number } | { i32: number } | { f32: number };

/**
 * Packs scalar fields into a uniform buffer (padded to 16 bytes). The WGSL struct must
 * declare the same fields in the same order, all 4-byte scalars.
 */
export function uniformBuffer(
  device: GPUDevice,
  fields: UniformField[],
  label?: string,
): GPUBuffer {
  const bytes = Math.max(16, Math.ceil((fields.length * 4) / 16) * 16);
  const ab = new ArrayBuffer(bytes);
  const dv = new DataView(ab);
  fields.forEach((f, i) => {
    if ("u32" in f) dv.setUint32(i * 4, f.u32, true);
    else if ("i32" in f) dv.setInt32(i * 4, f.i32, true);
    else dv.setFloat32(i * 4, f.f32, true);
  });
  const buf = device.createBuffer({
    label,
    size: bytes,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(buf, 0, ab);
  return buf;
}

/** Copies `bytes` bytes of a buffer back to the CPU (one GPU wait). */
export async function readBuffer(
  device: GPUDevice,
  buf: GPUBuffer,
  bytes = buf.size,
  offsetBytes = 0,
): Promise<ArrayBuffer> {
  const size = align4(bytes);
  const staging = device.createBuffer({
    size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, offsetBytes, staging, 0, size);
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const out = staging.getMappedRange().slice(0, bytes);
  staging.unmap();
  staging.destroy();
  return out;
}

/** Reads a buffer back as float32 values. */
export async function readF32(
  device: GPUDevice,
  buf: GPUBuffer,
  count?: number,
  offset = 0,
): Promise<Float32Array> {
  const n = count ?? (buf.size / 4 - offset);
  return new Float32Array(await readBuffer(device, buf, n * 4, offset * 4));
}
