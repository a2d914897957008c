import { z } from "zod";
import { FindingSchema } from "./finding.ts";
import { IncidentSchema } from "./incident.ts";
import { LaneNameSchema } from "./lane.ts";
import { RootCauseSchema } from "./root-cause.ts";
import { SeveritySchema } from "./severity.ts";
import { TimeWindowSchema } from "./time.ts";

export const REPORT_SCHEMA_VERSION = "1.0";

export const ReportGapSchema = z.object({
  node: z.string().optional(),
  lane: LaneNameSchema.optional(),
  tool: z.string().optional(),
  source: z.string().describe("File, tool or lane that could not be used"),
  reason: z.string(),
});
export type ReportGap = z.infer<typeof ReportGapSchema>;

export const LaneReportSchema = z.object({
  lane: LaneNameSchema,
  status: z.enum(["done", "timed-out", "failed"]),
  toolCalls: z.number().int().nonnegative(),
  tools: z.array(
    z.object({
      tool: z.string(),
      node: z.string(),
      status: z.enum(["ok", "no_data", "error", "failed", "timed-out"]),
      severity: SeveritySchema,
      findings: z.number().int().nonnegative(),
      durationMs: z.number().nonnegative(),
    }),
  ),
  findings: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
});
export type LaneReport = z.infer<typeof LaneReportSchema>;

export const CoverageSchema = z.object({
  toolCalls: z.number().int().nonnegative(),
  ok: z.number().int().nonnegative(),
  noData: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  ratio: z.number().min(0).max(1).describe("Share of tool calls that read their evidence"),
});
export type Coverage = z.infer<typeof CoverageSchema>;

export const NodeSummarySchema = z.object({
  node: z.string(),
  instanceId: z.string().optional(),
  bundle: z.string(),
  collectedAt: z.string().optional(),
  collectedFrom: z.string(),
});

export const RemediationSchema = z.object({
  id: z.string(),
  rootCause: z.string(),
  document: z.string(),
  parameters: z.record(z.string(), z.unknown()),
  targets: z.array(z.string()),
  risk: z.enum(["low", "medium", "high"]),
  rollback: z.string(),
  requiresApproval: z.boolean(),
  planHash: z.string(),
});

export const VerdictSchema = z.enum(["explained", "nothing-found", "inconclusive"]);
export type Verdict = z.infer<typeof VerdictSchema>;

export const ReportSchema = z
  .object({
    schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
    investigationId: z.string(),
    incident: IncidentSchema,
    window: TimeWindowSchema,
    nodes: z.array(NodeSummarySchema),
    verdict: VerdictSchema,
    coverage: CoverageSchema,
    lanes: z.array(LaneReportSchema),
    findings: z.array(FindingSchema.extend({ id: z.string() })),
    rootCauses: z.array(RootCauseSchema).min(1),
    gaps: z.array(ReportGapSchema),
    remediations: z.array(RemediationSchema),
    timings: z.object({ startedAt: z.string(), totalMs: z.number(), lanesMs: z.number(), synthesisMs: z.number() }),
  })
  .describe("The result of one investigation");
export type Report = z.infer<typeof ReportSchema>;
