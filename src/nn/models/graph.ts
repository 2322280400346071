/**
 * A model as a straight list of layer ops over named tensors. Each architecture only says
 * which ops it is made of ({@link ModelSpec.ops}); this file runs the list three ways:
 * forward and backward on the GPU (recorded into one compute pass, no readback) and the
 * whole model in float64 on the CPU from the reference layers (the oracle for the GPU run
 * and for finite differences).
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
} from "../recurrent.ts";
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

/** Floats of every tensor an op list writes (for allocation and chunk sizing). */
export function tensorSizes(ops: Op[]): Map<string, number> {
  const s = new Map<string, number>();
  for (const op of ops) {
    switch (op.kind) {
      case "dense":
        s.set(op.out, op.M * op.N);
        break;
      case "act":
      case "add":
        s.set(op.out, op.n);
        break;
      case "addBroadcast":
        s.set(op.out, op.B * op.n);
        break;
      case "layernorm":
        s.set(op.out, op.M * op.C).set(op.mean, op.M).set(op.rstd, op.M);
        break;
      case "attention":
        s.set(op.out, op.B * op.T * op.D).set(op.att, op.B * op.NH * op.T * op.T);
        break;
      case "recurrent":
        s.set(op.out, op.B * op.T * op.H);
        break;
    }
  }
  return s;
}

/** The wx, wh and b tensors (or gradients) of recurrent layer `prefix`, looked up with `get`. */
function _recParams<V>(prefix: string, get: (name: string) => V): { wx: V; wh: V; b: V } {
  return { wx: get(`${prefix}.wx`), wh: get(`${prefix}.wh`), b: get(`${prefix}.b`) };
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

const _FWD = RECURRENT_FORWARD;
const _BWD = RECURRENT_BACKWARD;

/** Buffers of one batch size: activations, their gradients, recurrent state. */
interface Workspace {
  B: number;
  ops: Op[];
  t: Map<string, BufRef>;
  d: Map<string, GPUBuffer>;
  sizes: Map<string, number>;
  // deno-lint-ignore no-explicit-any
  acts: Map<string, any>;
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
    // deno-lint-ignore no-explicit-any
    const acts = new Map<string, any>();
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

  #p(name: string): GPUBufferBinding {
    return this.spec.store.ref(this.bufs.params, name);
  }
  #g(name: string): GPUBufferBinding {
    return this.spec.store.ref(this.bufs.grads, name);
  }

  /**
   * Records the forward pass for B spectra.
   * @param x input [B, T] (a whole buffer or a 256-byte-aligned slice)
   * @param c features [B, C] when the model takes some (see {@link ModelSpec.C})
   * @returns the output tensor y [B, T] (valid until the next forward with the same B)
   */
  forward(pass: GPUComputePassEncoder, x: BufRef, B: number, c?: BufRef): BufRef {
    _checkFeatures(this.spec, c);
    const dev = this.#device;
    const ws = this.#workspace(B);
    ws.t.set("x", x);
    if (c) ws.t.set("c", c);
    const T = (n: string): BufRef => {
      const b = ws.t.get(n) ?? this.#consts.get(n);
      if (!b) throw new Error(`tensor ${n} is not computed before use`);
      return b;
    };
    for (const op of ws.ops) {
      switch (op.kind) {
        case "dense":
          denseForward(
            dev,
            pass,
            T(op.out),
            T(op.inp),
            this.#p(op.w),
            op.b ? this.#p(op.b) : null,
            op.M,
            op.K,
            op.N,
          );
          break;
        case "act":
          actForward(dev, pass, T(op.out), T(op.inp), op.n, op.act);
          break;
        case "add":
          addForward(dev, pass, T(op.out), T(op.a), T(op.b), op.n);
          break;
        case "addBroadcast":
          addBroadcastForward(dev, pass, T(op.out), T(op.inp), T(op.table), op.B, op.n);
          break;
        case "layernorm":
          layernormForward(
            dev,
            pass,
            T(op.out),
            T(op.mean),
            T(op.rstd),
            T(op.inp),
            this.#p(op.gamma),
            this.#p(op.beta),
            op.M,
            op.C,
          );
          break;
        case "attention":
          attentionForward(dev, pass, T(op.out), T(op.att), T(op.qkv), op.B, op.T, op.D, op.NH);
          break;
        case "recurrent": {
          const p = _recParams(op.prefix, (n) => this.#p(n));
          _FWD[op.cell](
            dev,
            pass,
            ws.acts.get(op.out),
            T(op.inp),
            p,
            op.B,
            op.T,
            op.C,
            op.H,
            op.reverse,
          );
          break;
        }
      }
    }
    return T("y");
  }

  /**
   * Records the backward pass of the last forward with this B: given dy [B, T], accumulates
   * every parameter gradient into `bufs.grads`. Activation gradients are zeroed here.
   */
  backward(pass: GPUComputePassEncoder, dy: BufRef, B: number): void {
    const dev = this.#device;
    const ws = this.#workspace(B);
    for (const [name, n] of ws.sizes) if (name !== "y") zeroFill(dev, pass, ws.d.get(name)!, n);
    const T = (n: string): BufRef => ws.t.get(n) ?? this.#consts.get(n)!;
    const D = (n: string): BufRef => (n === "y" ? dy : ws.d.get(n)!);
    const Dn = (n: string): BufRef | null => (_INPUTS.has(n) ? null : D(n));
    const acc = (dst: string, src: string, n: number) => {
      if (_INPUTS.has(dst) || this.#consts.has(dst)) return;
      accumulate(dev, pass, D(dst), D(src), n);
    };
    for (let i = ws.ops.length - 1; i >= 0; i--) {
      const op = ws.ops[i]!;
      switch (op.kind) {
        case "dense":
          denseBackward(
            dev,
            pass,
            Dn(op.inp),
            this.#g(op.w),
            op.b ? this.#g(op.b) : null,
            D(op.out),
            T(op.inp),
            this.#p(op.w),
            op.M,
            op.K,
            op.N,
          );
          break;
        case "act":
          if (!_INPUTS.has(op.inp)) {
            actBackward(dev, pass, D(op.inp), D(op.out), T(op.out), op.n, op.act);
          }
          break;
        case "add":
          acc(op.a, op.out, op.n);
          acc(op.b, op.out, op.n);
          break;
        case "addBroadcast":
          acc(op.inp, op.out, op.B * op.n);
          break;
        case "layernorm":
          layernormBackward(
            dev,
            pass,
            D(op.inp),
            this.#g(op.gamma),
            this.#g(op.beta),
            D(op.out),
            T(op.inp),
            this.#p(op.gamma),
            T(op.mean),
            T(op.rstd),
            op.M,
            op.C,
          );
          break;
        case "attention":
          attentionBackward(
            dev,
            pass,
            D(op.qkv),
            D(op.out),
            T(op.qkv),
            T(op.att),
            op.B,
            op.T,
            op.D,
            op.NH,
          );
          break;
        case "recurrent": {
          const p = _recParams(op.prefix, (n) => this.#p(n));
          const dp = _recParams(op.prefix, (n) => this.#g(n));
          _BWD[op.cell](
            dev,
            pass,
            Dn(op.inp),
            dp,
            D(op.out),
            ws.acts.get(op.out),
            T(op.inp),
            p,
            op.B,
            op.T,
            op.C,
            op.H,
            op.reverse,
          );
          break;
        }
      }
    }
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
  // deno-lint-ignore no-explicit-any
  rec: Map<string, any>;
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
  // deno-lint-ignore no-explicit-any
  const rec = new Map<string, any>();
  const T = (n: string) => t.get(n)!;
  const P = (n: string) => params.get(n)!;
  for (const op of ops) {
    switch (op.kind) {
      case "dense":
        t.set(op.out, R.dense(T(op.inp), P(op.w), op.b ? P(op.b) : null, op.M, op.K, op.N));
        break;
      case "act":
        t.set(op.out, R.act(T(op.inp), op.act));
        break;
      case "add":
        t.set(op.out, R.add(T(op.a), T(op.b)));
        break;
      case "addBroadcast":
        t.set(op.out, R.addBroadcast(T(op.inp), T(op.table), op.B, op.n));
        break;
      case "layernorm": {
        const r = R.layernorm(T(op.inp), P(op.gamma), P(op.beta), op.M, op.C);
        t.set(op.out, r.out).set(op.mean, r.mean).set(op.rstd, r.rstd);
        break;
      }
      case "attention": {
        const r = R.attention(T(op.qkv), op.B, op.T, op.D, op.NH);
        t.set(op.out, r.out).set(op.att, r.att);
        break;
      }
      case "recurrent": {
        const p = _recParams(op.prefix, P);
        const r = R.recurrentForward(op.cell, T(op.inp), p, op.B, op.T, op.C, op.H, op.reverse);
        rec.set(op.out, r.cache);
        t.set(op.out, r.h);
        break;
      }
    }
  }
  return { y: T("y"), cache: { B, ops, t, rec } };
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
  const sizes = tensorSizes(cache.ops);
  for (const [n, size] of sizes) d.set(n, new Float64Array(size));
  d.set("y", Float64Array.from(dy));
  const T = (n: string) => cache.t.get(n)!;
  const P = (n: string) => params.get(n)!;
  const G = (n: string) => grads.get(n)!;
  const D = (n: string) => d.get(n)!;
  const Dn = (n: string) => (_INPUTS.has(n) ? null : D(n));
  const acc = (dst: string, src: string) => {
    if (_INPUTS.has(dst) || spec.consts.has(dst)) return;
    const a = D(dst), b = D(src);
    for (let i = 0; i < a.length; i++) a[i]! += b[i]!;
  };
  for (let i = cache.ops.length - 1; i >= 0; i--) {
    const op = cache.ops[i]!;
    switch (op.kind) {
      case "dense":
        R.denseBack(
          Dn(op.inp),
          G(op.w),
          op.b ? G(op.b) : null,
          D(op.out),
          T(op.inp),
          P(op.w),
          op.M,
          op.K,
          op.N,
        );
        break;
      case "act":
        if (!_INPUTS.has(op.inp)) R.actBack(D(op.inp), D(op.out), T(op.out), op.act);
        break;
      case "add":
        acc(op.a, op.out);
        acc(op.b, op.out);
        break;
      case "addBroadcast":
        acc(op.inp, op.out);
        break;
      case "layernorm":
        R.layernormBack(
          D(op.inp),
          G(op.gamma),
          G(op.beta),
          D(op.out),
          T(op.inp),
          P(op.gamma),
          T(op.mean),
          T(op.rstd),
          op.M,
          op.C,
        );
        break;
      case "attention":
        R.attentionBack(D(op.qkv), D(op.out), T(op.qkv), T(op.att), op.B, op.T, op.D, op.NH);
        break;
      case "recurrent": {
        const p = _recParams(op.prefix, P);
        const r = R.recurrentBackward(
          op.cell,
          D(op.out),
          cache.rec.get(op.out),
          T(op.inp),
          p,
          op.B,
          op.T,
          op.C,
          op.H,
          op.reverse,
        );
        const add = (dst: Float64Array | null, src: Float64Array) => {
          if (dst) { for (let j = 0; j < dst.length; j++) dst[j]! += src[j]!; }
        };
        add(Dn(op.inp), r.dx);
        add(G(`${op.prefix}.wx`), r.dwx);
        add(G(`${op.prefix}.wh`), r.dwh);
        add(G(`${op.prefix}.b`), r.db);
        break;
      }
    }
  }
  return grads;
}
