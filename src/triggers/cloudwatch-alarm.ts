import { z } from "zod";
import {
  CLUSTER_DIMENSIONS,
  INSTANCE_ID_DIMENSIONS,
  NODE_NAME_DIMENSIONS,
  readDimensionTarget,
  type Dimension,
} from "./alarm-target.ts";
import {
  describeIssues,
  finishAlarm,
  toInstant,
  type NormalizeOptions,
  type NormalizedAlarm,
  type Rejection,
} from "./normalized-alarm.ts";

/**
 * CloudWatch alarms, whichever way they arrive. SNS (the JSON inside a Notification's `Message`) and
 * EventBridge ("CloudWatch Alarm State Change") both reduce to the same facts, so the same alarm
 * state change gives the same normalized alarm and the same incident key from either receiver.
 */

export const CloudWatchStateSchema = z.enum(["ALARM", "OK", "INSUFFICIENT_DATA"]);
export type CloudWatchState = z.infer<typeof CloudWatchStateSchema>;

/** What both deliveries of a CloudWatch alarm state change say. */
export interface CloudWatchAlarmFacts {
  alarmArn: string;
  alarmName: string;
  state: CloudWatchState;
  previousState?: string | undefined;
  reason?: string | undefined;
  /** ISO instant of the state change. */
  changedAt: string;
  description?: string | undefined;
  /** Every dimension of every metric the alarm evaluates (metric math included). */
  dimensions: Dimension[];
  namespace?: string | undefined;
  metricName?: string | undefined;
}

export interface AlarmArn {
  partition: string;
  region: string;
  account: string;
  name: string;
}

const ALARM_ARN =
  /^arn:(aws|aws-cn|aws-us-gov|aws-iso(?:-[a-z])?):cloudwatch:([a-z]{2}(?:-[a-z]+)+-\d{1,2}):(\d{12}):alarm:(.{1,255})$/;

/** Splits a CloudWatch alarm ARN; undefined when it is not one. */
export function parseAlarmArn(arn: string): AlarmArn | undefined {
  const m = ALARM_ARN.exec(arn);
  return m
    ? { partition: m[1] as string, region: m[2] as string, account: m[3] as string, name: m[4] as string }
    : undefined;
}

const NODE_HINT = `dimensions ${[...INSTANCE_ID_DIMENSIONS, ...NODE_NAME_DIMENSIONS].join(", ")} of the alarm's metrics`;

/** The shared half: facts → normalized alarm. */
export function normalizeCloudWatchAlarm(
  facts: CloudWatchAlarmFacts,
  receiver: "sns" | "eventbridge",
  options: NormalizeOptions = {},
): { ok: true; alarm: NormalizedAlarm } | Rejection {
  const arn = parseAlarmArn(facts.alarmArn);
  if (!arn)
    return {
      ok: false,
      reason: "the alarm ARN is not a CloudWatch alarm ARN (arn:aws:cloudwatch:<region>:<account>:alarm:<name>)",
    };
  const target = readDimensionTarget(facts.dimensions);
  const labels: Record<string, string> = {
    alarm_name: facts.alarmName,
    alarm_arn: facts.alarmArn,
    region: arn.region,
    account: arn.account,
    state: facts.state,
    ...(facts.previousState ? { previous_state: facts.previousState } : {}),
    ...(facts.namespace ? { namespace: facts.namespace } : {}),
    ...(facts.metricName ? { metric_name: facts.metricName } : {}),
  };
  for (const { name, value } of facts.dimensions) labels[`dimension.${name}`] ??= value;
  return finishAlarm(
    {
      receiver,
      status: facts.state === "OK" ? "resolved" : "firing",
      state: facts.state,
      alarmName: facts.alarmName,
      identity: { kind: "cloudwatch", alarmArn: facts.alarmArn },
      rawFingerprint: facts.alarmArn,
      cluster: target.cluster,
      nodes: target.nodes,
      title: facts.reason ? `${facts.alarmName}: ${facts.reason}` : facts.alarmName,
      startsAt: facts.changedAt,
      labels,
      description: facts.description,
      notActionable:
        facts.state === "INSUFFICIENT_DATA"
          ? "the alarm is in INSUFFICIENT_DATA, not ALARM: its metric has no data to judge"
          : undefined,
      nodeHint: `${NODE_HINT} (cluster from ${CLUSTER_DIMENSIONS.join(", ")})`,
    },
    options,
  );
}

// --- SNS: the alarm JSON inside a Notification's Message ---------------------------------------

const MAX_MESSAGE_BYTES = 256 * 1024;

// SNS writes dimensions as {name, value}; accept {Name, Value} too (hand-written or SDK-shaped).
const SnsDimensionSchema = z.preprocess(
  (d) => {
    if (!d || typeof d !== "object" || "name" in d) return d;
    const pascal = d as { Name?: unknown; Value?: unknown };
    return { name: pascal.Name, value: pascal.Value };
  },
  z.object({ name: z.string().min(1).max(255), value: z.string().max(1024) }),
);

const SnsMetricSchema = z.object({
  Id: z.string().max(255).optional(),
  Expression: z.string().max(4096).optional(),
  Label: z.string().max(1024).nullish(),
  MetricStat: z
    .object({
      Metric: z.object({
        Dimensions: z.array(SnsDimensionSchema).max(30).default([]),
        MetricName: z.string().max(255).optional(),
        Namespace: z.string().max(255).optional(),
      }),
    })
    .nullish(),
});

export const SnsAlarmMessageSchema = z
  .object({
    AlarmName: z.string().min(1).max(255),
    AlarmDescription: z.string().max(4096).nullish(),
    AWSAccountId: z.string().max(32).optional(),
    NewStateValue: CloudWatchStateSchema,
    NewStateReason: z.string().max(16_384).optional(),
    StateChangeTime: z
      .string()
      .max(64)
      .refine((t) => toInstant(t) !== undefined, { message: "expected a timestamp like 2024-05-01T10:00:00.000+0000" }),
    Region: z
      .string()
      .max(128)
      .optional()
      .describe("Display name (US East (N. Virginia)); the region comes from AlarmArn"),
    AlarmArn: z.string().max(2048).optional(),
    OldStateValue: z.string().max(64).optional(),
    Trigger: z
      .object({
        MetricName: z.string().max(255).nullish(),
        Namespace: z.string().max(255).nullish(),
        Dimensions: z.array(SnsDimensionSchema).max(30).nullish(),
        Metrics: z
          .array(SnsMetricSchema)
          .max(20)
          .nullish()
          .describe("Metric math alarms: one entry per metric or expression"),
      })
      .nullish(),
  })
  .describe("A CloudWatch alarm state change as SNS delivers it");

export interface CloudWatchMessageOptions extends NormalizeOptions {
  /** The Notification's TopicArn: builds the alarm ARN when an old-format message carries none. */
  topicArn?: string;
}

/** Parses the `Message` of an SNS Notification as a CloudWatch alarm. */
export function parseCloudWatchAlarm(
  message: string,
  options: CloudWatchMessageOptions = {},
): { ok: true; alarm: NormalizedAlarm } | Rejection {
  if (Buffer.byteLength(message, "utf8") > MAX_MESSAGE_BYTES)
    return { ok: false, reason: `the notification's Message is larger than ${MAX_MESSAGE_BYTES} bytes` };
  let raw: unknown;
  try {
    raw = JSON.parse(message);
  } catch {
    return { ok: false, reason: "the notification's Message is not JSON, so not a CloudWatch alarm" };
  }
  const parsed = SnsAlarmMessageSchema.safeParse(raw);
  if (!parsed.success)
    return {
      ok: false,
      reason: `the notification's Message is not a CloudWatch alarm: ${describeIssues(parsed.error)}`,
    };
  const m = parsed.data;
  const alarmArn = m.AlarmArn ?? arnFromTopic(m.AlarmName, m.AWSAccountId, options.topicArn);
  if (!alarmArn)
    return { ok: false, reason: "the alarm carries no AlarmArn and no topic ARN was given to derive it from" };
  const metrics = m.Trigger?.Metrics ?? [];
  const dimensions = [
    ...(m.Trigger?.Dimensions ?? []),
    ...metrics.flatMap((x) => x.MetricStat?.Metric.Dimensions ?? []),
  ];
  const firstStat = metrics.find((x) => x.MetricStat)?.MetricStat?.Metric;
  return normalizeCloudWatchAlarm(
    {
      alarmArn,
      alarmName: m.AlarmName,
      state: m.NewStateValue,
      previousState: m.OldStateValue,
      reason: m.NewStateReason,
      changedAt: toInstant(m.StateChangeTime) as string,
      description: m.AlarmDescription ?? undefined,
      dimensions,
      namespace: m.Trigger?.Namespace ?? firstStat?.Namespace,
      metricName: m.Trigger?.MetricName ?? firstStat?.MetricName,
    },
    "sns",
    options,
  );
}

// Only old messages lack AlarmArn; the alarm is taken to live in its topic's partition and region.
function arnFromTopic(
  alarmName: string,
  account: string | undefined,
  topicArn: string | undefined,
): string | undefined {
  const m = topicArn ? /^arn:([a-z-]+):sns:([a-z0-9-]+):(\d{12}):/.exec(topicArn) : null;
  if (!m) return undefined;
  return `arn:${m[1]}:cloudwatch:${m[2]}:${account && /^\d{12}$/.test(account) ? account : m[3]}:alarm:${alarmName}`;
}
