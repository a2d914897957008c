import type { Incident } from "./incident.ts";
import type { LaneName } from "./lane.ts";
import type { Coverage, ReportGap, Verdict } from "./report.ts";
import type { RootCause } from "./root-cause.ts";
import type { Finding } from "./finding.ts";
import type { TimeWindow } from "./time.ts";
import type { Approval, RemediationProposal } from "./remediation.ts";
import type { Report } from "./report.ts";
import type { CallSummary, LaneResult } from "./tool-call.ts";

/**
 * The investigation's own contract: what goes into the machine, what it carries from state to
 * state (and persists), and what comes out. Every stage (lanes, synthesis, report, remediation,
 * store) speaks these types; none of them needs the coordinator that runs them.
 */

export interface InvestigationLimits {
  /** Concurrent tool calls per lane. */
  laneConcurrency: number;
  /** Concurrent tool calls across the investigation. */
  overallConcurrency: number;
  callTimeoutMs: number;
  laneDeadlineMs: number;
  /** Tool calls one lane may start. */
  laneBudget: number;
  scopeTimeoutMs: number;
  synthesisTimeoutMs: number;
}

export const DEFAULT_LIMITS: InvestigationLimits = {
  laneConcurrency: 4,
  overallConcurrency: 16,
  callTimeoutMs: 30_000,
  laneDeadlineMs: 120_000,
  laneBudget: 200,
  scopeTimeoutMs: 10_000,
  synthesisTimeoutMs: 30_000,
};

/** A node the investigation may look at, as the evidence provider knows it. */
export interface NodeInfo {
  node: string;
  instanceId?: string;
  bundle: string;
  collectedAt?: number;
  collectedFrom: string;
  /** How long before the incident the bundle was collected, when that is too long to trust it. */
  staleByMs?: number;
}

export interface Scope {
  nodes: NodeInfo[];
  window: TimeWindow;
  /** Why nothing will be investigated, when that is the answer. */
  refused?: string;
}

export type IdentifiedFinding = Finding & { id: string; lane: LaneName };

/** What synthesis concludes, with everything the report is built from (no second pass over the lanes). */
export interface Synthesis {
  /** Every distinct call, in the fixed order node → lane → tool that finding ids follow. */
  calls: CallSummary[];
  findings: IdentifiedFinding[];
  rootCauses: RootCause[];
  verdict: Verdict;
  coverage: Coverage;
  gaps: ReportGap[];
  durationMs: number;
  /** When synthesis finished (epoch ms): the report's total time ends here. */
  finishedAt: number;
}

export interface RemediationSettings {
  enabled: boolean;
  approvalTtlMs: number;
  executionTimeoutMs: number;
  /** Where fresh evidence for verification comes from (kept in the snapshot for `fathom approve`). */
  verification?: { scenarioDir?: string; bundlesDir?: string };
}

export interface ExecutionOutcome {
  executionId: string;
  status: string;
  clientToken: string;
  failureMessage?: string;
}

export interface VerificationOutcome {
  cleared: boolean;
  /** Finding kinds that were expected to clear and are still present. */
  remaining: string[];
  tool: string;
  source: string;
}

export interface InvestigationInput {
  investigationId: string;
  /** When the investigation started (epoch ms), from the investigator's clock. */
  startedAt: number;
  incident: Incident;
  /** Explicit window (`--at`/`--since`); otherwise derived from the incident and bundles. */
  window?: TimeWindow;
  limits: InvestigationLimits;
  remediation?: RemediationSettings;
}

export interface InvestigationContext extends InvestigationInput {
  scope?: Scope;
  lanes: Partial<Record<LaneName, LaneResult>>;
  synthesis?: Synthesis;
  /** Built once, when the machine reaches `reported`; stored and shown as is from then on. */
  report?: Report;
  failure?: string;
  proposals?: RemediationProposal[];
  approval?: Approval;
  /** Decisions the gate refused (a changed plan, an expired or replayed approval), said plainly. */
  refusals?: string[];
  execution?: ExecutionOutcome;
  verification?: VerificationOutcome;
}

/** Where an investigation stopped, with its context. */
export interface InvestigationOutcome {
  /** reported: a report exists (whatever happened to remediation); refused; failed before a report. */
  state: "reported" | "refused" | "failed";
  /** The machine state it stopped in (done, awaitingApproval, rejected, expired, failed, …). */
  final: string;
  context: InvestigationContext;
}
