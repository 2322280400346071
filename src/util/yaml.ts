/**
 * Parsing YAML (and JSON, a subset) files the user gives, with one error message naming the
 * file for anything that is not a document, including nesting deep enough to exhaust the
 * parser's stack.
 * @module
 */
import { parse } from "yaml";
import { InputError } from "./errors.ts";

/**
 * Parses YAML/JSON text.
 * @param source the file name, for messages
 * @param kind what the file should be, e.g. "YAML" or "YAML/JSON"
 * @param shape what the document should look like, used in the fix of a too-deep document
 * @throws InputError naming the file and what is wrong
 */
export function parseYamlDoc(text: string, source: string, kind: string, shape: string): unknown {
  try {
    return parse(text);
  } catch (e) {
    const msg = String((e as Error)?.message ?? e);
    if (e instanceof RangeError || /call stack/i.test(msg)) {
      throw new InputError(
        `${source}: not valid ${kind}: nested too deeply for the parser (hundreds of levels of [ ], { } or -); ${shape}`,
      );
    }
    throw new InputError(`${source}: not valid ${kind}: ${msg.split("\n")[0]}`);
  }
}
