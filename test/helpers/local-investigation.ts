import { createCoordinatorClient } from "../../src/mcp/coordinator-client.ts";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { describeNodes } from "../../src/cli/local-session.ts";
import { investigate, type InvestigateDeps } from "../../src/coordinator/investigate.ts";
import type { Incident } from "../../src/domain/incident.ts";
import type { EvidenceSource } from "../../src/evidence/source.ts";
import { silentLogger } from "../../src/logger.ts";
import { createNodeRegistry } from "../../src/mcp/node-registry.ts";
import { createMcpServer } from "../../src/mcp/server.ts";
import { buildReport } from "../../src/report/build-report.ts";
import { createRulesReasoner } from "../../src/synthesis/rules-reasoner.ts";
import type { ToolDefinition } from "../../src/toolkit/tool-definition.ts";
import { TOOLS } from "../../tools/index.ts";

export function manualIncidentAt(startsAt: string, nodes: Incident["nodes"] = []): Incident {
  return { id: "test-incident", source: "manual", nodes, title: "test", startsAt, fingerprint: "test", labels: {} };
}

/** An investigation over in-memory bundles through the real machine, lanes and in-memory MCP. */
export async function investigateSources(
  sources: EvidenceSource[],
  options: { incident?: Incident; tools?: readonly ToolDefinition[]; deps?: Partial<InvestigateDeps> } = {},
) {
  const registry = await createNodeRegistry(sources);
  const server = createMcpServer({ registry, tools: options.tools ?? TOOLS, logger: silentLogger(), version: "test" });
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = createCoordinatorClient({ name: "test", version: "1" });
  await Promise.all([server.connect(b), client.connect(a)]);
  try {
    const nodes = await describeNodes(registry);
    const at = Math.max(...nodes.map((n) => n.collectedAt ?? 0));
    const incident = options.incident ?? manualIncidentAt(new Date(at).toISOString());
    const outcome = await investigate(
      { investigationId: "inv-test", incident },
      { client, nodes, reasoner: createRulesReasoner(), ...options.deps },
    );
    return { outcome, report: outcome.state === "reported" ? buildReport(outcome) : undefined, nodes };
  } finally {
    await client.close();
    await server.close();
    await registry.close();
  }
}
