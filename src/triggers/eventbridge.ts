import { z } from "zod";
import { CloudWatchStateSchema, normalizeCloudWatchAlarm, parseAlarmArn } from "./cloudwatch-alarm.ts";
import {
  describeIssues,
  toInstant,
  type NormalizeOptions,
  type NormalizedAlarm,
  type Rejection,
} from "./normalized-alarm.ts";

/**
 * EventBridge "CloudWatch Alarm State Change" events, as an API destination posts them. The alarm
 * ARN is `resources[0]`, the same ARN the SNS delivery carries as `AlarmArn`.
 */

const Timestamp = z
  .string()
  .max(64)
  .refine((t) => toInstant(t) !== undefined, { message: "expected an ISO 8601 timestamp" });

const AlarmStateSchema = z.object({
  value: CloudWatchStateSchema,
  reason: z.string().max(16_384).optional(),
  reasonData: z.string().max(65_536).optional().describe("JSON text with the evaluated datapoints"),
  timestamp: Timestamp.optional(),
});

const MetricSchema = z.object({
  id: z.string().max(255).optional(),
  expression: z.string().max(4096).optional(),
  label: z.string().max(1024).optional(),
  returnData: z.boolean().optional(),
  metricStat: z
    .object({
      metric: z.object({
        dimensions: z
          .record(z.string().min(1).max(255), z.string().max(1024))
          .refine((d) => Object.keys(d).length <= 30, { message: "at most 30 dimensions" })
          .default({}),
        name: z.string().max(255).optional(),
        namespace: z.string().max(255).optional(),
      }),
      period: z.number().optional(),
      stat: z.string().max(64).optional(),
    })
    .optional(),
});

export const CloudWatchAlarmEventSchema = z
  .object({
    version: z.string().max(16).optional(),
    id: z.string().max(128).optional(),
    "detail-type": z.literal("CloudWatch Alarm State Change"),
    source: z.literal("aws.cloudwatch"),
    account: z.string().regex(/^\d{12}$/, "an AWS account id is 12 digits"),
    time: Timestamp,
    region: z.string().max(64),
    resources: z.array(z.string().max(2048)).min(1).max(10),
    detail: z.object({
      alarmName: z.string().min(1).max(255),
      state: AlarmStateSchema,
      previousState: AlarmStateSchema.partial().optional(),
      configuration: z
        .object({
          description: z.string().max(4096).nullish(),
          metrics: z.array(MetricSchema).max(20).default([]),
          alarmRule: z.string().max(10_240).optional().describe("Composite alarms: the rule over other alarms"),
        })
        .optional(),
    }),
  })
  .describe('EventBridge event with source "aws.cloudwatch" and detail-type "CloudWatch Alarm State Change"');
export type CloudWatchAlarmEvent = z.infer<typeof CloudWatchAlarmEventSchema>;

/** Parses an EventBridge event body (already JSON-decoded) into a normalized alarm. */
export function parseEventBridge(
  body: unknown,
  options: NormalizeOptions = {},
): { ok: true; alarm: NormalizedAlarm } | Rejection {
  const parsed = CloudWatchAlarmEventSchema.safeParse(body);
  if (!parsed.success)
    return {
      ok: false,
      reason: `not an EventBridge CloudWatch Alarm State Change event: ${describeIssues(parsed.error)}`,
    };
  const event = parsed.data;
  const alarmArn = event.resources.find((r) => parseAlarmArn(r) !== undefined);
  if (!alarmArn) return { ok: false, reason: "resources holds no CloudWatch alarm ARN" };
  const metrics = event.detail.configuration?.metrics ?? [];
  const dimensions = metrics.flatMap((m) =>
    Object.entries(m.metricStat?.metric.dimensions ?? {}).map(([name, value]) => ({ name, value })),
  );
  const firstStat = metrics.find((m) => m.metricStat)?.metricStat?.metric;
  const { state } = event.detail;
  return normalizeCloudWatchAlarm(
    {
      alarmArn,
      alarmName: event.detail.alarmName,
      state: state.value,
      previousState: event.detail.previousState?.value,
      reason: state.reason,
      // The state change itself, like SNS's StateChangeTime; `time` is when the event was emitted.
      changedAt: toInstant(state.timestamp ?? event.time) as string,
      description: event.detail.configuration?.description ?? undefined,
      dimensions,
      namespace: firstStat?.namespace,
      metricName: firstStat?.name,
    },
    "eventbridge",
    options,
  );
}
