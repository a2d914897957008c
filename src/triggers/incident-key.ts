import { createHash } from "node:crypto";
import type { NodeRef } from "../domain/node-ref.ts";

/**
 * The incident key: one incident, one investigation. It is the cluster, the alarm's identity and the
 * affected nodes, normalized, hashed with sha256. It never includes status or time, so a resolve, a
 * re-sent Alertmanager group and a CloudWatch re-notification all land on the key of the firing.
 */

/**
 * What makes an alarm the same alarm. Alertmanager: the alert name and its identifying labels (the
 * caller removes node and cluster labels, which the key carries normalized). CloudWatch: the alarm
 * ARN, which the SNS and the EventBridge deliveries of one alarm share.
 */
export type AlarmIdentity =
  | { kind: "alertmanager"; alertname: string; labels: Readonly<Record<string, string>> }
  | { kind: "cloudwatch"; alarmArn: string };

/**
 * Labels that differ between deliveries of what is one incident: HA Prometheus replicas and remote-write
 * tenants, and `severity`, because a warning rule and a critical rule on the same condition are one
 * incident that escalated.
 */
export const VOLATILE_LABELS: ReadonlySet<string> = new Set([
  "severity",
  "prometheus",
  "prometheus_replica",
  "replica",
  "__replica__",
  "receive",
  "tenant_id",
]);

export interface IncidentKeyInput {
  cluster?: string | undefined;
  alarm: AlarmIdentity;
  nodes: readonly NodeRef[];
}

const VERSION = "fathom/incident-key/v1";

/** The identity of an Alertmanager alert: `alertname` and its labels minus volatile and `excluded` ones. */
export function alertmanagerIdentity(
  labels: Readonly<Record<string, string>>,
  excluded: ReadonlySet<string> = new Set(),
): AlarmIdentity {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) {
    if (name === "alertname" || VOLATILE_LABELS.has(name) || excluded.has(name)) continue;
    kept[name] = value;
  }
  return { kind: "alertmanager", alertname: labels["alertname"] ?? "", labels: kept };
}

/**
 * The canonical text the key hashes: cluster lowercased; alarm identity with labels sorted by name
 * (values kept as sent: label values and ARNs are case-sensitive); every node name and instance id
 * lowercased, each as its own token, de-duplicated and sorted.
 */
export function canonicalIncidentKey(input: IncidentKeyInput): string {
  const alarm =
    input.alarm.kind === "alertmanager"
      ? [
          "alertmanager",
          input.alarm.alertname.trim(),
          Object.entries(input.alarm.labels)
            .map(([k, v]) => [k, v.trim()])
            .sort(([a], [b]) => compare(a as string, b as string)),
        ]
      : ["cloudwatch", input.alarm.alarmArn.trim()];
  const nodes = new Set<string>();
  for (const ref of input.nodes) {
    if (ref.name) nodes.add(`name:${ref.name.trim().toLowerCase()}`);
    if (ref.instanceId) nodes.add(`instance:${ref.instanceId.trim().toLowerCase()}`);
  }
  return JSON.stringify([VERSION, input.cluster?.trim().toLowerCase() ?? "", alarm, [...nodes].sort(compare)]);
}

/** The incident key: sha256 hex of the canonical text. */
export function incidentKey(input: IncidentKeyInput): string {
  return createHash("sha256").update(canonicalIncidentKey(input)).digest("hex");
}

// Code-unit order, independent of the machine's locale.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
