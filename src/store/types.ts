import type { Incident } from "../domain/incident.ts";
import type { NodeRef } from "../domain/node-ref.ts";
import type { Approval, Approver, Execution, ProposalStatus, RemediationProposal } from "../domain/remediation.ts";
import type { Report } from "../domain/report.ts";

/** Where the store reads the time: injected so tests and replays are deterministic. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

// ── investigations ────────────────────────────────────────────────────────────────────────────

/** xstate's persisted-snapshot status: only `active` investigations are resumed. */
export type SnapshotStatus = "active" | "done" | "error" | "stopped";

export interface InvestigationRecord {
  id: string;
  incidentKey?: string;
  /** Top-level machine state (`investigating`, `awaitingApproval`, `done`, …). */
  state: string;
  status: SnapshotStatus;
  /** The xstate persisted snapshot, as saved on the last transition (redacted). */
  snapshot?: unknown;
  report?: Report;
  createdAt: string;
  updatedAt: string;
}

export interface InvestigationSummary {
  id: string;
  incidentKey?: string;
  state: string;
  status: SnapshotStatus;
  title?: string;
  verdict?: Report["verdict"];
  rootCause?: { id: string; confidence: number };
  pendingProposals: number;
  createdAt: string;
  updatedAt: string;
}

export interface ListInvestigationsOptions {
  /** Top-level states to keep (any when absent or empty). */
  states?: readonly string[];
  status?: SnapshotStatus;
  limit?: number;
}

// ── incidents and alarms ──────────────────────────────────────────────────────────────────────

export type IncidentStatus = "open" | "resolved";

export interface IncidentRecord {
  /** The receivers' incident key (src/triggers/incident-key.ts): opaque to the store. */
  key: string;
  cluster?: string;
  alarm: string;
  nodes: NodeRef[];
  status: IncidentStatus;
  investigationId?: string;
  firstSeen: string;
  lastSeen: string;
  resolvedAt?: string;
  alarmCount: number;
  /** Receivers that carried the alarm (alertmanager, sns, eventbridge, …), first seen first. */
  sources: string[];
}

export interface OpenIncidentInput {
  key: string;
  cluster?: string;
  alarm: string;
  nodes: NodeRef[];
  source: string;
  /** The investigation to start when this opens (or reopens) the incident. */
  investigationId: string;
  at?: number;
}

/** opened/reopened: a new investigation row exists; attached: the alarm joined the running one. */
export type OpenIncidentOutcome = "opened" | "reopened" | "attached";

export type AlarmOutcome = "investigation-started" | "attached" | "resolved" | "no-investigation";

export interface AlarmInput {
  receiver: string;
  /** The normalized alarm. */
  incident: Incident;
  status: "firing" | "resolved";
  incidentKey?: string;
  outcome: AlarmOutcome;
  /** Why no investigation started (no node named, cluster out of policy, …). */
  reason?: string;
  receivedAt?: number;
}

export interface AlarmRecord extends Omit<AlarmInput, "receivedAt"> {
  id: number;
  receivedAt: string;
}

// ── remediation ───────────────────────────────────────────────────────────────────────────────

export interface SavedProposal {
  proposal: RemediationProposal;
  /** false when the same proposal (investigation, root cause, document, plan hash) already existed. */
  created: boolean;
}

export type DecisionResult =
  | { ok: true; approval: Approval }
  | {
      ok: false;
      reason: "replayed" | "already-decided" | "plan-changed" | "unknown-proposal" | "not-pending";
      message: string;
    };

export interface BeginExecutionInput {
  proposalId: string;
  approvalId: string;
  clientToken: string;
  id?: string;
  status?: string;
  startedAt?: number;
}

export interface StartedExecution {
  execution: Execution;
  /** false when an execution with this client token already existed (a retry or a restored run). */
  created: boolean;
}

export interface ExecutionUpdate {
  executionId?: string;
  status?: string;
  finishedAt?: number;
  error?: string;
}

export interface VerificationInput {
  proposalId: string;
  cleared: boolean;
  remaining: string[];
  tool: string;
  source: string;
}

export interface ProposalFilter {
  investigationId?: string;
  status?: ProposalStatus;
}

// ── audit ─────────────────────────────────────────────────────────────────────────────────────

export const AUDIT_TYPES = ["proposal", "decision", "execution", "verification", "investigation", "incident"] as const;
export type AuditType = (typeof AUDIT_TYPES)[number];

export interface AuditInput {
  type: AuditType;
  /** What the record is about: a proposal, investigation or incident id/key. */
  subject: string;
  /** Who did it; absent for fathom's own actions. */
  actor?: Approver;
  data: Record<string, unknown>;
}

export interface AuditRecord {
  seq: number;
  at: string;
  type: AuditType;
  subject: string;
  actor: Approver | null;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export type AuditProblem = "edited" | "deleted" | "reordered" | "truncated" | "malformed";

export interface AuditVerification {
  ok: boolean;
  /** Rows in the audit table. */
  records: number;
  /** Records checked good before the first bad one (all of them when ok). */
  verified: number;
  byType: Record<AuditType, number>;
  /** Last record's seq and hash: note it elsewhere to detect a wholesale rewrite later. */
  head?: { seq: number; hash: string };
  firstBad?: { seq: number; problem: AuditProblem; reason: string };
  /** false when the append-only triggers were dropped: someone bypassed fathom. */
  triggersIntact: boolean;
}

// ── the store ─────────────────────────────────────────────────────────────────────────────────

/**
 * fathom's durable state. Every value written is redacted first; every write is one
 * BEGIN IMMEDIATE transaction, so two processes on one file never interleave half-writes.
 */
export interface Store {
  readonly path: string;
  readonly schemaVersion: number;

  /** Runs `fn` in one write transaction (nested calls join the outer one). `fn` must be synchronous. */
  atomically<T>(fn: () => T): T;

  saveSnapshot(id: string, snapshot: unknown, state: string, options?: { incidentKey?: string }): void;
  saveReport(id: string, report: Report): void;
  getInvestigation(id: string): InvestigationRecord | undefined;
  listInvestigations(options?: ListInvestigationsOptions): InvestigationSummary[];
  /** Investigations whose snapshot is still active: what `fathom serve` resumes after a restart. */
  resumableInvestigations(): InvestigationRecord[];

  openIncident(input: OpenIncidentInput): { incident: IncidentRecord; outcome: OpenIncidentOutcome };
  resolveIncident(key: string, options?: { at?: number; source?: string }): IncidentRecord | undefined;
  getIncident(key: string): IncidentRecord | undefined;
  recordAlarm(input: AlarmInput): AlarmRecord;
  listAlarms(options?: { incidentKey?: string; limit?: number }): AlarmRecord[];

  saveProposal(proposal: RemediationProposal): SavedProposal;
  getProposal(id: string): RemediationProposal | undefined;
  listProposals(filter?: ProposalFilter): RemediationProposal[];
  setProposalStatus(id: string, status: ProposalStatus, reason?: string): RemediationProposal;
  recordDecision(approval: Approval): DecisionResult;
  getApproval(id: string): Approval | undefined;
  beginExecution(input: BeginExecutionInput): StartedExecution;
  updateExecution(clientToken: string, update: ExecutionUpdate): Execution;
  getExecution(clientToken: string): Execution | undefined;
  recordVerification(input: VerificationInput): RemediationProposal;

  appendAudit(input: AuditInput): AuditRecord;
  listAudit(options?: { subject?: string; type?: AuditType }): AuditRecord[];
  verifyAudit(): AuditVerification;

  close(): void;
}
