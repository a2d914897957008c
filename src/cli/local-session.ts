import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { createCoordinatorClient } from "../mcp/coordinator-client.ts";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { TOOLS } from "../../tools/index.ts";
import type { NodeInfo } from "../coordinator/investigation-types.ts";
import { EvidenceError } from "../evidence/errors.ts";
import { readKubernetesEventsFile, type KubernetesEvent } from "../evidence/kubernetes-events.ts";
import type { Logger } from "../logger.ts";
import { createNodeRegistry, openBundles, type NodeRegistry } from "../mcp/node-registry.ts";
import { createMcpServer } from "../mcp/server.ts";
import { CliError } from "./cli-error.ts";
import { VERSION } from "./version.ts";

export interface LocalSession {
  registry: NodeRegistry;
  client: Client;
  nodes: NodeInfo[];
  close(): Promise<void>;
}

/** Opens bundles and links fathom's own MCP server to a client in memory: the default path. */
export async function openLocalSession(
  bundles: string[],
  logger: Logger,
  options: { events?: string; toolLatencyMs?: number } = {},
): Promise<LocalSession> {
  const events = options.events ? await readEventsArg(options.events) : undefined;
  const sources = await openBundles(bundles).catch((error: Error) => {
    throw new CliError(error instanceof EvidenceError ? error.message : `cannot open bundle: ${error.message}`, 3);
  });
  const registry = await createNodeRegistry(sources, events ? { events } : {});
  const server = createMcpServer({ registry, tools: TOOLS, logger, version: VERSION });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const info = { name: "fathom-coordinator", version: VERSION };
  const client = createCoordinatorClient(info, options.toolLatencyMs ? { latencyMs: options.toolLatencyMs } : {});
  await Promise.all([server.connect(serverSide), client.connect(clientSide)]);
  return {
    registry,
    client,
    nodes: await describeNodes(registry),
    async close() {
      await client.close().catch(() => undefined);
      await server.close().catch(() => undefined);
      await registry.close();
    },
  };
}

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

/** `--events <file>`: kubectl events, refused with a one-line reason when unreadable. */
export async function readEventsArg(path: string): Promise<KubernetesEvent[]> {
  return readKubernetesEventsFile(path).catch((error: Error) => {
    throw new CliError(error.message, 2);
  });
}
