/**
 * Makes tfjs-layers usable in Deno by registering tfjs-core's "chained ops"
 * (`tensor.flatten()`, `tensor.add(b)`, …) on `Tensor.prototype`.
 *
 * Deno resolves `@tensorflow/tfjs-core` to its CommonJS node bundle, which leaves out the
 * side-effect modules (`public/chained_ops/*`) that add these methods, and tfjs-layers
 * calls them (e.g. `rMat.flatten is not a function`). Each chained op is the functional op
 * with the tensor as first argument; the few that differ are written out below. Importing
 * this module registers them (idempotent; existing methods are left alone).
 * @example
 * import "./tfjs_shim.ts";
 * import * as tfl from "@tensorflow/tfjs-layers";
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";

/** Chained ops that are exactly `op(this, ...args)`. */
// deno-fmt-ignore
const SAME_AS_OP = [
  "abs", "acos", "acosh", "add", "all", "any", "argMax", "argMin", "asin", "asinh", "atan",
  "atan2", "atanh", "batchToSpaceND", "batchNorm", "broadcastTo", "cast", "ceil",
  "clipByValue", "conv1d", "conv2d", "cos", "cosh", "cumprod", "cumsum", "depthToSpace",
  "div", "divNoNan", "dot", "elu", "equal", "erf", "euclideanNorm", "exp", "expandDims",
  "expm1", "fft", "floor", "floorDiv", "gather", "greater", "greaterEqual", "ifft", "irfft",
  "isFinite", "isInf", "isNaN", "leakyRelu", "less", "lessEqual", "log", "log1p",
  "logSigmoid", "logSoftmax", "logSumExp", "logicalAnd", "logicalNot", "logicalOr",
  "logicalXor", "matMul", "max", "maximum", "mean", "min", "minimum", "mirrorPad", "mod",
  "mul", "neg", "norm", "notEqual", "oneHot", "onesLike", "pad", "pool", "pow", "prelu",
  "prod", "reciprocal", "relu", "relu6", "reshape", "reverse", "rfft", "round", "rsqrt",
  "selu", "sigmoid", "sign", "sin", "sinh", "slice", "softmax", "softplus",
  "spaceToBatchND", "split", "sqrt", "square", "squaredDifference", "squeeze", "step",
  "stridedSlice", "sub", "sum", "tan", "tanh", "tile", "topk", "transpose", "unique",
  "unstack", "zerosLike",
] as const;

type AnyFn = (...args: unknown[]) => unknown;
type T = tf.Tensor;

/** Chained ops whose functional form differs from `op(this, ...args)`. */
const SPECIAL: Record<string, (this: T, ...args: never[]) => unknown> = {
  flatten(this: T) {
    return tf.reshape(this, [this.size]);
  },
  as1D(this: T) {
    return tf.reshape(this, [this.size]);
  },
  as2D(this: T, r: number, c: number) {
    return tf.reshape(this, [r, c]);
  },
  as3D(this: T, r: number, c: number, d: number) {
    return tf.reshape(this, [r, c, d]);
  },
  as4D(this: T, r: number, c: number, d: number, d2: number) {
    return tf.reshape(this, [r, c, d, d2]);
  },
  as5D(this: T, r: number, c: number, d: number, d2: number, d3: number) {
    return tf.reshape(this, [r, c, d, d2, d3]);
  },
  asScalar(this: T) {
    return tf.reshape(this, []);
  },
  asType(this: T, dtype: tf.DataType) {
    return tf.cast(this, dtype);
  },
  toBool(this: T) {
    return tf.cast(this, "bool");
  },
  toFloat(this: T) {
    return tf.cast(this, "float32");
  },
  toInt(this: T) {
    return tf.cast(this, "int32");
  },
  reshapeAs(this: T, x: T) {
    return tf.reshape(this, x.shape);
  },
  concat(this: T, x: T | T[], axis?: number) {
    return tf.concat([this, ...(x instanceof tf.Tensor ? [x] : x)], axis);
  },
  stack(this: T, x: T | T[], axis?: number) {
    return tf.stack([this, ...(x instanceof tf.Tensor ? [x] : x)], axis);
  },
  where(this: T, condition: T, x: T) {
    return tf.where(condition, this, x);
  },
};

/**
 * Registers the chained ops on `tf.Tensor.prototype` (done once on import).
 * @returns the number of methods added by this call (0 when already registered)
 */
export function registerChainedOps(): number {
  const proto = tf.Tensor.prototype as unknown as Record<string, unknown>;
  const ops = tf as unknown as Record<string, AnyFn | undefined>;
  let added = 0;
  for (const name of SAME_AS_OP) {
    const op = ops[name];
    if (typeof proto[name] === "function" || typeof op !== "function") continue;
    proto[name] = function (this: T, ...args: unknown[]) {
      this.throwIfDisposed();
      return op(this, ...args);
    };
    added++;
  }
  for (const [name, fn] of Object.entries(SPECIAL)) {
    if (typeof proto[name] === "function") continue;
    proto[name] = function (this: T, ...args: never[]) {
      this.throwIfDisposed();
      return fn.apply(this, args);
    };
    added++;
  }
  return added;
}

registerChainedOps();
