import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { investigate } from "../../coordinator/investigate.ts";
import type { Report } from "../../domain/report.ts";
import { createLogger } from "../../logger.ts";
import { createLiveView } from "../../report/live-view.ts";
import { renderMarkdown } from "../../report/render-markdown.ts";
import { renderText } from "../../report/render-text.ts";
import { createRulesReasoner } from "../../synthesis/rules-reasoner.ts";
import { CliError } from "../cli-error.ts";
import { investigationIdFor, manualIncident, readAlarmFile } from "../incident-args.ts";
import { openLocalSession } from "../local-session.ts";
import { parseInstant, windowFromArgs } from "../time-args.ts";
import { loadRuleSet } from "../rules.ts";

const USAGE = `Usage: fathom investigate --bundle <dir|tar.gz> [--bundle …] [--alarm <file>] [--events <file>] [--node <name|instance-id>]
                          [--at <time>] [--since <duration>] [--format text|json|markdown] [--out <file>]
                          [--rules <file>…]

  --tool-latency <ms> waits before every tool call, to see fathom as it runs against remote (SSM-backed) tools.

Exit codes: 0 the investigation completed (whatever it found); 2 invalid input; 3 nothing could be read
or the incident is out of scope; 1 the investigation failed.`;

export async function runInvestigateCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        bundle: { type: "string", multiple: true },
        rules: { type: "string", multiple: true },
        alarm: { type: "string" },
        events: { type: "string" },
        node: { type: "string" },
        at: { type: "string" },
        since: { type: "string" },
        format: { type: "string", default: "text" },
        out: { type: "string" },
        "tool-latency": { type: "string" },
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
  const format = values.format;
  if (format !== "text" && format !== "json" && format !== "markdown")
    throw new CliError(`--format must be text, json or markdown, not "${format}"`);
  if (!values.bundle?.length) throw new CliError(`--bundle is required\n${USAGE}`);
  const alarm = values.alarm ? await readAlarmFile(values.alarm) : undefined;
  const at = values.at !== undefined ? parseInstant(values.at) : undefined;

  const logger = createLogger();
  const latency = values["tool-latency"] !== undefined ? Number(values["tool-latency"]) : 0;
  if (!(latency >= 0 && latency <= 60_000)) throw new CliError("--tool-latency takes milliseconds between 0 and 60000");
  const session = await openLocalSession(values.bundle, logger, {
    ...(values.events ? { events: values.events } : {}),
    toolLatencyMs: latency,
  });
  try {
    const incident =
      alarm ??
      manualIncident(session.nodes, {
        ...(values.node ? { node: values.node } : {}),
        ...(at !== undefined ? { at } : {}),
      });
    if (alarm && values.node)
      incident.nodes = [/^i-[0-9a-f]+$/.test(values.node) ? { instanceId: values.node } : { name: values.node }];
    const window = windowFromArgs(values.at, values.since, Date.parse(incident.startsAt));
    const view = createLiveView(process.stderr, { tty: Boolean(process.stderr.isTTY) });
    const outcome = await investigate(
      { investigationId: investigationIdFor(incident), incident, ...(window ? { window } : {}) },
      {
        client: session.client,
        nodes: session.nodes,
        reasoner: createRulesReasoner(await loadRuleSet(values.rules ?? [])),
        onProgress: view.onProgress,
      },
    );
    view.stop();
    if (outcome.state === "refused")
      throw new CliError(`out of scope: ${outcome.context.scope?.refused ?? "refused"}`, 3);
    const report = outcome.context.report;
    if (outcome.state === "failed" || !report)
      throw new CliError(`investigation failed: ${outcome.context.failure ?? "unknown"}`, 1);
    if (
      report.coverage.toolCalls > 0 &&
      report.coverage.ok === 0 &&
      report.coverage.noData === report.coverage.toolCalls
    ) {
      throw new CliError("nothing could be read: every source the tools need is missing from the bundle", 3);
    }
    await emit(report, format, values.out);
    return 0;
  } finally {
    await session.close();
  }
}

async function emit(report: Report, format: "text" | "json" | "markdown", out: string | undefined): Promise<void> {
  const text =
    format === "json"
      ? `${JSON.stringify(report, null, 2)}\n`
      : format === "markdown"
        ? renderMarkdown(report)
        : renderText(report);
  if (out) {
    await writeFile(out, text).catch((error: Error) => {
      throw new CliError(`cannot write --out ${out}: ${error.message}`);
    });
    process.stderr.write(`fathom: report written to ${out}\n`);
    if (format !== "json") process.stdout.write(renderText(report));
  } else process.stdout.write(text);
}
