import { z } from "zod";
import { SeveritySchema } from "./severity.ts";
import { InstantSchema } from "./time.ts";

export const FindingKindSchema = z
  .string()
  .regex(
    /^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+$/,
    "a finding kind is a dotted id like ipamd.subnet-exhausted",
  )
  .describe("Stable dotted identifier of what was found, e.g. ipamd.subnet-exhausted");

export const EvidenceLocatorSchema = z
  .object({
    source: z.string().describe("Bundle-relative path of the file the evidence comes from"),
    line: z.number().int().positive().optional().describe("1-based line number in that file"),
    excerpt: z.string().max(600).describe("A short, redacted excerpt of the evidence"),
    at: InstantSchema.optional().describe("When the evidence was written, when the source says"),
  })
  .describe("Where a finding's evidence is: file, line and a short redacted excerpt");
export type EvidenceLocator = z.infer<typeof EvidenceLocatorSchema>;

export const AttributeValueSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.union([z.string(), z.number(), z.boolean()])),
]);
export type AttributeValue = z.infer<typeof AttributeValueSchema>;

export const FindingSchema = z
  .object({
    id: z
      .string()
      .regex(/^F-\d{3,}$/)
      .optional()
      .describe("F-001…, assigned by the coordinator after the lanes finish; absent in a single tool's report"),
    tool: z.string().describe("MCP name of the tool that produced the finding"),
    node: z.string().describe("Node the evidence comes from (node name, else instance id)"),
    kind: FindingKindSchema,
    severity: SeveritySchema,
    summary: z.string().describe("One sentence a person on call can read"),
    evidence: z.array(EvidenceLocatorSchema).describe("Up to a few locators proving the finding"),
    count: z.number().int().nonnegative().describe("How many times the signal occurred"),
    firstSeen: InstantSchema.optional().describe("First occurrence"),
    lastSeen: InstantSchema.optional().describe("Last occurrence"),
    attributes: z
      .record(z.string(), AttributeValueSchema)
      .describe("Typed facts behind the finding (counts, values, names)"),
    correlateWith: z.array(z.string()).describe("Tools worth calling next to confirm or explain this finding"),
  })
  .describe("A typed, severity-classified observation about a node");
export type Finding = z.infer<typeof FindingSchema>;
