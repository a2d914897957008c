import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { createLogger } from "../../logger.ts";
import { createLiveView } from "../../report/live-view.ts";
import { renderMarkdown } from "../../report/render-markdown.ts";
import { renderText } from "../../report/render-text.ts";
import { loadScenario, ScenarioError } from "../../scenarios/load-scenario.ts";
import { runScenario } from "../../scenarios/run-scenario.ts";
import { createRulesReasoner } from "../../synthesis/rules-reasoner.ts";
import { CliError } from "../cli-error.ts";

const USAGE = `Usage: fathom replay <scenario-dir> [--format text|json|markdown] [--out <file>]
  Replays a scenario folder (scenario.yaml + recorded bundles or generator recipes) and reports
  whether the investigation named the expected root cause.`;

export async function runReplayCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { format: { type: "string", default: "text" }, out: { type: "string" }, help: { type: "boolean" } } });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [dir] = positionals;
  if (!dir) throw new CliError(`name a scenario folder\n${USAGE}`);
  const format = values.format;
  if (format !== "text" && format !== "json" && format !== "markdown") throw new CliError(`--format must be text, json or markdown, not "${format}"`);
  const loaded = await loadScenario(dir).catch((error: Error) => {
    throw new CliError(error instanceof ScenarioError ? error.message : `cannot load scenario ${dir}: ${error.message}`);
  });
  const view = createLiveView(process.stderr, { tty: Boolean(process.stderr.isTTY) });
  const run = await runScenario(loaded, { reasoner: createRulesReasoner(), logger: createLogger(), onProgress: view.onProgress }).catch((error: Error) => {
    throw new CliError(error instanceof ScenarioError ? error.message : error.message);
  });
  view.stop();
  if (!run.report) throw new CliError(`replay of ${loaded.slug} failed: ${run.error ?? "no report"}`, 1);
  const body = format === "json" ? `${JSON.stringify(run.report, null, 2)}\n` : format === "markdown" ? renderMarkdown(run.report) : renderText(run.report);
  if (values.out) await writeFile(values.out, body);
  else process.stdout.write(body);
  process.stderr.write(`fathom: scenario ${loaded.slug}: expected ${run.expected}, got ${run.got} — ${run.top1 ? "match" : "MISMATCH"}\n`);
  return 0;
}
