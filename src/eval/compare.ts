/**
 * Every method on one phantom, scored like for like: each trained run (and the shipped
 * pretrained model) against the reference of the target it was trained for, the analytic
 * QUASS formula predicting each target, and the uncorrected input as the floor; one table
 * per target (`quass compare`, the demo).
 * @module
 */
import { type NiftiVolume, readNifti } from "../data/nifti.ts";
import { PHANTOM_FILES, phantomExists } from "../data/phantom.ts";
import { predictVolumeFile, type RunLoader } from "./predict_volume.ts";
import { describeQuassTarget, quassFitFile } from "./quass_image.ts";
import type { QuassTarget } from "../physics/analytic.ts";
import { evaluateVolumes, evaluationSummary, voxelsFromLabels } from "./evaluate.ts";
import { type CompareEntry, compareReports, writeReport } from "./report.ts";
import { exists, writeFileAtomic } from "../util/atomic.ts";
import { InputError } from "../util/errors.ts";
import { checkWritable } from "../util/output.ts";
import { readSidecar, resolveOffsets } from "../data/sidecar.ts";
import { LABEL_NAMES } from "../data/phantom_maps.ts";

/** Options of {@link comparePhantom}. */
export interface CompareOptions {
  /** Phantom directory (from `quass phantom`). */
  phantom: string;
  /**
   * Directory whose subdirectories holding model.safetensors are the runs to compare; it must
   * exist. Undefined: `runs/` when it exists, else no runs.
   */
  runs?: string;
  /** Further model folders to compare (e.g. the shipped pretrained model). */
  models?: string[];
  /** Report directory. */
  out: string;
  /** Loads a run for prediction. */
  loader: RunLoader;
  /** Include the analytic QUASS baseline (default true). */
  analytic?: boolean;
  log?: (line: string) => void;
}

/** Which of the phantom's two references a method is scored against. */
export type CompareTarget = "ts5" | "steady";

/** Row name of the uncorrected input (the floor of both tables). */
export const INPUT_ROW = "input (Ts 1.5 s, uncorrected)";

/** Row name of the formula predicting `target`: "analytic QUASS → Ts 5 s" / "… → steady state". */
export function analyticRowName(target: QuassTarget): string {
  return target === "steady" || target.tsS === Infinity
    ? "analytic QUASS → steady state"
    : `analytic QUASS → Ts ${target.tsS} s`;
}

/** The comparison: each method scored against the reference of the target it predicts. */
export interface CompareResult {
  /**
   * Rows against the Ts = 5 s / Td 1 s reference: the uncorrected input (floor), the runs
   * trained for that target and the formula predicting it (`analytic QUASS → Ts 5 s`).
   */
  vsTs5: CompareEntry[];
  /**
   * Rows against the exact steady state: the uncorrected input (floor), the runs trained with
   * `--target steady` and the formula's Z_ss (`analytic QUASS → steady state`).
   */
  vsSteady: CompareEntry[];
  /** The markdown written to `out/compare.md`. */
  markdown: string;
  /** Masked MAE against the Ts = 5 s reference per row of {@link vsTs5}. */
  maeTs5: Record<string, number>;
  /** Masked MAE against the steady state per row of {@link vsSteady}. */
  maeSteady: Record<string, number>;
  /** The target each row predicts, by row name (the input floor predicts none: absent). */
  targets: Record<string, CompareTarget>;
  /** Each target's reference protocol in words ("Ts 5 s / Td 1 s", "steady state"). */
  references: Record<CompareTarget, string>;
  /** Runs left unscored: the phantom has no reference for their target protocol. */
  unscored: string[];
  files: string[];
}

/** Where {@link comparePhantom} looks for runs when none is named. */
export const DEFAULT_RUNS_DIR = "runs";

/** Subdirectories of `runsDir` that hold a trained model, sorted by name. */
export async function listRuns(runsDir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(runsDir)) {
      if (e.isDirectory && (await exists(`${runsDir}/${e.name}/model.safetensors`))) {
        out.push(`${runsDir.replace(/\/+$/, "")}/${e.name}`);
      }
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new InputError(
        `--runs ${runsDir}: directory not found; give the directory holding your runs, or train one with quass train --out ${runsDir}/NAME`,
      );
    }
    if (e instanceof Deno.errors.NotADirectory) {
      throw new InputError(
        `--runs ${runsDir}: is a file; give the directory holding the run directories (runs/NAME/model.safetensors)`,
      );
    }
    throw e;
  }
  return out.sort();
}

async function _phantomVolumes(dir: string) {
  if (!(await phantomExists(dir))) {
    throw new InputError(
      `${dir}: no phantom here (${PHANTOM_FILES.manifest} missing); make one with quass phantom --out ${dir}`,
    );
  }
  const p = (f: string) => `${dir.replace(/\/+$/, "")}/${f}`;
  const [input, reference, steady, mask, labels] = await Promise.all([
    readNifti(p(PHANTOM_FILES.input)),
    readNifti(p(PHANTOM_FILES.reference)),
    readNifti(p(PHANTOM_FILES.steady)),
    readNifti(p(PHANTOM_FILES.mask)),
    readNifti(p(PHANTOM_FILES.labels)),
  ]);
  const offsetsPpm = await resolveOffsets(p(PHANTOM_FILES.reference), reference.dims[3]);
  const refSide = await readSidecar(p(PHANTOM_FILES.reference), reference.dims[3]);
  // the phantom's reference is the paper's target protocol (Ts 5 s after Td 1 s)
  const referenceTarget = { tsS: refSide?.tsS ?? 5, tdS: refSide?.tdS ?? 1 };
  const names = LABEL_NAMES;
  return {
    p,
    input,
    reference,
    steady,
    mask,
    labels,
    offsetsPpm,
    referenceTarget,
    voxels: voxelsFromLabels(labels, names),
  };
}

/**
 * The target a prediction was made for, from its sidecar (predict writes the run's target
 * protocol there): "steady" for tsS "inf", "ts5" when it matches the phantom's reference or
 * is not recorded (runs without protocol metadata: the paper's Ts 5 s / Td 1 s target), else
 * undefined (no reference in the phantom).
 */
async function _predTarget(
  predPath: string,
  ref: { tsS: number; tdS: number },
): Promise<CompareTarget | undefined> {
  const side = await readSidecar(predPath);
  if (side?.tsS === undefined) return "ts5";
  if (side.tsS === Infinity) return "steady";
  const same = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  return same(side.tsS, ref.tsS) && (side.tdS === undefined || same(side.tdS, ref.tdS))
    ? "ts5"
    : undefined;
}

/**
 * Predicts the phantom with every trained run and the analytic QUASS formula, and scores each
 * like for like: against the reference of the target it predicts. A run trained for Ts 5 s
 * (its checkpoint's dataset protocol; runs without one count as the paper's Ts 5 s / Td 1 s)
 * and the formula predicting Ts 5 s (`quass-fit --target ts=5,td=1`) against the Ts = 5 s
 * reference; a run trained with `--target steady` and the formula's Z_ss against the exact
 * steady state. The uncorrected input is the floor row of both tables. Writes `compare.md`,
 * `compare.json` and a full report per method against its own target's reference.
 * @param o phantom, runs and output directories, run loader
 * @returns the rows per target, the markdown and the masked MAE per row
 * @example
 * const r = await comparePhantom({ phantom: "phantom", runs: "runs", out: "report/compare", loader: loadRunPredictor });
 */
export async function comparePhantom(o: CompareOptions): Promise<CompareResult> {
  const log = o.log ?? (() => {});
  await checkWritable(o.out, "--out", "dir");
  const ph = await _phantomVolumes(o.phantom);
  const runsDir = o.runs ?? DEFAULT_RUNS_DIR;
  const runs = o.runs !== undefined || await exists(runsDir) ? await listRuns(runsDir) : [];
  runs.push(...(o.models ?? []));
  if (!runs.length && o.analytic === false) {
    throw new InputError(`${runsDir}: no trained runs (no */model.safetensors)`);
  }
  const out = o.out.replace(/\/+$/, "");
  await Deno.mkdir(out, { recursive: true });
  const refTs5 = ph.referenceTarget;
  const group = (what: string, reference: NiftiVolume, file: string) => ({
    what,
    reference,
    file,
    rows: [] as CompareEntry[],
    mae: {} as Record<string, number>,
  });
  const groups = {
    ts5: group(describeQuassTarget(refTs5), ph.reference, PHANTOM_FILES.reference),
    steady: group(describeQuassTarget("steady"), ph.steady, PHANTOM_FILES.steady),
  };
  const targets: Record<string, CompareTarget> = {};
  const unscored: string[] = [];
  const files: string[] = [];
  /** Scores `pred` against `target`'s reference; writes a full report when `slug` is given. */
  const evaluate = async (
    name: string,
    slug: string | undefined,
    pred: NiftiVolume,
    target: CompareTarget,
    predicts?: CompareTarget,
  ) => {
    const g = groups[target];
    const ev = evaluateVolumes({
      pred,
      reference: g.reference,
      mask: ph.mask,
      input: ph.input,
      offsetsPpm: ph.offsetsPpm,
      voxels: ph.voxels,
    });
    if (slug) {
      const rep = await writeReport(`${out}/${slug}`, {
        evaluation: ev,
        pred,
        reference: g.reference,
        input: ph.input,
        title: `${name} vs the ${g.what} reference (phantom)`,
        referenceProtocol: g.what,
        sources: {
          pred: `${out}/${slug}/pred.nii.gz`,
          reference: ph.p(g.file),
          mask: ph.p(PHANTOM_FILES.mask),
        },
      });
      files.push(...rep.files);
    }
    g.rows.push({
      name,
      target: predicts ? groups[predicts].what : "— (uncorrected floor)",
      metrics: evaluationSummary(ev),
    });
    g.mae[name] = ev.mean.mae;
    if (predicts) targets[name] = predicts;
    log(`  ${name}: masked MAE ${ev.mean.mae.toExponential(3)} vs the ${g.what} reference`);
  };
  // the uncorrected input is the floor every method must clear, in both tables
  await evaluate(INPUT_ROW, "input", ph.input, "ts5");
  await evaluate(INPUT_ROW, undefined, ph.input, "steady");
  for (const run of runs) {
    const slug = run.slice(run.lastIndexOf("/") + 1);
    const predPath = `${out}/${slug}/pred.nii.gz`;
    log(`predict: ${run}`);
    const res = await predictVolumeFile({
      run,
      input: ph.p(PHANTOM_FILES.input),
      mask: ph.p(PHANTOM_FILES.mask),
      // T1-informed networks get the phantom's T1 map, as the formula does
      t1: ph.p(PHANTOM_FILES.t1),
      out: predPath,
    }, o.loader);
    log(`  ${res.predicted} voxels in ${res.seconds.toFixed(1)} s`);
    const name = await runLabel(run);
    const target = await _predTarget(predPath, refTs5);
    if (!target) {
      log(`  ${name}: not scored: the phantom has no reference for its target protocol`);
      unscored.push(name);
      continue;
    }
    await evaluate(name, slug, await readNifti(predPath), target, target);
  }
  if (o.analytic !== false) {
    const fits: [CompareTarget, string, QuassTarget][] = [
      ["ts5", "analytic_quass_ts5", refTs5],
      ["steady", "analytic_quass_steady", "steady"],
    ];
    for (const [target, slug, quassTarget] of fits) {
      const name = analyticRowName(quassTarget);
      const qPath = `${out}/${slug}/pred.nii.gz`;
      log(`quass-fit: analytic QUASS (Sun 2021) → ${groups[target].what}, phantom's T1 map`);
      await quassFitFile({
        input: ph.p(PHANTOM_FILES.input),
        t1: ph.p(PHANTOM_FILES.t1),
        mask: ph.p(PHANTOM_FILES.mask),
        target: quassTarget,
        out: qPath,
      });
      await evaluate(name, slug, await readNifti(qPath), target, target);
    }
  }
  const a = compareReports(groups.ts5.rows), b = compareReports(groups.steady.rows);
  const markdown = [
    "# QUASS on the digital phantom: every method on the same slice",
    "",
    `Phantom: \`${o.phantom}\` (input Ts 1.5 s / Td 4.5 s with Rician noise). Masked brain voxels; SSIM/PSNR with data range 1.`,
    "",
    "Like for like: each method is scored against the reference of the protocol it predicts " +
    "(a network: its training target; the analytic formula: fitted for that target). The " +
    "uncorrected input is the floor row of both tables.",
    "",
    `## Target ${groups.ts5.what} (reference \`${PHANTOM_FILES.reference}\`)`,
    "",
    a.markdown,
    "",
    `## Target ${groups.steady.what} (reference \`${PHANTOM_FILES.steady}\`, Ts = ∞)`,
    "",
    b.markdown,
    "",
    ...(unscored.length
      ? [
        `Not scored (the phantom has no reference for their target protocol): ${
          unscored.join(", ")
        }.`,
        "",
      ]
      : []),
  ].join("\n");
  await writeFileAtomic(`${out}/compare.md`, markdown);
  await writeFileAtomic(
    `${out}/compare.json`,
    JSON.stringify(
      {
        vsTs5: { target: groups.ts5.what, ...a.json },
        vsSteady: { target: groups.steady.what, ...b.json },
        maeTs5: groups.ts5.mae,
        maeSteady: groups.steady.mae,
        targets,
        unscored,
      },
      null,
      2,
    ) + "\n",
  );
  files.push(`${out}/compare.md`, `${out}/compare.json`);
  return {
    vsTs5: groups.ts5.rows,
    vsSteady: groups.steady.rows,
    markdown,
    maeTs5: groups.ts5.mae,
    maeSteady: groups.steady.mae,
    targets,
    references: { ts5: groups.ts5.what, steady: groups.steady.what },
    unscored,
    files,
  };
}

/**
 * A run's row name: "ARCH (FOLDER)", plus ", T1-informed" for networks that see the
 * formula's prediction (config.json's model.input); the folder name when unreadable.
 */
export async function runLabel(runDir: string): Promise<string> {
  const slug = runDir.replace(/\/+$/, "").slice(runDir.replace(/\/+$/, "").lastIndexOf("/") + 1);
  try {
    const m = JSON.parse(await Deno.readTextFile(`${runDir}/config.json`))?.model;
    const arch = typeof m?.arch === "string" ? m.arch : slug;
    const tag = m?.input?.kind === "formula" ? ", T1-informed" : "";
    return arch === slug && !tag ? slug : `${arch} (${slug}${tag})`;
  } catch {
    return slug;
  }
}
