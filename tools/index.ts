import type { ToolDefinition } from "../src/toolkit/tool-definition.ts";
import { readKubeletJournal } from "./read-kubelet-journal.ts";

/** Every diagnostic tool, in the fixed order reports use. */
export const TOOLS: readonly ToolDefinition[] = [readKubeletJournal] as unknown as readonly ToolDefinition[];

export function findTool(name: string): ToolDefinition | undefined {
  return TOOLS.find((tool) => tool.name === name);
}
