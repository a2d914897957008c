import type { Incident } from "../domain/incident.ts";
import type { LaneName } from "../domain/lane.ts";
import type { Coverage, ReportGap, Verdict } from "../domain/report.ts";
import type { RootCause } from "../domain/root-cause.ts";
import type { Finding } from "../domain/finding.ts";
import type { TimeWindow } from "../domain/time.ts";
import type { Approval, RemediationProposal } from "../domain/remediation.ts";
import type { LaneResult } from "./lane-runner.ts";

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

export interface Synthesis {
  findings: IdentifiedFinding[];
  rootCauses: RootCause[];
  verdict: Verdict;
  coverage: Coverage;
  gaps: ReportGap[];
  durationMs: number;
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
  failure?: string;
  proposals?: RemediationProposal[];
  approval?: Approval;
  /** Decisions the gate refused (a changed plan, an expired or replayed approval), said plainly. */
  refusals?: string[];
  execution?: ExecutionOutcome;
  verification?: VerificationOutcome;
}
