import { runInvestigateCommand } from "./commands/investigate.ts";
import { runApproveCommand } from "./commands/approve.ts";
import { runAuditCommand } from "./commands/audit.ts";
import { runEvalCommand } from "./commands/eval.ts";
import { runListCommand } from "./commands/list.ts";
import { runServeCommand } from "./commands/serve.ts";
import { runShowCommand } from "./commands/show.ts";
import { runMcpCommand } from "./commands/mcp.ts";
import { runReplayCommand } from "./commands/replay.ts";
import { runToolsCommand } from "./commands/tools.ts";
import { CliError } from "./cli-error.ts";
import { VERSION } from "./version.ts";

const HELP = `fathom — investigates EKS node incidents below the kubelet

Usage: fathom <command> [options]

Commands:
  investigate --bundle <path> [--bundle …] [--alarm <file>] [--node …] [--at <time>] [--since <duration>]
              [--format text|json|markdown] [--out <file>]
                                      investigate an incident over node bundles (four lanes, ranked root causes)
  version                             print fathom's version and the Node it runs on
  replay <scenario-dir> [--interactive]
                                      replay a scenario folder; --interactive proposes a fix and asks to approve it
  eval [dir] [--min-top1 <pct>]       run every scenario and print accuracy (top-1, top-3, per lane)
  approve [--store <path>] [--policy <file>]
                                      decide pending remediation proposals in the terminal, then run and verify them
  serve [--port …] [--bundles <dir>] [--store <path>] [--policy <file>]
                                      receive Alertmanager, SNS and EventBridge alarms and investigate them
  audit verify [--store <path>]       check the audit trail's hash chain (exit 1 at the first edited, deleted or reordered record)
  list [--store <path>] [--state …] [--format table|json]
                                      stored investigations, newest first, with root cause and pending proposals
  show <id> [--store <path>] [--format text|json]
                                      a stored investigation's report
  tools list                          list the diagnostic tools
  tools run <tool> --bundle <path>    run one tool on a bundle [--node <name|instance-id>] [--format table|json]
                                      [--since <duration>] [--at <time>]
  mcp --bundle <path> | --bundles <dir>
                                      serve the diagnostic tools over MCP (stdio)

  --bundle is a bundle root (the folder holding kubelet/, ipamd/, …) or the collector's .tar.gz.
  Run "fathom <command> --help" for a command's options.`;

/** The CLI's composition root. Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(`${HELP}\n`);
        return command === undefined ? 2 : 0;
      case "version":
      case "--version":
        process.stdout.write(`fathom ${VERSION} (node ${process.version})\n`);
        return 0;
      case "tools":
        return await runToolsCommand(rest);
      case "investigate":
        return await runInvestigateCommand(rest);
      case "replay":
        return await runReplayCommand(rest);
      case "eval":
        return await runEvalCommand(rest);
      case "approve":
        return await runApproveCommand(rest);
      case "serve":
        return await runServeCommand(rest);
      case "audit":
        return await runAuditCommand(rest);
      case "list":
        return await runListCommand(rest);
      case "show":
        return await runShowCommand(rest);
      case "mcp":
        return await runMcpCommand(rest);
      default:
        process.stderr.write(`fathom: unknown command "${command}"\n${HELP}\n`);
        return 2;
    }
  } catch (error) {
    if (error instanceof CliError) {
      process.stderr.write(`fathom: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
