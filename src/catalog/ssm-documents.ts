import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { validateYaml } from "../yaml/validate-yaml.ts";

/**
 * The SSM Automation documents fathom may run, and the constraints on their parameters. For the
 * documents fathom ships, the constraints are read from the documents themselves
 * (workflows/ssm-documents/<name>.yaml, the text SSM enforces), and the zod schemas are derived
 * from what was read, so the two cannot disagree. Only the AWS-owned document, which is not in
 * this repository, is described here. Patterns must be in the subset RE2 (SSM) and JavaScript
 * agree on: no lookaround, `$` only at the very end of the input.
 */

/** SSM's own shape for an instance id; the policy checks add the stricter 8-or-17 rule. */
export const INSTANCE_ID_PATTERN = "^i-[0-9a-f]{8,17}$";
/** An IAM role ARN in the standard, China or GovCloud partitions. */
export const ROLE_ARN_PATTERN = "^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$";
/** aws:runCommand accepts at most 50 instance ids per call. */
export const MAX_INSTANCE_IDS = 50;

/** A parameter as an Automation document declares it; strict, so a constraint fathom does not know refuses the document. */
export const ParameterSpecSchema = z.strictObject({
  type: z.enum(["String", "StringList"]),
  description: z.string().min(1),
  allowedPattern: z.string().min(1).optional(),
  allowedValues: z.array(z.string()).min(1).optional(),
  minItems: z.number().int().nonnegative().optional(),
  maxItems: z.number().int().positive().optional(),
});
export type ParameterSpec = z.infer<typeof ParameterSpecSchema>;

/** The part of a shipped document fathom reads; the steps are checked by the document tests. */
const ShippedDocumentSchema = z.looseObject({
  schemaVersion: z.literal("0.3"),
  parameters: z.record(z.string(), ParameterSpecSchema),
});

export interface DocumentSpec {
  name: string;
  /** `fathom`: shipped as YAML in workflows/ssm-documents; `aws`: an AWS-owned document, named only. */
  owner: "fathom" | "aws";
  /** The parameter that carries the targets (AWS-owned documents name it differently). */
  targetParameter: string;
  parameters: Readonly<Record<string, ParameterSpec>>;
}

/** The documents fathom ships, one YAML file each in workflows/ssm-documents. */
export const FATHOM_DOCUMENT_NAMES = [
  "Fathom-RestartContainerd",
  "Fathom-RestartKubelet",
  "Fathom-RaiseConntrackLimit",
  "Fathom-PruneUnusedImages",
  "Fathom-ResyncClock",
  "Fathom-RepullSandboxImage",
] as const;

/** AWS-owned: fathom states the constraints it holds its own parameters to. */
const AWS_DOCUMENTS: readonly DocumentSpec[] = [
  {
    name: "AWS-RestartEC2Instance",
    owner: "aws",
    targetParameter: "InstanceId",
    parameters: {
      InstanceId: {
        type: "StringList",
        description: "(Required) EC2 instance ids of the EKS nodes to act on (InstanceId).",
        allowedPattern: INSTANCE_ID_PATTERN,
        minItems: 1,
        maxItems: MAX_INSTANCE_IDS,
      },
      AutomationAssumeRole: {
        type: "String",
        description: "(Required) ARN of the IAM role that Automation assumes to run the steps.",
        allowedPattern: ROLE_ARN_PATTERN,
      },
    },
  },
];

export const DOCUMENT_NAMES = [...FATHOM_DOCUMENT_NAMES, "AWS-RestartEC2Instance"] as const;
export type DocumentName = (typeof DOCUMENT_NAMES)[number];

export function isDocumentName(name: string): name is DocumentName {
  return (DOCUMENT_NAMES as readonly string[]).includes(name);
}

/** Where a fathom-owned document's YAML lives; undefined for AWS-owned documents. */
export function documentFile(name: string): string | undefined {
  if (!(FATHOM_DOCUMENT_NAMES as readonly string[]).includes(name)) return undefined;
  return fileURLToPath(new URL(`../../workflows/ssm-documents/${name}.yaml`, import.meta.url));
}

/** Reads a shipped document's parameters. A document fathom cannot read is a broken install: say which and why. */
export function readShippedDocument(name: (typeof FATHOM_DOCUMENT_NAMES)[number]): DocumentSpec {
  const file = documentFile(name) as string;
  const validated = validateYaml(readFileSync(file, "utf8"), ShippedDocumentSchema);
  if (!validated.ok) {
    const problems = validated.issues.map((i) => `${file}${i.line ? `:${i.line}` : ""}: ${i.message}`);
    throw new Error(`SSM document ${name} cannot be used: ${problems.join("; ")}`);
  }
  return { name, owner: "fathom", targetParameter: "InstanceIds", parameters: validated.data.parameters };
}

let specs: ReadonlyMap<string, { spec: DocumentSpec; schema: z.ZodObject }> | undefined;

// Read once, on first use, from files that ship with fathom and never change while it runs.
function loaded(): ReadonlyMap<string, { spec: DocumentSpec; schema: z.ZodObject }> {
  specs ??= new Map(
    [...FATHOM_DOCUMENT_NAMES.map(readShippedDocument), ...AWS_DOCUMENTS].map((spec) => [
      spec.name,
      { spec, schema: schemaFor(spec) },
    ]),
  );
  return specs;
}

/** Every document fathom may run, with its parameters as declared. */
export function documentSpecs(): DocumentSpec[] {
  return [...loaded().values()].map((entry) => entry.spec);
}

export function documentSpec(name: string): DocumentSpec | undefined {
  return loaded().get(name)?.spec;
}

/** The values a document allows for one parameter (its `allowedValues`), in the document's order. */
export function allowedValuesOf(document: DocumentName, parameter: string): readonly string[] {
  const values = documentSpec(document)?.parameters[parameter]?.allowedValues;
  if (!values) throw new Error(`${document} declares no allowedValues for ${parameter}`);
  return values;
}

// Generous but finite: no legitimate value is longer, and a huge value is an attack or a bug.
const MAX_VALUE_CHARS = 1024;

function parameterSchema(name: string, spec: ParameterSpec): z.ZodType {
  const item = (): z.ZodType => {
    if (spec.allowedValues) return z.enum(spec.allowedValues as [string, ...string[]]);
    let s = z.string().max(MAX_VALUE_CHARS);
    if (spec.allowedPattern) s = s.regex(new RegExp(spec.allowedPattern), `${name} must match ${spec.allowedPattern}`);
    return s;
  };
  if (spec.type === "String") return item().describe(spec.description);
  let list = z.array(item());
  if (spec.minItems !== undefined) list = list.min(spec.minItems);
  if (spec.maxItems !== undefined) list = list.max(spec.maxItems);
  return list.describe(spec.description);
}

/** A strict zod schema for one document's parameters: every parameter required, nothing extra. */
export function schemaFor(spec: DocumentSpec): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, p] of Object.entries(spec.parameters)) shape[name] = parameterSchema(name, p);
  return z.strictObject(shape).describe(`Parameters of ${spec.name}`);
}

/** The parameter schema of a document fathom may run; undefined for any other name. */
export function documentParameterSchema(name: string): z.ZodObject | undefined {
  return loaded().get(name)?.schema;
}
