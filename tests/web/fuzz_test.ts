/**
 * Fuzzing the JSON API over real HTTP: a few hundred random mutations of valid request
 * bodies (values of the wrong type or size, missing and unknown keys, odd parameter names,
 * broken JSON text, pulseq-cest YAML with too many pools or YAML tricks) to /api/simulate
 * and /api/predict. A fresh seed each run (in the test's name; QUASS_FUZZ_SEED repeats
 * one). Every answer must come within its time limit and be 2xx or 4xx with an error
 * message, never 5xx, and the server must answer the next request within 1 s. The engine
 * is a stand-in that answers at once: this tests the web layer's validation.
 */
import { startServer } from "../../src/web/serve.ts";
import { SIMULATE_FIELDS, type SpectraSimulator } from "../../src/web/simulate.ts";
import { assert } from "../_assert.ts";
import { appDirs, fakeLoader, makeWorkspace } from "./_fixtures.ts";

const SEED = Number(
  Deno.env.get("QUASS_FUZZ_SEED") ?? crypto.getRandomValues(new Uint32Array(1))[0],
);
const N = 500;

/** mulberry32: a small seeded PRNG in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fastSimulator: SpectraSimulator = (jobs) =>
  Promise.resolve(jobs.map((j) => new Float64Array(j.protocol.offsetsPpm.length).fill(0.5)));

const YAML =
  "water_pool: {f: 1.0, t1: 1.5, t2: 0.06}\ncest_pool:\n  amide: {f: 0.002, t1: 1.0, t2: 0.01, k: 100, dw: 3.5}\nb0: 7.0\n";

/** Valid bodies: [path, body]. */
const VALID: [string, Record<string, unknown>][] = [
  ["/api/simulate", {
    model: "normal",
    params: { "water.t1S": 1.8, "amide.f": 0.002, "mt.kPerS": 40 },
    b1UT: 1,
    tsS: 1.5,
    tdS: 4.5,
    targetTsS: 5,
    targetTdS: 1,
  }],
  ["/api/simulate", { modelYaml: YAML, b1UT: 0.8, params: { "amide.kPerS": 200 } }],
  ["/api/simulate", { model: "tumour", format: "csv" }],
  ["/api/predict", { run: "r1", phantom: "phantom" }],
  ["/api/predict", { run: "", phantom: "phantom" }],
];

function weirdValue(r: () => number, depth = 0): unknown {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const k = Math.floor(r() * 22);
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return pick([0, -1, -0, 1e308, -1e308, 5e-324, 2 ** 53 + 1, 1e21, 0.1 + 0.2]);
    case 3:
      return (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
    case 4:
      return pick(["", "NaN", "inf", "Infinity", "-1", "1e999", "0x10", " 1 ", "1,5"]);
    case 5:
      return "x".repeat(Math.floor(r() * 5000));
    case 6:
      return pick(["../../etc/passwd", "..", ".", "/", "a/b", "\u0000", "nul\u0000l", "%2e%2e"]);
    case 7:
      return pick(["normal", "tumour", "r1", "r2", "escape", "phantom", "quass-7t-cw"]);
    case 8:
      return pick(["é", "🧠", "\u202e", "<script>alert(1)</script>", "'; DROP TABLE x; --"]);
    case 9:
      return [];
    case 10:
      return {};
    case 11:
      return depth < 3 ? [weirdValue(r, depth + 1), weirdValue(r, depth + 1)] : 1;
    case 12:
      return depth < 3
        ? { [pick(["a", "__proto__", "constructor", "water.t1S"])]: weirdValue(r, depth + 1) }
        : 1;
    case 13: {
      let v: unknown = 1;
      for (let i = 0; i < 1 + Math.floor(r() * 2000); i++) v = [v];
      return v;
    }
    case 14:
      return Object.fromEntries(
        Array.from({ length: 1 + Math.floor(r() * 50) }, (_, i) => [`p${i}.f`, r()]),
      );
    case 15:
      return { "water.t1S": pick([0, -1, 1e9, "1.8", null]), "water.t2S": r() };
    case 16:
      return { [pick(["__proto__", "constructor.f", "water", "water.", ".f", "amide.f.x"])]: r() };
    case 17: {
      const n = Math.floor(r() * 40);
      const pools = Array.from(
        { length: n },
        (_, i) =>
          `  q${i}: {f: ${r() * 0.01}, t1: 1, t2: 0.01, k: ${r() * 1000}, dw: ${r() * 8 - 4}}`,
      );
      return `water_pool: {f: 1, t1: 1.5, t2: 0.06}\n${
        n ? "cest_pool:\n" + pools.join("\n") + "\n" : ""
      }b0: 7\n`;
    }
    case 18:
      return pick([
        "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n",
        "water_pool: !!js/function 'function () {}'\n",
        "water_pool: {f: 1, t1: 1.5, t2: 0.06}\nb0: [7]\n",
        "water_pool: {f: 1, t1: 1.5, t2: 0.06}\ncest_pool: 3\nb0: 7\n",
        "water_pool: {f: 1, t1: 1.5, t2: 0.06}\nmt_pool: {f: 0.1, t1: 1, t2: 1e-5, k: 30, dw: -2.5, lineshape: Banana}\nb0: 7\n",
        "{{{{",
        "- - - -",
        "water_pool: {f: 1, t1: 0, t2: 0}\nb0: 0\ngamma: -1\n",
      ]);
    case 19:
      return YAML.slice(0, Math.floor(r() * YAML.length));
    case 20:
      return pick([1, 2, 3]).toString().repeat(Math.floor(r() * 400));
    default:
      return r() * 100;
  }
}

/** One mutated request body (text), from a valid one. */
function mutate(r: () => number, body: Record<string, unknown>): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const b: Record<string, unknown> = structuredClone(body);
  const keys = [
    ...Object.keys(b),
    ...SIMULATE_FIELDS,
    "run",
    "phantom",
  ];
  for (let i = 0, n = 1 + Math.floor(r() * 3); i < n; i++) {
    const op = Math.floor(r() * 6);
    if (op <= 2) b[pick(keys)] = weirdValue(r);
    else if (op === 3) delete b[pick(Object.keys(b).concat("x"))];
    else if (op === 4) b[pick(["colour", "__proto__", "", "b1ut", "model "])] = weirdValue(r);
    else if (b.params && typeof b.params === "object") {
      (b.params as Record<string, unknown>)[pick(["water.t1S", "amide.f", "mt.t2S", "x.y"])] =
        weirdValue(r);
    }
  }
  let text = r() < 0.08 ? JSON.stringify(weirdValue(r)) ?? "null" : JSON.stringify(b);
  const t = Math.floor(r() * 10);
  if (t === 0) text = text.slice(0, Math.floor(r() * text.length)); // truncated
  else if (t === 1) {
    const i = Math.floor(r() * text.length);
    text = text.slice(0, i) + String.fromCharCode(Math.floor(r() * 128)) + text.slice(i + 1);
  } else if (t === 2) text = text + pick(["}", ",", "\u0000", " garbage", "]"]);
  return text;
}

Deno.test({
  name:
    `fuzz: ${N} mutated JSON bodies to /api/simulate and /api/predict give 2xx/4xx, never 5xx or a hang (seed ${SEED})`,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const ws = await makeWorkspace();
    const srv = await startServer({
      port: 0,
      hostname: "127.0.0.1",
      ...appDirs(ws),
      jobTimeLimitMs: 5000,
      engine: { simulate: fastSimulator, loadRun: fakeLoader() },
    });
    const r = prng(SEED);
    const counts: Record<string, number> = {};
    const t0 = performance.now();
    try {
      for (let i = 0; i < N; i++) {
        const [path, valid] = VALID[Math.floor(r() * VALID.length)]!;
        const body = mutate(r, valid);
        const what = `#${i} (seed ${SEED}) ${path} ${body.slice(0, 300)}`;
        let res: Response;
        try {
          res = await fetch(srv.url + path.slice(1), {
            method: "POST",
            headers: { "content-type": "application/json" },
            body,
            signal: AbortSignal.timeout(5000),
          });
        } catch (e) {
          throw new Error(`${what}: no answer within 5 s (${(e as Error).message})`);
        }
        const text = await res.text();
        counts[res.status] = (counts[res.status] ?? 0) + 1;
        assert(res.status < 500, `${what}: ${res.status} ${text.slice(0, 300)}`);
        if (res.status >= 400) {
          const msg = JSON.parse(text).error;
          assert(
            typeof msg === "string" && msg.length > 0 && !msg.includes("\n"),
            `${what}: ${text}`,
          );
        }
        const s0 = performance.now();
        const next = await fetch(`${srv.url}api/runs`, { signal: AbortSignal.timeout(1000) });
        await next.body?.cancel();
        assert(next.ok, `${what}: the next request got ${next.status}`);
        assert(performance.now() - s0 < 1000, `${what}: the next request took over 1 s`);
      }
    } finally {
      await srv.shutdown();
      await ws.remove();
    }
    console.log(
      `  seed ${SEED}: ${N} requests in ${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s, statuses ${JSON.stringify(counts)}`,
    );
    assert(Object.keys(counts).some((s) => s.startsWith("4")), "no mutation was refused");
  },
});
