import { describe, expect, it } from "vitest";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { withFaults } from "../../src/fixtures/fault.ts";
import { conntrackTableFull } from "../../src/fixtures/faults/service.ts";
import type { BaselineOptions } from "../../src/fixtures/options.ts";
import { inspectConntrack } from "../../tools/inspect-conntrack.ts";
import { readSysctls } from "../../tools/read-sysctls.ts";
import { kindOf, runOn } from "./helpers.ts";

const SYSCTLS = "sysctls/sysctl_all.txt";

/** A slice of `sysctl --all` from an AL2023 m5.large with two ENIs, in the order sysctl prints keys. */
function dump(overrides: Record<string, string> = {}): string {
  const values: Record<string, string> = {
    "abi.vsyscall32": "1",
    "fs.file-max": "9223372036854775807",
    "fs.file-nr": "2784\t0\t9223372036854775807",
    "fs.inotify.max_user_instances": "8192",
    "fs.inotify.max_user_watches": "524288",
    "fs.nr_open": "1073741816",
    "kernel.panic": "10",
    "kernel.panic_on_oops": "1",
    "kernel.pid_max": "4194304",
    "kernel.threads-max": "62424",
    "net.core.netdev_max_backlog": "1000",
    "net.core.somaxconn": "4096",
    "net.ipv4.conf.all.forwarding": "1",
    "net.ipv4.conf.all.rp_filter": "0",
    "net.ipv4.conf.default.rp_filter": "2",
    "net.ipv4.conf.ens5.rp_filter": "2",
    "net.ipv4.conf.ens6.rp_filter": "2",
    "net.ipv4.conf.eni2d1f7e8c3a4.rp_filter": "2",
    "net.ipv4.conf.lo.rp_filter": "0",
    "net.ipv4.ip_forward": "1",
    "net.ipv4.ip_local_port_range": "32768\t60999",
    "net.ipv4.ip_local_reserved_ports": "",
    "net.ipv4.neigh.default.gc_thresh1": "0",
    "net.ipv4.neigh.default.gc_thresh2": "15360",
    "net.ipv4.neigh.default.gc_thresh3": "16384",
    "net.ipv4.tcp_mtu_probing": "0",
    "net.netfilter.nf_conntrack_buckets": "65536",
    "net.netfilter.nf_conntrack_count": "412",
    "net.netfilter.nf_conntrack_max": "131072",
    "net.netfilter.nf_conntrack_tcp_timeout_established": "86400",
    "net.nf_conntrack_max": "131072",
    "vm.max_map_count": "524288",
    "vm.overcommit_memory": "1",
    "vm.panic_on_oom": "0",
    ...overrides,
  };
  return `${Object.entries(values)
    .map(([k, v]) => `${k} = ${v}`)
    .join("\n")}\n`;
}

describe("read_sysctls", () => {
  it("reports the curated settings as typed attributes with the conntrackMax and pidMax hand-offs", async () => {
    const report = await runOn(readSysctls, { [SYSCTLS]: dump() });
    expect(report.status).toBe("ok");
    expect(report.severity).toBe("info");
    const values = kindOf(report, "sysctl.values");
    expect(values?.attributes).toMatchObject({
      conntrackMax: 131072,
      conntrackCount: 412,
      pidMax: 4194304,
      threadsMax: 62424,
      "net.ipv4.ip_forward": 1,
      "net.ipv4.ip_local_port_range": "32768 60999",
      ephemeralPorts: 28232,
      "vm.max_map_count": 524288,
      "net.core.somaxconn": 4096,
      "net.ipv4.tcp_mtu_probing": 0,
      "fs.file-max": "9223372036854775807",
    });
    expect(values?.evidence[0]).toMatchObject({ source: SYSCTLS, excerpt: "net.netfilter.nf_conntrack_max = 131072" });
    expect(report.findings.map((f) => f.kind)).toEqual(["sysctl.values"]);
  });

  it("reports ip_forward = 0 as high: pods cannot route", async () => {
    const report = await runOn(readSysctls, {
      [SYSCTLS]: dump({ "net.ipv4.ip_forward": "0", "net.ipv4.conf.all.forwarding": "0" }),
    });
    const finding = kindOf(report, "sysctl.ip-forward-disabled");
    expect(finding?.severity).toBe("high");
    expect(finding?.evidence[0]?.excerpt).toBe("net.ipv4.ip_forward = 0");
  });

  it("reports the conntrack count near its max: high at 90%, medium at 75%", async () => {
    const full = await runOn(readSysctls, { [SYSCTLS]: dump({ "net.netfilter.nf_conntrack_count": "130500" }) });
    expect(kindOf(full, "sysctl.conntrack-near-max")).toMatchObject({
      severity: "high",
      attributes: { conntrackCount: 130500, conntrackMax: 131072, percent: 99.6 },
    });
    const busy = await runOn(readSysctls, { [SYSCTLS]: dump({ "net.netfilter.nf_conntrack_count": "100000" }) });
    expect(kindOf(busy, "sysctl.conntrack-near-max")?.severity).toBe("medium");
    const calm = await runOn(readSysctls, { [SYSCTLS]: dump({ "net.netfilter.nf_conntrack_count": "90000" }) });
    expect(kindOf(calm, "sysctl.conntrack-near-max")).toBeUndefined();
  });

  it("reports a low pid_max, medium below the 32768 default", async () => {
    expect(
      kindOf(await runOn(readSysctls, { [SYSCTLS]: dump({ "kernel.pid_max": "32768" }) }), "sysctl.pid-max-low")
        ?.severity,
    ).toBe("low");
    expect(
      kindOf(await runOn(readSysctls, { [SYSCTLS]: dump({ "kernel.pid_max": "16384" }) }), "sysctl.pid-max-low")
        ?.severity,
    ).toBe("medium");
  });

  it("does not report the loose rp_filter the VPC CNI sets, nor strict mode on veths", async () => {
    const report = await runOn(readSysctls, { [SYSCTLS]: dump({ "net.ipv4.conf.eni2d1f7e8c3a4.rp_filter": "1" }) });
    expect(kindOf(report, "sysctl.rp-filter-strict")).toBeUndefined();
  });

  it("reports strict rp_filter on the primary interface alone as info", async () => {
    const report = await runOn(readSysctls, { [SYSCTLS]: dump({ "net.ipv4.conf.ens5.rp_filter": "1" }) });
    const finding = kindOf(report, "sysctl.rp-filter-strict");
    expect(finding?.severity).toBe("info");
    expect(finding?.attributes.strictInterfaces).toEqual(["ens5"]);
  });

  it("reports strict rp_filter on a secondary ENI as low (AL2 interface names)", async () => {
    const text = dump({ "net.ipv4.conf.all.rp_filter": "1" })
      .replace("net.ipv4.conf.ens5.rp_filter = 2", "net.ipv4.conf.eth0.rp_filter = 2")
      .replace("net.ipv4.conf.ens6.rp_filter = 2", "net.ipv4.conf.eth1.rp_filter = 0");
    const finding = kindOf(await runOn(readSysctls, { [SYSCTLS]: text }), "sysctl.rp-filter-strict");
    expect(finding?.severity).toBe("low");
    expect(finding?.attributes).toMatchObject({
      rpFilterAll: 1,
      strictInterfaces: ["eth1"],
      looseInterfaces: ["eth0"],
      secondaryStrict: ["eth1"],
    });
  });

  it("reads CRLF dumps and the legacy net.nf_conntrack_max key alone", async () => {
    const text =
      "net.nf_conntrack_max = 65536\r\nnet.netfilter.nf_conntrack_count = 64000\r\nkernel.pid_max = 4194304\r\n";
    const report = await runOn(readSysctls, { [SYSCTLS]: text });
    expect(kindOf(report, "sysctl.values")?.attributes.conntrackMax).toBe(65536);
    expect(kindOf(report, "sysctl.conntrack-near-max")?.severity).toBe("high");
  });

  it("answers no_data when the dump is absent", async () => {
    const report = await runOn(readSysctls, { "networking/resolv.conf": "nameserver 10.0.0.2\n" });
    expect(report.status).toBe("no_data");
  });

  it("answers error with a gap when the dump is empty", async () => {
    const report = await runOn(readSysctls, { [SYSCTLS]: "" });
    expect(report.status).toBe("error");
    expect(report.gaps).toEqual([{ source: SYSCTLS, reason: "file is empty" }]);
  });

  it("survives binary garbage", async () => {
    const garbage = Uint8Array.from({ length: 32 * 1024 }, (_, i) => (i * 7919 + 13) % 256);
    const report = await runOn(readSysctls, { [SYSCTLS]: garbage });
    expect(report.status).toBe("error");
    expect(report.gaps[0]?.source).toBe(SYSCTLS);
  });
});

const VARIANTS: BaselineOptions[] = [{}, { enisShape: "legacy" }, { nodeadm: false }];

describe("read_sysctls on generated bundles", () => {
  it.each(VARIANTS)("raises nothing above info on the healthy baseline %j", async (opts) => {
    const report = await runOn(readSysctls, healthyBaseline(opts));
    expect(report.status).toBe("ok");
    expect(report.findings.filter((f) => f.severity !== "info")).toEqual([]);
    expect(kindOf(report, "sysctl.values")?.attributes).toMatchObject({
      conntrackMax: 131072,
      pidMax: 4194304,
      "net.ipv4.ip_forward": 1,
    });
  });

  it("finds the conntrack count at its max in a full table", async () => {
    const report = await runOn(readSysctls, withFaults({}, conntrackTableFull()));
    expect(kindOf(report, "sysctl.conntrack-near-max")?.severity).toBe("high");
  });

  it("hands conntrackMax to inspect_conntrack when the conntrack bundle lacks the sysctl dump", async () => {
    const files = withFaults({}, conntrackTableFull({ listed: 1000 }));
    const conntrackMax = kindOf(await runOn(readSysctls, files), "sysctl.values")?.attributes.conntrackMax;
    expect(conntrackMax).toBe(131072);
    const withoutDump = new Map(files);
    withoutDump.delete(SYSCTLS);
    const report = await runOn(inspectConntrack, withoutDump, {
      conntrackMax,
    });
    expect(report.findings.find((f) => f.kind === "conntrack.entries")?.attributes).toMatchObject({
      conntrackMax: 131072,
      maxSource: "input",
      listed: 1000,
    });
  });
});
