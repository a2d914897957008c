import { describe, expect, it } from "vitest";
import { EVENTS_MEMBER, eventsForNode, parseKubernetesEvents } from "../../src/evidence/kubernetes-events.ts";
import { readKubernetesEvents } from "../../tools/read-kubernetes-events.ts";
import { aboveInfo, kindOf, runOn } from "./helpers.ts";

const NODE = "ip-10-0-12-34.ec2.internal";
const event = (reason: string, message: string, extra: Record<string, unknown> = {}) => ({
  type: "Warning",
  reason,
  message,
  count: 3,
  lastTimestamp: "2026-11-24T10:20:00Z",
  involvedObject: { kind: "Pod", namespace: "shop", name: "cart-1" },
  source: { component: "kubelet", host: NODE },
  ...extra,
});
const withEvents = (items: unknown[]) => ({ [EVENTS_MEMBER]: JSON.stringify({ kind: "List", items }) });

describe("read_kubernetes_events", () => {
  it("classifies FailedCreatePodSandBox by its cause and counts repeats", async () => {
    const report = await runOn(
      readKubernetesEvents,
      withEvents([
        event(
          "FailedCreatePodSandBox",
          'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "x": plugin type="aws-cni" name="aws-cni" failed (add): add cmd: failed to assign an IP address to container',
        ),
      ]),
    );
    const finding = kindOf(report, "events.sandbox-failed");
    expect(finding?.severity).toBe("high");
    expect(finding?.count).toBe(3);
    expect(finding?.attributes.causes).toEqual(["cni-ip-assign"]);
  });

  it("reports Multi-Attach, SystemOOM and disk pressure events as their own kinds", async () => {
    const report = await runOn(
      readKubernetesEvents,
      withEvents([
        event(
          "FailedAttachVolume",
          'Multi-Attach error for volume "pvc-1" Volume is already exclusively attached to one node and can\'t be attached to another',
          { source: { component: "attachdetach-controller" } },
        ),
        event("SystemOOM", "System OOM encountered, victim process: containerd, pid: 812", {
          involvedObject: { kind: "Node", name: NODE },
        }),
        event(
          "FreeDiskSpaceFailed",
          "failed to garbage collect required amount of images. Attempted to free 4 GB, but only found 0 bytes eligible to free",
        ),
      ]),
    );
    expect(kindOf(report, "events.multi-attach")?.severity).toBe("high");
    expect(kindOf(report, "events.system-oom")?.severity).toBe("high");
    expect(kindOf(report, "events.disk-pressure")?.severity).toBe("high");
  });

  it("keeps application-level events at info", async () => {
    const report = await runOn(
      readKubernetesEvents,
      withEvents([
        event("BackOff", "Back-off restarting failed container cart in pod cart-1"),
        event("Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503"),
      ]),
    );
    expect(aboveInfo(report)).toEqual([]);
    expect(kindOf(report, "events.container-backoff")).toBeDefined();
  });

  it("has no data without --events, and reports a broken overlay as an error", async () => {
    expect((await runOn(readKubernetesEvents, {})).status).toBe("no_data");
    const broken = await runOn(readKubernetesEvents, { [EVENTS_MEMBER]: "{not json" });
    expect(broken.status).toBe("error");
    expect(broken.gaps[0]?.source).toBe(EVENTS_MEMBER);
  });

  it("reads kubectl YAML output and refuses a file that is not events, naming it", () => {
    const yaml = `apiVersion: v1\nkind: List\nitems:\n- reason: NodeNotReady\n  message: "Node ${NODE} status is now: NodeNotReady"\n  involvedObject: {kind: Node, name: ${NODE}}\n`;
    expect(parseKubernetesEvents(yaml, "events.yaml")[0]?.reason).toBe("NodeNotReady");
    expect(() => parseKubernetesEvents('{"kind":"PodList"}', "pods.json")).toThrow(
      /pods\.json is not kubectl events output/,
    );
    expect(() => parseKubernetesEvents('{"items":[{"count":"many"}]}', "bad.json")).toThrow(
      /bad\.json: item 0 is not an Event/,
    );
  });

  it("gives each node the events its kubelet reported, and controller events that name no node", () => {
    const events = parseKubernetesEvents(
      JSON.stringify({
        items: [
          event("FailedMount", "x"),
          event("FailedMount", "y", { source: { host: "ip-10-0-99-9.ec2.internal" } }),
          event("FailedAttachVolume", "Multi-Attach error for volume pvc-2", {
            source: { component: "attachdetach-controller" },
          }),
        ],
      }),
      "e.json",
    );
    expect(eventsForNode(events, NODE).map((e) => e.message)).toEqual(["x", "Multi-Attach error for volume pvc-2"]);
  });
});
