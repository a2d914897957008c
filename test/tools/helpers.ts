import type { ToolReport } from "../../src/domain/tool-report.ts";
import { createMemorySource } from "../../src/evidence/memory-source.ts";
import { createNodeEvidence, type NodeEvidence } from "../../src/evidence/node-evidence.ts";
import { runTool, type ToolInput } from "../../src/toolkit/run-tool.ts";
import { undeclaredAttributes } from "../../src/toolkit/finding-kinds.ts";
import type { ToolDefinition } from "../../src/toolkit/tool-definition.ts";

/** Bundle files in memory: a map or a record of bundle-relative path → content. */
export type BundleFiles = Map<string, string | Uint8Array> | Record<string, string | Uint8Array>;

/**
 * One node's evidence over in-memory bundle files. `label` is the bundle's name: an archive name
 * such as `eks_i-0abc…_2026-11-24_1030-UTC_0.7.9.tar.gz` gives the collection time and instance id.
 */
export async function evidenceOf(files: BundleFiles, label?: string): Promise<NodeEvidence> {
  return createNodeEvidence(createMemorySource(files, label));
}

/**
 * Runs a tool over in-memory bundle files through the real runner (status, ordering, redaction),
 * and holds every finding to its kind's declaration: an undeclared attribute fails the test.
 */
export async function runOn(
  tool: unknown,
  files: BundleFiles,
  input: ToolInput = {},
  options: { label?: string } = {},
): Promise<ToolReport> {
  const definition = tool as ToolDefinition;
  const report = await runTool(definition, await evidenceOf(files, options.label), input);
  const problems = report.findings.flatMap((f) => undeclaredAttributes(definition.kinds[f.kind], f.kind, f.attributes));
  if (problems.length > 0)
    throw new Error(`${definition.name} emits what it does not declare:\n${problems.join("\n")}`);
  return report;
}

export function kindOf(report: ToolReport, kind: string) {
  return report.findings.find((f) => f.kind === kind);
}

export function kindsOf(report: ToolReport): string[] {
  return report.findings.map((f) => f.kind);
}

export function aboveInfo(report: ToolReport): string[] {
  return report.findings.filter((f) => f.severity !== "info").map((f) => `${f.kind}:${f.severity}`);
}
