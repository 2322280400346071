/** One run: configuration and training/validation loss curves. @module */
import { type DataOf, defineHandlers, type PageProps } from "../../src/web/define.ts";
import { readRun, type RunDetail } from "../../src/web/catalog.ts";
import { fmtDate, fmtLoss } from "../../src/web/format.ts";
import { LossChart } from "../_charts.tsx";

export const handler = defineHandlers<RunDetail>({
  GET: async ({ config, params }) => {
    const run = await readRun(config.runsDir, params.name ?? "");
    return { data: run, title: `${run.name} · quass` };
  },
});

/** The run page. */
export default function RunPage({ data: run }: PageProps<DataOf<typeof handler>>) {
  const epochs = run.log.map((l) => l.epoch);
  return (
    <>
      <p class="crumbs">
        <a href="/">Runs</a> / {run.name}
      </p>
      <h1>{run.name}</h1>
      <dl class="facts">
        <dt>Architecture</dt>
        <dd>{run.architecture}</dd>
        <dt>Preset</dt>
        <dd>{run.preset}</dd>
        <dt>Dataset</dt>
        <dd>{run.dataset}</dd>
        <dt>Epochs logged</dt>
        <dd>{run.epochs}</dd>
        <dt>Best validation MSE</dt>
        <dd>{fmtLoss(run.bestValLoss)}</dd>
        <dt>Weights</dt>
        <dd>
          {run.hasWeights ? `model.safetensors, ${fmtDate(run.date)} UTC` : "not written yet"}
        </dd>
      </dl>
      {run.hasWeights && (
        <p>
          <a class="button" href={`/predict?run=${encodeURIComponent(run.name)}`}>
            Predict with this run
          </a>
        </p>
      )}
      {run.log.length > 0
        ? (
          <LossChart
            id="loss-chart"
            title="Training curve (MSE of Z, log scale)"
            epochs={epochs}
            series={[
              { label: "training", y: run.log.map((l) => l.trainLoss ?? null) },
              { label: "validation", y: run.log.map((l) => l.valLoss ?? null) },
            ]}
          />
        )
        : <p class="empty">No epochs in log.jsonl yet.</p>}
      <h2>Configuration</h2>
      <pre class="config">{JSON.stringify(run.config, null, 2)}</pre>
    </>
  );
}
