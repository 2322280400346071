/** Runs `quass <args>` (src/cli/main.ts) as a subprocess and collects its output. */
import { assertEquals } from "../_assert.ts";

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

/** The offsets and Z of `quass simulate spectrum`'s CSV (header `offset_ppm,z`). */
export function parseSpectrumCsv(text: string): { offsets: number[]; z: number[] } {
  const lines = text.trim().split("\n");
  assertEquals(lines[0], "offset_ppm,z");
  const rows = lines.slice(1).map((l) => l.split(",").map(Number));
  return { offsets: rows.map((r) => r[0]!), z: rows.map((r) => r[1]!) };
}
