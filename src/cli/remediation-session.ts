import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { SSMClient } from "@aws-sdk/client-ssm";
import { TOOLS } from "../../tools/index.ts";
import type { InvestigationContext } from "../domain/investigation.ts";
import { resumeWithDecision, type ResumeOutcome } from "../coordinator/resume.ts";
import type { RemediationProposal } from "../domain/remediation.ts";
import type { Report } from "../domain/report.ts";
import { createBundleFolderProvider } from "../evidence/bundle-folder.ts";
import type { Logger } from "../logger.ts";
import { checkProposal } from "../policy/policy-checks.ts";
import { loadOptionalPolicy, type Policy } from "../policy/policy.ts";
import { clusterOf, createRemediationActors } from "../remediation/actors.ts";
import { currentApprover, promptForDecision } from "../remediation/approval-prompt.ts";
import { createSsmExecutor, SSM_CLIENT_DEFAULTS, type SsmExecutor } from "../remediation/ssm-executor.ts";
import { createEvidenceVerifier } from "../remediation/verify.ts";
import { documentFile } from "../catalog/ssm-documents.ts";
import { loadScenario } from "../scenarios/load-scenario.ts";
import { materializeNode } from "../scenarios/materialize.ts";
import { defaultStorePath, openStore } from "../store/index.ts";
import type { Store } from "../store/types.ts";
import { CliError } from "./cli-error.ts";
import { readFile } from "node:fs/promises";

export interface RemediationSession {
  store: Store;
  policy: Policy | undefined;
  executor: SsmExecutor | undefined;
  target: { account?: string; region?: string };
  close(): void;
}

/**
 * The composition root of remediation: the store, the policy, and (when a region is configured)
 * the real SSM client — which honours standard AWS configuration: profiles, AWS_REGION and
 * AWS_ENDPOINT_URL_SSM for any SSM-compatible endpoint.
 */
export async function openRemediationSession(
  options: { store?: string; policy?: string },
  logger: Logger,
): Promise<RemediationSession> {
  const store = (() => {
    try {
      return openStore(defaultStorePath(options.store));
    } catch (error) {
      throw new CliError((error as Error).message);
    }
  })();
  const policyFile = options.policy ?? process.env.FATHOM_POLICY;
  const policy = policyFile
    ? await loadOptionalPolicy(policyFile).catch((error: Error) => {
        store.close();
        throw new CliError(error.message);
      })
    : undefined;
  if (policyFile && !policy) {
    store.close();
    throw new CliError(`policy file ${policyFile} does not exist`);
  }
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const client = region ? new SSMClient({ region, maxAttempts: SSM_CLIENT_DEFAULTS.maxAttempts }) : undefined;
  const executor = client
    ? createSsmExecutor({ client, logger, ...(policy ? { automationAssumeRole: policy.execution.assumeRole } : {}) })
    : undefined;
  const account = process.env.AWS_ACCOUNT_ID ?? process.env.FATHOM_ACCOUNT_ID;
  return {
    store,
    policy,
    executor,
    target: { ...(account ? { account } : {}), ...(region ? { region } : {}) },
    close() {
      client?.destroy();
      store.close();
    },
  };
}

/** Fresh evidence for verification: the scenario's `after` bundles, or the newest bundle in a folder. */
export function verifierFor(logger: Logger) {
  return createEvidenceVerifier({
    tools: TOOLS,
    freshEvidence: async (proposal: RemediationProposal, context: InvestigationContext) => {
      const where = context?.remediation?.verification;
      if (where?.scenarioDir) {
        const loaded = await loadScenario(where.scenarioDir);
        const index = Math.max(
          0,
          (context?.scope?.nodes ?? []).findIndex((n) => n.node === proposal.node),
        );
        const after = loaded.scenario.after?.[index] ?? loaded.scenario.after?.[0];
        if (!after) return undefined;
        return {
          source: await materializeNode(after, loaded.dir, loaded.file, index),
          label: `${loaded.slug} after-bundle`,
        };
      }
      if (where?.bundlesDir) {
        const provider = createBundleFolderProvider(where.bundlesDir);
        const bundle = (await provider.catalog()).find(
          (b) => b.node === proposal.node || (b.instanceId !== undefined && proposal.targets.includes(b.instanceId)),
        );
        const collectedBefore = Date.parse(proposal.createdAt);
        if (!bundle || (bundle.collectedAt ?? 0) <= collectedBefore) return undefined;
        return { source: await provider.open(bundle), label: bundle.path };
      }
      logger.warn("no verification source configured");
      return undefined;
    },
  });
}

export type DecisionResultLine = {
  outcome: "pending" | "refused" | "rejected" | "done" | "failed" | "expired";
  message: string;
  resumed?: ResumeOutcome;
};

/**
 * One proposal, decided by the person at this terminal: policy pre-check, the prompt, the recorded
 * decision, then the stored investigation resumes through execution and verification.
 */
export async function decideProposal(
  session: RemediationSession,
  proposal: RemediationProposal,
  logger: Logger,
  options: { displayName?: string; timeoutMs?: number } = {},
): Promise<DecisionResultLine> {
  const investigation = session.store.getInvestigation(proposal.investigationId);
  if (!investigation?.snapshot)
    return {
      outcome: "refused",
      message: `investigation ${proposal.investigationId} has no stored snapshot to resume`,
    };
  const report = investigation.report;
  const context = (investigation.snapshot as { context?: InvestigationContext }).context;
  const approver = currentApprover(options.displayName);
  const pre = checkProposal(session.policy, proposal, {
    stage: "approve",
    now: new Date(),
    target: { ...session.target, ...(report && clusterOf(report) ? { cluster: clusterOf(report) } : {}) },
    investigatedInstances: (context?.scope?.nodes ?? [])
      .map((n) => n.instanceId)
      .filter((i): i is string => Boolean(i)),
    approver: approver.user,
  });
  if (!pre.ok) return { outcome: "refused", message: `not offered for approval: ${pre.reasons.join("; ")}` };
  const ttl = session.policy?.approval.ttlMs ?? 15 * 60_000;
  const prompt = await promptForDecision(proposal, report as Report | undefined, {
    stdin: process.stdin,
    stdout: process.stdout,
    now: () => new Date(),
    timeoutMs: options.timeoutMs ?? 5 * 60_000,
    approvalTtlMs: ttl,
    newId: () => `apr-${randomUUID()}`,
    ...(options.displayName ? { displayName: options.displayName } : {}),
    documentText: async (name) => {
      const file = documentFile(name as never);
      return file ? readFile(resolve(file), "utf8").catch(() => undefined) : undefined;
    },
  });
  if (prompt.kind === "pending") return { outcome: "pending", message: prompt.reason };
  const recorded = session.store.recordDecision(prompt.approval);
  if (!recorded.ok) return { outcome: "refused", message: recorded.message };
  const verify = verifierFor(logger);
  const actors = createRemediationActors({
    store: session.store,
    policy: session.policy,
    executor: session.executor,
    verify,
    target: session.target,
    now: () => new Date(),
    logger,
  });
  const resumed = await resumeWithDecision(
    investigation.snapshot,
    { type: "DECIDE", approval: recorded.approval, at: new Date().toISOString() },
    {
      actors,
      persist: (snapshot, value) => session.store.saveSnapshot(proposal.investigationId, snapshot, value),
    },
  );
  if (resumed.final === "rejected")
    return { outcome: "rejected", message: `rejected by ${approver.user}: ${recorded.approval.reason ?? ""}`, resumed };
  if (resumed.final === "done") {
    const v = resumed.context.verification;
    const e = resumed.context.execution;
    return {
      outcome: "done",
      message: `${proposal.document} ran as ${e?.executionId} (${e?.status}); verification: ${v ? (v.cleared ? `cleared (${v.tool} on ${v.source})` : `NOT cleared: ${v.remaining.join(", ") || v.source}`) : "none"}`,
      resumed,
    };
  }
  return {
    outcome: resumed.final === "expired" ? "expired" : "failed",
    message: resumed.context.failure ?? resumed.final,
    resumed,
  };
}
