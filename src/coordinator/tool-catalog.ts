import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { LANE_NAMES, type LaneName } from "../domain/lane.ts";
import { LANE_META } from "../mcp/server.ts";
import type { ToolInfo } from "./tool-calls.ts";

/** What the server offers, as lanes plan with it: home lane (from `_meta`) and declared inputs. */
export async function discoverTools(client: Client): Promise<{ tools: Map<string, ToolInfo>; order: string[] }> {
  const tools = new Map<string, ToolInfo>();
  const order: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : {});
    for (const tool of page.tools) {
      const lane = tool._meta?.[LANE_META];
      if (typeof lane !== "string" || !(LANE_NAMES as readonly string[]).includes(lane)) continue;
      const properties = (tool.inputSchema as { properties?: Record<string, unknown> }).properties ?? {};
      tools.set(tool.name, { name: tool.name, lane: lane as LaneName, inputs: new Set(Object.keys(properties)) });
      order.push(tool.name);
    }
    cursor = page.nextCursor;
  } while (cursor);
  return { tools, order };
}
