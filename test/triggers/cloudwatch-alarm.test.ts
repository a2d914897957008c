import { describe, expect, it } from "vitest";
import { IncidentSchema } from "../../src/domain/incident.ts";
import type { NormalizedAlarm } from "../../src/triggers/normalized-alarm.ts";
import { parseCloudWatchAlarm } from "../../src/triggers/sns.ts";
import {
  ALARM_ARN,
  cloudWatchAlarmMessage,
  INSTANCE_ID,
  metricMathAlarmMessage,
  NODE,
  TOPIC_ARN,
} from "./helpers/payloads.ts";

function parse(message: unknown, options = {}): NormalizedAlarm {
  const result = parseCloudWatchAlarm(typeof message === "string" ? message : JSON.stringify(message), options);
  if (!result.ok) throw new Error(result.reason);
  return result.alarm;
}

describe("parseCloudWatchAlarm (the Message of an SNS Notification)", () => {
  it("normalizes an ALARM state change", () => {
    const alarm = parse(cloudWatchAlarmMessage("ALARM"));
    expect(alarm).toMatchObject({
      receiver: "sns",
      status: "firing",
      state: "ALARM",
      alarmName: "eks-node-cpu-high",
      rawFingerprint: ALARM_ARN,
      description: "CPU of an EKS worker node above 90%",
      incident: {
        source: "sns",
        cluster: "prod-eks",
        nodes: [{ name: NODE, instanceId: INSTANCE_ID }],
        startsAt: "2026-11-24T09:45:12.345Z",
        labels: {
          alarm_arn: ALARM_ARN,
          region: "us-east-1",
          account: "123456789012",
          state: "ALARM",
          previous_state: "OK",
          namespace: "ContainerInsights",
          "dimension.InstanceId": INSTANCE_ID,
        },
      },
    });
    expect(alarm.incident.title).toMatch(/^eks-node-cpu-high: Threshold Crossed/);
    expect(alarm.noInvestigationReason).toBeUndefined();
    expect(IncidentSchema.safeParse(alarm.incident).success).toBe(true);
  });

  it("maps OK to resolved on the same key", () => {
    const firing = parse(cloudWatchAlarmMessage("ALARM"));
    const ok = parse(cloudWatchAlarmMessage("OK"));
    expect(ok).toMatchObject({ status: "resolved", state: "OK" });
    expect(ok.key).toBe(firing.key);
  });

  it("keeps INSUFFICIENT_DATA on the key but says it is nothing to investigate", () => {
    const alarm = parse(cloudWatchAlarmMessage("INSUFFICIENT_DATA"));
    expect(alarm).toMatchObject({
      status: "firing",
      state: "INSUFFICIENT_DATA",
      noInvestigationReason: expect.stringContaining("INSUFFICIENT_DATA"),
    });
    expect(alarm.key).toBe(parse(cloudWatchAlarmMessage("ALARM")).key);
  });

  it("takes the region from the alarm ARN, not the Region display name", () => {
    const alarm = parse(metricMathAlarmMessage());
    expect(alarm.incident.labels["region"]).toBe("eu-west-1");
  });

  it("reads the instances of a metric-math alarm from Trigger.Metrics", () => {
    const alarm = parse(metricMathAlarmMessage());
    expect(alarm.incident.nodes).toEqual([
      { instanceId: "i-0123456789abcdef0" },
      { instanceId: "i-0fedcba9876543210" },
    ]);
    expect(alarm.incident.labels).toMatchObject({ namespace: "AWS/EC2", metric_name: "NetworkPacketsIn" });
  });

  it("turns +0000 offsets into ISO instants", () => {
    const alarm = parse({ ...cloudWatchAlarmMessage(), StateChangeTime: "2026-11-24T11:45:12.345+0200" });
    expect(alarm.incident.startsAt).toBe("2026-11-24T09:45:12.345Z");
  });

  it("accepts dimensions written as Name/Value", () => {
    const message = cloudWatchAlarmMessage();
    const alarm = parse({
      ...message,
      Trigger: { ...message.Trigger, Dimensions: [{ Name: "InstanceId", Value: INSTANCE_ID }] },
    });
    expect(alarm.incident.nodes).toEqual([{ instanceId: INSTANCE_ID }]);
  });

  it("derives the alarm ARN from the topic when an old message carries none", () => {
    const { AlarmArn: _drop, ...old } = cloudWatchAlarmMessage();
    expect(parse(old, { topicArn: TOPIC_ARN }).rawFingerprint).toBe(ALARM_ARN);
    expect(parseCloudWatchAlarm(JSON.stringify(old))).toMatchObject({
      ok: false,
      reason: expect.stringContaining("AlarmArn"),
    });
  });

  it("records an alarm on no node (an ASG or load balancer metric), with the reason", () => {
    const message = cloudWatchAlarmMessage();
    const alarm = parse({
      ...message,
      Trigger: { ...message.Trigger, Dimensions: [{ name: "AutoScalingGroupName", value: "eks-workers" }] },
    });
    expect(alarm.incident.nodes).toEqual([]);
    expect(alarm.noInvestigationReason).toContain("names no node (looked in dimensions InstanceId, NodeName");
  });

  it("records a composite alarm, which has no Trigger", () => {
    const { Trigger: _t, ...composite } = cloudWatchAlarmMessage();
    const alarm = parse({ ...composite, AlarmRule: 'ALARM("eks-node-cpu-high")' });
    expect(alarm.noInvestigationReason).toContain("names no node");
  });

  it("applies the cluster allow-list", () => {
    expect(parse(cloudWatchAlarmMessage(), { allowedClusters: ["prod-eks"] }).noInvestigationReason).toBeUndefined();
    expect(parse(cloudWatchAlarmMessage(), { allowedClusters: ["other"] }).noInvestigationReason).toContain(
      "cluster prod-eks is not in scope",
    );
  });

  it("redacts secrets in the alarm description and reason", () => {
    const alarm = parse({
      ...cloudWatchAlarmMessage(),
      AlarmDescription: "runbook: use password=Sup3rS3cret!",
      NewStateReason: "token: ghp_abcdefghijklmnop",
    });
    const text = JSON.stringify(alarm);
    expect(text).not.toContain("Sup3rS3cret");
    expect(text).not.toContain("ghp_abcdefghijklmnop");
  });

  it.each([
    ["text that is not JSON", "Hello from SNS", "not JSON"],
    ["a JSON string", '"ALARM"', "not a CloudWatch alarm"],
    ["a message without AlarmName", JSON.stringify({ ...cloudWatchAlarmMessage(), AlarmName: undefined }), "AlarmName"],
    ["an unknown state", JSON.stringify({ ...cloudWatchAlarmMessage(), NewStateValue: "PANIC" }), "NewStateValue"],
    [
      "a StateChangeTime that is not a time",
      JSON.stringify({ ...cloudWatchAlarmMessage(), StateChangeTime: "now" }),
      "StateChangeTime",
    ],
    [
      "an ARN that is not an alarm ARN",
      JSON.stringify({ ...cloudWatchAlarmMessage(), AlarmArn: "arn:aws:sns:us-east-1:123456789012:x" }),
      "not a CloudWatch alarm ARN",
    ],
    [
      "dimensions that are not a list",
      JSON.stringify({ ...cloudWatchAlarmMessage(), Trigger: { Dimensions: "InstanceId=i-1" } }),
      "Trigger.Dimensions",
    ],
    [
      "an oversized alarm name",
      JSON.stringify({ ...cloudWatchAlarmMessage(), AlarmName: "a".repeat(300) }),
      "AlarmName",
    ],
    [
      "an oversized message",
      JSON.stringify({ ...cloudWatchAlarmMessage(), AlarmDescription: "x".repeat(300_000) }),
      "larger than",
    ],
  ])("refuses %s", (_what, message, why) => {
    expect(parseCloudWatchAlarm(message)).toMatchObject({ ok: false, reason: expect.stringContaining(why) });
  });
});
