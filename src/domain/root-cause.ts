import { z } from "zod";
import { CUSTOM_ROOT_CAUSE_PATTERN, ROOT_CAUSE_IDS } from "./root-causes.ts";

export const RootCauseIdSchema = z
  .union([
    z.enum(ROOT_CAUSE_IDS as unknown as [string, ...string[]]),
    z.string().regex(CUSTOM_ROOT_CAUSE_PATTERN, "a root cause is a catalog id or a team's own custom.<name>"),
  ])
  .describe("An id from the root-cause catalog, or a team's own custom.<name> from their rules file");

export const RuledOutSchema = z.object({
  id: RootCauseIdSchema,
  reason: z.string().describe("Why this cause does not explain the incident"),
});
export type RuledOut = z.infer<typeof RuledOutSchema>;

export const RootCauseSchema = z
  .object({
    id: RootCauseIdSchema,
    confidence: z.number().min(0).max(1).describe("0–1, calibrated: how likely this is the cause"),
    summary: z.string().describe("One sentence: what happened, in the incident's terms"),
    nodes: z.array(z.string()).describe("Nodes this cause affects"),
    supporting: z.array(z.string()).describe("Finding ids that support it"),
    contrary: z.array(z.string()).describe("Finding ids that argue against it"),
    ruledOut: z.array(RuledOutSchema).describe("Related causes considered and why they lost"),
  })
  .describe("A ranked, evidence-grounded explanation of the incident");
export type RootCause = z.infer<typeof RootCauseSchema>;
