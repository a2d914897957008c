import { describe, expect, it } from "vitest";
import type { Incident } from "../../src/domain/incident.ts";
import { manualClock, useTempStores } from "./helpers.ts";

const temp = useTempStores();

const alarm: Incident = {
  id: "am-1",
  source: "alertmanager",
  cluster: "prod",
  nodes: [{ name: "ip-10-0-12-34.ec2.internal" }],
  title: "KubeNodeNotReady",
  severity: "high",
  startsAt: "2026-11-24T10:30:00.000Z",
  fingerprint: "4f1c",
  labels: { alertname: "KubeNodeNotReady" },
};

describe("incidents", () => {
  it("open once with their investigation; later alarms with the same key attach to it", () => {
    const clock = manualClock();
    const store = temp.open(temp.path(), clock);
    // Keys are opaque to the store: the receivers compute them (src/triggers/incident-key.ts).
    const key = "0f3a9c1e7b2d4c68a5e1f0b9d8c7a6e5f4d3c2b1a0918273645546372819aabb";
    const first = store.openIncident({
      key,
      cluster: "prod",
      alarm: "KubeNodeNotReady",
      nodes: alarm.nodes,
      source: "alertmanager",
      investigationId: "inv-1",
    });
    clock.advance(30_000);
    const resent = store.openIncident({
      key,
      cluster: "prod",
      alarm: "KubeNodeNotReady",
      nodes: alarm.nodes,
      source: "sns",
      investigationId: "inv-2",
    });
    expect(first.outcome).toBe("opened");
    expect(resent.outcome).toBe("attached");
    expect(resent.incident).toMatchObject({
      status: "open",
      investigationId: "inv-1",
      alarmCount: 2,
      sources: ["alertmanager", "sns"],
      firstSeen: "2026-11-24T10:30:00.000Z",
      lastSeen: "2026-11-24T10:30:30.000Z",
    });
    expect(store.getInvestigation("inv-1")).toMatchObject({ state: "received", status: "active", incidentKey: key });
    expect(store.getInvestigation("inv-2")).toBeUndefined();
    expect(store.resumableInvestigations().map((i) => i.id)).toEqual(["inv-1"]);
  });

  it("resolve, and reopen with a new investigation when the alarm fires again", () => {
    const store = temp.open(temp.path());
    const input = {
      key: "prod|NodeDown|n1",
      alarm: "NodeDown",
      nodes: [{ name: "n1" }],
      source: "alertmanager",
      investigationId: "inv-1",
    };
    store.openIncident(input);
    expect(store.resolveIncident(input.key, { source: "alertmanager" })).toMatchObject({
      status: "resolved",
      resolvedAt: "2026-11-24T10:30:00.000Z",
    });
    expect(store.resolveIncident("prod|Unknown|-")).toBeUndefined();
    const again = store.openIncident({ ...input, investigationId: "inv-9" });
    expect(again).toMatchObject({
      outcome: "reopened",
      incident: { status: "open", investigationId: "inv-9", alarmCount: 2 },
    });
    expect(again.incident.resolvedAt).toBeUndefined();
    expect(store.listAudit({ type: "incident" }).map((r) => r.data.event)).toEqual(["opened", "resolved", "reopened"]);
  });

  it("record every received alarm with what happened to it, including why no investigation started", () => {
    const store = temp.open(temp.path());
    store.recordAlarm({
      receiver: "alertmanager",
      incident: alarm,
      status: "firing",
      incidentKey: "prod|KubeNodeNotReady|ip-10-0-12-34.ec2.internal",
      outcome: "investigation-started",
    });
    store.recordAlarm({
      receiver: "sns",
      incident: { ...alarm, nodes: [], cluster: "other" },
      status: "firing",
      outcome: "no-investigation",
      reason: "cluster other is outside the policy",
    });
    const [latest, earliest] = store.listAlarms();
    expect(latest).toMatchObject({
      receiver: "sns",
      outcome: "no-investigation",
      reason: "cluster other is outside the policy",
      receivedAt: "2026-11-24T10:30:00.000Z",
    });
    expect(earliest).toMatchObject({ receiver: "alertmanager", outcome: "investigation-started", incident: alarm });
    expect(store.listAlarms({ incidentKey: "prod|KubeNodeNotReady|ip-10-0-12-34.ec2.internal" })).toHaveLength(1);
  });
});
