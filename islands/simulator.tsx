/**
 * Simulator controls: tissue model (bundled or uploaded pulseq-cest YAML), sliders for
 * every pool parameter, B1, Ts, Td; the server simulates on the GPU (debounced) and the
 * charts show Z at the input Ts, the target Ts and steady state, and MTR asymmetry. An
 * uploaded Pulseq `.seq` file adds the model's pulsed spectrum (POST /api/simulate_seq).
 * @module
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import LineChart from "./line_chart.tsx";
import type { ParamSpec, SimResult } from "../src/web/simulate.ts";
import type { SeqSimResult } from "../src/web/simulate_seq.ts";

/** Props of {@link Simulator}. */
export interface SimulatorProps {
  models: { id: string; label: string }[];
  initialModel: string;
  /** Debounce of slider changes, ms. */
  debounceMs?: number;
}

type Response = SimResult & { params: ParamSpec[] };

interface Protocol {
  b1UT: number;
  tsS: number;
  tdS: number;
  targetTsS: number;
  targetTdS: number;
}

const PROTOCOL_SLIDERS: {
  key: keyof Protocol;
  label: string;
  unit: string;
  min: number;
  max: number;
  step: number;
}[] = [
  { key: "b1UT", label: "B1", unit: "µT", min: 0.1, max: 5, step: 0.05 },
  { key: "tsS", label: "Ts input", unit: "s", min: 0.1, max: 10, step: 0.05 },
  { key: "tdS", label: "Td input", unit: "s", min: 0, max: 10, step: 0.05 },
  { key: "targetTsS", label: "Ts target", unit: "s", min: 0.1, max: 15, step: 0.05 },
  { key: "targetTdS", label: "Td target", unit: "s", min: 0, max: 10, step: 0.05 },
];

const STEPS = 1000;

function _toPos(s: ParamSpec, v: number): number {
  const t = s.log ? Math.log(v / s.min) / Math.log(s.max / s.min) : (v - s.min) / (s.max - s.min);
  return Math.round(Math.min(1, Math.max(0, t)) * STEPS);
}

function _fromPos(s: ParamSpec, pos: number): number {
  const t = pos / STEPS;
  const v = s.log ? s.min * Math.pow(s.max / s.min, t) : s.min + t * (s.max - s.min);
  return Number(v.toPrecision(4));
}

function _fmt(v: number): string {
  return Math.abs(v) >= 0.01 && Math.abs(v) < 1e4
    ? String(Number(v.toPrecision(3)))
    : v.toExponential(2);
}

/** The interactive simulator. */
export default function Simulator({ models, initialModel, debounceMs = 250 }: SimulatorProps) {
  const [modelId, setModelId] = useState(initialModel);
  const [yaml, setYaml] = useState<string | null>(null);
  const [yamlName, setYamlName] = useState("");
  const [specs, setSpecs] = useState<ParamSpec[]>([]);
  const [values, setValues] = useState<Record<string, number>>({});
  const [proto, setProto] = useState<Protocol>({
    b1UT: 1,
    tsS: 1.5,
    tdS: 4.5,
    targetTsS: 5,
    targetTdS: 1,
  });
  const [result, setResult] = useState<Response | null>(null);
  const [status, setStatus] = useState("simulating…");
  const [error, setError] = useState("");
  const seq = useRef(0);
  const [seqFile, setSeqFile] = useState<{ name: string; text: string } | null>(null);
  const [seqResult, setSeqResult] = useState<SeqSimResult | null>(null);
  const [seqStatus, setSeqStatus] = useState("");
  const [seqFailed, setSeqFailed] = useState(false);
  const seqReq = useRef(0);

  const body = () => ({
    ...(modelId === "uploaded" && yaml !== null ? { modelYaml: yaml } : { model: modelId }),
    params: values,
    ...proto,
  });

  useEffect(() => {
    const my = ++seq.current;
    setStatus("simulating…");
    const t = setTimeout(async () => {
      try {
        const res = await fetch("/api/simulate", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body()),
        });
        const data = await res.json();
        if (my !== seq.current) return;
        if (!res.ok) {
          setError(data.error ?? `HTTP ${res.status}`);
          setStatus("");
          return;
        }
        setError("");
        setResult(data as Response);
        if (
          specs.length === 0 ||
          (data as Response).params.map((p) => p.key).join() !== specs.map((p) => p.key).join()
        ) {
          setSpecs((data as Response).params);
        }
        setStatus(
          `simulated 3 × ${data.offsetsPpm.length} offsets on the server in ${
            data.elapsedMs.toFixed(0)
          } ms`,
        );
      } catch (e) {
        if (my === seq.current) {
          setError(`Request failed: ${(e as Error).message}`);
          setStatus("");
        }
      }
    }, debounceMs);
    return () => clearTimeout(t);
  }, [modelId, yaml, values, proto]);

  useEffect(() => {
    if (!seqFile) return;
    const my = ++seqReq.current;
    setSeqStatus(`simulating ${seqFile.name}…`);
    setSeqFailed(false);
    const t = setTimeout(async () => {
      try {
        const res = await fetch("/api/simulate_seq", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            ...(modelId === "uploaded" && yaml !== null ? { modelYaml: yaml } : { model: modelId }),
            params: values,
            seq: seqFile.text,
            seqName: seqFile.name,
          }),
        });
        const data = await res.json();
        if (my !== seqReq.current) return;
        if (!res.ok) {
          setSeqResult(null);
          setSeqStatus(data.error ?? `HTTP ${res.status}`);
          setSeqFailed(true);
          return;
        }
        const r = data as SeqSimResult;
        setSeqResult(r);
        setSeqStatus(
          `${r.settings.seq}: ${r.settings.adcCount} readouts at ${r.settings.b0T} T, ${
            r.normalized ? "divided by the M0 scan" : "raw Mz"
          }, ${r.elapsedMs.toFixed(0)} ms${r.notes.length ? `; ${r.notes.join("; ")}` : ""}`,
        );
      } catch (e) {
        if (my === seqReq.current) {
          setSeqResult(null);
          setSeqStatus(`Request failed: ${(e as Error).message}`);
          setSeqFailed(true);
        }
      }
    }, debounceMs);
    return () => clearTimeout(t);
  }, [modelId, yaml, values, seqFile]);

  const onSeqUpload = async (e: Event) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (!f) return;
    setSeqFile({ name: f.name, text: await f.text() });
  };

  const groups = useMemo(() => {
    const g = new Map<string, ParamSpec[]>();
    for (const s of specs) g.set(s.group, [...(g.get(s.group) ?? []), s]);
    return [...g.entries()];
  }, [specs]);

  const chooseModel = (id: string) => {
    setValues({});
    setSpecs([]);
    setModelId(id);
  };

  const onUpload = async (e: Event) => {
    const f = (e.target as HTMLInputElement).files?.[0];
    if (!f) return;
    setYaml(await f.text());
    setYamlName(f.name);
    chooseModel("uploaded");
  };

  const downloadCsv = async () => {
    const res = await fetch("/api/simulate?format=csv", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body()),
    });
    if (!res.ok) return setError((await res.json()).error ?? `HTTP ${res.status}`);
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement("a");
    a.href = url;
    a.download = `zspectra_${modelId}.csv`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  const zSeries = result
    ? [
      { label: `Ts ${result.settings.tsS} s (input)`, y: result.input, color: "#D55E00" },
      { label: `Ts ${result.settings.targetTsS} s (target)`, y: result.target, color: "#0072B2" },
      { label: "steady state (QUASS)", y: result.steady, color: "#000000", dash: [6, 4] },
    ]
    : [];
  const mtrSeries = result
    ? [
      {
        label: `Ts ${result.settings.tsS} s`,
        y: result.mtrInput.map((v) => 100 * v),
        color: "#D55E00",
      },
      {
        label: `Ts ${result.settings.targetTsS} s`,
        y: result.mtrTarget.map((v) => 100 * v),
        color: "#0072B2",
      },
      {
        label: "steady state",
        y: result.mtrSteady.map((v) => 100 * v),
        color: "#000000",
        dash: [6, 4],
      },
    ]
    : [];

  return (
    <div class="sim-layout">
      <aside class="sliders" id="sim-controls">
        <div class="form-row">
          <label>
            Tissue model
            <select
              id="model-select"
              value={modelId}
              onChange={(e) => chooseModel((e.target as HTMLSelectElement).value)}
            >
              {models.map((m) => <option key={m.id} value={m.id}>{m.label}</option>)}
              {yaml !== null && <option value="uploaded">Uploaded: {yamlName}</option>}
            </select>
          </label>
        </div>
        <div class="form-row">
          <label>
            Upload a pulseq-cest YAML
            <input type="file" accept=".yaml,.yml" id="yaml-upload" onChange={onUpload} />
          </label>
        </div>
        <div class="form-row">
          <label>
            Pulsed protocol: upload a Pulseq .seq
            <input type="file" accept=".seq" id="seq-upload" onChange={onSeqUpload} />
          </label>
        </div>
        <h3>Protocol</h3>
        {PROTOCOL_SLIDERS.map((p) => (
          <div class="slider">
            <span class="name">{p.label}</span>
            <input
              type="range"
              id={`slider-${p.key}`}
              min={p.min}
              max={p.max}
              step={p.step}
              value={proto[p.key]}
              onInput={(e) =>
                setProto({ ...proto, [p.key]: Number((e.target as HTMLInputElement).value) })}
            />
            <span class="value">{_fmt(proto[p.key])} {p.unit}</span>
          </div>
        ))}
        {groups.map(([group, list]) => (
          <>
            <h3>{group}</h3>
            {list.map((s) => {
              const v = values[s.key] ?? s.value;
              return (
                <div class="slider">
                  <span class="name">{s.label}</span>
                  <input
                    type="range"
                    id={`slider-${s.key.replace(/[^A-Za-z0-9_-]/g, "_")}`}
                    min={0}
                    max={STEPS}
                    step={1}
                    value={_toPos(s, v)}
                    onInput={(e) =>
                      setValues({
                        ...values,
                        [s.key]: _fromPos(s, Number((e.target as HTMLInputElement).value)),
                      })}
                  />
                  <span class="value" title={s.unit}>
                    {_fmt(v)} {s.unit === "(rel. to water)" ? "" : s.unit}
                  </span>
                </div>
              );
            })}
          </>
        ))}
        <div class="toolbar" style={{ marginTop: "12px" }}>
          <button type="button" class="secondary" onClick={() => setValues({})}>
            Reset parameters
          </button>
          <button type="button" id="csv-download" onClick={downloadCsv} disabled={!result}>
            Download CSV
          </button>
        </div>
      </aside>
      <section>
        <div class={`status ${error ? "error" : ""}`} id="sim-status">{error || status}</div>
        <LineChart
          id="zspectrum-chart"
          title="Z-spectra (saturation recovery, CW saturation)"
          xLabel="saturation offset (ppm)"
          yLabel="Z = Mz / M0"
          x={result?.offsetsPpm ?? []}
          series={zSeries}
          xReverse
          yRange={[0, 1.05]}
          height={340}
        />
        <div style={{ height: "14px" }} />
        <LineChart
          id="mtr-chart"
          title="MTR asymmetry Z(−Δω) − Z(+Δω)"
          xLabel="offset Δω (ppm)"
          yLabel="MTRasym (%)"
          x={result?.mtrOffsetsPpm ?? []}
          series={mtrSeries}
          xReverse
          height={260}
        />
        {seqFile && (
          <>
            <div style={{ height: "14px" }} />
            <div class={`status ${seqFailed ? "error" : ""}`} id="seq-status">{seqStatus}</div>
            <LineChart
              id="seq-chart"
              title={`Pulsed protocol (${seqFile.name})`}
              xLabel="saturation offset (ppm)"
              yLabel={seqResult?.normalized === false ? "water Mz" : "Z = Mz / M0"}
              x={seqResult?.offsetsPpm ?? []}
              series={seqResult ? [{ label: seqFile.name, y: seqResult.z, color: "#009E73" }] : []}
              xReverse
              height={300}
            />
          </>
        )}
      </section>
    </div>
  );
}
