import { parseArgs } from "node:util";
import { TOOLS, findTool } from "../../../tools/index.ts";
import type { ToolReport } from "../../domain/tool-report.ts";
import { EvidenceError } from "../../evidence/errors.ts";
import { createNodeRegistry, openBundles, UnknownNodeError } from "../../mcp/node-registry.ts";
import { runTool } from "../../toolkit/run-tool.ts";
import { CliError } from "../cli-error.ts";
import { windowFromArgs } from "../time-args.ts";

const USAGE = `Usage:
  fathom tools list [--format table|json]
  fathom tools run <tool> --bundle <path> [--node <name|instance-id>] [--at <time>] [--since <duration>] [--format table|json]`;

export async function runToolsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "--help" || sub === "-h") {
    process.stdout.write(`${USAGE}\n`);
    return sub === undefined ? 2 : 0;
  }
  if (sub === "list") return listTools(rest);
  if (sub === "run") return runOne(rest);
  throw new CliError(`unknown tools subcommand "${sub}"\n${USAGE}`);
}

function listTools(argv: string[]): number {
  const { values } = parseArgs({ args: argv, options: { format: { type: "string", default: "table" } }, strict: true });
  if (values.format === "json") {
    process.stdout.write(
      `${JSON.stringify(
        TOOLS.map((t) => ({
          name: t.name,
          lane: t.lane,
          title: t.title,
          sources: t.sources,
          kinds: Object.keys(t.kinds),
        })),
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  const width = Math.max(...TOOLS.map((t) => t.name.length));
  for (const tool of TOOLS) process.stdout.write(`${tool.name.padEnd(width)}  ${tool.lane.padEnd(7)}  ${tool.title}\n`);
  return 0;
}

async function runOne(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        bundle: { type: "string" },
        node: { type: "string" },
        format: { type: "string", default: "table" },
        at: { type: "string" },
        since: { type: "string" },
      },
    });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  const [name] = positionals;
  if (!name) throw new CliError(`name a tool\n${USAGE}`);
  const tool = findTool(name);
  if (!tool) throw new CliError(`unknown tool "${name}"; see fathom tools list`);
  if (!values.bundle) throw new CliError("--bundle <dir|tar.gz> is required");
  if (values.format !== "table" && values.format !== "json")
    throw new CliError(`--format must be table or json, not "${values.format}"`);
  const sources = await openBundles([values.bundle]).catch((error: Error) => {
    throw new CliError(error instanceof EvidenceError ? error.message : `cannot open bundle: ${error.message}`);
  });
  const registry = await createNodeRegistry(sources);
  try {
    const evidence = registry.resolve(values.node);
    const clock = await evidence.clock();
    const window = windowFromArgs(values.at, values.since, clock.collectedAt);
    const report = await runTool(tool, evidence, window ? { window } : {});
    process.stdout.write(values.format === "json" ? `${JSON.stringify(report, null, 2)}\n` : formatReportTable(report));
    return 0;
  } catch (error) {
    if (error instanceof UnknownNodeError) throw new CliError(error.message);
    throw error;
  } finally {
    await registry.close();
  }
}

export function formatReportTable(report: ToolReport): string {
  const out = [
    `${report.tool} · ${report.node} · ${report.status} · max ${report.severity} · ${report.stats.linesScanned} lines, ${report.stats.bytesRead} bytes in ${report.stats.durationMs} ms`,
  ];
  if (report.findings.length === 0) out.push("  (no findings)");
  for (const f of report.findings) {
    out.push(
      `  ${f.severity.toUpperCase().padEnd(8)} ${f.kind}  ×${f.count}${f.lastSeen ? `  last ${f.lastSeen}` : ""}`,
    );
    out.push(`           ${f.summary}`);
    for (const e of f.evidence.slice(0, 2))
      out.push(`           ${e.source}${e.line ? `:${e.line}` : ""}  ${e.excerpt.slice(0, 160)}`);
  }
  for (const g of report.gaps) out.push(`  GAP      ${g.source}: ${g.reason}`);
  return `${out.join("\n")}\n`;
}
