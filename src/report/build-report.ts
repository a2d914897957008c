import { LANE_NAMES } from "../domain/lane.ts";
import { REPORT_SCHEMA_VERSION, ReportSchema, type LaneReport, type Report } from "../domain/report.ts";
import { maxSeverity } from "../domain/severity.ts";
import { iso } from "../evidence/clock.ts";
import type { InvestigationOutcome } from "../coordinator/investigate.ts";
import { orderedCalls } from "../coordinator/synthesize.ts";
import { redactDeep } from "../policy/redaction.ts";

/** The architecture's JSON report from a finished investigation. Redacted, schema-checked. */
export function buildReport(outcome: InvestigationOutcome, toolOrder: readonly string[] = []): Report {
  const { context } = outcome;
  const synthesis = context.synthesis;
  if (outcome.state !== "reported" || !synthesis || !context.scope)
    throw new Error(`no report: investigation ${outcome.state}${context.failure ? ` (${context.failure})` : ""}`);
  const calls = orderedCalls(context, toolOrder);
  const lanes: LaneReport[] = LANE_NAMES.map((lane) => {
    const result = context.lanes[lane];
    const own = calls.filter((c) => c.lane === lane);
    return {
      lane,
      status: result?.status ?? "failed",
      toolCalls: result?.toolCalls ?? 0,
      tools: own.map((c) => ({
        tool: c.tool,
        node: c.node,
        status: c.status,
        severity: maxSeverity((c.report?.findings ?? []).map((f) => f.severity)),
        findings: c.report?.findings.length ?? 0,
        durationMs: Math.round(c.durationMs),
      })),
      findings: synthesis.findings.filter((f) => f.lane === lane).length,
      durationMs: Math.round(result?.durationMs ?? 0),
    };
  });
  const lanesMs = Math.max(0, ...lanes.map((l) => l.durationMs));
  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    investigationId: context.investigationId,
    incident: context.incident,
    window: context.scope.window,
    nodes: context.scope.nodes.map((n) => ({
      node: n.node,
      ...(n.instanceId ? { instanceId: n.instanceId } : {}),
      bundle: n.bundle,
      ...(iso(n.collectedAt) ? { collectedAt: iso(n.collectedAt) as string } : {}),
      collectedFrom: n.collectedFrom,
    })),
    verdict: synthesis.verdict,
    coverage: synthesis.coverage,
    lanes,
    findings: synthesis.findings.map(({ lane: _lane, ...finding }) => finding),
    rootCauses: synthesis.rootCauses,
    gaps: synthesis.gaps,
    remediations: [],
    timings: {
      startedAt: new Date(outcome.startedAt).toISOString(),
      totalMs: Math.round(outcome.totalMs),
      lanesMs,
      synthesisMs: Math.round(synthesis.durationMs),
    },
  };
  return ReportSchema.parse(redactDeep(report));
}
