import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Report } from "../../src/domain/report.ts";
import { silentLogger } from "../../src/logger.ts";
import { loadScenario } from "../../src/scenarios/load-scenario.ts";
import { runScenario } from "../../src/scenarios/run-scenario.ts";
import { TOOLS } from "../../tools/index.ts";
import { rulesReasoner } from "../helpers/rules.ts";

/** Where each scenario's pinned findings and root causes live (one file per scenario). */
export const PINNED_DIR = join(import.meta.dirname, "pinned");
export const SCENARIOS_DIR = join(import.meta.dirname, "..", "..", "scenarios");

/**
 * What an investigation concluded, and from what: every finding (kind, severity, attributes,
 * evidence, ids) and every root cause (confidence, supporting and contrary ids, ruled-out reasons).
 * Timings and tool durations are left out: they are the only parts that may change from run to run.
 */
export function behaviourOf(report: Report): string {
  const text = JSON.stringify(
    { verdict: report.verdict, findings: report.findings, rootCauses: report.rootCauses },
    null,
    1,
  );
  // Bundle labels carry the scenario folder's absolute path: pin it relative, so any checkout compares.
  return `${text.replaceAll(JSON.stringify(SCENARIOS_DIR).slice(1, -1), "scenarios")}\n`;
}

export async function scenarioSlugs(): Promise<string[]> {
  const entries = await readdir(SCENARIOS_DIR, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** Replays one scenario exactly as `fathom eval` does and returns its behaviour. */
export async function replayBehaviour(slug: string): Promise<string> {
  const loaded = await loadScenario(join(SCENARIOS_DIR, slug));
  const run = await runScenario(loaded, { tools: TOOLS, reasoner: rulesReasoner(), logger: silentLogger() });
  if (!run.report) throw new Error(`${slug}: no report (${run.error ?? "unknown"})`);
  return behaviourOf(run.report);
}
