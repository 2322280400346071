/**
 * Dense (fully connected) layers on top of one general matmul kernel with two variants:
 * `rb4x4` (register blocking, the default on software adapters) and `tiled64` (workgroup
 * tiles, the default on hardware adapters). Both are tested against the same reference.
 * @module
 */
import { rowsPerBinding } from "../gpu/buffers.ts";
import { bindGroup, dispatch, getKernel, kernelsOf, MAX_GROUPS_PER_DIM } from "../gpu/kernel.ts";
import { cachedUniform, dummyBuffer, subRef } from "./_uniforms.ts";
import { colSumAcc } from "./add.ts";
import type { BufRef } from "./types.ts";
import { isSoftwareDevice } from "../gpu/device.ts";

/** The matmul variants, by name. */
export const MATMUL_VARIANTS = ["rb4x4", "tiled64"] as const;
/** One of {@link MATMUL_VARIANTS}. */
export type MatmulVariant = typeof MATMUL_VARIANTS[number];

const _kernel = kernelsOf("matmul.wgsl", 64);
const _bindings = ["storage", "read", "read", "read", "uniform"] as const;

/** Register-blocked matmul: each thread a 4×4 output tile, no workgroup memory. */
export const MATMUL_RB4X4 = _kernel(
  "matmul_rb4x4",
  _bindings,
  "C (+)= op(A)·op(B) (+ bias), 4x4 register tiles per thread",
);

/** {@link MATMUL_RB4X4} with vec4 loads, used by the rb4x4 variant when {@link vec4Eligible}. */
export const MATMUL_RB4X4_VEC4 = _kernel(
  "matmul_rb4x4_vec4",
  _bindings,
  "C (+)= op(A)·op(B) (+ bias), 4x4 register tiles, vec4 loads (dims multiple of 4)",
);

/**
 * True when the rb4x4 variant can read A and B as vec4: K is a multiple of 4, and so is
 * M when A is transposed and N when B is not (the dimensions contiguous in memory).
 */
export function vec4Eligible(
  M: number,
  K: number,
  N: number,
  transA: boolean,
  transB: boolean,
): boolean {
  return K % 4 === 0 && (!transA || M % 4 === 0) && (transB || N % 4 === 0);
}

/** Workgroup-tiled matmul: 64×64 tiles through workgroup memory, 4×4 per thread. */
export const MATMUL_TILED64 = _kernel(
  "matmul_tiled64",
  _bindings,
  "C (+)= op(A)·op(B) (+ bias), 64x64 workgroup tiles",
  256,
);

let _override: MatmulVariant | undefined;

/**
 * Forces one matmul variant for every later call (benchmarks, tests); `undefined` goes
 * back to the per-adapter default.
 */
export function setMatmulVariant(v: MatmulVariant | undefined): void {
  if (v !== undefined && !MATMUL_VARIANTS.includes(v)) {
    throw new RangeError(
      `Unknown matmul variant "${v}"; expected one of ${MATMUL_VARIANTS.join(", ")}`,
    );
  }
  _override = v;
}

/**
 * The matmul variant used on a device: the override if set, else `rb4x4` on software
 * adapters (workgroup memory and barriers are slow there) and `tiled64` on GPUs.
 */
export function matmulVariant(device: GPUDevice): MatmulVariant {
  return _override ?? (isSoftwareDevice(device) ? "rb4x4" : "tiled64");
}

/** Options of {@link matmul}. */
export interface MatmulOptions {
  /** A is stored [K, M] (use Aᵀ). */
  transA?: boolean;
  /** B is stored [N, K] (use Bᵀ). */
  transB?: boolean;
  /** C += result instead of C = result. */
  accumulate?: boolean;
  /** Variant; default {@link matmulVariant}. */
  variant?: MatmulVariant;
  /** rb4x4 only: never use the vec4 kernel (tests and benchmarks compare the two). */
  scalarOnly?: boolean;
  /**
   * Largest binding in bytes before the work is split into row blocks (default: the
   * device's maxStorageBufferBindingSize; tests pass a small value to exercise the split).
   */
  maxBindingBytes?: number;
}

/**
 * Records C[M,N] (= or +=) op(A)[M,K]·op(B)[K,N] (+ bias[N]) into a pass. Operands larger
 * than the device's maxStorageBufferBindingSize (128 MiB on llvmpipe) are split into
 * blocks of rows (A·B, A·Bᵀ: rows of A and C; Aᵀ·B: the reduction, accumulated).
 * @param c output [M, N]
 * @param a A stored [M, K] (or [K, M] with transA)
 * @param b B stored [K, N] (or [N, K] with transB)
 * @param bias [N] or null
 * @throws RangeError when M is too large for one dispatch of the tiled variant, or an
 * operand that cannot be split exceeds the binding limit
 * @example
 * matmul(device, pass, out, x, w, bias, M, K, N);
 */
export function matmul(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  c: BufRef,
  a: BufRef,
  b: BufRef,
  bias: BufRef | null,
  M: number,
  K: number,
  N: number,
  opts: MatmulOptions = {},
): void {
  if (M <= 0 || N <= 0) return;
  const limit = opts.maxBindingBytes ?? device.limits.maxStorageBufferBindingSize;
  const bytesA = M * K * 4, bytesB = K * N * 4, bytesC = M * N * 4;
  if (Math.max(bytesA, bytesB, bytesC) <= limit) {
    _matmulOnce(device, pass, c, a, b, bias, M, K, N, opts);
    return;
  }
  // Too large for one binding: split into row blocks whose byte offsets are multiples of
  // 64 rows·4 bytes (so 256-byte aligned, as WebGPU requires for storage offsets).
  const tooBig = (what: string) =>
    new RangeError(
      `matmul ${M}x${K}x${N}: ${what} exceeds the adapter's maxStorageBufferBindingSize ` +
        `(${limit} bytes) and cannot be split; use a smaller batch or hidden size`,
    );
  if (!opts.transA) {
    // C rows depend only on the same A rows: chunk M.
    if (bytesB > limit) throw tooBig("B");
    const rows = rowsPerBinding(limit, 4 * Math.max(K, N), 64);
    if (rows < 64) throw tooBig("a block of 64 rows");
    for (let r0 = 0; r0 < M; r0 += rows) {
      const r = Math.min(rows, M - r0);
      _matmulOnce(
        device,
        pass,
        subRef(c, r0 * N, r * N),
        subRef(a, r0 * K, r * K),
        b,
        bias,
        r,
        K,
        N,
        opts,
      );
    }
  } else if (!opts.transB) {
    // Aᵀ·B (weight gradients): chunk the reduction over the stored rows of A and B and
    // accumulate; the bias goes in once.
    if (bytesC > limit) throw tooBig("C");
    const ks = rowsPerBinding(limit, 4 * Math.max(M, N), 64);
    if (ks < 64) throw tooBig("a block of 64 rows");
    for (let k0 = 0; k0 < K; k0 += ks) {
      const kk = Math.min(ks, K - k0);
      const first = k0 === 0;
      _matmulOnce(
        device,
        pass,
        c,
        subRef(a, k0 * M, kk * M),
        subRef(b, k0 * N, kk * N),
        first ? bias : null,
        M,
        kk,
        N,
        {
          ...opts,
          accumulate: first ? opts.accumulate : true,
        },
      );
    }
  } else {
    throw tooBig("an operand of Aᵀ·Bᵀ");
  }
}

function _matmulOnce(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  c: BufRef,
  a: BufRef,
  b: BufRef,
  bias: BufRef | null,
  M: number,
  K: number,
  N: number,
  opts: MatmulOptions = {},
): void {
  if (M <= 0 || N <= 0) return;
  const variant = opts.variant ?? matmulVariant(device);
  const consts = {
    TRANS_A: !!opts.transA,
    TRANS_B: !!opts.transB,
    ACCUM: !!opts.accumulate,
    HAS_BIAS: bias !== null,
  };
  const u = cachedUniform(device, [{ u32: M }, { u32: N }, { u32: K }, { u32: 0 }]);
  const bufs = [c, a, b, bias ?? dummyBuffer(device), u];
  if (variant === "rb4x4") {
    const vec = opts.scalarOnly !== true && vec4Eligible(M, K, N, consts.TRANS_A, consts.TRANS_B);
    const k = getKernel(device, vec ? MATMUL_RB4X4_VEC4 : MATMUL_RB4X4, consts);
    dispatch(device, pass, k, bufs, Math.ceil(M / 4) * Math.ceil(N / 4));
  } else {
    const k = getKernel(device, MATMUL_TILED64, consts);
    const gx = Math.ceil(N / 64), gy = Math.ceil(M / 64);
    if (gx > MAX_GROUPS_PER_DIM || gy > MAX_GROUPS_PER_DIM) {
      throw new RangeError(
        `matmul_tiled64: ${M}x${N} output needs more than ${MAX_GROUPS_PER_DIM} tiles per side; use the rb4x4 variant or split the rows`,
      );
    }
    pass.setPipeline(k.pipeline);
    pass.setBindGroup(0, bindGroup(device, k, bufs));
    pass.dispatchWorkgroups(gx, gy, 1);
  }
}

/**
 * Records out[M,N] = inp[M,K]·w[K,N] + b[N] (affine only; activations are separate).
 * @param b bias [N] or null
 * @example
 * denseForward(device, pass, h, x, w1, b1, B, 101, hidden);
 */
export function denseForward(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  out: BufRef,
  inp: BufRef,
  w: BufRef,
  b: BufRef | null,
  M: number,
  K: number,
  N: number,
): void {
  matmul(device, pass, out, inp, w, b, M, K, N);
}

/**
 * Records the backward of {@link denseForward}, accumulating:
 * dinp[M,K] += dout·wᵀ, dw[K,N] += inpᵀ·dout, db[N] += Σ_rows dout.
 * @param dinp input gradient or null (e.g. for the first layer)
 * @param db bias gradient or null (no bias)
 */
export function denseBackward(
  device: GPUDevice,
  pass: GPUComputePassEncoder,
  dinp: BufRef | null,
  dw: BufRef,
  db: BufRef | null,
  dout: BufRef,
  inp: BufRef,
  w: BufRef,
  M: number,
  K: number,
  N: number,
): void {
  if (dinp) matmul(device, pass, dinp, dout, w, null, M, N, K, { transB: true, accumulate: true });
  matmul(device, pass, dw, inp, dout, null, K, M, N, { transA: true, accumulate: true });
  if (db) colSumAcc(device, pass, db, dout, M, N);
}
