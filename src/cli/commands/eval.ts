import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { silentLogger } from "../../logger.ts";
import { loadScenario, ScenarioError, type LoadedScenario } from "../../scenarios/load-scenario.ts";
import { runScenario, type ScenarioRun } from "../../scenarios/run-scenario.ts";
import { createRulesReasoner } from "../../synthesis/rules-reasoner.ts";
import { CliError } from "../cli-error.ts";
import { TOOLS } from "../../../tools/index.ts";
import { loadRuleSet } from "../rules.ts";

const USAGE = `Usage: fathom eval [dir] [--min-top1 <pct>] [--format text|json] [--filter <substring>] [--rules <file>…]
  Runs every scenario under dir (default scenarios/) and prints expected vs got, top-1 and top-3
  accuracy overall, per lane, and for independently written scenarios separately.`;

export async function runEvalCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        "min-top1": { type: "string" },
        rules: { type: "string", multiple: true },
        format: { type: "string", default: "text" },
        filter: { type: "string" },
        help: { type: "boolean" },
      },
    });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const minTop1 = values["min-top1"] !== undefined ? Number(values["min-top1"]) : undefined;
  if (minTop1 !== undefined && !(minTop1 >= 0 && minTop1 <= 100))
    throw new CliError("--min-top1 takes a percentage between 0 and 100");
  const dir = positionals[0] ?? "scenarios";
  const loaded = await loadAll(dir, values.filter);
  if (loaded.length === 0) throw new CliError(`no scenarios under ${dir}`);
  const reasoner = createRulesReasoner(await loadRuleSet(values.rules ?? []));
  const runs: ScenarioRun[] = [];
  for (const scenario of loaded) {
    const run = await runScenario(scenario, { tools: TOOLS, reasoner, logger: silentLogger() });
    const { report: _report, ...row } = run;
    runs.push(row);
    if (values.format !== "json") process.stderr.write(`${run.top1 ? "." : "F"}`);
  }
  if (values.format !== "json") process.stderr.write("\n");
  const summary = summarize(runs);
  if (values.format === "json") process.stdout.write(`${JSON.stringify({ summary, runs }, null, 2)}\n`);
  else process.stdout.write(renderTable(runs, summary));
  if (minTop1 !== undefined && summary.overall.top1 < minTop1) {
    process.stderr.write(`fathom eval: top-1 ${summary.overall.top1}% is below --min-top1 ${minTop1}%\n`);
    return 1;
  }
  return 0;
}

async function loadAll(dir: string, filter: string | undefined): Promise<LoadedScenario[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: Error) => {
    throw new CliError(`cannot read ${dir}: ${error.message}`);
  });
  const out: LoadedScenario[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    if (filter && !entry.name.includes(filter)) continue;
    const path = join(dir, entry.name);
    if (!(await stat(join(path, "scenario.yaml")).catch(() => undefined))) continue;
    out.push(
      await loadScenario(path).catch((error: Error) => {
        throw new CliError(error instanceof ScenarioError ? error.message : error.message);
      }),
    );
  }
  return out;
}

interface Accuracy {
  count: number;
  top1: number;
  top3: number;
}

function accuracy(runs: readonly ScenarioRun[]): Accuracy {
  const pct = (n: number) => (runs.length === 0 ? 0 : Math.round((n / runs.length) * 1000) / 10);
  return {
    count: runs.length,
    top1: pct(runs.filter((r) => r.top1).length),
    top3: pct(runs.filter((r) => r.inTop3).length),
  };
}

export function summarize(runs: readonly ScenarioRun[]) {
  const lanes = ["network", "service", "runtime", "host", "none"];
  return {
    overall: accuracy(runs),
    independent: accuracy(runs.filter((r) => r.author === "independent")),
    team: accuracy(runs.filter((r) => r.author === "team")),
    byLane: Object.fromEntries(lanes.map((lane) => [lane, accuracy(runs.filter((r) => r.expectedLane === lane))])),
    medianMs: median(runs.map((r) => r.durationMs)),
    medianToolCalls: median(runs.map((r) => r.toolCalls)),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? (sorted[Math.floor(sorted.length / 2)] as number) : 0;
}

function renderTable(runs: readonly ScenarioRun[], summary: ReturnType<typeof summarize>): string {
  const w = Math.max(8, ...runs.map((r) => r.slug.length));
  const e = Math.max(8, ...runs.map((r) => r.expected.length));
  const lines = [
    `${"scenario".padEnd(w)}  ${"author".padEnd(11)}  ${"expected".padEnd(e)}  ${"got".padEnd(e)}  top1  top3    ms  calls`,
  ];
  for (const r of runs) {
    lines.push(
      `${r.slug.padEnd(w)}  ${r.author.padEnd(11)}  ${r.expected.padEnd(e)}  ${r.got.padEnd(e)}  ${(r.top1 ? "yes" : "NO").padEnd(4)}  ${(r.inTop3 ? "yes" : "NO").padEnd(4)}  ${String(r.durationMs).padStart(4)}  ${String(r.toolCalls).padStart(5)}${r.error ? `  error: ${r.error}` : ""}`,
    );
  }
  const acc = (a: Accuracy) => `${a.top1}% top-1, ${a.top3}% top-3 (${a.count})`;
  lines.push(
    "",
    `overall      ${acc(summary.overall)}`,
    `independent  ${acc(summary.independent)}`,
    `team         ${acc(summary.team)}`,
  );
  for (const [lane, a] of Object.entries(summary.byLane)) if (a.count) lines.push(`lane ${lane.padEnd(8)}${acc(a)}`);
  lines.push(`median ${summary.medianMs} ms and ${summary.medianToolCalls} tool calls per investigation`);
  return `${lines.join("\n")}\n`;
}
