import type { Approval, RemediationProposal } from "./remediation.ts";

/**
 * Whether a decision applies to this exact plan: the same proposal, the same plan hash, and not
 * expired when it arrived. Pure: the approval gate's guards and `fathom approve` both ask it.
 */
export function checkDecision(
  proposal: RemediationProposal,
  approval: Approval,
  at: string,
): { ok: true } | { ok: false; reason: string } {
  if (approval.proposalId !== proposal.id)
    return { ok: false, reason: `the decision is for proposal ${approval.proposalId}, not ${proposal.id}` };
  if (approval.planHash !== proposal.planHash)
    return {
      ok: false,
      reason: "the plan changed after it was approved (plan hash differs): a new approval is needed",
    };
  if (Date.parse(at) > Date.parse(approval.expiresAt))
    return { ok: false, reason: `the approval expired at ${approval.expiresAt}` };
  if (Date.parse(approval.decidedAt) > Date.parse(at) + 60_000)
    return { ok: false, reason: "the decision is dated in the future" };
  return { ok: true };
}
