import type { z } from "zod";
import { IncidentSchema, type Incident } from "../domain/incident.ts";
import type { NodeRef } from "../domain/node-ref.ts";
import type { Severity } from "../domain/severity.ts";
import { redactField, redactText } from "../policy/redaction.ts";
import { incidentKey, type AlarmIdentity } from "./incident-key.ts";

/** Which receiver turned a payload into an alarm; also the Incident's `source`. */
export type AlarmReceiver = "alertmanager" | "sns" | "eventbridge";
/** CloudWatch `OK` is `resolved`; `ALARM` and `INSUFFICIENT_DATA` are `firing`. */
export type AlarmStatus = "firing" | "resolved";

/**
 * One alarm from any receiver, in the form `fathom serve` acts on. Every string in it has passed
 * redaction. `key` decides which investigation it belongs to; `noInvestigationReason`, when set,
 * says why it must be recorded but must not start one.
 */
export interface NormalizedAlarm {
  receiver: AlarmReceiver;
  status: AlarmStatus;
  /** The incident key (sha256 hex), see incident-key.ts; also `incident.fingerprint`. */
  key: string;
  alarmName: string;
  /** The source's own identity of the alarm: Alertmanager's alert fingerprint, CloudWatch's alarm ARN. */
  rawFingerprint: string;
  incident: Incident;
  /** CloudWatch's state (`ALARM` | `OK` | `INSUFFICIENT_DATA`); absent for Alertmanager. */
  state?: "ALARM" | "OK" | "INSUFFICIENT_DATA";
  /** When a resolved alert ended (Alertmanager `endsAt`). */
  endsAt?: string;
  /** Longer text from the source (annotation description, alarm description), redacted and clipped. */
  description?: string;
  noInvestigationReason?: string;
}

/** A refused input, with a reason fit for a 4xx body and a log line (already redacted). */
export interface Rejection {
  ok: false;
  reason: string;
}

export interface NormalizeOptions {
  /** Clusters fathom may investigate. Absent: no cluster policy. An alarm outside it is still normalized. */
  allowedClusters?: readonly string[];
}

/** What a receiver knows about one alarm before redaction, keying and validation. */
export interface AlarmDraft {
  receiver: AlarmReceiver;
  status: AlarmStatus;
  alarmName: string;
  identity: AlarmIdentity;
  rawFingerprint: string;
  cluster?: string | undefined;
  nodes: NodeRef[];
  title: string;
  severity?: Severity | undefined;
  startsAt: string;
  labels: Record<string, string>;
  state?: NormalizedAlarm["state"];
  endsAt?: string | undefined;
  description?: string | undefined;
  /** A source-specific reason not to investigate (e.g. INSUFFICIENT_DATA). */
  notActionable?: string | undefined;
  /** Where nodes were looked for, for the "names no node" reason. */
  nodeHint: string;
}

const MAX_LABELS = 64;
const MAX_LABEL_VALUE = 1024;
const MAX_TITLE = 500;
const MAX_DESCRIPTION = 2000;

/** Redacts, keys and validates a draft into a NormalizedAlarm. */
export function finishAlarm(
  draft: AlarmDraft,
  options: NormalizeOptions = {},
): { ok: true; alarm: NormalizedAlarm } | Rejection {
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(draft.labels).slice(0, MAX_LABELS))
    labels[clip(name, 128)] = clip(redactField(name, value), MAX_LABEL_VALUE);
  const identity: AlarmIdentity =
    draft.identity.kind === "cloudwatch"
      ? { kind: "cloudwatch", alarmArn: redactText(draft.identity.alarmArn) }
      : {
          kind: "alertmanager",
          alertname: redactText(draft.identity.alertname),
          labels: Object.fromEntries(Object.entries(draft.identity.labels).map(([k, v]) => [k, redactField(k, v)])),
        };
  const cluster = draft.cluster === undefined ? undefined : redactText(draft.cluster);
  const key = incidentKey({ cluster, alarm: identity, nodes: draft.nodes });
  const alarmName = clip(oneLine(redactText(draft.alarmName)), 256) || "(unnamed alarm)";

  const parsed = IncidentSchema.safeParse({
    id: `${draft.receiver}-${key.slice(0, 16)}`,
    source: draft.receiver,
    ...(cluster ? { cluster } : {}),
    nodes: draft.nodes,
    title: clip(oneLine(redactText(draft.title)), MAX_TITLE) || alarmName,
    ...(draft.severity ? { severity: draft.severity } : {}),
    startsAt: draft.startsAt,
    fingerprint: key,
    labels,
  });
  if (!parsed.success)
    return { ok: false, reason: `alarm ${alarmName} does not make a valid incident: ${describeIssues(parsed.error)}` };

  const reasons: string[] = [];
  if (draft.notActionable) reasons.push(draft.notActionable);
  const policy = clusterPolicyReason(cluster, options.allowedClusters);
  if (policy) reasons.push(policy);
  if (draft.nodes.length === 0) reasons.push(`the alarm names no node (looked in ${draft.nodeHint})`);

  const description =
    draft.description === undefined ? "" : clip(redactText(draft.description).trim(), MAX_DESCRIPTION);
  const alarm: NormalizedAlarm = {
    receiver: draft.receiver,
    status: draft.status,
    key,
    alarmName,
    rawFingerprint: clip(redactText(draft.rawFingerprint), 2048),
    incident: parsed.data,
    ...(draft.state ? { state: draft.state } : {}),
    ...(draft.endsAt ? { endsAt: draft.endsAt } : {}),
    ...(description ? { description } : {}),
    ...(reasons.length ? { noInvestigationReason: reasons.join("; ") } : {}),
  };
  return { ok: true, alarm };
}

function clusterPolicyReason(cluster: string | undefined, allowed: readonly string[] | undefined): string | undefined {
  if (allowed === undefined) return undefined;
  const list = allowed.length ? allowed.slice(0, 10).join(", ") + (allowed.length > 10 ? ", …" : "") : "none";
  if (cluster === undefined) return `the alarm names no cluster, and only these clusters are in scope: ${list}`;
  if (!allowed.includes(cluster)) return `cluster ${cluster} is not in scope (allowed: ${list})`;
  return undefined;
}

/** An ISO instant (UTC, milliseconds) from RFC 3339 text, also with CloudWatch's `+0000` offsets. */
export function toInstant(text: string): string | undefined {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)(Z|[+-]\d{2}:?\d{2})$/i.exec(text.trim());
  if (!m) return undefined;
  const zone =
    (m[2] as string).toUpperCase() === "Z" ? "Z" : (m[2] as string).replace(/^([+-]\d{2}):?(\d{2})$/, "$1:$2");
  const ms = Date.parse(`${m[1]}${zone}`);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** The first few zod issues as `path: message`, never the offending values (they may be secrets). */
export function describeIssues(error: z.ZodError): string {
  const parts = error.issues.slice(0, 3).map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
  const more = error.issues.length > 3 ? ` (and ${error.issues.length - 3} more)` : "";
  return redactText(parts.join("; ") + more);
}

/** Clips to `max` characters, marking the cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
