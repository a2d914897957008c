import { describe, expect, it } from "vitest";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { withFaults } from "../../src/fixtures/fault.ts";
import { corednsUpstreamTimeouts, corednsLoop } from "../../src/fixtures/faults/service.ts";
import type { ToolInput } from "../../src/toolkit/run-tool.ts";
import { readCorednsLog } from "../../tools/read-coredns-log.ts";
import { aboveInfo, kindOf, runOn, type BundleFiles } from "./helpers.ts";

const ARCHIVE = "eks_i-0abc123def4567890_2026-11-24_1030-UTC_0.7.9.tar.gz";
const END = Date.UTC(2026, 10, 24, 10, 30);
const POD = "coredns-5b9dfbf96-q8w2z";
const CONTAINERS_LOG = `var_log/${POD}_kube-system_coredns-9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d.log`;
const PODS_LOG = `var_log/kube-system_${POD}_5e6f7a8b-1c2d-4e3f-9a0b-1c2d3e4f5a6b/coredns/0.log`;

/** A CRI line CoreDNS wrote to stdout, `minutesAgo` before collection. */
function cri(minutesAgo: number, msg: string): string {
  return `${new Date(END - minutesAgo * 60_000).toISOString().replace("Z", "123456Z")} stdout F ${msg}`;
}
function startup(minutesAgo: number): string[] {
  return [
    cri(minutesAgo, ".:53"),
    cri(
      minutesAgo,
      "[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908",
    ),
    cri(minutesAgo, "CoreDNS-1.11.4"),
    cri(minutesAgo, "linux/amd64, go1.22.8, 3a1e7b2"),
  ];
}
function timeout(minutesAgo: number, name = "api.stripe.com.", qtype = "A", upstream = "10.0.0.2"): string {
  return cri(
    minutesAgo,
    `[ERROR] plugin/errors: 2 ${name} ${qtype}: read udp 10.0.12.77:${40000 + minutesAgo}->${upstream}:53: i/o timeout`,
  );
}
function query(minutesAgo: number, name: string, rcode: string, seconds = "0.000312"): string {
  return cri(
    minutesAgo,
    `[INFO] 10.0.12.91:51234 - 4242 "A IN ${name} udp 41 false 512" ${rcode} qr,aa,rd 134 ${seconds}s`,
  );
}
const text = (lines: string[]) => `${lines.join("\n")}\n`;

const run = (files: BundleFiles, input: ToolInput = {}) => runOn(readCorednsLog, files, input, { label: ARCHIVE });
const VARIANTS = [
  {},
  { nodeadm: false },
  { cniLogFormat: "text" as const },
  { enisShape: "flat" as const },
  { enisShape: "legacy" as const },
  { ignoreIntrospection: true },
  { seed: 11 },
];

describe("read_coredns_log", () => {
  it("reports only the pod fact for a CoreDNS that started cleanly", async () => {
    const report = await run({
      [CONTAINERS_LOG]: text([
        ...startup(4000),
        cri(3999, "[WARNING] No files matching import glob pattern: custom/*.override"),
      ]),
    });
    expect(report.status).toBe("ok");
    expect(aboveInfo(report)).toEqual([]);
    expect(kindOf(report, "coredns.pods")?.attributes).toMatchObject({
      pods: [POD],
      version: "CoreDNS-1.11.4",
      errorLines: 0,
    });
  });

  it("reports upstream timeouts to the VPC resolver as high, naming the upstream", async () => {
    const lines = [...startup(600)];
    for (let m = 60; m >= 1; m -= 2) lines.push(timeout(m));
    const report = await run({ [CONTAINERS_LOG]: text(lines) });
    const finding = kindOf(report, "coredns.upstream-timeouts");
    expect(finding?.severity).toBe("high");
    expect(finding?.count).toBe(30);
    expect(finding?.attributes).toMatchObject({
      upstreams: ["10.0.0.2:53"],
      toVpcResolver: true,
      qtypes: ["A"],
      loopProbeOnly: false,
    });
    expect(finding?.correlateWith).toContain("check_resolv_conf");
  });

  it("uses the nameservers hand-off to decide whether timeouts hit the VPC resolver", async () => {
    const lines = [...startup(100)];
    for (let m = 50; m >= 1; m -= 5) lines.push(timeout(m, "db.example.org.", "AAAA", "192.168.10.53"));
    const other = await run({ [CONTAINERS_LOG]: text(lines) }, { nameservers: ["172.31.0.2"] });
    expect(kindOf(other, "coredns.upstream-timeouts")?.attributes.toVpcResolver).toBe(false);
    const same = await run({ [CONTAINERS_LOG]: text(lines) }, { nameservers: ["192.168.10.53"] });
    expect(kindOf(same, "coredns.upstream-timeouts")?.attributes.toVpcResolver).toBe(true);
  });

  it("keeps a couple of start-up HINFO probe timeouts at info", async () => {
    const lines = [...startup(3000), timeout(3000, "8473018829371264512.2197465019283746501.", "HINFO")];
    const report = await run({ [CONTAINERS_LOG]: text(lines) });
    expect(aboveInfo(report)).toEqual([]);
    expect(kindOf(report, "coredns.upstream-timeouts")?.attributes.loopProbeOnly).toBe(true);
  });

  it("keeps timeouts that stopped hours before the window's end at info", async () => {
    const lines = [...startup(900)];
    for (let m = 800; m >= 700; m -= 5) lines.push(timeout(m));
    const report = await run({ [CONTAINERS_LOG]: text(lines) });
    expect(kindOf(report, "coredns.upstream-timeouts")?.severity).toBe("info");
    expect(kindOf(report, "coredns.upstream-timeouts")?.attributes.stale).toBe(true);
  });

  it("reports a forwarding loop as critical", async () => {
    const lines = [
      ...startup(10),
      cri(
        10,
        `[FATAL] plugin/loop: Loop (127.0.0.1:55953 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO 4547991504243258144.3688648895315093531."`,
      ),
    ];
    const report = await run({ [PODS_LOG]: text(lines) });
    const loop = kindOf(report, "coredns.loop-detected");
    expect(loop?.severity).toBe("critical");
    expect(loop?.attributes.zones).toEqual(["."]);
  });

  it("reports SERVFAIL answers from the query log, counting slow ones", async () => {
    const lines = [...startup(200)];
    for (let m = 60; m >= 1; m -= 2) lines.push(query(m, "payments.internal.example.com.", "SERVFAIL", "5.002181"));
    const report = await run({ [CONTAINERS_LOG]: text(lines) });
    const servfail = kindOf(report, "coredns.servfail");
    expect(servfail?.severity).toBe("medium");
    expect(servfail?.attributes).toMatchObject({ names: ["payments.internal.example.com."], slowAnswers: 30 });
  });

  it("keeps NXDOMAIN on health checks and search-path expansions at info", async () => {
    const lines = [...startup(200)];
    for (let m = 100; m >= 1; m -= 1) {
      lines.push(query(m, "healthz.shop.svc.cluster.local.", "NXDOMAIN"));
      lines.push(query(m, "api.stripe.com.shop.svc.cluster.local.", "NXDOMAIN"));
      lines.push(query(m, "api.stripe.com.", "NOERROR"));
    }
    const report = await run({ [CONTAINERS_LOG]: text(lines) });
    expect(aboveInfo(report)).toEqual([]);
    const nx = kindOf(report, "coredns.nxdomain");
    expect(nx?.count).toBe(200);
    expect(nx?.attributes).toMatchObject({ healthCheckNames: 100, searchPathExpansions: 200 });
    expect(nx?.evidence.length).toBeLessThanOrEqual(3);
  });

  it("reports the kubernetes plugin failing to reach the API server, apart from upstream timeouts", async () => {
    const lines = [...startup(100)];
    for (let m = 90; m >= 0; m -= 10)
      lines.push(
        cri(
          m,
          `[ERROR] plugin/kubernetes: pkg/mod/k8s.io/client-go@v0.31.2/tools/cache/reflector.go:243: Failed to watch *v1.EndpointSlice: failed to list *v1.EndpointSlice: Get "https://172.20.0.1:443/apis/discovery.k8s.io/v1/endpointslices?limit=500&resourceVersion=0": dial tcp 172.20.0.1:443: i/o timeout`,
        ),
      );
    lines.push(cri(5, `[INFO] plugin/ready: Still waiting on: "kubernetes"`));
    const report = await run({ [CONTAINERS_LOG]: text(lines) });
    expect(kindOf(report, "coredns.apiserver-unreachable")?.severity).toBe("high");
    expect(kindOf(report, "coredns.apiserver-unreachable")?.attributes.readyWaits).toBe(1);
    expect(kindOf(report, "coredns.upstream-timeouts")).toBeUndefined();
  });

  it("keeps the start-up warning about an unsynced Kubernetes API at info once it stopped", async () => {
    const lines = [
      cri(
        4000,
        `[WARNING] plugin/kubernetes: Kubernetes API connection failure: Get "https://172.20.0.1:443/version": dial tcp 172.20.0.1:443: i/o timeout`,
      ),
      ...startup(3999),
    ];
    const report = await run({ [CONTAINERS_LOG]: text(lines) });
    expect(aboveInfo(report)).toEqual([]);
  });

  it("reports other errors with their causes", async () => {
    const lines = [...startup(100)];
    for (let m = 50; m >= 10; m -= 5)
      lines.push(
        cri(m, `[ERROR] plugin/errors: 2 s3.amazonaws.com. A: dial udp 10.0.0.2:53: connect: network is unreachable`),
      );
    const report = await run({ [CONTAINERS_LOG]: text(lines) });
    expect(kindOf(report, "coredns.errors")?.severity).toBe("medium");
    expect(kindOf(report, "coredns.errors")?.attributes.causes).toEqual(["unreachable"]);
  });

  it("reads each pod once when both log copies are present, and lists every pod", async () => {
    const lines = text([...startup(100), timeout(5)]);
    const second =
      "var_log/coredns-5b9dfbf96-r7t4n_kube-system_coredns-0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9.log";
    const report = await run({ [CONTAINERS_LOG]: lines, [PODS_LOG]: lines, [second]: text(startup(50)) });
    expect(kindOf(report, "coredns.upstream-timeouts")?.count).toBe(1);
    expect(kindOf(report, "coredns.pods")?.attributes.pods).toEqual([POD, "coredns-5b9dfbf96-r7t4n"]);
  });

  it("ignores lines outside the requested window", async () => {
    const lines = [...startup(600)];
    for (let m = 400; m >= 300; m -= 5) lines.push(timeout(m));
    const window = { start: new Date(END - 120 * 60_000).toISOString(), end: new Date(END).toISOString() };
    const report = await run({ [CONTAINERS_LOG]: text(lines) }, { window });
    expect(kindOf(report, "coredns.upstream-timeouts")).toBeUndefined();
  });

  it("answers no_data on a node that ran no CoreDNS pod", async () => {
    const report = await run({ "var_log/kube-proxy-x7k2p_kube-system_kube-proxy-3f9a1c0d2b4e.log": "x\n" });
    expect(report.status).toBe("no_data");
    expect(report.findings).toEqual([]);
  });

  it("survives binary garbage and CRLF line ends", async () => {
    const garbage = new Uint8Array(8192).map((_, i) => (i * 31 + 7) % 256);
    const report = await run({
      [PODS_LOG]: garbage,
      [CONTAINERS_LOG.replace(POD, "coredns-5b9dfbf96-zzzzz")]: text([...startup(10), timeout(2)]).replace(
        /\n/g,
        "\r\n",
      ),
    });
    expect(report.status).toBe("ok");
    expect(kindOf(report, "coredns.upstream-timeouts")?.attributes.upstreams).toEqual(["10.0.0.2:53"]);
  });
  it.each(VARIANTS)("raises nothing above info on the healthy baseline %j", async (opts) => {
    const report = await run(healthyBaseline(opts));
    expect(report.status).toBe("ok");
    expect(aboveInfo(report)).toEqual([]);
  });

  it("reports the generated upstream-timeout fault as timeouts to the VPC resolver", async () => {
    const report = await run(withFaults({}, corednsUpstreamTimeouts()), { nameservers: ["10.0.0.2"] });
    expect(kindOf(report, "coredns.upstream-timeouts")).toMatchObject({
      severity: "high",
      attributes: { upstreams: ["10.0.0.2:53"], toVpcResolver: true },
    });
  });

  it("reports the generated loop fault as a critical loop from the restarted containers' logs", async () => {
    const report = await run(withFaults({}, corednsLoop()));
    expect(kindOf(report, "coredns.loop-detected")).toMatchObject({ severity: "critical", count: 3 });
  });
});
