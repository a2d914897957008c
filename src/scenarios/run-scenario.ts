import { createHash } from "node:crypto";
import { join } from "node:path";
import { investigate, type InvestigateDeps } from "../coordinator/investigate.ts";
import type { Incident } from "../domain/incident.ts";
import type { Report } from "../domain/report.ts";
import { readKubernetesEventsFile } from "../evidence/kubernetes-events.ts";
import type { EvidenceSource } from "../evidence/source.ts";
import type { Logger } from "../logger.ts";
import { openEvidenceSession } from "../mcp/session.ts";
import type { Reasoner } from "../synthesis/reasoner.ts";
import type { ToolDefinition } from "../toolkit/tool-definition.ts";
import type { LoadedScenario } from "./load-scenario.ts";
import { ScenarioError } from "./load-scenario.ts";
import { materializeNode } from "./materialize.ts";

export interface ScenarioRun {
  slug: string;
  title: string;
  author: "team" | "independent";
  tags: string[];
  expected: string;
  expectedLane: string;
  got: string;
  top3: string[];
  top1: boolean;
  inTop3: boolean;
  verdict: string;
  durationMs: number;
  toolCalls: number;
  report?: Report;
  error?: string;
  /** The machine state the run stopped in (done, awaitingApproval, …). */
  final?: string;
  investigationId?: string;
}

export interface RunScenarioDeps {
  /** The diagnostic tools lanes call (the composition root's list). */
  tools: readonly ToolDefinition[];
  reasoner: Reasoner;
  logger: Logger;
  onProgress?: InvestigateDeps["onProgress"];
  /** Interactive replays: a unique id per run, remediation, persistence, stop at the approval gate. */
  investigationId?: string;
  remediation?: InvestigateDeps["remediation"];
  persist?: InvestigateDeps["persist"];
  stopWhenAwaitingApproval?: boolean;
}

/** Replays one scenario through the real machine, lanes and MCP, and compares with its expectation. */
export async function runScenario(loaded: LoadedScenario, deps: RunScenarioDeps): Promise<ScenarioRun> {
  const { scenario } = loaded;
  const started = performance.now();
  const expectedLane = scenario.expect.lane ?? laneOf(scenario.expect.rootCause);
  const base = {
    slug: loaded.slug,
    title: scenario.title,
    author: scenario.author,
    tags: scenario.tags,
    expected: scenario.expect.rootCause,
    expectedLane,
  };
  const sources: EvidenceSource[] = [];
  try {
    for (const [i, node] of scenario.nodes.entries())
      sources.push(await materializeNode(node, loaded.dir, loaded.file, i));
    const events = scenario.events ? await readKubernetesEventsFile(join(loaded.dir, scenario.events)) : undefined;
    const session = await openEvidenceSession(sources, {
      tools: deps.tools,
      logger: deps.logger,
      client: "fathom-replay",
      version: "1",
      ...(events ? { events } : {}),
    });
    try {
      const { nodes } = session;
      const incident = scenarioIncident(
        loaded,
        nodes.map((n) => n.collectedAt ?? 0),
      );
      const window = scenario.since ? sinceWindow(incident.startsAt, scenario.since) : undefined;
      const investigationId = deps.investigationId ?? `inv-${loaded.slug}`;
      const outcome = await investigate(
        { investigationId, incident, ...(window ? { window } : {}) },
        {
          client: session.client,
          nodes,
          reasoner: deps.reasoner,
          ...(deps.onProgress ? { onProgress: deps.onProgress } : {}),
          ...(deps.remediation ? { remediation: deps.remediation } : {}),
          ...(deps.persist ? { persist: deps.persist } : {}),
          ...(deps.stopWhenAwaitingApproval ? { stopWhenAwaitingApproval: true } : {}),
        },
      );
      const report = outcome.context.report;
      if (outcome.state !== "reported" || !report)
        throw new Error(
          `investigation ${outcome.state}: ${outcome.context.scope?.refused ?? outcome.context.failure ?? ""}`,
        );
      const ids = report.rootCauses.map((c) => c.id);
      return {
        ...base,
        got: ids[0] ?? "none",
        top3: ids.slice(0, 3),
        top1:
          ids[0] === scenario.expect.rootCause &&
          (scenario.expect.verdict === undefined || scenario.expect.verdict === report.verdict),
        inTop3: ids.slice(0, 3).includes(scenario.expect.rootCause),
        verdict: report.verdict,
        durationMs: Math.round(performance.now() - started),
        toolCalls: report.coverage.toolCalls,
        report,
        final: outcome.final,
        investigationId,
      };
    } finally {
      await session.close();
    }
  } catch (error) {
    await Promise.all(sources.map((s) => s.close().catch(() => undefined)));
    if (error instanceof ScenarioError) throw error;
    return {
      ...base,
      got: "error",
      top3: [],
      top1: false,
      inTop3: false,
      verdict: "error",
      durationMs: Math.round(performance.now() - started),
      toolCalls: 0,
      error: (error as Error).message,
    };
  }
}

function scenarioIncident(loaded: LoadedScenario, collected: number[]): Incident {
  const spec = loaded.scenario.incident ?? {};
  const startsAt = spec.startsAt ?? new Date(Math.max(...collected)).toISOString();
  const fingerprint = createHash("sha256").update(`${loaded.slug}\u0000${startsAt}`).digest("hex").slice(0, 16);
  return {
    id: `scenario-${loaded.slug}`,
    source: spec.source ?? "scenario",
    ...(spec.cluster ? { cluster: spec.cluster } : {}),
    nodes: spec.nodes ?? [],
    title: spec.title ?? loaded.scenario.title,
    ...(spec.severity ? { severity: spec.severity } : {}),
    startsAt,
    fingerprint,
    labels: spec.labels ?? {},
  };
}

function sinceWindow(end: string, since: string): { start: string; end: string } {
  const n = Number(since.slice(0, -1));
  const unit = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[since.slice(-1) as "s" | "m" | "h" | "d"];
  return { start: new Date(Date.parse(end) - n * unit).toISOString(), end };
}

function laneOf(id: string): string {
  if (id === "none") return "none";
  if (/^(cni|net\.(imds|policy|mtu|ena))/.test(id)) return "network";
  if (/^(dns|net\.conntrack|kube-proxy|netpol)/.test(id)) return "service";
  if (/^(node\.(registration|bootstrap|apiserver|certificate|clock)|kubelet|runtime)/.test(id)) return "runtime";
  return "host";
}
