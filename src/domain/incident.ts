import { z } from "zod";
import { NodeRefSchema } from "./node-ref.ts";
import { SeveritySchema } from "./severity.ts";
import { InstantSchema } from "./time.ts";

export const IncidentSourceSchema = z.enum(["alertmanager", "sns", "eventbridge", "manual", "scenario"]);

export const IncidentSchema = z
  .object({
    id: z.string().min(1).max(128),
    source: IncidentSourceSchema,
    cluster: z.string().min(1).max(100).optional(),
    nodes: z.array(NodeRefSchema).max(500),
    title: z.string().min(1).max(500),
    severity: SeveritySchema.optional(),
    startsAt: InstantSchema,
    fingerprint: z.string().min(1).max(256),
    labels: z.record(z.string(), z.string()),
  })
  .describe("A normalized alarm: what fired, where, and when");
export type Incident = z.infer<typeof IncidentSchema>;
