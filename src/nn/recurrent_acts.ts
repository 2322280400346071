/**
 * What a recurrent forward saves for its backward (src/nn/recurrent.ts), allocated once per
 * shape and re-used every step, and the backward's scratch.
 * @module
 */
import { storageBuffer } from "../gpu/buffers.ts";
import { type Cell, gateCount } from "./reference/recurrent.ts";

/**
 * What a recurrent forward saves for its backward, allocated once per shape by
 * {@link allocRecurrentActs} and re-used every step.
 */
export interface RecurrentActs {
  cell: Cell;
  B: number;
  T: number;
  H: number;
  /** Outputs [B,T,H]: h[b,t] is the output of the step that read x[b,t]. */
  h: GPUBuffer;
  /** LSTM cell states [B,T,H] (null for rnn, gru). */
  c: GPUBuffer | null;
  /** Gate activations [B,T,G·H] (null for rnn, whose h is enough). */
  gates: GPUBuffer | null;
  /** GRU: h₋·Un + b'n [B,T,H], the candidate's recurrent term before the reset gate. */
  hn: GPUBuffer | null;
  /** Backward scratch, allocated on the first backward call. */
  _bwd: { dgx: GPUBuffer; dgh: GPUBuffer; carry: GPUBuffer; whT: GPUBuffer } | null;
}

function _check(device: GPUDevice, what: string, floats: number): void {
  const bytes = floats * 4;
  const max = device.limits.maxStorageBufferBindingSize;
  if (bytes > max) {
    throw new RangeError(
      `Recurrent ${what} needs ${
        (bytes / 2 ** 20).toFixed(0)
      } MiB but this adapter binds at most ` +
        `${(max / 2 ** 20).toFixed(0)} MiB per buffer; use a smaller batch or hidden size`,
    );
  }
}

/**
 * Allocates the buffers a recurrent forward fills and its backward reads.
 * @throws RangeError when a buffer would exceed the adapter's binding size limit
 * @example
 * const acts = allocRecurrentActs(device, "lstm", 256, 101, 32);
 */
export function allocRecurrentActs(
  device: GPUDevice,
  cell: Cell,
  B: number,
  T: number,
  H: number,
): RecurrentActs {
  const G = gateCount(cell);
  _check(device, "gate buffer", B * T * G * H);
  return {
    cell,
    B,
    T,
    H,
    h: storageBuffer(device, B * T * H * 4, `${cell}-h`),
    c: cell === "lstm" ? storageBuffer(device, B * T * H * 4, `${cell}-c`) : null,
    gates: cell === "rnn" ? null : storageBuffer(device, B * T * G * H * 4, `${cell}-gates`),
    hn: cell === "gru" ? storageBuffer(device, B * T * H * 4, `${cell}-hn`) : null,
    _bwd: null,
  };
}

/** Releases the GPU memory of a layer's activations (and its backward scratch). */
export function destroyRecurrentActs(acts: RecurrentActs): void {
  for (
    const b of [
      acts.h,
      acts.c,
      acts.gates,
      acts.hn,
      acts._bwd?.dgx,
      acts._bwd?.dgh,
      acts._bwd?.carry,
    ]
  ) b?.destroy();
  acts._bwd = null;
}

/** The backward scratch of a layer, allocated on first use. */
export function bwdScratch(
  device: GPUDevice,
  acts: RecurrentActs,
): NonNullable<RecurrentActs["_bwd"]> {
  if (!acts._bwd) {
    const n = acts.B * acts.T * gateCount(acts.cell) * acts.H * 4;
    const dgx = storageBuffer(device, n, `${acts.cell}-dgates`);
    acts._bwd = {
      dgx,
      dgh: acts.cell === "gru" ? storageBuffer(device, n, `${acts.cell}-dgates-h`) : dgx,
      carry: storageBuffer(device, acts.B * acts.H * 4, `${acts.cell}-carry`),
      whT: storageBuffer(device, acts.H * gateCount(acts.cell) * acts.H * 4, `${acts.cell}-whT`),
    };
  }
  return acts._bwd;
}
