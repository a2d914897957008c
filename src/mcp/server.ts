import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ToolReportSchema } from "../domain/tool-report.ts";
import type { Logger } from "../logger.ts";
import { runTool, toolInputSchema, type ToolInput } from "../toolkit/run-tool.ts";
import type { ToolDefinition } from "../toolkit/tool-definition.ts";
import { UnknownNodeError, type NodeRegistry } from "./node-registry.ts";
import { errorResult, reportResult } from "./tool-result.ts";

/** `_meta` key that carries a tool's home lane in tools/list. */
export const LANE_META = "fathom/lane";

export interface ServerDeps {
  registry: NodeRegistry;
  tools: readonly ToolDefinition[];
  logger: Logger;
  version: string;
}

/** Builds fathom's MCP server: every diagnostic tool, read-only, over the given bundles. */
export function createMcpServer(deps: ServerDeps): McpServer {
  const server = new McpServer({ name: "fathom", version: deps.version }, { capabilities: { tools: {} } });
  for (const tool of deps.tools) registerDiagnosticTool(server, tool, deps);
  return server;
}

export function registerDiagnosticTool(server: McpServer, tool: ToolDefinition, deps: ServerDeps): void {
  server.registerTool(
    tool.name,
    {
      title: tool.title,
      description: tool.description,
      inputSchema: toolInputSchema(tool),
      outputSchema: ToolReportSchema,
      annotations: {
        title: tool.title,
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
      // Lets any client (fathom's own lanes included) plan by lane without a copy of the catalog.
      _meta: { [LANE_META]: tool.lane },
    },
    async (args: unknown, extra) => {
      const input = args as ToolInput;
      const log = deps.logger.child({ tool: tool.name, node: input.node });
      try {
        const evidence = deps.registry.resolve(input.node);
        const report = await runTool(tool, evidence, input, extra.signal);
        log.debug(
          { status: report.status, findings: report.findings.length, durationMs: report.stats.durationMs },
          "tool call",
        );
        return reportResult(report);
      } catch (error) {
        if (error instanceof UnknownNodeError) return errorResult(error.message);
        log.error({ err: error }, "tool failed");
        return errorResult(`${tool.name} failed: ${(error as Error).message}`);
      }
    },
  );
}
