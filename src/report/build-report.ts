import type { InvestigationContext } from "../domain/investigation.ts";
import { LANE_NAMES } from "../domain/lane.ts";
import { REPORT_SCHEMA_VERSION, ReportSchema, type LaneReport, type Report } from "../domain/report.ts";
import { iso } from "../evidence/clock.ts";
import { redactDeep } from "../policy/redaction.ts";

/**
 * The architecture's JSON report, built once from a finished synthesis (the machine does it on
 * reaching `reported`). Everything it shows comes from the context: calls in synthesis order, the
 * lanes' own timings, the investigation's start and synthesis's end. Redacted, schema-checked.
 */
export function buildReport(context: InvestigationContext): Report {
  const { synthesis, scope } = context;
  if (!synthesis || !scope) throw new Error("no report: the investigation has no synthesis");
  const lanes: LaneReport[] = LANE_NAMES.map((lane) => {
    const result = context.lanes[lane];
    return {
      lane,
      status: result?.status ?? "failed",
      toolCalls: result?.toolCalls ?? 0,
      tools: synthesis.calls.filter((c) => c.lane === lane).map(({ lane: _lane, ...call }) => call),
      findings: synthesis.findings.filter((f) => f.lane === lane).length,
      durationMs: Math.round(result?.durationMs ?? 0),
    };
  });
  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    investigationId: context.investigationId,
    incident: context.incident,
    window: scope.window,
    nodes: scope.nodes.map((n) => ({
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
      startedAt: new Date(context.startedAt).toISOString(),
      totalMs: Math.round(synthesis.finishedAt - context.startedAt),
      lanesMs: Math.max(0, ...lanes.map((l) => l.durationMs)),
      synthesisMs: Math.round(synthesis.durationMs),
    },
  };
  return ReportSchema.parse(redactDeep(report));
}
