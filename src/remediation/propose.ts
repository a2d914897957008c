import { createHash } from "node:crypto";
import { InstanceIdSchema, NodeNameSchema } from "../domain/node-ref.ts";
import { planHash, type ParameterValue, type RemediationProposal } from "../domain/remediation.ts";
import type { Report } from "../domain/report.ts";
import type { RootCause } from "../domain/root-cause.ts";
import type { Policy } from "../policy/policy.ts";
import { isRootCauseId } from "../domain/root-causes.ts";
import {
  remediationFor,
  type ActionTemplate,
  type AdviceTemplate,
  type TemplateFacts,
} from "../catalog/remediations.ts";
import { documentParameterSchema, documentSpec } from "../catalog/ssm-documents.ts";

/** policyVersion of a plan made without a policy file: such a plan never runs. */
export const NO_POLICY_VERSION = "none";

/**
 * The remediation proposals for a report: the exact plan for its top root cause, or advice. Pure.
 * Only an explained report gets one. An action becomes advice, with the reason first among its
 * steps, when it could not run as planned: no policy file, a document or cluster the policy does
 * not allow, a node without a known instance id, more targets than the policy allows, or no
 * parameter value that fits.
 */
export function proposeRemediations(report: Report, policy: Policy | undefined, now: Date): RemediationProposal[] {
  if (report.verdict !== "explained") return [];
  const cause = report.rootCauses[0];
  if (!cause || !isRootCauseId(cause.id)) return [];
  const template = remediationFor(cause.id);
  if (!template) return [];
  const base = { report, cause, policyVersion: policy?.version ?? NO_POLICY_VERSION, createdAt: now.toISOString() };
  if (template.kind === "advice") return [adviceProposal(base, template)];
  return [actionProposal(base, template, policy)];
}

interface Base {
  report: Report;
  cause: RootCause;
  policyVersion: string;
  createdAt: string;
}

function actionProposal(base: Base, template: ActionTemplate, policy: Policy | undefined): RemediationProposal {
  const { report, cause } = base;
  const spec = documentSpec(template.document);
  const schema = documentParameterSchema(template.document);
  if (!spec || !schema)
    return demoted(base, template, {}, [], `document ${template.document} is not one fathom can run`);

  const resolved = cause.nodes.map((node) => ({ node, instanceId: instanceIdOf(report, node) }));
  const targets = [...new Set(resolved.flatMap((r) => (r.instanceId ? [r.instanceId] : [])))].sort();
  const chosen = template.parameters?.(factsFor(report, cause.nodes)) ?? { ok: true as const, parameters: {} };
  const parameters: Record<string, ParameterValue> = {
    [spec.targetParameter]: targets,
    ...(policy ? { AutomationAssumeRole: policy.execution.assumeRole } : {}),
    ...(chosen.ok ? chosen.parameters : {}),
  };

  const unknown = resolved.filter((r) => !r.instanceId).map((r) => r.node);
  const reason =
    cause.nodes.length === 0
      ? "the root cause names no node to act on"
      : unknown.length
        ? `no EC2 instance id is known for ${unknown.map(nodeLabel).join(", ")}: fathom cannot target ${unknown.length === 1 ? "it" : "them"}`
        : !chosen.ok
          ? chosen.reason
          : policyReason(report, template, policy, targets.length);
  if (reason) return demoted(base, template, parameters, targets, reason);

  const checked = schema.safeParse(parameters);
  if (!checked.success)
    return demoted(
      base,
      template,
      parameters,
      targets,
      `the plan's parameters are invalid: ${checked.error.issues[0]?.message ?? "unknown"}`,
    );

  const requiresApproval = !(policy?.documents.waiveApproval.includes(template.document) && template.risk !== "high");
  return assemble(base, {
    summary: chosen.ok && chosen.note ? `${template.summary} (${chosen.note})` : template.summary,
    executable: true,
    document: template.document,
    parameters: checked.data as Record<string, ParameterValue>,
    targets,
    risk: template.risk,
    expectedEffect: template.expectedEffect,
    rollback: template.rollback,
    manualSteps: template.manualSteps.map((s) => withNodes(s, cause.nodes)),
    verification: { tool: template.verification.tool, clears: [...template.verification.clears] },
    requiresApproval,
    status: "pending",
  });
}

/** Why the policy stops this plan before anyone is asked; undefined when it does not. */
function policyReason(
  report: Report,
  template: ActionTemplate,
  policy: Policy | undefined,
  targets: number,
): string | undefined {
  if (!policy) return "no policy file: fathom investigates and executes nothing (this is the plan it would propose)";
  if (!policy.documents.allow.includes(template.document)) return `the policy does not allow ${template.document}`;
  const cluster = report.incident.cluster;
  if (cluster !== undefined && !policy.scope.clusters.includes(cluster))
    return `cluster ${cluster} is outside the policy's scope`;
  if (targets > policy.execution.maxTargets)
    return `the plan would touch ${targets} instances; the policy allows at most ${policy.execution.maxTargets} per execution`;
  return undefined;
}

/** An action that cannot run as planned: shown as advice, the plan kept for the person to read. */
function demoted(
  base: Base,
  template: ActionTemplate,
  parameters: Record<string, ParameterValue>,
  targets: string[],
  reason: string,
): RemediationProposal {
  return assemble(base, {
    summary: `Advice only — ${reason}. ${template.summary}`,
    executable: false,
    document: template.document,
    parameters,
    targets,
    risk: template.risk,
    expectedEffect: template.expectedEffect,
    rollback: template.rollback,
    manualSteps: [`Not executable: ${reason}.`, ...template.manualSteps.map((s) => withNodes(s, base.cause.nodes))],
    verification: { tool: template.verification.tool, clears: [...template.verification.clears] },
    requiresApproval: false,
    status: "advice",
  });
}

function adviceProposal(base: Base, template: AdviceTemplate): RemediationProposal {
  return assemble(base, {
    summary: template.summary,
    executable: false,
    document: "",
    parameters: {},
    targets: [],
    risk: "low",
    expectedEffect: "Nothing runs: a person carries out the steps.",
    rollback: "Nothing runs, so there is nothing to roll back.",
    manualSteps: template.steps.map((s) => withNodes(s, base.cause.nodes)),
    verification: { tool: template.verification.tool, clears: [...template.verification.clears] },
    requiresApproval: false,
    status: "advice",
  });
}

type Body = Omit<
  RemediationProposal,
  "id" | "investigationId" | "rootCause" | "node" | "policyVersion" | "planHash" | "createdAt"
>;

function assemble(base: Base, body: Body): RemediationProposal {
  const hash = planHash({
    document: body.document,
    parameters: body.parameters,
    targets: body.targets,
    policyVersion: base.policyVersion,
  });
  const id = `rem-${createHash("sha256").update(`${base.report.investigationId}\0${body.document}\0${hash}`).digest("hex").slice(0, 16)}`;
  return {
    id,
    investigationId: base.report.investigationId,
    rootCause: base.cause.id,
    node: base.cause.nodes.join(","),
    ...body,
    policyVersion: base.policyVersion,
    planHash: hash,
    createdAt: base.createdAt,
  };
}

/** The node's instance id from the report's nodes, else the incident's; the node itself when it is one. */
function instanceIdOf(report: Report, node: string): string | undefined {
  const candidates = [
    report.nodes.find((n) => n.node === node)?.instanceId,
    report.incident.nodes.find((n) => n.name === node || n.instanceId === node)?.instanceId,
    node,
  ];
  return candidates.find((c) => c !== undefined && InstanceIdSchema.safeParse(c).success);
}

function factsFor(report: Report, nodes: readonly string[]): TemplateFacts {
  const onNodes = report.findings.filter((f) => nodes.includes(f.node));
  return { attributes: (kind) => onNodes.filter((f) => f.kind === kind).map((f) => f.attributes) };
}

// Node names come from bundles: only a well-formed name is written into text a person reads.
function nodeLabel(node: string): string {
  return NodeNameSchema.safeParse(node).success || InstanceIdSchema.safeParse(node).success
    ? node
    : "a node with an unreadable name";
}

function withNodes(step: string, nodes: readonly string[]): string {
  const names = nodes.map(nodeLabel);
  return step.replaceAll("<nodes>", names.length === 0 ? "the node" : names.join(", "));
}
