/**
 * Kernel descriptors and the pipeline cache.
 *
 * A kernel is a small descriptor (name, WGSL file, entry point, binding layout, workgroup
 * size, constants); the WGSL it runs is the shared prelude, then one `const` line per
 * constant, then the kernel file. Pipelines are compiled once per (device, name, constants)
 * and cached, the way tfjs-backend-webgpu caches programs by key.
 * @module
 */

/** How a binding is used by the shader, in binding order (group 0). */
export type BindingKind = "read" | "storage" | "uniform";

/** A compile-time constant: `u32` for integers unless given as `{ f32: x }` or `{ i32: x }`. */
export type ConstValue = number | { f32: number } | { i32: number } | boolean;

/** A GPU program, described once and enumerable by tools (bench, dashboard). */
export interface KernelDescriptor {
  /** Unique name, e.g. "bm_propagate". */
  name: string;
  /** WGSL file under shaders/, e.g. "bm.wgsl". */
  file: string;
  /** Entry point in that file (default "main"). */
  entryPoint?: string;
  /** Binding kinds in binding order, group 0. */
  bindings: BindingKind[];
  /** Threads per workgroup along x (the shader sees it as the constant WG). */
  workgroupSize: number;
  /** One-line description for the kernel list. */
  doc?: string;
  /** Helper WGSL files under shaders/ inserted after the constants, before `file`. */
  includes?: string[];
}

/** A compiled kernel ready to dispatch. */
export interface CompiledKernel {
  desc: KernelDescriptor;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

const _registry = new Map<string, KernelDescriptor>();

/**
 * Declares a kernel and adds it to the registry (names are unique).
 * @throws Error when another kernel already has that name
 */
export function defineKernel(desc: KernelDescriptor): KernelDescriptor {
  const prev = _registry.get(desc.name);
  if (prev && prev !== desc && (prev.file !== desc.file || prev.entryPoint !== desc.entryPoint)) {
    throw new Error(`Kernel name "${desc.name}" is used twice (${prev.file} and ${desc.file})`);
  }
  _registry.set(desc.name, desc);
  return desc;
}

/**
 * Declares the kernels of one WGSL file whose entry points are named as the kernels, all
 * with one workgroup size unless given (and the same helper files):
 * `const kernel = kernelsOf("add.wgsl", 256); const ADD = kernel("add", bindings, doc);`
 */
export function kernelsOf(
  file: string,
  workgroupSize: number,
  includes?: string[],
): (
  name: string,
  bindings: readonly BindingKind[],
  doc: string,
  threads?: number,
) => KernelDescriptor {
  return (name, bindings, doc, threads = workgroupSize) =>
    defineKernel({
      name,
      file,
      entryPoint: name,
      bindings: [...bindings],
      workgroupSize: threads,
      doc,
      ...(includes ? { includes } : {}),
    });
}

const _sources = new Map<string, string>();

/** Reads a WGSL file from shaders/ (cached). */
export function shaderSource(file: string): string {
  let src = _sources.get(file);
  if (src === undefined) {
    src = Deno.readTextFileSync(new URL(`../../shaders/${file}`, import.meta.url));
    _sources.set(file, src);
  }
  return src;
}

function _constLine(name: string, v: ConstValue): string {
  if (typeof v === "boolean") return `const ${name}: bool = ${v};`;
  if (typeof v === "number") {
    if (!Number.isInteger(v) || v < 0) {
      throw new RangeError(`Constant ${name} = ${v}: plain numbers must be u32; use { f32: ${v} }`);
    }
    return `const ${name}: u32 = ${v}u;`;
  }
  if ("f32" in v) {
    const s = Number.isInteger(v.f32) ? `${v.f32}.0` : `${v.f32}`;
    return `const ${name}: f32 = ${s};`;
  }
  return `const ${name}: i32 = ${v.i32}i;`;
}

/** The full WGSL text compiled for a descriptor and constants. */
export function kernelSource(
  desc: KernelDescriptor,
  constants: Record<string, ConstValue> = {},
): string {
  const lines = [_constLine("WG", desc.workgroupSize)];
  for (const [k, v] of Object.entries(constants)) lines.push(_constLine(k, v));
  const inc = (desc.includes ?? []).map((f) => shaderSource(f) + "\n").join("");
  return `${shaderSource("prelude.wgsl")}\n${lines.join("\n")}\n${inc}${shaderSource(desc.file)}`;
}

const _cache = new WeakMap<GPUDevice, Map<string, CompiledKernel>>();
let _compileMs = 0;

/** Milliseconds spent compiling pipelines in this process (benchmarks report it separately). */
export function compileTimeMs(): number {
  return _compileMs;
}

/**
 * The compiled pipeline for a descriptor with the given constants; compiled at most once.
 * @throws Error naming the kernel when WGSL compilation fails
 */
export function getKernel(
  device: GPUDevice,
  desc: KernelDescriptor,
  constants: Record<string, ConstValue> = {},
): CompiledKernel {
  let perDevice = _cache.get(device);
  if (!perDevice) {
    perDevice = new Map();
    _cache.set(device, perDevice);
  }
  const key = `${desc.name}|${JSON.stringify(constants)}`;
  const hit = perDevice.get(key);
  if (hit) return hit;
  const t0 = performance.now();
  const code = kernelSource(desc, constants);
  const module = device.createShaderModule({ label: desc.name, code });
  const layout = device.createBindGroupLayout({
    label: desc.name,
    entries: desc.bindings.map((kind, binding) => ({
      binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer: {
        type: kind === "uniform" ? "uniform" : kind === "read" ? "read-only-storage" : "storage",
      },
    })),
  });
  const pipeline = device.createComputePipeline({
    label: desc.name,
    layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
    compute: { module, entryPoint: desc.entryPoint ?? "main" },
  });
  _compileMs += performance.now() - t0;
  const compiled = { desc, pipeline, layout };
  perDevice.set(key, compiled);
  return compiled;
}

/** Creates the bind group for a compiled kernel; buffers in binding order. */
export function bindGroup(
  device: GPUDevice,
  k: CompiledKernel,
  buffers: (GPUBuffer | GPUBufferBinding)[],
): GPUBindGroup {
  if (buffers.length !== k.desc.bindings.length) {
    throw new TypeError(
      `Kernel ${k.desc.name} expects ${k.desc.bindings.length} buffers but got ${buffers.length}`,
    );
  }
  return device.createBindGroup({
    label: k.desc.name,
    layout: k.layout,
    entries: buffers.map((b, binding) => ({
      binding,
      resource: "buffer" in b ? b : { buffer: b },
    })),
  });
}

/** Max workgroups along one dimension that WebGPU guarantees. */
export const MAX_GROUPS_PER_DIM = 65535;

/**
 * Workgroup counts covering `threads` threads of `wg` each, folded into y when x would
 * exceed 65535. Shaders recover the flat index with the prelude's `flat_id`.
 */
export function gridFor(threads: number, wg: number): [number, number] {
  const groups = Math.max(1, Math.ceil(threads / wg));
  if (groups <= MAX_GROUPS_PER_DIM) return [groups, 1];
  const y = Math.ceil(groups / MAX_GROUPS_PER_DIM);
  return [Math.ceil(groups / y), y];
}

/**
 * Records one dispatch of a kernel covering `threads` flat threads into a compute pass.
 * @example
 * const pass = encoder.beginComputePass();
 * dispatch(device, pass, getKernel(device, ADD), [a, b, out, params], n);
 * pass.end();
 */
export function dispatch(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  k: CompiledKernel,
  buffers: (GPUBuffer | GPUBufferBinding)[],
  threads: number,
): void {
  const [x, y] = gridFor(threads, k.desc.workgroupSize);
  pass.setPipeline(k.pipeline);
  pass.setBindGroup(0, bindGroup(device, k, buffers));
  pass.dispatchWorkgroups(x, y, 1);
}
