/** The YAML's simulation settings, the ADC offsets and the M0 normalisation of a `.seq` spectrum. */
import { assert, assertEquals, assertThrows } from "../../_assert.ts";
import { parseModelYaml } from "../../../src/physics/model_yaml.ts";
import { seqSimSettings } from "../../../src/physics/seq/seq_settings.ts";
import { normalizeByM0, seqProtocol } from "../../../src/physics/seq/seq_spectrum.ts";
import { InputError } from "../../../src/util/errors.ts";
import { seqV13 } from "./_seq_text.ts";

const WATER = "water_pool: {f: 1, t1: 1.5, t2: 0.05}\nb0: 3\n";

Deno.test("seqSimSettings(): pulseq-cest's defaults, the YAML's values, and one-line errors naming the key", () => {
  assertEquals(seqSimSettings(parseModelYaml(WATER, "m.yaml")), {
    resetInitMag: true,
    scale: 1,
    maxPulseSamples: 100,
  });
  const m = parseModelYaml(
    WATER + "reset_init_mag: False\nscale: 0.5\nmax_pulse_samples: 300\n",
    "m.yaml",
  );
  assertEquals(seqSimSettings(m, "m.yaml"), {
    resetInitMag: false,
    scale: 0.5,
    maxPulseSamples: 300,
  });
  for (
    const [line, key] of [
      ["scale: -1", "scale"],
      ["max_pulse_samples: 2.5", "max_pulse_samples"],
      ["reset_init_mag: maybe", "reset_init_mag"],
    ]
  ) {
    const e = assertThrows(
      () => seqSimSettings(parseModelYaml(WATER + line + "\n", "m.yaml"), "m.yaml"),
      new RegExp(`^m\\.yaml: ${key}: `),
    );
    assert(e instanceof InputError);
  }
});

Deno.test("normalizeByM0(): divides by the ADC at M0_offset; offsets from offsets_ppm or the RF frequency", () => {
  const model = parseModelYaml(WATER, "m.yaml");
  const p = seqProtocol(model, seqV13(), "t.seq");
  assertEquals(p.offsetsPpm, [-300, 2]);
  const z = normalizeByM0(p, [0.8, 0.4]);
  assertEquals([...z], [1, 0.5]);
  // without offsets_ppm: the last pulse's frequency / (γ/2π · B0) → −250 Hz and 127.5 Hz
  const bare = seqProtocol(model, seqV13().replace(/^offsets_ppm.*$/m, ""), "t.seq");
  const hzPerPpm = (model.gammaRadPerSUT * 3) / (2 * Math.PI);
  assertEquals(bare.offsetsPpm.map((o) => o.toFixed(9)), [
    (Math.fround(-250) / hzPerPpm).toFixed(9),
    (127.5 / hzPerPpm).toFixed(9),
  ]);
  assertThrows(() => normalizeByM0(bare, [1, 1]), /no ADC is at M0_offset -300/);
  const noM0 = seqProtocol(model, seqV13().replace(/^M0_offset.*$/m, ""), "t.seq");
  assertThrows(() => normalizeByM0(noM0, [1, 1]), /t\.seq: --normalize needs the M0 scan's offset/);
  assertThrows(
    () => seqProtocol(model, seqV13().replace("offsets_ppm -300 2", "offsets_ppm 1 2 3"), "t.seq"),
    /offsets_ppm lists 3 offsets but the file has 2 ADC events/,
  );
  assertThrows(
    () =>
      seqProtocol(
        parseModelYaml(WATER.replace("b0: 3", "b0: 7"), "m7.yaml"),
        seqV13(),
        "t.seq",
        "m7.yaml",
      ),
    /t\.seq: \[DEFINITIONS\] B0 is 3 T but m7\.yaml has b0: 7 T/,
  );
});
