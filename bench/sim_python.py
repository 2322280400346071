#!/usr/bin/env python3
"""Python baselines of the simulation benchmark: what a user would write with NumPy/SciPy.

Input (a safetensors file written by bench/sim_python.ts): for N models and K offsets the
Bloch-McConnell systems A [N*K, n, n] and C [N*K, n] (built by our bm_matrix.ts, so the
physics is the same by construction), the start state m0 [N, n] (after the recovery Td),
the water-Mz index and the normalisation [N]; metadata: the saturation time tsS.

Per (model, offset): M(Ts) = expm(A Ts) (m0 + A^-1 C) - A^-1 C, Z = M[waterZ] / norm.

Two ways, each timed (median of --runs runs, after one warm-up run):
  scipy-expm-loop: a Python loop calling scipy.linalg.expm and numpy.linalg.solve;
  numpy-batched:   all N*K matrices at once: Pade(6) scaling-and-squaring with one
                   scaling per matrix stack, batched numpy.linalg.solve and matmul.
Output: JSON on stdout with the timings (ms) and Z [N*K] of both.

Usage: python3 bench/sim_python.py INPUT.safetensors [--runs 5]

With --pulsed, INPUT holds a pulsed .seq timeline instead (bench/sim_seq.ts): for N models
the systems A [N, L, n, n], C [N, L, n] of the L constant intervals of the timeline's
distinct maps (a map = one pulse: dead time, samples, ring-down; or one free interval),
their durations t [L], a key [L] (intervals with one key have the same system and
duration in every model), the maps' first interval and length [U], the walk's operations
ops [O, 3] (0: apply map u rotated by phase theta, 1: spoil, 2: ADC u, theta = 1 resets),
the start state m0 [N, n]; metadata: waterZ, pools, adcCount. The SciPy loop composes
each map once per model with scipy.linalg.expm of the augmented system [[A t, C t], [0, 0]]
(what a careful user would write: the timeline repeats its pulses; an interval that
recurs, e.g. a symmetric pulse's samples or a dead time, is exponentiated once), then walks the
operations. Output: JSON with its timing and the raw water Mz [N * adcCount].
"""
import json
import struct
import sys
import time

import numpy as np
import scipy.linalg


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    dt = {"F64": np.float64, "F32": np.float32, "I32": np.int32, "U32": np.uint32}
    for name, t in header.items():
        a, b = t["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + a : 8 + n + b], dtype=dt[t["dtype"]]).reshape(t["shape"])
    return out, meta


def z_loop(A, C, m0, ts, wz, norm, K):
    z = np.empty(A.shape[0])
    for i in range(A.shape[0]):
        ainvc = np.linalg.solve(A[i], C[i])
        m = scipy.linalg.expm(A[i] * ts) @ (m0[i // K] + ainvc) - ainvc
        z[i] = m[wz] / norm[i // K]
    return z


# Pade(6) coefficients of exp
_B = [1.0, 1 / 2, 5 / 44, 1 / 66, 1 / 792, 1 / 15840, 1 / 665280]


def expm_batched(X):
    """exp of a stack [M, n, n] by Pade(6) scaling-and-squaring (one scale per stack)."""
    norm = np.abs(X).sum(axis=1).max()  # 1-norm of the largest matrix
    s = max(0, int(np.ceil(np.log2(norm / 0.5))) + 1) if norm > 0.5 else 0
    Y = X / (2.0**s)
    eye = np.broadcast_to(np.eye(X.shape[1]), X.shape)
    Y2 = Y @ Y
    Y4 = Y2 @ Y2
    Y6 = Y4 @ Y2
    U = Y @ (_B[1] * eye + _B[3] * Y2 + _B[5] * Y4)
    V = _B[0] * eye + _B[2] * Y2 + _B[4] * Y4 + _B[6] * Y6
    E = np.linalg.solve(V - U, V + U)
    for _ in range(s):
        E = E @ E
    return E


def z_batched(A, C, m0, ts, wz, norm, K):
    ainvc = np.linalg.solve(A, C[..., None])[..., 0]
    start = np.repeat(m0, K, axis=0) + ainvc
    m = (expm_batched(A * ts) @ start[..., None])[..., 0] - ainvc
    return m[:, wz] / np.repeat(norm, K)


def timed(f, runs):
    f()  # warm-up
    t = []
    out = None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = f()
        t.append((time.perf_counter() - t0) * 1e3)
    t.sort()
    return {"medianMs": t[len(t) // 2] if len(t) % 2 else (t[len(t) // 2 - 1] + t[len(t) // 2]) / 2,
            "minMs": t[0], "maxMs": t[-1], "runsMs": t}, out


def _rotate(x, pools, theta):
    c, s = np.cos(theta), np.sin(theta)
    xs, ys = x[:pools].copy(), x[pools : 2 * pools].copy()
    x[:pools] = c * xs - s * ys
    x[pools : 2 * pools] = s * xs + c * ys


def pulsed_loop(A, C, t, key, start, length, ops, m0, wz, pools, adc):
    N, L, n, _ = A.shape
    out = np.empty((N, adc))
    for m in range(N):
        maps = []
        seen = {}
        for u in range(len(start)):
            E = np.eye(n + 1)
            for j in range(int(start[u]), int(start[u] + length[u])):
                Ej = seen.get(int(key[j]))
                if Ej is None:
                    aug = np.zeros((n + 1, n + 1))
                    aug[:n, :n] = A[m, j]
                    aug[:n, n] = C[m, j]
                    Ej = seen[int(key[j])] = scipy.linalg.expm(aug * t[j])
                E = Ej @ E
            maps.append(E)
        init = np.append(m0[m], 1.0)
        x = init.copy()
        for kind, u, theta in ops:
            if kind == 0:
                if theta != 0:
                    _rotate(x, pools, -theta)
                x = maps[int(u)] @ x
                if theta != 0:
                    _rotate(x, pools, theta)
            elif kind == 1:
                x[: 2 * pools] = 0
            else:
                out[m, int(u)] = x[wz]
                if theta == 1:
                    x = init.copy()
    return out.reshape(-1)


def main_pulsed(path, runs):
    t, meta = read_safetensors(path)
    wz, pools, adc = int(meta["waterZ"]), int(meta["pools"]), int(meta["adcCount"])
    args = (t["A"], t["C"], t["t"], t["key"], t["start"], t["length"], t["ops"], t["m0"])
    args += (wz, pools, adc)
    res = {"numpy": np.__version__, "scipy": scipy.__version__, "python": sys.version.split()[0]}
    tl, zl = timed(lambda: pulsed_loop(*args), runs)
    res["scipy-expm-loop"] = {"timing": tl, "z": zl.tolist()}
    json.dump(res, sys.stdout)


def main():
    path = sys.argv[1]
    if "--pulsed" in sys.argv:
        runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 3
        return main_pulsed(path, runs)
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 5
    t, meta = read_safetensors(path)
    A, C, m0, norm = t["A"], t["C"], t["m0"], t["norm"]
    ts, wz, K = float(meta["tsS"]), int(meta["waterZ"]), int(meta["offsets"])
    res = {"numpy": np.__version__, "scipy": scipy.__version__, "python": sys.version.split()[0]}
    tl, zl = timed(lambda: z_loop(A, C, m0, ts, wz, norm, K), runs)
    tb, zb = timed(lambda: z_batched(A, C, m0, ts, wz, norm, K), runs)
    res["scipy-expm-loop"] = {"timing": tl, "z": zl.tolist()}
    res["numpy-batched"] = {"timing": tb, "z": zb.tolist()}
    json.dump(res, sys.stdout)


if __name__ == "__main__":
    main()
