/**
 * The report figures as SVG documents (rasterised to PNG by report.ts): per-offset SSIM and
 * PSNR curves, scatter + regression at the six offsets, image grids (input / reference /
 * prediction / |error|) and Z-spectra at chosen voxels. Axes carry units; ppm axes run from
 * high to low offsets as CEST Z-spectra are usually drawn.
 * @module
 */
import type { Evaluation, Volume4D } from "./evaluate.ts";
import {
  axes,
  colorbar,
  dots,
  extent,
  fmt,
  heatmapDataUri,
  image,
  legend,
  line,
  type Rect,
  svgDocument,
  text,
} from "./svg.ts";

const _RED = "#d62728", _BLUE = "#1f77b4", _GREY = "#7f7f7f";

/** Formats an offset for titles ("−3.48 ppm"). */
function _ppm(v: number): string {
  return `${v.toFixed(2).replace(/^-/, "−")} ppm`;
}

/**
 * SSIM and PSNR (data range 1) against offset, with their means; the regression offsets
 * are marked by dotted verticals.
 */
export function metricsCurvesSvg(
  ev: Evaluation,
  title = "Prediction vs reference per offset",
): string {
  const W = 1040, H = 640;
  const x = ev.perOffset.map((m) => m.offsetPpm);
  const xd = extent(x, 0.01);
  const parts: string[] = [text(W / 2, 24, title, { anchor: "middle", size: 16, weight: "bold" })];
  const panels: [string, string, number[], number, Rect][] = [
    ["ssim", "SSIM", ev.perOffset.map((m) => m.ssim), ev.mean.ssim, {
      x: 90,
      y: 60,
      w: 720,
      h: 220,
    }],
    ["psnr", "PSNR (dB, data range 1)", ev.perOffset.map((m) => m.psnr), ev.mean.psnr, {
      x: 90,
      y: 350,
      w: 720,
      h: 220,
    }],
  ];
  for (const [key, label, y, mean, r] of panels) {
    const yd = extent(y, 0.08);
    const a = axes(r, xd, yd, {
      xLabel: "saturation offset (ppm)",
      yLabel: label,
      grid: true,
      xReverse: true,
      xTicks: 12,
    });
    parts.push(a.svg);
    for (const reg of ev.regressions) {
      const px = a.sx(reg.offsetPpm);
      parts.push(
        `<line x1="${px}" y1="${r.y}" x2="${px}" y2="${
          r.y + r.h
        }" stroke="${_GREY}" stroke-dasharray="2 3"/>`,
      );
    }
    parts.push(line(x, y, a.sx, a.sy, { stroke: _BLUE, width: 1.8 }));
    parts.push(dots(x, y, a.sx, a.sy, { fill: _BLUE, r: 2 }));
    if (Number.isFinite(mean)) {
      parts.push(line(xd, [mean, mean], a.sx, a.sy, { stroke: _RED, dash: "6 4" }));
    }
    parts.push(legend(r.x + r.w + 12, r.y, [
      { label: `${key === "ssim" ? "SSIM" : "PSNR"} per offset`, color: _BLUE },
      {
        label: `mean ${fmt(mean, key === "ssim" ? 5 : 4)}${key === "psnr" ? " dB" : ""}`,
        color: _RED,
        dash: "6 4",
      },
      { label: "regression offsets", color: _GREY, dash: "2 3" },
    ], 200));
  }
  return svgDocument(W, H, parts.join(""));
}

/** Values of one offset of a volume at masked voxels (subsampled to at most `max`). */
function _maskedValues(vol: Volume4D, t: number, mask: Uint8Array, max: number): number[] {
  const nvox = mask.length;
  const idx: number[] = [];
  for (let v = 0; v < nvox; v++) if (mask[v]) idx.push(v);
  const step = Math.max(1, Math.ceil(idx.length / max));
  const out: number[] = [];
  for (let k = 0; k < idx.length; k += step) out.push(vol.data[idx[k]! + nvox * t]!);
  return out;
}

/**
 * The plot area of panel k in a grid of `cols` columns of cw × ch px cells, the first at
 * (`left`, 50): 70 px in from the cell's left and 30 px down, `wPad` px narrower and 100 px
 * lower than the cell.
 */
function _gridPanel(
  k: number,
  cols: number,
  left: number,
  cw: number,
  ch: number,
  wPad: number,
): Rect {
  return {
    x: left + (k % cols) * cw + 70,
    y: 50 + Math.floor(k / cols) * ch + 30,
    w: cw - wPad,
    h: ch - 100,
  };
}

/**
 * Scatter of predicted vs reference Z over the masked voxels at the regression offsets, with
 * the identity, the least-squares line and R² (2 × 3 panels for the six paper offsets).
 */
export function regressionSvg(
  ev: Evaluation,
  pred: Volume4D,
  reference: Volume4D,
  title = "Prediction vs reference",
): string {
  const n = ev.regressions.length, cols = Math.min(3, n), rows = Math.ceil(n / cols);
  const cw = 330, ch = 330, W = 40 + cols * cw, H = 50 + rows * ch;
  // Left-aligned: the legends sit at the top right, where a long centred title would run into them.
  const parts: string[] = [text(40, 26, title, { anchor: "start", size: 16, weight: "bold" })];
  ev.regressions.forEach((reg, k) => {
    const r = _gridPanel(k, cols, 40, cw, ch, 100);
    const xs = _maskedValues(reference, reg.index, ev.maskData, 2500);
    const ys = _maskedValues(pred, reg.index, ev.maskData, 2500);
    const d = extent([...xs, ...ys], 0.06);
    const used = Math.abs(reg.offsetPpm - reg.requestedPpm) > 1e-9
      ? ` (used ${_ppm(reg.offsetPpm)})`
      : "";
    const a = axes(r, d, d, {
      xLabel: "reference Z",
      yLabel: "predicted Z",
      title: `${_ppm(reg.requestedPpm)}${used}`,
      xTicks: 4,
      yTicks: 4,
    });
    parts.push(a.svg);
    parts.push(
      `<clipPath id="c${k}"><rect x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}"/></clipPath><g clip-path="url(#c${k})">`,
    );
    parts.push(dots(xs, ys, a.sx, a.sy, { fill: _BLUE, r: 1.6, opacity: 0.45 }));
    parts.push(line(d, d, a.sx, a.sy, { stroke: _GREY, dash: "4 3", width: 1 }));
    parts.push(
      line(d, d.map((v) => reg.slope * v + reg.intercept), a.sx, a.sy, {
        stroke: _RED,
        width: 1.8,
      }),
    );
    parts.push("</g>");
    const sign = reg.intercept < 0 ? "−" : "+";
    parts.push(text(r.x + 6, r.y + 16, `R² = ${fmt(reg.r2, 5)}`, { size: 12, weight: "bold" }));
    parts.push(
      text(
        r.x + 6,
        r.y + 31,
        `y = ${fmt(reg.slope, 4)}x ${sign} ${fmt(Math.abs(reg.intercept), 3)}`,
        { size: 11 },
      ),
    );
    parts.push(text(r.x + 6, r.y + 45, `n = ${reg.n} voxels`, { size: 11, fill: "#444" }));
  });
  parts.push(legend(W - 250, 8, [
    { label: "masked voxels", color: _BLUE, dot: true },
    { label: "least-squares fit", color: _RED },
  ], 140));
  parts.push(legend(W - 105, 8, [{ label: "identity", color: _GREY, dash: "4 3" }], 95));
  return svgDocument(W, H, parts.join(""));
}

/** Options of {@link imageGridSvg}. */
export interface ImageGridOptions {
  /** z-slice to show (default: the middle one). */
  slice?: number;
  /** Range of the Z colour scale (default [0, 1]). */
  zRange?: [number, number];
  title?: string;
}

/**
 * Image grid: one row per regression offset, columns input (when given) / reference /
 * prediction / |error|, with a grey Z colour bar and an inferno error colour bar.
 */
export function imageGridSvg(
  ev: Evaluation,
  vols: { pred: Volume4D; reference: Volume4D; input?: Volume4D },
  o: ImageGridOptions = {},
): string {
  const [nx, ny, nz] = ev.dims;
  const z = Math.min(nz - 1, Math.max(0, o.slice ?? Math.floor(nz / 2)));
  const nvox = nx * ny * nz, sl = nx * ny;
  const cols: [string, Volume4D | Float32Array][] = [
    ...(vols.input ? [["input (Ts 1.5 s)", vols.input] as [string, Volume4D]] : []),
    ["reference", vols.reference],
    ["prediction", vols.pred],
    ["|error|", ev.errorMap],
  ];
  const cell = Math.max(80, Math.min(170, Math.round(170 * 64 / Math.max(nx, ny))));
  const cw = cell, chh = Math.round(cell * ny / nx);
  const left = 100, top = 70, gap = 8;
  const W = left + cols.length * (cw + gap) + 180,
    H = top + ev.regressions.length * (chh + gap) + 20;
  const zr = o.zRange ?? [0, 1];
  // error scale: 99th percentile of masked errors over the shown offsets (robust to outliers)
  const errs: number[] = [];
  const mask = ev.maskData.subarray(z * sl, (z + 1) * sl);
  for (const reg of ev.regressions) {
    for (let i = 0; i < sl; i++) {
      if (mask[i]) errs.push(ev.errorMap[reg.index * nvox + z * sl + i]!);
    }
  }
  errs.sort((a, b) => a - b);
  const eMax = errs.length ? Math.max(errs[Math.floor(0.99 * (errs.length - 1))]!, 1e-6) : 1;
  const parts: string[] = [
    text(W / 2, 24, o.title ?? `Images at the regression offsets (slice z = ${z})`, {
      anchor: "middle",
      size: 16,
      weight: "bold",
    }),
  ];
  cols.forEach(([name], c) =>
    parts.push(text(left + c * (cw + gap) + cw / 2, top - 10, name, { anchor: "middle", size: 13 }))
  );
  ev.regressions.forEach((reg, rIdx) => {
    const y = top + rIdx * (chh + gap);
    parts.push(text(left - 10, y + chh / 2 + 4, _ppm(reg.offsetPpm), { anchor: "end", size: 12 }));
    cols.forEach(([name, vol], c) => {
      const data = vol instanceof Float32Array ? vol : vol.data;
      const off = reg.index * nvox + z * sl;
      const img = Array.from({ length: sl }, (_, i) => data[off + i]!);
      const isErr = name === "|error|";
      const uri = heatmapDataUri(
        img,
        nx,
        ny,
        isErr ? 0 : zr[0],
        isErr ? eMax : zr[1],
        isErr ? "inferno" : "gray",
        mask,
      );
      parts.push(image({ x: left + c * (cw + gap), y, w: cw, h: chh }, uri));
    });
  });
  const gridH = ev.regressions.length * (chh + gap) - gap;
  const bx = left + cols.length * (cw + gap) + 10;
  const bh = Math.max(80, gridH / 2 - 30);
  parts.push(colorbar({ x: bx, y: top, w: 16, h: bh }, zr[0], zr[1], "gray", "Z (M_z / M_0)"));
  parts.push(
    colorbar({ x: bx, y: top + gridH - bh, w: 16, h: bh }, 0, eMax, "inferno", "|pred − ref| (Z)"),
  );
  return svgDocument(W, H, parts.join(""));
}

/** Z-spectra (input, reference, prediction) at the chosen voxels, one panel each. */
export function spectraSvg(ev: Evaluation, title = "Z-spectra at chosen voxels"): string {
  const n = Math.max(1, ev.spectra.length), cols = Math.min(2, n), rows = Math.ceil(n / cols);
  const pw = 480, ph = 330, W = 30 + cols * pw, H = 50 + rows * ph;
  const parts: string[] = [text(W / 2, 26, title, { anchor: "middle", size: 16, weight: "bold" })];
  const x = ev.offsetsPpm;
  ev.spectra.forEach((s, k) => {
    const r = _gridPanel(k, cols, 30, pw, ph, 110);
    const yd = extent([...s.reference, ...s.pred, ...(s.input ?? [])], 0.05);
    const a = axes(r, extent(x, 0.01), [Math.min(0, yd[0]), Math.max(1, yd[1])], {
      xLabel: "saturation offset (ppm)",
      yLabel: "Z (M_z / M_0)",
      title: `${s.label} (x ${s.x}, y ${s.y}, z ${s.z})`,
      grid: true,
      xReverse: true,
    });
    parts.push(a.svg);
    if (s.input) {
      parts.push(line(x, s.input, a.sx, a.sy, { stroke: _GREY, dash: "2 3", width: 1.6 }));
    }
    parts.push(line(x, s.reference, a.sx, a.sy, { stroke: "#000", width: 1.8 }));
    parts.push(line(x, s.pred, a.sx, a.sy, { stroke: _RED, dash: "6 3", width: 1.8 }));
    parts.push(legend(r.x + r.w - 150, r.y + r.h - (s.input ? 66 : 48), [
      ...(s.input ? [{ label: "input (Ts 1.5 s)", color: _GREY, dash: "2 3" }] : []),
      { label: "reference", color: "#000" },
      { label: "prediction", color: _RED, dash: "6 3" },
    ], 145));
  });
  return svgDocument(W, H, parts.join(""));
}
