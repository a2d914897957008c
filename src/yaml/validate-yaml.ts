import { LineCounter, isNode, parseDocument, type Document } from "yaml";
import type { z } from "zod";

/** One thing wrong with a YAML file, at the line of the offending value when it has one. */
export interface YamlIssue {
  line: number | undefined;
  message: string;
}

export type Validated<T> =
  | { ok: true; data: T; lineOf: (path: ReadonlyArray<string | number>) => number | undefined }
  | { ok: false; issues: YamlIssue[] };

/**
 * Parses YAML and validates it with a zod schema; every problem comes back with the line of the
 * value it is about (a misspelt key is reported at the key, not as the real key "missing").
 * Anchors and aliases are refused unless allowed: a data file needs none, and refusing them also
 * refuses alias bombs.
 */
export function validateYaml<S extends z.ZodType>(
  text: string,
  schema: S,
  options: { maxAliasCount?: number } = {},
): Validated<z.output<S>> {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  // The first syntax error is the cause; the ones after it are the parser losing its footing.
  const [syntax] = doc.errors;
  if (syntax) {
    const line = syntax.linePos?.[0]?.line ?? counter.linePos(syntax.pos[0]).line;
    return { ok: false, issues: [{ line, message: `invalid YAML: ${syntax.message.split("\n")[0]}` }] };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: options.maxAliasCount ?? 0 });
  } catch (error) {
    return { ok: false, issues: [{ line: undefined, message: `invalid YAML: ${(error as Error).message}` }] };
  }
  const lineOf = (path: ReadonlyArray<string | number>) => lineIn(doc, path, counter);
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, data: parsed.data, lineOf };
  const issues = (parsed.error.issues as z.core.$ZodIssue[]).map((issue) => {
    const path = issue.path as Array<string | number>;
    const at = issue.code === "unrecognized_keys" && issue.keys[0] !== undefined ? [...path, issue.keys[0]] : path;
    return { line: lineOf(at), message: `${path.length ? path.join(".") : "(top level)"}: ${issue.message}` };
  });
  return { ok: false, issues };
}

function lineIn(doc: Document, path: ReadonlyArray<string | number>, counter: LineCounter): number | undefined {
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}
