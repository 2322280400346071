import { decode } from "fast-png";
import { evaluateVolumes, type Volume4D } from "../../src/eval/evaluate.ts";
import {
  compareReports,
  PAPER_VALUES,
  readMetrics,
  sidecarProtocol,
  summaryTable,
  targetMismatch,
  writeReport,
} from "../../src/eval/report.ts";
import { canRasterise, colormap, fmtTick, niceTicks } from "../../src/eval/svg.ts";
import { InputError } from "../../src/util/errors.ts";
import { assert, assertEquals, assertRejects, assertThrows } from "../_assert.ts";
import { assertClose } from "../_util.ts";
import { withTempDir } from "../_tmp.ts";

function smallCase(noise: number) {
  const nx = 16, ny = 16, nz = 1, nt = 21;
  const dims = [nx, ny, nz, nt] as const;
  const offsetsPpm = Array.from({ length: nt }, (_, i) => -6 + 0.6 * i);
  const ref = new Float32Array(nx * ny * nz * nt);
  for (let t = 0; t < nt; t++) {
    for (let v = 0; v < nx * ny; v++) {
      ref[v + nx * ny * t] = 1 - 0.8 / (1 + offsetsPpm[t]! ** 2) - 0.05 * Math.random();
    }
  }
  const pred = ref.map((v) => v + noise * (Math.random() - 0.5));
  const p: Volume4D = { dims, data: pred }, r: Volume4D = { dims, data: ref };
  return {
    p,
    r,
    ev: evaluateVolumes({
      pred: p,
      reference: r,
      offsetsPpm,
      voxels: [{ label: "GM", x: 8, y: 8, z: 0 }],
    }),
  };
}

Deno.test("niceTicks() gives 1-2-5 steps covering the range and fmtTick() prints them", () => {
  assertClose(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1], { atol: 1e-12 });
  assertClose(niceTicks(-6, 6, 6), [-6, -4, -2, 0, 2, 4, 6], { atol: 1e-12 });
  assertClose(niceTicks(0.9991, 0.9998, 4), [0.9992, 0.9994, 0.9996, 0.9998], { atol: 1e-12 });
  assertEquals(fmtTick(-2, 2), "−2");
  assertEquals(fmtTick(0.9994, 0.0002), "0.9994");
});

Deno.test("colormap() hits its end colours and clamps", () => {
  assertEquals(colormap("gray", 0), [0, 0, 0]);
  assertEquals(colormap("gray", 1), [255, 255, 255]);
  assertEquals(colormap("gray", 0.5), [128, 128, 128]);
  assertEquals(colormap("viridis", -3), [68, 1, 84]);
  assertEquals(colormap("viridis", 7), [253, 231, 37]);
});

Deno.test("summaryTable() lists R² at the six offsets, SSIM, PSNR and MSE next to the paper's values", () => {
  const { ev } = smallCase(0.01);
  const md = summaryTable(ev);
  for (const o of ["−3.48", "−2.40", "−1.56", "+1.32", "+2.04", "+3.48"]) {
    assert(md.includes(`R² at ${o} ppm`), `missing ${o}: ${md}`);
  }
  assert(md.includes("(nearest: −3.60)"), "the offset actually used is named");
  assert(
    md.includes(`≥ ${PAPER_VALUES.r2Min}`) && md.includes("0.9991") && md.includes("49.67") &&
      md.includes("1.68e-4"),
  );
  assert(md.includes(`| mean SSIM | ${ev.mean.ssim.toFixed(4)} |`));
});

Deno.test("writeReport() writes metrics.json, summary.md and the figures as SVG and PNG", async () => {
  await withTempDir({ prefix: "quass_report_test_" }, async (dir) => {
    const { p, r, ev } = smallCase(0.02);
    const { files, warnings } = await writeReport(dir, {
      evaluation: ev,
      pred: p,
      reference: r,
      sources: { prediction: "p.nii.gz" },
      title: "test",
    });
    const png = await canRasterise();
    assertEquals(warnings.length, png ? 0 : 1);
    const m = await readMetrics(`${dir}/metrics.json`);
    assertEquals(m.format, "quass-metrics");
    assertEquals(m.perOffset.length, 21);
    assertClose([m.mean.ssim, m.mean.mse], [ev.mean.ssim, ev.mean.mse], { rtol: 1e-12 });
    assertEquals(m.regressions.length, 6);
    assertEquals(m.sources.prediction, "p.nii.gz");
    const md = await Deno.readTextFile(`${dir}/summary.md`);
    assert(md.startsWith("# test") && md.includes("R² at −3.48 ppm"));
    for (const name of ["ssim_psnr", "regression", "images", "spectra"]) {
      const svg = await Deno.readTextFile(`${dir}/${name}.svg`);
      assert(
        svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'),
        `${name}.svg is standalone SVG`,
      );
      if (name !== "images") {
        assert(
          svg.includes("saturation offset (ppm)") || svg.includes("reference Z"),
          `${name} has axis labels`,
        );
      }
      if (png) {
        assert(files.includes(`${dir}/${name}.png`));
        const img = decode(await Deno.readFile(`${dir}/${name}.png`));
        const w = Number(/width="(\d+)"/.exec(svg)![1]), h = Number(/height="(\d+)"/.exec(svg)![1]);
        assertEquals([img.width, img.height], [w, h]);
        // not blank: some dark pixels (text, axes) on the white background
        let dark = 0;
        for (let i = 0; i < img.data.length; i += img.channels) if (img.data[i]! < 64) dark++;
        assert(dark > 500, `${name}.png has only ${dark} dark pixels`);
      }
    }
    const svg = await Deno.readTextFile(`${dir}/images.svg`);
    assert(
      svg.includes("|pred − ref| (Z)") && svg.includes("Z (M_z / M_0)"),
      "image grid has both colour bars",
    );
  });
});

Deno.test("readMetrics() rejects missing and foreign files", async () => {
  await withTempDir({ prefix: "quass_report_test_" }, async (dir) => {
    await assertRejects(() => readMetrics(`${dir}/none.json`), /none\.json: file not found/);
    await Deno.writeTextFile(`${dir}/x.json`, '{"a": 1}');
    const e = await assertRejects(() => readMetrics(`${dir}/x.json`), /not a quass metrics\.json/);
    assert(e instanceof InputError);
  });
});

Deno.test("compareReports() tabulates models with the best value per column in bold and the paper's row", () => {
  const good = smallCase(0.005).ev, bad = smallCase(0.05).ev;
  const { markdown, json } = compareReports([{ name: "lstm_attention", metrics: good }, {
    name: "analytic QUASS",
    metrics: bad,
  }]);
  assertEquals(json.rows.map((r) => r.name), ["lstm_attention", "analytic QUASS"]);
  assertEquals(json.rows[0]!.r2.length, 6);
  const lines = markdown.trim().split("\n");
  assertEquals(lines.length, 5);
  assert(
    lines[2]!.startsWith("| lstm_attention |") &&
      lines[2]!.includes(`**${good.mean.ssim.toFixed(4)}**`),
    lines[2],
  );
  assert(!lines[3]!.includes("**"), `the worse model has no bold cell: ${lines[3]}`);
  assert(lines[4]!.startsWith("| paper"));
  const other = { ...bad, regressions: bad.regressions.slice(0, 5) };
  assertThrows(
    () => compareReports([{ name: "a", metrics: good }, { name: "b", metrics: other }]),
    /"b" has regressions at/,
  );
});

Deno.test("compareReports() with targets adds a predicts column; sidecarProtocol() and targetMismatch() name the protocols", () => {
  const ev = smallCase(0.01).ev;
  const { markdown, json } = compareReports([
    { name: "input", target: "— (uncorrected floor)", metrics: ev },
    { name: "analytic QUASS → Ts 5 s", target: "Ts 5 s / Td 1 s", metrics: ev },
  ]);
  const lines = markdown.trim().split("\n");
  assert(lines[0]!.startsWith("| model | predicts | R²"), lines[0]);
  assert(lines[3]!.startsWith("| analytic QUASS → Ts 5 s | Ts 5 s / Td 1 s |"), lines[3]);
  assertEquals(json.rows[1]!.target, "Ts 5 s / Td 1 s");
  assertEquals(lines[1]!.split("|").length, lines[2]!.split("|").length, "header and rows align");
  assertEquals(sidecarProtocol({ tsS: 5, tdS: 1 }), "Ts 5 s / Td 1 s");
  assertEquals(sidecarProtocol({ tsS: Infinity, tdS: 1 }), "steady state");
  assertEquals(sidecarProtocol({ tdS: 1 }), undefined);
  assertEquals(targetMismatch({ tsS: 5, tdS: 1 }, { tsS: 5, tdS: 1 }), undefined);
  assertEquals(targetMismatch({ tsS: Infinity }, { tsS: Infinity, tdS: 1 }), undefined);
  assertEquals(targetMismatch(null, { tsS: 5 }), undefined);
  assert(
    /steady state but the reference is Ts 5 s \/ Td 1 s: the scores are not like for like/.test(
      targetMismatch({ tsS: Infinity }, { tsS: 5, tdS: 1 }) ?? "",
    ),
  );
  assert(targetMismatch({ tsS: 5, tdS: 2 }, { tsS: 5, tdS: 1 })?.includes("not like for like"));
});
