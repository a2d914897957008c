import { describe, expect, it } from "vitest";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { readSystemMessages } from "../../tools/read-system-messages.ts";
import { aboveInfo, kindOf, runOn } from "./helpers.ts";

const MSG = "var_log/messages";
const dated = { "var_log/aws-routed-eni/ipamd.log": '{"level":"info","ts":"2026-11-24T10:30:00.000Z","msg":"x"}\n' };

describe("read_system_messages", () => {
  it("raises nothing above info on the healthy baseline", async () => {
    expect(aboveInfo(await runOn(readSystemMessages, healthyBaseline()))).toEqual([]);
  });

  it("reports chronyd unable to synchronise, with a large clock step, as clock evidence", async () => {
    const report = await runOn(readSystemMessages, {
      ...dated,
      [MSG]: [
        "Nov 24 10:10:01 ip-10-0-12-34 chronyd[812]: Can't synchronise: no selectable sources",
        "Nov 24 10:12:01 ip-10-0-12-34 chronyd[812]: System clock wrong by 392.514 seconds",
        "Nov 24 10:25:01 ip-10-0-12-34 chronyd[812]: Can't synchronise: no selectable sources",
        "",
      ].join("\n"),
    });
    expect(kindOf(report, "messages.clock-unsynchronised")?.severity).toBe("high");
    expect(kindOf(report, "messages.clock-jump")?.attributes.maxOffsetSeconds).toBeCloseTo(392.514);
  });

  it("treats a lost source that chronyd later replaced as routine", async () => {
    const report = await runOn(readSystemMessages, {
      ...dated,
      [MSG]: [
        "Nov 24 10:10:01 ip-10-0-12-34 chronyd[812]: Source 169.254.169.123 replaced with 169.254.169.124",
        "Nov 24 10:10:02 ip-10-0-12-34 chronyd[812]: Can't synchronise: no selectable sources",
        "Nov 24 10:11:01 ip-10-0-12-34 chronyd[812]: Selected source 169.254.169.123",
        "",
      ].join("\n"),
    });
    expect(kindOf(report, "messages.clock-unsynchronised")?.severity).toBe("info");
  });

  it("tells a system OOM kill from a pod's, and a failed kubelet unit from others", async () => {
    const report = await runOn(readSystemMessages, {
      ...dated,
      [MSG]: [
        "Nov 24 10:20:01 ip-10-0-12-34 kernel: Out of memory: Killed process 2345 (kubelet) total-vm:2048000kB, anon-rss:512000kB",
        "Nov 24 10:20:05 ip-10-0-12-34 systemd[1]: kubelet.service: Failed with result 'signal'.",
        "",
      ].join("\n"),
    });
    expect(kindOf(report, "messages.kernel-oom")?.severity).toBe("high");
    expect(kindOf(report, "messages.unit-failed")?.attributes.units).toEqual(["kubelet.service"]);
    expect(kindOf(report, "messages.unit-failed")?.severity).toBe("high");
  });

  it("counts errors that stopped hours before the window's end as info", async () => {
    const report = await runOn(readSystemMessages, {
      ...dated,
      [MSG]: "Nov 24 02:00:01 ip-10-0-12-34 kernel: nf_conntrack: nf_conntrack: table full, dropping packet\n",
    });
    expect(kindOf(report, "messages.conntrack-table-full")?.severity).toBe("info");
    expect(kindOf(report, "messages.conntrack-table-full")?.attributes.stale).toBe(true);
  });
});

describe("read_system_messages on routine clock corrections", () => {
  it("ignores chronyd slewing away a millisecond offset", async () => {
    const report = await runOn(readSystemMessages, {
      ...dated,
      [MSG]: "Nov 24 10:20:01 ip-10-0-12-34 chronyd[812]: System clock wrong by -0.001169 seconds\n",
    });
    expect(kindOf(report, "messages.clock-jump")).toBeUndefined();
  });
});

describe("read_system_messages on container OOMs", () => {
  it("does not call a system process killed by its own container limit a system OOM", async () => {
    const report = await runOn(readSystemMessages, {
      ...dated,
      [MSG]:
        "Nov 24 10:20:01 ip-10-0-12-34 kernel: Memory cgroup out of memory: Killed process 4242 (aws-k8s-agent) total-vm:1500000kB, anon-rss:98000kB\n",
    });
    expect(kindOf(report, "messages.kernel-oom")?.severity).toBe("info");
    expect(kindOf(report, "messages.kernel-oom")?.attributes.system).toBe(false);
  });
});
