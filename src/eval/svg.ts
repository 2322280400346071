/**
 * A small SVG toolkit for the report figures (axes with nice ticks, lines, dots, legends,
 * heat maps embedded as PNG, colour bars) and rasterisation to PNG with resvg (WebAssembly)
 * and a system TrueType font (Debian `fonts-dejavu-core`). Strings in, strings out: no DOM.
 * @module
 */
import { encode as encodePng } from "fast-png";
import { initWasm, Resvg } from "@resvg/resvg-wasm";

/** A plot area in pixels (top-left corner, width, height). */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Linear map from a data interval to a pixel interval. */
export type Scale = (v: number) => number;

/** A linear scale [d0, d1] → [r0, r1]. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): Scale {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

/** "Nice" tick values covering [lo, hi] (steps 1, 2 or 5 × 10^k), about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

/** Formats a tick value with as many decimals as its step needs; minus as U+2212. */
export function fmtTick(v: number, step: number): string {
  const dec = Math.max(0, Math.min(8, -Math.floor(Math.log10(step || 1) + 1e-9)));
  const s = Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-4 && v !== 0)
    ? v.toExponential(1)
    : v.toFixed(dec);
  return s.replace(/^-/, "−");
}

/** Formats a number for labels (n significant digits, U+2212 minus). */
export function fmt(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return v > 0 ? "∞" : v < 0 ? "−∞" : "n/a";
  const s = Math.abs(v) !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)
    ? v.toExponential(digits - 1)
    : v.toPrecision(digits);
  return s.replace(/^-/, "−");
}

/** Escapes text for SVG. */
export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}

/** A text element (font size in px; anchor start|middle|end). */
export function text(
  x: number,
  y: number,
  s: string,
  o: {
    size?: number;
    anchor?: string;
    weight?: string;
    rotate?: number;
    fill?: string;
    baseline?: string;
  } = {},
): string {
  const rot = o.rotate ? ` transform="rotate(${o.rotate} ${x} ${y})"` : "";
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="${o.size ?? 12}" text-anchor="${
    o.anchor ?? "start"
  }"` +
    `${o.weight ? ` font-weight="${o.weight}"` : ""}${o.fill ? ` fill="${o.fill}"` : ""}` +
    `${o.baseline ? ` dominant-baseline="${o.baseline}"` : ""}${rot}>${esc(s)}</text>`;
}

/** Options of {@link axes}. */
export interface AxesOptions {
  xLabel?: string;
  yLabel?: string;
  title?: string;
  /** Draw x from high to low (CEST convention for ppm axes). */
  xReverse?: boolean;
  grid?: boolean;
  xTicks?: number;
  yTicks?: number;
}

/**
 * Draws a frame, ticks with labels, axis labels and a title around `r`; returns the SVG and
 * the two scales mapping data into `r`.
 */
export function axes(
  r: Rect,
  xDomain: [number, number],
  yDomain: [number, number],
  o: AxesOptions = {},
): { svg: string; sx: Scale; sy: Scale } {
  const sx = o.xReverse
    ? linearScale(xDomain[0], xDomain[1], r.x + r.w, r.x)
    : linearScale(xDomain[0], xDomain[1], r.x, r.x + r.w);
  const sy = linearScale(yDomain[0], yDomain[1], r.y + r.h, r.y);
  const parts: string[] = [];
  const xt = niceTicks(xDomain[0], xDomain[1], o.xTicks ?? 6),
    yt = niceTicks(yDomain[0], yDomain[1], o.yTicks ?? 5);
  const xs = xt.length > 1 ? xt[1]! - xt[0]! : 1, ys = yt.length > 1 ? yt[1]! - yt[0]! : 1;
  for (const v of xt) {
    const px = sx(v);
    if (o.grid) {
      parts.push(`<line x1="${px}" y1="${r.y}" x2="${px}" y2="${r.y + r.h}" stroke="#e4e4e4"/>`);
    }
    parts.push(
      `<line x1="${px}" y1="${r.y + r.h}" x2="${px}" y2="${r.y + r.h + 5}" stroke="#000"/>`,
    );
    parts.push(text(px, r.y + r.h + 18, fmtTick(v, xs), { anchor: "middle", size: 11 }));
  }
  for (const v of yt) {
    const py = sy(v);
    if (o.grid) {
      parts.push(`<line x1="${r.x}" y1="${py}" x2="${r.x + r.w}" y2="${py}" stroke="#e4e4e4"/>`);
    }
    parts.push(`<line x1="${r.x - 5}" y1="${py}" x2="${r.x}" y2="${py}" stroke="#000"/>`);
    parts.push(text(r.x - 8, py + 4, fmtTick(v, ys), { anchor: "end", size: 11 }));
  }
  parts.push(
    `<rect x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" fill="none" stroke="#000"/>`,
  );
  if (o.xLabel) {
    parts.push(text(r.x + r.w / 2, r.y + r.h + 38, o.xLabel, { anchor: "middle", size: 13 }));
  }
  if (o.yLabel) {
    parts.push(
      text(r.x - 52, r.y + r.h / 2, o.yLabel, { anchor: "middle", size: 13, rotate: -90 }),
    );
  }
  if (o.title) {
    parts.push(
      text(r.x + r.w / 2, r.y - 10, o.title, { anchor: "middle", size: 14, weight: "bold" }),
    );
  }
  return { svg: parts.join(""), sx, sy };
}

/** Domain [min, max] of finite values, padded by `pad` of the span (never empty). */
export function extent(values: Iterable<number>, pad = 0.05): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) if (Number.isFinite(v)) lo = Math.min(lo, v), hi = Math.max(hi, v);
  if (!Number.isFinite(lo)) return [0, 1];
  if (hi === lo) {
    return [lo - 0.5 * (Math.abs(lo) || 1) * 0.1, hi + 0.5 * (Math.abs(hi) || 1) * 0.1];
  }
  const d = (hi - lo) * pad;
  return [lo - d, hi + d];
}

/** A polyline through finite points, clipped to `clip` when given. */
export function line(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  sx: Scale,
  sy: Scale,
  o: { stroke: string; width?: number; dash?: string },
): string {
  const pts: string[] = [];
  for (let i = 0; i < xs.length; i++) {
    if (Number.isFinite(xs[i]!) && Number.isFinite(ys[i]!)) {
      pts.push(`${sx(xs[i]!).toFixed(2)},${sy(ys[i]!).toFixed(2)}`);
    }
  }
  return `<polyline points="${pts.join(" ")}" fill="none" stroke="${o.stroke}" stroke-width="${
    o.width ?? 1.5
  }"` +
    `${o.dash ? ` stroke-dasharray="${o.dash}"` : ""} stroke-linejoin="round"/>`;
}

/** Small circles at finite points. */
export function dots(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  sx: Scale,
  sy: Scale,
  o: { fill: string; r?: number; opacity?: number },
): string {
  const parts: string[] = [`<g fill="${o.fill}" fill-opacity="${o.opacity ?? 1}">`];
  for (let i = 0; i < xs.length; i++) {
    if (Number.isFinite(xs[i]!) && Number.isFinite(ys[i]!)) {
      parts.push(
        `<circle cx="${sx(xs[i]!).toFixed(1)}" cy="${sy(ys[i]!).toFixed(1)}" r="${o.r ?? 2}"/>`,
      );
    }
  }
  parts.push("</g>");
  return parts.join("");
}

/** A legend entry: a line sample (optionally dashed) or a dot, and its label. */
export interface LegendItem {
  label: string;
  color: string;
  dash?: string;
  dot?: boolean;
}

/** A boxed legend with its top-left corner at (x, y). */
export function legend(x: number, y: number, items: LegendItem[], width = 170): string {
  const h = 8 + 18 * items.length;
  const parts = [
    `<rect x="${x}" y="${y}" width="${width}" height="${h}" fill="#fff" fill-opacity="0.9" stroke="#999"/>`,
  ];
  items.forEach((it, i) => {
    const cy = y + 13 + 18 * i;
    parts.push(
      it.dot
        ? `<circle cx="${x + 18}" cy="${cy}" r="3" fill="${it.color}"/>`
        : `<line x1="${x + 6}" y1="${cy}" x2="${
          x + 30
        }" y2="${cy}" stroke="${it.color}" stroke-width="2"${
          it.dash ? ` stroke-dasharray="${it.dash}"` : ""
        }/>`,
    );
    parts.push(text(x + 36, cy + 4, it.label, { size: 11 }));
  });
  return parts.join("");
}

/** Colour maps: grey, and viridis / inferno through anchor points (matplotlib's at 0, 1/8, …, 1). */
const _CMAPS: Record<string, number[][]> = {
  gray: [[0, 0, 0], [255, 255, 255]],
  viridis: [
    [68, 1, 84],
    [71, 44, 122],
    [59, 81, 139],
    [44, 113, 142],
    [33, 144, 141],
    [39, 173, 129],
    [92, 200, 99],
    [170, 220, 50],
    [253, 231, 37],
  ],
  inferno: [
    [0, 0, 4],
    [31, 12, 72],
    [85, 15, 109],
    [136, 34, 106],
    [186, 54, 85],
    [227, 89, 51],
    [249, 140, 10],
    [249, 201, 50],
    [252, 255, 164],
  ],
};

/** Colour map names accepted by {@link colormap}. */
export type ColormapName = "gray" | "viridis" | "inferno";

/** RGB of colour map `name` at t ∈ [0, 1] (clamped). */
export function colormap(name: ColormapName, t: number): [number, number, number] {
  const a = _CMAPS[name]!;
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (a.length - 1);
  const i = Math.min(a.length - 2, Math.floor(u)), f = u - i;
  const p = a[i]!, q = a[i + 1]!;
  return [0, 1, 2].map((k) => Math.round(p[k]! + f * (q[k]! - p[k]!))) as [number, number, number];
}

function _base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

/**
 * A 2-D image (x fastest, y drawn upward as in radiological viewers with origin lower) as a
 * PNG data URI through a colour map over [lo, hi]. Masked-out or non-finite pixels are
 * drawn in `background`.
 */
export function heatmapDataUri(
  img: ArrayLike<number>,
  width: number,
  height: number,
  lo: number,
  hi: number,
  cmap: ColormapName,
  mask?: ArrayLike<number>,
  background: [number, number, number] = [0, 0, 0],
): string {
  const px = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = x + width * y, o = 4 * (x + width * (height - 1 - y));
      const v = img[i]!;
      const c = (mask && !mask[i]) || !Number.isFinite(v)
        ? background
        : colormap(cmap, (v - lo) / (hi - lo || 1));
      px[o] = c[0], px[o + 1] = c[1], px[o + 2] = c[2], px[o + 3] = 255;
    }
  }
  return "data:image/png;base64," + _base64(encodePng({ width, height, data: px, channels: 4 }));
}

/** An embedded image drawn with nearest-neighbour scaling. */
export function image(r: Rect, href: string): string {
  return `<image x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" preserveAspectRatio="none" ` +
    `image-rendering="optimizeSpeed" style="image-rendering:pixelated" href="${href}"/>`;
}

/** A vertical colour bar for [lo, hi] with ticks and a label on the right. */
export function colorbar(
  r: Rect,
  lo: number,
  hi: number,
  cmap: ColormapName,
  label: string,
): string {
  const n = 128;
  const ramp = new Float64Array(n).map((_, i) => i / (n - 1));
  const parts = [
    image(r, heatmapDataUri(ramp, 1, n, 0, 1, cmap)),
    `<rect x="${r.x}" y="${r.y}" width="${r.w}" height="${r.h}" fill="none" stroke="#000"/>`,
  ];
  const sy = linearScale(lo, hi, r.y + r.h, r.y);
  const ticks = niceTicks(lo, hi, 5);
  const step = ticks.length > 1 ? ticks[1]! - ticks[0]! : 1;
  for (const t of ticks) {
    const y = sy(t);
    parts.push(`<line x1="${r.x + r.w}" y1="${y}" x2="${r.x + r.w + 4}" y2="${y}" stroke="#000"/>`);
    parts.push(text(r.x + r.w + 7, y + 4, fmtTick(t, step), { size: 11 }));
  }
  parts.push(
    text(r.x + r.w + 52, r.y + r.h / 2, label, { anchor: "middle", size: 12, rotate: -90 }),
  );
  return parts.join("");
}

/** A complete standalone SVG document (white background, sans-serif). */
export function svgDocument(width: number, height: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="DejaVu Sans, Liberation Sans, Lato, sans-serif">` +
    `<rect width="${width}" height="${height}" fill="#fff"/>${body}</svg>\n`;
}

const _FONTS: [string, string][] = [
  ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVu Sans"],
  ["/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf", "Liberation Sans"],
  ["/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf", "Liberation Sans"],
  ["/usr/share/fonts/truetype/lato/Lato-Regular.ttf", "Lato"],
];

let _resvg: Promise<{ fonts: Uint8Array[]; family: string }> | undefined;

async function _initResvg(): Promise<{ fonts: Uint8Array[]; family: string }> {
  const url = new URL("index_bg.wasm", import.meta.resolve("@resvg/resvg-wasm"));
  await initWasm(await Deno.readFile(url));
  for (const [path, family] of _FONTS) {
    try {
      const fonts = [await Deno.readFile(path)];
      const bold = path.replace(/DejaVuSans\.ttf$/, "DejaVuSans-Bold.ttf").replace(
        /-Regular\.ttf$/,
        "-Bold.ttf",
      );
      if (bold !== path) await Deno.readFile(bold).then((b) => fonts.push(b), () => {});
      return { fonts, family };
    } catch { /* try the next font */ }
  }
  throw new Error(
    "No TrueType font found for PNG text (looked for DejaVu Sans, Liberation Sans, Lato under /usr/share/fonts); " +
      "install one: apt-get install fonts-dejavu-core",
  );
}

/** True when a font for PNG rendering is installed. */
export async function canRasterise(): Promise<boolean> {
  try {
    await (_resvg ??= _initResvg());
    return true;
  } catch {
    _resvg = undefined;
    return false;
  }
}

/**
 * Rasterises an SVG document to PNG bytes with resvg (WebAssembly) and a system font.
 * @throws Error naming the Debian package to install when no font is found
 */
export async function svgToPng(svg: string): Promise<Uint8Array> {
  const p = _resvg ??= _initResvg();
  let f: { fonts: Uint8Array[]; family: string };
  try {
    f = await p;
  } catch (e) {
    _resvg = undefined;
    throw e;
  }
  const r = new Resvg(svg, {
    font: {
      fontBuffers: f.fonts,
      loadSystemFonts: false,
      defaultFontFamily: f.family,
      sansSerifFamily: f.family,
    },
    background: "white",
  });
  const out = r.render();
  const png = out.asPng();
  out.free();
  r.free();
  return png;
}
