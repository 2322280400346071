/** Bench: the latest benchmark results as tables and bar charts. @module */
import { type DataOf, defineHandlers, type PageProps } from "../src/web/define.ts";
import { type BenchTable, type BenchView, benchView } from "../src/web/bench.ts";
import type { GroupTableData } from "../bench/report.ts";
import { fmtDate, fmtNum } from "../src/web/format.ts";

export const title = "Benchmarks · quass";

export const handler = defineHandlers<{ files: BenchView[]; benchDir: string }>({
  GET: async ({ config }) => ({
    data: { files: await benchView(config.benchDir), benchDir: config.benchDir },
  }),
});

function Bars({ t }: { t: BenchTable }) {
  if (!t.barColumn) return null;
  const col = t.barColumn;
  const vals = t.rows.map((r) => (typeof r[col] === "number" ? r[col] as number : 0));
  const max = Math.max(...vals, 1e-30);
  return (
    <div class="bars panel">
      <div class="muted" style={{ marginBottom: "4px" }}>{col}</div>
      {t.rows.map((r, i) => (
        <div class="bar-row">
          <span title={t.labelColumn ? String(r[t.labelColumn]) : ""}>
            {t.labelColumn
              ? t.columns.filter((c) => typeof r[c] === "string").map((c) => r[c]).join(" · ")
              : `#${i + 1}`}
          </span>
          <div class="bar-track">
            <div class="bar-fill" style={{ width: `${(100 * vals[i]! / max).toFixed(1)}%` }} />
          </div>
          <span class="val">{fmtNum(vals[i], 4)}</span>
        </div>
      ))}
    </div>
  );
}

/** A `deno task bench` group's table, as in RESULTS.md. */
function GroupTable({ title, t }: { title: string; t: GroupTableData }) {
  return (
    <>
      <h3>{title}</h3>
      {t.rows.length === 0
        ? <p class="empty">No benchmark cases in this file: the run measured nothing.</p>
        : (
          <div style={{ overflowX: "auto" }}>
            <table class="data bench-group">
              <thead>
                <tr>
                  <th>benchmark</th>
                  {t.head.map((h) => <th key={h}>{h}</th>)}
                </tr>
              </thead>
              <tbody>
                {t.rows.map((r) => (
                  <tr>
                    <td>
                      {r.name}
                      <br />
                      <small class="muted">{r.shape}</small>
                    </td>
                    {r.cells.map((c, i) => <td key={i}>{c}</td>)}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      {t.notes.length > 0 && <ul class="plain muted">{t.notes.map((n) => <li key={n}>{n}</li>)}
      </ul>}
    </>
  );
}

/** The bench page. */
export default function BenchPage({ data }: PageProps<DataOf<typeof handler>>) {
  return (
    <>
      <h1>Benchmarks</h1>
      <p class="lead">
        The newest result files from{" "}
        <code>deno task bench</code>. Timings depend on the adapter named in each file; a ratio
        measured on the software adapter (llvmpipe/lavapipe, all CPU cores) says nothing about a
        real GPU.
      </p>
      {data.files.length === 0 && (
        <p class="empty">
          No result files in <code>{data.benchDir}/</code> yet. Run <code>deno task bench</code>.
        </p>
      )}
      {data.files.map((f) => (
        <section class="bench-file">
          <h2>
            {f.name} <span class="muted">{fmtDate(f.date)} UTC</span>
          </h2>
          {f.facts.length > 0 && (
            <dl class="facts">
              {f.facts.map(([k, v]) => (
                <>
                  <dt>{k}</dt>
                  <dd>{v}</dd>
                </>
              ))}
            </dl>
          )}
          {f.group && <GroupTable title={f.group.title} t={f.group.table} />}
          {f.tables.map((t) => (
            <>
              <h3>{t.path}</h3>
              <div class="grid2">
                <div style={{ overflowX: "auto" }}>
                  <table class="data">
                    <thead>
                      <tr>
                        {t.columns.map((c) => (
                          <th
                            key={c}
                            class={t.rows.some((r) => typeof r[c] === "number") ? "num" : ""}
                          >
                            {c}
                          </th>
                        ))}
                      </tr>
                    </thead>
                    <tbody>
                      {t.rows.map((r) => (
                        <tr>
                          {t.columns.map((c) => (
                            <td key={c} class={typeof r[c] === "number" ? "num" : ""}>
                              {typeof r[c] === "number" ? fmtNum(r[c], 4) : String(r[c] ?? "")}
                            </td>
                          ))}
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <Bars t={t} />
              </div>
            </>
          ))}
        </section>
      ))}
    </>
  );
}
