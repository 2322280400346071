/**
 * Adapter from the model graph's ops to the float64 reference layers in src/nn/reference/
 * (one place that knows their exact signatures). Private to src/nn/models/.
 * @module
 */
import type { Act } from "../types.ts";
import { denseBackwardRef, denseForwardRef } from "../reference/dense.ts";
import { actBackwardRef, actForwardRef } from "../reference/activation.ts";
import { addBroadcastForwardRef, addForwardRef } from "../reference/add.ts";
import {
  recurrentBackwardRef,
  type RecurrentCacheRef,
  recurrentForwardRef,
} from "../reference/recurrent.ts";
import { layernormBackwardRef, layernormForwardRef } from "../reference/layernorm.ts";
import { attentionBackwardRef, attentionForwardRef } from "../reference/attention.ts";

export const dense = denseForwardRef;
export const denseBack = denseBackwardRef;
export const act = (inp: Float64Array, a: Act): Float64Array => actForwardRef(inp, a);
export const actBack = actBackwardRef;
export const add = addForwardRef;
export const addBroadcast = addBroadcastForwardRef;

/** Layer norm forward: out, mean, rstd. */
export const layernorm = (
  inp: Float64Array,
  gamma: Float64Array,
  beta: Float64Array,
  M: number,
  C: number,
) => layernormForwardRef(inp, gamma, beta, M, C);
/** Layer norm backward (accumulates). */
export const layernormBack = layernormBackwardRef;

/** Attention forward: out [B,T,D], att [B,NH,T,T]. */
export const attention = attentionForwardRef;
/** Attention backward: dqkv += ... */
export const attentionBack = attentionBackwardRef;

/** Recurrent forward of any cell: h [B,T,H] and the cell's cache. */
export function recurrentForward(
  ...args: Parameters<typeof recurrentForwardRef>
): { h: Float64Array; cache: RecurrentCacheRef } {
  const cache = recurrentForwardRef(...args);
  return { h: cache.h, cache };
}

/** Recurrent backward of any cell (returns new gradient arrays). */
export const recurrentBackward = recurrentBackwardRef;
