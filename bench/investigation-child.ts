/**
 * One investigation in a fresh process, for the investigation benchmark: prints one JSON line with
 * wall time, lane times, tool calls, findings and peak RSS. Modes:
 *   node bench/investigation-child.ts run --bundles <dir> [--latency ms] [--sequential]
 *   node bench/investigation-child.ts lanes --bundles <dir> [--latency ms]   (each lane alone)
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pLimit from "p-limit";
import { investigate } from "../src/coordinator/investigate.ts";
import { DEFAULT_LIMITS } from "../src/domain/investigation.ts";
import { runLane } from "../src/coordinator/lane-runner.ts";
import { discoverTools } from "../src/coordinator/tool-catalog.ts";
import { ToolCaller } from "../src/coordinator/tool-calls.ts";
import { LANE_NAMES } from "../src/domain/lane.ts";
import { silentLogger } from "../src/logger.ts";
import { openBundles } from "../src/mcp/node-registry.ts";
import { openEvidenceSession } from "../src/mcp/session.ts";
import { createRulesReasoner } from "../src/synthesis/rules-reasoner.ts";
import { TOOLS } from "../tools/index.ts";
import { BUILT_IN_RULES_FILE, loadRules } from "../src/synthesis/rules/load-rules.ts";
import { vocabularyOf } from "../src/toolkit/vocabulary.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { bundles: { type: "string" }, latency: { type: "string", default: "0" }, sequential: { type: "boolean" } },
});
const mode = positionals[0] ?? "run";
const dir = values.bundles as string;
const latency = Number(values.latency);
const bundles = (await readdir(dir))
  .filter((d) => !d.startsWith("."))
  .sort()
  .map((d) => join(dir, d));
const session = await openEvidenceSession(await openBundles(bundles), {
  tools: TOOLS,
  logger: silentLogger(),
  client: "bench",
  version: "1",
  ...(latency > 0 ? { toolLatencyMs: latency } : {}),
});
const { client, nodes } = session;
const at = new Date(Math.max(...nodes.map((n) => n.collectedAt ?? 0))).toISOString();
const incident = {
  id: "bench",
  source: "manual" as const,
  nodes: [],
  title: "bench",
  startsAt: at,
  fingerprint: "bench",
  labels: {},
};
const limits = values.sequential ? { laneConcurrency: 1, overallConcurrency: 1 } : {};

if (mode === "lanes") {
  const { tools } = await discoverTools(client);
  const perLane: Record<string, number> = {};
  for (const lane of LANE_NAMES) {
    const now = () => performance.now();
    const caller = new ToolCaller({
      client,
      overall: pLimit(DEFAULT_LIMITS.overallConcurrency),
      callTimeoutMs: DEFAULT_LIMITS.callTimeoutMs,
      signal: new AbortController().signal,
      now,
    });
    const t0 = performance.now();
    await runLane(
      { lane, nodes: nodes.map((n) => n.node) },
      {
        caller,
        tools,
        limits: {
          concurrency: DEFAULT_LIMITS.laneConcurrency,
          budget: DEFAULT_LIMITS.laneBudget,
          deadlineMs: DEFAULT_LIMITS.laneDeadlineMs,
        },
        signal: new AbortController().signal,
        now,
      },
    );
    perLane[lane] = Math.round(performance.now() - t0);
  }
  process.stdout.write(
    `${JSON.stringify({ mode, perLane, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
  );
} else {
  const t0 = performance.now();
  const outcome = await investigate(
    { investigationId: "inv-bench", incident },
    { client, nodes, reasoner: createRulesReasoner(await loadRules(BUILT_IN_RULES_FILE, vocabularyOf(TOOLS))), limits },
  );
  const wallMs = Math.round(performance.now() - t0);
  const report = outcome.context.report;
  if (!report) throw new Error(`no report: ${outcome.context.failure ?? outcome.state}`);
  process.stdout.write(
    `${JSON.stringify({ mode, wallMs, lanes: Object.fromEntries(report.lanes.map((l) => [l.lane, l.durationMs])), toolCalls: report.coverage.toolCalls, findings: report.findings.length, rootCause: report.rootCauses[0]?.id, nodes: nodes.length, maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
  );
}
await session.close();
