/**
 * Hostile `.seq` files: random mutations of the test protocol (1.3, 1.4, 1.4 time-shaped) either simulate
 * or fail with an InputError — never another exception, never a non-finite row.
 */
import { assert } from "../../_assert.ts";
import { parseModelYaml } from "../../../src/physics/model_yaml.ts";
import { seqProtocol, simulateSeqSpectrumCpu } from "../../../src/physics/seq/seq_spectrum.ts";
import { InputError } from "../../../src/util/errors.ts";
import { seqV13, seqV14, seqV14TimeShaped } from "./_seq_text.ts";

const MODEL = parseModelYaml(
  "water_pool: {f: 1, t1: 1.5, t2: 0.05}\ncest_pool: {a: {f: 0.001, t1: 1, t2: 0.01, k: 100, dw: 3}}\nb0: 3\n",
  "m.yaml",
);
const GARBAGE = ["-1", "0", "1e9", "99999999999", "nan", "x", "", "2.5", "[BLOCKS]", "shape_id 1"];
const pick = <T>(a: readonly T[]): T => a[Math.floor(Math.random() * a.length)]!;

function mutate(text: string): string {
  const lines = text.split("\n");
  const i = Math.floor(Math.random() * lines.length);
  switch (Math.floor(Math.random() * 4)) {
    case 0:
      lines.splice(i, 1);
      break;
    case 1:
      lines.splice(i, 0, lines[i]!);
      break;
    case 2: {
      const tok = lines[i]!.split(" ");
      tok[Math.floor(Math.random() * tok.length)] = pick(GARBAGE);
      lines[i] = tok.join(" ");
      break;
    }
    default:
      return text.slice(0, Math.floor(Math.random() * text.length));
  }
  return lines.join("\n");
}

Deno.test("mutated .seq files simulate or fail with an InputError naming the file (300 fresh mutations)", () => {
  let failed = 0;
  for (let k = 0; k < 300; k++) {
    let text = [seqV13, seqV14, seqV14TimeShaped][k % 3]!();
    const rounds = 1 + Math.floor(3 * Math.random());
    for (let r = 0; r < rounds; r++) text = mutate(text);
    try {
      const p = seqProtocol(MODEL, text, "fuzz.seq");
      const { z } = simulateSeqSpectrumCpu(MODEL, p);
      assert(z.every(Number.isFinite), "finite rows");
    } catch (e) {
      if (!(e instanceof InputError)) {
        throw new Error(`not an InputError (${(e as Error).message}) for:\n${text}`);
      }
      assert(e.message.startsWith("fuzz.seq") || e.message.startsWith("m.yaml"), e.message);
      assert(!e.message.includes("\n"), `one line: ${e.message}`);
      failed++;
    }
  }
  assert(failed > 0, "some mutations must be refused");
});
