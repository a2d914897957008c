import { investigate, type InvestigateDeps } from "../../src/coordinator/investigate.ts";
import type { Incident } from "../../src/domain/incident.ts";
import type { EvidenceSource } from "../../src/evidence/source.ts";
import { silentLogger } from "../../src/logger.ts";
import { openEvidenceSession } from "../../src/mcp/session.ts";
import type { ToolDefinition } from "../../src/toolkit/tool-definition.ts";
import { TOOLS } from "../../tools/index.ts";
import { rulesReasoner } from "./rules.ts";

export function manualIncidentAt(startsAt: string, nodes: Incident["nodes"] = []): Incident {
  return { id: "test-incident", source: "manual", nodes, title: "test", startsAt, fingerprint: "test", labels: {} };
}

/** An investigation over in-memory bundles through the real machine, lanes and in-memory MCP. */
export async function investigateSources(
  sources: EvidenceSource[],
  options: { incident?: Incident; tools?: readonly ToolDefinition[]; deps?: Partial<InvestigateDeps> } = {},
) {
  const session = await openEvidenceSession(sources, {
    tools: options.tools ?? TOOLS,
    logger: silentLogger(),
    client: "test",
    version: "1",
  });
  try {
    const { nodes } = session;
    const at = Math.max(...nodes.map((n) => n.collectedAt ?? 0));
    const incident = options.incident ?? manualIncidentAt(new Date(at).toISOString());
    const outcome = await investigate(
      { investigationId: "inv-test", incident },
      { client: session.client, nodes, reasoner: rulesReasoner(), ...options.deps },
    );
    return { outcome, report: outcome.context.report, nodes };
  } finally {
    await session.close();
  }
}
