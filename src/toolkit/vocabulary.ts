import type { ToolDefinition } from "./tool-definition.ts";

/**
 * The finding kinds a set of tools can emit, for checking what diagnostic rules name. Attributes
 * are not declared per kind yet, so they are left unchecked (`undefined`).
 */
export function vocabularyOf(tools: readonly ToolDefinition[]): {
  kinds: ReadonlyMap<string, ReadonlySet<string> | undefined>;
} {
  const kinds = new Map<string, ReadonlySet<string> | undefined>();
  for (const tool of tools) for (const kind of Object.keys(tool.kinds)) kinds.set(kind, undefined);
  return { kinds };
}
