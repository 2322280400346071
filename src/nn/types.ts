/**
 * Types shared by every layer of the neural engine (docs/architecture.md, src/nn/).
 * @module
 */

/**
 * A buffer argument: a whole buffer or a slice of one. Slices let parameters live in one
 * flat parameter buffer and gradients in one flat gradient buffer; a slice's `offset` must
 * be a multiple of the device's `minStorageBufferOffsetAlignment` (256 bytes).
 *
 * Layer functions bind inputs read-only and outputs read-write. WebGPU rejects a dispatch
 * that binds one buffer both ways, so an output must not live in the same GPUBuffer as an
 * input of the same call (outputs may share one: dgamma and dbeta in one gradient buffer
 * is fine; in-place `actForward(out = inp)` on one buffer is not).
 */
export type BufRef = GPUBuffer | GPUBufferBinding;

/** Activation function applied element-wise. */
export type Act = "none" | "relu" | "tanh";
