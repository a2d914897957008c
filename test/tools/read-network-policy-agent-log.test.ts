import { describe, expect, it } from "vitest";
import type { ToolInput } from "../../src/toolkit/run-tool.ts";
import { readNetworkPolicyAgentLog } from "../../tools/read-network-policy-agent-log.ts";
import { kindOf, kindsOf, runOn, type BundleFiles } from "./helpers.ts";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { withFaults } from "../../src/fixtures/fault.ts";
import { netpolAgentPanic, netpolConntrackCleanupRace, netpolDeny } from "../../src/fixtures/faults/service.ts";
import type { BaselineOptions } from "../../src/fixtures/options.ts";

const AGENT = "var_log/aws-routed-eni/network-policy-agent.log";
const SDK = "var_log/aws-routed-eni/ebpf-sdk.log";
const CONTAINER =
  "var_log/aws-node-7xkq2_kube-system_aws-eks-nodeagent-3f9a1c0d7e5b2a4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d.log";
const ARCHIVE = "eks_i-0abc123def4567890_2026-11-24_1030-UTC_0.7.9.tar.gz";

type Fields = Record<string, string | number | boolean>;

function j(ts: string, level: string, logger: string, msg: string, fields: Fields = {}, caller?: string): string {
  const record: Fields = { level, ts: `2026-11-${ts}Z`, logger };
  if (caller) record.caller = caller;
  record.msg = msg;
  return JSON.stringify({ ...record, ...fields });
}

function flow(
  ts: string,
  src: string,
  sport: number,
  dst: string,
  dport: number,
  verdict: "ACCEPT" | "DENY",
  proto = "TCP",
): string {
  return j(ts, "info", "ebpf-client", "Flow Info:  ", {
    "Src IP": src,
    "Src Port": sport,
    "Dest IP": dst,
    "Dest Port": dport,
    Proto: proto,
    Verdict: verdict,
  });
}

const key = (src: string, sport: number, dst: string, dport: number, proto = 6) =>
  `Source IP - ${src} Source port - ${sport} Dest IP - ${dst} Dest port - ${dport} Protocol - ${proto} Owner IP - ${src}`;

/** What v1.0.x (before aws-network-policy-agent#256) logged for every entry its cleanup removed. */
function legacyDelete(ts: string, src: string, sport: number, dst: string, dport: number): string[] {
  return [
    j(
      ts,
      "info",
      "ebpf-client",
      "Conntrack cleanup",
      { "Entry - ": `Expired/Delete Conntrack Key : ${key(src, sport, dst, dport)}` },
      "wait/backoff.go:227",
    ),
    j(
      ts,
      "info",
      "ebpf-client",
      "Conntrack cleanup",
      { "Delete - ": `Conntrack Key : ${key(src, sport, dst, dport)}` },
      "wait/backoff.go:227",
    ),
  ];
}

const DISABLED = [
  j("21T10:15:03.120", "info", "setup", "version", { GitVersion: "v1.2.7", GitCommit: "3a1b5c0" }),
  j("21T10:15:03.160", "info", "setup", "Network Policy agent is starting", {
    enableNetworkPolicy: false,
    enableIPv6: false,
    conntrackCacheCleanupPeriod: 300,
  }),
  j(
    "21T10:15:03.190",
    "info",
    "setup",
    "Network policy is disabled; policy enforcement and conntrack cleanup are not started",
  ),
  j("21T10:16:41.102", "info", "rpc-handler", "Network policy is disabled, returning success"),
];

const ENABLED_START = [
  j("21T10:15:03.120", "info", "setup", "version", { GitVersion: "v1.2.7" }),
  j(
    "21T10:15:03.131",
    "error",
    "ebpf-client",
    "error opening Probe: /host/opt/cni/bin/tc.v4ingress.bpf.o error: open /host/opt/cni/bin/tc.v4ingress.bpf.o: no such file or directory",
  ),
  j("21T10:15:03.140", "info", "ebpf-client", "Successfully loaded events probe"),
  j("21T10:15:03.150", "info", "ebpf-client", "Configured event logging"),
  j("21T10:15:03.160", "info", "ebpf-client", "BPF Client initialization done"),
  j("21T10:16:41.102", "info", "rpc-handler", "Received Enforce Network Policy Request for Pod", {
    Name: "cart-6c8d7f9b4-qq2lm",
    Namespace: "shop",
  }),
  j("21T10:16:41.230", "info", "ebpf-client", "Successfully attached required eBPF probes for", {
    "pod:": "cart-6c8d7f9b4-qq2lm",
    "in namespace": "shop",
  }),
];

/** Two-phase cleanup (after #256) every 150 s for the last hour before collection. */
function twoPhaseCycles(): string[] {
  const lines: string[] = [];
  for (let i = 0; i < 24; i++) {
    const minute = 30 + Math.floor((i * 150) / 60);
    const second = (i * 150) % 60;
    const ts = `24T${String(9 + Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}:${String(second).padStart(2, "0")}.500`;
    lines.push(
      j(ts, "info", "ebpf-client", "Check for any stale entries in the conntrack map", {}, "wait/backoff.go:227"),
    );
    lines.push(
      i % 2 === 0
        ? j(ts, "info", "ebpf-client", "hydrated local conntrack cache")
        : j(ts, "info", "ebpf-client", "Done cleanup of conntrack map: deleted 2 stale entries out of 118 tracked"),
    );
  }
  return lines;
}

const run = (files: BundleFiles, input: ToolInput = {}) =>
  runOn(readNetworkPolicyAgentLog, files, input, { label: ARCHIVE });

const text = (lines: string[]) => `${lines.join("\n")}\n`;

describe("read_network_policy_agent_log", () => {
  it("reports that enforcement is disabled, and nothing else, on a node that does not enforce policy", async () => {
    const report = await run({ [AGENT]: text(DISABLED), [SDK]: "" });
    expect(report.status).toBe("ok");
    expect(report.severity).toBe("info");
    const enforcement = kindOf(report, "netpol.enforcement");
    expect(enforcement?.attributes).toMatchObject({ enabled: false });
    expect(enforcement?.summary).toContain("disabled");
    expect(kindsOf(report)).toEqual(["netpol.enforcement"]);
  });

  it("reports active enforcement and two-phase cleanup cycles as facts, ignoring benign startup errors", async () => {
    const report = await run({ [AGENT]: text([...ENABLED_START, ...twoPhaseCycles()]) });
    expect(report.severity).toBe("info");
    expect(kindOf(report, "netpol.enforcement")?.attributes).toMatchObject({
      enabled: true,
      policyEventLogs: true,
      probeAttachments: 1,
      benignErrorsIgnored: 1,
    });
    expect(kindOf(report, "netpol.conntrack-cleanup")?.attributes).toMatchObject({
      cycles: 24,
      deletedEntries: 24,
      implementation: "two-phase",
    });
    expect(kindOf(report, "netpol.agent-errors")).toBeUndefined();
  });

  it("summarizes DENY verdicts with their top pairs as evidence for a policy that denies", async () => {
    const denies = [
      flow("24T10:12:01.100", "10.0.13.5", 41822, "10.0.14.200", 8080, "DENY"),
      flow("24T10:12:02.100", "10.0.13.5", 41822, "10.0.14.200", 8080, "DENY"),
      flow("24T10:12:04.100", "10.0.13.5", 41990, "10.0.14.200", 8080, "DENY"),
      flow("24T10:13:11.100", "10.0.13.61", 51002, "10.0.12.77", 53, "DENY", "UDP"),
      flow("24T10:13:11.300", "10.0.13.61", 51002, "10.0.12.77", 53, "ACCEPT", "UDP"),
    ];
    const report = await run({ [AGENT]: text([...ENABLED_START, ...denies]) });
    const deny = kindOf(report, "netpol.deny-verdicts");
    expect(deny?.severity).toBe("medium");
    expect(deny?.count).toBe(4);
    expect(deny?.attributes.topPairs).toEqual([
      "10.0.13.5 → 10.0.14.200:8080/TCP ×3",
      "10.0.13.61 → 10.0.12.77:53/UDP ×1",
    ]);
    expect(deny?.attributes.explainedByCleanupRace).toBe(0);
    expect(deny?.lastSeen).toBe("2026-11-24T10:13:11.100Z");
    expect(kindOf(report, "netpol.conntrack-cleanup-race")).toBeUndefined();
  });

  it("detects the legacy conntrack cleanup race: a live flow's entry deleted, then its reply denied", async () => {
    const lines = [
      ...ENABLED_START,
      j(
        "24T10:20:06.940",
        "info",
        "ebpf-client",
        "Check for any stale entries in the conntrack map",
        {},
        "wait/backoff.go:227",
      ),
      flow("24T10:20:07.026", "10.0.13.5", 33794, "52.94.133.131", 443, "ACCEPT"),
      ...legacyDelete("24T10:20:07.095", "10.0.13.5", 33794, "52.94.133.131", 443),
      flow("24T10:20:07.310", "52.94.133.131", 443, "10.0.13.5", 33794, "DENY"),
      flow("24T10:20:07.512", "52.94.133.131", 443, "10.0.13.5", 33794, "DENY"),
    ];
    const report = await run({ [AGENT]: text(lines) });
    const race = kindOf(report, "netpol.conntrack-cleanup-race");
    expect(race?.severity).toBe("high");
    expect(race?.attributes).toMatchObject({
      implementation: "legacy",
      deniesTotal: 2,
      flows: ["52.94.133.131:443 ↔ 10.0.13.5:33794/TCP"],
    });
    expect(race?.evidence[0]?.excerpt).toContain('"Verdict":"DENY"');
    expect(race?.correlateWith).toContain("inspect_conntrack");
    const deny = kindOf(report, "netpol.deny-verdicts");
    expect(deny?.severity).toBe("low");
    expect(deny?.attributes.explainedByCleanupRace).toBe(2);
    expect(kindOf(report, "netpol.conntrack-cleanup")?.attributes.implementation).toBe("legacy");
  });

  it("detects the race with the two-phase cleanup's debug lines too (aws-network-policy-agent#462)", async () => {
    const lines = [...ENABLED_START, ...twoPhaseCycles()];
    for (let i = 0; i < 3; i++) {
      const port = 40100 + i;
      lines.push(
        j(
          `24T10:25:0${i}.100`,
          "debug",
          "ebpf-client",
          `Conntrack cleanup Delete - Conntrack Key : Source IP - 10.0.13.61 Source port - ${port} Dest IP - 10.0.40.17 Dest port - 5432 Protocol - 6 Owner IP - 10.0.13.61 Ifindex - 7`,
        ),
      );
      lines.push(flow(`24T10:25:0${i}.900`, "10.0.40.17", 5432, "10.0.13.61", port, "DENY"));
    }
    const report = await run({ [AGENT]: text(lines) });
    const race = kindOf(report, "netpol.conntrack-cleanup-race");
    expect(race?.severity).toBe("high");
    expect(race?.count).toBe(3);
    expect(race?.attributes.implementation).toBe("two-phase");
  });

  it("does not call a DENY a race when the deleted entry belongs to another flow or was deleted long before", async () => {
    const lines = [
      ...ENABLED_START,
      ...legacyDelete("24T09:00:00.000", "10.0.13.5", 33794, "52.94.133.131", 443),
      flow("24T10:20:07.310", "52.94.133.131", 443, "10.0.13.5", 33794, "DENY"),
      ...legacyDelete("24T10:21:00.000", "10.0.13.5", 33800, "52.94.133.131", 443),
      flow("24T10:21:00.500", "52.94.133.131", 443, "10.0.13.5", 33801, "DENY"),
    ];
    const report = await run({ [AGENT]: text(lines) });
    expect(kindOf(report, "netpol.conntrack-cleanup-race")).toBeUndefined();
    expect(kindOf(report, "netpol.deny-verdicts")?.severity).toBe("medium");
  });

  it("raises agent errors for eBPF load failures and SDK attach errors, ignoring known-benign SDK noise", async () => {
    const lines = [
      ...ENABLED_START,
      j(
        "24T10:10:00.000",
        "error",
        "ebpf-client",
        "Unable to load events binary. Required for policy enforcement, exiting..error: failed to load BPF program: invalid argument",
      ),
    ];
    const sdk = [
      j("24T10:09:00.000", "error", "ebpf-sdk", "expected prefix - [eni vlan] but got lo", {}, "tc/tc.go:71"),
      j(
        "24T10:11:00.000",
        "error",
        "ebpf-sdk",
        'while loading egress program "handle egress" on fd 17: operation not permitted',
        {},
        "tc/tc.go:176",
      ),
    ];
    const report = await run({ [AGENT]: text(lines), [SDK]: text(sdk) });
    const errors = kindOf(report, "netpol.agent-errors");
    expect(errors?.severity).toBe("high");
    expect(errors?.count).toBe(2);
    expect(errors?.attributes).toMatchObject({ categories: ["attach", "ebpf-load"], sdkErrors: 1 });
  });

  it("keeps errors that stopped hours before the window's end at info", async () => {
    const lines = [
      ...ENABLED_START,
      j("22T03:10:00.000", "error", "controllers.policyEndpoints", "Reconcile error", {
        error: "failed to update map",
      }),
      ...twoPhaseCycles(),
    ];
    const report = await run({ [AGENT]: text(lines) });
    const errors = kindOf(report, "netpol.agent-errors");
    expect(errors?.severity).toBe("info");
    expect(errors?.attributes.stale).toBe(true);
  });

  it("raises a critical panic from the node agent's container log", async () => {
    const cri = [
      "2026-11-24T10:22:41.512300112Z stderr F panic: runtime error: invalid memory address or nil pointer dereference",
      "2026-11-24T10:22:41.512300112Z stderr F [signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x1c3b2a4]",
      "2026-11-24T10:22:41.512300112Z stderr F ",
      "2026-11-24T10:22:41.512412334Z stderr F goroutine 412 [running]:",
      "2026-11-24T10:22:41.512412334Z stderr F github.com/aws/aws-network-policy-agent/pkg/ebpf.(*bpfClient).UpdateEbpfMaps(0xc000512000, {0xc0008a2f00, 0x2a}, {0xc000d1a000, 0x3, 0x4}, {0x0, 0x0, 0x0})",
    ];
    const report = await run({ [AGENT]: text(ENABLED_START), [CONTAINER]: text(cri) });
    const panic = kindOf(report, "netpol.agent-panic");
    expect(panic?.severity).toBe("critical");
    expect(panic?.count).toBe(1);
    expect(panic?.attributes).toMatchObject({ traceLines: 1, sources: [CONTAINER] });
  });

  it("raises a panic logged by zap at panic level in the agent log", async () => {
    const report = await run({
      [AGENT]: text([
        ...ENABLED_START,
        j("24T10:01:00.000", "panic", "controllers.policyEndpoints", "failed to derive firewall rules"),
      ]),
    });
    expect(kindOf(report, "netpol.agent-panic")?.severity).toBe("critical");
  });

  it("ignores DENY lines outside the requested window", async () => {
    const lines = [...ENABLED_START, flow("24T10:12:01.100", "10.0.13.5", 41822, "10.0.14.200", 8080, "DENY")];
    const report = await run(
      { [AGENT]: text(lines) },
      { window: { start: "2026-11-22T00:00:00Z", end: "2026-11-23T00:00:00Z" } },
    );
    expect(kindOf(report, "netpol.deny-verdicts")).toBeUndefined();
    expect(kindOf(report, "netpol.enforcement")?.attributes.enabled).toBe(true);
  });

  it("copes with CRLF line endings", async () => {
    const lines = [...ENABLED_START, flow("24T10:12:01.100", "10.0.13.5", 41822, "10.0.14.200", 8080, "DENY")];
    const report = await run({ [AGENT]: text(lines).replaceAll("\n", "\r\n") });
    expect(kindOf(report, "netpol.deny-verdicts")?.attributes.topPairs).toEqual([
      "10.0.13.5 → 10.0.14.200:8080/TCP ×1",
    ]);
  });

  it("answers no_data when the agent logs are missing", async () => {
    const report = await run({ "var_log/aws-routed-eni/ipamd.log": "" });
    expect(report.status).toBe("no_data");
  });

  it("answers error with a gap naming the file when the agent log is empty", async () => {
    const report = await run({ [AGENT]: "" });
    expect(report.status).toBe("error");
    expect(report.gaps[0]?.source).toBe(AGENT);
  });

  it("does not throw on binary garbage", async () => {
    const garbage = new Uint8Array(8192).map((_, i) => (i * 89 + 11) % 256);
    const report = await run({ [AGENT]: garbage });
    expect(report.status).toBe("error");
    expect(report.findings).toEqual([]);
  });

  describe("on generated bundles", () => {
    const variants: BaselineOptions[] = [
      {},
      { nodeadm: false },
      { cniLogFormat: "text" },
      { ignoreIntrospection: true },
    ];
    for (const opts of variants) {
      it(`raises nothing above info on the healthy baseline ${JSON.stringify(opts)}`, async () => {
        const report = await run(Object.fromEntries(healthyBaseline(opts)));
        expect(report.status).toBe("ok");
        expect(report.findings.map((f) => `${f.kind}:${f.severity}`)).toEqual(["netpol.enforcement:info"]);
        expect(kindOf(report, "netpol.enforcement")?.attributes.enabled).toBe(false);
      });
    }

    it("reports DENY verdicts from a healthy, enforcing agent", async () => {
      const report = await run(Object.fromEntries(withFaults({}, netpolDeny())));
      expect(kindOf(report, "netpol.deny-verdicts")?.severity).toBe("medium");
      expect(kindOf(report, "netpol.enforcement")?.attributes).toMatchObject({ enabled: true, policyEventLogs: true });
      expect(kindOf(report, "netpol.conntrack-cleanup")?.attributes.implementation).toBe("two-phase");
      expect(report.findings.filter((f) => f.severity !== "info").map((f) => f.kind)).toEqual(["netpol.deny-verdicts"]);
    });

    it("reports the conntrack cleanup race from the legacy agent", async () => {
      const report = await run(Object.fromEntries(withFaults({}, netpolConntrackCleanupRace())));
      expect(kindOf(report, "netpol.conntrack-cleanup-race")?.severity).toBe("high");
      expect(kindOf(report, "netpol.deny-verdicts")?.severity).toBe("low");
    });

    it("reports the agent's panic once although the collector copied its container log twice", async () => {
      const report = await run(Object.fromEntries(withFaults({}, netpolAgentPanic())));
      const panic = kindOf(report, "netpol.agent-panic");
      expect(panic?.severity).toBe("critical");
      expect(panic?.count).toBe(1);
      expect(kindOf(report, "netpol.agent-errors")?.attributes.categories).toEqual(["attach", "bpf-state-recovery"]);
    });
  });
});
