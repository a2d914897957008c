import { describe, expect, it } from "vitest";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { withFaults } from "../../src/fixtures/fault.ts";
import { clusterDnsMismatch, conntrackInsertRace, conntrackTableFull } from "../../src/fixtures/faults/service.ts";
import type { BaselineOptions } from "../../src/fixtures/options.ts";
import { inspectConntrack } from "../../tools/inspect-conntrack.ts";
import { aboveInfo, kindOf, runOn } from "./helpers.ts";

const CONNTRACK = "networking/conntrack.txt";
const SYSCTLS = "sysctls/sysctl_all.txt";

interface Counters {
  insertFailed?: number[];
  drop?: number[];
  earlyDrop?: number[];
}

/** `conntrack -S` as conntrack-tools 1.4.6 prints it on a 2-vCPU node. */
function statsLines(c: Counters = {}): string[] {
  return [0, 1].map(
    (cpu) =>
      `cpu=${cpu}   \tfound=${12 + cpu} invalid=${113 - cpu * 15} insert=0 insert_failed=${c.insertFailed?.[cpu] ?? 0} drop=${c.drop?.[cpu] ?? 0} early_drop=${c.earlyDrop?.[cpu] ?? 0} error=${cpu} search_restart=${40 + cpu} clash_resolve=${cpu * 2} chaintoolong=0 `,
  );
}

/** `conntrack -L` lines: a realistic mix of kubelet→API, pod→kube-dns and pod→pod flows. */
function entryLines(n: number, opts: { unrepliedDns?: number } = {}): string[] {
  const lines: string[] = [];
  let unreplied = opts.unrepliedDns ?? 0;
  for (let i = 0; i < n; i++) {
    const port = 32768 + (i % 28000);
    const pod = `10.0.${12 + (i % 5)}.${20 + (i % 200)}`;
    switch (i % 5) {
      case 0:
        lines.push(
          `tcp      6 86397 ESTABLISHED src=10.0.12.34 dst=10.0.100.20 sport=${port} dport=443 src=10.0.100.20 dst=10.0.12.34 sport=443 dport=${port} [ASSURED] mark=0 use=1`,
        );
        break;
      case 1:
        if (unreplied > 0) {
          unreplied--;
          lines.push(
            `udp      17 27 src=${pod} dst=172.20.0.10 sport=${port} dport=53 [UNREPLIED] src=10.0.12.101 dst=${pod} sport=53 dport=${port} mark=0 use=1`,
          );
        } else
          lines.push(
            `udp      17 28 src=${pod} dst=172.20.0.10 sport=${port} dport=53 src=10.0.12.101 dst=${pod} sport=53 dport=${port} mark=0 use=1`,
          );
        break;
      case 2:
        lines.push(
          `tcp      6 117 TIME_WAIT src=${pod} dst=10.0.14.77 sport=${port} dport=8080 src=10.0.14.77 dst=${pod} sport=8080 dport=${port} [ASSURED] mark=0 use=1`,
        );
        break;
      case 3:
        lines.push(
          `udp      17 3 src=10.0.12.34 dst=10.0.0.2 sport=${port} dport=53 src=10.0.0.2 dst=10.0.12.34 sport=53 dport=${port} mark=0 use=1`,
        );
        break;
      default:
        lines.push(
          `icmp     1 29 src=10.0.12.34 dst=10.0.100.20 type=8 code=0 id=${i % 65536} src=10.0.100.20 dst=10.0.12.34 type=0 code=0 id=${i % 65536} mark=0 use=1`,
        );
    }
  }
  return lines;
}

function conntrackFile(stats: string[], entries: string[]): string {
  return ["*** Output of conntrack -S *** ", ...stats, "*** Output of conntrack -L ***", ...entries, ""].join("\n");
}

function sysctl(max: number, count: number): string {
  return [
    `net.netfilter.nf_conntrack_acct = 0`,
    `net.netfilter.nf_conntrack_buckets = 65536`,
    `net.netfilter.nf_conntrack_count = ${count}`,
    `net.netfilter.nf_conntrack_max = ${max}`,
    `net.nf_conntrack_max = ${max}`,
    "",
  ].join("\n");
}

describe("inspect_conntrack", () => {
  it("sums per-CPU counters and reports insert_failed=0 as a fact against the conntrack race", async () => {
    const report = await runOn(inspectConntrack, {
      [CONNTRACK]: conntrackFile(statsLines(), entryLines(50)),
      [SYSCTLS]: sysctl(131072, 52),
    });
    expect(report.status).toBe("ok");
    expect(report.severity).toBe("info");
    const stats = kindOf(report, "conntrack.stats");
    expect(stats?.attributes).toMatchObject({
      format: "per-cpu",
      cpus: 2,
      insertFailed: 0,
      drop: 0,
      earlyDrop: 0,
      invalid: 211,
      searchRestart: 81,
      clashResolve: 2,
    });
    expect(stats?.summary).toContain("insert_failed=0");
    expect(stats?.evidence[0]?.line).toBe(2);
    expect(kindOf(report, "conntrack.insert-failed")).toBeUndefined();
    expect(kindOf(report, "conntrack.drops")).toBeUndefined();
  });

  it("counts entries by protocol, TCP state and UDP/53 against nf_conntrack_max", async () => {
    const report = await runOn(inspectConntrack, {
      [CONNTRACK]: conntrackFile(statsLines(), entryLines(100, { unrepliedDns: 4 })),
      [SYSCTLS]: sysctl(131072, 98),
    });
    const entries = kindOf(report, "conntrack.entries");
    expect(entries?.severity).toBe("info");
    expect(entries?.attributes).toMatchObject({
      entries: 100,
      listed: 100,
      conntrackCount: 98,
      conntrackMax: 131072,
      udp53: 40,
      udp53Unreplied: 4,
      tcp53: 0,
      maxSource: "sysctl",
    });
    expect(entries?.attributes.byProtocol).toEqual(["tcp=40", "udp=40", "icmp=20"]);
    expect(entries?.attributes.tcpStates).toEqual(["ESTABLISHED=20", "TIME_WAIT=20"]);
    expect(entries?.attributes.dnsDestinations).toEqual(["10.0.0.2=20", "172.20.0.10=20"]);
    expect(entries?.evidence.some((e) => e.excerpt.includes("[UNREPLIED]"))).toBe(true);
  });

  it("reads the legacy aggregated conntrack -S format", async () => {
    const legacy = [
      "entries   \t\t90",
      "searched  \t\t2228",
      "found     \t\t3774748",
      "new       \t\t132421",
      "invalid   \t\t1",
      "ignore    \t\t0",
      "delete    \t\t327481",
      "delete_list\t\t327481",
      "insert    \t\t132421",
      "insert_failed\t\t0",
      "drop      \t\t0",
      "early_drop\t\t0",
      "icmp_error\t\t0",
      "expect_new\t\t0",
      "search_restart\t\t0",
    ];
    const report = await runOn(inspectConntrack, {
      [CONNTRACK]: ["*** Output of conntrack -S *** ", ...legacy, "*** Output of conntrack -L ***", ""].join("\n"),
    });
    const stats = kindOf(report, "conntrack.stats");
    expect(stats?.attributes).toMatchObject({
      format: "aggregated",
      insertFailed: 0,
      insert: 132421,
      entries: 90,
      found: 3774748,
    });
    expect(kindOf(report, "conntrack.entries")?.attributes.entries).toBe(90);
  });

  it("reads legacy counters pasted without the collector's headers, around shell noise", async () => {
    const text = [
      "$ kubectl exec -it my-service-5466c54fdf-g2vfb -- conntrack -S",
      "entries   \t\t90",
      "insert    \t\t1000",
      "insert_failed\t\t250",
      "drop      \t\t0",
      "early_drop\t\t0",
      "conntrack v1.4.4 (conntrack-tools): Operation failed: sorry, you must be root or get CAP_NET_ADMIN capability to do this",
      "command terminated with exit code 1",
      "",
    ].join("\n");
    const report = await runOn(inspectConntrack, { [CONNTRACK]: text });
    expect(kindOf(report, "conntrack.insert-failed")?.attributes).toMatchObject({ insertFailed: 250, insert: 1000 });
    expect(kindOf(report, "conntrack.entries")?.attributes.entries).toBe(90);
  });

  it("reports insert_failed above zero as evidence of the DNS conntrack race, by magnitude", async () => {
    const small = await runOn(inspectConntrack, {
      [CONNTRACK]: conntrackFile(statsLines({ insertFailed: [3, 4] }), entryLines(10)),
    });
    expect(kindOf(small, "conntrack.insert-failed")?.severity).toBe("low");
    const large = await runOn(inspectConntrack, {
      [CONNTRACK]: conntrackFile(statsLines({ insertFailed: [2811, 3120] }), entryLines(10)),
    });
    const finding = kindOf(large, "conntrack.insert-failed");
    expect(finding?.severity).toBe("high");
    expect(finding?.count).toBe(5931);
    expect(finding?.evidence).toHaveLength(2);
    expect(finding?.evidence[0]?.excerpt).toContain("insert_failed=2811");
    expect(kindOf(large, "conntrack.stats")?.attributes.insertFailed).toBe(5931);
  });

  it("rates insert_failed per hour of uptime when the bundle says when it booted", async () => {
    const report = await runOn(inspectConntrack, {
      [CONNTRACK]: conntrackFile(statsLines({ insertFailed: [150, 150] }), entryLines(10)),
      "system/procstat.txt": `cpu  1 2 3 4\nbtime ${Date.UTC(2026, 10, 24, 0, 30) / 1000}\n`,
      "var_log/aws-routed-eni/ipamd.log":
        '{"level":"info","ts":"2026-11-24T10:30:00.000Z","caller":"ipamd/ipamd.go:1","msg":"tick"}\n',
    });
    const finding = kindOf(report, "conntrack.insert-failed");
    expect(finding?.severity).toBe("medium");
    expect(finding?.attributes.insertFailedPerHour).toBe(30);
  });

  it("reports drops and early drops", async () => {
    const report = await runOn(inspectConntrack, {
      [CONNTRACK]: conntrackFile(statsLines({ drop: [120, 80], earlyDrop: [9, 0] }), entryLines(10)),
    });
    const finding = kindOf(report, "conntrack.drops");
    expect(finding?.severity).toBe("high");
    expect(finding?.attributes).toMatchObject({ drop: 200, earlyDrop: 9 });
    const early = await runOn(inspectConntrack, {
      [CONNTRACK]: conntrackFile(statsLines({ earlyDrop: [2, 0] }), entryLines(10)),
    });
    expect(kindOf(early, "conntrack.drops")?.severity).toBe("low");
  });

  it("reports a table near full from nf_conntrack_count: high at 90%, medium at 75%", async () => {
    const full = await runOn(inspectConntrack, {
      [CONNTRACK]: conntrackFile(statsLines({ drop: [3, 0] }), entryLines(200)),
      [SYSCTLS]: sysctl(131072, 130912),
    });
    const finding = kindOf(full, "conntrack.table-near-full");
    expect(finding?.severity).toBe("high");
    expect(finding?.attributes).toMatchObject({ entries: 130912, conntrackMax: 131072, percent: 99.9, listed: 200 });
    expect(finding?.evidence[0]?.excerpt).toBe("net.netfilter.nf_conntrack_count = 130912");
    const busy = await runOn(inspectConntrack, {
      [CONNTRACK]: conntrackFile(statsLines(), entryLines(10)),
      [SYSCTLS]: sysctl(131072, 104000),
    });
    expect(kindOf(busy, "conntrack.table-near-full")?.severity).toBe("medium");
    const calm = await runOn(inspectConntrack, {
      [CONNTRACK]: conntrackFile(statsLines(), entryLines(10)),
      [SYSCTLS]: sysctl(131072, 40000),
    });
    expect(kindOf(calm, "conntrack.table-near-full")).toBeUndefined();
  });

  it("counts the listed entries against conntrackMax handed off from read_sysctls when the sysctl dump is absent", async () => {
    const report = await runOn(
      inspectConntrack,
      { [CONNTRACK]: conntrackFile(statsLines(), entryLines(950)) },
      { conntrackMax: 1000 },
    );
    const finding = kindOf(report, "conntrack.table-near-full");
    expect(finding?.severity).toBe("high");
    expect(finding?.attributes).toMatchObject({ entries: 950, conntrackMax: 1000, percent: 95 });
    expect(kindOf(report, "conntrack.entries")?.attributes.maxSource).toBe("input");
  });

  it("says nf_conntrack_max is unknown without the sysctl dump or the hand-off", async () => {
    const report = await runOn(inspectConntrack, { [CONNTRACK]: conntrackFile(statsLines(), entryLines(20)) });
    expect(kindOf(report, "conntrack.entries")?.summary).toContain("nf_conntrack_max unknown");
    expect(kindOf(report, "conntrack.table-near-full")).toBeUndefined();
  });

  it("reads extended output with the ipv4 prefix and the trailing entries-shown line", async () => {
    const lines = entryLines(10).map((l) => `ipv4     2 ${l}`);
    const report = await runOn(inspectConntrack, {
      [CONNTRACK]: conntrackFile(statsLines(), [
        ...lines,
        "conntrack v1.4.6 (conntrack-tools): 10 flow entries have been shown.",
      ]),
    });
    expect(kindOf(report, "conntrack.entries")?.attributes).toMatchObject({ entries: 10, udp53: 4, reported: 10 });
  });

  it("copes with CRLF line endings", async () => {
    const report = await runOn(inspectConntrack, {
      [CONNTRACK]: conntrackFile(statsLines({ insertFailed: [1, 0] }), entryLines(10)).replace(/\n/g, "\r\n"),
    });
    expect(kindOf(report, "conntrack.stats")?.attributes.insertFailed).toBe(1);
    expect(kindOf(report, "conntrack.entries")?.attributes).toMatchObject({ entries: 10, udp53: 4 });
  });

  it("answers no_data when conntrack.txt is absent, even with a sysctl dump", async () => {
    const report = await runOn(inspectConntrack, { [SYSCTLS]: sysctl(131072, 130000) });
    expect(report.status).toBe("no_data");
    expect(report.findings).toEqual([]);
  });

  it("answers error with a gap when conntrack.txt is empty", async () => {
    const report = await runOn(inspectConntrack, { [CONNTRACK]: "" });
    expect(report.status).toBe("error");
    expect(report.gaps).toEqual([{ source: CONNTRACK, reason: "file is empty" }]);
  });

  it("answers error with a gap when conntrack printed nothing under its headers", async () => {
    const report = await runOn(inspectConntrack, {
      [CONNTRACK]: "*** Output of conntrack -S *** \n*** Output of conntrack -L ***\n",
    });
    expect(report.status).toBe("error");
    expect(report.gaps[0]?.source).toBe(CONNTRACK);
  });

  it("survives binary garbage", async () => {
    const garbage = Uint8Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919 + 13) % 256);
    const report = await runOn(inspectConntrack, { [CONNTRACK]: garbage });
    expect(report.status).toBe("error");
    expect(report.findings).toEqual([]);
  });

  // How fast is a benchmark (npm run bench), not an assertion that flakes on a busy machine.
  it("reads a 300,000-entry table completely", async () => {
    const n = 300_000;
    const report = await runOn(inspectConntrack, {
      [CONNTRACK]: conntrackFile(statsLines(), entryLines(n)),
      [SYSCTLS]: sysctl(524288, n),
    });
    expect(kindOf(report, "conntrack.entries")?.attributes).toMatchObject({ listed: n, udp53: (2 * n) / 5 });
  });
});

const VARIANTS: BaselineOptions[] = [
  {},
  { cniLogFormat: "text" },
  { enisShape: "legacy" },
  { ignoreIntrospection: true },
  { nodeadm: false },
];

describe("inspect_conntrack on generated bundles", () => {
  it.each(VARIANTS)(
    "raises nothing above info on the healthy baseline %j, and its insert_failed=0 argues against the race",
    async (opts) => {
      const report = await runOn(inspectConntrack, healthyBaseline(opts));
      expect(report.status).toBe("ok");
      expect(aboveInfo(report)).toEqual([]);
      expect(kindOf(report, "conntrack.stats")?.attributes.insertFailed).toBe(0);
      expect(kindOf(report, "conntrack.entries")?.attributes.conntrackMax).toBe(131072);
    },
  );

  it("finds a full table: near-full from nf_conntrack_count and drops from the counters", async () => {
    const report = await runOn(inspectConntrack, withFaults({}, conntrackTableFull()));
    expect(kindOf(report, "conntrack.table-near-full")?.severity).toBe("high");
    expect(kindOf(report, "conntrack.drops")?.severity).toBe("high");
    expect(kindOf(report, "conntrack.insert-failed")).toBeUndefined();
    expect(kindOf(report, "conntrack.entries")?.attributes.listed).toBe(20_000);
  });

  it("finds the insert race without blaming a full table", async () => {
    const report = await runOn(inspectConntrack, withFaults({}, conntrackInsertRace()));
    expect(kindOf(report, "conntrack.insert-failed")?.severity).toBe("high");
    expect(kindOf(report, "conntrack.drops")).toBeUndefined();
    expect(kindOf(report, "conntrack.table-near-full")).toBeUndefined();
    expect(kindOf(report, "conntrack.entries")?.attributes.udp53Unreplied).toBe(24);
  });

  it("shows pod lookups to a wrong clusterDNS as unreplied UDP/53", async () => {
    const report = await runOn(inspectConntrack, withFaults({}, clusterDnsMismatch()));
    const entries = kindOf(report, "conntrack.entries");
    expect(entries?.attributes.udp53Unreplied).toBeGreaterThan(0);
    expect((entries?.attributes.dnsDestinations as string[]).some((d) => d.startsWith("10.100.0.10="))).toBe(true);
  });
});
