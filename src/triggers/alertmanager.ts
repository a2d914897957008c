import { z } from "zod";
import type { Severity } from "../domain/severity.ts";
import { ADDRESS_LABEL, INSTANCE_ID_LABELS, NODE_LABELS, readAlertTarget } from "./alarm-target.ts";
import { alertmanagerIdentity } from "./incident-key.ts";
import {
  describeIssues,
  finishAlarm,
  toInstant,
  type NormalizeOptions,
  type NormalizedAlarm,
  type Rejection,
} from "./normalized-alarm.ts";

/**
 * Alertmanager webhook payloads (version 4). Alertmanager sends a whole group on every notification,
 * firing and resolved alerts together; each alert becomes its own alarm with its own incident key.
 */

const MAX_ALERTS = 5000;
const MAX_MAP_ENTRIES = 256;
const MAX_NAME = 1024;

const Rfc3339 = z
  .string()
  .max(64)
  .refine((t) => toInstant(t) !== undefined, { message: "expected an RFC 3339 timestamp" });
const StringMap = (maxValue: number) =>
  z
    .record(z.string().min(1).max(MAX_NAME), z.string().max(maxValue))
    .refine((m) => Object.keys(m).length <= MAX_MAP_ENTRIES, { message: `at most ${MAX_MAP_ENTRIES} entries` });
const Labels = StringMap(4096);
const Annotations = StringMap(65_536);

export const AlertStatusSchema = z.enum(["firing", "resolved"]);

export const AlertmanagerAlertSchema = z.object({
  status: AlertStatusSchema.describe("This alert's own status; a group can hold both"),
  labels: Labels.describe("Identifying labels; alertname among them"),
  annotations: Annotations.default({}).describe("Non-identifying text: summary, description, runbook_url"),
  startsAt: Rfc3339.describe("When the alert started firing"),
  endsAt: Rfc3339.optional().describe("When it resolved; 0001-01-01T00:00:00Z or a future time while firing"),
  generatorURL: z.string().max(8192).optional(),
  fingerprint: z.string().max(256).optional().describe("Alertmanager's hash of the labels; kept on resolve"),
});
export type AlertmanagerAlert = z.infer<typeof AlertmanagerAlertSchema>;

export const AlertmanagerPayloadSchema = z
  .object({
    version: z.literal("4").describe("Webhook payload version; only 4 exists"),
    receiver: z.string().max(MAX_NAME),
    status: AlertStatusSchema.describe("firing if any alert in the group fires"),
    alerts: z.array(AlertmanagerAlertSchema).min(1).max(MAX_ALERTS),
    groupLabels: Labels.default({}),
    commonLabels: Labels.default({}),
    commonAnnotations: Annotations.default({}),
    externalURL: z.string().max(8192).default(""),
    groupKey: z.string().max(65_536).default(""),
    truncatedAlerts: z.number().int().min(0).default(0).describe("Alerts left out by max_alerts"),
  })
  .describe("Alertmanager webhook payload, version 4");
export type AlertmanagerPayload = z.infer<typeof AlertmanagerPayloadSchema>;

export interface AlertmanagerNotification {
  ok: true;
  /** One per alert, in payload order. */
  alarms: NormalizedAlarm[];
  /** Alerts that could not be normalized (the rest still count): index in `alerts` and why. */
  rejected: Array<{ index: number; reason: string }>;
  groupKey: string;
  truncatedAlerts: number;
}

const SEVERITY: Record<string, Severity> = {
  critical: "critical",
  page: "critical",
  emergency: "critical",
  fatal: "critical",
  p1: "critical",
  sev1: "critical",
  high: "high",
  error: "high",
  major: "high",
  p2: "high",
  sev2: "high",
  warning: "medium",
  warn: "medium",
  medium: "medium",
  minor: "medium",
  p3: "medium",
  sev3: "medium",
  low: "low",
  p4: "low",
  sev4: "low",
  info: "info",
  informational: "info",
  notice: "info",
  none: "info",
  debug: "info",
  p5: "info",
};

/** Prometheus `severity` label values (critical / warning / info and common variants) as a Severity. */
export function mapSeverity(value: string | undefined): Severity | undefined {
  return value === undefined ? undefined : SEVERITY[value.trim().toLowerCase()];
}

const NODE_HINT = `labels ${[...NODE_LABELS, ...INSTANCE_ID_LABELS, ADDRESS_LABEL].join(", ")} and the annotations`;

/** Parses a webhook body (already JSON-decoded) into one normalized alarm per alert. */
export function parseAlertmanager(body: unknown, options: NormalizeOptions = {}): AlertmanagerNotification | Rejection {
  const parsed = AlertmanagerPayloadSchema.safeParse(body);
  if (!parsed.success)
    return { ok: false, reason: `not an Alertmanager v4 webhook payload: ${describeIssues(parsed.error)}` };
  const payload = parsed.data;
  const alarms: NormalizedAlarm[] = [];
  const rejected: AlertmanagerNotification["rejected"] = [];
  payload.alerts.forEach((alert, index) => {
    const result = normalizeAlert(alert, options);
    if (result.ok) alarms.push(result.alarm);
    else rejected.push({ index, reason: result.reason });
  });
  return { ok: true, alarms, rejected, groupKey: payload.groupKey, truncatedAlerts: payload.truncatedAlerts };
}

/** One alert as a normalized alarm. */
export function normalizeAlert(
  alert: AlertmanagerAlert,
  options: NormalizeOptions = {},
): { ok: true; alarm: NormalizedAlarm } | Rejection {
  const { labels, annotations } = alert;
  const alertname = labels["alertname"]?.trim() || "(no alertname)";
  const target = readAlertTarget(labels, annotations);
  const identity = alertmanagerIdentity(labels, target.consumedLabels);
  const summary = annotations["summary"] ?? annotations["message"] ?? annotations["description"];
  const endsAt = alert.endsAt === undefined ? undefined : toInstant(alert.endsAt);
  return finishAlarm(
    {
      receiver: "alertmanager",
      status: alert.status,
      alarmName: alertname,
      identity,
      rawFingerprint: alert.fingerprint || identityFingerprint(labels),
      cluster: target.cluster,
      nodes: target.nodes,
      title: summary ? `${alertname}: ${summary}` : alertname,
      severity: mapSeverity(labels["severity"]),
      startsAt: toInstant(alert.startsAt) as string,
      labels,
      // While firing, endsAt is Alertmanager's own resolve_timeout guess, not an end.
      endsAt: alert.status === "resolved" && endsAt && Date.parse(endsAt) > 0 ? endsAt : undefined,
      description: annotations["description"] ?? annotations["message"],
      nodeHint: NODE_HINT,
    },
    options,
  );
}

// Alertmanager always sends a fingerprint; a hand-made payload may not. Sorted labels stand in.
function identityFingerprint(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(",");
}
