/** Metrics: per-offset SSIM/PSNR of every method, MSE per architecture, regressions, training curves. @module */
import { type DataOf, defineHandlers, type PageProps } from "../src/web/define.ts";
import { type MetricsView, metricsView } from "../src/web/metrics.ts";
import { fmtNum } from "../src/web/format.ts";
import { PALETTE } from "../islands/line_chart.tsx";
import { LossChart, PerOffsetChart } from "./_charts.tsx";

export const title = "Metrics · quass";

/** Colours of the training curves, one per run (its validation and training curve). */
const CURVE_COLORS = PALETTE.slice(0, 6);

export const handler = defineHandlers<MetricsView & { reportsDir: string }>({
  GET: async ({ config, url }) => ({
    data: {
      ...(await metricsView(config.reportsDir, config.runsDir, url.searchParams.get("report"))),
      reportsDir: config.reportsDir,
    },
  }),
});

/** A report figure (SVG preferred, else PNG), served from the reports directory. */
function Figure({ sel, name }: { sel: { name: string; figures: string[] }; name: string }) {
  const file = sel.figures.find((x) => x === `${name}.svg`) ??
    sel.figures.find((x) => x === `${name}.png`);
  if (!file) return null;
  const base = sel.name === "." ? "" : `${encodeURIComponent(sel.name)}/`;
  return (
    <a href={`/api/files/reports/${base}${file}`} target="_blank">
      <img class="figure" alt={`${name} figure`} src={`/api/files/reports/${base}${file}`} />
    </a>
  );
}

function _ppm(v: number): string {
  return `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(2)}`;
}

/** The metrics page. */
export default function MetricsPage({ data }: PageProps<DataOf<typeof handler>>) {
  const { reports, table, offsetsPpm, training, selected } = data;
  const sel = reports.find((r) => r.name === selected);
  const mseMax = Math.max(...(table?.rows.map((r) => r.mse ?? 0) ?? [0]), 1e-12);
  const bestMse = Math.min(...(table?.rows.map((r) => r.mse ?? Infinity) ?? [Infinity]));
  return (
    <>
      <h1>Evaluation metrics</h1>
      <p class="lead">
        Prediction vs the Ts 5 s reference over the brain mask. SSIM: Gaussian window σ 1.5, data
        range 1; PSNR in dB with data range 1; MSE in Z² units.
      </p>
      {data.problems.map((p) => <p key={p.name} class="error-text">Report {p.name}: {p.problem}
      </p>)}
      {reports.length === 0
        ? (
          <p class="empty">
            No reports with a metrics.json in <code>{data.reportsDir}/</code>. Run{" "}
            <code>deno task quass evaluate … --out {data.reportsDir}/NAME</code>.
          </p>
        )
        : (
          <>
            <h2>Comparison</h2>
            {data.tableProblem && <p class="error-text">{data.tableProblem}</p>}
            {table && (
              <table class="data" id="compare-table">
                <thead>
                  <tr>
                    <th>Method</th>
                    {table.offsetsPpm.map((o) => <th key={o} class="num">R² {_ppm(o)} ppm</th>)}
                    <th class="num">SSIM</th>
                    <th class="num">PSNR (dB)</th>
                    <th class="num">MSE</th>
                    <th class="num">MAE</th>
                  </tr>
                </thead>
                <tbody>
                  {table.rows.map((r) => (
                    <tr>
                      <td>{r.name}</td>
                      {r.r2.map((v, i) => <td key={i} class="num">{fmtNum(v, 4)}</td>)}
                      <td class="num">{fmtNum(r.ssim, 5)}</td>
                      <td class="num">{fmtNum(r.psnr, 4)}</td>
                      <td class={`num ${r.mse === bestMse ? "best" : ""}`}>
                        {r.mse?.toExponential(2) ?? "—"}
                      </td>
                      <td class="num">{r.mae?.toExponential(2) ?? "—"}</td>
                    </tr>
                  ))}
                  <tr class="muted">
                    <td>paper (LSTM-Attention, in vivo)</td>
                    {table.offsetsPpm.map((o) => (
                      <td key={o} class="num">≥ {table.paper.r2Min}</td>
                    ))}
                    <td class="num">{table.paper.ssim}</td>
                    <td class="num">{table.paper.psnr}</td>
                    <td class="num">{table.paper.mse?.toExponential(2)}</td>
                    <td class="num">—</td>
                  </tr>
                </tbody>
              </table>
            )}
            {table && (
              <>
                <h3>Mean MSE per method (Z², lower is better)</h3>
                <div class="bars panel" id="mse-bars">
                  {table.rows.map((r) => (
                    <div class="bar-row">
                      <span>{r.name}</span>
                      <div class="bar-track">
                        <div
                          class="bar-fill"
                          style={{ width: `${(100 * (r.mse ?? 0) / mseMax).toFixed(1)}%` }}
                        />
                      </div>
                      <span class="val">{r.mse?.toExponential(2) ?? "—"}</span>
                    </div>
                  ))}
                </div>
              </>
            )}
            <h2>Per-offset image quality</h2>
            {offsetsPpm
              ? (
                <div class="grid2">
                  <PerOffsetChart
                    id="ssim-chart"
                    title="SSIM per offset"
                    yLabel="SSIM"
                    x={offsetsPpm}
                    reports={reports}
                    value={(p) => p.ssim}
                  />
                  <PerOffsetChart
                    id="psnr-chart"
                    title="PSNR per offset (data range 1)"
                    yLabel="PSNR (dB)"
                    x={offsetsPpm}
                    reports={reports}
                    value={(p) => (Number.isFinite(p.psnr) ? p.psnr : null)}
                  />
                </div>
              )
              : (
                <p class="empty">
                  The reports were evaluated at different offsets; curves are not overlaid.
                </p>
              )}
            <h2>Regression: prediction vs reference</h2>
            <p class="toolbar" id="report-links">
              Report: {reports.map((r) => (
                <a
                  class={`button small ${r.name === selected ? "" : "secondary"}`}
                  href={`/metrics?report=${encodeURIComponent(r.name)}`}
                >
                  {r.label}
                </a>
              ))}
            </p>
            {sel && (
              <div class="grid2">
                <table class="data" id="regression-table">
                  <thead>
                    <tr>
                      <th class="num">Offset (ppm)</th>
                      <th class="num">Slope</th>
                      <th class="num">Intercept</th>
                      <th class="num">R²</th>
                      <th class="num">Voxels</th>
                    </tr>
                  </thead>
                  <tbody>
                    {sel.metrics.regressions.map((g) => (
                      <tr>
                        <td class="num">{_ppm(g.offsetPpm)}</td>
                        <td class="num">{fmtNum(g.slope, 4)}</td>
                        <td class="num">{fmtNum(g.intercept, 3)}</td>
                        <td class="num">{fmtNum(g.r2, 5)}</td>
                        <td class="num">{g.n}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <Figure sel={sel} name="regression" />
              </div>
            )}
            {sel && (
              <div class="grid3" style={{ marginTop: "16px" }}>
                {["ssim_psnr", "images", "spectra"].map((f) => (
                  <Figure key={f} sel={sel} name={f} />
                ))}
              </div>
            )}
          </>
        )}
      <h2>Training curves</h2>
      {training.runs.length === 0 ? <p class="empty">No training logs yet.</p> : (
        <LossChart
          id="training-chart"
          title="Validation (solid) and training (dashed) MSE per epoch, log scale"
          epochs={training.epochs}
          series={training.runs.flatMap((r, i) => [
            {
              label: `${r.name} val`,
              y: r.val,
              color: CURVE_COLORS[i % CURVE_COLORS.length],
            },
            {
              label: `${r.name} train`,
              y: r.train,
              dash: [5, 4],
              width: 1.5,
              color: CURVE_COLORS[i % CURVE_COLORS.length],
            },
          ])}
        />
      )}
    </>
  );
}
