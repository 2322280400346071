/**
 * TensorFlow.js set-up for the baselines: tfjs-core + tfjs-backend-webgpu + tfjs-backend-cpu
 * + tfjs-layers, with the webgpu flags pinned (and reported) so that every op really runs
 * on the adapter:
 * - WEBGPU_CPU_FORWARD = false (tfjs otherwise runs ops on fewer than
 *   WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD elements on the CPU, silently);
 * - WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD = 0 (belt and braces for the same);
 * - WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE = 15 (tfjs' default: dispatches per submission).
 * The chained ops tfjs-layers needs in Deno come from src/nn/tfjs_shim.ts.
 * @module
 */
import "../src/nn/tfjs_shim.ts";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-webgpu";
import * as tfl from "@tensorflow/tfjs-layers";

export { tf, tfl };

/** The two tfjs backends we compare against. */
export type TfBackend = "webgpu" | "cpu";

/** The pinned webgpu flags (see the module doc). */
export const TFJS_FLAGS = {
  WEBGPU_CPU_FORWARD: false,
  WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD: 0,
  WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE: 15,
} as const;

/** What the report states about tfjs. */
export interface TfjsInfo {
  version: string;
  flags: Record<string, unknown>;
  /** Adapter of tfjs-webgpu's own device (vendor / architecture / description). */
  webgpuAdapter: string;
}

/**
 * Switches tfjs to a backend (pinning the flags first).
 * @throws Error when the backend cannot be initialised
 */
export async function useBackend(b: TfBackend): Promise<void> {
  for (const [k, v] of Object.entries(TFJS_FLAGS)) tf.env().set(k, v);
  if (!(await tf.setBackend(b))) throw new Error(`tfjs backend "${b}" failed to initialise`);
  await tf.ready();
}

/** The current tfjs backend's name. */
export function currentBackend(): TfBackend {
  return tf.getBackend() as TfBackend;
}

interface WebGpuBackendLike {
  device: GPUDevice;
  submitQueue(): void;
  endComputePassEncoder(): void;
  ensureCommandEncoderReady(): void;
  adapterInfo?: { vendor?: string; architecture?: string; description?: string };
}

/**
 * Waits until every op issued so far on the current backend has finished: on webgpu,
 * flushes tfjs' deferred command encoder and awaits the queue (the same ≥ 10 ms wait our
 * kernels pay once per timed run); on cpu ops are synchronous already.
 */
export async function syncBackend(): Promise<void> {
  if (tf.getBackend() !== "webgpu") return;
  const be = tf.backend() as unknown as WebGpuBackendLike;
  // tfjs keeps a compute pass open between ops; submitQueue() alone would finish an
  // encoder with an open pass (an invalid, silently dropped command buffer).
  be.ensureCommandEncoderReady();
  be.endComputePassEncoder();
  be.submitQueue();
  await be.device.queue.onSubmittedWorkDone();
}

/** Version, pinned flags and tfjs-webgpu's adapter (initialises the webgpu backend). */
export async function tfjsInfo(): Promise<TfjsInfo> {
  await useBackend("webgpu");
  const be = tf.backend() as unknown as WebGpuBackendLike;
  const ai = be.adapterInfo ?? {};
  const flags: Record<string, unknown> = {};
  for (const k of Object.keys(TFJS_FLAGS)) flags[k] = tf.env().get(k);
  return {
    version: tf.version_core,
    flags,
    webgpuAdapter: [ai.vendor, ai.architecture, ai.description].filter((s) => s).join(" / ") ||
      "unknown",
  };
}

/** Reads a tensor's values as float32 (one wait on webgpu). */
export async function values(t: tf.Tensor): Promise<Float32Array> {
  return Float32Array.from(await t.data() as Float32Array);
}
