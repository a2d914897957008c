import { describe, expect, it } from "vitest";
import { inspectEnaAllowances } from "../../tools/inspect-ena-allowances.ts";
import { kindOf, runOn } from "./helpers.ts";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { withFaults } from "../../src/fixtures/fault.ts";
import { enaLinklocalExceeded } from "../../src/fixtures/faults/service.ts";
import type { BaselineOptions } from "../../src/fixtures/options.ts";

const ETHTOOL = "networking/ethtool.txt";

type Counters = Partial<Record<"bw_in" | "bw_out" | "pps" | "conntrack" | "linklocal" | "available", number>>;

/** `ethtool -S` of an ENA interface (driver 2.x): device counters, allowance counters, then per-queue counters. */
function ena(c: Counters = {}, withAllowances = true): string[] {
  const lines = [
    "tx_timeout: 0",
    "suspend: 0",
    "resume: 0",
    "wd_expired: 0",
    "interface_up: 2",
    "interface_down: 1",
    "admin_q_pause: 0",
  ];
  if (withAllowances) {
    lines.push(
      `bw_in_allowance_exceeded: ${c.bw_in ?? 0}`,
      `bw_out_allowance_exceeded: ${c.bw_out ?? 0}`,
      `pps_allowance_exceeded: ${c.pps ?? 0}`,
      `conntrack_allowance_exceeded: ${c.conntrack ?? 0}`,
      `linklocal_allowance_exceeded: ${c.linklocal ?? 0}`,
      `conntrack_allowance_available: ${c.available ?? 5000000}`,
    );
  }
  for (let q = 0; q < 2; q++)
    lines.push(
      `queue_${q}_tx_cnt: 8812345`,
      `queue_${q}_tx_bytes: 4409123456`,
      `queue_${q}_rx_cnt: 9912345`,
      `queue_${q}_rx_bytes: 9123456789`,
      `queue_${q}_rx_csum_bad: 0`,
    );
  lines.push("ena_admin_q_aq_completed: 412", "ena_admin_q_no_completion: 0");
  return ["NIC statistics:", ...lines.map((l) => `     ${l}`)];
}

function veth(ifindex: number): string[] {
  return [
    "NIC statistics:",
    `     peer_ifindex: ${ifindex}`,
    "     rx_queue_0_xdp_packets: 0",
    "     rx_queue_0_drops: 0",
    "     tx_queue_0_xdp_xmit: 0",
  ];
}

/** The collector's layout: `Interface <name>`, the ethtool output, two blank lines. */
function collector(blocks: Array<[string, string[]]>): string {
  return blocks.map(([name, lines]) => `Interface ${name}\n${lines.join("\n")}\n\n\n`).join("");
}

function node(primary: Counters = {}, secondary: Counters = {}): string {
  return collector([
    ["eni0f2a7c9d1b3", veth(3)],
    ["eni5b1d0c2e9a4", veth(4)],
    ["ens5", ena(primary)],
    ["ens6", ena(secondary)],
    ["lo", ["no stats available"]],
  ]);
}

describe("inspect_ena_allowances", () => {
  it("reports all-zero counters as an info fact that argues against allowance drops", async () => {
    const report = await runOn(inspectEnaAllowances, { [ETHTOOL]: node() });
    expect(report.status).toBe("ok");
    expect(report.severity).toBe("info");
    expect(report.findings.map((f) => f.kind)).toEqual(["ena.allowances"]);
    expect(kindOf(report, "ena.allowances")?.attributes).toMatchObject({
      countersPresent: true,
      interfaces: ["ens5", "ens6"],
      linklocalAllowanceExceeded: 0,
      ppsAllowanceExceeded: 0,
      conntrackAllowanceAvailableMin: 5000000,
      bwInAllowanceExceededByInterface: [0, 0],
    });
  });

  it("raises linklocal-exceeded (the VPC resolver limit) with per-interface values", async () => {
    const report = await runOn(inspectEnaAllowances, { [ETHTOOL]: node({ linklocal: 48213 }, { linklocal: 1207 }) });
    const linklocal = kindOf(report, "ena.linklocal-exceeded");
    expect(linklocal?.severity).toBe("high");
    expect(linklocal?.attributes).toMatchObject({
      total: 49420,
      interfaces: ["ens5", "ens6"],
      linklocalAllowanceExceededByInterface: [48213, 1207],
    });
    expect(linklocal?.evidence[0]).toMatchObject({
      source: ETHTOOL,
      excerpt: "ens5: linklocal_allowance_exceeded: 48213",
    });
    expect(linklocal?.correlateWith).toContain("check_resolv_conf");
    expect(kindOf(report, "ena.allowances")?.attributes.linklocalAllowanceExceeded).toBe(49420);
  });

  it("grades by magnitude: a few drops are medium", async () => {
    const report = await runOn(inspectEnaAllowances, { [ETHTOOL]: node({ linklocal: 37, conntrack: 12 }) });
    expect(kindOf(report, "ena.linklocal-exceeded")?.severity).toBe("medium");
    expect(kindOf(report, "ena.conntrack-exceeded")?.severity).toBe("medium");
  });

  it("raises pps, bandwidth and conntrack allowance findings", async () => {
    const report = await runOn(inspectEnaAllowances, {
      [ETHTOOL]: node({ pps: 250000, bw_in: 5, bw_out: 31000, conntrack: 4400, available: 0 }),
    });
    expect(kindOf(report, "ena.pps-exceeded")?.severity).toBe("high");
    const bw = kindOf(report, "ena.bandwidth-exceeded");
    expect(bw?.severity).toBe("high");
    expect(bw?.attributes).toMatchObject({ total: 31005, bwInAllowanceExceeded: 5, bwOutAllowanceExceeded: 31000 });
    expect(kindOf(report, "ena.conntrack-exceeded")?.severity).toBe("high");
    expect(kindOf(report, "ena.allowances")?.attributes.conntrackAllowanceAvailableMin).toBe(0);
    expect(kindOf(report, "ena.linklocal-exceeded")).toBeUndefined();
  });

  it("computes a rate since boot when the bundle knows its boot and collection times", async () => {
    const files = { [ETHTOOL]: node({ linklocal: 7200 }), "system/procstat.txt": "cpu  1 2 3\nbtime 1795256400\n" };
    const report = await runOn(
      inspectEnaAllowances,
      files,
      {},
      {
        label: "eks_i-0abc123def4567890_2026-11-24_1030-UTC_0.7.9.tar.gz",
      },
    );
    expect(kindOf(report, "ena.linklocal-exceeded")?.attributes.perHourSinceBoot).toBeGreaterThan(0);
    expect(kindOf(report, "ena.allowances")?.attributes.uptimeHours).toBeGreaterThan(0);
  });

  it("accepts `NIC statistics:` blocks preceded by a bare interface name or a command header", async () => {
    const bare = `eth0\n${ena({ pps: 17 }).join("\n")}\n\neth1\n${ena().join("\n")}\n`;
    const r1 = await runOn(inspectEnaAllowances, { [ETHTOOL]: bare });
    expect(kindOf(r1, "ena.pps-exceeded")?.attributes.interfaces).toEqual(["eth0"]);
    const headed = `*** Output of ethtool -S eth0 ***\n${ena({ bw_in: 3 }).join("\n")}\n`;
    const r2 = await runOn(inspectEnaAllowances, { [ETHTOOL]: headed });
    expect(kindOf(r2, "ena.bandwidth-exceeded")?.attributes.interfaces).toEqual(["eth0"]);
  });

  it("says allowances cannot be ruled out when the driver has no allowance counters", async () => {
    const report = await runOn(inspectEnaAllowances, { [ETHTOOL]: collector([["eth0", ena({}, false)]]) });
    expect(report.severity).toBe("info");
    expect(kindOf(report, "ena.allowances")?.attributes).toMatchObject({
      countersPresent: false,
      interfaces: ["eth0"],
    });
  });

  it("copes with CRLF line endings", async () => {
    const report = await runOn(inspectEnaAllowances, { [ETHTOOL]: node({ linklocal: 2000 }).replaceAll("\n", "\r\n") });
    expect(kindOf(report, "ena.linklocal-exceeded")?.attributes.total).toBe(2000);
  });

  it("answers no_data when ethtool.txt is missing", async () => {
    const report = await runOn(inspectEnaAllowances, { "networking/iprule.txt": "0:\tfrom all lookup local\n" });
    expect(report.status).toBe("no_data");
  });

  it("answers error with a gap naming the file when it is empty", async () => {
    const report = await runOn(inspectEnaAllowances, { [ETHTOOL]: "\n\n" });
    expect(report.status).toBe("error");
    expect(report.gaps[0]?.source).toBe(ETHTOOL);
  });

  it("does not throw on binary garbage", async () => {
    const garbage = new Uint8Array(4096).map((_, i) => (i * 151 + 3) % 256);
    const report = await runOn(inspectEnaAllowances, { [ETHTOOL]: garbage });
    expect(report.status).toBe("error");
    expect(report.findings).toEqual([]);
  });

  describe("on generated bundles", () => {
    const variants: BaselineOptions[] = [{}, { nodeadm: false }, { enisShape: "legacy" }];
    for (const opts of variants) {
      it(`raises nothing above info on the healthy baseline ${JSON.stringify(opts)}`, async () => {
        const report = await runOn(inspectEnaAllowances, Object.fromEntries(healthyBaseline(opts)));
        expect(report.status).toBe("ok");
        expect(report.findings.map((f) => `${f.kind}:${f.severity}`)).toEqual(["ena.allowances:info"]);
        expect(kindOf(report, "ena.allowances")?.attributes.interfaces).toHaveLength(3);
      });
    }

    it("raises a high linklocal finding on the ENI that carries CoreDNS's resolver traffic", async () => {
      const report = await runOn(
        inspectEnaAllowances,
        Object.fromEntries(withFaults({}, enaLinklocalExceeded({ exceeded: 48213 }))),
      );
      const linklocal = kindOf(report, "ena.linklocal-exceeded");
      expect(linklocal?.severity).toBe("high");
      expect(linklocal?.attributes.total).toBe(48213);
      expect(linklocal?.attributes.perHourSinceBoot).toBeGreaterThan(100);
    });
  });
});
