import { describe, expect, it } from "vitest";
import { IncidentSchema } from "../../src/domain/incident.ts";
import { parseEventBridge } from "../../src/triggers/eventbridge.ts";
import type { NormalizedAlarm } from "../../src/triggers/normalized-alarm.ts";
import { ALARM_ARN, eventBridgeAlarmEvent, INSTANCE_ID, NODE } from "./helpers/payloads.ts";

function parse(body: unknown, options = {}): NormalizedAlarm {
  const result = parseEventBridge(body, options);
  if (!result.ok) throw new Error(result.reason);
  return result.alarm;
}

describe("parseEventBridge", () => {
  it("normalizes a CloudWatch Alarm State Change event", () => {
    const alarm = parse(eventBridgeAlarmEvent("ALARM"));
    expect(alarm).toMatchObject({
      receiver: "eventbridge",
      status: "firing",
      state: "ALARM",
      alarmName: "eks-node-cpu-high",
      rawFingerprint: ALARM_ARN,
      incident: {
        source: "eventbridge",
        cluster: "prod-eks",
        nodes: [{ name: NODE, instanceId: INSTANCE_ID }],
        // The state change, not the event's emission time (09:45:13Z).
        startsAt: "2026-11-24T09:45:12.345Z",
        labels: { region: "us-east-1", previous_state: "OK", metric_name: "node_cpu_utilization" },
      },
    });
    expect(IncidentSchema.safeParse(alarm.incident).success).toBe(true);
  });

  it("maps OK to resolved on the same key", () => {
    const ok = parse(eventBridgeAlarmEvent("OK"));
    expect(ok.status).toBe("resolved");
    expect(ok.key).toBe(parse(eventBridgeAlarmEvent("ALARM")).key);
  });

  it("falls back to the event time when the state has no timestamp", () => {
    const event = eventBridgeAlarmEvent();
    const { timestamp: _t, ...state } = event.detail.state;
    expect(parse({ ...event, detail: { ...event.detail, state } }).incident.startsAt).toBe("2026-11-24T09:45:13.000Z");
  });

  it("reads every instance of a metric-math alarm", () => {
    const event = eventBridgeAlarmEvent();
    const metric = (id: string, instance: string) => ({
      id,
      metricStat: {
        metric: { dimensions: { InstanceId: instance }, name: "NetworkPacketsIn", namespace: "AWS/EC2" },
        period: 60,
        stat: "Sum",
      },
      returnData: false,
    });
    const metrics = [
      { id: "e1", expression: "m1 + m2", label: "errors", returnData: true },
      metric("m1", "i-0fedcba9876543210"),
      metric("m2", "i-0123456789abcdef0"),
    ];
    const alarm = parse({ ...event, detail: { ...event.detail, configuration: { metrics } } });
    expect(alarm.incident.nodes).toEqual([
      { instanceId: "i-0123456789abcdef0" },
      { instanceId: "i-0fedcba9876543210" },
    ]);
  });

  it("records a composite alarm, which names no node, with the reason", () => {
    const event = eventBridgeAlarmEvent();
    const alarm = parse({
      ...event,
      detail: { ...event.detail, configuration: { alarmRule: 'ALARM("eks-node-cpu-high")' } },
    });
    expect(alarm.incident.nodes).toEqual([]);
    expect(alarm.noInvestigationReason).toContain("names no node");
  });

  it("takes the alarm ARN from resources even when other resources come first", () => {
    const event = eventBridgeAlarmEvent();
    expect(
      parse({ ...event, resources: ["arn:aws:ec2:us-east-1:123456789012:instance/i-1", ALARM_ARN] }).rawFingerprint,
    ).toBe(ALARM_ARN);
  });

  const event = eventBridgeAlarmEvent();
  it.each([
    ["null", null, "(root)"],
    ["another detail-type", { ...event, "detail-type": "EC2 Instance State-change Notification" }, "detail-type"],
    ["another source", { ...event, source: "aws.ec2" }, "source"],
    ["an account that is not 12 digits", { ...event, account: "1234" }, "account"],
    ["no resources", { ...event, resources: [] }, "resources"],
    [
      "resources without an alarm ARN",
      { ...event, resources: ["arn:aws:sns:us-east-1:123456789012:t"] },
      "no CloudWatch alarm ARN",
    ],
    ["a missing state", { ...event, detail: { ...event.detail, state: undefined } }, "detail.state"],
    [
      "an unknown state value",
      { ...event, detail: { ...event.detail, state: { value: "RED" } } },
      "detail.state.value",
    ],
    ["a time that is not a time", { ...event, time: "yesterday" }, "time"],
    [
      "dimensions that are not strings",
      {
        ...event,
        detail: {
          ...event.detail,
          configuration: { metrics: [{ metricStat: { metric: { dimensions: { InstanceId: 7 } } } }] },
        },
      },
      "dimensions.InstanceId",
    ],
    [
      "an oversized alarm name",
      { ...event, detail: { ...event.detail, alarmName: "n".repeat(256) } },
      "detail.alarmName",
    ],
    [
      "an oversized reason",
      { ...event, detail: { ...event.detail, state: { ...event.detail.state, reason: "r".repeat(20_000) } } },
      "detail.state.reason",
    ],
  ])("refuses %s", (_what, body, why) => {
    expect(parseEventBridge(body)).toMatchObject({ ok: false, reason: expect.stringContaining(why) });
  });
});
