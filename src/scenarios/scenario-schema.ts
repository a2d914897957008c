import { z } from "zod";
import { IncidentSourceSchema } from "../domain/incident.ts";
import { NodeRefSchema } from "../domain/node-ref.ts";
import { RootCauseIdSchema } from "../domain/root-cause.ts";
import { SeveritySchema } from "../domain/severity.ts";
import { InstantSchema } from "../domain/time.ts";
import { VerdictSchema } from "../domain/report.ts";

const BaselineOptionsSchema = z
  .object({
    seed: z.number().int().optional(),
    nodeName: z.string().optional(),
    instanceId: z
      .string()
      .regex(/^i-[0-9a-f]{8,17}$/)
      .optional(),
    region: z.string().optional(),
    availabilityZone: z.string().optional(),
    collectedAt: InstantSchema.optional(),
    uptimeDays: z.number().positive().max(400).optional(),
    cniLogFormat: z.enum(["json", "text"]).optional(),
    enisShape: z.enum(["by-network-card", "flat", "legacy"]).optional(),
    ignoreIntrospection: z.boolean().optional(),
    kubeletVersion: z.string().optional(),
    containerdVersion: z.string().optional(),
    cniVersion: z.string().optional(),
    kernel: z.string().optional(),
    maxPods: z.number().int().positive().optional(),
    nodeadm: z.boolean().optional(),
    kubeletNoiseLines: z.number().int().nonnegative().max(2_000_000).optional(),
  })
  .strict()
  .describe("Options of the healthy baseline the recipe starts from");

/** A bundle made by the generator: the realistic baseline, named faults, then inline edits. */
export const RecipeSchema = z
  .object({
    seed: z.number().int().optional(),
    options: BaselineOptionsSchema.optional(),
    faults: z.array(z.string().min(1)).optional().describe("Fault variant ids (src/fixtures/faults)"),
    append: z
      .record(z.string(), z.array(z.string()))
      .optional()
      .describe("Lines appended to bundle files, merged into time order"),
    replace: z.record(z.string(), z.string()).optional().describe("Whole bundle files replaced (or added)"),
    remove: z.array(z.string()).optional().describe("Bundle files removed"),
  })
  .strict();
export type Recipe = z.infer<typeof RecipeSchema>;

export const ScenarioNodeSchema = z.union([
  z
    .object({
      bundle: z.string().min(1).describe("Path to a bundle folder or .tar.gz, relative to the scenario folder"),
    })
    .strict(),
  z.object({ recipe: RecipeSchema }).strict(),
]);
export type ScenarioNode = z.infer<typeof ScenarioNodeSchema>;

export const ScenarioIncidentSchema = z
  .object({
    title: z.string().min(1).max(500).optional(),
    source: IncidentSourceSchema.optional(),
    cluster: z.string().optional(),
    nodes: z.array(NodeRefSchema).optional(),
    severity: SeveritySchema.optional(),
    startsAt: InstantSchema.optional().describe("Defaults to the newest bundle's collection time"),
    labels: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export const ScenarioSchema = z
  .object({
    title: z.string().min(1).max(200),
    description: z.string().max(4000).optional(),
    author: z
      .enum(["team", "independent"])
      .default("team")
      .describe("independent: written without reading src/synthesis"),
    tags: z.array(z.string()).default([]),
    incident: ScenarioIncidentSchema.optional(),
    nodes: z.array(ScenarioNodeSchema).min(1).max(50),
    events: z.string().optional().describe("kubectl get events -o json|yaml file, relative to the scenario folder"),
    since: z
      .string()
      .regex(/^\d+(\.\d+)?[smhd]$/)
      .optional(),
    expect: z
      .object({
        rootCause: RootCauseIdSchema,
        verdict: VerdictSchema.optional(),
        nodes: z.array(z.string()).optional(),
        lane: z.enum(["network", "service", "runtime", "host", "none"]).optional(),
      })
      .strict(),
    after: z
      .array(ScenarioNodeSchema)
      .optional()
      .describe("Evidence after remediation, node by node, for verification"),
  })
  .strict();
export type Scenario = z.infer<typeof ScenarioSchema>;
