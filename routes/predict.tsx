/**
 * Predict: QUASS volumes from a short-saturation series (upload or phantom) with the shipped
 * pretrained model or a trained run.
 * @module
 */
import { type DataOf, defineHandlers, type PageProps } from "../src/web/define.ts";
import { listPhantoms, listRuns, readPretrained } from "../src/web/catalog.ts";
import { Island } from "../src/web/island.tsx";
import PredictPanel from "../islands/predict_panel.tsx";

export const title = "Predict · quass";

export const handler = defineHandlers<{
  runs: { name: string; architecture: string; t1Informed: boolean }[];
  pretrained: { name: string; architecture: string; t1Informed: boolean } | null;
  phantoms: string[];
  initialRun?: string;
  initialJob?: string;
  uploadLimitMb: number;
  runsDir: string;
}>({
  GET: async ({ config, url, services }) => {
    const runs = (await listRuns(config.runsDir)).filter((r) => r.hasWeights).map((r) => ({
      name: r.name,
      architecture: r.architecture,
      t1Informed: r.t1Informed,
    }));
    const job = url.searchParams.get("job") ?? undefined;
    return {
      data: {
        runs,
        pretrained: await readPretrained(config.pretrainedDir),
        phantoms: (await listPhantoms(config.dataDir)).filter((p) =>
          p.files.includes("input.nii.gz")
        ).map((p) => p.name),
        initialRun: url.searchParams.get("run") ?? undefined,
        initialJob: job && services.queue.info(job) ? job : undefined,
        uploadLimitMb: Math.round(config.uploadLimitBytes / (1 << 20)),
        runsDir: config.runsDir,
      },
    };
  },
});

/** The predict page. */
export default function PredictPage({ data }: PageProps<DataOf<typeof handler>>) {
  const { runsDir, ...props } = data;
  return (
    <>
      <h1>Predict QUASS images</h1>
      <p class="lead">
        Give a short-saturation (Ts 1.5 s) Z-spectral series — or use the digital phantom — and the
        shipped pretrained model or a trained network; get the quasi-steady-state volume. Jobs run
        one at a time on the server GPU; this page polls their progress.
      </p>
      {data.runs.length === 0 && !data.pretrained
        ? (
          <p class="empty">
            No pretrained model and no trained runs with weights in{" "}
            <code>{runsDir}/</code>. Train one first, or reproduce the shipped model with{" "}
            <code>deno task quass reproduce-model</code>.
          </p>
        )
        : <Island name="predict_panel" component={PredictPanel} props={props} />}
      {(data.runs.length > 0 || data.pretrained) && data.phantoms.length === 0 && (
        <p class="muted">
          No digital phantom in the data directory: make one with{" "}
          <code>deno task quass phantom --out data/phantom</code>, or upload a scan.
        </p>
      )}
    </>
  );
}
