import { parseArgs } from "node:util";
import { createLogger } from "../../logger.ts";
import { CliError } from "../cli-error.ts";
import { decideProposal, openRemediationSession } from "../remediation-session.ts";

const USAGE = `Usage: fathom approve [--store <path>] [--policy <file>] [--as <display name>] [--timeout <seconds>]
  Lists pending remediation proposals and asks you to decide each one: approve (then it runs through
  SSM Automation and is verified), reject with a reason, or show the document. The approver recorded
  is the OS user running this prompt. With no terminal nothing is approved.
Exit codes: 0 every proposal decided (or none pending); 4 some stay pending; 1 an execution failed.`;

export async function runApproveCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        store: { type: "string" },
        policy: { type: "string" },
        as: { type: "string" },
        timeout: { type: "string" },
        help: { type: "boolean" },
      },
    }));
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const logger = createLogger();
  const session = await openRemediationSession(
    { ...(values.store ? { store: values.store } : {}), ...(values.policy ? { policy: values.policy } : {}) },
    logger,
  );
  try {
    const pending = session.store.listProposals({ status: "pending" });
    if (pending.length === 0) {
      process.stdout.write("no pending proposals\n");
      return 0;
    }
    if (!process.stdin.isTTY || !process.stdout.isTTY) {
      process.stderr.write(
        `fathom approve: ${pending.length} proposal(s) pending, but there is no terminal to ask in: nothing was approved\n`,
      );
      return 4;
    }
    let code = 0;
    for (const proposal of pending) {
      process.stdout.write(
        `\nProposal ${proposal.id} (investigation ${proposal.investigationId}, node ${proposal.node})\n`,
      );
      const result = await decideProposal(session, proposal, logger, {
        ...(values.as ? { displayName: values.as } : {}),
        ...(values.timeout ? { timeoutMs: Number(values.timeout) * 1000 } : {}),
      });
      process.stdout.write(`=> ${result.outcome}: ${result.message}\n`);
      if (result.outcome === "pending" || result.outcome === "refused") code = Math.max(code, 4);
      if (result.outcome === "failed") code = 1;
    }
    return code === 4 ? 4 : code;
  } finally {
    session.close();
  }
}
