import { describe, expect, it } from "vitest";
import type { ToolReport } from "../../src/domain/tool-report.ts";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { withFaults } from "../../src/fixtures/fault.ts";
import {
  ec2Throttled,
  ipamdDown,
  ipamdPermissionDenied,
  nodeIpCapacity,
  subnetExhausted,
} from "../../src/fixtures/faults/network.ts";
import type { ToolDefinition } from "../../src/toolkit/tool-definition.ts";
import { inspectIpamdState } from "../../tools/inspect-ipamd-state.ts";
import { aboveInfo, kindOf, kindsOf, runOn } from "./helpers.ts";

const tool = inspectIpamdState as unknown as ToolDefinition;

function find(report: ToolReport, kind: string) {
  const found = kindOf(report, kind);
  if (!found) throw new Error(`no ${kind} in ${kindsOf(report).join(", ")}`);
  return found;
}

/** One ENI as /v1/enis (v1.9+) writes it: secondary /32s or /28 prefixes, assigned ones with an IPAMKey. */
function eni(
  id: string,
  dev: number,
  secondaries: string[],
  assigned: number,
  opts: { prefixes?: string[]; primary?: boolean; subnet?: string } = {},
) {
  const cidrs: Record<string, unknown> = {};
  let left = assigned;
  for (const ip of secondaries) {
    const used = left-- > 0;
    cidrs[`${ip}/32`] = {
      Cidr: { IP: ip, Mask: "/////w==" },
      IPAddresses: used
        ? {
            [ip]: {
              Address: ip,
              IPAMKey: { networkName: "aws-cni", containerID: `c0ffee${dev}${ip.replace(/\./g, "")}`, ifName: "eth0" },
              UnassignedTime: "0001-01-01T00:00:00Z",
            },
          }
        : {},
      IsPrefix: false,
      AddressFamily: "4",
    };
  }
  for (const prefix of opts.prefixes ?? []) {
    const base = prefix.split("/")[0] as string;
    const parts = base.split(".").map(Number);
    const addresses: Record<string, unknown> = {};
    for (let i = 0; i < 16 && left > 0; i++, left--) {
      const ip = `${parts[0]}.${parts[1]}.${parts[2]}.${(parts[3] as number) + i}`;
      addresses[ip] = { Address: ip, IPAMKey: { networkName: "aws-cni", containerID: `beef${i}`, ifName: "eth0" } };
    }
    cidrs[prefix] = {
      Cidr: { IP: base, Mask: "////8A==" },
      IPAddresses: addresses,
      IsPrefix: true,
      AddressFamily: "4",
    };
  }
  const out: Record<string, unknown> = {
    ID: id,
    IsPrimary: opts.primary ?? dev === 0,
    IsTrunk: false,
    IsEFA: false,
    DeviceNumber: dev,
    AvailableIPv4Cidrs: cidrs,
    IPv6Cidrs: {},
  };
  if (opts.subnet) out.SubnetID = opts.subnet;
  return [id, out] as const;
}

function ips(prefix: string, from: number, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}.${from + i}`);
}

function byCard(total: number, assigned: number, enis: ReadonlyArray<readonly [string, unknown]>): string {
  return JSON.stringify({ "0": { TotalIPs: total, AssignedIPs: assigned, ENIs: Object.fromEntries(enis) } });
}

function metrics(values: {
  total: number;
  assigned: number;
  enis: number;
  eniMax: number;
  ipMax?: number;
  noAvailable?: number;
  apiErrors?: Array<[string, string, number]>;
}): string {
  const lines = [
    "# HELP awscni_assigned_ip_addresses The number of IP addresses assigned to pods",
    "# TYPE awscni_assigned_ip_addresses gauge",
    `awscni_assigned_ip_addresses ${values.assigned}`,
    "# HELP awscni_aws_api_error_count The number of times AWS API returns an error",
    "# TYPE awscni_aws_api_error_count counter",
    ...(values.apiErrors ?? []).map(
      ([api, error, n]) => `awscni_aws_api_error_count{api="${api}",error="${error}"} ${n}`,
    ),
    `awscni_eni_allocated ${values.enis}`,
    `awscni_eni_max ${values.eniMax}`,
    `awscni_ip_max ${values.ipMax ?? values.eniMax * 9}`,
    `awscni_total_ip_addresses ${values.total}`,
    `awscni_no_available_ip_addresses ${values.noAvailable ?? 0}`,
    "go_goroutines 87",
  ];
  return `${lines.join("\n")}\n`;
}

const CHECKPOINT = JSON.stringify({
  version: "vpc-cni-ipam/1",
  allocations: [
    {
      containerID: "a1b2c3d4e5f6a7b8",
      ifName: "eth0",
      ipv4: "10.0.12.40",
      metadata: { k8sPodNamespace: "kube-system", k8sPodName: "coredns-5d8f7c9b4-x2x9q" },
    },
    {
      containerID: "b1b2c3d4e5f6a7b8",
      ifName: "eth0",
      ipv4: "10.0.12.41",
      metadata: { k8sPodNamespace: "shop", k8sPodName: "orders-7c9d-4kq2z" },
    },
  ],
});

const ENV = JSON.stringify({
  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: "false",
  ENABLE_PREFIX_DELEGATION: "false",
  MAX_ENI: "-1",
  MINIMUM_IP_TARGET: "",
  WARM_ENI_TARGET: "1",
  WARM_IP_TARGET: "",
  WARM_PREFIX_TARGET: "1",
});
const NET_ENV = JSON.stringify({
  AWS_VPC_K8S_CNI_EXTERNALSNAT: false,
  AWS_VPC_ENI_MTU: 9001,
  AWS_VPC_K8S_CNI_VETHPREFIX: "eni",
});

function healthyState(): Record<string, string> {
  return {
    "ipamd/enis.json": byCard(18, 5, [
      eni("eni-0a1", 0, ips("10.0.12", 40, 9), 4, { subnet: "subnet-0abc" }),
      eni("eni-0b2", 1, ips("10.0.12", 60, 9), 1, { subnet: "subnet-0abc" }),
    ]),
    "ipamd/ipamd-env-settings.json": ENV,
    "ipamd/networkutils-env-settings.json": NET_ENV,
    "ipamd/metrics.json": metrics({
      total: 18,
      assigned: 5,
      enis: 2,
      eniMax: 3,
      apiErrors: [["CreateTags", "InvalidNetworkInterfaceID.NotFound", 1]],
    }),
    "ipamd/ipam.json": CHECKPOINT,
    "system/script-params.txt": "ignore_introspection: false\nignore_metrics: false\n",
  };
}

describe("inspect_ipamd_state", () => {
  it("reports the pool as numbers and nothing above info on a healthy node", async () => {
    const report = await runOn(tool, healthyState());
    expect(report.status).toBe("ok");
    expect(aboveInfo(report)).toEqual([]);
    const pool = find(report, "ipamd.pool");
    expect(pool.attributes).toMatchObject({
      totalIps: 18,
      assignedIps: 5,
      freeIps: 13,
      enisAttached: 2,
      maxEnis: 3,
      atMaxEnis: false,
      prefixMode: false,
      shape: "by-network-card",
      ipCapacity: 27,
    });
    expect(pool.attributes.subnetIds).toEqual(["subnet-0abc"]);
    expect(kindsOf(report)).toEqual(
      expect.arrayContaining(["ipamd.pool", "ipamd.settings", "ipamd.pod-ips", "ipamd.api-errors"]),
    );
    expect(find(report, "ipamd.api-errors").attributes.classes).toEqual(["other"]);
  });

  it("reads the pre-1.20 flat enis.json shape", async () => {
    const flat = JSON.stringify({
      TotalIPs: 9,
      AssignedIPs: 3,
      ENIs: Object.fromEntries([eni("eni-0a1", 0, ips("10.0.12", 40, 9), 3)]),
    });
    const report = await runOn(tool, { "ipamd/enis.json": flat });
    expect(find(report, "ipamd.pool").attributes).toMatchObject({
      shape: "flat",
      totalIps: 9,
      assignedIps: 3,
      freeIps: 6,
      enisAttached: 1,
    });
  });

  it("reads the very old ENIIPPools shape", async () => {
    const legacy = JSON.stringify({
      AssignedIPs: 2,
      TotalIPs: 3,
      ENIIPPools: {
        "eni-0a1": {
          IsPrimary: true,
          ID: "eni-0a1",
          DeviceNumber: 0,
          AssignedIPv4Addresses: 2,
          IPv4Addresses: {
            "10.0.12.40": { Address: "10.0.12.40", Assigned: true },
            "10.0.12.41": { Address: "10.0.12.41", Assigned: true },
            "10.0.12.42": { Address: "10.0.12.42", Assigned: false },
          },
        },
      },
    });
    const report = await runOn(tool, { "ipamd/enis.json": legacy });
    expect(find(report, "ipamd.pool").attributes).toMatchObject({
      shape: "legacy",
      totalIps: 3,
      assignedIps: 2,
      freeIps: 1,
    });
  });

  it("counts addresses from the ENIs when the top-level totals are absent", async () => {
    const noTotals = JSON.stringify({
      "0": {
        ENIs: Object.fromEntries([
          eni("eni-0a1", 0, ips("10.0.12", 40, 5), 5),
          eni("eni-0b2", 1, ips("10.0.12", 60, 4), 1),
        ]),
      },
    });
    const report = await runOn(tool, { "ipamd/enis.json": noTotals });
    expect(find(report, "ipamd.pool").attributes).toMatchObject({ totalIps: 9, assignedIps: 6 });
  });

  it("reports a full pool below max ENIs as pool-exhausted, high once assignments failed", async () => {
    const files = {
      "ipamd/enis.json": byCard(9, 9, [eni("eni-0a1", 0, ips("10.0.12", 40, 9), 9)]),
      "ipamd/metrics.json": metrics({
        total: 9,
        assigned: 9,
        enis: 1,
        eniMax: 3,
        noAvailable: 14,
        apiErrors: [["CreateNetworkInterface", "InsufficientFreeAddressesInSubnet", 6]],
      }),
    };
    const report = await runOn(tool, files);
    const exhausted = find(report, "ipamd.pool-exhausted");
    expect(exhausted.severity).toBe("high");
    expect(exhausted.attributes).toMatchObject({ atMaxEnis: false, noAvailableIpCount: 14 });
    expect(kindsOf(report)).not.toContain("ipamd.at-max-enis");
    const api = find(report, "ipamd.api-errors");
    expect(api.severity).toBe("high");
    expect(api.attributes).toMatchObject({ classes: ["subnet-exhausted"], subnetErrors: 6 });
  });

  it("reports a full pool at max ENIs as node capacity, without EC2 errors", async () => {
    const files = {
      "ipamd/enis.json": byCard(27, 27, [
        eni("eni-0a1", 0, ips("10.0.12", 40, 9), 9),
        eni("eni-0b2", 1, ips("10.0.12", 60, 9), 9),
        eni("eni-0c3", 2, ips("10.0.12", 80, 9), 9),
      ]),
      "ipamd/metrics.json": metrics({ total: 27, assigned: 27, enis: 3, eniMax: 3, noAvailable: 3 }),
    };
    const report = await runOn(tool, files);
    expect(find(report, "ipamd.at-max-enis").severity).toBe("high");
    expect(find(report, "ipamd.pool-exhausted").attributes.atMaxEnis).toBe(true);
    expect(kindsOf(report)).not.toContain("ipamd.api-errors");
  });

  it("does not call a full pool node capacity when the attached ENIs could hold more addresses (WARM_IP_TARGET)", async () => {
    const files = {
      "ipamd/enis.json": byCard(11, 11, [
        eni("eni-0a1", 0, ips("10.0.12", 40, 6), 6),
        eni("eni-0b2", 1, ips("10.0.12", 60, 3), 3),
        eni("eni-0c3", 2, ips("10.0.12", 80, 2), 2),
      ]),
      "ipamd/metrics.json": metrics({ total: 11, assigned: 11, enis: 3, eniMax: 3, ipMax: 27, noAvailable: 9 }),
      "ipamd/ipamd-env-settings.json": JSON.stringify({
        WARM_IP_TARGET: "2",
        MINIMUM_IP_TARGET: "4",
        WARM_ENI_TARGET: "0",
      }),
    };
    const report = await runOn(tool, files);
    const atMax = find(report, "ipamd.at-max-enis");
    expect(atMax.severity).toBe("info");
    expect(atMax.attributes.atCapacity).toBe(false);
    const exhausted = find(report, "ipamd.pool-exhausted");
    expect(exhausted.severity).toBe("high");
    expect(exhausted.summary).toMatch(/could hold more addresses/);
    expect(exhausted.attributes).toMatchObject({ atMaxEnis: true, atCapacity: false });
  });

  it("counts only prefix addresses as usable when prefix delegation is on", async () => {
    const files = {
      "ipamd/enis.json": byCard(18, 11, [
        eni("eni-0a1", 0, ips("10.0.12", 40, 9), 8),
        eni("eni-0b2", 1, ips("10.0.12", 60, 9), 3),
      ]),
      "ipamd/ipamd-env-settings.json": JSON.stringify({ ENABLE_PREFIX_DELEGATION: "true", WARM_PREFIX_TARGET: "1" }),
    };
    const report = await runOn(tool, files);
    const empty = find(report, "ipamd.no-ips-no-enis");
    expect(empty.severity).toBe("high");
    expect(empty.summary).toMatch(/no \/28/);
    expect(find(report, "ipamd.pool").attributes).toMatchObject({
      totalIps: 0,
      unusableSecondaryIps: 18,
      prefixMode: true,
    });
  });

  it("keeps all-ENIs-attached at info while addresses remain", async () => {
    const files = {
      "ipamd/enis.json": byCard(27, 20, [
        eni("eni-0a1", 0, ips("10.0.12", 40, 9), 9),
        eni("eni-0b2", 1, ips("10.0.12", 60, 9), 9),
        eni("eni-0c3", 2, ips("10.0.12", 80, 9), 2),
      ]),
      "ipamd/metrics.json": metrics({ total: 27, assigned: 20, enis: 3, eniMax: 3 }),
    };
    const report = await runOn(tool, files);
    expect(find(report, "ipamd.at-max-enis").severity).toBe("info");
    expect(aboveInfo(report)).toEqual([]);
  });

  it("reports no addresses under prefix delegation as no-ips-no-enis", async () => {
    const files = {
      "ipamd/enis.json": byCard(0, 0, [eni("eni-0a1", 0, [], 0), eni("eni-0b2", 1, [], 0)]),
      "ipamd/ipamd-env-settings.json": JSON.stringify({ ENABLE_PREFIX_DELEGATION: "true", WARM_PREFIX_TARGET: "1" }),
    };
    const report = await runOn(tool, files);
    const empty = find(report, "ipamd.no-ips-no-enis");
    expect(empty.severity).toBe("high");
    expect(empty.attributes).toMatchObject({ prefixMode: true, enisAttached: 2 });
    expect(find(report, "ipamd.settings").severity).toBe("info");
  });

  it("counts 16 addresses per /28 prefix", async () => {
    const files = {
      "ipamd/enis.json": byCard(32, 20, [eni("eni-0a1", 0, [], 20, { prefixes: ["10.0.12.16/28", "10.0.12.32/28"] })]),
    };
    const report = await runOn(tool, files);
    expect(find(report, "ipamd.pool").attributes).toMatchObject({ totalIps: 32, prefixes: 2, prefixMode: true });
  });

  it("does not read an empty IPv4 pool on an IPv6 node as a fault", async () => {
    const v6 = JSON.stringify({
      TotalIPs: 0,
      AssignedIPs: 0,
      ENIs: {
        "eni-0a1": {
          ID: "eni-0a1",
          IsPrimary: true,
          DeviceNumber: 0,
          AvailableIPv4Cidrs: {},
          IPv6Cidrs: { "2600:1f14::/80": { IsPrefix: true } },
        },
      },
    });
    const report = await runOn(tool, { "ipamd/enis.json": v6 });
    expect(kindsOf(report)).not.toContain("ipamd.no-ips-no-enis");
    expect(find(report, "ipamd.pool").attributes.ipv6).toBe(true);
  });

  it("reports no ENI at all when IPAMD never initialised its datastore", async () => {
    const report = await runOn(tool, {
      "ipamd/enis.json": JSON.stringify({ TotalIPs: 0, AssignedIPs: 0, ENIs: null }),
    });
    const empty = find(report, "ipamd.no-ips-no-enis");
    expect(empty.summary).toMatch(/no ENI/);
    expect(empty.attributes.enisAttached).toBe(0);
  });

  it("separates permission errors from throttling in the API error counters", async () => {
    const denied = await runOn(tool, {
      "ipamd/metrics.json": metrics({
        total: 9,
        assigned: 3,
        enis: 1,
        eniMax: 3,
        apiErrors: [
          ["AssignPrivateIpAddresses", "UnauthorizedOperation", 12],
          ["CreateNetworkInterface", "UnauthorizedOperation", 4],
        ],
      }),
    });
    const d = find(denied, "ipamd.api-errors");
    expect(d.severity).toBe("high");
    expect(d.attributes).toMatchObject({
      classes: ["permission-denied"],
      permissionErrors: 16,
      apis: ["AssignPrivateIpAddresses", "CreateNetworkInterface"],
    });

    const throttled = await runOn(tool, {
      "ipamd/metrics.json": metrics({
        total: 9,
        assigned: 3,
        enis: 1,
        eniMax: 3,
        apiErrors: [["DescribeNetworkInterfaces", "RequestLimitExceeded", 57]],
      }),
    });
    const t = find(throttled, "ipamd.api-errors");
    expect(t.severity).toBe("medium");
    expect(t.attributes).toMatchObject({ classes: ["throttled"], throttledErrors: 57, permissionErrors: 0 });
  });

  it("keeps a few throttles and benign API races at info", async () => {
    const report = await runOn(tool, {
      "ipamd/metrics.json": metrics({
        total: 9,
        assigned: 3,
        enis: 1,
        eniMax: 3,
        apiErrors: [
          ["DescribeNetworkInterfaces", "RequestLimitExceeded", 2],
          ["CreateTags", "InvalidNetworkInterfaceID.NotFound", 1],
        ],
      }),
    });
    expect(find(report, "ipamd.api-errors").severity).toBe("info");
  });

  it("says introspection was skipped and raises nothing when the collector ignored it", async () => {
    const report = await runOn(tool, {
      "ipamd/ipam_introspection_ignore.txt": "Ignoring IPAM introspection stats as mentioned\n",
      "ipamd/ipam_metrics_ignore.txt": "Ignoring Prometheus Metrics collection as mentioned\n",
      "ipamd/ipam.json": CHECKPOINT,
      "system/script-params.txt": "ignore_introspection: true\nignore_metrics: true\n",
    });
    expect(report.status).toBe("ok");
    expect(report.gaps).toEqual([]);
    expect(aboveInfo(report)).toEqual([]);
    expect(find(report, "ipamd.introspection-skipped").attributes).toEqual({ introspection: true, metrics: true });
    expect(kindsOf(report)).not.toContain("ipamd.introspection-empty");
  });

  it("reads empty files as skipped when script-params says ignore_introspection even without the marker", async () => {
    const report = await runOn(tool, {
      "ipamd/enis.json": "",
      "ipamd/ipamd-env-settings.json": "",
      "system/script-params.txt": "ignore_introspection: true\nignore_metrics: false\n",
    });
    expect(kindsOf(report)).toEqual(["ipamd.introspection-skipped"]);
    expect(report.gaps).toEqual([]);
  });

  it("reports empty introspection files without the skip marker as IPAMD not answering", async () => {
    const report = await runOn(tool, {
      "ipamd/enis.json": "",
      "ipamd/ipamd-env-settings.json": "",
      "ipamd/networkutils-env-settings.json": "",
      "ipamd/metrics.json": "",
      "ipamd/ipam.json": CHECKPOINT,
      "system/script-params.txt": "ignore_introspection: false\nignore_metrics: false\n",
    });
    const empty = find(report, "ipamd.introspection-empty");
    expect(empty.severity).toBe("medium");
    expect(empty.attributes).toMatchObject({ enisEmpty: true, metricsEmpty: true, checkpointAllocations: 2 });
    expect(report.gaps.map((g) => g.source)).toEqual(expect.arrayContaining(["ipamd/enis.json", "ipamd/metrics.json"]));
    expect(report.status).toBe("ok");
    expect(find(report, "ipamd.pod-ips").attributes.count).toBe(2);
  });

  it("hands off the checkpoint's pod IPs as a typed attribute", async () => {
    const report = await runOn(tool, { "ipamd/ipam.json": CHECKPOINT });
    const pods = find(report, "ipamd.pod-ips");
    expect(pods.attributes.podIPs).toEqual(["10.0.12.40", "10.0.12.41"]);
    expect(pods.attributes.pods).toEqual([
      "kube-system/coredns-5d8f7c9b4-x2x9q=10.0.12.40",
      "shop/orders-7c9d-4kq2z=10.0.12.41",
    ]);
    expect(pods.count).toBe(2);
  });

  it("accepts a checkpoint with no allocations", async () => {
    const report = await runOn(tool, { "ipamd/ipam.json": '{"version":"vpc-cni-ipam/1","allocations":null}' });
    expect(find(report, "ipamd.pod-ips").attributes).toMatchObject({ count: 0, podIPs: [] });
  });

  it("reports the settings as configuration facts, never faults", async () => {
    const report = await runOn(tool, {
      "ipamd/ipamd-env-settings.json": JSON.stringify({
        WARM_IP_TARGET: 5,
        MINIMUM_IP_TARGET: 10,
        WARM_ENI_TARGET: 0,
        ENABLE_PREFIX_DELEGATION: true,
        AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: true,
      }),
      "ipamd/networkutils-env-settings.json": JSON.stringify({
        AWS_VPC_K8S_CNI_EXTERNALSNAT: true,
        AWS_VPC_ENI_MTU: 9001,
      }),
    });
    const settings = find(report, "ipamd.settings");
    expect(settings.severity).toBe("info");
    expect(settings.attributes).toMatchObject({
      warmIpTarget: 5,
      minimumIpTarget: 10,
      warmEniTarget: 0,
      prefixDelegation: true,
      customNetworking: true,
      externalSnat: true,
      mtu: 9001,
    });
    expect(aboveInfo(report)).toEqual([]);
  });

  it("flags a kubelet maxPods above what the ENIs can address", async () => {
    const files = { "ipamd/metrics.json": metrics({ total: 27, assigned: 27, enis: 3, eniMax: 3, ipMax: 27 }) };
    const above = await runOn(tool, files, { maxPods: 110 });
    expect(find(above, "ipamd.max-pods-above-capacity")).toMatchObject({
      severity: "high",
      attributes: { maxPods: 110, ipCapacity: 27, shortfall: 81 },
    });
    const within = await runOn(tool, files, { maxPods: 29 });
    expect(kindsOf(within)).not.toContain("ipamd.max-pods-above-capacity");
    expect(find(within, "ipamd.pool").attributes.maxPodsWithinCapacity).toBe(true);
  });

  it("rejects a maxPods that is not a positive integer", async () => {
    await expect(runOn(tool, { "ipamd/ipam.json": CHECKPOINT }, { maxPods: -3 })).resolves.toBeDefined();
    const { toolInputSchema } = await import("../../src/toolkit/run-tool.ts");
    expect(toolInputSchema(tool).safeParse({ maxPods: -3 }).success).toBe(false);
    expect(toolInputSchema(tool).safeParse({ maxPods: 58 }).success).toBe(true);
  });

  it("answers no_data when no IPAMD file is in the bundle", async () => {
    const report = await runOn(tool, {
      "system/script-params.txt": "ignore_introspection: false\n",
      "kubelet/kubelet.log": "",
    });
    expect(report.status).toBe("no_data");
    expect(report.findings).toEqual([]);
  });

  it("answers error with a gap naming the file when enis.json is not JSON", async () => {
    const report = await runOn(tool, { "ipamd/enis.json": '{"0": {"TotalIPs": 9, "ENIs": {' });
    expect(report.status).toBe("error");
    expect(report.gaps[0]?.source).toBe("ipamd/enis.json");
    expect(report.gaps[0]?.reason).toMatch(/invalid JSON/);
  });

  it("answers error for an enis.json of an unknown shape and a metrics file without samples", async () => {
    const report = await runOn(tool, {
      "ipamd/enis.json": '["eni-0a1"]',
      "ipamd/metrics.json": "404 page not found\n",
    });
    expect(report.status).toBe("error");
    expect(report.gaps.map((g) => g.source).sort()).toEqual(["ipamd/enis.json", "ipamd/metrics.json"]);
  });

  it("does not throw on binary garbage", async () => {
    const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256);
    const report = await runOn(tool, {
      "ipamd/enis.json": garbage,
      "ipamd/metrics.json": garbage,
      "ipamd/ipam.json": garbage,
    });
    expect(report.status).toBe("error");
    expect(report.findings).toEqual([]);
  });

  it("copes with CRLF metrics", async () => {
    const report = await runOn(tool, {
      "ipamd/metrics.json": metrics({ total: 9, assigned: 2, enis: 1, eniMax: 3 }).replace(/\n/g, "\r\n"),
    });
    expect(find(report, "ipamd.pool").attributes).toMatchObject({
      source: "metrics",
      totalIps: 9,
      assignedIps: 2,
      maxEnis: 3,
    });
  });

  it("downgrades a snapshot collected long after the incident window", async () => {
    const files = {
      "ipamd/enis.json": byCard(9, 9, [eni("eni-0a1", 0, ips("10.0.12", 40, 9), 9)]),
      "ipamd/metrics.json": metrics({ total: 9, assigned: 9, enis: 1, eniMax: 3, noAvailable: 2 }),
      "var_log/aws-routed-eni/ipamd.log":
        '{"level":"debug","ts":"2026-11-24T10:29:40.000Z","caller":"ipamd/ipamd.go:780","msg":"Successfully Reconciled ENI/IP pool"}\n',
    };
    const report = await runOn(tool, files, { window: { start: "2026-11-24T00:00:00Z", end: "2026-11-24T04:00:00Z" } });
    const exhausted = find(report, "ipamd.pool-exhausted");
    expect(exhausted.severity).toBe("medium");
    expect(exhausted.attributes.snapshotAfterWindow).toBe(true);
  });
});

describe("inspect_ipamd_state on the healthy baseline and the network faults", () => {
  it.each([
    {},
    { enisShape: "flat" as const },
    { enisShape: "legacy" as const, cniLogFormat: "text" as const },
    { ignoreIntrospection: true },
  ])("raises nothing above info on the healthy baseline %j", async (opts) => {
    const report = await runOn(tool, healthyBaseline(opts));
    expect(report.status).toBe("ok");
    expect(aboveInfo(report)).toEqual([]);
    expect(report.gaps).toEqual([]);
    if (!opts.ignoreIntrospection) expect(find(report, "ipamd.pool").attributes.freeIps).toBeGreaterThan(0);
  });

  it("reads a full subnet as a full pool that could still grow, with subnet API errors", async () => {
    const report = await runOn(tool, withFaults({}, subnetExhausted()));
    expect(find(report, "ipamd.pool-exhausted")).toMatchObject({ severity: "high", attributes: { atCapacity: false } });
    const api = find(report, "ipamd.api-errors");
    expect(api.attributes.classes).toContain("subnet-exhausted");
    expect(api.attributes.permissionErrors).toBe(0);
    expect(report.findings.find((f) => f.kind === "ipamd.at-max-enis")?.severity ?? "info").toBe("info");
    expect(find(report, "ipamd.settings").attributes).toMatchObject({ warmIpTarget: 2, minimumIpTarget: 4 });
  });

  it("reads prefix delegation on a subnet without a free /28 as no usable address", async () => {
    const report = await runOn(tool, withFaults({}, subnetExhausted({ prefixDelegation: true })));
    expect(find(report, "ipamd.no-ips-no-enis")).toMatchObject({ severity: "high", attributes: { prefixMode: true } });
    expect(find(report, "ipamd.api-errors").attributes.errorCodes).toContain("InsufficientCidrBlocks");
  });

  it("reads pods beyond the ENI capacity as node capacity without EC2 errors, and flags maxPods", async () => {
    const files = withFaults({}, nodeIpCapacity());
    const report = await runOn(tool, files, { maxPods: 110 });
    expect(find(report, "ipamd.at-max-enis")).toMatchObject({ severity: "high", attributes: { atCapacity: true } });
    expect(find(report, "ipamd.pool-exhausted").attributes.atCapacity).toBe(true);
    expect(find(report, "ipamd.api-errors").severity).toBe("info");
    expect(find(report, "ipamd.max-pods-above-capacity").attributes).toMatchObject({ maxPods: 110, ipCapacity: 27 });
    expect(find(report, "ipamd.pod-ips").attributes.count).toBe(27);
  });

  it("reads empty introspection files as IPAMD not answering, unless the collector skipped them", async () => {
    const down = await runOn(tool, withFaults({}, ipamdDown()));
    expect(find(down, "ipamd.introspection-empty")).toMatchObject({
      severity: "medium",
      attributes: { enisEmpty: true, metricsEmpty: true },
    });
    expect(down.gaps.map((g) => g.source)).toContain("ipamd/enis.json");
    const skipped = await runOn(tool, withFaults({ ignoreIntrospection: true }, ipamdDown()));
    expect(aboveInfo(skipped)).toEqual([]);
    expect(kindsOf(skipped)).toContain("ipamd.introspection-skipped");
  });

  it("separates throttling from a missing CNI policy in the API error counters", async () => {
    const throttled = find(await runOn(tool, withFaults({}, ec2Throttled())), "ipamd.api-errors");
    expect(throttled.severity).toBe("high");
    expect(throttled.attributes).toMatchObject({ permissionErrors: 0, throttledErrors: 204 });
    const denied = find(await runOn(tool, withFaults({}, ipamdPermissionDenied())), "ipamd.api-errors");
    expect(denied.severity).toBe("high");
    expect(denied.attributes).toMatchObject({
      throttledErrors: 0,
      permissionErrors: 50,
      apis: ["AssignPrivateIpAddresses", "CreateTags"],
    });
  });
});
