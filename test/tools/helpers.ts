import type { ToolReport } from "../../src/domain/tool-report.ts";
import { createMemorySource } from "../../src/evidence/memory-source.ts";
import { createNodeEvidence } from "../../src/evidence/node-evidence.ts";
import { runTool, type ToolInput } from "../../src/toolkit/run-tool.ts";
import type { ToolDefinition } from "../../src/toolkit/tool-definition.ts";

/** Runs a tool over in-memory bundle files through the real runner (status, ordering, redaction). */
export async function runOn(
  tool: unknown,
  files: Map<string, string | Uint8Array> | Record<string, string | Uint8Array>,
  input: ToolInput = {},
): Promise<ToolReport> {
  return runTool(tool as ToolDefinition, await createNodeEvidence(createMemorySource(files)), input);
}

export function kindOf(report: ToolReport, kind: string) {
  return report.findings.find((f) => f.kind === kind);
}

export function aboveInfo(report: ToolReport): string[] {
  return report.findings.filter((f) => f.severity !== "info").map((f) => `${f.kind}:${f.severity}`);
}
