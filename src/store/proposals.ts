import {
  ApprovalSchema,
  ProposalStatusSchema,
  RemediationProposalSchema,
  type Approval,
  type ProposalStatus,
  type RemediationProposal,
} from "../domain/remediation.ts";
import { appendAudit } from "./audit.ts";
import { defined, json, optionalText, text, type Row, type StoreContext } from "./context.ts";
import { StoreError } from "./errors.ts";
import { checkedId, redactForStore } from "./redact.ts";
import type { DecisionResult, ProposalFilter, SavedProposal } from "./types.ts";

/**
 * Where a proposal may go from each status. Approval and execution states are reached only through
 * recordDecision / beginExecution / updateExecution / recordVerification, which check their own rules.
 */
const NEXT: Record<ProposalStatus, readonly ProposalStatus[]> = {
  pending: ["approved", "rejected", "expired"],
  approved: ["executing", "expired", "failed"],
  executing: ["succeeded", "failed"],
  succeeded: ["verified", "not-verified"],
  failed: [],
  rejected: [],
  expired: [],
  verified: [],
  "not-verified": [],
  advice: [],
};

function toProposal(row: Row): RemediationProposal {
  return { ...json<RemediationProposal>(row, "body"), status: text(row, "status") as ProposalStatus };
}

export function getProposal(ctx: StoreContext, id: string): RemediationProposal | undefined {
  const row = ctx.sql("SELECT * FROM proposals WHERE id = ?").get(id) as Row | undefined;
  return row ? toProposal(row) : undefined;
}

export function listProposals(ctx: StoreContext, filter: ProposalFilter = {}): RemediationProposal[] {
  const rows = ctx
    .sql(
      "SELECT * FROM proposals WHERE (:investigationId IS NULL OR investigation_id = :investigationId) AND (:status IS NULL OR status = :status) ORDER BY created_at, rowid",
    )
    .all({ investigationId: filter.investigationId ?? null, status: filter.status ?? null }) as Row[];
  return rows.map(toProposal);
}

/**
 * Saves a new proposal, or returns the one already stored for the same investigation, root
 * cause, document and plan hash: a resumed investigation proposing again creates nothing.
 */
export function saveProposal(ctx: StoreContext, input: RemediationProposal): SavedProposal {
  checkedId("proposal id", input.id);
  checkedId("investigation id", input.investigationId);
  const parsed = RemediationProposalSchema.safeParse(redactForStore(input));
  if (!parsed.success)
    throw new StoreError("invalid", `proposal ${input.id} is invalid: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  const proposal = parsed.data;
  if (proposal.status !== "pending" && proposal.status !== "advice") {
    throw new StoreError(
      "invalid",
      `a proposal is created pending (or as advice), not ${proposal.status}: decisions and executions are recorded separately`,
    );
  }
  return ctx.tx(() => {
    const same = ctx
      .sql(
        "SELECT * FROM proposals WHERE investigation_id = :investigationId AND root_cause = :rootCause AND document = :document AND plan_hash = :planHash",
      )
      .get({
        investigationId: proposal.investigationId,
        rootCause: proposal.rootCause,
        document: proposal.document,
        planHash: proposal.planHash,
      }) as Row | undefined;
    if (same) return { proposal: toProposal(same), created: false };
    if (getProposal(ctx, proposal.id))
      throw new StoreError("invalid", `proposal id ${proposal.id} already holds a different plan`);
    const now = ctx.nowIso();
    ctx
      .sql(
        `INSERT INTO proposals (id, investigation_id, root_cause, document, plan_hash, status, body, created_at, updated_at)
         VALUES (:id, :investigationId, :rootCause, :document, :planHash, :status, :body, :now, :now)`,
      )
      .run({
        id: proposal.id,
        investigationId: proposal.investigationId,
        rootCause: proposal.rootCause,
        document: proposal.document,
        planHash: proposal.planHash,
        status: proposal.status,
        body: JSON.stringify(proposal),
        now,
      });
    const {
      id,
      investigationId,
      rootCause,
      node,
      document,
      parameters,
      targets,
      risk,
      planHash,
      policyVersion,
      executable,
      requiresApproval,
      status,
    } = proposal;
    appendAudit(ctx, {
      type: "proposal",
      subject: id,
      data: {
        event: "proposed",
        investigationId,
        rootCause,
        node,
        document,
        parameters,
        targets,
        risk,
        planHash,
        policyVersion,
        executable,
        requiresApproval,
        status,
      },
    });
    return { proposal, created: true };
  });
}

/** Moves a proposal along NEXT (expired, failed, …) and audits the change; the same status is a no-op. */
export function setProposalStatus(
  ctx: StoreContext,
  id: string,
  status: ProposalStatus,
  reason?: string,
): RemediationProposal {
  ProposalStatusSchema.parse(status);
  return ctx.tx(() => {
    const current = getProposal(ctx, id);
    if (!current) throw new StoreError("not-found", `no proposal ${id}`);
    if (current.status === status) return current;
    if (!NEXT[current.status].includes(status))
      throw new StoreError("invalid", `proposal ${id} cannot go from ${current.status} to ${status}`);
    moveProposal(ctx, id, status);
    appendAudit(ctx, {
      type: "proposal",
      subject: id,
      data: {
        event: "status",
        from: current.status,
        to: status,
        planHash: current.planHash,
        ...(reason ? { reason } : {}),
      },
    });
    return getProposal(ctx, id) as RemediationProposal;
  });
}

/** Updates the status column without checks or audit: callers audit the event that caused it. */
export function moveProposal(ctx: StoreContext, id: string, status: ProposalStatus): void {
  ctx
    .sql("UPDATE proposals SET status = :status, updated_at = :now WHERE id = :id")
    .run({ id, status, now: ctx.nowIso() });
}

function toApproval(row: Row): Approval {
  const displayName = optionalText(row, "approver_name");
  return defined({
    id: text(row, "id"),
    proposalId: text(row, "proposal_id"),
    planHash: text(row, "plan_hash"),
    decision: text(row, "decision") as Approval["decision"],
    approver: defined({ user: text(row, "approver_user"), displayName }),
    reason: optionalText(row, "reason"),
    decidedAt: text(row, "decided_at"),
    expiresAt: text(row, "expires_at"),
  });
}

export function getApproval(ctx: StoreContext, id: string): Approval | undefined {
  const row = ctx.sql("SELECT * FROM approvals WHERE id = ?").get(id) as Row | undefined;
  return row ? toApproval(row) : undefined;
}

/**
 * Records a person's decision: once per approval id and once per (proposal, plan hash), only for
 * a pending proposal whose plan is the one approved. The decision and its audit record (who,
 * when, plan hash, reason) commit together.
 */
export function recordDecision(ctx: StoreContext, input: Approval): DecisionResult {
  checkedId("approval id", input.id);
  const parsed = ApprovalSchema.safeParse(redactForStore(input));
  if (!parsed.success)
    throw new StoreError("invalid", `approval ${input.id} is invalid: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  const approval = parsed.data;
  return ctx.tx((): DecisionResult => {
    const replay = getApproval(ctx, approval.id);
    if (replay)
      return {
        ok: false,
        reason: "replayed",
        message: `approval ${approval.id} was already recorded (${replay.decision} by ${replay.approver.user} at ${replay.decidedAt}): a replayed approval is refused`,
      };
    const proposal = getProposal(ctx, approval.proposalId);
    if (!proposal) return { ok: false, reason: "unknown-proposal", message: `no proposal ${approval.proposalId}` };
    const earlier = ctx
      .sql("SELECT * FROM approvals WHERE proposal_id = ? AND plan_hash = ?")
      .get(approval.proposalId, approval.planHash) as Row | undefined;
    if (earlier) {
      const first = toApproval(earlier);
      return {
        ok: false,
        reason: "already-decided",
        message: `proposal ${proposal.id} was already ${first.decision} for plan ${first.planHash} by ${first.approver.user} at ${first.decidedAt}`,
      };
    }
    if (approval.planHash !== proposal.planHash)
      return {
        ok: false,
        reason: "plan-changed",
        message: `the decision is for plan ${approval.planHash}, but proposal ${proposal.id} is plan ${proposal.planHash}: a changed plan needs a new approval`,
      };
    if (proposal.status !== "pending")
      return {
        ok: false,
        reason: "not-pending",
        message: `proposal ${proposal.id} is ${proposal.status}, not pending`,
      };
    ctx
      .sql(
        `INSERT INTO approvals (id, proposal_id, plan_hash, decision, approver_user, approver_name, reason, decided_at, expires_at, recorded_at)
         VALUES (:id, :proposalId, :planHash, :decision, :user, :displayName, :reason, :decidedAt, :expiresAt, :now)`,
      )
      .run({
        id: approval.id,
        proposalId: approval.proposalId,
        planHash: approval.planHash,
        decision: approval.decision,
        user: approval.approver.user,
        displayName: approval.approver.displayName ?? null,
        reason: approval.reason ?? null,
        decidedAt: approval.decidedAt,
        expiresAt: approval.expiresAt,
        now: ctx.nowIso(),
      });
    moveProposal(ctx, proposal.id, approval.decision);
    appendAudit(ctx, {
      type: "decision",
      subject: proposal.id,
      actor: approval.approver,
      data: {
        approvalId: approval.id,
        investigationId: proposal.investigationId,
        decision: approval.decision,
        approver: approval.approver,
        decidedAt: approval.decidedAt,
        expiresAt: approval.expiresAt,
        planHash: approval.planHash,
        document: proposal.document,
        targets: proposal.targets,
        reason: approval.reason ?? null,
      },
    });
    return { ok: true, approval };
  });
}
