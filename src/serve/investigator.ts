import { investigate } from "../coordinator/investigate.ts";
import type { InvestigationContext, NodeInfo } from "../domain/investigation.ts";
import type { Incident } from "../domain/incident.ts";
import type { EvidenceProvider, FolderBundle } from "../evidence/bundle-folder.ts";
import type { EvidenceSource } from "../evidence/source.ts";
import type { Logger } from "../logger.ts";
import { openEvidenceSession } from "../mcp/session.ts";
import type { Reasoner } from "../synthesis/reasoner.ts";
import type { Store } from "../store/types.ts";
import type { ToolDefinition } from "../toolkit/tool-definition.ts";
import type { RemediationActors } from "../../workflows/investigation.machine.ts";

export interface InvestigatorDeps {
  store: Store;
  /** The diagnostic tools lanes call (the composition root's list). */
  tools: readonly ToolDefinition[];
  provider: EvidenceProvider;
  reasoner: Reasoner;
  remediation: { actors: RemediationActors; approvalTtlMs: number; bundlesDir: string } | undefined;
  /** Bundles collected longer than this before the alarm are stale. */
  staleAfterMs: number;
  logger: Logger;
  /** Wait before every tool call (remote-like tools; benchmarks and crash tests). */
  toolLatencyMs?: number;
}

/** The bundles an incident is about: the ones naming its nodes, else every node the folder holds. */
export function bundlesFor(incident: Incident, catalog: readonly FolderBundle[]): FolderBundle[] {
  if (incident.nodes.length === 0) return [...catalog];
  return catalog.filter((b) =>
    incident.nodes.some(
      (n) =>
        (n.instanceId !== undefined && n.instanceId === b.instanceId) ||
        (n.name !== undefined && (n.name === b.node || n.name.split(".")[0] === b.node.split(".")[0])),
    ),
  );
}

/**
 * Runs (or resumes) one durable investigation: the snapshot is saved on every transition, the
 * report is saved with the first snapshot that has one (in the same transaction), and the
 * investigation stops at the approval gate with its proposals pending for `fathom approve`.
 */
export async function runDurableInvestigation(
  id: string,
  incident: Incident,
  deps: InvestigatorDeps,
  snapshot?: unknown,
): Promise<string> {
  const catalog = await deps.provider.catalog();
  const chosen = bundlesFor(incident, catalog);
  const sources: EvidenceSource[] = [];
  for (const bundle of chosen) {
    try {
      sources.push(await deps.provider.open(bundle));
    } catch (error) {
      deps.logger.warn({ bundle: bundle.path, err: error }, "bundle unreadable");
    }
  }
  const session = await openEvidenceSession(sources, {
    tools: deps.tools,
    logger: deps.logger,
    client: "fathom-serve",
    version: "1",
    ...(deps.toolLatencyMs ? { toolLatencyMs: deps.toolLatencyMs } : {}),
  });
  try {
    const startsAt = Date.parse(incident.startsAt);
    const nodes: NodeInfo[] = session.nodes.map((n) =>
      n.collectedAt !== undefined && startsAt - n.collectedAt > deps.staleAfterMs
        ? { ...n, staleByMs: startsAt - n.collectedAt }
        : n,
    );
    let reportSaved = deps.store.getInvestigation(id)?.report !== undefined;
    const outcome = await investigate(
      { investigationId: id, incident },
      {
        client: session.client,
        nodes,
        reasoner: deps.reasoner,
        ...(snapshot ? { snapshot } : {}),
        stopWhenAwaitingApproval: true,
        ...(deps.remediation
          ? {
              remediation: {
                settings: {
                  enabled: true,
                  approvalTtlMs: deps.remediation.approvalTtlMs,
                  executionTimeoutMs: 3_600_000,
                  verification: { bundlesDir: deps.remediation.bundlesDir },
                },
                actors: deps.remediation.actors,
              },
            }
          : {}),
        persist: (persisted, value) => {
          const context = (persisted as { context?: InvestigationContext }).context;
          deps.store.atomically(() => {
            // The report is stored with the first snapshot that has it, exactly as the machine built it.
            if (!reportSaved && context?.report) {
              deps.store.saveReport(id, context.report);
              reportSaved = true;
            }
            deps.store.saveSnapshot(id, persisted, value);
          });
        },
      },
    );
    return outcome.final;
  } finally {
    await session.close();
  }
}
