import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { EvidenceSource } from "../../src/evidence/source.ts";
import { silentLogger } from "../../src/logger.ts";
import { openEvidenceSession } from "../../src/mcp/session.ts";
import { TOOLS } from "../../tools/index.ts";

/** fathom's MCP server and the SDK's client, linked in memory over the given bundles. */
export async function connectInMemory(
  sources: EvidenceSource[],
): Promise<{ client: Client; close: () => Promise<void> }> {
  const session = await openEvidenceSession(sources, {
    tools: TOOLS,
    logger: silentLogger(),
    client: "fathom-test",
    version: "1.0.0",
  });
  return { client: session.client, close: session.close };
}
