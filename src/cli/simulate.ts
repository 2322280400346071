/** `quass simulate spectrum|dataset`. @module */
import { Command } from "@commander-js/extra-typings";
import { spectrumCommand } from "./simulate_spectrum.ts";
import { datasetCommand } from "./simulate_dataset.ts";

export function simulateCommand() {
  return new Command("simulate")
    .description("Bloch–McConnell simulation: one Z-spectrum, or a paired training dataset")
    .addCommand(spectrumCommand())
    .addCommand(datasetCommand());
}
