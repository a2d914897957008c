import { InstanceIdSchema } from "../domain/node-ref.ts";
import { RemediationProposalSchema, planHash, type Approval, type RemediationProposal } from "../domain/remediation.ts";
import { remediationFor } from "../catalog/remediations.ts";
import { documentParameterSchema, documentSpec } from "../catalog/ssm-documents.ts";
import { isRootCauseId } from "../domain/root-causes.ts";
import {
  AccountIdSchema,
  ClusterNameSchema,
  OsUserSchema,
  RegionSchema,
  executionAllowed,
  type CheckResult,
  type Policy,
} from "./policy.ts";

/**
 * The security boundary in front of every side effect: pure predicates over a proposal, the
 * policy and where and by whom it would run. Nothing here trims, normalizes or repairs a value: a
 * value that is not exactly right is refused, and the reason says which and why.
 */

export type ApprovalRecord = Pick<
  Approval,
  "proposalId" | "planHash" | "decision" | "approver" | "decidedAt" | "expiresAt"
>;

export interface ProposalCheckContext {
  /** `approve`: a person is about to decide; `execute`: the approved plan is about to run. */
  stage: "approve" | "execute";
  now: Date;
  /** Where the execution would run: the AWS account and region of the SSM client, the EKS cluster. */
  target: { account?: string; region?: string; cluster?: string };
  /** Instance ids of the nodes the investigation looked at: targets must be among them. */
  investigatedInstances: readonly string[];
  /** Stage `approve`: the OS user at the prompt. */
  approver?: string;
  /** Stage `execute`: the recorded decision the run relies on. */
  approval?: ApprovalRecord;
}

const RUNNABLE_STATUSES = new Set(["pending", "approved", "executing"]);

/** Every reason the proposal may not go ahead at this stage; `ok` only when there is none. */
export function checkProposal(
  policy: Policy | undefined,
  proposal: RemediationProposal,
  context: ProposalCheckContext,
): CheckResult {
  const allowed = executionAllowed(policy);
  if (!allowed.ok || !policy) return allowed;
  const shape = RemediationProposalSchema.safeParse(proposal);
  if (!shape.success)
    return refuse([
      `the proposal is malformed: ${shape.error.issues.map((i) => `${i.path.join(".") || "(top level)"} ${i.message}`).join("; ")}`,
    ]);

  const reasons: string[] = [];
  reasons.push(...checkPlan(policy, proposal));
  reasons.push(...checkTargets(policy, proposal.targets, context.investigatedInstances));
  reasons.push(...checkScope(policy, context.target));
  reasons.push(
    ...(context.stage === "approve"
      ? checkApprover(policy, context.approver)
      : checkApproval(policy, proposal, context)),
  );
  return reasons.length ? refuse(reasons) : { ok: true };
}

/** The document, its parameters, the catalog's risk and the plan hash. */
function checkPlan(policy: Policy, p: RemediationProposal): string[] {
  const reasons: string[] = [];
  if (!p.executable || p.status === "advice") return ["the proposal is advice: nothing in it is executable"];
  if (!RUNNABLE_STATUSES.has(p.status))
    reasons.push(`the proposal is ${show(p.status)}: only a pending or approved proposal may go ahead`);

  const template = isRootCauseId(p.rootCause) ? remediationFor(p.rootCause) : undefined;
  if (template?.kind !== "action" || template.document !== p.document) {
    reasons.push(
      `the remediation catalog does not answer root cause ${show(p.rootCause)} with document ${show(p.document)}`,
    );
  } else if (template.risk !== p.risk) {
    reasons.push(`the proposal says risk ${show(p.risk)} but the catalog rates ${p.document} ${template.risk}`);
  }
  if (!policy.documents.allow.includes(p.document))
    reasons.push(`the policy does not allow document ${show(p.document)}`);

  const spec = documentSpec(p.document);
  const schema = documentParameterSchema(p.document);
  if (spec && schema) {
    const parsed = schema.safeParse(p.parameters);
    if (!parsed.success)
      for (const issue of parsed.error.issues)
        reasons.push(`parameter ${issue.path.map(String).join(".") || "(all)"}: ${issue.message}`);
    const named = p.parameters[spec.targetParameter];
    if (!Array.isArray(named) || !sameSet(named, p.targets))
      reasons.push(`parameter ${spec.targetParameter} must list exactly the proposal's targets`);
    if (p.parameters.AutomationAssumeRole !== policy.execution.assumeRole)
      reasons.push("parameter AutomationAssumeRole is not the role the policy names (execution.assumeRole)");
  }

  if (p.policyVersion !== policy.version)
    reasons.push(
      `the plan was made under policy ${show(p.policyVersion)}, not the current ${policy.version}: propose it again`,
    );
  const recomputed = planHash({
    document: p.document,
    parameters: p.parameters,
    targets: p.targets,
    policyVersion: p.policyVersion,
  });
  if (recomputed !== p.planHash) reasons.push("the plan does not match its hash: it was changed after it was made");

  const waived =
    policy.documents.waiveApproval.includes(p.document) &&
    p.risk !== "high" &&
    template?.kind === "action" &&
    template.risk !== "high";
  if (!p.requiresApproval && !waived)
    reasons.push(`${p.document} needs a person's approval under this policy; the proposal says it does not`);
  return reasons;
}

function checkTargets(policy: Policy, targets: readonly string[], investigated: readonly string[]): string[] {
  const reasons: string[] = [];
  if (targets.length === 0) reasons.push("the plan has no target");
  if (targets.length > policy.execution.maxTargets)
    reasons.push(
      `the plan targets ${targets.length} instances; the policy allows at most ${policy.execution.maxTargets}`,
    );
  if (new Set(targets).size !== targets.length) reasons.push("the plan names a target twice");
  for (const target of targets.slice(0, 100)) {
    if (!InstanceIdSchema.safeParse(target).success)
      reasons.push(`target ${show(target)} is not an EC2 instance id (i- and 8 or 17 lowercase hex digits)`);
    else if (!investigated.includes(target))
      reasons.push(`target ${show(target)} is not one of the investigated nodes`);
  }
  return reasons;
}

function checkScope(policy: Policy, target: ProposalCheckContext["target"]): string[] {
  const fields = [
    ["account", target.account, AccountIdSchema, policy.scope.accounts],
    ["region", target.region, RegionSchema, policy.scope.regions],
    ["cluster", target.cluster, ClusterNameSchema, policy.scope.clusters],
  ] as const;
  const reasons: string[] = [];
  for (const [what, value, schema, inScope] of fields) {
    if (value === undefined)
      reasons.push(`the ${what} the plan would run in is unknown: fathom acts only where the policy's scope says`);
    else if (!schema.safeParse(value).success) reasons.push(`${show(value)} is not a valid ${what}`);
    else if (!inScope.includes(value)) reasons.push(`${what} ${show(value)} is outside the policy's scope`);
  }
  return reasons;
}

function checkApprover(policy: Policy, user: string | undefined): string[] {
  if (user === undefined) return ["no approver: a person at a terminal must decide"];
  if (!OsUserSchema.safeParse(user).success) return [`${show(user)} is not an OS user name`];
  return policy.approval.approvers.includes(user) ? [] : [`user ${show(user)} may not approve under this policy`];
}

function checkApproval(policy: Policy, p: RemediationProposal, context: ProposalCheckContext): string[] {
  const waived = !p.requiresApproval;
  const a = context.approval;
  if (!a) return waived ? [] : ["the plan has no approval"];
  const reasons: string[] = [];
  if (a.decision !== "approved") reasons.push("the plan was rejected");
  if (a.proposalId !== p.id) reasons.push("the approval is for another proposal");
  if (a.planHash !== p.planHash)
    reasons.push("the approval is for another plan: the plan changed after it was approved");
  reasons.push(...checkApprover(policy, a.approver.user).map((r) => `approval: ${r}`));
  const decided = Date.parse(a.decidedAt);
  const expires = Date.parse(a.expiresAt);
  const now = context.now.getTime();
  if (Number.isNaN(decided) || Number.isNaN(expires)) reasons.push("the approval's times are not valid instants");
  else {
    if (decided > now) reasons.push("the approval is dated in the future");
    if (expires - decided > policy.approval.ttlMs)
      reasons.push("the approval claims to hold longer than the policy's approval ttl");
    if (now >= expires || now - decided >= policy.approval.ttlMs) reasons.push("the approval has expired");
  }
  return reasons;
}

function sameSet(a: readonly unknown[], b: readonly string[]): boolean {
  return (
    a.length === b.length && new Set(a).size === a.length && a.every((x) => typeof x === "string" && b.includes(x))
  );
}

function refuse(reasons: string[]): CheckResult {
  return { ok: false, reasons: reasons.map(printable) };
}

/** A value quoted for a message, clipped, with every non-printable or non-ASCII character escaped. */
function show(value: unknown): string {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  return `"${text.length > 64 ? `${text.slice(0, 64)}…` : text}"`;
}

// Reasons reach a terminal: control characters, bidi overrides and look-alikes are shown as escapes.
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e…–—×]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
