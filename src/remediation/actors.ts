import { fromPromise } from "xstate";
import type { ExecutionOutcome, InvestigationContext, VerificationOutcome } from "../domain/investigation.ts";
import type { ExecuteActorInput, RemediationActorInput, SynthesisActorInput } from "../domain/investigation-events.ts";
import type { RemediationActors } from "../../workflows/investigation.machine.ts";
import type { Approval, RemediationProposal } from "../domain/remediation.ts";
import type { Report } from "../domain/report.ts";
import type { Logger } from "../logger.ts";
import { checkProposal, type ProposalCheckContext } from "../policy/policy-checks.ts";
import type { Policy } from "../policy/policy.ts";
import type { Store } from "../store/types.ts";
import { clientTokenFor } from "./client-token.ts";
import { proposeRemediations } from "./propose.ts";
import type { SsmExecutor } from "./ssm-executor.ts";

const SUCCESS = new Set(["Success", "CompletedWithSuccess"]);

/** Re-runs the verification tool on fresh evidence for a node. */
export type Verifier = (proposal: RemediationProposal, context: InvestigationContext) => Promise<VerificationOutcome>;

export interface RemediationDeps {
  store: Store;
  policy: Policy | undefined;
  /** Absent when no SSM client is configured: then nothing can execute. */
  executor: SsmExecutor | undefined;
  verify: Verifier;
  /** Where the plan would run: the AWS account and region of the SSM client. */
  target: { account?: string; region?: string };
  now: () => Date;
  logger: Logger;
}

/**
 * The report the machine built on reaching `reported`: proposals and checks read it, never a
 * rebuilt copy. A snapshot stored before reports lived in the context has none; say so.
 */
export function reportOf(context: InvestigationContext): Report {
  if (!context.report) {
    throw new Error(
      `investigation ${context.investigationId} has no report in its stored state (saved by an older fathom): investigate again`,
    );
  }
  return context.report;
}

/** The cluster a plan runs in: the alarm's, else the kubeconfig's cluster name the node reported. */
export function clusterOf(report: Report): string | undefined {
  if (report.incident.cluster) return report.incident.cluster;
  const named = report.findings.find(
    (f) => f.kind === "kubelet-config.api-server" && typeof f.attributes.clusterName === "string",
  );
  return named?.attributes.clusterName as string | undefined;
}

function investigatedInstances(context: InvestigationContext): string[] {
  return (context.scope?.nodes ?? []).map((n) => n.instanceId).filter((id): id is string => id !== undefined);
}

/**
 * The approval gate's effects. Proposals are stored (idempotently) and wait; decisions arrive as
 * DECIDE events (from the terminal prompt or `fathom approve`, which record them first); execution
 * re-checks the policy against the recorded decision before any side effect and is idempotent by
 * client token; verification re-runs the tool that found the cause.
 */
export function createRemediationActors(deps: RemediationDeps): RemediationActors {
  return {
    propose: fromPromise<RemediationProposal[], SynthesisActorInput>(async ({ input }) => {
      const proposals = proposeRemediations(reportOf(input.context), deps.policy, deps.now());
      return proposals.map((p) => deps.store.saveProposal(p).proposal);
    }),
    // Decisions come as events; this source itself never decides.
    approvalSource: fromPromise<Approval | undefined, RemediationActorInput>(() => new Promise<never>(() => undefined)),
    execute: fromPromise<ExecutionOutcome, ExecuteActorInput>(async ({ input, signal }) => {
      const { proposal, approval, context } = input;
      const report = reportOf(context);
      const check: ProposalCheckContext = {
        stage: "execute",
        now: deps.now(),
        target: { ...deps.target, ...(clusterOf(report) ? { cluster: clusterOf(report) } : {}) },
        investigatedInstances: investigatedInstances(context),
        approval,
      };
      const verdict = checkProposal(deps.policy, deps.store.getProposal(proposal.id) ?? proposal, check);
      if (!verdict.ok) {
        deps.store.setProposalStatus(proposal.id, "failed", `refused before execution: ${verdict.reasons.join("; ")}`);
        throw new Error(`the policy refuses this execution: ${verdict.reasons.join("; ")}`);
      }
      if (!deps.executor) throw new Error("no SSM client is configured: nothing can execute");
      const clientToken = clientTokenFor(proposal.planHash, approval.id);
      const begun = deps.store.beginExecution({ proposalId: proposal.id, approvalId: approval.id, clientToken });
      const plan = {
        document: proposal.document,
        parameters: proposal.parameters,
        targets: proposal.targets,
        policyVersion: proposal.policyVersion,
      };
      let executionId = begun.execution.executionId;
      if (!executionId) {
        // Same token on a restored run: SSM answers with the execution it already started.
        executionId = (await deps.executor.start(plan, approval, signal)).executionId;
        deps.store.updateExecution(clientToken, { executionId, status: "InProgress" });
      }
      const outcome = await deps.executor.waitForTerminal(executionId, signal, (status) =>
        deps.store.updateExecution(clientToken, { status }),
      );
      deps.store.updateExecution(clientToken, {
        status: outcome.status,
        finishedAt: deps.now().getTime(),
        ...(outcome.failureMessage ? { error: outcome.failureMessage } : {}),
      });
      if (!SUCCESS.has(outcome.status))
        throw new Error(
          `${proposal.document} ended ${outcome.status}${outcome.failureMessage ? `: ${outcome.failureMessage}` : ""}`,
        );
      return {
        executionId,
        status: outcome.status,
        clientToken,
        ...(outcome.failureMessage ? { failureMessage: outcome.failureMessage } : {}),
      };
    }),
    verify: fromPromise<VerificationOutcome, RemediationActorInput>(async ({ input }) => {
      const result = await deps.verify(input.proposal, input.context);
      deps.store.recordVerification({ proposalId: input.proposal.id, ...result });
      return result;
    }),
  };
}
