/**
 * The only place that asks `navigator.gpu` for an adapter and a device.
 *
 * Prefers a hardware adapter, accepts a software one (Mesa llvmpipe / lavapipe), says which
 * it got, and raises {@link NoGpuError} with an actionable message when there is none.
 * @module
 */

/** Raised when no WebGPU adapter can be found; the message says how to get one. */
export class NoGpuError extends Error {
  constructor(detail: string) {
    super(
      `No WebGPU adapter is available (${detail}). On a machine without a GPU install Mesa's ` +
        `software Vulkan driver: "sudo apt-get install mesa-vulkan-drivers", then run through ` +
        `"deno task ..." (which selects DENO_WEBGPU_BACKEND=vulkan), or use --device cpu.`,
    );
    this.name = "NoGpuError";
  }
}

/** What we know about the adapter behind the device. */
export interface GpuInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for Mesa llvmpipe/lavapipe and other CPU adapters. */
  isSoftware: boolean;
  features: string[];
  limits: {
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
    maxComputeWorkgroupsPerDimension: number;
    maxStorageBuffersPerShaderStage: number;
  };
}

/** A device together with its adapter description. */
export interface Gpu {
  device: GPUDevice;
  info: GpuInfo;
}

let _gpu: Promise<Gpu> | undefined;

/**
 * True for a software (CPU) adapter: Mesa llvmpipe/lavapipe, SwiftShader, a fallback
 * adapter. The one test of it (getGpu's `info.isSoftware`, the matmul choice of nn/dense.ts).
 */
export function isSoftwareAdapter(
  info: {
    vendor?: string;
    architecture?: string;
    device?: string;
    description?: string;
    isFallbackAdapter?: boolean;
  },
): boolean {
  const s = `${info.vendor ?? ""} ${info.architecture ?? ""} ${info.device ?? ""} ${
    info.description ?? ""
  }`.toLowerCase();
  return info.isFallbackAdapter === true || /llvmpipe|lavapipe|swiftshader|software|cpu/.test(s);
}

const _softCache = new WeakMap<GPUDevice, boolean>();

/** {@link isSoftwareAdapter} of a device's adapter (from `device.adapterInfo`, cached). */
export function isSoftwareDevice(device: GPUDevice): boolean {
  let s = _softCache.get(device);
  if (s === undefined) {
    // deno-lint-ignore no-explicit-any
    s = isSoftwareAdapter((device as any).adapterInfo ?? {});
    _softCache.set(device, s);
  }
  return s;
}

async function _adapterInfo(adapter: GPUAdapter) {
  // deno-lint-ignore no-explicit-any
  const a = adapter as any;
  const raw = a.info ??
    (typeof a.requestAdapterInfo === "function" ? await a.requestAdapterInfo() : {});
  return {
    vendor: String(raw.vendor ?? ""),
    architecture: String(raw.architecture ?? ""),
    device: String(raw.device ?? ""),
    description: String(raw.description ?? ""),
  };
}

async function _create(): Promise<Gpu> {
  const gpu = (globalThis.navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) throw new NoGpuError("navigator.gpu is undefined; run Deno with --unstable-webgpu");
  let adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) adapter = await gpu.requestAdapter();
  if (!adapter) throw new NoGpuError("requestAdapter() returned null");
  const raw = await _adapterInfo(adapter);
  const wanted: GPUFeatureName[] = ["timestamp-query"];
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
  });
  device.addEventListener("uncapturederror", (e) => {
    console.error(`quass: WebGPU error: ${(e as GPUUncapturedErrorEvent).error.message}`);
  });
  const info: GpuInfo = {
    ...raw,
    isSoftware: isSoftwareAdapter(raw),
    features: [...device.features].map(String),
    limits: {
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      maxBufferSize: device.limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: device.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
      maxStorageBuffersPerShaderStage: device.limits.maxStorageBuffersPerShaderStage,
    },
  };
  return { device, info };
}

/**
 * The process-wide GPU device, created on first use.
 * @returns the device and a description of its adapter
 * @throws NoGpuError when no adapter exists
 * @example
 * const { device, info } = await getGpu();
 * console.error(describeGpu(info));
 */
export function getGpu(): Promise<Gpu> {
  if (!_gpu) {
    _gpu = _create();
    _gpu.catch(() => (_gpu = undefined));
  }
  return _gpu;
}

/** True when a WebGPU adapter can be had (used by tests to skip, never to hide errors). */
export async function hasGpu(): Promise<boolean> {
  try {
    await getGpu();
    return true;
  } catch (e) {
    if (e instanceof NoGpuError) return false;
    throw e;
  }
}

/** One line naming the adapter, e.g. for logs and benchmark headers. */
export function describeGpu(info: GpuInfo): string {
  const name = [info.vendor, info.architecture, info.device, info.description].filter((s) => s)
    .join(" / ");
  return `${name || "unknown adapter"}${
    info.isSoftware ? " (software adapter)" : " (hardware adapter)"
  }` +
    ` via ${Deno.env.get("DENO_WEBGPU_BACKEND") ?? "default"} backend`;
}
