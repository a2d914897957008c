import { z } from "zod";
import { compareSeverity, maxSeverity } from "../domain/severity.ts";
import { TimeWindowSchema, toWindowMs, type WindowMs } from "../domain/time.ts";
import { ToolReportSchema, type ToolReport } from "../domain/tool-report.ts";
import type { NodeEvidence } from "../evidence/node-evidence.ts";
import { redactDeep } from "../policy/redaction.ts";
import { EvidenceReader } from "./evidence-reader.ts";
import type { ToolDefinition } from "./tool-definition.ts";

/** The input every tool takes, plus its own hand-off fields. */
export function toolInputSchema<Extra extends z.ZodRawShape>(tool: ToolDefinition<Extra>) {
  return z
    .object({
      node: z
        .string()
        .min(1)
        .max(253)
        .optional()
        .describe("Node name or EC2 instance id; optional when the server holds a single bundle"),
      window: TimeWindowSchema.optional().describe(
        "Only evidence inside this window counts; defaults to everything up to the bundle's collection time",
      ),
      ...tool.input,
    })
    .strict();
}

export type ToolInput = { node?: string; window?: { start: string; end: string } } & Record<string, unknown>;

/**
 * Runs one tool on one node's evidence and shapes the report: status from what could be read,
 * findings stamped and ordered, severity as their max, everything redacted. The only way a tool's
 * findings leave the process.
 */
export async function runTool(
  tool: ToolDefinition,
  evidence: NodeEvidence,
  input: ToolInput,
  signal?: AbortSignal,
): Promise<ToolReport> {
  const started = performance.now();
  const clock = await evidence.clock();
  const window: WindowMs = input.window
    ? toWindowMs(input.window)
    : { start: Number.NEGATIVE_INFINITY, end: clock.collectedAt ?? Number.POSITIVE_INFINITY };
  const read = new EvidenceReader(evidence, signal);
  const drafts = await tool.analyze({ node: evidence.node, window, clock, read, signal }, input as never);
  const findings = drafts
    .map((draft) => ({ tool: tool.name, node: evidence.node, ...draft }))
    .sort((a, b) => compareSeverity(b.severity, a.severity) || a.kind.localeCompare(b.kind));
  const report: ToolReport = {
    tool: tool.name,
    node: evidence.node,
    status: read.status(),
    severity: maxSeverity(findings.map((f) => f.severity)),
    findings,
    stats: {
      bytesRead: read.bytesRead,
      linesScanned: read.linesScanned,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
    },
    gaps: read.gaps,
  };
  return ToolReportSchema.parse(redactDeep(report));
}
