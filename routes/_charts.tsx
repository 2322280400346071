/** Charts shared by the pages (a leading `_`: not a route). @module */
import { Island } from "../src/web/island.tsx";
import LineChart, { type LineChartProps, type LineSeries } from "../islands/line_chart.tsx";
import type { ReportView } from "../src/web/metrics.ts";
import type { OffsetMetrics } from "../src/eval/evaluate.ts";

/** The line chart island (islands/line_chart.tsx) with these props. */
export function LineChartIsland(props: LineChartProps) {
  return <Island name="line_chart" component={LineChart} props={props} />;
}

/** Loss per epoch (MSE of Z, log scale) as a line chart island. */
export function LossChart(
  { id, title, epochs, series }: {
    id: string;
    title: string;
    epochs: number[];
    series: LineSeries[];
  },
) {
  return (
    <LineChartIsland
      id={id}
      title={title}
      xLabel="epoch"
      xInteger
      yLabel="MSE (Z²)"
      x={epochs}
      logY
      series={series}
    />
  );
}

/** One curve per report of a per-offset quality measure, x reversed (the CEST convention). */
export function PerOffsetChart(
  { id, title, yLabel, x, reports, value }: {
    id: string;
    title: string;
    yLabel: string;
    x: number[];
    reports: ReportView[];
    value: (m: OffsetMetrics) => number | null;
  },
) {
  return (
    <LineChartIsland
      id={id}
      title={title}
      xLabel="saturation offset (ppm)"
      yLabel={yLabel}
      x={x}
      xReverse
      series={reports.map((r) => ({ label: r.label, y: r.metrics.perOffset.map(value) }))}
    />
  );
}
