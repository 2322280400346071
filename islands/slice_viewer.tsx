/**
 * Slice viewer for a finished prediction: input / prediction / reference / |error| at any
 * offset (slider), each with a colour bar; clicking a voxel plots its Z-spectra.
 * Images are drawn on canvases with anatomical up (NIfTI y increases upwards).
 * @module
 */
import { useEffect, useRef, useState } from "preact/hooks";
import LineChart from "./line_chart.tsx";
import type { SliceData } from "../src/web/predict_view.ts";

/** Props of {@link SliceViewer}. */
export interface SliceViewerProps {
  jobId: string;
  offsetsPpm: number[];
  dims: [number, number, number, number];
  hasReference: boolean;
  /** Offset index to start at (default: nearest to +3.5 ppm, the amide peak). */
  initialK?: number;
}

/** What GET /api/predict/ID/slice answers (src/web/predict_view.ts). */
type Slice = SliceData;

interface Voxel {
  x: number;
  y: number;
  z: number;
  inMask: boolean;
  offsetsPpm: number[];
  input: number[] | null;
  prediction: number[];
  reference: number[] | null;
}

/** Colour map stops (viridis-like for Z, inferno-like for error). */
const MAPS: Record<string, [number, number, number][]> = {
  gray: [[0, 0, 0], [255, 255, 255]],
  inferno: [[0, 0, 4], [40, 11, 84], [101, 21, 110], [159, 42, 99], [212, 72, 66], [245, 125, 21], [
    250,
    193,
    39,
  ], [252, 255, 164]],
};

function _colour(map: string, t: number): [number, number, number] {
  const stops = MAPS[map]!;
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(u)), f = u - i;
  const a = stops[i]!, b = stops[i + 1]!;
  return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
}

function _gradient(map: string): string {
  return `linear-gradient(to right, ${
    MAPS[map]!.map((c, i, all) => `rgb(${c.join(",")}) ${(100 * i / (all.length - 1)).toFixed(0)}%`)
      .join(", ")
  })`;
}

/** One image panel with its colour bar. */
function Panel(props: {
  title: string;
  values: number[] | null;
  nx: number;
  ny: number;
  lo: number;
  hi: number;
  map: string;
  unit: string;
  id: string;
  picked: [number, number] | null;
  onPick: (x: number, y: number) => void;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const c = ref.current;
    if (!c || !props.values) return;
    const scale = Math.max(1, Math.floor(256 / Math.max(props.nx, props.ny)));
    c.width = props.nx * scale;
    c.height = props.ny * scale;
    const ctx = c.getContext("2d")!;
    const img = ctx.createImageData(props.nx, props.ny);
    for (let y = 0; y < props.ny; y++) {
      for (let x = 0; x < props.nx; x++) {
        const v = props.values[x + props.nx * y]!;
        const [r, g, b] = _colour(props.map, (v - props.lo) / (props.hi - props.lo || 1));
        const o = 4 * (x + props.nx * (props.ny - 1 - y));
        img.data[o] = r;
        img.data[o + 1] = g;
        img.data[o + 2] = b;
        img.data[o + 3] = 255;
      }
    }
    const off = new OffscreenCanvas(props.nx, props.ny);
    off.getContext("2d")!.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, 0, 0, c.width, c.height);
    if (props.picked) {
      const [px, py] = props.picked;
      ctx.strokeStyle = "#00e5ff";
      ctx.lineWidth = Math.max(1.5, scale / 10);
      ctx.strokeRect(px * scale, (props.ny - 1 - py) * scale, scale, scale);
    }
  }, [props.values, props.lo, props.hi, props.picked]);

  const click = (e: MouseEvent) => {
    const c = ref.current!;
    const r = c.getBoundingClientRect();
    const x = Math.floor((e.clientX - r.left) / r.width * props.nx);
    const yFromTop = Math.floor((e.clientY - r.top) / r.height * props.ny);
    props.onPick(
      Math.min(props.nx - 1, Math.max(0, x)),
      Math.min(props.ny - 1, Math.max(0, props.ny - 1 - yFromTop)),
    );
  };

  return (
    <figure>
      <figcaption>{props.title}</figcaption>
      {props.values
        ? (
          <canvas
            ref={ref}
            id={props.id}
            onClick={click}
            title="click a voxel to plot its Z-spectra"
          />
        )
        : <div class="empty">not available</div>}
      <div class="colorbar">
        <span>{props.lo.toPrecision(2)}</span>
        <div class="bar" style={{ background: _gradient(props.map) }} />
        <span>{props.hi.toPrecision(2)} {props.unit}</span>
      </div>
    </figure>
  );
}

/** The viewer. */
export default function SliceViewer(
  { jobId, offsetsPpm, dims, hasReference, initialK }: SliceViewerProps,
) {
  const nearest = (ppm: number) =>
    offsetsPpm.reduce((b, o, i) => (Math.abs(o - ppm) < Math.abs(offsetsPpm[b]! - ppm) ? i : b), 0);
  const [k, setK] = useState(initialK ?? nearest(3.5));
  const [z, setZ] = useState(Math.floor(dims[2] / 2));
  const [slice, setSlice] = useState<Slice | null>(null);
  const [voxel, setVoxel] = useState<Voxel | null>(null);
  const [err, setErr] = useState("");

  useEffect(() => {
    let live = true;
    fetch(`/api/predict/${jobId}/slice?k=${k}&z=${z}`).then(async (r) => {
      const d = await r.json();
      if (!live) return;
      if (!r.ok) setErr(d.error ?? `HTTP ${r.status}`);
      else setSlice(d as Slice);
    });
    return () => {
      live = false;
    };
  }, [jobId, k, z]);

  const pick = async (x: number, y: number) => {
    const r = await fetch(`/api/predict/${jobId}/voxel?x=${x}&y=${y}&z=${z}`);
    const d = await r.json();
    if (!r.ok) setErr(d.error ?? `HTTP ${r.status}`);
    else setVoxel(d as Voxel);
  };

  let errMax = 0;
  if (slice?.error) { for (const v of slice.error) errMax = Math.max(errMax, v); }
  errMax = errMax > 0 ? Number(errMax.toPrecision(2)) : 0.01;
  const picked: [number, number] | null = voxel ? [voxel.x, voxel.y] : null;
  const common = { nx: slice?.nx ?? dims[0], ny: slice?.ny ?? dims[1], picked, onPick: pick };
  // the Z panels: grey, 0 to 1, no unit
  const zPanel = { lo: 0, hi: 1, map: "gray", unit: "", ...common };

  return (
    <div id="slice-viewer">
      <div class="toolbar">
        <label>
          Offset{" "}
          <strong id="offset-label">
            {(offsetsPpm[k] ?? 0) >= 0 ? "+" : ""}
            {(offsetsPpm[k] ?? 0).toFixed(2)} ppm
          </strong>
        </label>
        <input
          type="range"
          id="offset-slider"
          min={0}
          max={offsetsPpm.length - 1}
          value={k}
          style={{ width: "380px" }}
          onInput={(e) => setK(Number((e.target as HTMLInputElement).value))}
        />
        {dims[2] > 1 && (
          <label>
            Slice z{" "}
            <input
              type="number"
              min={0}
              max={dims[2] - 1}
              value={z}
              onInput={(e) => setZ(Number((e.target as HTMLInputElement).value))}
            />
          </label>
        )}
        <a class="button secondary" href={`/api/predict/${jobId}/result`} id="download-nifti">
          Download QUASS NIfTI
        </a>
      </div>
      {err && <p class="error-text">{err}</p>}
      <div class="viewer">
        <Panel
          title="Input Z (Ts 1.5 s)"
          values={slice?.input ?? null}
          id="img-input"
          {...zPanel}
        />
        <Panel
          title="Predicted QUASS Z"
          values={slice?.prediction ?? null}
          id="img-prediction"
          {...zPanel}
        />
        <Panel
          title={hasReference ? "Reference Z (Ts 5 s)" : "Reference (none uploaded)"}
          values={slice?.reference ?? null}
          id="img-reference"
          {...zPanel}
        />
        <Panel
          title="|prediction − reference|"
          values={slice?.error ?? null}
          lo={0}
          hi={errMax}
          map="inferno"
          unit="ΔZ"
          id="img-error"
          {...common}
        />
      </div>
      <div style={{ marginTop: "14px" }} id="voxel-panel">
        {voxel
          ? (
            <LineChart
              id="voxel-chart"
              title={`Voxel (x ${voxel.x}, y ${voxel.y}, z ${voxel.z})${
                voxel.inMask ? "" : " — outside the mask, not predicted"
              }`}
              xLabel="saturation offset (ppm)"
              yLabel="Z = Mz / M0"
              x={voxel.offsetsPpm}
              xReverse
              markerX={offsetsPpm[k]}
              series={[
                ...(voxel.input
                  ? [{ label: "input (Ts 1.5 s)", y: voxel.input, color: "#D55E00" }]
                  : []),
                { label: "predicted QUASS", y: voxel.prediction, color: "#0072B2" },
                ...(voxel.reference
                  ? [{
                    label: "reference (Ts 5 s)",
                    y: voxel.reference,
                    color: "#000000",
                    dash: [6, 4],
                  }]
                  : []),
              ]}
              height={280}
            />
          )
          : (
            <p class="empty">
              Click a voxel in any image to plot its input, predicted and reference Z-spectra.
            </p>
          )}
      </div>
    </div>
  );
}
