import { userInfo } from "node:os";
import { confirm, input, select } from "@inquirer/prompts";
import type { Approval, Approver, RemediationProposal } from "../domain/remediation.ts";
import type { Report } from "../domain/report.ts";

export interface PromptDeps {
  /** The terminal: both must be a TTY, or nothing is approved. */
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  now: () => Date;
  /** How long the person has to answer. */
  timeoutMs: number;
  approvalTtlMs: number;
  newId: () => string;
  displayName?: string;
  /** The SSM document's text, for "show the document". */
  documentText?: (name: string) => Promise<string | undefined>;
}

export type PromptOutcome = { kind: "decided"; approval: Approval } | { kind: "pending"; reason: string };

/** The person deciding: the OS user running the prompt, so nobody approves under another name. */
export function currentApprover(displayName?: string): Approver {
  const user = userInfo().username;
  return displayName ? { user, displayName } : { user };
}

/** The plan, as the person reads it before deciding. */
export function describeProposal(proposal: RemediationProposal, report: Report | undefined): string {
  const cause = report?.rootCauses.find((c) => c.id === proposal.rootCause);
  const findings = new Map((report?.findings ?? []).map((f) => [f.id, f]));
  const lines = [
    "",
    `Root cause   ${proposal.rootCause}${cause ? ` (confidence ${cause.confidence}) — ${cause.summary}` : ""}`,
    ...(cause?.supporting.slice(0, 4).map((id) => {
      const f = findings.get(id);
      const e = f?.evidence[0];
      return `  evidence   ${id} ${f?.kind ?? ""}: ${f?.summary ?? ""}${e ? `\n             ${e.source}${e.line ? `:${e.line}` : ""}  ${e.excerpt.slice(0, 120)}` : ""}`;
    }) ?? []),
    `Action       ${proposal.summary}`,
    `Document     ${proposal.document}`,
    `Parameters   ${JSON.stringify(proposal.parameters)}`,
    `Targets      ${proposal.targets.join(", ")}`,
    `Risk         ${proposal.risk}`,
    `Effect       ${proposal.expectedEffect}`,
    `Rollback     ${proposal.rollback}`,
    ...proposal.manualSteps.map((s, i) => `${i === 0 ? "Before       " : "             "}${s}`),
    `Verification ${proposal.verification.tool} must no longer report ${proposal.verification.clears.join(", ")}`,
    `Plan hash    ${proposal.planHash}`,
    "",
  ];
  return lines.join("\n");
}

/**
 * Asks a person to approve or reject one proposal in the terminal. No TTY means no decision: the
 * proposal stays pending. A missing answer is never a yes.
 */
export async function promptForDecision(
  proposal: RemediationProposal,
  report: Report | undefined,
  deps: PromptDeps,
): Promise<PromptOutcome> {
  if (!deps.stdin.isTTY || !deps.stdout.isTTY)
    return {
      kind: "pending",
      reason: "no terminal to ask in: the proposal stays pending (decide it with fathom approve)",
    };
  const context = { input: deps.stdin, output: deps.stdout, signal: AbortSignal.timeout(deps.timeoutMs) };
  const approver = currentApprover(deps.displayName);
  deps.stdout.write(describeProposal(proposal, report));
  try {
    for (;;) {
      const choice = await select(
        {
          message: `Run ${proposal.document} on ${proposal.targets.join(", ")} as ${approver.user}?`,
          choices: [
            { name: "Approve", value: "approve" },
            { name: "Reject (with a reason)", value: "reject" },
            { name: "Show the document", value: "show" },
          ],
        },
        context,
      );
      if (choice === "show") {
        deps.stdout.write(
          `\n${(await deps.documentText?.(proposal.document)) ?? `(${proposal.document} is an AWS-owned document; see the SSM console)`}\n`,
        );
        continue;
      }
      if (choice === "reject") {
        const reason = await input(
          {
            message: "Why reject?",
            required: true,
            validate: (v) => (v.trim().length >= 3 ? true : "say why, in a few words"),
          },
          context,
        );
        return { kind: "decided", approval: decision(proposal, "rejected", approver, deps, reason.trim()) };
      }
      if (proposal.risk === "high") {
        const [target] = proposal.targets;
        const typed = await input(
          { message: `High risk: type the target instance id (${target}) to confirm` },
          context,
        );
        if (typed.trim() !== target) {
          deps.stdout.write(`That is not ${target}: nothing was approved.\n`);
          return { kind: "pending", reason: "high-risk confirmation did not match the target instance id" };
        }
      } else {
        const sure = await confirm(
          { message: `Approve plan ${proposal.planHash.slice(0, 19)}…?`, default: false },
          context,
        );
        if (!sure) return { kind: "pending", reason: "not confirmed" };
      }
      return { kind: "decided", approval: decision(proposal, "approved", approver, deps) };
    }
  } catch (error) {
    const name = (error as Error).name;
    if (name === "AbortPromptError")
      return {
        kind: "pending",
        reason: `no answer within ${Math.round(deps.timeoutMs / 1000)} s: nothing was approved`,
      };
    if (name === "ExitPromptError") return { kind: "pending", reason: "the prompt was closed: nothing was approved" };
    throw error;
  }
}

function decision(
  proposal: RemediationProposal,
  kind: "approved" | "rejected",
  approver: Approver,
  deps: PromptDeps,
  reason?: string,
): Approval {
  const at = deps.now();
  return {
    id: deps.newId(),
    proposalId: proposal.id,
    planHash: proposal.planHash,
    decision: kind,
    approver,
    ...(reason ? { reason } : {}),
    decidedAt: at.toISOString(),
    expiresAt: new Date(at.getTime() + deps.approvalTtlMs).toISOString(),
  };
}
