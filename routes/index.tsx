/** Home: trained runs, datasets, phantoms and reports, with links. @module */
import { type DataOf, defineHandlers, type PageProps } from "../src/web/define.ts";
import {
  type DatasetSummary,
  listDatasets,
  listPhantoms,
  listReports,
  listRuns,
  type PhantomSummary,
  type PretrainedSummary,
  readPretrained,
  type ReportSummary,
  type RunSummary,
} from "../src/web/catalog.ts";
import { fmtBytes, fmtDate, fmtLoss } from "../src/web/format.ts";

export const title = "Runs · quass";

export const handler = defineHandlers<{
  runs: RunSummary[];
  pretrained: PretrainedSummary | null;
  datasets: DatasetSummary[];
  phantoms: PhantomSummary[];
  reports: ReportSummary[];
  dirs: { runs: string; data: string; reports: string };
}>({
  GET: async ({ config }) => ({
    data: {
      runs: await listRuns(config.runsDir),
      pretrained: await readPretrained(config.pretrainedDir),
      datasets: await listDatasets(config.dataDir),
      phantoms: await listPhantoms(config.dataDir),
      reports: await listReports(config.reportsDir),
      dirs: { runs: config.runsDir, data: config.dataDir, reports: config.reportsDir },
    },
  }),
});

/** The overview page. */
export default function Home({ data }: PageProps<DataOf<typeof handler>>) {
  const { runs, pretrained, datasets, phantoms, reports, dirs } = data;
  return (
    <>
      {pretrained && (
        <p class="muted" id="pretrained-model">
          Shipped pretrained model: <strong>{pretrained.name}</strong> ({pretrained.architecture}
          {pretrained.t1Informed ? ", T1-informed" : ""}) · <a href="/predict">predict with it</a>
        </p>
      )}
      <h1>Trained runs</h1>
      {runs.length === 0
        ? (
          <p class="empty">
            No runs in <code>{dirs.runs}/</code> yet. Train one with{" "}
            <code>
              deno task quass train --arch lstm-attention --data data/train.safetensors --out
              runs/NAME
            </code>.
          </p>
        )
        : (
          <table class="data" id="runs-table">
            <thead>
              <tr>
                <th>Run</th>
                <th>Architecture</th>
                <th>Preset</th>
                <th>Dataset</th>
                <th class="num">Epochs</th>
                <th class="num">Best val. MSE</th>
                <th>Date (UTC)</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr>
                  <td>
                    <a href={`/runs/${encodeURIComponent(r.name)}`}>{r.name}</a>
                  </td>
                  <td>{r.architecture}</td>
                  <td>{r.preset}</td>
                  <td>{r.dataset}</td>
                  <td class="num">{r.epochs}</td>
                  <td class="num">{fmtLoss(r.bestValLoss)}</td>
                  <td>{fmtDate(r.date)}</td>
                  <td>
                    {r.hasWeights
                      ? (
                        <a class="button small" href={`/predict?run=${encodeURIComponent(r.name)}`}>
                          Predict
                        </a>
                      )
                      : <span class="muted">{r.problem ?? "no weights yet"}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}

      <div class="columns">
        <section>
          <h2>Datasets</h2>
          {datasets.length === 0
            ? (
              <p class="empty">
                No <code>.safetensors</code> datasets in <code>{dirs.data}/</code>.
              </p>
            )
            : (
              <table class="data" id="datasets-table">
                <thead>
                  <tr>
                    <th>File</th>
                    <th class="num">Spectra</th>
                    <th class="num">Size</th>
                  </tr>
                </thead>
                <tbody>
                  {datasets.map((d) => (
                    <tr>
                      <td>{d.name}</td>
                      <td class="num">{d.n?.toLocaleString("en-US") ?? "—"}</td>
                      <td class="num">{fmtBytes(d.sizeBytes)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          <h2>Phantoms and scans</h2>
          {phantoms.length === 0
            ? (
              <p class="empty">
                None in <code>{dirs.data}/</code>. Make one with{" "}
                <code>deno task quass phantom --out data/phantom</code>.
              </p>
            )
            : (
              <ul class="plain">
                {phantoms.map((p) => (
                  <li>
                    <strong>{p.name}/</strong> <span class="muted">{p.files.join(", ")}</span>
                  </li>
                ))}
              </ul>
            )}
        </section>
        <section>
          <h2>Evaluation reports</h2>
          {reports.length === 0
            ? (
              <p class="empty">
                No reports in <code>{dirs.reports}/</code>. Run{" "}
                <code>deno task quass evaluate</code>.
              </p>
            )
            : (
              <ul class="plain" id="reports-list">
                {reports.map((r) => (
                  <li>
                    {r.metrics
                      ? (
                        <a href={`/metrics?report=${encodeURIComponent(r.name)}`}>
                          {r.name === "." ? `${dirs.reports}/` : r.name}
                        </a>
                      )
                      : <strong>{r.name === "." ? `${dirs.reports}/` : r.name}</strong>}{" "}
                    <span class="muted">
                      {fmtDate(r.date)} · {r.figures.length}{" "}
                      figures{r.problem ? ` · ${r.problem}` : ""}
                    </span>
                  </li>
                ))}
              </ul>
            )}
          <h2>Tools</h2>
          <ul class="plain">
            <li>
              <a href="/simulate">Simulator</a>{" "}
              — Z-spectra at Ts 1.5 s, the target Ts and steady state for any tissue model
            </li>
            <li>
              <a href="/predict">Predict</a>{" "}
              — QUASS images from a short-saturation series or the phantom
            </li>
            <li>
              <a href="/bench">Benchmarks</a> — the latest kernel and network timings
            </li>
          </ul>
        </section>
      </div>
    </>
  );
}
