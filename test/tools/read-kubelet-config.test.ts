import { describe, expect, it } from "vitest";
import { baselineFacts, healthyBaseline } from "../../src/fixtures/baseline.ts";
import { withFaults } from "../../src/fixtures/fault.ts";
import { systemOomKillsKubelet } from "../../src/fixtures/faults/host.ts";
import { bootstrapServerNone, cgroupDriverMismatch } from "../../src/fixtures/faults/runtime.ts";
import { readKubeletConfig } from "../../tools/read-kubelet-config.ts";
import { aboveInfo, kindOf, kindsOf, runOn } from "./helpers.ts";

const CONFIG = "kubelet/config.json";
const AL2_CONFIG = "kubelet/kubelet-config.json";
const DROP_IN = "kubelet/config.json.d/00-nodeadm.conf";
const KUBECONFIG = "kubelet/kubeconfig.yaml";
const UNIT = "kubelet/kubelet_service.txt";
const CONTAINERD_CONFIG = "containerd/containerd-config.txt";
const ENDPOINT = "https://7C3F1A9B2D4E6F8091A2B3C4D5E6F708.gr7.us-east-1.eks.amazonaws.com";

/** The KubeletConfiguration nodeadm writes on an AL2023 m5.large. */
function kubeletConfig(overrides: Record<string, unknown> = {}, remove: string[] = []): string {
  const config: Record<string, unknown> = {
    address: "0.0.0.0",
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    authentication: {
      anonymous: { enabled: false },
      webhook: { cacheTTL: "2m0s", enabled: true },
      x509: { clientCAFile: "/etc/kubernetes/pki/ca.crt" },
    },
    authorization: { mode: "Webhook", webhook: { cacheAuthorizedTTL: "5m0s", cacheUnauthorizedTTL: "30s" } },
    cgroupDriver: "systemd",
    cgroupRoot: "/",
    clusterDNS: ["172.20.0.10"],
    clusterDomain: "cluster.local",
    containerRuntimeEndpoint: "unix:///run/containerd/containerd.sock",
    evictionHard: { "memory.available": "100Mi", "nodefs.available": "10%", "nodefs.inodesFree": "5%" },
    featureGates: { RotateKubeletServerCertificate: true },
    kind: "KubeletConfiguration",
    kubeReserved: { cpu: "70m", "ephemeral-storage": "1Gi", memory: "442Mi" },
    maxPods: 29,
    providerID: "aws:///us-east-1a/i-0abc123def4567890",
    serverTLSBootstrap: true,
    systemReservedCgroup: "/system",
    ...overrides,
  };
  for (const key of remove) delete config[key];
  return `${JSON.stringify(config, null, 4)}\n`;
}

function kubeconfig(
  server = ENDPOINT,
  cluster = "      certificate-authority: /etc/kubernetes/pki/ca.crt\n",
  user?: string,
): string {
  return `---
apiVersion: v1
kind: Config
clusters:
  - name: kubernetes
    cluster:
${cluster}      server: ${server}
current-context: kubelet
contexts:
  - name: kubelet
    context:
      cluster: kubernetes
      user: kubelet
users:
  - name: kubelet
    user:
${
  user ??
  `      exec:
        apiVersion: client.authentication.k8s.io/v1beta1
        command: aws
        args:
          - "eks"
          - "get-token"
          - "--cluster-name"
          - "prod-shop"
          - "--region"
          - "us-east-1"
`
}`;
}

const AL2023_UNIT = `# /etc/systemd/system/kubelet.service
[Unit]
Description=Kubernetes Kubelet
After=containerd.service sandbox-image.service

[Service]
Slice=runtime.slice
EnvironmentFile=/etc/eks/kubelet/environment
ExecStartPre=/sbin/iptables -P FORWARD ACCEPT -w 5
ExecStart=/usr/bin/kubelet $NODEADM_KUBELET_ARGS

Restart=on-failure
RestartSec=5
`;

function al2Unit(args: string, extra = ""): string {
  return `# /etc/systemd/system/kubelet.service
[Unit]
Description=Kubernetes Kubelet
Requires=containerd.service sandbox-image.service

[Service]
Slice=runtime.slice
ExecStartPre=/sbin/iptables -P FORWARD ACCEPT -w 5
ExecStart=/usr/bin/kubelet \\
    --config /etc/kubernetes/kubelet/kubelet-config.json \\
    --kubeconfig /var/lib/kubelet/kubeconfig \\
    --container-runtime-endpoint unix:///run/containerd/containerd.sock \\
    $KUBELET_ARGS \\
    $KUBELET_EXTRA_ARGS

Restart=on-failure

# /etc/systemd/system/kubelet.service.d/10-kubelet-args.conf
[Service]
Environment='KUBELET_ARGS=${args}'
${extra}`;
}

function containerdConfig(
  systemdCgroup: boolean,
  sandbox = "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/pause:3.10",
): string {
  return `version = 2
root = "/var/lib/containerd"
state = "/run/containerd"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "${sandbox}"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          BinaryName = "/usr/sbin/runc"
          SystemdCgroup = ${systemdCgroup}
`;
}

function healthyAl2023(): Record<string, string> {
  return {
    [CONFIG]: kubeletConfig(),
    [DROP_IN]: `${JSON.stringify({ apiVersion: "kubelet.config.k8s.io/v1beta1", kind: "KubeletConfiguration", maxPods: 29 }, null, 4)}\n`,
    [KUBECONFIG]: kubeconfig(),
    [UNIT]: AL2023_UNIT,
    [CONTAINERD_CONFIG]: containerdConfig(true),
  };
}

describe("read_kubelet_config", () => {
  it("reports the effective settings of a healthy AL2023 node and nothing above info", async () => {
    const report = await runOn(readKubeletConfig, healthyAl2023());
    expect(report.status).toBe("ok");
    expect(aboveInfo(report)).toEqual([]);
    const settings = kindOf(report, "kubelet-config.settings");
    expect(settings?.attributes).toMatchObject({
      maxPods: 29,
      maxPodsSource: "config",
      clusterDNS: ["172.20.0.10"],
      clusterDomain: "cluster.local",
      cgroupDriver: "systemd",
      evictionHard: ["memory.available<100Mi", "nodefs.available<10%", "nodefs.inodesFree<5%"],
      kubeReserved: ["cpu=70m", "ephemeral-storage=1Gi", "memory=442Mi"],
      reservedMemoryMiB: 442,
      serverTLSBootstrap: true,
      containerRuntimeEndpoint: "unix:///run/containerd/containerd.sock",
      featureGates: ["RotateKubeletServerCertificate=true"],
      dropIns: [DROP_IN],
    });
    expect(settings?.evidence[0]).toMatchObject({ source: CONFIG, excerpt: '"maxPods": 29,' });
    expect(kindOf(report, "kubelet-config.api-server")?.attributes).toMatchObject({
      server: ENDPOINT,
      caConfigured: true,
      authMethod: "exec",
      clusterName: "prod-shop",
      region: "us-east-1",
      eksEndpoint: true,
    });
    expect(kindOf(report, "kubelet-config.cgroup-driver")?.attributes).toMatchObject({
      cgroupDriver: "systemd",
      explicit: true,
      containerdSystemdCgroup: true,
      containerdFrom: CONTAINERD_CONFIG,
    });
    expect(kindOf(report, "kubelet-config.no-system-reserve")).toBeUndefined();
  });

  it("lets drop-ins override the config file in lexical order and ignores files that are not .conf", async () => {
    const report = await runOn(readKubeletConfig, {
      [CONFIG]: kubeletConfig(),
      "kubelet/config.json.d/10-max-pods.conf": JSON.stringify({
        apiVersion: "kubelet.config.k8s.io/v1beta1",
        kind: "KubeletConfiguration",
        maxPods: 58,
        evictionHard: { "memory.available": "500Mi" },
      }),
      "kubelet/config.json.d/20-more.conf": JSON.stringify({
        apiVersion: "kubelet.config.k8s.io/v1beta1",
        kind: "KubeletConfiguration",
        maxPods: 110,
      }),
      "kubelet/config.json.d/README": "not read by the kubelet",
    });
    expect(kindOf(report, "kubelet-config.settings")?.attributes).toMatchObject({
      maxPods: 110,
      evictionHard: ["memory.available<500Mi", "nodefs.available<10%", "nodefs.inodesFree<5%"],
      dropIns: ["kubelet/config.json.d/10-max-pods.conf", "kubelet/config.json.d/20-more.conf"],
      ignoredDropIns: ["kubelet/config.json.d/README"],
    });
  });

  it("takes AL2 unit flags over the config file, expanding Environment variables", async () => {
    const report = await runOn(readKubeletConfig, {
      [AL2_CONFIG]: kubeletConfig({ maxPods: 29 }),
      [UNIT]: al2Unit(
        "--node-ip=10.0.12.34 --pod-infra-container-image=602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/pause:3.5 --v=2 --hostname-override=ip-10-0-12-34.ec2.internal",
        "# /etc/systemd/system/kubelet.service.d/30-kubelet-extra-args.conf\n[Service]\nEnvironment='KUBELET_EXTRA_ARGS=--max-pods=58 --node-labels=team=shop,tier=web'\n",
      ),
    });
    const settings = kindOf(report, "kubelet-config.settings");
    expect(settings?.attributes).toMatchObject({
      maxPods: 58,
      maxPodsSource: "flag",
      nodeIp: "10.0.12.34",
      podInfraContainerImage: "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/pause:3.5",
    });
    expect(settings?.attributes.flagOverrides).toContain("max-pods");
    expect(kindOf(report, "kubelet-config.hostname-override")).toMatchObject({
      severity: "info",
      attributes: { hostnameOverride: "ip-10-0-12-34.ec2.internal", unexpanded: false },
    });
    expect(kindOf(report, "kubelet-config.hostname-override")?.evidence[0]?.source).toBe(UNIT);
  });

  it("flags a kubeconfig whose server is None as bootstrap misconfiguration", async () => {
    const report = await runOn(readKubeletConfig, { ...healthyAl2023(), [KUBECONFIG]: kubeconfig("None") });
    const invalid = kindOf(report, "kubelet-config.server-invalid");
    expect(invalid).toMatchObject({ severity: "high", attributes: { server: "None" } });
    expect(invalid?.evidence[0]).toMatchObject({ source: KUBECONFIG, line: 8, excerpt: "server: None" });
    expect(kindOf(report, "kubelet-config.api-server")?.attributes.server).toBe("None");
  });

  it.each([
    ["an unreplaced placeholder", "MASTER_ENDPOINT"],
    ["an empty server", '""'],
    ["plain http", "http://10.0.0.5:8080"],
    ["a templating leftover", "https://${APISERVER_ENDPOINT}"],
  ])("flags %s as an invalid server", async (_label, server) => {
    const report = await runOn(readKubeletConfig, { [KUBECONFIG]: kubeconfig(server) });
    expect(kindOf(report, "kubelet-config.server-invalid")?.severity).toBe("high");
  });

  it("accepts a private endpoint that is not an EKS hostname", async () => {
    const report = await runOn(readKubeletConfig, {
      [KUBECONFIG]: kubeconfig("https://api.internal.example.com:6443"),
    });
    expect(kindOf(report, "kubelet-config.server-invalid")).toBeUndefined();
    expect(kindOf(report, "kubelet-config.api-server")?.attributes).toMatchObject({
      eksEndpoint: false,
      serverHost: "api.internal.example.com",
    });
  });

  it("reports a missing CA and never echoes credential data", async () => {
    const report = await runOn(readKubeletConfig, {
      [KUBECONFIG]: kubeconfig(ENDPOINT, "", "      token: abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ\n"),
    });
    expect(kindOf(report, "kubelet-config.ca-missing")).toMatchObject({
      severity: "high",
      attributes: { caSource: "none" },
    });
    expect(kindOf(report, "kubelet-config.api-server")?.attributes.authMethod).toBe("token");
    expect(JSON.stringify(report)).not.toContain("abcdefghijklmnopqrstuvwxyz0123456789");
  });

  it("treats kubectl's DATA+OMITTED as a configured CA and embedded PEM data as configured, without copying it", async () => {
    const omitted = await runOn(readKubeletConfig, {
      [KUBECONFIG]: kubeconfig(ENDPOINT, "      certificate-authority-data: DATA+OMITTED\n"),
    });
    expect(kindOf(omitted, "kubelet-config.ca-missing")).toBeUndefined();
    const pem = Buffer.from(
      "-----BEGIN CERTIFICATE-----\nMIIC5zCCAc+gAwIBAgIBADANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwprdWJl\n-----END CERTIFICATE-----\n",
    ).toString("base64");
    const embedded = await runOn(readKubeletConfig, {
      [KUBECONFIG]: kubeconfig(ENDPOINT, `      certificate-authority-data: ${pem}\n`),
    });
    expect(kindOf(embedded, "kubelet-config.ca-missing")).toBeUndefined();
    expect(kindOf(embedded, "kubelet-config.api-server")?.attributes).toMatchObject({
      caConfigured: true,
      caSource: "data",
    });
    expect(JSON.stringify(embedded)).not.toContain(pem.slice(0, 40));
  });

  it("flags a placeholder CA and a CA replaced by insecure-skip-tls-verify", async () => {
    const placeholder = await runOn(readKubeletConfig, {
      [KUBECONFIG]: kubeconfig(ENDPOINT, "      certificate-authority-data: B64_CLUSTER_CA\n"),
    });
    expect(kindOf(placeholder, "kubelet-config.ca-missing")).toMatchObject({
      severity: "high",
      attributes: { caSource: "placeholder" },
    });
    const insecure = await runOn(readKubeletConfig, {
      [KUBECONFIG]: kubeconfig(ENDPOINT, "      insecure-skip-tls-verify: true\n"),
    });
    expect(kindOf(insecure, "kubelet-config.ca-missing")).toMatchObject({
      severity: "medium",
      attributes: { caSource: "insecure" },
    });
  });

  it("flags a kubeconfig user without any credentials", async () => {
    const report = await runOn(readKubeletConfig, { [KUBECONFIG]: kubeconfig(ENDPOINT, undefined, "      {}\n") });
    expect(kindOf(report, "kubelet-config.no-credentials")?.severity).toBe("high");
  });

  it("reports a kubeconfig that is not YAML as invalid with a gap", async () => {
    const report = await runOn(readKubeletConfig, { [KUBECONFIG]: "clusters:\n  - cluster: [unclosed\n" });
    expect(report.status).toBe("error");
    expect(kindOf(report, "kubelet-config.kubeconfig-invalid")?.severity).toBe("high");
    expect(report.gaps[0]?.source).toBe(KUBECONFIG);
  });

  it("reports missing system and kube reserve as low context for a system OOM", async () => {
    const report = await runOn(readKubeletConfig, { [CONFIG]: kubeletConfig({}, ["kubeReserved"]) });
    const finding = kindOf(report, "kubelet-config.no-system-reserve");
    expect(finding).toMatchObject({ severity: "low", attributes: { evictionHardMemoryAvailable: "100Mi" } });
    expect(kindOf(report, "kubelet-config.settings")?.attributes.reservedMemoryMiB).toBe(0);
  });

  it("counts reserve given by --system-reserved / --kube-reserved flags", async () => {
    const report = await runOn(readKubeletConfig, {
      [AL2_CONFIG]: kubeletConfig({}, ["kubeReserved"]),
      [UNIT]: al2Unit("--kube-reserved=memory=512Mi,cpu=100m --system-reserved=memory=1Gi"),
    });
    expect(kindOf(report, "kubelet-config.no-system-reserve")).toBeUndefined();
    expect(kindOf(report, "kubelet-config.settings")?.attributes.reservedMemoryMiB).toBe(1536);
  });

  it("reports a config file that is not valid JSON as invalid, with a gap naming it", async () => {
    const report = await runOn(readKubeletConfig, {
      [CONFIG]: '{\n    "kind": "KubeletConfiguration",\n    "maxPods": 29,,\n',
    });
    expect(report.status).toBe("error");
    expect(kindOf(report, "kubelet-config.invalid")).toMatchObject({
      severity: "high",
      attributes: { files: [CONFIG] },
    });
    expect(report.gaps.map((g) => g.source)).toEqual([CONFIG]);
  });

  it("reports a drop-in without kind/apiVersion as invalid while still using the main config", async () => {
    const report = await runOn(readKubeletConfig, {
      [CONFIG]: kubeletConfig(),
      "kubelet/config.json.d/40-custom.conf": JSON.stringify({ maxPods: 250 }),
    });
    expect(report.status).toBe("ok");
    expect(kindOf(report, "kubelet-config.invalid")?.attributes.files).toEqual([
      "kubelet/config.json.d/40-custom.conf",
    ]);
    expect(kindOf(report, "kubelet-config.settings")?.attributes.maxPods).toBe(29);
  });

  it("accepts a YAML KubeletConfiguration as the kubelet does", async () => {
    const report = await runOn(readKubeletConfig, {
      [CONFIG]:
        "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nmaxPods: 17\ncgroupDriver: systemd\nsystemReserved:\n  memory: 300Mi\n",
    });
    expect(kindOf(report, "kubelet-config.invalid")).toBeUndefined();
    expect(kindOf(report, "kubelet-config.settings")?.attributes).toMatchObject({
      maxPods: 17,
      reservedMemoryMiB: 300,
    });
  });

  it("uses the kubelet's default of 110 pods when a valid config leaves maxPods out", async () => {
    const report = await runOn(readKubeletConfig, { [CONFIG]: kubeletConfig({}, ["maxPods"]) });
    expect(kindOf(report, "kubelet-config.settings")?.attributes).toMatchObject({
      maxPods: 110,
      maxPodsSource: "default",
    });
  });

  it("flags a cgroup driver mismatch from the hand-off input", async () => {
    const report = await runOn(
      readKubeletConfig,
      { [CONFIG]: kubeletConfig({ cgroupDriver: "cgroupfs" }) },
      { containerdSystemdCgroup: true },
    );
    expect(kindOf(report, "kubelet-config.cgroup-driver-mismatch")).toMatchObject({
      severity: "high",
      attributes: { cgroupDriver: "cgroupfs", containerdSystemdCgroup: true },
    });
    expect(kindOf(report, "kubelet-config.cgroup-driver")?.attributes.containerdFrom).toBe("input");
  });

  it("flags a cgroup driver mismatch set by a drop-in, reading containerd's dump when no hand-off is given", async () => {
    const report = await runOn(readKubeletConfig, {
      ...healthyAl2023(),
      [DROP_IN]: JSON.stringify({
        apiVersion: "kubelet.config.k8s.io/v1beta1",
        kind: "KubeletConfiguration",
        cgroupDriver: "cgroupfs",
      }),
    });
    expect(kindOf(report, "kubelet-config.cgroup-driver-mismatch")?.severity).toBe("high");
  });

  it("rates a mismatch against the default driver, or with KubeletCgroupDriverFromCRI, as medium", async () => {
    const implicit = await runOn(
      readKubeletConfig,
      { [CONFIG]: kubeletConfig({}, ["cgroupDriver"]) },
      { containerdSystemdCgroup: true },
    );
    expect(kindOf(implicit, "kubelet-config.cgroup-driver-mismatch")).toMatchObject({
      severity: "medium",
      attributes: { explicit: false },
    });
    const fromCri = await runOn(
      readKubeletConfig,
      { [CONFIG]: kubeletConfig({ cgroupDriver: "cgroupfs", featureGates: { KubeletCgroupDriverFromCRI: true } }) },
      { containerdSystemdCgroup: true },
    );
    expect(kindOf(fromCri, "kubelet-config.cgroup-driver-mismatch")?.severity).toBe("medium");
  });

  it("does not flag matching drivers", async () => {
    const report = await runOn(
      readKubeletConfig,
      { [CONFIG]: kubeletConfig({ cgroupDriver: "cgroupfs" }) },
      { containerdSystemdCgroup: false },
    );
    expect(kindOf(report, "kubelet-config.cgroup-driver-mismatch")).toBeUndefined();
  });

  it("flags a --pod-infra-container-image that is not containerd's sandbox image", async () => {
    const report = await runOn(
      readKubeletConfig,
      {
        [AL2_CONFIG]: kubeletConfig(),
        [UNIT]: al2Unit("--pod-infra-container-image=602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/pause:3.5"),
      },
      { containerdSandboxImage: "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/pause:3.10" },
    );
    expect(kindOf(report, "kubelet-config.sandbox-image-mismatch")).toMatchObject({
      severity: "medium",
      attributes: { containerdSandboxImage: "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/pause:3.10" },
    });
    const same = await runOn(readKubeletConfig, {
      [AL2_CONFIG]: kubeletConfig(),
      [UNIT]: al2Unit("--pod-infra-container-image=602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/pause:3.10"),
      [CONTAINERD_CONFIG]: containerdConfig(true),
    });
    expect(kindOf(same, "kubelet-config.sandbox-image-mismatch")).toBeUndefined();
  });

  it("says maxPods is unknown when only the unit could be read", async () => {
    const report = await runOn(readKubeletConfig, { [UNIT]: AL2023_UNIT });
    expect(report.status).toBe("ok");
    expect(kindOf(report, "kubelet-config.settings")?.attributes).toMatchObject({
      maxPods: null,
      maxPodsSource: "unknown",
      configRead: false,
      unitVariablesNotInBundle: ["NODEADM_KUBELET_ARGS"],
    });
    expect(kindOf(report, "kubelet-config.cgroup-driver")).toBeUndefined();
    expect(kindOf(report, "kubelet-config.no-system-reserve")).toBeUndefined();
  });

  it("answers no_data when none of the kubelet's files are in the bundle", async () => {
    const report = await runOn(readKubeletConfig, {
      [CONTAINERD_CONFIG]: containerdConfig(true),
      "system/instance-id.txt": "i-0abc123def4567890\n",
    });
    expect(report.status).toBe("no_data");
    expect(report.findings).toEqual([]);
  });

  it("answers error with a gap for an empty config file", async () => {
    const report = await runOn(readKubeletConfig, { [CONFIG]: "" });
    expect(report.status).toBe("error");
    expect(report.gaps).toEqual([{ source: CONFIG, reason: "file is empty" }]);
  });

  it("survives binary garbage in every file", async () => {
    const garbage = new Uint8Array(4096).map((_, i) => (i * 131 + 7) % 256);
    const report = await runOn(readKubeletConfig, {
      [CONFIG]: garbage,
      [KUBECONFIG]: garbage,
      [UNIT]: garbage,
      [DROP_IN]: garbage,
    });
    expect(report.status).toBe("error");
    expect(kindsOf(report)).toContain("kubelet-config.invalid");
  });

  it("reads CRLF files", async () => {
    const report = await runOn(readKubeletConfig, {
      [CONFIG]: kubeletConfig().replace(/\n/g, "\r\n"),
      [KUBECONFIG]: kubeconfig("None").replace(/\n/g, "\r\n"),
    });
    expect(kindOf(report, "kubelet-config.server-invalid")?.attributes.server).toBe("None");
    expect(kindOf(report, "kubelet-config.settings")?.attributes.maxPods).toBe(29);
  });
});

describe("read_kubelet_config on generated bundles", () => {
  const ARCHIVE = "eks_i-0abc123def4567890_2026-11-24_1030-UTC_0.7.9.tar.gz";
  const label = { label: ARCHIVE };

  it.each([
    {},
    { nodeadm: false },
    { ignoreIntrospection: true },
    { cniLogFormat: "text" as const, enisShape: "legacy" as const },
    { seed: 7, maxPods: 58 },
  ])("raises nothing above info on the healthy baseline %j", async (opts) => {
    const facts = baselineFacts(opts);
    const report = await runOn(readKubeletConfig, healthyBaseline(opts), {}, label);
    expect(report.status).toBe("ok");
    expect(aboveInfo(report)).toEqual([]);
    expect(kindOf(report, "kubelet-config.settings")?.attributes).toMatchObject({
      maxPods: facts.maxPods,
      clusterDNS: [facts.clusterDns],
    });
    expect(kindOf(report, "kubelet-config.api-server")?.attributes).toMatchObject({
      server: facts.clusterEndpoint,
      caConfigured: true,
      clusterName: facts.clusterName,
    });
  });

  it("finds the bootstrap's server: None", async () => {
    const report = await runOn(readKubeletConfig, withFaults({}, bootstrapServerNone), {}, label);
    expect(kindOf(report, "kubelet-config.server-invalid")).toMatchObject({
      severity: "high",
      attributes: { server: "None" },
    });
    const al2 = await runOn(readKubeletConfig, withFaults({ nodeadm: false }, bootstrapServerNone), {}, label);
    expect(kindOf(al2, "kubelet-config.api-server")?.attributes).toMatchObject({
      execCommand: "aws-iam-authenticator",
      clusterName: "prod-shop",
    });
  });

  it("finds the cgroup driver mismatch from the containerd dump and from the hand-off", async () => {
    const files = withFaults({}, cgroupDriverMismatch);
    expect(
      kindOf(await runOn(readKubeletConfig, files, {}, label), "kubelet-config.cgroup-driver-mismatch")?.severity,
    ).toBe("high");
    files.delete("containerd/containerd-config.txt");
    expect(
      kindOf(await runOn(readKubeletConfig, files, {}, label), "kubelet-config.cgroup-driver-mismatch"),
    ).toBeUndefined();
    expect(
      kindOf(
        await runOn(readKubeletConfig, files, { containerdSystemdCgroup: true }, label),
        "kubelet-config.cgroup-driver-mismatch",
      )?.severity,
    ).toBe("high");
  });

  it("finds the missing system reserve behind a system OOM", async () => {
    const report = await runOn(readKubeletConfig, withFaults({}, systemOomKillsKubelet), {}, label);
    expect(kindOf(report, "kubelet-config.no-system-reserve")?.severity).toBe("low");
  });
});

describe("read_kubelet_config with both config files in the bundle", () => {
  it("reads the file the unit's --config names", async () => {
    const report = await runOn(readKubeletConfig, {
      [CONFIG]: kubeletConfig({ maxPods: 17 }),
      [AL2_CONFIG]: kubeletConfig({ maxPods: 58 }),
      [UNIT]: al2Unit("--node-ip=10.0.12.34"),
    });
    expect(kindOf(report, "kubelet-config.settings")?.attributes).toMatchObject({
      maxPods: 58,
      otherConfigFiles: [CONFIG],
    });
  });
});
