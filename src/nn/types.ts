/**
 * Types shared by every layer of the neural engine (see the layer API in DESIGN.md).
 * @module
 */

/**
 * A buffer argument: a whole buffer or a slice of one. Slices let parameters live in one
 * flat parameter buffer and gradients in one flat gradient buffer; a slice's `offset` must
 * be a multiple of the device's `minStorageBufferOffsetAlignment` (256 bytes).
 */
export type BufRef = GPUBuffer | GPUBufferBinding;

/** Activation function applied element-wise. */
export type Act = "none" | "relu" | "tanh";
