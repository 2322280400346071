/**
 * The cluster recipes (docs/cluster.md): the Kubernetes Indexed Job manifest is consistent
 * (always); scripts/slurm/dataset.sbatch run by hand as the array's tasks and then the join
 * gives the single-run dataset byte for byte (with a GPU adapter, lavapipe will do); and —
 * opt-in, `deno task test:cluster` (QUASS_TEST_CLUSTER=1; root, installs Debian's slurmd,
 * slurmctld, slurm-client and munge when missing, ~1 min) — a real single-node Slurm
 * (scripts/slurm/local_cluster.sh) runs scripts/slurm/submit_dataset.sh: the array, then
 * the dependent join, with the same check.
 */
import { assert, assertEquals } from "../_assert.ts";
import { parseAllDocuments } from "yaml";
import { withTempDir } from "../_tmp.ts";

const root = new URL("../../", import.meta.url).pathname;
const cli = ["sh", "scripts/with_webgpu.sh", Deno.execPath(), "run", "-A", "src/cli/main.ts"];

async function run(
  cmd: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const r = await new Deno.Command(cmd[0]!, {
    args: cmd.slice(1),
    cwd: opts.cwd ?? root,
    env: opts.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
  if (!r.success) throw new Error(`${cmd.join(" ")} failed:\n${out.slice(-4000)}`);
  return out;
}

async function sameBytes(a: string, b: string): Promise<void> {
  const [x, y] = [await Deno.readFile(a), await Deno.readFile(b)];
  assertEquals(x.length, y.length, `${a} vs ${b}: sizes`);
  assert(x.every((v, i) => v === y[i]), `${a} and ${b} differ`);
}

async function hasGpu(): Promise<boolean> {
  try {
    return (await navigator.gpu?.requestAdapter()) != null;
  } catch {
    return false;
  }
}

// deno-lint-ignore no-explicit-any
type Obj = Record<string, any>;

Deno.test("k8s/dataset-job.yaml: an Indexed Job of N shards and a join of the same N", async () => {
  const docs = parseAllDocuments(
    await Deno.readTextFile(`${root}/scripts/k8s/dataset-job.yaml`),
  ).map((d) => d.toJS() as Obj);
  assertEquals(docs.length, 2);
  const [shards, join] = docs as [Obj, Obj];
  const env = (c: Obj) => Object.fromEntries(c.env.map((e: Obj) => [e.name, e.value]));
  assertEquals(shards.kind, "Job");
  assertEquals(shards.spec.completionMode, "Indexed");
  const c = shards.spec.template.spec.containers[0];
  const n = Number(env(c).SHARDS);
  assertEquals(shards.spec.completions, n);
  assertEquals(shards.spec.parallelism, n);
  assert(c.args[0].includes('--shard "$JOB_COMPLETION_INDEX/$SHARDS"'), c.args[0]);
  const j = join.spec.template.spec.containers[0];
  assertEquals(Number(env(j).SHARDS), n);
  assertEquals(Number(env(join.spec.template.spec.initContainers[0]).SHARDS), n);
  assert(j.args[0].includes("--join"), j.args[0]);
  assertEquals(env(j).OUT, env(c).OUT);
});

Deno.test({
  name: "slurm/dataset.sbatch as array tasks by hand, then its join = one run, byte for byte",
  ignore: !(await hasGpu()),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withTempDir({ prefix: "quass-sbatch-" }, async (tmp) => {
      const base = {
        QUASS_REPO: root,
        QUASS_CMD: cli.join(" "),
        QUASS_N: "12",
        QUASS_SEED: "3",
        QUASS_SHARDS: "2",
        QUASS_OUT: `${tmp}/ds.safetensors`,
      };
      for (const i of ["0", "1"]) {
        await run(["bash", "scripts/slurm/dataset.sbatch"], {
          env: { ...base, SLURM_ARRAY_TASK_ID: i },
        });
      }
      await run(["bash", "scripts/slurm/dataset.sbatch"], {
        env: { ...base, QUASS_STAGE: "join" },
      });
      await run([
        ...cli,
        "simulate",
        "dataset",
        "--n",
        "12",
        "--seed",
        "3",
        "--out",
        `${tmp}/one.safetensors`,
        "--quiet",
      ]);
      await sameBytes(`${tmp}/ds.safetensors`, `${tmp}/one.safetensors`);
      // the shards were removed after the join
      assert(
        !(await Deno.stat(`${tmp}/ds.shard-0-of-2.safetensors`).then(() => true, () => false)),
      );
    });
  },
});

Deno.test({
  name:
    "slurm: a single-node cluster runs the array and the dependent join — opt-in: deno task test:cluster",
  ignore: !Deno.env.get("QUASS_TEST_CLUSTER"),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const have = await run(["sh", "-c", "command -v slurmctld slurmd sbatch munged | wc -l"]);
    if (Number(have.trim()) < 4) {
      await run([
        "sh",
        "-c",
        "apt-get -o DPkg::Lock::Timeout=300 update -qq && " +
        "DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq " +
        "slurmd slurmctld slurm-client munge >/dev/null",
      ]);
    }
    const tmp = await Deno.makeTempDir({ prefix: "quass-slurm-" });
    const cluster = `${tmp}/cluster`;
    try {
      await run(["sh", "scripts/slurm/local_cluster.sh", "start", cluster]);
      const env = {
        SLURM_CONF: `${cluster}/slurm.conf`,
        QUASS_REPO: root,
        QUASS_CMD: cli.join(" "),
        QUASS_N: "24",
        QUASS_SEED: "5",
        QUASS_OUT: `${tmp}/data/ds.safetensors`,
      };
      await Deno.mkdir(`${tmp}/logs`);
      const ids = (await run(
        ["sh", `${root}/scripts/slurm/submit_dataset.sh`, "3", "--cpus-per-task=1"],
        { cwd: `${tmp}/logs`, env },
      )).trim().split(/\s+/);
      assertEquals(ids.length, 2, ids.join(" "));
      const t0 = Date.now();
      while (Date.now() - t0 < 300_000) {
        const q = await run(["squeue", "-h", "-o", "%i %T"], { env });
        if (q.trim() === "") break;
        await new Promise((r) => setTimeout(r, 2000));
      }
      const logs = await run(["sh", "-c", `cat ${tmp}/logs/*.log`]);
      assert(logs.includes("joined 3 shards (24 samples)"), logs);
      await run([
        ...cli,
        "simulate",
        "dataset",
        "--n",
        "24",
        "--seed",
        "5",
        "--out",
        `${tmp}/one.safetensors`,
        "--quiet",
      ]);
      await sameBytes(`${tmp}/data/ds.safetensors`, `${tmp}/one.safetensors`);
    } finally {
      await run(["sh", "scripts/slurm/local_cluster.sh", "stop", cluster]).catch(() => "");
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
