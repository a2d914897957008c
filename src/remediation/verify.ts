import type { InvestigationContext, VerificationOutcome } from "../domain/investigation.ts";
import type { RemediationProposal } from "../domain/remediation.ts";
import { createNodeEvidence } from "../evidence/node-evidence.ts";
import type { EvidenceSource } from "../evidence/source.ts";
import { runTool } from "../toolkit/run-tool.ts";
import type { ToolDefinition } from "../toolkit/tool-definition.ts";
import type { Verifier } from "./actors.ts";

/**
 * Verification on fresh evidence: re-runs the tool that found the cause on the node's newer
 * evidence (a replay's `after` bundle, or a newer bundle for serve) and checks that the finding
 * kinds the plan was meant to clear are gone (nothing above info).
 */
export function createEvidenceVerifier(deps: {
  tools: readonly ToolDefinition[];
  freshEvidence: (
    proposal: RemediationProposal,
    context: InvestigationContext,
  ) => Promise<{ source: EvidenceSource; label: string } | undefined>;
}): Verifier {
  return async (proposal, context): Promise<VerificationOutcome> => {
    const tool = deps.tools.find((t) => t.name === proposal.verification.tool);
    if (!tool)
      return {
        cleared: false,
        remaining: proposal.verification.clears,
        tool: proposal.verification.tool,
        source: "no such tool",
      };
    const fresh = await deps.freshEvidence(proposal, context);
    if (!fresh)
      return {
        cleared: false,
        remaining: proposal.verification.clears,
        tool: tool.name,
        source: "no fresh evidence for the node: collect a new bundle to verify",
      };
    try {
      const report = await runTool(tool, await createNodeEvidence(fresh.source), {});
      const remaining = proposal.verification.clears.filter((kind) =>
        report.findings.some((f) => f.kind === kind && f.severity !== "info"),
      );
      return {
        cleared: report.status === "ok" && remaining.length === 0,
        remaining,
        tool: tool.name,
        source: fresh.label,
      };
    } finally {
      await fresh.source.close();
    }
  };
}
