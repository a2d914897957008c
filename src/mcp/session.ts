import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { NodeInfo } from "../domain/investigation.ts";
import type { KubernetesEvent } from "../evidence/kubernetes-events.ts";
import type { EvidenceSource } from "../evidence/source.ts";
import type { Logger } from "../logger.ts";
import type { ToolDefinition } from "../toolkit/tool-definition.ts";
import { createCoordinatorClient } from "./coordinator-client.ts";
import { createNodeRegistry, type NodeRegistry } from "./node-registry.ts";
import { createMcpServer } from "./server.ts";

/** fathom's MCP server over a set of evidence sources, linked in memory to the client lanes call tools through. */
export interface EvidenceSession {
  registry: NodeRegistry;
  client: Client;
  /** The nodes the sources hold, with where and when their evidence was collected. */
  nodes: NodeInfo[];
  /** Closes the client, the server and every source. */
  close(): Promise<void>;
}

export interface EvidenceSessionDeps {
  /** The diagnostic tools to serve: chosen by the composition root, never imported here. */
  tools: readonly ToolDefinition[];
  logger: Logger;
  /** Who is asking, for the MCP handshake (`fathom-replay`, `fathom-serve`, …). */
  client: string;
  version: string;
  /** Kubernetes events (`--events`), shared by every node. */
  events?: KubernetesEvent[];
  /** Wait before every tool call (remote-like tools: `--tool-latency`, benchmarks, crash tests). */
  toolLatencyMs?: number;
}

/**
 * The one way an investigation reaches its tools: a node registry over the sources, the MCP server
 * with the given tools, and the coordinator's client, linked in memory. The session owns the
 * sources from here on and closes them, also when opening fails.
 */
export async function openEvidenceSession(
  sources: readonly EvidenceSource[],
  deps: EvidenceSessionDeps,
): Promise<EvidenceSession> {
  let registry: NodeRegistry;
  try {
    registry = await createNodeRegistry([...sources], deps.events ? { events: deps.events } : {});
  } catch (error) {
    await Promise.all(sources.map((s) => s.close().catch(() => undefined)));
    throw error;
  }
  const server = createMcpServer({ registry, tools: deps.tools, logger: deps.logger, version: deps.version });
  const client = createCoordinatorClient(
    { name: deps.client, version: deps.version },
    deps.toolLatencyMs ? { latencyMs: deps.toolLatencyMs } : {},
  );
  const close = async () => {
    await client.close().catch(() => undefined);
    await server.close().catch(() => undefined);
    await registry.close();
  };
  try {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
    return { registry, client, nodes: await describeNodes(registry), close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Each node the registry holds, with its instance id, bundle and collection time. */
export async function describeNodes(registry: NodeRegistry): Promise<NodeInfo[]> {
  const out: NodeInfo[] = [];
  for (const entry of registry.nodes()) {
    const clock = await registry.resolve(entry.node).clock();
    out.push({
      node: entry.node,
      ...(entry.instanceId ? { instanceId: entry.instanceId } : {}),
      bundle: entry.label,
      ...(clock.collectedAt !== undefined ? { collectedAt: clock.collectedAt } : {}),
      collectedFrom: clock.collectedFrom,
    });
  }
  return out;
}
