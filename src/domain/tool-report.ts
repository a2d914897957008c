import { z } from "zod";
import { FindingSchema } from "./finding.ts";
import { SeveritySchema } from "./severity.ts";

export const ToolStatusSchema = z
  .enum(["ok", "no_data", "error"])
  .describe(
    "ok: the source was read; no_data: the source is missing; error: the source is present but unreadable or corrupt",
  );
export type ToolStatus = z.infer<typeof ToolStatusSchema>;

export const GapSchema = z
  .object({
    source: z.string().describe("Bundle path (or logical source) that could not be used"),
    reason: z.string().describe("Why it could not be used"),
  })
  .describe("Evidence a tool wanted but could not use");
export type Gap = z.infer<typeof GapSchema>;

export const ToolStatsSchema = z.object({
  bytesRead: z.number().int().nonnegative(),
  linesScanned: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
});
export type ToolStats = z.infer<typeof ToolStatsSchema>;

export const ToolReportSchema = z
  .object({
    tool: z.string().describe("MCP name of the tool"),
    node: z.string().describe("Node the report is about"),
    status: ToolStatusSchema,
    severity: SeveritySchema.describe("The most severe finding's severity (info when none)"),
    findings: z.array(FindingSchema),
    stats: ToolStatsSchema,
    gaps: z.array(GapSchema),
  })
  .describe("What one tool found on one node");
export type ToolReport = z.infer<typeof ToolReportSchema>;
