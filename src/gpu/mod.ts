/** The GPU layer: device, kernels, buffers. Nothing else touches navigator.gpu. */
export * from "./device.ts";
export * from "./kernel.ts";
export * from "./buffers.ts";
