import { LANE_NAMES } from "../domain/lane.ts";
import type { Coverage, ReportGap } from "../domain/report.ts";
import { toWindowMs } from "../domain/time.ts";
import { checkGrounding } from "../synthesis/grounding.ts";
import type { Reasoner } from "../synthesis/reasoner.ts";
import type { IdentifiedFinding, InvestigationContext, Synthesis } from "../domain/investigation.ts";
import { maxSeverity } from "../domain/severity.ts";
import type { CallRecord, CallSummary } from "../domain/tool-call.ts";

/** Every distinct call the lanes made, in the fixed order: node, lane, tool. */
export function orderedCalls(context: InvestigationContext, toolOrder: readonly string[]): CallRecord[] {
  const seen = new Map<string, CallRecord>();
  for (const lane of LANE_NAMES) {
    for (const call of context.lanes[lane]?.calls ?? []) {
      const key = `${call.node}\u0000${call.tool}`;
      if (!seen.has(key)) seen.set(key, call);
    }
  }
  const nodeRank = new Map((context.scope?.nodes ?? []).map((n, i) => [n.node, i]));
  const rank = (list: readonly string[], item: string) => {
    const i = list.indexOf(item);
    return i < 0 ? list.length : i;
  };
  return [...seen.values()].sort(
    (a, b) =>
      (nodeRank.get(a.node) ?? 1e9) - (nodeRank.get(b.node) ?? 1e9) ||
      rank(LANE_NAMES, a.lane) - rank(LANE_NAMES, b.lane) ||
      rank(toolOrder, a.tool) - rank(toolOrder, b.tool) ||
      a.tool.localeCompare(b.tool),
  );
}

/** F-001… in the fixed order, so the same input always gives the same ids. */
export function assignFindingIds(calls: readonly CallRecord[]): IdentifiedFinding[] {
  const out: IdentifiedFinding[] = [];
  for (const call of calls) {
    for (const finding of call.report?.findings ?? []) {
      out.push({ ...finding, id: `F-${String(out.length + 1).padStart(3, "0")}`, lane: call.lane });
    }
  }
  return out;
}

export function measureCoverage(calls: readonly CallRecord[]): Coverage {
  const count = (status: CallRecord["status"]) => calls.filter((c) => c.status === status).length;
  const ok = count("ok");
  return {
    toolCalls: calls.length,
    ok,
    noData: count("no_data"),
    errors: count("error"),
    failed: count("failed") + count("timed-out"),
    ratio: calls.length === 0 ? 0 : Math.round((ok / calls.length) * 1000) / 1000,
  };
}

export function collectGaps(context: InvestigationContext, calls: readonly CallRecord[]): ReportGap[] {
  const gaps: ReportGap[] = [];
  for (const lane of LANE_NAMES)
    for (const note of context.lanes[lane]?.notes ?? []) gaps.push({ lane, source: `${lane} lane`, reason: note });
  for (const call of calls) {
    if (call.status === "failed" || call.status === "timed-out")
      gaps.push({
        node: call.node,
        lane: call.lane,
        tool: call.tool,
        source: call.tool,
        reason: call.error ?? call.status,
      });
    for (const gap of call.report?.gaps ?? [])
      gaps.push({ node: call.node, lane: call.lane, tool: call.tool, source: gap.source, reason: gap.reason });
  }
  return gaps;
}

/** Joins the lanes' reports: ids, coverage, gaps, then the reasoner, then the grounding check. */
export async function synthesize(
  context: InvestigationContext,
  deps: { reasoner: Reasoner; toolOrder: readonly string[]; now: () => number; signal?: AbortSignal },
): Promise<Synthesis> {
  const started = deps.now();
  const calls = orderedCalls(context, deps.toolOrder);
  const findings = assignFindingIds(calls);
  const coverage = measureCoverage(calls);
  const nodes = (context.scope?.nodes ?? []).map((n) => n.node);
  const window = toWindowMs(
    context.scope?.window ?? { start: new Date(0).toISOString(), end: context.incident.startsAt },
  );
  const output = await deps.reasoner.reason(
    { incident: context.incident, findings, coverage, nodes, window },
    deps.signal,
  );
  checkGrounding(output, new Set(findings.map((f) => f.id)), new Set(nodes), deps.reasoner.customIds);
  const gaps = collectGaps(context, calls);
  const stale = (context.scope?.nodes ?? []).filter((n) => n.staleByMs !== undefined);
  if (stale.length > 0 && stale.length === nodes.length) {
    // Evidence from long before the alarm may not describe it: say so rather than answer from it.
    const age = Math.max(...stale.map((n) => n.staleByMs ?? 0));
    const note = `the evidence is stale: the newest bundle was collected ${Math.round(age / 60_000)} min before the alarm`;
    for (const n of stale) gaps.push({ node: n.node, source: n.bundle, reason: note });
    const best = output.rootCauses[0];
    const none = {
      id: "none",
      confidence: 0.1,
      summary: `Inconclusive: ${note}; collect a fresh bundle (what the old evidence shows is listed after this entry)`,
      nodes,
      supporting: [],
      contrary: [],
      ruledOut: [],
    };
    const finishedAt = deps.now();
    return {
      calls: calls.map(summarizeCall),
      findings,
      rootCauses: [none, ...output.rootCauses.filter((c) => c.id !== "none" || c !== best)],
      verdict: "inconclusive",
      coverage,
      gaps,
      durationMs: finishedAt - started,
      finishedAt,
    };
  }
  const finishedAt = deps.now();
  return {
    calls: calls.map(summarizeCall),
    findings,
    rootCauses: output.rootCauses,
    verdict: output.verdict,
    coverage,
    gaps,
    durationMs: finishedAt - started,
    finishedAt,
  };
}

/** A call as the report lists it: the evidence itself stays in the findings. */
function summarizeCall(call: CallRecord): CallSummary {
  const findings = call.report?.findings ?? [];
  return {
    tool: call.tool,
    node: call.node,
    lane: call.lane,
    status: call.status,
    severity: maxSeverity(findings.map((f) => f.severity)),
    findings: findings.length,
    durationMs: Math.round(call.durationMs),
  };
}
