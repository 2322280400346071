/**
 * Line chart island on uPlot: shared x values, any number of named series, axis labels
 * with units, legend, optional reversed x axis (the CEST convention: +ppm on the left).
 * uPlot needs the DOM, so the server renders only a sized placeholder with the title.
 * @module
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { fmtTick } from "../src/web/format.ts";

/** One curve. */
export interface LineSeries {
  label: string;
  y: (number | null)[];
  color?: string;
  dash?: number[];
  width?: number;
  /** Draw points only (no line). */
  points?: boolean;
}

/** Props of {@link LineChart}. */
export interface LineChartProps {
  title?: string;
  /** Axis labels, with units, e.g. "offset (ppm)". */
  xLabel: string;
  yLabel: string;
  x: number[];
  series: LineSeries[];
  /** Plot x from high to low (Z-spectra). */
  xReverse?: boolean;
  logY?: boolean;
  yRange?: [number, number];
  height?: number;
  /** x values are integers (epochs): ticks at whole numbers only. */
  xInteger?: boolean;
  /** A vertical marker at this x (e.g. the current offset). */
  markerX?: number;
  /** Test hook / id for the chart container. */
  id?: string;
}

/** Okabe–Ito colours: distinguishable for colour-blind readers. */
export const PALETTE = [
  "#0072B2",
  "#D55E00",
  "#009E73",
  "#CC79A7",
  "#E69F00",
  "#56B4E9",
  "#000000",
  "#F0E442",
];

/** A checksum of the plotted values (lets tests see that the chart changed). */
export function dataSignature(series: LineSeries[]): string {
  let s = 0;
  for (const [i, ser] of series.entries()) {
    for (const [j, v] of ser.y.entries()) if (v !== null) s += v * (1 + ((i * 131 + j) % 97));
  }
  return s.toPrecision(10);
}

/** Interactive line chart (hydrated in the browser). */
export default function LineChart(props: LineChartProps) {
  const ref = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const height = props.height ?? 320;
  const signature = dataSignature(props.series);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const width = Math.max(300, el.clientWidth || 600);
    const marker = props.markerX;
    const opts: uPlot.Options = {
      width,
      height,
      scales: {
        x: { time: false, dir: props.xReverse ? -1 : 1 },
        y: props.logY ? { distr: 3 } : props.yRange ? { range: props.yRange } : { auto: true },
      },
      axes: [
        {
          label: props.xLabel,
          stroke: "#333",
          grid: { stroke: "#e6e6e6" },
          ...(props.xInteger ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] } : {}),
        },
        {
          label: props.yLabel,
          stroke: "#333",
          grid: { stroke: "#e6e6e6" },
          size: 60,
          // uPlot's own labels round small log ticks (1e-4) to "0"
          ...(props.logY ? { values: (_u: uPlot, splits: number[]) => splits.map(fmtTick) } : {}),
        },
      ],
      legend: { show: true },
      cursor: { drag: { x: true, y: false } },
      series: [
        { label: props.xLabel },
        ...props.series.map((s, i) => ({
          label: s.label,
          stroke: s.color ?? PALETTE[i % PALETTE.length],
          width: s.width ?? 2,
          dash: s.dash,
          points: s.points ? { show: true, size: 5 } : { show: false },
          paths: s.points ? () => null : undefined,
        })),
      ],
      hooks: marker === undefined ? {} : {
        draw: [(u: uPlot) => {
          const cx = u.valToPos(marker, "x", true);
          const ctx = u.ctx;
          ctx.save();
          ctx.strokeStyle = "#888";
          ctx.setLineDash([4, 4]);
          ctx.beginPath();
          ctx.moveTo(cx, u.bbox.top);
          ctx.lineTo(cx, u.bbox.top + u.bbox.height);
          ctx.stroke();
          ctx.restore();
        }],
      },
    };
    const data = [props.x, ...props.series.map((s) => s.y)] as uPlot.AlignedData;
    plot.current?.destroy();
    plot.current = new uPlot(opts, data, el);
    const ro = new ResizeObserver(() => {
      const w = el.clientWidth;
      if (w > 0 && plot.current && Math.abs(plot.current.width - w) > 4) {
        plot.current.setSize({ width: w, height });
      }
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
    };
  }, [
    signature,
    props.x.length,
    props.x[0],
    props.series.length,
    props.markerX,
    props.xReverse,
    props.logY,
    height,
  ]);

  useEffect(() => () => plot.current?.destroy(), []);

  return (
    <figure class="chart" id={props.id} data-signature={signature}>
      {props.title && <figcaption>{props.title}</figcaption>}
      <div ref={ref} class="chart-canvas" style={{ minHeight: `${height + 40}px` }} />
    </figure>
  );
}
