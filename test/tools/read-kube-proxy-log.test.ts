import { describe, expect, it } from "vitest";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { withFaults } from "../../src/fixtures/fault.ts";
import { kubeProxyRestoreFailed, kubeProxyXtablesLock } from "../../src/fixtures/faults/service.ts";
import type { ToolInput } from "../../src/toolkit/run-tool.ts";
import { readKubeProxyLog } from "../../tools/read-kube-proxy-log.ts";
import { aboveInfo, kindOf, runOn, type BundleFiles } from "./helpers.ts";

const ARCHIVE = "eks_i-0abc123def4567890_2026-11-24_1030-UTC_0.7.9.tar.gz";
const END = Date.UTC(2026, 10, 24, 10, 30);
const POD_LOG =
  "var_log/kube-proxy-x7k2p_kube-system_kube-proxy-3f9a1c0d2b4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8.log";
const PODS_DIR_LOG = "var_log/kube-system_kube-proxy-x7k2p_0d3c1f2e-4a5b-4c6d-8e7f-9a0b1c2d3e4f/kube-proxy/0.log";

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1456789Z");
}
function klog(level: string, ms: number, file: string, msg: string, pid = 1): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${level}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}123 ${String(pid).padStart(7)} ${file}] ${msg}`;
}
/** A CRI-wrapped kube-proxy klog line, `minutesAgo` before collection. */
function cri(minutesAgo: number, level: string, file: string, msg: string): string {
  const ms = END - minutesAgo * 60_000;
  return `${iso(ms)} stderr F ${klog(level, ms, file, msg)}`;
}
function startup(minutesAgo: number, mode = "iptables"): string[] {
  return [
    cri(minutesAgo, "I", "server_linux.go:69", `"Using ${mode} proxy"`),
    cri(minutesAgo, "I", "server.go:1062", `"Successfully retrieved node IP(s)" IPs=["10.0.12.34"]`),
    cri(minutesAgo, "I", "conntrack.go:121", `"Set sysctl" entry="net/netfilter/nf_conntrack_max" value=131072`),
    cri(minutesAgo, "I", "conntrack.go:60", `"Setting nf_conntrack_max" nfConntrackMax=131072`),
    cri(minutesAgo, "I", "conntrack.go:191", `"Setting conntrack hashsize" conntrackHashsize=32768`),
    cri(
      minutesAgo,
      "I",
      "conntrack.go:121",
      `"Set sysctl" entry="net/netfilter/nf_conntrack_tcp_timeout_established" value=86400`,
    ),
    cri(minutesAgo, "I", "server.go:677", `"Version info" version="v1.31.2-eks-7f9249a"`),
    cri(minutesAgo, "I", "shared_informer.go:320", "Caches are synced for service config"),
  ];
}
function healthySyncs(fromMinutesAgo: number, count: number, everyMinutes = 30): string[] {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const m = fromMinutesAgo - i * everyMinutes;
    lines.push(
      cri(
        m,
        "I",
        "proxier.go:1503",
        `"Reloading service iptables data" numServices=14 numEndpoints=22 numFilterChains=6 numFilterRules=7 numNATChains=34 numNATRules=78`,
      ),
    );
    lines.push(cri(m, "I", "proxier.go:790", `"SyncProxyRules complete" elapsed="48.312751ms"`));
  }
  return lines;
}
const text = (lines: string[]) => `${lines.join("\n")}\n`;

const run = (files: BundleFiles, input: ToolInput = {}) => runOn(readKubeProxyLog, files, input, { label: ARCHIVE });
const VARIANTS = [
  {},
  { nodeadm: false },
  { cniLogFormat: "text" as const },
  { enisShape: "flat" as const },
  { enisShape: "legacy" as const },
  { ignoreIntrospection: true },
  { seed: 11 },
];

describe("read_kube_proxy_log", () => {
  it("reports nothing above info for a kube-proxy that starts and syncs normally, with its mode and conntrack facts", async () => {
    const report = await run({ [POD_LOG]: text([...startup(3000), ...healthySyncs(2990, 100)]) });
    expect(report.status).toBe("ok");
    expect(aboveInfo(report)).toEqual([]);
    expect(kindOf(report, "kube-proxy.mode")?.attributes).toMatchObject({
      mode: "iptables",
      version: "v1.31.2-eks-7f9249a",
    });
    expect(kindOf(report, "kube-proxy.conntrack-settings")?.attributes).toMatchObject({
      conntrackMax: 131072,
      hashsize: 32768,
      tcpTimeoutEstablished: 86400,
    });
    expect(kindOf(report, "kube-proxy.syncs")?.attributes).toMatchObject({
      syncs: 100,
      numServices: 14,
      numNATRules: 78,
    });
  });

  it("reads the old printf-style kube-proxy.log with Setting nf_conntrack_max and Using iptables Proxier", async () => {
    const ms = END - 60 * 60_000;
    const old = [
      klog("I", ms, "server_others.go:186", "Using iptables Proxier.", 26448),
      klog("I", ms, "server.go:555", "Version: v1.19.6-eks-49a6c0", 26448),
      klog("I", ms, "conntrack.go:100", "Set sysctl 'net/netfilter/nf_conntrack_max' to 786432", 26448),
      klog("I", ms, "conntrack.go:52", "Setting nf_conntrack_max to 786432", 26448),
      klog("I", ms, "conntrack.go:83", "Setting conntrack hashsize to 196608", 26448),
      klog(
        "I",
        ms,
        "conntrack.go:100",
        "Set sysctl 'net/netfilter/nf_conntrack_tcp_timeout_close_wait' to 3600",
        26448,
      ),
    ];
    const report = await run({ "var_log/kube-proxy.log": text(old) });
    expect(kindOf(report, "kube-proxy.conntrack-settings")?.attributes).toMatchObject({
      conntrackMax: 786432,
      hashsize: 196608,
      tcpTimeoutCloseWait: 3600,
    });
    expect(kindOf(report, "kube-proxy.mode")?.attributes).toMatchObject({
      mode: "iptables",
      version: "v1.19.6-eks-49a6c0",
    });
    expect(kindOf(report, "kube-proxy.conntrack-settings")?.evidence[0]?.source).toBe("var_log/kube-proxy.log");
  });

  it("reports iptables-restore failures that keep recurring as high, with the failing rule line", async () => {
    const lines = [...startup(600)];
    for (let m = 120; m >= 1; m -= 1) {
      lines.push(cri(m, "E", "proxier.go:1520", `"Failed to execute iptables-restore" err=<`));
      lines.push(`${iso(END - m * 60_000)} stderr F \texit status 1: iptables-restore: line 1543 failed`);
      lines.push(`${iso(END - m * 60_000)} stderr F  >`);
      lines.push(cri(m, "I", "proxier.go:790", `"SyncProxyRules complete" elapsed="1.2s"`));
      lines.push(cri(m, "I", "proxier.go:805", `"Sync failed" retryingTime="30s"`));
    }
    const report = await run({ [POD_LOG]: text(lines) });
    const restore = kindOf(report, "kube-proxy.restore-failed");
    expect(restore?.severity).toBe("high");
    expect(restore?.count).toBe(120);
    expect(restore?.attributes).toMatchObject({ causes: ["rule-error"], failedRuleLines: [1543] });
    expect(restore?.correlateWith).toContain("inspect_iptables");
  });

  it("reports the old one-line restore failure caused by the xtables lock, and the lock itself", async () => {
    const lines = [...startup(300)];
    for (let m = 60; m >= 5; m -= 5) {
      lines.push(
        cri(
          m,
          "E",
          "proxier.go:1425",
          "Failed to execute iptables-restore: exit status 4 (Another app is currently holding the xtables lock. Perhaps you want to use the -w option?)",
        ),
      );
    }
    const report = await run({ [POD_LOG]: text(lines) });
    expect(kindOf(report, "kube-proxy.restore-failed")?.attributes.causes).toEqual(["xtables-lock"]);
    expect(kindOf(report, "kube-proxy.xtables-lock")?.severity).toBe("high");
  });

  it("keeps a boot-time restore failure that later syncs fixed at info", async () => {
    const lines = [...startup(3000)];
    lines.push(
      cri(
        2999,
        "E",
        "proxier.go:1520",
        `"Failed to execute iptables-restore" err="exit status 4: Another app is currently holding the xtables lock; still waiting after 5s"`,
      ),
    );
    lines.push(...healthySyncs(2998, 50));
    const report = await run({ [POD_LOG]: text(lines) });
    expect(aboveInfo(report)).toEqual([]);
    expect(kindOf(report, "kube-proxy.restore-failed")?.attributes.cleared).toBe(true);
    expect(kindOf(report, "kube-proxy.xtables-lock")?.severity).toBe("info");
  });

  it("reports syncs slower than 10 s with their durations, and not fast ones", async () => {
    const lines = [...startup(300), ...healthySyncs(290, 3)];
    for (const [m, elapsed] of [
      [40, "12.4s"],
      [30, "1m5.2s"],
      [20, "14.0s"],
    ] as const)
      lines.push(cri(m, "I", "proxier.go:790", `"SyncProxyRules complete" elapsed="${elapsed}"`));
    const report = await run({ [POD_LOG]: text(lines) });
    const slow = kindOf(report, "kube-proxy.sync-slow");
    expect(slow?.severity).toBe("high");
    expect(slow?.attributes).toMatchObject({ slowSyncs: 3, maxSeconds: 65.2 });

    const fast = await run({
      [POD_LOG]: text([
        ...startup(300),
        ...healthySyncs(290, 5),
        cri(10, "I", "proxier.go:790", `"SyncProxyRules complete" elapsed="9.5s"`),
      ]),
    });
    expect(kindOf(fast, "kube-proxy.sync-slow")).toBeUndefined();
  });

  it("reads the old V(4) syncProxyRules took line and rates a single 12 s sync medium", async () => {
    const report = await run({
      [POD_LOG]: text([...startup(100), cri(10, "I", "proxier.go:1380", "syncProxyRules took 12.05s")]),
    });
    expect(kindOf(report, "kube-proxy.sync-slow")?.severity).toBe("medium");
  });

  it("reports a panic as a crash, and repeated starts as a restart loop", async () => {
    const panicLines = [
      ...startup(30),
      `${iso(END - 20 * 60_000)} stderr F panic: runtime error: invalid memory address or nil pointer dereference`,
      `${iso(END - 20 * 60_000)} stderr F goroutine 1 [running]:`,
    ];
    const crashed = await run({ [POD_LOG]: text(panicLines) });
    expect(kindOf(crashed, "kube-proxy.crash")?.severity).toBe("high");
    expect(kindOf(crashed, "kube-proxy.crash")?.attributes.exits).toBe(1);

    const loop = await run({
      [PODS_DIR_LOG]: text(startup(50)),
      [PODS_DIR_LOG.replace("/0.log", "/4.log")]: text([
        ...startup(20),
        ...startup(10),
        cri(
          9,
          "E",
          "run.go:74",
          `"command failed" err="failed complete: open /var/lib/kube-proxy-config/config: no such file or directory"`,
        ),
      ]),
    });
    const crash = kindOf(loop, "kube-proxy.crash");
    expect(crash?.severity).toBe("high");
    expect(crash?.attributes).toMatchObject({ starts: 3, restartIndex: 4 });
  });

  it("does not count a log twice when the collector copied both /var/log/containers and /var/log/pods", async () => {
    const lines = text([
      ...startup(100),
      cri(
        50,
        "E",
        "proxier.go:1520",
        `"Failed to execute iptables-restore" err="exit status 1: iptables-restore: line 7 failed"`,
      ),
    ]);
    const report = await run({ [POD_LOG]: lines, [PODS_DIR_LOG]: lines });
    expect(kindOf(report, "kube-proxy.restore-failed")?.count).toBe(1);
    expect(kindOf(report, "kube-proxy.restore-failed")?.evidence[0]?.source).toBe(PODS_DIR_LOG);
  });

  it("reports API server list errors that persist, and keeps boot-time ones that cleared at info", async () => {
    const failing = [...startup(200)];
    for (let m = 100; m >= 0; m -= 10)
      failing.push(
        cri(
          m,
          "E",
          "reflector.go:158",
          `"Unhandled Error" err="k8s.io/client-go/informers/factory.go:160: Failed to watch *v1.Service: failed to list *v1.Service: Get \\"https://172.20.0.1:443/api/v1/services?limit=500\\": dial tcp 172.20.0.1:443: i/o timeout"`,
        ),
      );
    const report = await run({ [POD_LOG]: text(failing) });
    expect(kindOf(report, "kube-proxy.apiserver-errors")?.severity).toBe("high");

    const boot = [
      cri(
        3000,
        "E",
        "reflector.go:158",
        `failed to list *v1.EndpointSlice: Get "https://ABC.gr7.us-east-1.eks.amazonaws.com/apis/discovery.k8s.io/v1/endpointslices": dial tcp 10.0.5.6:443: connect: connection refused`,
      ),
      ...startup(2999),
    ];
    const cleared = await run({ [POD_LOG]: text(boot) });
    expect(kindOf(cleared, "kube-proxy.apiserver-errors")?.severity).toBe("info");
  });

  it("treats healthz chatter on 127.0.0.1:10256 as benign", async () => {
    const lines = [
      ...startup(100),
      cri(
        5,
        "E",
        "healthcheck.go:180",
        `"Failed to run healthz server" err="listen tcp 127.0.0.1:10256: bind: address already in use"`,
      ),
    ];
    const report = await run({ [POD_LOG]: text(lines) });
    expect(aboveInfo(report)).toEqual([]);
  });

  it("reads var_log/kube-proxy.log only when the container logs are empty (old DaemonSets redirected output there)", async () => {
    const failure = cri(
      20,
      "E",
      "proxier.go:1520",
      `"Failed to execute iptables-restore" err="exit status 1: iptables-restore: line 9 failed"`,
    );
    const plain = text([failure.replace(/^\S+ stderr F /, "")]);
    const both = await run({ "var_log/kube-proxy.log": plain, [POD_LOG]: text(startup(100)) });
    expect(kindOf(both, "kube-proxy.restore-failed")).toBeUndefined();
    const redirected = await run({ "var_log/kube-proxy.log": plain, [POD_LOG]: "" });
    expect(kindOf(redirected, "kube-proxy.restore-failed")?.evidence[0]?.source).toBe("var_log/kube-proxy.log");
  });

  it("reports IPVS mode and a fallback to iptables as facts", async () => {
    const ipvs = await run({ [POD_LOG]: text(startup(100, "ipvs")) });
    expect(kindOf(ipvs, "kube-proxy.mode")?.attributes.mode).toBe("ipvs");
    const fallback = await run({
      [POD_LOG]: text([
        cri(
          100,
          "E",
          "server_others.go:191",
          `"Can't use the IPVS proxier" err="IPVS proxier will not be used because the following required kernel modules are not loaded: [ip_vs_rr]"`,
        ),
        ...startup(100),
      ]),
    });
    expect(kindOf(fallback, "kube-proxy.mode")?.attributes).toMatchObject({ mode: "iptables", ipvsFallback: true });
  });

  it("ignores lines outside the requested window", async () => {
    const lines = [
      ...startup(600),
      cri(
        300,
        "E",
        "proxier.go:1520",
        `"Failed to execute iptables-restore" err="exit status 1: iptables-restore: line 9 failed"`,
      ),
    ];
    const window = { start: new Date(END - 120 * 60_000).toISOString(), end: new Date(END).toISOString() };
    const report = await run({ [POD_LOG]: text(lines) }, { window });
    expect(kindOf(report, "kube-proxy.restore-failed")).toBeUndefined();
  });

  it("marks failures that stopped hours before the window's end as stale info", async () => {
    const lines = [...startup(900)];
    for (let m = 600; m >= 500; m -= 10)
      lines.push(
        cri(
          m,
          "E",
          "proxier.go:1520",
          `"Failed to execute iptables-restore" err="exit status 2: iptables-restore v1.8.4 (legacy): Couldn't load target 'KUBE-SEP-XYZ'"`,
        ),
      );
    const report = await run({ [POD_LOG]: text(lines) });
    expect(kindOf(report, "kube-proxy.restore-failed")?.severity).toBe("info");
    expect(kindOf(report, "kube-proxy.restore-failed")?.attributes.stale).toBe(true);
  });

  it("answers no_data when there is no kube-proxy log at all", async () => {
    const report = await run({ "kubelet/kubelet.log": "" });
    expect(report.status).toBe("no_data");
    expect(report.findings).toEqual([]);
  });

  it("reports an empty kube-proxy log as the fact kube-proxy.no-log-lines", async () => {
    const report = await run({ "var_log/kube-proxy.log": "" });
    expect(report.status).toBe("ok");
    expect(kindOf(report, "kube-proxy.no-log-lines")?.severity).toBe("info");
    expect(report.findings).toHaveLength(1);
  });

  it("survives binary garbage and CRLF line ends", async () => {
    const garbage = new Uint8Array(4096).map((_, i) => (i * 7919) % 256);
    const report = await run({
      "var_log/kube-proxy.log": garbage,
      [POD_LOG]: text(startup(10)).replace(/\n/g, "\r\n"),
    });
    expect(report.status).toBe("ok");
    expect(kindOf(report, "kube-proxy.conntrack-settings")?.attributes.conntrackMax).toBe(131072);
  });
  it.each(VARIANTS)("raises nothing above info on the healthy baseline %j", async (opts) => {
    const report = await run(healthyBaseline(opts));
    expect(report.status).toBe("ok");
    expect(aboveInfo(report)).toEqual([]);
    expect(kindOf(report, "kube-proxy.conntrack-settings")?.attributes.conntrackMax).toBe(131072);
  });

  it("reports the generated restore-failure fault as a high restore failure with a rule error", async () => {
    const report = await run(withFaults({}, kubeProxyRestoreFailed()));
    expect(kindOf(report, "kube-proxy.restore-failed")).toMatchObject({
      severity: "high",
      attributes: { causes: ["rule-error"] },
    });
    expect(kindOf(report, "kube-proxy.xtables-lock")).toBeUndefined();
  });

  it("reports the generated xtables-lock fault as the lock plus restore failures caused by it", async () => {
    const report = await run(withFaults({ nodeadm: false }, kubeProxyXtablesLock()));
    expect(kindOf(report, "kube-proxy.xtables-lock")?.severity).toBe("high");
    expect(kindOf(report, "kube-proxy.restore-failed")?.attributes.causes).toEqual(["xtables-lock"]);
  });
});
