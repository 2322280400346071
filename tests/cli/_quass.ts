/** Runs `quass <args>` (src/cli/main.ts) as a subprocess and collects its output. */
export const ROOT = new URL("../../", import.meta.url).pathname;

/** Exit code, stdout and stderr of one CLI run (no colour). */
export async function quass(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "src/cli/main.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
