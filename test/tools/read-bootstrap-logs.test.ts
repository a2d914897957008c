import { describe, expect, it } from "vitest";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { withFaults } from "../../src/fixtures/fault.ts";
import { bootstrapEndpointNone } from "../../src/fixtures/faults/runtime.ts";
import type { ToolInput } from "../../src/toolkit/run-tool.ts";
import { readBootstrapLogs } from "../../tools/read-bootstrap-logs.ts";
import { aboveInfo, kindOf, runOn, type BundleFiles } from "./helpers.ts";

const ARCHIVE = "eks_i-0abc123def4567890_2026-11-24_1030-UTC_0.7.9.tar.gz";
const HOST = "0123456789ABCDEF0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com";
const ENDPOINT = `https://${HOST}`;
const CA = Buffer.from(
  "-----BEGIN CERTIFICATE-----\nMIIDBTCCAe2gAwIBAgIIQ2x1c3RlckNBMA0GCSqGSIb3DQEBCwUAMBUxEzARBgNVBAMTCmt1YmVybmV0ZXMwHhcNMjYxMTAxMDAwMDAwWhcNMzYxMTAxMDAwMDAwWjAVMRMwEQYDVQQDEwprdWJlcm5ldGVz\n-----END CERTIFICATE-----\n",
).toString("base64");
const NODE = "ip-10-0-12-34.ec2.internal";

const text = (lines: string[]) => `${lines.join("\n")}\n`;
function journal(time: string, ident: string, msg: string): string {
  return `Nov 21 ${time} ${NODE} ${ident}: ${msg}`;
}
function zap(level: string, caller: string, msg: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ level, ts: 1795256621.455, caller, msg, ...fields });
}
function loadedConfig(
  endpoint: string | null = ENDPOINT,
  ca: string | null = CA,
  kubelet: Record<string, unknown> = { config: { maxPods: 58 }, flags: ["--node-labels=team=shop"] },
) {
  return {
    config: {
      metadata: { creationTimestamp: null },
      spec: {
        cluster: { name: "prod-shop", apiServerEndpoint: endpoint, certificateAuthority: ca, cidr: "172.20.0.0/16" },
        containerd: {},
        instance: { localStorage: {} },
        kubelet,
      },
      status: { instance: {}, kubeletVersion: "", defaults: {} },
    },
  };
}
/** An AL2023 nodeadm-config journal in the JSON format of early nodeadm releases. */
function nodeadmJson(config = loadedConfig(), fail?: string, time = "10:23:41"): string[] {
  const lines = [
    journal(time, "systemd[1]", "Starting nodeadm-config.service - EKS Nodeadm Config..."),
    journal(time, "nodeadm[1712]", zap("info", "init/init.go:49", "Checking user is root..")),
    journal(
      time,
      "nodeadm[1712]",
      zap("info", "init/init.go:57", "Loading configuration..", { configSource: "imds://user-data" }),
    ),
    journal(time, "nodeadm[1712]", zap("info", "init/init.go:66", "Loaded configuration", config)),
    journal(time, "nodeadm[1712]", zap("info", "init/init.go:68", "Enriching configuration..")),
    journal(
      time,
      "nodeadm[1712]",
      zap("info", "init/init.go:141", "Fetched kubelet version", { version: "v1.31.2-eks-94953ac" }),
    ),
    journal(time, "nodeadm[1712]", zap("info", "init/init.go:73", "Validating configuration..")),
  ];
  if (fail) {
    lines.push(journal(time, "nodeadm[1712]", zap("fatal", "nodeadm/main.go:36", "Command failed", { error: fail })));
    lines.push(
      journal(time, "systemd[1]", "nodeadm-config.service: Main process exited, code=exited, status=1/FAILURE"),
    );
    lines.push(journal(time, "systemd[1]", "nodeadm-config.service: Failed with result 'exit-code'."));
    lines.push(journal(time, "systemd[1]", "Failed to start nodeadm-config.service - EKS Nodeadm Config."));
  } else {
    lines.push(journal(time, "nodeadm[1712]", zap("info", "init/init.go:134", "done!", { duration: 1.2 })));
    lines.push(journal(time, "systemd[1]", "nodeadm-config.service: Deactivated successfully."));
    lines.push(journal(time, "systemd[1]", "Finished nodeadm-config.service - EKS Nodeadm Config."));
  }
  return lines;
}
/** AL2 cloud-init-output.log with bootstrap.sh's own log lines. */
function al2Output(endpoint = ENDPOINT, ca = CA, extra: string[] = [], complete = true): string[] {
  const lines = [
    "Cloud-init v. 19.3-46.amzn2.0.2 running 'init-local' at Sat, 21 Nov 2026 10:23:20 +0000. Up 6.21 seconds.",
    "Cloud-init v. 19.3-46.amzn2.0.2 running 'init' at Sat, 21 Nov 2026 10:23:22 +0000. Up 8.01 seconds.",
    "ci-info: ++++++++++++++++++++++++++++++++++++++Net device info+++++++++++++++++++++++++++++++++++++++",
    "Cloud-init v. 19.3-46.amzn2.0.2 running 'modules:config' at Sat, 21 Nov 2026 10:23:25 +0000. Up 11.20 seconds.",
    "Cloud-init v. 19.3-46.amzn2.0.2 running 'modules:final' at Sat, 21 Nov 2026 10:23:27 +0000. Up 13.02 seconds.",
    "2026-11-21T10:23:30+0000 [eks-bootstrap] INFO: starting...",
    `2026-11-21T10:23:30+0000 [eks-bootstrap] INFO: --b64-cluster-ca='${ca}'`,
    `2026-11-21T10:23:30+0000 [eks-bootstrap] INFO: --apiserver-endpoint='${endpoint}'`,
    "2026-11-21T10:23:30+0000 [eks-bootstrap] INFO: --kubelet-extra-args='--node-labels=eks.amazonaws.com/nodegroup=ng-1 --max-pods=110'",
    "2026-11-21T10:23:30+0000 [eks-bootstrap] INFO: --use-max-pods='false'",
    "2026-11-21T10:23:31+0000 [eks-bootstrap] INFO: Using kubelet version 1.29.10",
    "2026-11-21T10:23:31+0000 [eks-bootstrap] INFO: Using containerd as the container runtime",
    "2026-11-21T10:23:32+0000 [eks-bootstrap] INFO: Using IP family: ipv4",
    "‘/etc/eks/configure-clocksource.service’ -> ‘/etc/systemd/system/configure-clocksource.service’",
    "Created symlink from /etc/systemd/system/multi-user.target.wants/kubelet.service to /etc/systemd/system/kubelet.service.",
    ...extra,
  ];
  if (complete) lines.push("2026-11-21T10:23:40+0000 [eks-bootstrap] INFO: complete!");
  lines.push(
    "Cloud-init v. 19.3-46.amzn2.0.2 finished at Sat, 21 Nov 2026 10:23:41 +0000. Datasource DataSourceEc2.  Up 27.37 seconds",
  );
  return lines;
}

const run = (files: BundleFiles, input: ToolInput = {}) => runOn(readBootstrapLogs, files, input, { label: ARCHIVE });
const VARIANTS = [
  {},
  { nodeadm: false },
  { cniLogFormat: "text" as const },
  { enisShape: "flat" as const },
  { enisShape: "legacy" as const },
  { ignoreIntrospection: true },
  { seed: 11 },
];

describe("read_bootstrap_logs", () => {
  it("reports only facts for an AL2023 node that nodeadm bootstrapped, and never copies the CA", async () => {
    const report = await run({
      "nodeadm/nodeadm-config.log": text(nodeadmJson()),
      "nodeadm/nodeadm-run.log": text([
        journal("10:23:45", "systemd[1]", "Finished nodeadm-run.service - EKS Nodeadm Run."),
      ]),
    });
    expect(report.status).toBe("ok");
    expect(aboveInfo(report)).toEqual([]);
    expect(kindOf(report, "bootstrap.endpoint")?.attributes).toEqual({
      host: HOST,
      source: "nodeadm-config",
      https: true,
    });
    expect(kindOf(report, "bootstrap.max-pods")?.attributes).toMatchObject({ maxPods: 58, source: "nodeadm-config" });
    expect(kindOf(report, "bootstrap.settings")?.attributes).toMatchObject({
      method: "nodeadm",
      clusterName: "prod-shop",
      containerRuntime: "containerd",
      kubeletVersion: "v1.31.2-eks-94953ac",
      kubeletExtraArgs: true,
      configSource: "imds://user-data",
    });
    expect(JSON.stringify(report)).not.toContain(CA.slice(0, 40));
  });

  it("reads the console format of current nodeadm releases", async () => {
    const cfg = JSON.stringify(loadedConfig(ENDPOINT, CA, {}))
      .replace(/":/g, '": ')
      .replace(/,"/g, ', "');
    const lines = [
      journal("10:23:41", "nodeadm[1712]", "info init/init.go:49 Checking user is root.."),
      journal(
        "10:23:41",
        "nodeadm[1712]",
        `info init/init.go:57 Loading configuration.. {"configSource": ["imds://user-data"], "configCache": ""}`,
      ),
      journal("10:23:42", "nodeadm[1712]", `info init/init.go:80 Loaded configuration ${cfg}`),
      journal(
        "10:23:42",
        "nodeadm[1712]",
        `fatal nodeadm/main.go:36 Command failed {"error": "could not get cluster details: operation error EKS: DescribeCluster, https response error StatusCode: 403, AccessDeniedException"}`,
      ),
    ];
    const report = await run({ "nodeadm/nodeadm-config.log": text(lines) });
    expect(kindOf(report, "bootstrap.failed")).toMatchObject({
      severity: "high",
      attributes: { stages: ["nodeadm-config"], causes: ["describe-cluster"], latestRun: true },
    });
    expect(kindOf(report, "bootstrap.endpoint")?.attributes.host).toBe(HOST);
    expect(kindOf(report, "bootstrap.settings")?.attributes.configSource).toBe("imds://user-data");
  });

  it("reports a nodeadm validation failure once, with systemd's follow-up lines folded in", async () => {
    const report = await run({
      "nodeadm/nodeadm-config.log": text(
        nodeadmJson(loadedConfig(null), "Apiserver endpoint is missing in cluster configuration"),
      ),
    });
    const failed = kindOf(report, "bootstrap.failed");
    expect(failed).toMatchObject({ severity: "high", count: 1, attributes: { causes: ["endpoint"] } });
    expect(failed?.correlateWith).toContain("read_kubelet_config");
    expect(kindOf(report, "bootstrap.endpoint-invalid")).toMatchObject({
      severity: "high",
      attributes: { reason: "empty", value: "" },
    });
    expect(failed?.evidence[0]?.excerpt).not.toContain(CA.slice(0, 40));
  });

  it("keeps a failure from an earlier boot at info when the latest nodeadm run completed", async () => {
    const lines = [
      ...nodeadmJson(loadedConfig(), "Apiserver endpoint is missing in cluster configuration", "10:23:41"),
      ...nodeadmJson(loadedConfig(), undefined, "11:02:10"),
    ];
    const report = await run({ "nodeadm/nodeadm-config.log": text(lines) });
    expect(aboveInfo(report)).toEqual([]);
    expect(kindOf(report, "bootstrap.failed")?.attributes.cleared).toBe(true);
    expect(kindOf(report, "bootstrap.settings")?.attributes.runs).toBe(2);
  });

  it("judges the boot in effect at the window's end, ignoring a run that came after it", async () => {
    const lines = [
      ...nodeadmJson(loadedConfig(), undefined, "10:23:41"),
      ...nodeadmJson(loadedConfig(), "Apiserver endpoint is missing in cluster configuration", "11:02:10"),
    ];
    const window = { start: "2026-11-21T09:00:00Z", end: "2026-11-21T10:40:00Z" };
    const report = await run({ "nodeadm/nodeadm-config.log": text(lines) }, { window });
    expect(kindOf(report, "bootstrap.failed")).toBeUndefined();
    const later = await run({ "nodeadm/nodeadm-config.log": text(lines) });
    expect(kindOf(later, "bootstrap.failed")?.severity).toBe("high");
  });

  it("reports an exec failure of the nodeadm unit", async () => {
    const lines = [
      journal("03:47:49", "systemd[1]", "Starting nodeadm-config.service - EKS Nodeadm Config..."),
      journal(
        "03:47:49",
        "(nodeadm)[1748]",
        "nodeadm-config.service: Failed to locate executable /usr/bin/nodeadm: Permission denied",
      ),
      journal(
        "03:47:49",
        "(nodeadm)[1748]",
        "nodeadm-config.service: Failed at step EXEC spawning /usr/bin/nodeadm: Permission denied",
      ),
      journal("03:47:49", "systemd[1]", "nodeadm-config.service: Main process exited, code=exited, status=203/EXEC"),
      journal("03:47:49", "systemd[1]", "nodeadm-config.service: Failed with result 'exit-code'."),
    ];
    const report = await run({ "nodeadm/nodeadm-config.log": text(lines) });
    expect(kindOf(report, "bootstrap.failed")).toMatchObject({
      severity: "high",
      count: 1,
      attributes: { causes: ["exec"] },
    });
  });

  it("reports only facts for an AL2 node whose bootstrap.sh completed, with max-pods from kubelet extra args", async () => {
    const report = await run({ "var_log/cloud-init-output.log": text(al2Output()) });
    expect(aboveInfo(report)).toEqual([]);
    expect(kindOf(report, "bootstrap.endpoint")?.attributes).toMatchObject({ host: HOST, source: "cloud-init-output" });
    expect(kindOf(report, "bootstrap.max-pods")?.attributes).toMatchObject({ maxPods: 110, useMaxPods: false });
    expect(kindOf(report, "bootstrap.settings")?.attributes).toMatchObject({
      method: "bootstrap.sh",
      containerRuntime: "containerd",
      kubeletVersion: "1.29.10",
      kubeletExtraArgs: true,
      ipFamily: "ipv4",
    });
    expect(JSON.stringify(report)).not.toContain(CA.slice(0, 40));
  });

  it("reports an API server endpoint of None and a CA of None as high, though bootstrap.sh completed", async () => {
    const report = await run({ "var_log/cloud-init-output.log": text(al2Output("None", "None")) });
    expect(kindOf(report, "bootstrap.endpoint-invalid")).toMatchObject({
      severity: "high",
      attributes: { reason: "placeholder", value: "None", source: "cloud-init-output" },
    });
    expect(kindOf(report, "bootstrap.ca-invalid")).toMatchObject({
      severity: "high",
      attributes: { reason: "placeholder" },
    });
    expect(kindOf(report, "bootstrap.endpoint")).toBeUndefined();
    expect(kindOf(report, "bootstrap.failed")).toBeUndefined();
  });

  it("reports an endpoint without https and a CA that is not a certificate", async () => {
    const report = await run({
      "var_log/cloud-init-output.log": text(
        al2Output(`http://${HOST}`, Buffer.from("just some text, not a cert").toString("base64")),
      ),
    });
    expect(kindOf(report, "bootstrap.endpoint-invalid")?.attributes).toMatchObject({ reason: "not-https", host: HOST });
    expect(kindOf(report, "bootstrap.ca-invalid")?.attributes.reason).toBe("not-a-certificate");
  });

  it("reports a bootstrap.sh error and the failed user-data script as one high failure of the latest boot", async () => {
    const extra = [
      "2026-11-21T10:23:33+0000 [eks-bootstrap] ERROR: Exhausted retries while describing cluster!",
      "2026-11-21 10:23:33,120 - util.py[WARNING]: Failed running /var/lib/cloud/instance/scripts/part-001 [254]",
      "2026-11-21 10:23:33,124 - cc_scripts_user.py[WARNING]: Failed to run module scripts-user (scripts in /var/lib/cloud/instance/scripts)",
    ];
    const report = await run({ "var_log/cloud-init-output.log": text(al2Output(ENDPOINT, CA, extra, false)) });
    const failed = kindOf(report, "bootstrap.failed");
    expect(failed).toMatchObject({
      severity: "high",
      attributes: { stages: ["cloud-init-output"], causes: ["describe-cluster", "user-script"] },
    });
    expect(failed?.count).toBe(2);
  });

  it("rates a user-data script that failed after bootstrap completed medium", async () => {
    const lines = [
      ...al2Output(),
      "2026-11-21 10:23:45,300 - util.py[WARNING]: Failed running /var/lib/cloud/instance/scripts/part-002 [1]",
    ];
    const report = await run({ "var_log/cloud-init-output.log": text(lines) });
    expect(kindOf(report, "bootstrap.failed")).toMatchObject({
      severity: "medium",
      attributes: { afterBootstrapComplete: true },
    });
  });

  it("reads the bootstrap.sh call from a user-data trace without copying secrets", async () => {
    const lines = [
      "+ export DB_PASSWORD=hunter2hunter2",
      "+ set -o xtrace",
      `+ /etc/eks/bootstrap.sh prod-shop --b64-cluster-ca ${CA} --apiserver-endpoint ${ENDPOINT} --dns-cluster-ip 172.20.0.10 --kubelet-extra-args '--node-labels=team=shop --max-pods=58'`,
    ];
    const report = await run({ "var_log/user-data.log": text(lines) });
    expect(kindOf(report, "bootstrap.settings")?.attributes).toMatchObject({
      clusterName: "prod-shop",
      dnsClusterIp: "172.20.0.10",
      kubeletExtraArgs: true,
    });
    expect(kindOf(report, "bootstrap.max-pods")?.attributes.maxPods).toBe(58);
    const json = JSON.stringify(report);
    expect(json).not.toContain("hunter2");
    expect(json).not.toContain(CA.slice(0, 40));
  });

  it("keeps cloud-init's benign warnings out of the failures", async () => {
    const log = [
      "2026-11-21 10:23:20,101 - util.py[DEBUG]: Cloud-init v. 22.2.2 running 'init-local' at Sat, 21 Nov 2026 10:23:20 +0000. Up 5.10 seconds.",
      "2026-11-21 10:23:22,402 - __init__.py[WARNING]: Unhandled unknown content-type (application/node.eks.aws) userdata: 'b'---'...'",
      "2026-11-21 10:23:22,500 - cc_set_hostname.py[WARNING]: Failed to set the hostname to ip-10-0-12-34 (ip-10-0-12-34)",
    ];
    const report = await run({ "var_log/cloud-init.log": text(log) });
    expect(aboveInfo(report)).toEqual([]);
  });

  it("answers no_data without bootstrap logs, and error with a gap for an empty one", async () => {
    const none = await run({ "kubelet/kubelet.log": "x\n" });
    expect(none.status).toBe("no_data");
    expect(none.findings).toEqual([]);
    const empty = await run({ "var_log/cloud-init-output.log": "" });
    expect(empty.status).toBe("error");
    expect(empty.gaps).toEqual([{ source: "var_log/cloud-init-output.log", reason: "file is empty" }]);
  });

  it("survives binary garbage and CRLF line ends", async () => {
    const garbage = new Uint8Array(4096).map((_, i) => (i * 151 + 11) % 256);
    const report = await run({
      "var_log/user-data.log": garbage,
      "var_log/cloud-init-output.log": text(al2Output()).replace(/\n/g, "\r\n"),
    });
    expect(report.status).toBe("ok");
    expect(kindOf(report, "bootstrap.endpoint")?.attributes.host).toBe(HOST);
  });
  it.each(VARIANTS)("raises nothing above info on the healthy baseline %j", async (opts) => {
    const report = await run(healthyBaseline(opts));
    expect(report.status).toBe("ok");
    expect(aboveInfo(report)).toEqual([]);
    expect(kindOf(report, "bootstrap.endpoint")?.attributes.https).toBe(true);
  });

  it.each([
    { nodeadm: true, source: "nodeadm-config" },
    { nodeadm: false, source: "cloud-init-output" },
  ])("reports the generated endpoint-None fault from $source", async ({ nodeadm, source }) => {
    const report = await run(withFaults({ nodeadm }, bootstrapEndpointNone()));
    expect(kindOf(report, "bootstrap.endpoint-invalid")).toMatchObject({
      severity: "high",
      attributes: { reason: "placeholder", value: "None", source },
    });
  });
});
