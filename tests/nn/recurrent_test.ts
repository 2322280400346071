import { assertClose, gpuTest, randomArray } from "../_util.ts";
import { dot, f32, finiteDiff, runPass, up } from "./_layer_util.ts";
import { storageBuffer, writeBuffer } from "../../src/gpu/buffers.ts";
import {
  allocRecurrentActs,
  lstmBackward,
  lstmForward,
  RECURRENT_BACKWARD,
  RECURRENT_FORWARD,
  type RecurrentParams,
} from "../../src/nn/recurrent.ts";
import { assertEquals } from "../_assert.ts";
import {
  type Cell,
  recurrentBackwardRef,
  recurrentForwardRef,
  type RecurrentGradsRef,
  recurrentParamShapes,
  type RecurrentParamsRef,
} from "../../src/nn/reference/recurrent.ts";

const CELLS: Cell[] = ["rnn", "lstm", "gru"];
const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);

function randomParams(cell: Cell, C: number, H: number, scale = 0.6): RecurrentParamsRef {
  const s = recurrentParamShapes(cell, C, H);
  return {
    wx: randomArray(prod(s.wx), -scale, scale),
    wh: randomArray(prod(s.wh), -scale, scale),
    b: randomArray(prod(s.b), -scale, scale),
  };
}

const forwardRef = recurrentForwardRef;

/** Forward then backward of the float64 reference. */
function backwardRef(
  cell: Cell,
  dh: Float64Array,
  x: Float64Array,
  p: RecurrentParamsRef,
  B: number,
  T: number,
  C: number,
  H: number,
  rev: boolean,
): RecurrentGradsRef {
  const cache = recurrentForwardRef(cell, x, p, B, T, C, H, rev);
  return recurrentBackwardRef(cell, dh, cache, x, p, B, T, C, H, rev);
}

for (const cell of CELLS) {
  for (const rev of [false, true]) {
    Deno.test(`${cell}BackwardRef() matches central finite differences of ${cell}ForwardRef()${rev ? " (reverse)" : ""}`, () => {
      const B = 2, T = 5, C = 3, H = 4;
      const x = randomArray(B * T * C), p = randomParams(cell, C, H), dh = randomArray(B * T * H);
      const loss = () => dot(forwardRef(cell, x, p, B, T, C, H, rev).h, dh);
      const g = backwardRef(cell, dh, x, p, B, T, C, H, rev);
      const fd = (arr: Float64Array) => finiteDiff(arr, loss);
      const tol = { atol: 1e-8, rtol: 1e-6 };
      for (
        const [name, got, arr] of [["dx", g.dx, x], ["dwx", g.dwx, p.wx], ["dwh", g.dwh, p.wh], [
          "db",
          g.db,
          p.b,
        ]] as const
      ) {
        const r = assertClose(got, fd(arr), { ...tol, label: `${cell} ${name}` });
        console.log(
          `${cell}${rev ? " reverse" : ""} ${name}: max abs ${r.maxAbs.toExponential(2)} vs FD`,
        );
      }
    });
  }
}

/** Packs tensors into one flat buffer as 256-byte-aligned slices (as the model's ParamStore does). */
function packed(
  device: GPUDevice,
  arrays: Float64Array[],
): { buf: GPUBuffer; refs: GPUBufferBinding[] } {
  const offs: number[] = [];
  let n = 0;
  for (const a of arrays) {
    offs.push(n);
    n += Math.ceil(a.length / 64) * 64;
  }
  const flat = new Float32Array(n);
  arrays.forEach((a, i) => flat.set(a, offs[i]));
  const buf = up(device, flat);
  return {
    buf,
    refs: arrays.map((a, i) => ({ buffer: buf, offset: offs[i]! * 4, size: a.length * 4 })),
  };
}

async function readSlice(device: GPUDevice, r: GPUBufferBinding, n: number): Promise<Float32Array> {
  const [all] = await runPass(device, () => {}, [{ buf: r.buffer, n: (r.offset ?? 0) / 4 + n }]);
  return all!.subarray((r.offset ?? 0) / 4);
}

/**
 * Runs forward then backward on the GPU (one pass) with parameters and gradients as slices
 * of flat buffers and gradients pre-filled with random values (backward must add to them),
 * and compares h and every gradient with the float64 reference.
 */
async function checkGpu(
  device: GPUDevice,
  cell: Cell,
  B: number,
  T: number,
  C: number,
  H: number,
  rev: boolean,
) {
  const x = f32(randomArray(B * T * C)), dh = f32(randomArray(B * T * H));
  const pr = randomParams(cell, C, H, 1 / Math.sqrt(H));
  const p = { wx: f32(pr.wx), wh: f32(pr.wh), b: f32(pr.b) };
  const g0 = {
    dx: f32(randomArray(B * T * C)),
    wx: f32(randomArray(p.wx.length)),
    wh: f32(randomArray(p.wh.length)),
    b: f32(randomArray(p.b.length)),
  };
  const params = packed(device, [p.wx, p.wh, p.b]);
  const grads = packed(device, [g0.wx, g0.wh, g0.b]);
  const P: RecurrentParams = { wx: params.refs[0]!, wh: params.refs[1]!, b: params.refs[2]! };
  const dP: RecurrentParams = { wx: grads.refs[0]!, wh: grads.refs[1]!, b: grads.refs[2]! };
  const xb = up(device, x), dhb = up(device, dh), dxb = up(device, g0.dx);
  const acts = allocRecurrentActs(device, cell, B, T, H);
  const fwd = RECURRENT_FORWARD[cell], bwd = RECURRENT_BACKWARD[cell];
  const [h, dx] = await runPass(device, (pass) => {
    fwd(device, pass, acts, xb, P, B, T, C, H, rev);
    bwd(device, pass, dxb, dP, dhb, acts, xb, P, B, T, C, H, rev);
  }, [{ buf: acts.h, n: B * T * H }, { buf: dxb, n: B * T * C }]);
  const dwx = await readSlice(device, grads.refs[0]!, p.wx.length);
  const dwh = await readSlice(device, grads.refs[1]!, p.wh.length);
  const db = await readSlice(device, grads.refs[2]!, p.b.length);

  const want = forwardRef(cell, x, p, B, T, C, H, rev);
  const g = backwardRef(cell, dh, x, p, B, T, C, H, rev);
  const add = (a: Float64Array, b: Float64Array) => a.map((v, i) => v + b[i]!);
  // Weight and bias gradients are sums over B·T rows: their f32 rounding error scales with
  // the size of the summands, not of the (possibly cancelling) result, so their absolute
  // tolerance grows with the largest entry of the gradient.
  const maxAbs = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const tol = (sum: Float64Array | null) => ({
    atol: 1e-5 + (sum ? 1e-6 * maxAbs(sum) : 0),
    rtol: 1e-4,
  });
  const tag = `${cell} B=${B} T=${T} C=${C} H=${H}${rev ? " reverse" : ""}`;
  const report: string[] = [];
  for (
    const [name, got, exp, sum] of [
      ["h", h!, want.h, null],
      ["dx", dx!, add(g0.dx, g.dx), null],
      ["dwx", dwx, add(g0.wx, g.dwx), g.dwx],
      ["dwh", dwh, add(g0.wh, g.dwh), g.dwh],
      ["db", db, add(g0.b, g.db), g.db],
    ] as const
  ) {
    const r = assertClose(got, exp, { ...tol(sum), label: `${tag} ${name}` });
    report.push(
      `${name} ${r.maxAbs.toExponential(1)}${sum ? ` (max |grad| ${maxAbs(sum).toFixed(1)})` : ""}`,
    );
  }
  console.log(
    `${tag}: max abs err (tolerance atol 1e-5 [+ 1e-6·max|grad| for sums] + rtol 1e-4) ${
      report.join(", ")
    }`,
  );
}

for (const cell of CELLS) {
  gpuTest(
    `${cell}Forward()/${cell}Backward() match the float64 reference at odd sizes, both directions`,
    async (device) => {
      await checkGpu(device, cell, 3, 7, 2, 5, false);
      await checkGpu(device, cell, 3, 7, 2, 5, true);
    },
  );
  gpuTest(
    `${cell}Forward()/${cell}Backward() match the float64 reference at B=16 T=101 C=1 H=32`,
    async (device) => {
      await checkGpu(device, cell, 16, 101, 1, 32, false);
      await checkGpu(device, cell, 16, 101, 1, 32, true);
    },
  );
}

gpuTest(
  "lstmBackward() with dx = null gives the same parameter gradients, twice accumulated",
  async (device) => {
    const B = 5, T = 9, C = 3, H = 6;
    const x = f32(randomArray(B * T * C)), dh = f32(randomArray(B * T * H));
    const pr = randomParams("lstm", C, H, 0.4);
    const P = { wx: up(device, pr.wx), wh: up(device, pr.wh), b: up(device, pr.b) };
    const dP = {
      wx: up(device, new Float64Array(pr.wx.length)),
      wh: up(device, new Float64Array(pr.wh.length)),
      b: up(device, new Float64Array(pr.b.length)),
    };
    const xb = up(device, x), dhb = up(device, dh);
    const acts = allocRecurrentActs(device, "lstm", B, T, H);
    const [dwx, dwh, db] = await runPass(device, (pass) => {
      lstmForward(device, pass, acts, xb, P, B, T, C, H, true);
      lstmBackward(device, pass, null, dP, dhb, acts, xb, P, B, T, C, H, true);
      lstmBackward(device, pass, null, dP, dhb, acts, xb, P, B, T, C, H, true);
    }, [{ buf: dP.wx, n: pr.wx.length }, { buf: dP.wh, n: pr.wh.length }, {
      buf: dP.b,
      n: pr.b.length,
    }]);
    const g = backwardRef(
      "lstm",
      dh,
      x,
      { wx: f32(pr.wx), wh: f32(pr.wh), b: f32(pr.b) },
      B,
      T,
      C,
      H,
      true,
    );
    const twice = (a: Float64Array) => a.map((v) => 2 * v);
    assertClose(dwx!, twice(g.dwx), { atol: 1e-5, rtol: 1e-4, label: "dwx" });
    assertClose(dwh!, twice(g.dwh), { atol: 1e-5, rtol: 1e-4, label: "dwh" });
    assertClose(db!, twice(g.db), { atol: 1e-5, rtol: 1e-4, label: "db" });
  },
);

gpuTest("lstmForward() rejects activations allocated for another shape", (device) => {
  const acts = allocRecurrentActs(device, "lstm", 2, 3, 4);
  const b = storageBuffer(device, 1024);
  writeBuffer(device, b, new Float32Array(4));
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  let msg = "";
  try {
    lstmForward(device, pass, acts, b, { wx: b, wh: b, b }, 2, 3, 1, 8);
  } catch (e) {
    msg = (e as Error).message;
  }
  pass.end();
  assertEquals(msg.includes("allocRecurrentActs"), true);
});
