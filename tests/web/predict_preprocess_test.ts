/**
 * The Predict API's preprocessing fields (`b0`, `denoise`): the same pipeline as the CLI
 * runs in the job and reports its stages; bad values are a 400 naming the field; a series
 * without a water dip fails the job with the reason. Fake network, CPU simulator.
 */
import type { QuassApp } from "../../src/web/app.ts";
import { writeNifti } from "../../src/data/nifti.ts";
import { writeSidecar } from "../../src/data/sidecar.ts";
import { PHANTOM_FILES } from "../../src/data/phantom.ts";
import { parsePreprocessFields } from "../../src/web/predict.ts";
import { assert, assertEquals, assertThrows } from "../_assert.ts";
import {
  APP_TEST,
  jobDone,
  NX,
  NY,
  NZ,
  OFFSETS,
  withTestApp,
  type Workspace,
} from "./_fixtures.ts";

async function submit(app: QuassApp, body: Record<string, string>) {
  return await app.request("/api/predict", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ run: "r1", ...body }),
  });
}

/**
 * A phantom folder whose spectra have a water dip at a small random shift per voxel, or
 * (`dip` false) rise steadily with the offset: no dip.
 */
async function dipPhantom(ws: Workspace, dip = true): Promise<string> {
  const nvox = NX * NY * NZ, nt = OFFSETS.length;
  const data = new Float32Array(nvox * nt);
  for (let v = 0; v < nvox; v++) {
    const s = 0.1 * Math.sin(v), a = 0.05 + 0.1 * Math.random();
    OFFSETS.forEach((x, k) => {
      data[k * nvox + v] = dip
        ? 0.9 - 0.85 / (1 + ((x - s) / 0.6) ** 2) - a / (1 + (x + 2.4) ** 2 / 25)
        : 0.5 + 0.05 * x + a;
    });
  }
  const name = dip ? "dips" : "nodip";
  const dir = `${ws.dataDir}/${name}`;
  await Deno.mkdir(dir);
  const dims: [number, number, number, number] = [NX, NY, NZ, nt];
  await writeNifti(`${dir}/${PHANTOM_FILES.input}`, { dims, data, ndim: 4 });
  await writeSidecar(`${dir}/${PHANTOM_FILES.input}`, { offsetsPpm: OFFSETS, tsS: 1.5, tdS: 4.5 });
  await writeNifti(`${dir}/${PHANTOM_FILES.reference}`, { dims, data, ndim: 4 });
  await writeNifti(`${dir}/${PHANTOM_FILES.mask}`, {
    dims: [NX, NY, NZ, 1],
    data: new Float32Array(nvox).fill(1),
    ndim: 3,
  });
  await Deno.writeTextFile(`${dir}/${PHANTOM_FILES.manifest}`, JSON.stringify({ size: NX }));
  return name;
}

Deno.test({
  name:
    "POST /api/predict with b0 auto and denoise pca runs the pipeline in the job and reports its stages",
  ...APP_TEST,
  fn: () =>
    withTestApp(async (app, ws) => {
      const phantom = await dipPhantom(ws);
      const res = await submit(app, { phantom, b0: "auto", denoise: "pca:nelson" });
      assertEquals(res.status, 202, await res.clone().text());
      const id = (await res.json()).jobId;
      const info = await jobDone(app, id);
      assertEquals(info.status, "done", JSON.stringify(info));
      const sum = await (await app.request(`/api/predict/${id}`)).json();
      const notes = (sum.notes as string[]).join("\n");
      assert(/B0: from the Z-spectra/.test(notes) && /denoise: PCA kept/.test(notes), notes);
      assert(/nelson criterion/.test(notes), notes);
      assert(sum.hasInput, "the preprocessed input is shown");
    }),
});

Deno.test({
  name:
    "POST /api/predict: a bad denoise value is a 400 naming the field; a series without a water dip fails the job",
  ...APP_TEST,
  fn: () =>
    withTestApp(async (app, ws) => {
      const bad = await submit(app, { phantom: "phantom", denoise: "pca:best" });
      assertEquals(bad.status, 400);
      assert(/denoise "pca:best": expected none, pca/.test((await bad.json()).error));
      const res = await submit(app, { phantom: await dipPhantom(ws, false), b0: "auto" });
      assertEquals(res.status, 202);
      const info = await jobDone(app, (await res.json()).jobId);
      assertEquals(info.status, "error");
      assert(/no water dip in the Z-spectra/.test(String(info.error)), String(info.error));
    }),
});

Deno.test("parsePreprocessFields() reads the form's b0 and denoise as the CLI reads its flags", () => {
  assertEquals(parsePreprocessFields(undefined, undefined), {
    b0: { kind: "none" },
    denoise: { kind: "none" },
  });
  assertEquals(parsePreprocessFields("auto", "pca"), {
    b0: { kind: "auto" },
    denoise: { kind: "pca", criterion: "median", spatial: true },
  });
  assertThrows(() => parsePreprocessFields("wassr", ""), /Field b0 "wassr": expected none or auto/);
  assertThrows(() => parsePreprocessFields("", 3), /Field "denoise" must be text/);
});
