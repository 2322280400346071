/**
 * Islands: a page renders `<Island name="..." component={C} props={...} />`; the server
 * renders `C` to HTML inside a `<quass-island>` element carrying its name and JSON props,
 * and the browser bundle (built by build.ts from `islands/`) hydrates it. `name` is the
 * island's file name in `islands/` without extension. Props must be JSON-serialisable.
 * @module
 */
import type { ComponentType, JSX } from "preact";

/** Props of {@link Island}. */
export interface IslandProps<P> {
  /** File name under `islands/` without `.tsx` (what the browser bundle registers). */
  name: string;
  component: ComponentType<P>;
  props: P;
}

/** Server-side wrapper that marks a hydratable island. */
export function Island<P>({ name, component: C, props }: IslandProps<P>): JSX.Element {
  // deno-lint-ignore no-explicit-any
  const Tag = "quass-island" as any;
  return (
    <Tag data-island={name} data-props={JSON.stringify(props)}>
      <C {...(props as P & JSX.IntrinsicAttributes)} />
    </Tag>
  );
}
