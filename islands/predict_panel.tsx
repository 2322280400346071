/**
 * Predict form: choose the shipped pretrained model or a trained run, the phantom or
 * uploaded NIfTI files (with the water T1 for T1-informed models) and the preprocessing (B0
 * correction, denoising), queue the job, show its progress (polling, so other requests are
 * never blocked), then the slice viewer.
 * @module
 */
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import SliceViewer from "./slice_viewer.tsx";

/** Props of {@link PredictPanel}. */
export interface PredictPanelProps {
  runs: { name: string; architecture: string; t1Informed: boolean }[];
  /** The shipped pretrained model (chosen by the empty run value), when installed. */
  pretrained: { name: string; architecture: string; t1Informed: boolean } | null;
  phantoms: string[];
  initialRun?: string;
  uploadLimitMb: number;
  /** Show this finished job at once (from ?job=). */
  initialJob?: string;
}

interface JobInfo {
  id: string;
  status: "queued" | "running" | "done" | "error" | "cancelled";
  progress: number;
  message: string;
  position?: number;
  error?: string;
}

interface Summary {
  dims: [number, number, number, number];
  offsetsPpm: number[];
  hasReference: boolean;
  predicted: number;
  notes: string[];
  seconds: number;
  arch: string;
  runName: string;
  pretrained?: boolean;
  t1Informed?: boolean;
  source: string;
}

/** A labelled drop-down of the form; `onChange` gets the chosen value. */
function Select(
  { label, id, name, value, onChange, children }: {
    label: string;
    id: string;
    name?: string;
    value: string;
    onChange: (value: string) => void;
    children: ComponentChildren;
  },
) {
  return (
    <label>
      {label}
      <select
        id={id}
        name={name}
        value={value}
        onChange={(e) => onChange((e.target as HTMLSelectElement).value)}
      >
        {children}
      </select>
    </label>
  );
}

/** The predict panel. */
export default function PredictPanel(
  { runs, pretrained, phantoms, initialRun, uploadLimitMb, initialJob }: PredictPanelProps,
) {
  // "" = the shipped pretrained model
  const [run, setRun] = useState(
    initialRun && runs.some((r) => r.name === initialRun)
      ? initialRun
      : pretrained
      ? ""
      : runs[0]?.name ?? "",
  );
  const chosen = run === "" ? pretrained : runs.find((r) => r.name === run);
  const [source, setSource] = useState<"phantom" | "upload">(
    phantoms.length ? "phantom" : "upload",
  );
  const [phantom, setPhantom] = useState(phantoms[0] ?? "");
  // preprocessing, as the CLI's --b0 and --denoise
  const [b0, setB0] = useState<"none" | "auto">("none");
  const [denoise, setDenoise] = useState("none");
  const [job, setJob] = useState<JobInfo | null>(null);
  const [jobId, setJobId] = useState<string | null>(initialJob ?? null);
  const [summary, setSummary] = useState<Summary | null>(null);
  const [error, setError] = useState("");

  useEffect(() => {
    if (!jobId) return;
    let live = true;
    const poll = async () => {
      const r = await fetch(`/api/jobs/${jobId}`);
      const info = await r.json();
      if (!live) return;
      if (!r.ok) return setError(info.error ?? `HTTP ${r.status}`);
      setJob(info as JobInfo);
      if (info.status === "done") {
        const s = await fetch(`/api/predict/${jobId}`);
        const d = await s.json();
        if (!live) return;
        if (s.ok) setSummary(d as Summary);
        else setError(d.error);
        history.replaceState(null, "", `/predict?job=${jobId}`);
      } else if (info.status === "error") setError(info.error ?? "the job failed");
      else if (info.status === "cancelled") setError(info.error ?? "the job was cancelled");
      else setTimeout(poll, 300);
    };
    poll();
    return () => {
      live = false;
    };
  }, [jobId]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError("");
    setSummary(null);
    setJob(null);
    let res: Response;
    if (source === "phantom") {
      res = await fetch("/api/predict", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ run, phantom, b0, denoise }),
      });
    } else {
      const fd = new FormData(e.target as HTMLFormElement);
      fd.set("run", run);
      res = await fetch("/api/predict", { method: "POST", body: fd });
    }
    const d = await res.json();
    if (!res.ok) return setError(d.error ?? `HTTP ${res.status}`);
    setJobId(d.jobId);
  };

  const busy = job !== null && (job.status === "queued" || job.status === "running");

  const cancel = async () => {
    if (!jobId) return;
    const r = await fetch(`/api/jobs/${jobId}`, { method: "DELETE" });
    if (!r.ok) setError((await r.json()).error ?? `HTTP ${r.status}`);
  };
  return (
    <div>
      <form class="panel" id="predict-form" onSubmit={submit}>
        <div class="form-row">
          <Select label="Model" id="run-select" name="run" value={run} onChange={setRun}>
            {pretrained && (
              <option value="">
                shipped pretrained model ({pretrained.name}
                {pretrained.t1Informed ? ", T1-informed" : ""})
              </option>
            )}
            {runs.map((r) => (
              <option key={r.name} value={r.name}>
                {r.name} ({r.architecture}
                {r.t1Informed ? ", T1-informed" : ""})
              </option>
            ))}
          </Select>
          <Select
            label="Input"
            id="source-select"
            value={source}
            onChange={(v) => setSource(v as "phantom" | "upload")}
          >
            <option value="phantom" disabled={!phantoms.length}>Digital phantom</option>
            <option value="upload">Upload NIfTI</option>
          </Select>
          {source === "phantom" && (
            <Select label="Phantom" id="phantom-select" value={phantom} onChange={setPhantom}>
              {phantoms.map((p) => <option key={p} value={p}>{p}</option>)}
            </Select>
          )}
          <button type="submit" id="predict-button" disabled={!chosen || busy}>
            Predict QUASS
          </button>
        </div>
        <div class="form-row">
          <Select
            label="B0 correction"
            id="b0-select"
            name="b0"
            value={b0}
            onChange={(v) => setB0(v as "none" | "auto")}
          >
            <option value="none">none</option>
            <option value="auto">auto (from the Z-spectra)</option>
          </Select>
          <Select
            label="Denoising"
            id="denoise-select"
            name="denoise"
            value={denoise}
            onChange={setDenoise}
          >
            <option value="none">none</option>
            <option value="pca:median">PCA, median criterion</option>
            <option value="pca:malinowski">PCA, Malinowski</option>
            <option value="pca:nelson">PCA, Nelson</option>
          </Select>
          <span class="muted" id="preprocess-hint">
            As{" "}
            <code>quass predict --b0 auto --denoise pca</code>: B0 shifts estimated per voxel and
            removed (spectra resampled onto the network's offsets), then PCA denoising of the masked
            spectra; give a mask with uploads.
          </span>
        </div>
        {source === "upload" && (
          <div class="form-row">
            <label>
              Series (.nii/.nii.gz, 4-D) *<input
                type="file"
                name="scan"
                accept=".nii,.gz"
                required
              />
            </label>
            <label>
              Sidecar (.json, offsetsPpm)<input type="file" name="sidecar" accept=".json" />
            </label>
            <label>
              or offsets (ppm)<input type="text" name="offsets" placeholder="-6:6:101" size={10} />
            </label>
            <label>
              M0 (optional)<input type="file" name="m0" accept=".nii,.gz" />
            </label>
            <label>
              Mask (optional)<input type="file" name="mask" accept=".nii,.gz" />
            </label>
            <label>
              Reference (optional)<input type="file" name="reference" accept=".nii,.gz" />
            </label>
            <label>
              T1 map (s, 3-D)<input type="file" name="t1" id="t1-file" accept=".nii,.gz" />
            </label>
            <label>
              or T1 (s)<input
                type="text"
                name="t1s"
                id="t1-seconds"
                inputMode="decimal"
                placeholder="1.8"
                size={5}
              />
            </label>
            <span class="muted" id="t1-hint">
              {chosen?.t1Informed
                ? "This model is T1-informed: it needs"
                : "T1-informed models need"}{" "}
              the water T1 (a map with the scan's x, y, z, or one value). Up to {uploadLimitMb}{" "}
              MiB in total.
            </span>
          </div>
        )}
      </form>
      {error && <p class="error-text" id="predict-error">{error}</p>}
      {job && job.status !== "done" && !error && (
        <div class="toolbar" id="job-progress">
          <div class="progress">
            <div style={{ width: `${Math.round(job.progress * 100)}%` }} />
          </div>
          <span class="muted">
            {job.status === "queued"
              ? `queued${job.position ? ` (position ${job.position})` : ""}`
              : job.message} · {Math.round(job.progress * 100)} %
          </span>
          {busy && (
            <button type="button" class="small" id="cancel-button" onClick={cancel}>
              Cancel
            </button>
          )}
        </div>
      )}
      {summary && jobId && (
        <>
          <p class="muted" id="predict-summary">
            {summary.pretrained ? "shipped pretrained model " : ""}
            {summary.runName} ({summary.arch}
            {summary.t1Informed ? ", T1-informed" : ""}) on {summary.source}:{" "}
            {summary.predicted.toLocaleString("en-US")} voxels in {summary.seconds.toFixed(1)}{" "}
            s, volume{" "}
            {summary.dims.join(" × ")}.{summary.notes.length ? " " + summary.notes.join("; ") : ""}
          </p>
          <SliceViewer
            jobId={jobId}
            offsetsPpm={summary.offsetsPpm}
            dims={summary.dims}
            hasReference={summary.hasReference}
          />
        </>
      )}
    </div>
  );
}
