import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { ToolReport } from "../domain/tool-report.ts";
import { redactText } from "../policy/redaction.ts";

/** The one place that builds MCP tool results. */
export function reportResult(report: ToolReport): CallToolResult {
  const head = `${report.tool} on ${report.node}: ${report.status}, ${report.findings.length} finding(s), max severity ${report.severity}`;
  const lines = report.findings.slice(0, 20).map((f) => `- [${f.severity}] ${f.kind}: ${f.summary}`);
  const gaps = report.gaps.map((g) => `- gap ${g.source}: ${g.reason}`);
  return {
    content: [{ type: "text", text: [head, ...lines, ...gaps].join("\n") }],
    structuredContent: report as unknown as Record<string, unknown>,
  };
}

/** Invalid input or an internal fault, in words a model can act on. */
export function errorResult(message: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text: redactText(message) }] };
}
