import { fileURLToPath } from "node:url";
import { z } from "zod";

/**
 * The SSM Automation documents fathom may run, and the constraints on their parameters. This is
 * the one place that states them: the zod schemas are derived from these specs, and a test checks
 * that every shipped YAML document declares exactly the same `allowedPattern` / `allowedValues`.
 * Patterns are written in the subset RE2 (SSM) and JavaScript agree on: no lookaround, `$` only at
 * the very end of the input.
 */

/** SSM's own shape for an instance id; the policy checks add the stricter 8-or-17 rule. */
export const INSTANCE_ID_PATTERN = "^i-[0-9a-f]{8,17}$";
/** An IAM role ARN in the standard, China or GovCloud partitions. */
export const ROLE_ARN_PATTERN = "^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$";
/** aws:runCommand accepts at most 50 instance ids per call. */
export const MAX_INSTANCE_IDS = 50;
/** The only conntrack limits fathom sets: powers of two from 256 Ki to 1 Mi entries. */
export const CONNTRACK_MAX_VALUES = ["262144", "524288", "1048576"] as const;

export interface ParameterSpec {
  type: "String" | "StringList";
  description: string;
  allowedPattern?: string;
  allowedValues?: readonly string[];
  minItems?: number;
  maxItems?: number;
}

export interface DocumentSpec {
  name: string;
  /** `fathom`: shipped as YAML in workflows/ssm-documents; `aws`: an AWS-owned document, named only. */
  owner: "fathom" | "aws";
  /** The parameter that carries the targets (AWS-owned documents name it differently). */
  targetParameter: string;
  parameters: Readonly<Record<string, ParameterSpec>>;
}

const instanceIds = (name: string): ParameterSpec => ({
  type: "StringList",
  description: `(Required) EC2 instance ids of the EKS nodes to act on (${name}).`,
  allowedPattern: INSTANCE_ID_PATTERN,
  minItems: 1,
  maxItems: MAX_INSTANCE_IDS,
});

const assumeRole: ParameterSpec = {
  type: "String",
  description: "(Required) ARN of the IAM role that Automation assumes to run the steps.",
  allowedPattern: ROLE_ARN_PATTERN,
};

const fathomDocument = (name: string, extra: Record<string, ParameterSpec> = {}): DocumentSpec => ({
  name,
  owner: "fathom",
  targetParameter: "InstanceIds",
  parameters: { InstanceIds: instanceIds("InstanceIds"), AutomationAssumeRole: assumeRole, ...extra },
});

export const DOCUMENTS = [
  fathomDocument("Fathom-RestartContainerd"),
  fathomDocument("Fathom-RestartKubelet"),
  fathomDocument("Fathom-RaiseConntrackLimit", {
    ConntrackMax: {
      type: "String",
      description:
        "(Required) New net.netfilter.nf_conntrack_max. One of fixed values; the document never lowers the current limit.",
      allowedValues: CONNTRACK_MAX_VALUES,
    },
  }),
  fathomDocument("Fathom-PruneUnusedImages"),
  fathomDocument("Fathom-ResyncClock"),
  fathomDocument("Fathom-RepullSandboxImage"),
  {
    name: "AWS-RestartEC2Instance",
    owner: "aws",
    targetParameter: "InstanceId",
    parameters: { InstanceId: instanceIds("InstanceId"), AutomationAssumeRole: assumeRole },
  },
] as const satisfies readonly DocumentSpec[];

export type DocumentName = (typeof DOCUMENTS)[number]["name"];

export const DOCUMENT_NAMES: readonly DocumentName[] = DOCUMENTS.map((d) => d.name);

export function isDocumentName(name: string): name is DocumentName {
  return (DOCUMENT_NAMES as readonly string[]).includes(name);
}

export function documentSpec(name: string): DocumentSpec | undefined {
  return DOCUMENTS.find((d) => d.name === name);
}

/** Where a fathom-owned document's YAML lives; undefined for AWS-owned documents. */
export function documentFile(name: string): string | undefined {
  const spec = documentSpec(name);
  if (spec?.owner !== "fathom") return undefined;
  return fileURLToPath(new URL(`../../workflows/ssm-documents/${spec.name}.yaml`, import.meta.url));
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

const SCHEMAS: ReadonlyMap<string, z.ZodObject> = new Map(DOCUMENTS.map((d) => [d.name, schemaFor(d)]));

/** The parameter schema of a document fathom may run; undefined for any other name. */
export function documentParameterSchema(name: string): z.ZodObject | undefined {
  return SCHEMAS.get(name);
}
