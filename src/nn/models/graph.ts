/**
 * A model as a straight list of layer ops over named tensors. Each architecture only says
 * which ops it is made of ({@link ModelSpec.ops}); this file runs the list three ways:
 * forward and backward on the GPU (recorded into one compute pass, no readback) and the
 * whole model in float64 on the CPU from the reference layers (the oracle for the GPU run
 * and for finite differences). Each op kind is one entry of one table (`OPS`, in
 * models/op_table.ts): the tensors it writes, its GPU forward and backward, its reference
 * forward and backward.
 *
 * Tensor names: `x` is the input [B, T], `c` the per-spectrum features [B, C] of a model
 * that takes some (e.g. the noise level, nn/noise_level.ts); inputs are never
 * differentiated. `y` is the output [B, T].
 * Parameter names refer to the model's {@link ParamStore}; constant (non-trainable)
 * tables, e.g. the positional encoding, live in {@link ModelSpec.consts}.
 * @module
 */
import type { BufRef } from "../types.ts";
import type { ParamBuffers, ParamStore } from "../params.ts";
import { storageBuffer, uploadBuffer } from "../../gpu/buffers.ts";
import { accumulate } from "../add.ts";
import { zeroFill } from "../fill.ts";
import {
  allocRecurrentActs,
  destroyRecurrentActs,
  gateCount,
  type RecurrentActs,
} from "../recurrent.ts";
import type { RecurrentCacheRef } from "../reference/recurrent.ts";
import { addInto, type GpuCtx, type Op, opImpl, type RefCtx, tensorSizes } from "./op_table.ts";

export { type Cell, type Op, tensorSizes } from "./op_table.ts";

/** What an architecture provides: its parameters and its op list for a batch size. */
export interface ModelSpec {
  /** Registry name, e.g. "lstm-attention". */
  arch: string;
  /** Sequence length (number of offsets). */
  T: number;
  store: ParamStore;
  /** Non-trainable tables by name (uploaded once). */
  consts: Map<string, Float32Array>;
  /** Features per spectrum in the input `c` [B, C] (absent or 0: the model takes none). */
  C?: number;
  /** The ops for a batch of B spectra, in forward order; the last writes `y`. */
  ops(B: number): Op[];
}

/** The tensors a caller provides (never differentiated). */
const _INPUTS = new Set(["x", "c"]);

/** Checks that the features `c` are given exactly when the model takes some. */
function _checkFeatures(spec: ModelSpec, c: unknown): void {
  if ((spec.C ?? 0) > 0 !== (c !== undefined)) {
    throw new TypeError(
      spec.C
        ? `${spec.arch} takes ${spec.C} features per spectrum (c) but none were given`
        : `${spec.arch} takes no features per spectrum but c was given`,
    );
  }
}

/** Buffers of one batch size: activations, their gradients, recurrent state. */
interface Workspace {
  B: number;
  ops: Op[];
  t: Map<string, BufRef>;
  d: Map<string, GPUBuffer>;
  sizes: Map<string, number>;
  acts: Map<string, RecurrentActs>;
}

/**
 * A model on the GPU: parameters in a {@link ParamBuffers} set, activations per batch size.
 * `forward` then `backward` record into one pass; `backward` accumulates parameter
 * gradients into `bufs.grads` (zero them first, e.g. `zeroFill(..., bufs.grads, n)`).
 */
export class GpuModel {
  readonly spec: ModelSpec;
  readonly bufs: ParamBuffers;
  #device: GPUDevice;
  #consts = new Map<string, GPUBuffer>();
  #ws = new Map<number, Workspace>();

  /** Wraps a spec; `bufs` are the store's buffers (see ParamStore.createBuffers). */
  constructor(device: GPUDevice, spec: ModelSpec, bufs: ParamBuffers) {
    this.#device = device;
    this.spec = spec;
    this.bufs = bufs;
    for (const [k, v] of spec.consts) this.#consts.set(k, uploadBuffer(device, v, k));
  }

  #workspace(B: number): Workspace {
    let ws = this.#ws.get(B);
    if (ws) return ws;
    const ops = this.spec.ops(B);
    const sizes = tensorSizes(ops);
    const t = new Map<string, BufRef>();
    const d = new Map<string, GPUBuffer>();
    const acts = new Map<string, RecurrentActs>();
    for (const op of ops) {
      if (op.kind === "recurrent") {
        const a = allocRecurrentActs(this.#device, op.cell, B, op.T, op.H);
        acts.set(op.out, a);
        t.set(op.out, a.h as BufRef);
      }
    }
    for (const [name, n] of sizes) {
      if (!t.has(name)) t.set(name, storageBuffer(this.#device, n * 4, name));
      d.set(name, storageBuffer(this.#device, n * 4, `d_${name}`));
    }
    ws = { B, ops, t, d, sizes, acts };
    this.#ws.set(B, ws);
    return ws;
  }

  /** Drops cached activation buffers (e.g. after a large inference batch). */
  releaseWorkspaces(): void {
    for (const ws of this.#ws.values()) {
      for (const [name, b] of ws.t) {
        // inputs belong to the caller; recurrent layers' buffers go with their activations
        if (!_INPUTS.has(name) && !ws.acts.has(name) && !("buffer" in b)) b.destroy();
      }
      for (const a of ws.acts.values()) destroyRecurrentActs(a);
      for (const b of ws.d.values()) b.destroy();
    }
    this.#ws.clear();
  }

  /** The GPU context of a workspace (`dy`: the output's gradient, for the backward). */
  #ctx(pass: GPUComputePassEncoder, ws: Workspace, dy?: BufRef): GpuCtx {
    const { store } = this.spec, { params, grads } = this.bufs;
    const t = (n: string): BufRef => {
      const b = ws.t.get(n) ?? this.#consts.get(n);
      if (!b) throw new Error(`tensor ${n} is not computed before use`);
      return b;
    };
    const d = (n: string): BufRef => (n === "y" && dy ? dy : ws.d.get(n)!);
    return {
      dev: this.#device,
      pass,
      t,
      d,
      dn: (n) => (_INPUTS.has(n) ? null : d(n)),
      acc: (dst, src, n) => {
        if (_INPUTS.has(dst) || this.#consts.has(dst)) return;
        accumulate(this.#device, pass, d(dst), d(src), n);
      },
      p: (n) => store.ref(params, n),
      g: (n) => store.ref(grads, n),
      acts: ws.acts,
    };
  }

  /**
   * Records the forward pass for B spectra.
   * @param x input [B, T] (a whole buffer or a 256-byte-aligned slice)
   * @param c features [B, C] when the model takes some (see {@link ModelSpec.C})
   * @returns the output tensor y [B, T] (valid until the next forward with the same B)
   */
  forward(pass: GPUComputePassEncoder, x: BufRef, B: number, c?: BufRef): BufRef {
    _checkFeatures(this.spec, c);
    const ws = this.#workspace(B);
    ws.t.set("x", x);
    if (c) ws.t.set("c", c);
    const ctx = this.#ctx(pass, ws);
    for (const op of ws.ops) opImpl(op).forward(ctx, op);
    return ctx.t("y");
  }

  /**
   * Records the backward pass of the last forward with this B: given dy [B, T], accumulates
   * every parameter gradient into `bufs.grads`. Activation gradients are zeroed here.
   */
  backward(pass: GPUComputePassEncoder, dy: BufRef, B: number): void {
    const ws = this.#workspace(B);
    for (const [name, n] of ws.sizes) {
      if (name !== "y") zeroFill(this.#device, pass, ws.d.get(name)!, n);
    }
    const ctx = this.#ctx(pass, ws, dy);
    for (let i = ws.ops.length - 1; i >= 0; i--) opImpl(ws.ops[i]!).backward(ctx, ws.ops[i]!);
  }
}

/**
 * Largest buffer a model binds per spectrum (floats): its activations and the gate buffers
 * of its recurrent layers (G·T·H, written by the forward and, as gate gradients, by the
 * backward). Bounds the batch whose buffers fit one binding.
 */
export function maxFloatsPerSample(spec: ModelSpec): number {
  const ops = spec.ops(1);
  const gates = ops.map((op) => (op.kind === "recurrent" ? gateCount(op.cell) * op.T * op.H : 0));
  return Math.max(...tensorSizes(ops).values(), ...gates);
}

/** Saved values of a CPU reference forward, for {@link refBackward}. */
export interface RefCache {
  B: number;
  ops: Op[];
  t: Map<string, Float64Array>;
  rec: Map<string, RecurrentCacheRef>;
}

/**
 * The whole model in float64 on the CPU, composed from the reference layers.
 * @param params tensors by name (see ParamStore.toF64)
 * @param x input [B, T]
 * @param c features [B, C] when the model takes some
 * @returns y [B, T] and the cache for {@link refBackward}
 */
export function refForward(
  spec: ModelSpec,
  params: Map<string, Float64Array>,
  x: Float64Array,
  B: number,
  c?: Float64Array,
): { y: Float64Array; cache: RefCache } {
  _checkFeatures(spec, c);
  const ops = spec.ops(B);
  const t = new Map<string, Float64Array>([["x", x]]);
  if (c) t.set("c", c);
  for (const [k, v] of spec.consts) t.set(k, Float64Array.from(v));
  const ctx = _refCtx(spec, params, t, new Map(), new Map(), new Map());
  for (const op of ops) opImpl(op).refForward(ctx, op);
  return { y: t.get("y")!, cache: { B, ops, t, rec: ctx.rec } };
}

/** The reference context over tensors `t`, gradients `d` and parameter gradients `grads`. */
function _refCtx(
  spec: ModelSpec,
  params: Map<string, Float64Array>,
  t: Map<string, Float64Array>,
  d: Map<string, Float64Array>,
  grads: Map<string, Float64Array>,
  rec: Map<string, RecurrentCacheRef>,
): RefCtx {
  const dOf = (n: string) => d.get(n)!;
  return {
    t,
    d: dOf,
    dn: (n) => (_INPUTS.has(n) ? null : dOf(n)),
    acc: (dst, src) => {
      if (!_INPUTS.has(dst) && !spec.consts.has(dst)) addInto(dOf(dst), dOf(src));
    },
    p: (n) => params.get(n)!,
    g: (n) => grads.get(n)!,
    rec,
  };
}

/**
 * Float64 backward of {@link refForward}: parameter gradients (by name) for dy [B, T].
 */
export function refBackward(
  spec: ModelSpec,
  params: Map<string, Float64Array>,
  cache: RefCache,
  dy: Float64Array,
): Map<string, Float64Array> {
  const grads = new Map<string, Float64Array>();
  for (const s of spec.store.specs) grads.set(s.name, new Float64Array(s.size));
  const d = new Map<string, Float64Array>();
  for (const [n, size] of tensorSizes(cache.ops)) d.set(n, new Float64Array(size));
  d.set("y", Float64Array.from(dy));
  const ctx = _refCtx(spec, params, cache.t, d, grads, cache.rec);
  for (let i = cache.ops.length - 1; i >= 0; i--) {
    opImpl(cache.ops[i]!).refBackward(ctx, cache.ops[i]!);
  }
  return grads;
}
