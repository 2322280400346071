/**
 * A flat parameter store: every parameter tensor is a 256-byte-aligned slice of one f32 GPU
 * buffer (256 B = WebGPU's minStorageBufferOffsetAlignment, so each slice can be bound on
 * its own), and the gradients, Adam's m and Adam's v use the same layout in three more
 * buffers. The optimiser and the gradient clipper then run once over the whole buffer;
 * the padding between slices stays exactly 0 (zero gradient → zero Adam step).
 *
 * Initialisation is uniform U(−a, a) (the paper's "uniform initialisation"), with `a`
 * chosen per layer by the model (see {@link fanInBound}); constants (layer norm γ = 1,
 * β = 0) are supported too. Each tensor draws from its own seeded stream
 * `Rng(seed, INIT_STREAM, index)`, so adding a tensor never changes another one's values.
 * @module
 */
import { Rng } from "../util/rng.ts";
import { storageBuffer, writeBuffer } from "../gpu/buffers.ts";

/** Floats per 256-byte alignment unit. */
export const ALIGN_FLOATS = 64;

/** RNG stream id for parameter initialisation. */
export const INIT_STREAM = 0x1417;

/** How a tensor is initialised. */
export type ParamInit = { uniform: number } | { constant: number };

/** One registered parameter tensor. */
export interface ParamSpec {
  name: string;
  shape: number[];
  /** Number of values (product of shape). */
  size: number;
  /** Offset in floats inside the flat buffers (a multiple of {@link ALIGN_FLOATS}). */
  offset: number;
  init: ParamInit;
}

/**
 * The PyTorch-default bound for a layer with `fanIn` inputs: a = 1/√fanIn, used for dense
 * layers (weights and biases) and, with fanIn = H, for every recurrent weight and bias.
 * Keeps pre-activations O(1) at initialisation for inputs of unit scale.
 */
export function fanInBound(fanIn: number): number {
  return 1 / Math.sqrt(fanIn);
}

/** Rounds `n` floats up to a whole number of 256-byte units. */
export function alignFloats(n: number): number {
  return Math.ceil(n / ALIGN_FLOATS) * ALIGN_FLOATS;
}

/** The GPU side of a store: parameters, gradients and Adam moments, same layout. */
export interface ParamBuffers {
  params: GPUBuffer;
  grads: GPUBuffer;
  m: GPUBuffer;
  v: GPUBuffer;
}

/**
 * Registry of named parameter tensors laid out in one flat f32 array.
 * @example
 * const store = new ParamStore();
 * store.add("dense1.w", [101, 64], { uniform: fanInBound(101) });
 * const flat = store.initialValues(42);
 * const bufs = store.createBuffers(device, flat);
 * denseForward(device, pass, out, inp, store.ref(bufs.params, "dense1.w"), ...);
 */
export class ParamStore {
  /** Tensors in registration order. */
  readonly specs: ParamSpec[] = [];
  #byName = new Map<string, ParamSpec>();
  #total = 0;

  /**
   * Registers a tensor.
   * @throws Error when the name is already used
   */
  add(name: string, shape: number[], init: ParamInit): ParamSpec {
    if (this.#byName.has(name)) throw new Error(`Parameter "${name}" is registered twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (!(size > 0)) throw new RangeError(`Parameter "${name}" has an empty shape [${shape}]`);
    const spec: ParamSpec = { name, shape: [...shape], size, offset: this.#total, init };
    this.#total += alignFloats(size);
    this.specs.push(spec);
    this.#byName.set(name, spec);
    return spec;
  }

  /** Floats in the flat buffers, padding included. */
  get totalFloats(): number {
    return Math.max(this.#total, ALIGN_FLOATS);
  }

  /** Number of trainable values (padding excluded). */
  get count(): number {
    return this.specs.reduce((a, s) => a + s.size, 0);
  }

  /**
   * The spec of `name`.
   * @throws Error naming the unknown parameter
   */
  spec(name: string): ParamSpec {
    const s = this.#byName.get(name);
    if (!s) {
      throw new Error(
        `Unknown parameter "${name}" (known: ${[...this.#byName.keys()].join(", ")})`,
      );
    }
    return s;
  }

  /** True when `name` is registered. */
  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** The slice of a flat GPU buffer (params, grads, m or v) holding tensor `name`. */
  ref(buffer: GPUBuffer, name: string): GPUBufferBinding {
    const s = this.spec(name);
    return { buffer, offset: s.offset * 4, size: s.size * 4 };
  }

  /** The values of `name` inside a flat host array (a view, not a copy). */
  view<T extends Float32Array | Float64Array>(flat: T, name: string): T {
    const s = this.spec(name);
    return flat.subarray(s.offset, s.offset + s.size) as T;
  }

  /** Initial values, flat, padding 0: U(−a, a) per tensor from `Rng(seed, INIT_STREAM, i)`. */
  initialValues(seed: number): Float32Array {
    const flat = new Float32Array(this.totalFloats);
    this.specs.forEach((s, i) => {
      const dst = flat.subarray(s.offset, s.offset + s.size);
      if ("constant" in s.init) {
        dst.fill(s.init.constant);
      } else {
        const a = s.init.uniform;
        const rng = new Rng(seed, INIT_STREAM, i);
        for (let j = 0; j < s.size; j++) dst[j] = rng.range(-a, a);
      }
    });
    return flat;
  }

  /** Splits a flat array into named tensors (copies), e.g. for a checkpoint. */
  unflatten(flat: Float32Array): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const s of this.specs) out.set(s.name, flat.slice(s.offset, s.offset + s.size));
    return out;
  }

  /** Widens a flat f32 array into per-tensor float64 arrays (for the CPU reference model). */
  toF64(flat: Float32Array | Float64Array): Map<string, Float64Array> {
    const out = new Map<string, Float64Array>();
    for (const s of this.specs) {
      out.set(s.name, Float64Array.from(flat.subarray(s.offset, s.offset + s.size)));
    }
    return out;
  }

  /** Packs named tensors back into a flat f32 array (padding 0). */
  flatten(tensors: Map<string, ArrayLike<number>>): Float32Array {
    const flat = new Float32Array(this.totalFloats);
    for (const s of this.specs) {
      const t = tensors.get(s.name);
      if (!t) throw new Error(`Parameter "${s.name}" is missing`);
      if (t.length !== s.size) {
        throw new TypeError(`Parameter "${s.name}" has ${t.length} values, expected ${s.size}`);
      }
      flat.set(t, s.offset);
    }
    return flat;
  }

  /**
   * Allocates the four flat buffers; params hold `initial` (else zeros), the rest zeros.
   * With `inference`, grads/m/v are minimal placeholders (prediction needs only params).
   */
  createBuffers(
    device: GPUDevice,
    initial?: Float32Array,
    opts: { inference?: boolean } = {},
  ): ParamBuffers {
    const bytes = this.totalFloats * 4;
    const aux = opts.inference ? ALIGN_FLOATS * 4 : bytes;
    const bufs = {
      params: storageBuffer(device, bytes, "params"),
      grads: storageBuffer(device, aux, "grads"),
      m: storageBuffer(device, aux, "adam_m"),
      v: storageBuffer(device, aux, "adam_v"),
    };
    if (initial) writeBuffer(device, bufs.params, this.#checked(initial));
    return bufs;
  }

  #checked(flat: Float32Array): Float32Array {
    if (flat.length !== this.totalFloats) {
      throw new TypeError(
        `Expected ${this.totalFloats} flat parameter values but found ${flat.length}`,
      );
    }
    return flat;
  }
}
