import { describe, expect, it } from "vitest";
import { readCniConfig } from "../../tools/read-cni-config.ts";
import { aboveInfo, kindOf, runOn } from "./helpers.ts";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { withFaults } from "../../src/fixtures/fault.ts";
import { mtuMismatch } from "../../src/fixtures/faults/network.ts";
import type { BaselineOptions } from "../../src/fixtures/options.ts";

const CONFLIST = "cni/10-aws.conflist";
const ENV = "cni/cni-configuration-variables-containerd.json";
const IPAMD_ENV = "ipamd/ipamd-env-settings.json";
const NETUTILS_ENV = "ipamd/networkutils-env-settings.json";
const IMAGE = "602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.20.4-eksbuild.1";

function conflist(opts: { mtu?: string; sgMode?: string } = {}): string {
  return JSON.stringify(
    {
      cniVersion: "0.4.0",
      name: "aws-cni",
      disableCheck: true,
      plugins: [
        {
          name: "aws-cni",
          type: "aws-cni",
          vethPrefix: "eni",
          mtu: opts.mtu ?? "9001",
          podSGEnforcingMode: opts.sgMode ?? "strict",
          pluginLogFile: "/var/log/aws-routed-eni/plugin.log",
          pluginLogLevel: "DEBUG",
          capabilities: { "io.kubernetes.cri.pod-annotations": true },
        },
        {
          name: "egress-cni",
          type: "egress-cni",
          mtu: "9001",
          enabled: "false",
          randomizeSNAT: "prng",
          nodeIP: "",
          ipam: {
            type: "host-local",
            ranges: [[{ subnet: "fd00::ac:00/118" }]],
            routes: [{ dst: "::/0" }],
            dataDir: "/run/cni/v4pd/egress-v6-ipam",
          },
          pluginLogFile: "/var/log/aws-routed-eni/egress-v6-plugin.log",
          pluginLogLevel: "DEBUG",
        },
        { type: "portmap", capabilities: { portMappings: true }, snat: true },
      ],
    },
    null,
    2,
  );
}

/** `ctr --namespace k8s.io container info <id>` of the aws-node container. */
function ctrInfo(env: string[], created = "2026-11-21T10:15:02.123456789Z"): string {
  return JSON.stringify(
    {
      ID: "4c1e9a0b7d2f3e5a6b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c",
      Labels: { "io.kubernetes.container.name": "aws-node", "io.kubernetes.pod.namespace": "kube-system" },
      Image: IMAGE,
      Runtime: { Name: "io.containerd.runc.v2", Options: { type_url: "containerd.runc.v1.Options" } },
      SnapshotKey: "4c1e9a0b7d2f",
      Snapshotter: "overlayfs",
      CreatedAt: created,
      UpdatedAt: created,
      Spec: {
        ociVersion: "1.1.0",
        process: { user: { uid: 0, gid: 0 }, args: ["/app/aws-vpc-cni"], env, cwd: "/app" },
      },
    },
    null,
    4,
  );
}

const DEFAULT_ENV = [
  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  "HOSTNAME=ip-10-0-12-34.ec2.internal",
  "ADDITIONAL_ENI_TAGS={}",
  "ANNOTATE_POD_IP=false",
  "AWS_VPC_CNI_NODE_PORT_SUPPORT=true",
  "AWS_VPC_ENI_MTU=9001",
  "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=false",
  "AWS_VPC_K8S_CNI_EXTERNALSNAT=false",
  "AWS_VPC_K8S_CNI_LOGLEVEL=DEBUG",
  "AWS_VPC_K8S_CNI_LOG_FILE=/host/var/log/aws-routed-eni/ipamd.log",
  "AWS_VPC_K8S_CNI_RANDOMIZESNAT=prng",
  "AWS_VPC_K8S_CNI_VETHPREFIX=eni",
  "AWS_VPC_K8S_PLUGIN_LOG_FILE=/var/log/aws-routed-eni/plugin.log",
  "AWS_VPC_K8S_PLUGIN_LOG_LEVEL=DEBUG",
  "CLUSTER_NAME=prod-shop",
  "DISABLE_INTROSPECTION=false",
  "DISABLE_METRICS=false",
  "DISABLE_NETWORK_RESOURCE_PROVISIONING=false",
  "ENABLE_IPv4=true",
  "ENABLE_IPv6=false",
  "ENABLE_POD_ENI=false",
  "ENABLE_PREFIX_DELEGATION=false",
  "VPC_CNI_VERSION=v1.20.4",
  "WARM_ENI_TARGET=1",
  "WARM_PREFIX_TARGET=1",
  "MY_NODE_NAME=ip-10-0-12-34.ec2.internal",
  "AWS_ROLE_ARN=arn:aws:iam::111122223333:role/prod-shop-vpc-cni",
  "AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
  "MY_SIDECAR_PASSWORD=hunter2-sEcReT",
  "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
];

function withEnv(overrides: Record<string, string>): string[] {
  const env = DEFAULT_ENV.filter((line) => !((line.split("=")[0] as string) in overrides));
  return [...env, ...Object.entries(overrides).map(([k, v]) => `${k}=${v}`)];
}

describe("read_cni_config", () => {
  it("reports the default configuration as info facts, jumbo MTU included", async () => {
    const report = await runOn(readCniConfig, { [CONFLIST]: conflist(), [ENV]: ctrInfo(DEFAULT_ENV) });
    expect(report.status).toBe("ok");
    expect(report.severity).toBe("info");
    const settings = kindOf(report, "cni-config.settings");
    expect(settings?.attributes).toMatchObject({
      prefixDelegation: false,
      customNetworking: false,
      externalSnat: false,
      podEni: false,
      sgppMode: null,
      mtu: 9001,
      podMtu: 9001,
      warmEniTarget: 1,
      warmIpTarget: null,
      vethPrefix: "eni",
      plugins: ["aws-cni", "egress-cni", "portmap"],
      egressCni: false,
      portmap: true,
      cniVersion: "0.4.0",
      cniImage: IMAGE,
      sources: ["conflist", "aws-node env"],
    });
    expect(kindOf(report, "cni-config.jumbo-mtu")?.attributes).toMatchObject({
      eniMtu: 9001,
      podMtu: 9001,
      explicit: true,
      source: "conflist",
    });
  });

  it("never copies unknown env values such as credentials into the report", async () => {
    const report = await runOn(readCniConfig, { [CONFLIST]: conflist(), [ENV]: ctrInfo(DEFAULT_ENV) });
    const text = JSON.stringify(report);
    expect(text).not.toContain("hunter2");
    expect(text).not.toContain("wJalrXUtnFEMI");
    expect(text).not.toContain("MY_SIDECAR_PASSWORD");
    expect(text).not.toContain("AWS_ROLE_ARN");
    expect(kindOf(report, "cni-config.settings")?.attributes.configured).toContain("ENABLE_PREFIX_DELEGATION=false");
  });

  it("reports prefix delegation, custom networking, external SNAT and strict SGP mode as configuration facts, never faults", async () => {
    const env = withEnv({
      ENABLE_PREFIX_DELEGATION: "true",
      WARM_PREFIX_TARGET: "1",
      AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: "true",
      ENI_CONFIG_LABEL_DEF: "topology.kubernetes.io/zone",
      AWS_VPC_K8S_CNI_EXTERNALSNAT: "true",
      ENABLE_POD_ENI: "true",
      POD_SECURITY_GROUP_ENFORCING_MODE: "strict",
      WARM_IP_TARGET: "5",
      MINIMUM_IP_TARGET: "10",
    });
    const report = await runOn(readCniConfig, { [CONFLIST]: conflist(), [ENV]: ctrInfo(env) });
    expect(report.severity).toBe("info");
    expect(kindOf(report, "cni-config.settings")?.attributes).toMatchObject({
      prefixDelegation: true,
      customNetworking: true,
      externalSnat: true,
      podEni: true,
      sgppMode: "strict",
      warmIpTarget: 5,
      minimumIpTarget: 10,
      warmEniTarget: 1,
    });
  });

  it("does not report jumbo frames when the MTU was lowered", async () => {
    const report = await runOn(readCniConfig, {
      [CONFLIST]: conflist({ mtu: "1500" }),
      [ENV]: ctrInfo(withEnv({ AWS_VPC_ENI_MTU: "1500" })),
    });
    expect(kindOf(report, "cni-config.jumbo-mtu")).toBeUndefined();
    expect(kindOf(report, "cni-config.settings")?.attributes.mtu).toBe(1500);
  });

  it("takes the newest container when the collector concatenated several `ctr container info` outputs", async () => {
    const old = ctrInfo(withEnv({ AWS_VPC_ENI_MTU: "1500" }), "2026-10-01T08:00:00Z");
    const current = ctrInfo(withEnv({ ENABLE_PREFIX_DELEGATION: "true" }), "2026-11-21T10:15:02Z");
    const report = await runOn(readCniConfig, { [CONFLIST]: conflist(), [ENV]: `${old}\n${current}\n` });
    expect(report.gaps).toEqual([]);
    expect(kindOf(report, "cni-config.settings")?.attributes).toMatchObject({ prefixDelegation: true, mtu: 9001 });
  });

  it("reads the dockershim variant (docker inspect's Config.Env)", async () => {
    const docker = JSON.stringify([
      {
        Id: "abc",
        Created: "2023-01-02T03:04:05Z",
        Config: {
          Image: "602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.12.6",
          Env: withEnv({ AWS_VPC_K8S_CNI_EXTERNALSNAT: "true" }),
        },
      },
    ]);
    const report = await runOn(readCniConfig, {
      [CONFLIST]: conflist(),
      "cni/cni-configuration-variables-dockershim.json": docker,
    });
    expect(kindOf(report, "cni-config.settings")?.attributes).toMatchObject({
      externalSnat: true,
      cniImage: "602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.12.6",
    });
  });

  it("falls back to IPAMD's env-settings introspection when the container env is missing", async () => {
    const report = await runOn(readCniConfig, {
      [CONFLIST]: conflist(),
      [IPAMD_ENV]: JSON.stringify({ AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: true, WARM_ENI_TARGET: 0, WARM_IP_TARGET: 3 }),
      [NETUTILS_ENV]: JSON.stringify({
        AWS_VPC_CNI_NODE_PORT_SUPPORT: true,
        AWS_VPC_ENI_MTU: 9001,
        AWS_VPC_K8S_CNI_CONNMARK: 128,
        AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS: null,
        AWS_VPC_K8S_CNI_EXTERNALSNAT: true,
        AWS_VPC_K8S_CNI_RANDOMIZESNAT: "prng",
        AWS_VPC_K8S_CNI_VETHPREFIX: "eni",
      }),
    });
    expect(kindOf(report, "cni-config.settings")?.attributes).toMatchObject({
      customNetworking: true,
      externalSnat: true,
      warmIpTarget: 3,
      warmEniTarget: 0,
      mtu: 9001,
      sources: ["conflist", "ipamd env-settings", "networkutils env-settings"],
    });
  });

  it("raises cni-config.invalid with a gap when the conflist is not JSON", async () => {
    const report = await runOn(readCniConfig, { [CONFLIST]: conflist().slice(0, 120), [ENV]: ctrInfo(DEFAULT_ENV) });
    const invalid = kindOf(report, "cni-config.invalid");
    expect(invalid?.severity).toBe("medium");
    expect(invalid?.attributes.file).toBe(CONFLIST);
    expect(report.gaps[0]?.source).toBe(CONFLIST);
    expect(report.status).toBe("ok");
  });

  it("raises cni-config.invalid for an empty conflist or one without plugins", async () => {
    const empty = await runOn(readCniConfig, { [CONFLIST]: "" });
    expect(empty.status).toBe("error");
    expect(kindOf(empty, "cni-config.invalid")?.attributes.problem).toBe("file is empty");
    const noPlugins = await runOn(readCniConfig, {
      [CONFLIST]: JSON.stringify({ cniVersion: "0.4.0", name: "aws-cni", type: "aws-cni" }),
    });
    expect(kindOf(noPlugins, "cni-config.invalid")?.severity).toBe("medium");
  });

  it("reports another CNI configuration that sorts before 10-aws.conflist", async () => {
    const multus = JSON.stringify({
      cniVersion: "0.3.1",
      name: "multus-cni-network",
      plugins: [{ type: "multus", kubeconfig: "/etc/cni/net.d/multus.d/multus.kubeconfig", delegates: [] }],
    });
    const report = await runOn(readCniConfig, {
      [CONFLIST]: conflist(),
      "cni/00-multus.conflist": multus,
      [ENV]: ctrInfo(DEFAULT_ENV),
    });
    const other = kindOf(report, "cni-config.other-cni");
    expect(other?.severity).toBe("info");
    expect(other?.attributes).toMatchObject({ active: "00-multus.conflist", awsIsActive: false });
    expect(kindOf(report, "cni-config.settings")?.attributes.plugins).toEqual(["aws-cni", "egress-cni", "portmap"]);
  });

  it("raises conflist-missing when aws-node is configured but no conflist was written", async () => {
    const report = await runOn(readCniConfig, { [ENV]: ctrInfo(DEFAULT_ENV) });
    expect(kindOf(report, "cni-config.conflist-missing")?.severity).toBe("medium");
  });

  it("records a gap for an unreadable env file and still reports the conflist", async () => {
    const report = await runOn(readCniConfig, { [CONFLIST]: conflist(), [ENV]: 'ctr: container "abc" not found\n' });
    expect(report.status).toBe("ok");
    expect(report.gaps.map((g) => g.source)).toEqual([ENV]);
    expect(kindOf(report, "cni-config.settings")?.attributes.sources).toEqual(["conflist"]);
  });

  it("answers no_data when no CNI configuration was collected", async () => {
    const report = await runOn(readCniConfig, { "kubelet/kubelet.log": "" });
    expect(report.status).toBe("no_data");
  });

  it("does not throw on binary garbage", async () => {
    const garbage = new Uint8Array(2048).map((_, i) => (i * 61 + 5) % 256);
    const report = await runOn(readCniConfig, { [CONFLIST]: garbage, [ENV]: garbage });
    expect(report.status).toBe("error");
    expect(kindOf(report, "cni-config.invalid")).toBeDefined();
    expect(kindOf(report, "cni-config.settings")).toBeUndefined();
  });

  it("raises mtu-mismatch when pods are configured above the uplinks' MTU in ifconfig", async () => {
    const ifconfig =
      "ens5: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500\n        inet 10.0.12.34  netmask 255.255.224.0  broadcast 10.0.31.255\n\neni5b1d0c2e9a4: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 9001\n        ether 7e:2f:41:0a:bc:11  txqueuelen 0  (Ethernet)\n\nlo: flags=73<UP,LOOPBACK,RUNNING>  mtu 65536\n";
    const report = await runOn(readCniConfig, {
      [CONFLIST]: conflist(),
      [ENV]: ctrInfo(DEFAULT_ENV),
      "networking/ifconfig.txt": ifconfig,
    });
    const mismatch = kindOf(report, "cni-config.mtu-mismatch");
    expect(mismatch?.severity).toBe("high");
    expect(mismatch?.attributes).toMatchObject({ podMtu: 9001, minUplinkMtu: 1500, uplinkMtus: ["ens5=1500"] });
    expect(
      mismatch?.evidence.some((e) => e.source === "networking/ifconfig.txt" && e.excerpt.startsWith("ens5: flags=")),
    ).toBe(true);
  });

  describe("on generated bundles", () => {
    const variants: BaselineOptions[] = [{}, { nodeadm: false }, { enisShape: "flat" }, { ignoreIntrospection: true }];
    for (const opts of variants) {
      it(`raises nothing above info on the healthy baseline ${JSON.stringify(opts)}`, async () => {
        const report = await runOn(readCniConfig, Object.fromEntries(healthyBaseline(opts)));
        expect(report.status).toBe("ok");
        expect(aboveInfo(report)).toEqual([]);
        expect(kindOf(report, "cni-config.jumbo-mtu")?.severity).toBe("info");
        expect(JSON.stringify(report)).not.toMatch(/AWS_ROLE_ARN|HOSTNAME=/);
      });
    }

    it("raises mtu-mismatch when the ENIs were pinned to 1500 while pods keep 9001", async () => {
      const report = await runOn(readCniConfig, Object.fromEntries(withFaults({}, mtuMismatch())));
      expect(kindOf(report, "cni-config.mtu-mismatch")?.attributes).toMatchObject({ podMtu: 9001, minUplinkMtu: 1500 });
    });
  });
});
