/**
 * A model as a straight list of layer ops over named tensors. Each architecture only says
 * which ops it is made of ({@link ModelSpec.ops}); this file runs the list three ways:
 * forward and backward on the GPU (recorded into one compute pass, no readback) and the
 * whole model in float64 on the CPU from the reference layers (the oracle for the GPU run
 * and for finite differences). Each op kind is one entry of one table (`OPS`): the tensors
 * it writes, its GPU forward and backward, its reference forward and backward.
 *
 * Tensor names: `x` is the input [B, T], `c` the per-spectrum features [B, C] of a model
 * that takes some (e.g. the noise level, nn/noise_level.ts); inputs are never
 * differentiated. `y` is the output [B, T].
 * Parameter names refer to the model's {@link ParamStore}; constant (non-trainable)
 * tables, e.g. the positional encoding, live in {@link ModelSpec.consts}.
 * @module
 */
import type { Act, BufRef } from "../types.ts";
import type { ParamBuffers, ParamStore } from "../params.ts";
import { storageBuffer, uploadBuffer } from "../../gpu/buffers.ts";
import { denseBackward, denseForward } from "../dense.ts";
import { actBackward, actForward } from "../activation.ts";
import { accumulate, addBroadcastForward, addForward } from "../add.ts";
import { layernormBackward, layernormForward } from "../layernorm.ts";
import { attentionBackward, attentionForward } from "../attention.ts";
import { zeroFill } from "../fill.ts";
import {
  allocRecurrentActs,
  destroyRecurrentActs,
  gateCount,
  RECURRENT_BACKWARD,
  RECURRENT_FORWARD,
  type RecurrentActs,
} from "../recurrent.ts";
import type { RecurrentCacheRef } from "../reference/recurrent.ts";
import * as R from "./_ref_ops.ts";

/** The recurrent cells. */
export type Cell = "rnn" | "lstm" | "gru";

/** One layer application; `out`/`inp`/... are tensor names, `w`/`b`/... parameter names. */
export type Op =
  | {
    kind: "dense";
    out: string;
    inp: string;
    w: string;
    b: string | null;
    M: number;
    K: number;
    N: number;
  }
  | { kind: "act"; out: string; inp: string; n: number; act: Act }
  | { kind: "add"; out: string; a: string; b: string; n: number }
  | { kind: "addBroadcast"; out: string; inp: string; table: string; B: number; n: number }
  | {
    kind: "layernorm";
    out: string;
    mean: string;
    rstd: string;
    inp: string;
    gamma: string;
    beta: string;
    M: number;
    C: number;
  }
  | {
    kind: "attention";
    out: string;
    att: string;
    qkv: string;
    B: number;
    T: number;
    D: number;
    NH: number;
  }
  | {
    kind: "recurrent";
    cell: Cell;
    out: string;
    inp: string;
    /** Parameter name prefix: `${prefix}.wx`, `.wh`, `.b`. */
    prefix: string;
    B: number;
    T: number;
    C: number;
    H: number;
    reverse: boolean;
  };

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

/** What the GPU implementation of an op reads and writes, by tensor or parameter name. */
interface GpuCtx {
  dev: GPUDevice;
  pass: GPUComputePassEncoder;
  /** An activation, input or constant table. */
  t(name: string): BufRef;
  /** The gradient of an activation (`y`: the caller's dy). */
  d(name: string): BufRef;
  /** The gradient of an op's input, or null for the model's inputs (not differentiated). */
  dn(name: string): BufRef | null;
  /** dst's gradient += src's gradient (nothing for inputs and constants). */
  acc(dst: string, src: string, n: number): void;
  p(name: string): GPUBufferBinding;
  g(name: string): GPUBufferBinding;
  /** Recurrent layers' activations by output name. */
  acts: Map<string, RecurrentActs>;
}

/** The same for the float64 reference. */
interface RefCtx {
  t: Map<string, Float64Array>;
  d(name: string): Float64Array;
  dn(name: string): Float64Array | null;
  acc(dst: string, src: string): void;
  p(name: string): Float64Array;
  g(name: string): Float64Array;
  rec: Map<string, RecurrentCacheRef>;
}

/** One op kind: the tensors it writes, and its GPU and reference forward and backward. */
interface OpImpl<O extends Op> {
  sizes(op: O, set: (name: string, floats: number) => void): void;
  forward(c: GpuCtx, op: O): void;
  backward(c: GpuCtx, op: O): void;
  refForward(c: RefCtx, op: O): void;
  refBackward(c: RefCtx, op: O): void;
}

/** The wx, wh and b tensors (or gradients) of recurrent layer `prefix`, looked up with `get`. */
function _recParams<V>(prefix: string, get: (name: string) => V): { wx: V; wh: V; b: V } {
  return { wx: get(`${prefix}.wx`), wh: get(`${prefix}.wh`), b: get(`${prefix}.b`) };
}

/** Adds `src` into `dst` (when there is a dst). */
function _addInto(dst: Float64Array | null, src: Float64Array): void {
  if (dst) { for (let j = 0; j < dst.length; j++) dst[j]! += src[j]!; }
}

/** Every op kind, in one table. */
const OPS: { [K in Op["kind"]]: OpImpl<Extract<Op, { kind: K }>> } = {
  dense: {
    sizes: (op, set) => set(op.out, op.M * op.N),
    forward: (c, op) =>
      denseForward(
        c.dev,
        c.pass,
        c.t(op.out),
        c.t(op.inp),
        c.p(op.w),
        op.b ? c.p(op.b) : null,
        op.M,
        op.K,
        op.N,
      ),
    backward: (c, op) =>
      denseBackward(
        c.dev,
        c.pass,
        c.dn(op.inp),
        c.g(op.w),
        op.b ? c.g(op.b) : null,
        c.d(op.out),
        c.t(op.inp),
        c.p(op.w),
        op.M,
        op.K,
        op.N,
      ),
    refForward: (c, op) =>
      c.t.set(
        op.out,
        R.dense(c.t.get(op.inp)!, c.p(op.w), op.b ? c.p(op.b) : null, op.M, op.K, op.N),
      ),
    refBackward: (c, op) =>
      R.denseBack(
        c.dn(op.inp),
        c.g(op.w),
        op.b ? c.g(op.b) : null,
        c.d(op.out),
        c.t.get(op.inp)!,
        c.p(op.w),
        op.M,
        op.K,
        op.N,
      ),
  },
  act: {
    sizes: (op, set) => set(op.out, op.n),
    forward: (c, op) => actForward(c.dev, c.pass, c.t(op.out), c.t(op.inp), op.n, op.act),
    backward: (c, op) => {
      const dInp = c.dn(op.inp);
      if (dInp) actBackward(c.dev, c.pass, dInp, c.d(op.out), c.t(op.out), op.n, op.act);
    },
    refForward: (c, op) => c.t.set(op.out, R.act(c.t.get(op.inp)!, op.act)),
    refBackward: (c, op) => {
      const dInp = c.dn(op.inp);
      if (dInp) R.actBack(dInp, c.d(op.out), c.t.get(op.out)!, op.act);
    },
  },
  add: {
    sizes: (op, set) => set(op.out, op.n),
    forward: (c, op) => addForward(c.dev, c.pass, c.t(op.out), c.t(op.a), c.t(op.b), op.n),
    backward: (c, op) => {
      c.acc(op.a, op.out, op.n);
      c.acc(op.b, op.out, op.n);
    },
    refForward: (c, op) => c.t.set(op.out, R.add(c.t.get(op.a)!, c.t.get(op.b)!)),
    refBackward: (c, op) => {
      c.acc(op.a, op.out);
      c.acc(op.b, op.out);
    },
  },
  addBroadcast: {
    sizes: (op, set) => set(op.out, op.B * op.n),
    forward: (c, op) =>
      addBroadcastForward(c.dev, c.pass, c.t(op.out), c.t(op.inp), c.t(op.table), op.B, op.n),
    backward: (c, op) => c.acc(op.inp, op.out, op.B * op.n),
    refForward: (c, op) =>
      c.t.set(op.out, R.addBroadcast(c.t.get(op.inp)!, c.t.get(op.table)!, op.B, op.n)),
    refBackward: (c, op) => c.acc(op.inp, op.out),
  },
  layernorm: {
    sizes: (op, set) => {
      set(op.out, op.M * op.C);
      set(op.mean, op.M);
      set(op.rstd, op.M);
    },
    forward: (c, op) =>
      layernormForward(
        c.dev,
        c.pass,
        c.t(op.out),
        c.t(op.mean),
        c.t(op.rstd),
        c.t(op.inp),
        c.p(op.gamma),
        c.p(op.beta),
        op.M,
        op.C,
      ),
    backward: (c, op) =>
      layernormBackward(
        c.dev,
        c.pass,
        c.d(op.inp),
        c.g(op.gamma),
        c.g(op.beta),
        c.d(op.out),
        c.t(op.inp),
        c.p(op.gamma),
        c.t(op.mean),
        c.t(op.rstd),
        op.M,
        op.C,
      ),
    refForward: (c, op) => {
      const r = R.layernorm(c.t.get(op.inp)!, c.p(op.gamma), c.p(op.beta), op.M, op.C);
      c.t.set(op.out, r.out).set(op.mean, r.mean).set(op.rstd, r.rstd);
    },
    refBackward: (c, op) =>
      R.layernormBack(
        c.d(op.inp),
        c.g(op.gamma),
        c.g(op.beta),
        c.d(op.out),
        c.t.get(op.inp)!,
        c.p(op.gamma),
        c.t.get(op.mean)!,
        c.t.get(op.rstd)!,
        op.M,
        op.C,
      ),
  },
  attention: {
    sizes: (op, set) => {
      set(op.out, op.B * op.T * op.D);
      set(op.att, op.B * op.NH * op.T * op.T);
    },
    forward: (c, op) =>
      attentionForward(
        c.dev,
        c.pass,
        c.t(op.out),
        c.t(op.att),
        c.t(op.qkv),
        op.B,
        op.T,
        op.D,
        op.NH,
      ),
    backward: (c, op) =>
      attentionBackward(
        c.dev,
        c.pass,
        c.d(op.qkv),
        c.d(op.out),
        c.t(op.qkv),
        c.t(op.att),
        op.B,
        op.T,
        op.D,
        op.NH,
      ),
    refForward: (c, op) => {
      const r = R.attention(c.t.get(op.qkv)!, op.B, op.T, op.D, op.NH);
      c.t.set(op.out, r.out).set(op.att, r.att);
    },
    refBackward: (c, op) =>
      R.attentionBack(
        c.d(op.qkv),
        c.d(op.out),
        c.t.get(op.qkv)!,
        c.t.get(op.att)!,
        op.B,
        op.T,
        op.D,
        op.NH,
      ),
  },
  recurrent: {
    sizes: (op, set) => set(op.out, op.B * op.T * op.H),
    forward: (c, op) =>
      RECURRENT_FORWARD[op.cell](
        c.dev,
        c.pass,
        c.acts.get(op.out)!,
        c.t(op.inp),
        _recParams(op.prefix, c.p),
        op.B,
        op.T,
        op.C,
        op.H,
        op.reverse,
      ),
    backward: (c, op) =>
      RECURRENT_BACKWARD[op.cell](
        c.dev,
        c.pass,
        c.dn(op.inp),
        _recParams(op.prefix, c.g),
        c.d(op.out),
        c.acts.get(op.out)!,
        c.t(op.inp),
        _recParams(op.prefix, c.p),
        op.B,
        op.T,
        op.C,
        op.H,
        op.reverse,
      ),
    refForward: (c, op) => {
      const p = _recParams(op.prefix, c.p);
      const r = R.recurrentForward(
        op.cell,
        c.t.get(op.inp)!,
        p,
        op.B,
        op.T,
        op.C,
        op.H,
        op.reverse,
      );
      c.rec.set(op.out, r.cache);
      c.t.set(op.out, r.h);
    },
    refBackward: (c, op) => {
      const r = R.recurrentBackward(
        op.cell,
        c.d(op.out),
        c.rec.get(op.out)!,
        c.t.get(op.inp)!,
        _recParams(op.prefix, c.p),
        op.B,
        op.T,
        op.C,
        op.H,
        op.reverse,
      );
      _addInto(c.dn(op.inp), r.dx);
      _addInto(c.g(`${op.prefix}.wx`), r.dwx);
      _addInto(c.g(`${op.prefix}.wh`), r.dwh);
      _addInto(c.g(`${op.prefix}.b`), r.db);
    },
  },
};

/** The implementation of an op's kind. */
function _impl<O extends Op>(op: O): OpImpl<O> {
  return OPS[op.kind] as unknown as OpImpl<O>;
}

/** Floats of every tensor an op list writes (for allocation and chunk sizing). */
export function tensorSizes(ops: Op[]): Map<string, number> {
  const s = new Map<string, number>();
  for (const op of ops) _impl(op).sizes(op, (name, n) => s.set(name, n));
  return s;
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
    for (const op of ws.ops) _impl(op).forward(ctx, op);
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
    for (let i = ws.ops.length - 1; i >= 0; i--) _impl(ws.ops[i]!).backward(ctx, ws.ops[i]!);
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
  for (const op of ops) _impl(op).refForward(ctx, op);
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
      if (!_INPUTS.has(dst) && !spec.consts.has(dst)) _addInto(dOf(dst), dOf(src));
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
    _impl(cache.ops[i]!).refBackward(ctx, cache.ops[i]!);
  }
  return grads;
}
