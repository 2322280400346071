import { assert, assertEquals } from "../_assert.ts";
import { assertClose, gpuTest } from "../_util.ts";
import {
  classMean,
  LABELS,
  N_PARAMS,
  PARAM_BOUNDS,
  phantomMaps,
  TISSUE_MEANS,
} from "../../src/data/phantom_maps.ts";
import {
  makePhantom,
  type PairSimulator,
  PHANTOM_FILES,
  voxelModel,
  writePhantom,
} from "../../src/data/phantom.ts";
import { readNifti } from "../../src/data/nifti.ts";
import { readSidecar } from "../../src/data/sidecar.ts";
import { simulateCpu } from "../../src/physics/cpu_sim.ts";
import { withTempDir } from "../_tmp.ts";

const P = { t1w: 0, t2w: 1, fAmide: 2, fMt: 14, fNoe35: 17 } as const;

Deno.test("phantomMaps() is reproducible for a seed and differs between seeds", () => {
  const seed = Math.floor(Math.random() * 1e9);
  const a = phantomMaps({ size: 32, seed }),
    b = phantomMaps({ size: 32, seed }),
    c = phantomMaps({ size: 32, seed: seed + 1 });
  assertEquals(Array.from(a.labels), Array.from(b.labels));
  assertEquals(Array.from(a.params), Array.from(b.params));
  assertEquals(Array.from(a.m0), Array.from(b.m0));
  let diff = 0;
  for (let i = 0; i < a.params.length; i++) {
    diff = Math.max(diff, Math.abs(a.params[i]! - c.params[i]!));
  }
  assert(diff > 0, "another seed must give other parameter maps");
});

Deno.test("phantomMaps() tissue classes have the intended parameter contrasts and stay in the sampled box", () => {
  const maps = phantomMaps({ size: 64, seed: Math.floor(Math.random() * 1e9) });
  const counts = [0, 0, 0, 0, 0];
  for (const l of maps.labels) counts[l]!++;
  // a 64×64 1-mm slice: ~1000 brain voxels, each class present with a sensible size
  assert(
    counts[LABELS.gm]! > 600 && counts[LABELS.wm]! > 60 && counts[LABELS.tumour]! > 40 &&
      counts[LABELS.rim]! > 40,
    `class sizes ${counts}`,
  );
  const m = (label: number, p: number) => classMean(maps, label, p);
  const { gm, wm, tumour: tu, rim } = LABELS;
  // Tumour T1 is designed 1.22× GM's, but the smooth field at the small tumour's location
  // moves its mean: over 300 random seeds the ratio went down to 1.10 (1.15 failed 8 % of runs).
  assert(
    m(tu, P.t1w) > 1.05 * m(gm, P.t1w) && m(gm, P.t1w) > m(wm, P.t1w),
    "water T1: tumour > GM > WM",
  );
  assert(
    m(tu, P.t2w) > 1.3 * m(gm, P.t2w) && m(gm, P.t2w) > m(wm, P.t2w),
    "water T2: tumour > GM > WM",
  );
  assert(m(tu, P.fAmide) > 1.6 * m(gm, P.fAmide), "amide: tumour ≈ 2× GM");
  assert(m(rim, P.fAmide) > m(gm, P.fAmide), "amide: rim > GM");
  assert(m(tu, P.fMt) < 0.6 * m(gm, P.fMt) && m(wm, P.fMt) > m(gm, P.fMt), "MT: tumour < GM < WM");
  assert(m(tu, P.fNoe35) < m(gm, P.fNoe35), "NOE −3.5: tumour < GM");
  // smooth variation: every class varies, by a few per cent, and the rim is the most heterogeneous
  const cvIn = (mm: typeof maps, label: number, p: number) => {
    const vals: number[] = [];
    mm.labels.forEach((l, i) => l === label && vals.push(mm.params[i * N_PARAMS + p]!));
    const mean = vals.reduce((s, x) => s + x, 0) / vals.length;
    return Math.sqrt(vals.reduce((s, x) => s + (x - mean) ** 2, 0) / vals.length) / mean;
  };
  const cv = (label: number, p: number) => cvIn(maps, label, p);
  assert(cv(gm, P.t1w) > 0.01 && cv(gm, P.t1w) < 0.12, `GM T1 variation ${cv(gm, P.t1w)}`);
  // over three phantoms: one small rim (~50 voxels) came out smoother than GM in 8 of 3000
  // random seeds, three together in none of 3000 (sum of the coefficients of variation)
  let rimCv = 0, gmCv = 0;
  for (let k = 0; k < 3; k++) {
    const mm = k === 0 ? maps : phantomMaps({ size: 64, seed: Math.floor(Math.random() * 1e9) });
    rimCv += cvIn(mm, rim, P.fAmide);
    gmCv += cvIn(mm, gm, P.fAmide);
  }
  assert(rimCv > gmCv, `the rim is more heterogeneous than GM (CV sums ${rimCv}, ${gmCv})`);
  for (let i = 0; i < maps.labels.length; i++) {
    if (!maps.labels[i]) continue;
    for (let p = 0; p < N_PARAMS; p++) {
      const v = maps.params[i * N_PARAMS + p]!, [lo, hi] = PARAM_BOUNDS[p]!;
      assert(v >= lo && v <= hi, `voxel ${i} parameter ${p} = ${v} outside [${lo}, ${hi}]`);
    }
  }
  // the tumour core is enclosed: its 4-neighbours are tumour or rim
  const s = maps.size;
  for (let i = 0; i < maps.labels.length; i++) {
    if (maps.labels[i] !== tu) continue;
    for (const j of [i - 1, i + 1, i - s, i + s]) {
      assert(maps.labels[j] === tu || maps.labels[j] === rim, "tumour touches non-tumour tissue");
    }
  }
  assertEquals(TISSUE_MEANS.gm.length, N_PARAMS);
});

Deno.test("phantomMaps() B0 shift map peaks at the requested value inside the brain only", () => {
  const peak = 0.05 + 0.2 * Math.random();
  const maps = phantomMaps({ size: 32, b0ShiftPpm: peak });
  let max = 0;
  maps.b0ShiftPpm.forEach((v, i) => {
    if (!maps.mask[i]) assertEquals(v, 0);
    max = Math.max(max, Math.abs(v));
  });
  assertClose([max], [peak], { atol: 1e-12, label: "peak B0 shift" });
  assert(phantomMaps({ size: 32 }).b0ShiftPpm.every((v) => v === 0), "no B0 shift by default");
});

Deno.test("phantomMaps() relative-B1 field: 1 ± F in the brain, 1 elsewhere; by default all 1 and the other maps unchanged", () => {
  const seed = Math.floor(Math.random() * 1e9);
  const f = 0.05 + 0.2 * Math.random();
  const plain = phantomMaps({ size: 24, seed });
  const maps = phantomMaps({ size: 24, seed, b1Inhom: f, b0ShiftPpm: 0.3 });
  let dev = 0;
  maps.relB1.forEach((r, i) => {
    if (!maps.mask[i]) assertEquals(r, 1);
    dev = Math.max(dev, Math.abs(r - 1));
  });
  assertClose([dev], [f], { atol: 1e-12, label: "peak |relB1 − 1|" });
  assert(plain.relB1.every((r) => r === 1), "no B1 field by default");
  // each field has its own stream: the tissue and M0 maps do not move
  assertEquals(Array.from(maps.params), Array.from(plain.params));
  assertEquals(Array.from(maps.m0), Array.from(plain.m0));
  // a stronger coil shading changes M0 only
  const coil = phantomMaps({ size: 24, seed, m0Inhom: 0.3 });
  assertEquals(Array.from(coil.params), Array.from(plain.params));
  assert(coil.m0.some((m, i) => Math.abs(m - plain.m0[i]!) > 1e-3), "M0 shading applied");
});

/** A fast stand-in simulator: a smooth function of the model's water T1 and the offset. */
const fakeSim: PairSimulator = (models, input, target) => {
  const z = (p: typeof input) =>
    Float32Array.from(
      models.flatMap((m) =>
        p.offsetsPpm.map((o) =>
          (0.9 - 0.6 * Math.exp(-o * o)) * (p.tsS === Infinity ? 0.8 : 1) * m.water.t1S / 2
        )
      ),
    );
  return Promise.resolve({ input: z(input), target: z(target) });
};

Deno.test("makePhantom() adds seeded Rician noise at the requested SNR and none at SNR ∞", async () => {
  const seed = Math.floor(Math.random() * 1e9);
  const clean = await makePhantom({ size: 24, seed, snr: Infinity, simulate: fakeSim });
  const want = Array.from(clean.inputClean, (v, i) => (clean.maps.mask[i % (24 * 24)] ? v : 0));
  assertClose(clean.input, want, { atol: 1e-6, rtol: 1e-6, label: "noiseless input" });
  const snr = 50 + 100 * Math.random();
  const a = await makePhantom({ size: 24, seed, snr, simulate: fakeSim });
  const b = await makePhantom({ size: 24, seed, snr, simulate: fakeSim });
  assertEquals(Array.from(a.input), Array.from(b.input));
  // raw-signal noise in the brain: std of (raw − M0·Z) ≈ σ = mean M0 / SNR (Rician ≈ Gaussian at high SNR)
  const nvox = 24 * 24;
  let ss = 0, n = 0, m0Mean = 0, nb = 0;
  for (let v = 0; v < nvox; v++) if (a.maps.mask[v]) (m0Mean += a.maps.m0[v]!, nb++);
  m0Mean /= nb;
  for (let i = 0; i < a.inputRaw.length; i++) {
    const v = i % nvox;
    if (!a.maps.mask[v]) continue;
    ss += (a.inputRaw[i]! - a.maps.m0[v]! * a.inputClean[i]!) ** 2;
    n++;
  }
  const sigma = Math.sqrt(ss / n);
  assertClose([sigma], [m0Mean / snr], { rtol: 0.05, label: "noise σ" });
  // background is pure Rician noise (Rayleigh): mean σ√(π/2)
  let bg = 0, nbg = 0;
  for (let i = 0; i < a.inputRaw.length; i++) {
    if (!a.maps.mask[i % nvox]) (bg += a.inputRaw[i]!, nbg++);
  }
  assertClose([bg / nbg], [(m0Mean / snr) * Math.sqrt(Math.PI / 2)], {
    rtol: 0.05,
    label: "background mean",
  });
});

Deno.test("makePhantom() with B0 and B1 fields: the input is shifted, the references are not; every image sees relB1", async () => {
  const seed = Math.floor(Math.random() * 1e9);
  const common = { size: 16, seed, snr: Infinity, simulate: fakeSim2 };
  const ph = await makePhantom({ ...common, b0ShiftPpm: 0.3, b1Inhom: 0.15 });
  const noB0 = await makePhantom({ ...common, b1Inhom: 0.15 });
  const plain = await makePhantom(common);
  assert(ph.inputCleanUnshifted && !noB0.inputCleanUnshifted);
  assertEquals(Array.from(ph.reference), Array.from(noB0.reference));
  assertEquals(Array.from(ph.steady), Array.from(noB0.steady));
  assertEquals(Array.from(ph.inputCleanUnshifted), Array.from(noB0.inputClean));
  const nvox = 256;
  let moved = 0;
  for (let v = 0; v < nvox; v++) {
    if (!ph.maps.mask[v]) continue;
    const k = 50; // 0 ppm: the shifted water dip changes it
    if (Math.abs(ph.inputClean[k * nvox + v]! - noB0.inputClean[k * nvox + v]!) > 1e-6) moved++;
  }
  assert(moved > 0, "the B0 field shifts the acquired input");
  // relB1 reaches the simulator (the stand-in's dip depth scales with it)
  assert(ph.reference.some((z, i) => Math.abs(z - plain.reference[i]!) > 1e-6));
  await withTempDir({ prefix: "quass_phantom_" }, async (dir) => {
    await writePhantom(dir, ph);
    const b1 = await readNifti(`${dir}/${PHANTOM_FILES.relB1}`);
    assertClose(b1.data, ph.maps.relB1, { rtol: 1e-6, label: "rel_b1.nii.gz" });
    assertEquals((await readSidecar(`${dir}/${PHANTOM_FILES.b0Shift}`))?.unit, "ppm");
    assertEquals(
      (await readSidecar(`${dir}/${PHANTOM_FILES.input}`))?.b0Field,
      PHANTOM_FILES.b0Shift,
    );
    assertEquals((await readSidecar(`${dir}/${PHANTOM_FILES.reference}`))?.b0Field, undefined);
    const manifest = JSON.parse(await Deno.readTextFile(`${dir}/${PHANTOM_FILES.manifest}`));
    assertClose([manifest.maxB0ShiftPpm, manifest.maxRelB1Deviation], [0.3, 0.15], { atol: 1e-9 });
  });
});

/** A stand-in that sees the B0 shift and relB1: a water dip at b0InhomPpm, depth × relB1. */
const fakeSim2: PairSimulator = (models, input, target) => {
  const z = (p: typeof input) =>
    Float32Array.from(
      models.flatMap((m) =>
        p.offsetsPpm.map((o) =>
          (0.9 - 0.6 * m.relB1 * Math.exp(-((o - m.b0InhomPpm) ** 2))) * (p.tsS === 5 ? 0.9 : 1)
        )
      ),
    );
  return Promise.resolve({ input: z(input), target: z(target) });
};

Deno.test("writePhantom() writes every volume as NIfTI with sidecars and a manifest", async () => {
  await withTempDir({ prefix: "quass_phantom_" }, async (dir) => {
    const ph = await makePhantom({ size: 16, seed: 3, snr: 100, simulate: fakeSim });
    await writePhantom(dir, ph);
    const input = await readNifti(`${dir}/${PHANTOM_FILES.input}`);
    assertEquals(input.dims, [16, 16, 1, 101]);
    assertClose(input.data, ph.input, { atol: 0, label: "input round trip" });
    const side = await readSidecar(`${dir}/${PHANTOM_FILES.input}`, 101);
    assertEquals(side?.tsS, 1.5);
    assertEquals(side?.tdS, 4.5);
    assertEquals(side?.offsetsPpm?.length, 101);
    assertEquals((await readSidecar(`${dir}/${PHANTOM_FILES.steady}`, 101))?.tsS, Infinity);
    assertEquals((await readSidecar(`${dir}/${PHANTOM_FILES.reference}`, 101))?.tsS, 5);
    const mask = await readNifti(`${dir}/${PHANTOM_FILES.mask}`);
    assertEquals(mask.dims, [16, 16, 1, 1]);
    assertEquals(Array.from(mask.data), Array.from(ph.maps.mask));
    const t1 = await readNifti(`${dir}/${PHANTOM_FILES.t1}`);
    assertClose(t1.data, Array.from({ length: 256 }, (_, v) => ph.maps.params[v * N_PARAMS]!), {
      rtol: 1e-6,
      label: "T1 map",
    });
    const manifest = JSON.parse(await Deno.readTextFile(`${dir}/${PHANTOM_FILES.manifest}`));
    assertEquals(manifest.seed, 3);
    assertEquals(
      manifest.counts.gm + manifest.counts.wm + manifest.counts.tumour + manifest.counts.rim,
      ph.maps.mask.reduce((s, x) => s + x, 0),
    );
  });
});

gpuTest(
  "makePhantom() on the GPU engine matches the float64 CPU simulator voxel by voxel",
  async () => {
    const ph = await makePhantom({
      size: 12,
      seed: Math.floor(Math.random() * 1e9),
      snr: Infinity,
    });
    const nvox = 144;
    const brain = Array.from({ length: nvox }, (_, v) => v).filter((v) => ph.maps.mask[v]);
    const pick = [brain[0]!, brain[Math.floor(brain.length / 2)]!, brain[brain.length - 1]!];
    const { paperInputProtocol, paperTargetProtocol } = await import(
      "../../src/physics/protocol.ts"
    );
    for (const v of pick) {
      const model = voxelModel(ph.maps, v);
      const col = (vol: Float32Array) => Array.from({ length: 101 }, (_, k) => vol[k * nvox + v]!);
      assertClose(col(ph.inputClean), simulateCpu(model, paperInputProtocol(1)), {
        atol: 2e-4,
        label: `input voxel ${v}`,
      });
      assertClose(col(ph.reference), simulateCpu(model, paperTargetProtocol(1)), {
        atol: 2e-4,
        label: `Ts 5 s voxel ${v}`,
      });
      assertClose(col(ph.steady), simulateCpu(model, paperTargetProtocol(1, true)), {
        atol: 2e-4,
        label: `steady voxel ${v}`,
      });
    }
  },
);
