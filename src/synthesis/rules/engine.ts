import { atLeast, type Severity } from "../../domain/severity.ts";
import type { RootCause, RuledOut } from "../../domain/root-cause.ts";
import type { WindowMs } from "../../domain/time.ts";
import type { IdentifiedFinding } from "../../domain/investigation.ts";
import type { ReasonerInput, ReasonerOutput } from "../reasoner.ts";
import { holds } from "./conditions.ts";
import type { CauseRule, RuleSet, Signal } from "./rule-types.ts";
import type { Scoring } from "./rules-schema.ts";

interface Scored {
  id: string;
  node: string;
  score: number;
  supporting: IdentifiedFinding[];
  contrary: IdentifiedFinding[];
  contraryWhy: string[];
  demotedBy?: string;
  rule: CauseRule;
}

function matches(signal: Signal, finding: IdentifiedFinding, window: WindowMs, floor: Severity): boolean {
  if (!signal.kinds.includes(finding.kind)) return false;
  if (!atLeast(finding.severity, signal.minSeverity ?? floor)) return false;
  return signal.where ? holds(signal.where, finding, window) : true;
}

function weightOf(signal: Signal, finding: IdentifiedFinding, window: WindowMs, scoring: Scoring): number {
  return signal.weight * (scoring.severityFactor[finding.severity] ?? 1) * recencyFactor(finding, window, scoring);
}

/**
 * Evidence that stopped well before the incident counts for less; evidence without a time counts
 * fully (facts: configuration, counters).
 */
export function recencyFactor(finding: IdentifiedFinding, window: WindowMs, scoring: Scoring): number {
  if (!finding.lastSeen || !Number.isFinite(window.end)) return 1;
  const age = window.end - Date.parse(finding.lastSeen);
  for (const step of scoring.recency) if (step.within === undefined || age <= step.within) return step.factor;
  return 1;
}

function scoreRule(
  rule: CauseRule,
  node: string,
  findings: readonly IdentifiedFinding[],
  window: WindowMs,
  scoring: Scoring,
): Scored | undefined {
  // requires and supports count symptoms (above info); contrary evidence may be a plain fact.
  const symptom = (signal: Signal, f: IdentifiedFinding) => matches(signal, f, window, "low");
  const supporting: IdentifiedFinding[] = [];
  let required = 0;
  for (const signal of rule.requires) {
    for (const f of findings) {
      if (!symptom(signal, f)) continue;
      required = Math.max(required, weightOf(signal, f, window, scoring));
      if (!supporting.includes(f)) supporting.push(f);
    }
  }
  if (required === 0) return undefined;
  let score = required;
  for (const signal of rule.supports) {
    const hit = findings.filter((f) => symptom(signal, f));
    if (hit.length === 0) continue;
    score += Math.max(...hit.map((f) => weightOf(signal, f, window, scoring)));
    for (const f of hit) if (!supporting.includes(f)) supporting.push(f);
  }
  const contrary: IdentifiedFinding[] = [];
  const contraryWhy: string[] = [];
  for (const signal of rule.contrary) {
    const hit = findings.filter((f) => matches(signal, f, window, "info"));
    if (hit.length === 0) continue;
    score -= signal.weight;
    contraryWhy.push(signal.why);
    for (const f of hit) if (!contrary.includes(f)) contrary.push(f);
  }
  return { id: rule.id, node, score, supporting, contrary, contraryWhy, rule };
}

/** Score → confidence in (0, 1): saturating, so strong evidence approaches but never reaches 1. */
function confidence(score: number): number {
  if (score <= 0) return 0;
  return Math.round((1 - Math.exp(-score)) * 100) / 100;
}

/** The rules reasoner's core: pure over findings. */
export function evaluateRules(ruleSet: RuleSet, input: ReasonerInput): ReasonerOutput {
  const { scoring, rules } = ruleSet;
  if (input.coverage.toolCalls === 0 || input.coverage.ratio < scoring.minCoverage) {
    return {
      verdict: "inconclusive",
      rootCauses: [
        {
          id: "none",
          confidence: scoring.inconclusive.confidence,
          summary: `Too little evidence could be read to say anything (${Math.round(input.coverage.ratio * 100)}% of tool calls read their sources)`,
          nodes: [...input.nodes],
          supporting: [],
          contrary: [],
          ruledOut: [],
        },
      ],
    };
  }
  const scored: Scored[] = [];
  for (const node of input.nodes) {
    const findings = input.findings.filter((f) => f.node === node);
    for (const rule of rules) {
      const s = scoreRule(rule, node, findings, input.window, scoring);
      if (s) scored.push(s);
    }
  }
  // A downstream symptom never outranks its upstream cause on the same node.
  for (const upstream of scored) {
    if (upstream.score <= 0) continue;
    for (const id of upstream.rule.explains) {
      for (const down of scored.filter((s) => s.node === upstream.node && s.id === id && s !== upstream)) {
        if (down.score >= upstream.score * scoring.downstreamFactor || down.demotedBy === undefined) {
          down.score = Math.min(down.score, upstream.score) * scoring.downstreamFactor;
          down.demotedBy = upstream.id;
        }
      }
    }
  }
  // Merge nodes: one entry per cause, its confidence from the best node, boosted a little by breadth.
  const byId = new Map<string, Scored[]>();
  for (const s of scored) byId.set(s.id, [...(byId.get(s.id) ?? []), s]);
  const causes: Array<{ cause: RootCause; score: number; demotedBy?: string; contraryWhy: string[] }> = [];
  for (const [id, entries] of byId) {
    const positive = entries.filter((e) => e.score > 0);
    const best = Math.max(...entries.map((e) => e.score));
    const breadth = positive.length > 1 ? scoring.breadthPerDoubling * Math.log2(positive.length) : 0;
    const first = entries[0] as Scored;
    const cause: RootCause = {
      id,
      confidence: confidence(best + breadth),
      summary: first.rule.summary,
      nodes: (positive.length ? positive : entries).map((e) => e.node),
      supporting: unique(entries.flatMap((e) => e.supporting.map((f) => f.id))),
      contrary: unique(entries.flatMap((e) => e.contrary.map((f) => f.id))),
      ruledOut: [],
    };
    const demoted = entries.find((e) => e.demotedBy)?.demotedBy;
    causes.push({
      cause,
      score: best,
      contraryWhy: unique(entries.flatMap((e) => e.contraryWhy)),
      ...(demoted ? { demotedBy: demoted } : {}),
    });
  }
  causes.sort(
    (a, b) =>
      b.cause.confidence - a.cause.confidence ||
      b.cause.supporting.length - a.cause.supporting.length ||
      a.cause.id.localeCompare(b.cause.id),
  );

  const ruledOut: RuledOut[] = causes
    .filter((c) => c.cause.confidence < scoring.minConfidence || c !== causes[0])
    .map((c) => ({ id: c.cause.id, reason: lostBecause(c, causes[0]?.cause, scoring) }));
  const answers = causes.filter((c) => c.cause.confidence >= scoring.minConfidence).map((c) => c.cause);
  if (answers.length === 0) {
    return {
      verdict: "nothing-found",
      rootCauses: [
        {
          id: "none",
          confidence: noneConfidence(input, causes.length, scoring),
          summary:
            "Nothing below the kubelet explains this incident: the node-level evidence is healthy or only shows application-level signals",
          nodes: [...input.nodes],
          supporting: input.findings.filter((f) => ruleSet.applicationKinds.has(f.kind)).map((f) => f.id),
          contrary: [],
          ruledOut: ruledOut.filter((r) => r.id !== "none"),
        },
      ],
    };
  }
  const [top, ...rest] = answers as [RootCause, ...RootCause[]];
  top.ruledOut = ruledOut.filter((r) => r.id !== top.id);
  for (const other of rest) other.ruledOut = [];
  return { verdict: "explained", rootCauses: [top, ...rest] };
}

function noneConfidence(input: ReasonerInput, considered: number, scoring: Scoring): number {
  const { base, perCoverage, perCauseConsidered, floor } = scoring.nothingFound;
  return (
    Math.round(Math.max(floor, base + perCoverage * input.coverage.ratio - perCauseConsidered * considered) * 100) / 100
  );
}

function lostBecause(
  c: { cause: RootCause; demotedBy?: string; contraryWhy: string[] },
  winner: RootCause | undefined,
  scoring: Scoring,
): string {
  if (c.demotedBy) return `a downstream symptom of ${c.demotedBy}`;
  if (c.contraryWhy.length) return `argued against: ${c.contraryWhy.join("; ")}`;
  if (c.cause.confidence < scoring.minConfidence) return `weak evidence (confidence ${c.cause.confidence})`;
  return winner ? `less supported than ${winner.id} (${c.cause.confidence} vs ${winner.confidence})` : "less supported";
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}
