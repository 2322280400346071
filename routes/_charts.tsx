/** Charts shared by the pages (a leading `_`: not a route). @module */
import { Island } from "../src/web/island.tsx";
import LineChart, { type LineSeries } from "../islands/line_chart.tsx";

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
    <Island
      name="line_chart"
      component={LineChart}
      props={{
        id,
        title,
        xLabel: "epoch",
        xInteger: true,
        yLabel: "MSE (Z²)",
        x: epochs,
        logY: true,
        series,
      }}
    />
  );
}
