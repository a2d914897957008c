import { createHash } from "node:crypto";
import { z } from "zod";
import { InstantSchema } from "./time.ts";

export const RiskSchema = z
  .enum(["low", "medium", "high"])
  .describe("How much a remediation can hurt if it goes wrong");
export type Risk = z.infer<typeof RiskSchema>;

export const ParameterValueSchema = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);
export type ParameterValue = z.infer<typeof ParameterValueSchema>;

/** What a plan changes: the three things approval binds to, with the policy version. */
export const PlanSchema = z.object({
  document: z.string().describe("SSM Automation document name"),
  parameters: z.record(z.string(), ParameterValueSchema).describe("Document parameters, zod-checked per document"),
  targets: z.array(z.string()).describe("EC2 instance ids"),
  policyVersion: z.string().describe("Version (hash) of the policy the plan was checked against"),
});
export type Plan = z.infer<typeof PlanSchema>;

export const ProposalStatusSchema = z.enum([
  "pending",
  "approved",
  "rejected",
  "expired",
  "executing",
  "succeeded",
  "failed",
  "verified",
  "not-verified",
  "advice",
]);
export type ProposalStatus = z.infer<typeof ProposalStatusSchema>;

export const RemediationProposalSchema = z
  .object({
    id: z.string(),
    investigationId: z.string(),
    rootCause: z.string(),
    node: z.string(),
    summary: z.string().describe("What the action does, in one sentence"),
    executable: z.boolean().describe("false for advice: a root cause no node action fixes"),
    document: z.string(),
    parameters: z.record(z.string(), ParameterValueSchema),
    targets: z.array(z.string()),
    risk: RiskSchema,
    expectedEffect: z.string(),
    rollback: z.string(),
    manualSteps: z.array(z.string()).describe("Prerequisites a person confirms (cordon/drain: SSM does not do them)"),
    verification: z.object({
      tool: z.string(),
      clears: z.array(z.string()).describe("Finding kinds that must be gone"),
    }),
    requiresApproval: z.boolean(),
    policyVersion: z.string(),
    planHash: z.string(),
    status: ProposalStatusSchema,
    createdAt: InstantSchema,
  })
  .describe("An exact remediation plan waiting for a person");
export type RemediationProposal = z.infer<typeof RemediationProposalSchema>;

export const ApproverSchema = z.object({
  user: z.string().min(1).describe("OS user that answered the prompt"),
  displayName: z.string().max(200).optional(),
});
export type Approver = z.infer<typeof ApproverSchema>;

export const ApprovalSchema = z.object({
  id: z.string(),
  proposalId: z.string(),
  planHash: z.string(),
  decision: z.enum(["approved", "rejected"]),
  approver: ApproverSchema,
  reason: z.string().max(2000).optional(),
  decidedAt: InstantSchema,
  expiresAt: InstantSchema,
});
export type Approval = z.infer<typeof ApprovalSchema>;

export const ExecutionStatusSchema = z.enum([
  "Pending",
  "InProgress",
  "Waiting",
  "Success",
  "TimedOut",
  "Cancelling",
  "Cancelled",
  "Failed",
  "CompletedWithSuccess",
  "CompletedWithFailure",
  "Rejected",
  "Approved",
  "Scheduled",
  "RunbookInProgress",
  "PendingApproval",
  "PendingChangeCalendarOverride",
  "ChangeCalendarOverrideApproved",
  "ChangeCalendarOverrideRejected",
  "Exited",
]);

export const ExecutionSchema = z.object({
  id: z.string(),
  proposalId: z.string(),
  approvalId: z.string(),
  clientToken: z.string().uuid(),
  executionId: z.string().optional(),
  status: z.string(),
  startedAt: InstantSchema,
  finishedAt: InstantSchema.optional(),
  error: z.string().optional(),
});
export type Execution = z.infer<typeof ExecutionSchema>;

/** Canonical JSON: keys sorted at every level, so equal plans hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The hash approval binds to: document, parameters, targets (order-free) and policy version. */
export function planHash(plan: Plan): string {
  const normalized = { ...plan, targets: [...plan.targets].sort() };
  return `sha256:${createHash("sha256").update(canonicalJson(normalized)).digest("hex")}`;
}
