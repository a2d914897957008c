import { describe, expect, it } from "vitest";
import { parseAlertmanager } from "../../src/triggers/alertmanager.ts";
import { parseEventBridge } from "../../src/triggers/eventbridge.ts";
import { canonicalIncidentKey, incidentKey } from "../../src/triggers/incident-key.ts";
import type { NormalizedAlarm } from "../../src/triggers/normalized-alarm.ts";
import { parseCloudWatchAlarm } from "../../src/triggers/sns.ts";
import { alertmanagerGroup, cloudWatchAlarmMessage, eventBridgeAlarmEvent, NODE } from "./helpers/payloads.ts";

function amKeys(body: unknown): string[] {
  const result = parseAlertmanager(body);
  if (!result.ok) throw new Error(result.reason);
  return result.alarms.map((a) => a.key);
}
function viaSns(state: "ALARM" | "OK" = "ALARM"): NormalizedAlarm {
  const result = parseCloudWatchAlarm(JSON.stringify(cloudWatchAlarmMessage(state)));
  if (!result.ok) throw new Error(result.reason);
  return result.alarm;
}
function viaEventBridge(state: "ALARM" | "OK" = "ALARM"): NormalizedAlarm {
  const result = parseEventBridge(eventBridgeAlarmEvent(state));
  if (!result.ok) throw new Error(result.reason);
  return result.alarm;
}
function amAlert(labels: Record<string, string>) {
  const group = alertmanagerGroup();
  return { ...group, alerts: [{ ...group.alerts[0], labels, annotations: {} }] };
}

describe("the incident key", () => {
  it("is the same for one CloudWatch alarm delivered through SNS and through EventBridge", () => {
    const sns = viaSns();
    const eventBridge = viaEventBridge();
    expect(sns.key).toBe(eventBridge.key);
    expect(sns.incident.fingerprint).toBe(eventBridge.incident.fingerprint);
    expect(sns.incident.startsAt).toBe(eventBridge.incident.startsAt);
    expect(viaSns("OK").key).toBe(viaEventBridge("ALARM").key);
  });

  it("gives each Alertmanager alert in a group its own key", () => {
    const keys = amKeys(alertmanagerGroup());
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("is the same when a group is re-sent, and when it resolves", () => {
    expect(amKeys(alertmanagerGroup("firing"))).toEqual(amKeys(alertmanagerGroup("firing")));
    expect(amKeys(alertmanagerGroup("resolved"))).toEqual(amKeys(alertmanagerGroup("firing")));
  });

  it("does not depend on the order alerts arrive in a group", () => {
    const group = alertmanagerGroup();
    expect(amKeys({ ...group, alerts: [...group.alerts].reverse() })).toEqual(amKeys(group).reverse());
  });

  it("ignores volatile labels: HA replicas and an escalated severity", () => {
    const base = {
      alertname: "NodeFilesystemAlmostFull",
      node: NODE,
      mountpoint: "/var/lib/containerd",
      severity: "warning",
    };
    const [key] = amKeys(amAlert(base));
    expect(amKeys(amAlert({ ...base, severity: "critical" }))[0]).toBe(key);
    expect(amKeys(amAlert({ ...base, prometheus_replica: "prometheus-k8s-1", prometheus: "monitoring/k8s" }))[0]).toBe(
      key,
    );
  });

  it("keeps identifying labels: another mountpoint is another incident", () => {
    const base = { alertname: "NodeFilesystemAlmostFull", node: NODE, mountpoint: "/var/lib/containerd" };
    expect(amKeys(amAlert({ ...base, mountpoint: "/" }))[0]).not.toBe(amKeys(amAlert(base))[0]);
  });

  it("ignores the exporter's address when the alert names its node", () => {
    const base = { alertname: "KubeNodeNotReady", node: NODE, job: "kube-state-metrics" };
    expect(amKeys(amAlert({ ...base, instance: "10.0.99.7:8080" }))[0]).toBe(
      amKeys(amAlert({ ...base, instance: "10.0.55.1:8080" }))[0],
    );
  });

  it("keeps instance as identity when it is not a node (one key per probed URL)", () => {
    const base = { alertname: "ProbeFailed", job: "blackbox" };
    expect(amKeys(amAlert({ ...base, instance: "https://a.example.org" }))[0]).not.toBe(
      amKeys(amAlert({ ...base, instance: "https://b.example.org" }))[0],
    );
  });

  it("normalizes nodes and cluster: case and order do not matter, names and instance ids both count", () => {
    const alarm = { kind: "cloudwatch" as const, alarmArn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x" };
    const a = incidentKey({
      cluster: "Prod-EKS",
      alarm,
      nodes: [{ name: "ip-10-0-1-2.ec2.internal" }, { instanceId: "i-0abc1234def567890" }],
    });
    const b = incidentKey({
      cluster: "prod-eks",
      alarm,
      nodes: [{ instanceId: "I-0ABC1234DEF567890" }, { name: "IP-10-0-1-2.EC2.INTERNAL" }],
    });
    expect(a).toBe(b);
    expect(incidentKey({ cluster: "prod-eks", alarm, nodes: [{ name: "ip-10-0-1-2.ec2.internal" }] })).not.toBe(a);
    expect(
      incidentKey({
        cluster: "other",
        alarm,
        nodes: [{ name: "ip-10-0-1-2.ec2.internal" }, { instanceId: "i-0abc1234def567890" }],
      }),
    ).not.toBe(a);
  });

  it("separates an Alertmanager alert from a CloudWatch alarm that happen to share a name", () => {
    const nodes = [{ name: NODE }];
    expect(incidentKey({ alarm: { kind: "alertmanager", alertname: "x", labels: {} }, nodes })).not.toBe(
      incidentKey({ alarm: { kind: "cloudwatch", alarmArn: "x" }, nodes }),
    );
  });

  it("is sha256 hex of a documented canonical text", () => {
    const input = {
      cluster: "Prod",
      alarm: { kind: "alertmanager" as const, alertname: "A", labels: { z: "1", a: "2" } },
      nodes: [{ name: "n2" }, { name: "n1", instanceId: "i-0abc1234def567890" }],
    };
    expect(canonicalIncidentKey(input)).toBe(
      JSON.stringify([
        "fathom/incident-key/v1",
        "prod",
        [
          "alertmanager",
          "A",
          [
            ["a", "2"],
            ["z", "1"],
          ],
        ],
        ["instance:i-0abc1234def567890", "name:n1", "name:n2"],
      ]),
    );
    expect(incidentKey(input)).toMatch(/^[0-9a-f]{64}$/);
  });
});
