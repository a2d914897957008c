import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { LineCounter, isNode, parseDocument } from "yaml";
import { z } from "zod";
import { canonicalJson } from "../domain/remediation.ts";
import { documentRisk } from "../catalog/remediations.ts";
import { ROLE_ARN_PATTERN, MAX_INSTANCE_IDS, documentSpec } from "../catalog/ssm-documents.ts";

/**
 * The remediation policy: where fathom may act, which documents it may run, who may approve and
 * for how long an approval holds. No policy file means fathom investigates and executes nothing.
 * `version` is the sha256 of the policy's canonical content, so a plan (and its approval) is
 * bound to the exact policy it was checked against.
 */

const MAX_POLICY_BYTES = 256 * 1024;
const MIN_TTL_MS = 60_000;
const MAX_TTL_MS = 24 * 3_600_000;

export const AccountIdSchema = z
  .string()
  .regex(/^[0-9]{12}$/, "an AWS account id is 12 digits")
  .describe("AWS account id");
export const RegionSchema = z
  .string()
  .regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]{1,2}$/, "an AWS region looks like us-east-1")
  .describe("AWS region code");
export const ClusterNameSchema = z
  .string()
  .regex(
    /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/,
    "an EKS cluster name is 1–100 letters, digits, - and _, starting with a letter or digit",
  )
  .describe("EKS cluster name");
export const OsUserSchema = z
  .string()
  .regex(/^[a-z_][a-z0-9_-]{0,31}$/, "an OS user name is lowercase letters, digits, _ and -, at most 32 characters")
  .describe("OS user name of a person allowed to approve (the user running the prompt)");

const unique = <T extends z.ZodType>(item: T, what: string, max: number) =>
  z
    .array(item)
    .min(1)
    .max(max)
    .refine((xs) => new Set(xs as unknown[]).size === xs.length, { message: `${what} must not repeat` });

const DurationSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,5}(s|m|h)$/, "a duration is a whole number with s, m or h, e.g. 15m")
  .transform(
    (text) => Number(text.slice(0, -1)) * { s: 1_000, m: 60_000, h: 3_600_000 }[text.slice(-1) as "s" | "m" | "h"],
  )
  .refine((ms) => ms >= MIN_TTL_MS && ms <= MAX_TTL_MS, { message: "the approval ttl must be between 1m and 24h" });

export const PolicyFileSchema = z
  .strictObject({
    apiVersion: z.literal("fathom/v1").describe("Format of this file"),
    scope: z
      .strictObject({
        accounts: unique(AccountIdSchema, "accounts", 100),
        regions: unique(RegionSchema, "regions", 50),
        clusters: unique(ClusterNameSchema, "clusters", 200),
      })
      .describe("Where fathom may act: every execution must match one account, one region and one cluster"),
    execution: z
      .strictObject({
        assumeRole: z
          .string()
          .regex(new RegExp(ROLE_ARN_PATTERN), "assumeRole must be an IAM role ARN")
          .describe("Role Automation assumes (AutomationAssumeRole)"),
        maxTargets: z
          .number()
          .int()
          .min(1)
          .max(MAX_INSTANCE_IDS)
          .default(1)
          .describe("Most instances one execution may touch"),
      })
      .describe("How documents run"),
    documents: z
      .strictObject({
        allow: unique(z.string().min(1).max(128), "documents.allow", 50).describe("Documents fathom may run"),
        waiveApproval: z
          .array(z.string().min(1).max(128))
          .max(50)
          .default([])
          .describe("Allowed documents that run without a person's approval (never a high-risk one)"),
      })
      .describe("Which SSM Automation documents may run"),
    approval: z
      .strictObject({
        ttl: DurationSchema.default(15 * 60_000).describe("How long an approval holds: 1m to 24h"),
        approvers: unique(OsUserSchema, "approval.approvers", 100),
      })
      .describe("Who may approve and for how long"),
  })
  .superRefine((p, ctx) => {
    p.documents.allow.forEach((name, i) => {
      if (!documentSpec(name) || documentRisk(name) === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["documents", "allow", i],
          message: `unknown document "${name}": fathom runs only the documents its remediation catalog names`,
        });
      }
    });
    p.documents.waiveApproval.forEach((name, i) => {
      if (!p.documents.allow.includes(name)) {
        ctx.addIssue({
          code: "custom",
          path: ["documents", "waiveApproval", i],
          message: `"${name}" is not in documents.allow`,
        });
      } else if (documentRisk(name) === "high") {
        ctx.addIssue({
          code: "custom",
          path: ["documents", "waiveApproval", i],
          message: `the policy may not waive approval for ${name}: it is high risk, and high-risk documents always need a person's approval`,
        });
      }
    });
    const roleAccount = /^arn:[^:]+:iam::([0-9]{12}):/.exec(p.execution.assumeRole)?.[1];
    if (roleAccount && !p.scope.accounts.includes(roleAccount)) {
      ctx.addIssue({
        code: "custom",
        path: ["execution", "assumeRole"],
        message: `the role's account ${roleAccount} is not in scope.accounts`,
      });
    }
  })
  .describe("fathom remediation policy");

export type PolicyFile = z.output<typeof PolicyFileSchema>;

export interface Policy {
  scope: PolicyFile["scope"];
  execution: PolicyFile["execution"];
  documents: PolicyFile["documents"];
  approval: { ttlMs: number; approvers: readonly string[] };
  /** `sha256:<hex>` of the canonical (validated, defaults applied) content. */
  version: string;
  /** The file it came from, for messages. */
  source: string;
}

/** A policy file that cannot be used: names the file, the line and what is wrong. */
export class PolicyError extends Error {
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, line: number | undefined, message: string) {
    super(`${file}${line ? `:${line}` : ""}: ${message}`);
    this.name = "PolicyError";
    this.file = file;
    this.line = line;
  }
}

/** Parses and validates policy YAML; errors carry the line of the offending value. Pure. */
export function parsePolicy(text: string, file: string): Policy {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const [yamlError] = doc.errors;
  if (yamlError) {
    const line = yamlError.linePos?.[0]?.line ?? lineCounter.linePos(yamlError.pos[0]).line;
    throw new PolicyError(file, line, `invalid YAML: ${yamlError.message.split("\n")[0]}`);
  }
  let raw: unknown;
  try {
    // A policy has no use for anchors and aliases; refusing them also refuses alias bombs.
    raw = doc.toJS({ maxAliasCount: 0 });
  } catch (error) {
    throw new PolicyError(file, undefined, `invalid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  const parsed = PolicyFileSchema.safeParse(raw);
  if (!parsed.success) {
    // A misspelt key also makes the real key "missing": name the misspelling, which is the cause.
    const issues = parsed.error.issues as z.core.$ZodIssue[];
    const issue = (issues.find((i) => i.code === "unrecognized_keys") ?? issues[0]) as z.core.$ZodIssue;
    const path = issue.path as Array<string | number>;
    const at = issue.code === "unrecognized_keys" && issue.keys[0] !== undefined ? [...path, issue.keys[0]] : path;
    const where = path.length ? path.join(".") : "(top level)";
    throw new PolicyError(file, lineOf(doc, at, lineCounter), `${where}: ${issue.message}`);
  }
  const data = parsed.data;
  return {
    scope: data.scope,
    execution: data.execution,
    documents: data.documents,
    approval: { ttlMs: data.approval.ttl, approvers: data.approval.approvers },
    version: `sha256:${createHash("sha256").update(canonicalJson(data)).digest("hex")}`,
    source: file,
  };
}

/** Reads and validates a policy file. */
export async function loadPolicy(file: string): Promise<Policy> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new PolicyError(file, undefined, "no such policy file");
  if (info.size > MAX_POLICY_BYTES) throw new PolicyError(file, undefined, `larger than ${MAX_POLICY_BYTES} bytes`);
  return parsePolicy(await readFile(file, "utf8"), file);
}

/** The policy at `file`, or undefined when there is no file there (fathom then executes nothing). */
export async function loadOptionalPolicy(file: string): Promise<Policy | undefined> {
  const info = await stat(file).catch(() => undefined);
  return info ? loadPolicy(file) : undefined;
}

export type CheckResult = { ok: true } | { ok: false; reasons: string[] };

/** Whether anything may execute at all. Pure: no policy file means investigate only. */
export function executionAllowed(policy: Policy | undefined): CheckResult {
  return policy
    ? { ok: true }
    : { ok: false, reasons: ["no policy file: fathom investigates local bundles and executes nothing"] };
}

function lineOf(
  doc: ReturnType<typeof parseDocument>,
  path: Array<string | number>,
  counter: LineCounter,
): number | undefined {
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return undefined;
}
