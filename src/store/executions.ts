import {
  ExecutionSchema,
  type Execution,
  type ProposalStatus,
  type RemediationProposal,
} from "../domain/remediation.ts";
import { appendAudit } from "./audit.ts";
import { defined, optionalText, text, type Row, type StoreContext } from "./context.ts";
import { StoreError } from "./errors.ts";
import { getApproval, getProposal, moveProposal } from "./proposals.ts";
import { checkedId, redactForStore } from "./redact.ts";
import type { BeginExecutionInput, ExecutionUpdate, StartedExecution, VerificationInput } from "./types.ts";

/** SSM Automation's terminal statuses, and what each means for the proposal. */
const TERMINAL: Record<string, ProposalStatus> = {
  Success: "succeeded",
  CompletedWithSuccess: "succeeded",
  Failed: "failed",
  TimedOut: "failed",
  Cancelled: "failed",
  CompletedWithFailure: "failed",
  Rejected: "failed",
  ChangeCalendarOverrideRejected: "failed",
  Exited: "failed",
};

function toExecution(row: Row): Execution {
  return defined({
    id: text(row, "id"),
    proposalId: text(row, "proposal_id"),
    approvalId: text(row, "approval_id"),
    clientToken: text(row, "client_token"),
    executionId: optionalText(row, "execution_id"),
    status: text(row, "status"),
    startedAt: text(row, "started_at"),
    finishedAt: optionalText(row, "finished_at"),
    error: optionalText(row, "error"),
  });
}

export function getExecution(ctx: StoreContext, clientToken: string): Execution | undefined {
  const row = ctx.sql("SELECT * FROM executions WHERE client_token = ?").get(clientToken) as Row | undefined;
  return row ? toExecution(row) : undefined;
}

/**
 * Records the start of an SSM execution, once per client token: a retry or a restored
 * investigation gets the existing row back and must not call StartAutomationExecution with a new
 * token. Refused without a live approval of this exact plan, and for a second run of one approval.
 */
export function beginExecution(ctx: StoreContext, input: BeginExecutionInput): StartedExecution {
  checkedId("client token", input.clientToken);
  if (!ExecutionSchema.shape.clientToken.safeParse(input.clientToken).success)
    throw new StoreError("invalid", `client token ${input.clientToken} is not a UUID (SSM's ClientToken format)`);
  return ctx.tx((): StartedExecution => {
    const existing = getExecution(ctx, input.clientToken);
    if (existing) {
      if (existing.proposalId !== input.proposalId || existing.approvalId !== input.approvalId) {
        throw new StoreError(
          "invalid",
          `client token ${input.clientToken} already belongs to proposal ${existing.proposalId} / approval ${existing.approvalId}`,
        );
      }
      return { execution: existing, created: false };
    }
    const proposal = getProposal(ctx, input.proposalId);
    if (!proposal) throw new StoreError("not-found", `no proposal ${input.proposalId}`);
    const approval = getApproval(ctx, input.approvalId);
    if (!approval || approval.proposalId !== proposal.id)
      throw new StoreError(
        "not-approved",
        `proposal ${proposal.id} has no approval ${input.approvalId}: nothing runs without one`,
      );
    if (approval.decision !== "approved")
      throw new StoreError("not-approved", `proposal ${proposal.id} was rejected by ${approval.approver.user}`);
    if (approval.planHash !== proposal.planHash)
      throw new StoreError(
        "not-approved",
        `approval ${approval.id} is for plan ${approval.planHash}, not ${proposal.planHash}`,
      );
    const now = ctx.clock.now();
    if (Date.parse(approval.expiresAt) < now)
      throw new StoreError("not-approved", `approval ${approval.id} expired at ${approval.expiresAt}`);
    if (proposal.status !== "approved")
      throw new StoreError("not-approved", `proposal ${proposal.id} is ${proposal.status}, not approved`);
    const other = ctx.sql("SELECT client_token FROM executions WHERE approval_id = ?").get(approval.id) as
      Row | undefined;
    if (other)
      throw new StoreError(
        "invalid",
        `approval ${approval.id} already started an execution (client token ${String(other.client_token)})`,
      );

    const execution = ExecutionSchema.parse(
      redactForStore(
        defined({
          id: input.id ?? input.clientToken,
          proposalId: proposal.id,
          approvalId: approval.id,
          clientToken: input.clientToken,
          status: input.status ?? "Pending",
          startedAt: ctx.nowIso(input.startedAt ?? now),
        }),
      ),
    );
    ctx
      .sql(
        `INSERT INTO executions (id, client_token, proposal_id, approval_id, status, started_at, updated_at)
         VALUES (:id, :clientToken, :proposalId, :approvalId, :status, :startedAt, :now)`,
      )
      .run({
        id: execution.id,
        clientToken: execution.clientToken,
        proposalId: execution.proposalId,
        approvalId: execution.approvalId,
        status: execution.status,
        startedAt: execution.startedAt,
        now: ctx.nowIso(now),
      });
    moveProposal(ctx, proposal.id, "executing");
    appendAudit(ctx, {
      type: "execution",
      subject: proposal.id,
      data: {
        event: "started",
        clientToken: execution.clientToken,
        approvalId: approval.id,
        planHash: proposal.planHash,
        document: proposal.document,
        targets: proposal.targets,
        status: execution.status,
      },
    });
    return { execution, created: true };
  });
}

/** Records SSM's answer (execution id, status, error); a terminal status settles the proposal. */
export function updateExecution(ctx: StoreContext, clientToken: string, update: ExecutionUpdate): Execution {
  const patch = redactForStore(update);
  return ctx.tx(() => {
    const current = getExecution(ctx, clientToken);
    if (!current) throw new StoreError("not-found", `no execution with client token ${clientToken}`);
    const status = patch.status ?? current.status;
    const outcome = TERMINAL[status];
    const next: Execution = defined({
      ...current,
      executionId: patch.executionId ?? current.executionId,
      status,
      error: patch.error ?? current.error,
      finishedAt:
        patch.finishedAt !== undefined
          ? ctx.nowIso(patch.finishedAt)
          : (current.finishedAt ?? (outcome ? ctx.nowIso() : undefined)),
    });
    if (
      next.executionId === current.executionId &&
      next.status === current.status &&
      next.error === current.error &&
      next.finishedAt === current.finishedAt
    )
      return current;
    ctx
      .sql(
        "UPDATE executions SET execution_id = :executionId, status = :status, error = :error, finished_at = :finishedAt, updated_at = :now WHERE client_token = :clientToken",
      )
      .run({
        clientToken,
        executionId: next.executionId ?? null,
        status: next.status,
        error: next.error ?? null,
        finishedAt: next.finishedAt ?? null,
        now: ctx.nowIso(),
      });
    const proposal = getProposal(ctx, current.proposalId);
    if (outcome && proposal?.status === "executing") moveProposal(ctx, proposal.id, outcome);
    appendAudit(ctx, {
      type: "execution",
      subject: current.proposalId,
      data: defined({
        event: "status",
        clientToken,
        executionId: next.executionId,
        from: current.status,
        status: next.status,
        error: next.error,
        finishedAt: next.finishedAt,
      }),
    });
    return next;
  });
}

/** Records whether the finding cleared after a successful execution. */
export function recordVerification(ctx: StoreContext, input: VerificationInput): RemediationProposal {
  const stored = redactForStore(input);
  return ctx.tx(() => {
    const proposal = getProposal(ctx, input.proposalId);
    if (!proposal) throw new StoreError("not-found", `no proposal ${input.proposalId}`);
    const status: ProposalStatus = stored.cleared ? "verified" : "not-verified";
    if (proposal.status === status) return proposal;
    if (proposal.status !== "succeeded")
      throw new StoreError(
        "invalid",
        `proposal ${proposal.id} is ${proposal.status}: only a succeeded execution is verified`,
      );
    moveProposal(ctx, proposal.id, status);
    appendAudit(ctx, {
      type: "verification",
      subject: proposal.id,
      data: {
        cleared: stored.cleared,
        remaining: stored.remaining,
        tool: stored.tool,
        source: stored.source,
        planHash: proposal.planHash,
      },
    });
    return getProposal(ctx, proposal.id) as RemediationProposal;
  });
}
