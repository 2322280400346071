/**
 * The op table of the model graph (models/graph.ts): the layer ops a model is a list of,
 * and for each op kind one entry of one table (`OPS`): the tensors it writes, its GPU
 * forward and backward (recorded into a compute pass) and its float64 reference forward
 * and backward.
 * @module
 */
import type { Act, BufRef } from "../types.ts";
import { denseBackward, denseForward } from "../dense.ts";
import { actBackward, actForward } from "../activation.ts";
import { addBroadcastForward, addForward } from "../add.ts";
import { layernormBackward, layernormForward } from "../layernorm.ts";
import { attentionBackward, attentionForward } from "../attention.ts";
import { RECURRENT_BACKWARD, RECURRENT_FORWARD, type RecurrentActs } from "../recurrent.ts";
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

/** What the GPU implementation of an op reads and writes, by tensor or parameter name. */
export interface GpuCtx {
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
export interface RefCtx {
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
export function addInto(dst: Float64Array | null, src: Float64Array): void {
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
      addInto(c.dn(op.inp), r.dx);
      addInto(c.g(`${op.prefix}.wx`), r.dwx);
      addInto(c.g(`${op.prefix}.wh`), r.dwh);
      addInto(c.g(`${op.prefix}.b`), r.db);
    },
  },
};

/** The implementation of an op's kind. */
export function opImpl<O extends Op>(op: O): OpImpl<O> {
  return OPS[op.kind] as unknown as OpImpl<O>;
}

/** Floats of every tensor an op list writes (for allocation and chunk sizing). */
export function tensorSizes(ops: Op[]): Map<string, number> {
  const s = new Map<string, number>();
  for (const op of ops) opImpl(op).sizes(op, (name, n) => s.set(name, n));
  return s;
}
