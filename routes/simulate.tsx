/** Simulate: interactive Z-spectra for a tissue model (GPU on the server). @module */
import { type DataOf, defineHandlers, type PageProps } from "../src/web/define.ts";
import { BUNDLED_MODELS } from "../src/web/simulate.ts";
import { Island } from "../src/web/island.tsx";
import Simulator from "../islands/simulator.tsx";

export const title = "Simulate · quass";

export const handler = defineHandlers<
  { models: { id: string; label: string }[]; initialModel: string }
>({
  GET: ({ url }) => {
    const m = url.searchParams.get("model");
    const initialModel = BUNDLED_MODELS.some((b) => b.id === m) ? m! : "normal";
    return {
      data: { models: BUNDLED_MODELS.map(({ id, label }) => ({ id, label })), initialModel },
    };
  },
});

/** The simulator page. */
export default function SimulatePage({ data }: PageProps<DataOf<typeof handler>>) {
  return (
    <>
      <h1>Bloch–McConnell simulator</h1>
      <p class="lead">
        7 T CW saturation with saturation recovery: each offset starts from zero magnetisation,
        recovers for Td, then is saturated for Ts. Compare the short-saturation input (Ts 1.5 s)
        with the long-saturation target and the exact steady state that QUASS recovers. Parameters:
        water T1/T2 and, per solute pool, fraction f, exchange rate k and T2.
      </p>
      <Island
        name="simulator"
        component={Simulator}
        props={{ models: data.models, initialModel: data.initialModel }}
      />
    </>
  );
}
