import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { TOOLS } from "../../tools/index.ts";
import type { EvidenceSource } from "../../src/evidence/source.ts";
import { silentLogger } from "../../src/logger.ts";
import { createNodeRegistry } from "../../src/mcp/node-registry.ts";
import { createMcpServer } from "../../src/mcp/server.ts";

/** fathom's MCP server and the SDK's client, linked in memory over the given bundles. */
export async function connectInMemory(
  sources: EvidenceSource[],
): Promise<{ client: Client; close: () => Promise<void> }> {
  const registry = await createNodeRegistry(sources);
  const server = createMcpServer({ registry, tools: TOOLS, logger: silentLogger(), version: "test" });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "fathom-test", version: "1.0.0" });
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
      await registry.close();
    },
  };
}
