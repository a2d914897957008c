import type { ToolDefinition } from "./tool-definition.ts";

/** The finding kinds a set of tools can emit, each with the attributes it declares: what rules may name. */
export function vocabularyOf(tools: readonly ToolDefinition[]): {
  kinds: ReadonlyMap<string, ReadonlySet<string> | undefined>;
} {
  const kinds = new Map<string, ReadonlySet<string> | undefined>();
  for (const tool of tools)
    for (const [kind, spec] of Object.entries(tool.kinds)) kinds.set(kind, new Set(Object.keys(spec.attributes)));
  return { kinds };
}
