import { describe, expect, it } from "vitest";
import { IncidentSchema } from "../../src/domain/incident.ts";
import { mapSeverity, parseAlertmanager, type AlertmanagerNotification } from "../../src/triggers/alertmanager.ts";
import type { NormalizedAlarm } from "../../src/triggers/normalized-alarm.ts";
import { alertmanagerGroup, NODE } from "./helpers/payloads.ts";

function parse(body: unknown, options = {}): AlertmanagerNotification {
  const result = parseAlertmanager(body, options);
  if (!result.ok) throw new Error(result.reason);
  return result;
}

interface LooseAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  fingerprint?: string;
  [field: string]: unknown;
}
function withAlert(patch: (alert: LooseAlert) => void) {
  const group = alertmanagerGroup();
  const alert: LooseAlert = structuredClone(group.alerts[0] as LooseAlert);
  patch(alert);
  return { ...group, alerts: [alert] };
}
const only = (body: unknown, options = {}): NormalizedAlarm => parse(body, options).alarms[0] as NormalizedAlarm;

describe("parseAlertmanager", () => {
  it("turns a firing group into one alarm per alert", () => {
    const result = parse(alertmanagerGroup("firing"));
    expect(result.alarms).toHaveLength(2);
    expect(result.rejected).toEqual([]);
    expect(result.groupKey).toBe('{}/{severity="critical"}:{alertname="KubeNodeNotReady"}');
    expect(result.truncatedAlerts).toBe(0);
    const [first, second] = result.alarms as [NormalizedAlarm, NormalizedAlarm];
    expect(first).toMatchObject({
      receiver: "alertmanager",
      status: "firing",
      alarmName: "KubeNodeNotReady",
      rawFingerprint: "3c5d2d8a6f0b1e27",
      incident: {
        source: "alertmanager",
        cluster: "prod-eks",
        nodes: [{ name: NODE }],
        title: "KubeNodeNotReady: Node is not ready.",
        severity: "critical",
        startsAt: "2026-11-24T09:41:30.512Z",
        labels: { alertname: "KubeNodeNotReady", node: NODE },
      },
      description: `${NODE} has been unready for more than 15 minutes.`,
    });
    expect(first.noInvestigationReason).toBeUndefined();
    expect(first.endsAt).toBeUndefined();
    expect(second.incident.nodes).toEqual([{ name: "ip-10-0-40-2.ec2.internal" }]);
    expect(first.key).not.toBe(second.key);
    expect(first.key).toMatch(/^[0-9a-f]{64}$/);
    expect(first.incident.fingerprint).toBe(first.key);
  });

  it("makes every incident valid against IncidentSchema", () => {
    for (const status of ["firing", "resolved"] as const) {
      for (const alarm of parse(alertmanagerGroup(status)).alarms)
        expect(IncidentSchema.safeParse(alarm.incident).success).toBe(true);
    }
  });

  it("maps a resolved group onto the keys of the firing one, with when each alert ended", () => {
    const firing = parse(alertmanagerGroup("firing")).alarms;
    const resolved = parse(alertmanagerGroup("resolved")).alarms;
    expect(resolved.map((a) => a.status)).toEqual(["resolved", "resolved"]);
    expect(resolved.map((a) => a.key)).toEqual(firing.map((a) => a.key));
    expect(resolved.map((a) => a.incident.id)).toEqual(firing.map((a) => a.incident.id));
    expect(resolved[0]?.endsAt).toBe("2026-11-24T09:58:00.123Z");
    expect(resolved[0]?.incident.startsAt).toBe(firing[0]?.incident.startsAt);
  });

  it("reads each alert's own status in a mixed group", () => {
    const group = alertmanagerGroup("firing");
    (group.alerts[1] as { status: string }).status = "resolved";
    expect(parse(group).alarms.map((a) => a.status)).toEqual(["firing", "resolved"]);
  });

  it("gives the same keys when Alertmanager re-sends the group", () => {
    expect(parse(alertmanagerGroup()).alarms.map((a) => a.key)).toEqual(
      parse(alertmanagerGroup()).alarms.map((a) => a.key),
    );
  });

  it.each([
    ["node", { node: "ip-10-0-1-2.us-west-2.compute.internal" }, [{ name: "ip-10-0-1-2.us-west-2.compute.internal" }]],
    ["kubernetes_node", { kubernetes_node: "IP-10-0-1-2.EC2.INTERNAL" }, [{ name: "ip-10-0-1-2.ec2.internal" }]],
    ["nodename", { nodename: "ip-10-0-1-2.ec2.internal" }, [{ name: "ip-10-0-1-2.ec2.internal" }]],
    ["exported_node", { exported_node: "ip-10-0-1-2.ec2.internal" }, [{ name: "ip-10-0-1-2.ec2.internal" }]],
    ["instance_id", { instance_id: "i-0abc1234def567890" }, [{ instanceId: "i-0abc1234def567890" }]],
    ["InstanceId", { InstanceId: "i-0abc1234def567890" }, [{ instanceId: "i-0abc1234def567890" }]],
    [
      "node and instance_id together",
      { node: "ip-10-0-1-2.ec2.internal", instance_id: "i-0abc1234def567890" },
      [{ name: "ip-10-0-1-2.ec2.internal", instanceId: "i-0abc1234def567890" }],
    ],
    [
      "a resource-name hostname",
      { node: "i-0abc1234def567890.us-west-2.compute.internal" },
      [{ name: "i-0abc1234def567890.us-west-2.compute.internal", instanceId: "i-0abc1234def567890" }],
    ],
    [
      "instance with a port (node-exporter)",
      { instance: "ip-10-0-1-2.ec2.internal:9100" },
      [{ name: "ip-10-0-1-2.ec2.internal" }],
    ],
    ["instance as an address (node-exporter)", { instance: "10.0.1.2:9100" }, [{ name: "ip-10-0-1-2" }]],
    [
      "instance beside a node label (kube-state-metrics)",
      { instance: "10.0.99.7:8080", node: "ip-10-0-1-2.ec2.internal" },
      [{ name: "ip-10-0-1-2.ec2.internal" }],
    ],
  ])("finds the node in %s", (_what, labels, nodes) => {
    const alarm = only(withAlert((a) => void (a.labels = { alertname: "NodeDown", ...labels })));
    expect(alarm.incident.nodes).toEqual(nodes);
  });

  it.each([
    ["localhost:9090", "Prometheus itself"],
    ["https://server.example.org", "a blackbox probe target"],
    ["prometheus-k8s-0:9090", "a pod address by name"],
    ["[fd00::1]:9100", "an IPv6 address"],
  ])("does not take instance %j (%s) for a node", (instance) => {
    const alarm = only(
      withAlert((a) => {
        a.labels = { alertname: "TargetDown", instance };
        a.annotations = { summary: "Target is down." };
      }),
    );
    expect(alarm.incident.nodes).toEqual([]);
  });

  it("finds nodes named in the annotations when no label names one", () => {
    const alarm = only(
      withAlert((a) => {
        a.labels = { alertname: "KubeletTooManyPods", cluster: "prod-eks" };
        a.annotations = {
          description: "Kubelet on ip-10-0-7-8.eu-west-1.compute.internal (i-0123456789abcdef0) runs 110 pods.",
        };
      }),
    );
    expect(alarm.incident.nodes).toEqual([
      { name: "ip-10-0-7-8.eu-west-1.compute.internal", instanceId: "i-0123456789abcdef0" },
    ]);
  });

  it.each([
    ["cluster", "prod-eks"],
    ["cluster_name", "prod-eks"],
    ["eks_cluster", "prod-eks"],
  ])("reads the cluster from %s", (label, cluster) => {
    const alarm = only(withAlert((a) => void (a.labels = { alertname: "X", node: NODE, [label]: cluster })));
    expect(alarm.incident.cluster).toBe(cluster);
  });

  it.each([
    ["critical", "critical"],
    ["warning", "medium"],
    ["info", "info"],
    ["error", "high"],
    ["none", "info"],
    ["CRITICAL", "critical"],
    ["whatever", undefined],
    [undefined, undefined],
  ])("maps severity %j to %j", (label, severity) => {
    expect(mapSeverity(label)).toBe(severity);
  });

  it("records an alert that names no node, with the reason no investigation starts", () => {
    const alarm = only(
      withAlert((a) => {
        a.labels = { alertname: "Watchdog", severity: "none" };
        a.annotations = { summary: "An alert that is always firing." };
      }),
    );
    expect(alarm.incident.nodes).toEqual([]);
    expect(alarm.noInvestigationReason).toMatch(
      /names no node \(looked in labels node, .*instance and the annotations\)/,
    );
  });

  it("records an alert outside the cluster allow-list, with the reason", () => {
    const body = alertmanagerGroup();
    expect(parse(body, { allowedClusters: ["prod-eks"] }).alarms[0]?.noInvestigationReason).toBeUndefined();
    const outside = parse(body, { allowedClusters: ["staging-eks"] }).alarms[0];
    expect(outside?.noInvestigationReason).toBe("cluster prod-eks is not in scope (allowed: staging-eks)");
    expect(outside?.key).toBe(parse(body).alarms[0]?.key);
    const unnamed = only(
      withAlert((a) => void (a.labels = { alertname: "X", node: NODE })),
      { allowedClusters: ["prod-eks"] },
    );
    expect(unnamed.noInvestigationReason).toContain("names no cluster");
  });

  it("redacts secrets carried in labels and annotations before they leave", () => {
    const alarm = only(
      withAlert((a) => {
        a.labels = { ...a.labels, api_key: "sk-live-1234567890abcdef" };
        a.annotations = {
          summary: "Node not ready; debug with AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
          description:
            "curl -H 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123' https://admin:hunter2pass@internal.example.com/",
        };
      }),
    );
    const text = JSON.stringify(alarm);
    for (const secret of ["sk-live-1234567890abcdef", "wJalrXUtnFEMI", "abcdefghijklmnopqrstuvwxyz0123", "hunter2pass"])
      expect(text).not.toContain(secret);
    expect(alarm.incident.labels["api_key"]).toBe("[REDACTED]");
    expect(alarm.incident.title).toContain("[REDACTED]");
  });

  it("clips a long summary to a title the Incident schema accepts", () => {
    const alarm = only(withAlert((a) => void (a.annotations = { summary: "word ".repeat(1000) })));
    expect(alarm.incident.title.length).toBeLessThanOrEqual(500);
    expect(IncidentSchema.safeParse(alarm.incident).success).toBe(true);
  });

  it("reports alerts Alertmanager left out", () => {
    expect(parse({ ...alertmanagerGroup(), truncatedAlerts: 12 }).truncatedAlerts).toBe(12);
  });

  it("copes with a hand-made alert that has no fingerprint or alertname", () => {
    const alarm = only(
      withAlert((a) => {
        delete a.fingerprint;
        a.labels = { node: NODE };
      }),
    );
    expect(alarm.alarmName).toBe("(no alertname)");
    expect(alarm.rawFingerprint).toBe(`node="${NODE}"`);
  });
});

describe("parseAlertmanager refuses what is not an Alertmanager v4 payload", () => {
  const group = alertmanagerGroup();
  const alert = group.alerts[0];
  it.each([
    ["null", null, "(root)"],
    ["a string", "{}", "(root)"],
    ["an array", [group], "(root)"],
    ["version 3", { ...group, version: "3" }, "version"],
    ["version as a number", { ...group, version: 4 }, "version"],
    ["a missing version", { ...group, version: undefined }, "version"],
    ["an unknown group status", { ...group, status: "pending" }, "status"],
    ["no alerts", { ...group, alerts: [] }, "alerts"],
    ["alerts that are not a list", { ...group, alerts: {} }, "alerts"],
    ["an alert with an unknown status", { ...group, alerts: [{ ...alert, status: "active" }] }, "alerts.0.status"],
    [
      "labels that are not strings",
      { ...group, alerts: [{ ...alert, labels: { alertname: 5 } }] },
      "alerts.0.labels.alertname",
    ],
    ["labels as a list", { ...group, alerts: [{ ...alert, labels: ["a"] }] }, "alerts.0.labels"],
    ["a startsAt that is not a time", { ...group, alerts: [{ ...alert, startsAt: "yesterday" }] }, "alerts.0.startsAt"],
    ["a missing startsAt", { ...group, alerts: [{ ...alert, startsAt: undefined }] }, "alerts.0.startsAt"],
    [
      "an oversized label value",
      { ...group, alerts: [{ ...alert, labels: { ...alert?.labels, pod: "p".repeat(5000) } }] },
      "alerts.0.labels.pod",
    ],
    [
      "an oversized annotation",
      { ...group, alerts: [{ ...alert, annotations: { description: "d".repeat(70_000) } }] },
      "alerts.0.annotations.description",
    ],
    [
      "too many labels",
      {
        ...group,
        alerts: [{ ...alert, labels: Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`l${i}`, "v"])) }],
      },
      "at most 256",
    ],
    ["a negative truncatedAlerts", { ...group, truncatedAlerts: -1 }, "truncatedAlerts"],
  ])("refuses %s", (_what, body, where) => {
    const result = parseAlertmanager(body);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toContain("not an Alertmanager v4 webhook payload");
    expect(result.reason).toContain(where);
  });

  it("refuses more alerts than it will hold", () => {
    const result = parseAlertmanager({ ...group, alerts: Array.from({ length: 5001 }, () => alert) });
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining("alerts") });
  });

  it("never echoes a refused value, which may be a secret", () => {
    const result = parseAlertmanager({ ...group, alerts: [{ ...alert, startsAt: "AKIAIOSFODNN7EXAMPLE" }] });
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain("AKIAIOSFODNN7EXAMPLE");
  });
});
