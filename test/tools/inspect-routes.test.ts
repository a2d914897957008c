import { describe, expect, it } from "vitest";
import { parseIpRoute, parseIpRule } from "../../src/toolkit/parse-ip-route.ts";
import { inspectRoutes } from "../../tools/inspect-routes.ts";
import { aboveInfo, kindOf, runOn } from "./helpers.ts";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { withFaults } from "../../src/fixtures/fault.ts";
import { eniRouteTableMissing, policyRoutingBroken } from "../../src/fixtures/faults/network.ts";
import type { BaselineOptions } from "../../src/fixtures/options.ts";

const RULES = "networking/iprule.txt";
const ROUTES = "networking/iproute.txt";
const CHECKPOINT = "ipamd/ipam.json";
const ENIS = "ipamd/enis.json";

interface Pod {
  ns: string;
  name: string;
  ip: string;
  veth: string;
  /** Route table of the secondary ENI, undefined on the primary ENI. */
  table?: number;
}

/** An AL2023 m5.large: pods on ens5 (primary) and ens6 (device 1, table 2). */
const PODS: Pod[] = [
  { ns: "kube-system", name: "coredns-7d9f8c6b5d-x2k9p", ip: "10.0.12.77", veth: "eni5b1d0c2e9a4" },
  { ns: "shop", name: "cart-6c8d7f9b4-qq2lm", ip: "10.0.13.5", veth: "eni0f2a7c9d1b3", table: 2 },
  { ns: "shop", name: "orders-5f7b9c8d6-mr4tz", ip: "10.0.13.61", veth: "eni8c3e1a7f5d2", table: 2 },
  { ns: "shop", name: "catalog-7b6d5c4f9-pl8kw", ip: "10.0.14.200", veth: "eni2e9d4b6a8c1" },
];

function rules(pods: Pod[] = PODS): string {
  const lines = ["0:\tfrom all lookup local"];
  for (const p of pods) lines.push(`512:\tfrom all to ${p.ip} lookup main`);
  lines.push("1024:\tfrom all fwmark 0x80/0x80 lookup main");
  for (const p of pods) if (p.table !== undefined) lines.push(`1536:\tfrom ${p.ip} lookup ${p.table}`);
  lines.push("32766:\tfrom all lookup main", "32767:\tfrom all lookup default");
  return `${lines.join("\n")}\n`;
}

function routes(pods: Pod[] = PODS, opts: { eniTable?: boolean; main?: boolean } = {}): string {
  const lines: string[] = [];
  if (opts.eniTable !== false)
    lines.push("default via 10.0.0.1 dev ens6 table 2 ", "10.0.0.1 dev ens6 table 2 scope link ");
  if (opts.main !== false) {
    lines.push(
      "default via 10.0.0.1 dev ens5 proto dhcp src 10.0.12.34 metric 512 ",
      "10.0.0.0/19 dev ens5 proto kernel scope link src 10.0.12.34 metric 512 ",
      "10.0.0.1 dev ens5 proto dhcp scope link src 10.0.12.34 metric 512 ",
      "10.0.0.2 dev ens5 proto dhcp scope link src 10.0.12.34 metric 512 ",
    );
    for (const p of pods) lines.push(`${p.ip} dev ${p.veth} scope link `);
  }
  lines.push(
    "local 10.0.12.34 dev ens5 table local proto kernel scope host src 10.0.12.34 ",
    "broadcast 10.0.31.255 dev ens5 table local proto kernel scope link src 10.0.12.34 ",
    "local 10.0.20.9 dev ens6 table local proto kernel scope host src 10.0.20.9 ",
    "local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1 ",
  );
  return `${lines.join("\n")}\n`;
}

function checkpoint(pods: Pod[] = PODS): string {
  return JSON.stringify({
    version: "vpc-cni-ipam/1",
    allocations: pods.map((p, i) => ({
      containerID: `${i}`.padStart(64, "a"),
      ifName: "eth0",
      ipv4: p.ip,
      metadata: { k8sPodNamespace: p.ns, k8sPodName: p.name },
    })),
  });
}

/** `/v1/enis` keyed by network card (VPC CNI >= 1.20). */
function enis(): string {
  const ips = (list: string[]) =>
    Object.fromEntries(
      list.map((ip) => [
        `${ip}/32`,
        { Cidr: { IP: ip, Mask: "/////w==" }, IPAddresses: {}, IsPrefix: false, AddressFamily: "4" },
      ]),
    );
  return JSON.stringify({
    "0": {
      TotalIPs: 18,
      AssignedIPs: 4,
      ENIs: {
        "eni-0a1b2c3d4e5f60718": {
          ID: "eni-0a1b2c3d4e5f60718",
          IsPrimary: true,
          IsTrunk: false,
          IsEFA: false,
          DeviceNumber: 0,
          AvailableIPv4Cidrs: ips(["10.0.12.77", "10.0.14.200", "10.0.15.3"]),
        },
        "eni-0f9e8d7c6b5a40312": {
          ID: "eni-0f9e8d7c6b5a40312",
          IsPrimary: false,
          IsTrunk: false,
          IsEFA: false,
          DeviceNumber: 1,
          AvailableIPv4Cidrs: ips(["10.0.13.5", "10.0.13.61", "10.0.16.8"]),
        },
      },
    },
  });
}

function healthy(): Record<string, string> {
  return { [RULES]: rules(), [ROUTES]: routes(), [CHECKPOINT]: checkpoint(), [ENIS]: enis() };
}

describe("ip rule / ip route parsing", () => {
  it("parses new and old iproute2 rule spellings", () => {
    expect(parseIpRule("512:\tfrom all to 10.0.12.77 lookup main")).toMatchObject({
      priority: 512,
      from: "all",
      to: "10.0.12.77",
      table: 254,
    });
    expect(parseIpRule("1536:\tfrom 10.200.202.222 to 10.200.0.0/16 lookup 2")).toMatchObject({
      from: "10.200.202.222",
      to: "10.200.0.0/16",
      table: 2,
    });
    expect(parseIpRule("1536: from 10.0.13.5 table 2")).toMatchObject({ from: "10.0.13.5", table: 2 });
    expect(parseIpRule("1024:\tnot from all to 10.0.0.0/16 lookup main")).toMatchObject({ not: true });
    expect(parseIpRule("garbage")).toBeUndefined();
  });

  it("parses routes of every table and type", () => {
    expect(parseIpRoute("default via 10.0.0.1 dev ens6 table 2 ")).toMatchObject({
      dst: "default",
      via: "10.0.0.1",
      dev: "ens6",
      table: 2,
    });
    expect(parseIpRoute("10.0.12.77 dev eni5b1d0c2e9a4 scope link ")).toMatchObject({
      dst: "10.0.12.77",
      table: 254,
      scope: "link",
    });
    expect(parseIpRoute("local 10.0.12.34 dev ens5 table local proto kernel scope host src 10.0.12.34")).toMatchObject({
      type: "local",
      table: 255,
    });
    expect(parseIpRoute("\tnexthop via 10.0.0.1 dev ens5 weight 1")).toBeUndefined();
  });
});

describe("inspect_routes", () => {
  it("finds nothing above info on a healthy multi-ENI node and summarizes its policy routing", async () => {
    const report = await runOn(inspectRoutes, healthy());
    expect(report.status).toBe("ok");
    expect(report.severity).toBe("info");
    const summary = kindOf(report, "routes.summary");
    expect(summary?.attributes).toMatchObject({
      toPodRules: 4,
      fromPodRules: 2,
      perEniTables: [2],
      perEniTablesWithDefault: [2],
      podIPsChecked: 4,
      podIPSource: "checkpoint",
      podsOnSecondaryEnis: 2,
      podHostRoutes: 4,
    });
    expect(kindOf(report, "routes.pod-rule-missing")).toBeUndefined();
    expect(kindOf(report, "routes.eni-table-missing")).toBeUndefined();
  });

  it("states that the main table has no routes through the secondary ENI as a fact only", async () => {
    const report = await runOn(inspectRoutes, healthy());
    const fact = kindOf(report, "routes.main-table-empty");
    expect(fact?.severity).toBe("info");
    expect(fact?.attributes).toMatchObject({ scope: "secondary-enis", secondaryDevices: ["ens6"] });
  });

  it("keeps an entirely empty main table at info and does not blame pod routes on it", async () => {
    const report = await runOn(inspectRoutes, { ...healthy(), [ROUTES]: routes(PODS, { main: false }) });
    expect(report.severity).toBe("info");
    expect(kindOf(report, "routes.main-table-empty")?.attributes).toMatchObject({ scope: "all", mainRoutes: 0 });
    expect(kindOf(report, "routes.pod-rule-missing")).toBeUndefined();
  });

  it("raises net.policy-routing-broken evidence when pods in the checkpoint have no `to <ip> lookup main` rule", async () => {
    const withoutRules = PODS.filter((p) => p.name.startsWith("coredns") || p.name.startsWith("catalog"));
    const report = await runOn(inspectRoutes, {
      ...healthy(),
      [RULES]: rules(PODS.filter((p) => !withoutRules.includes(p))),
    });
    const missing = kindOf(report, "routes.pod-rule-missing");
    expect(missing?.severity).toBe("high");
    expect(missing?.attributes.missingToRule).toEqual(["10.0.12.77", "10.0.14.200"]);
    expect(missing?.attributes.pods).toEqual(["kube-system/coredns-7d9f8c6b5d-x2k9p", "shop/catalog-7b6d5c4f9-pl8kw"]);
    expect(missing?.evidence.map((e) => e.source)).toEqual([CHECKPOINT, RULES]);
    expect(missing?.correlateWith).toContain("inspect_ipamd_state");
  });

  it("flags a pod on a secondary ENI that lost its `from <ip> lookup <table>` rule", async () => {
    const text = rules().replace("1536:\tfrom 10.0.13.61 lookup 2\n", "");
    const report = await runOn(inspectRoutes, { ...healthy(), [RULES]: text });
    const missing = kindOf(report, "routes.pod-rule-missing");
    // One pod of four is a quarter of the node's pods: high.
    expect(missing?.severity).toBe("high");
    expect(missing?.attributes).toMatchObject({
      missingFromRule: ["10.0.13.61"],
      missingToRule: [],
      brokenPods: 1,
      fromRulesChecked: true,
    });
  });

  it("keeps a single broken pod among many at medium", async () => {
    const many = [...PODS.map((p) => p.ip), "10.0.14.201", "10.0.14.202", "10.0.14.203", "10.0.14.204"];
    const extra = many.slice(4).map((ip, i) => ({ ns: "shop", name: `web-${i}`, ip, veth: `enia${i}` }));
    const all = [...PODS, ...extra];
    const report = await runOn(inspectRoutes, {
      [RULES]: rules(all).replace("512:\tfrom all to 10.0.14.204 lookup main\n", ""),
      [ROUTES]: routes(all),
      [CHECKPOINT]: checkpoint(all),
    });
    const missing = kindOf(report, "routes.pod-rule-missing");
    expect(missing?.severity).toBe("medium");
    expect(missing?.attributes).toMatchObject({ missingToRule: ["10.0.14.204"], brokenPods: 1, podIPsChecked: 8 });
  });

  it("flags pods whose host route is gone", async () => {
    const report = await runOn(inspectRoutes, {
      ...healthy(),
      [ROUTES]: routes()
        .replace("10.0.13.5 dev eni0f2a7c9d1b3 scope link \n", "")
        .replace("10.0.14.200 dev eni2e9d4b6a8c1 scope link \n", ""),
    });
    expect(kindOf(report, "routes.pod-rule-missing")?.attributes.missingRoute).toEqual(["10.0.13.5", "10.0.14.200"]);
  });

  it("raises eni-table-missing when the per-ENI table has no default route", async () => {
    const report = await runOn(inspectRoutes, { ...healthy(), [ROUTES]: routes(PODS, { eniTable: false }) });
    const table = kindOf(report, "routes.eni-table-missing");
    expect(table?.severity).toBe("high");
    expect(table?.attributes).toMatchObject({ tables: [2], affectedPodIPs: 2 });
    expect(table?.evidence[0]?.excerpt).toContain("1536:\tfrom 10.0.13.5 lookup 2");
  });

  it("uses the podIPs hand-off from inspect_ipamd_state instead of the checkpoint", async () => {
    const files: Record<string, string> = { [RULES]: rules(), [ROUTES]: routes() };
    const report = await runOn(inspectRoutes, files, { podIPs: ["10.0.12.77", "10.0.99.9"] });
    const missing = kindOf(report, "routes.pod-rule-missing");
    expect(missing?.attributes).toMatchObject({ missingToRule: ["10.0.99.9"], podIPSource: "input", podIPsChecked: 2 });
    expect(kindOf(report, "routes.summary")?.attributes.podIPSource).toBe("input");
  });

  it("reads the pre-1.20 flat /v1/enis shape and the very old ENIIPPools shape", async () => {
    const flat = JSON.parse(enis())["0"];
    const text = rules().replace("1536:\tfrom 10.0.13.5 lookup 2\n", "");
    const r1 = await runOn(inspectRoutes, { ...healthy(), [RULES]: text, [ENIS]: JSON.stringify(flat) });
    expect(kindOf(r1, "routes.pod-rule-missing")?.attributes.missingFromRule).toEqual(["10.0.13.5"]);
    const legacy = {
      AssignedIPs: 4,
      TotalIPs: 18,
      ENIIPPools: {
        "eni-0a1b2c3d4e5f60718": {
          ID: "eni-0a1b2c3d4e5f60718",
          IsPrimary: true,
          DeviceNumber: 0,
          IPv4Addresses: { "10.0.12.77": { Address: "10.0.12.77", Assigned: true } },
        },
        "eni-0f9e8d7c6b5a40312": {
          ID: "eni-0f9e8d7c6b5a40312",
          IsPrimary: false,
          DeviceNumber: 1,
          IPv4Addresses: { "10.0.13.5": { Address: "10.0.13.5", Assigned: true } },
        },
      },
    };
    const r2 = await runOn(inspectRoutes, { ...healthy(), [RULES]: text, [ENIS]: JSON.stringify(legacy) });
    expect(kindOf(r2, "routes.pod-rule-missing")?.attributes.missingFromRule).toEqual(["10.0.13.5"]);
  });

  it("matches pod IPs inside /28 prefixes under prefix delegation", async () => {
    const pd = {
      "0": {
        ENIs: {
          "eni-1": {
            ID: "eni-1",
            IsPrimary: false,
            DeviceNumber: 1,
            AvailableIPv4Cidrs: { "10.0.13.0/28": { IsPrefix: true, IPAddresses: {} } },
          },
        },
      },
    };
    const report = await runOn(inspectRoutes, {
      ...healthy(),
      [RULES]: rules().replace("1536:\tfrom 10.0.13.5 lookup 2\n", ""),
      [ENIS]: JSON.stringify(pd),
    });
    expect(kindOf(report, "routes.pod-rule-missing")?.attributes.missingFromRule).toEqual(["10.0.13.5"]);
  });

  it("reports rules left behind by deleted pods as info", async () => {
    const report = await runOn(inspectRoutes, { ...healthy(), [CHECKPOINT]: checkpoint(PODS.slice(0, 3)) });
    const stale = kindOf(report, "routes.stale-rules");
    expect(stale?.severity).toBe("info");
    expect(stale?.attributes.ips).toEqual(["10.0.14.200"]);
  });

  it("still checks rules when the checkpoint is missing, and says it had no pod IPs", async () => {
    const report = await runOn(inspectRoutes, { [RULES]: rules(), [ROUTES]: routes() });
    expect(report.status).toBe("ok");
    expect(kindOf(report, "routes.summary")?.attributes).toMatchObject({ podIPSource: "none", podIPsChecked: 0 });
    expect(report.severity).toBe("info");
  });

  it("records a gap for an invalid checkpoint but still reports", async () => {
    const report = await runOn(inspectRoutes, { [RULES]: rules(), [ROUTES]: routes(), [CHECKPOINT]: "{not json" });
    expect(report.status).toBe("ok");
    expect(report.gaps.map((g) => g.source)).toContain(CHECKPOINT);
  });

  it("answers no_data when neither file is present", async () => {
    const report = await runOn(inspectRoutes, { [CHECKPOINT]: checkpoint() });
    expect(report.status).toBe("no_data");
  });

  it("answers error with gaps naming the files when both are empty", async () => {
    const report = await runOn(inspectRoutes, { [RULES]: "", [ROUTES]: "" });
    expect(report.status).toBe("error");
    expect(report.gaps.map((g) => g.source).sort()).toEqual([ROUTES, RULES]);
  });

  it("does not throw on binary garbage", async () => {
    const garbage = new Uint8Array(8192).map((_, i) => (i * 97 + 13) % 256);
    const report = await runOn(inspectRoutes, { [RULES]: garbage, [ROUTES]: garbage });
    expect(report.status).toBe("error");
  });

  it("copes with CRLF line endings", async () => {
    const report = await runOn(inspectRoutes, {
      ...healthy(),
      [RULES]: rules().replaceAll("\n", "\r\n"),
      [ROUTES]: routes().replaceAll("\n", "\r\n"),
    });
    expect(report.severity).toBe("info");
    expect(kindOf(report, "routes.summary")?.attributes.toPodRules).toBe(4);
  });

  describe("on generated bundles", () => {
    const variants: BaselineOptions[] = [
      {},
      { nodeadm: false },
      { enisShape: "flat" },
      { enisShape: "legacy" },
      { ignoreIntrospection: true },
    ];
    for (const opts of variants) {
      it(`raises nothing above info on the healthy baseline ${JSON.stringify(opts)}`, async () => {
        const report = await runOn(inspectRoutes, healthyBaseline(opts));
        expect(report.status).toBe("ok");
        expect(aboveInfo(report)).toEqual([]);
        expect(kindOf(report, "routes.summary")?.attributes.podIPsChecked).toBeGreaterThan(5);
      });
    }

    it("finds every pod's rules gone after systemd-networkd flushed foreign routing-policy rules", async () => {
      const files = withFaults({}, policyRoutingBroken());
      const report = await runOn(inspectRoutes, files);
      const missing = kindOf(report, "routes.pod-rule-missing");
      expect(missing?.severity).toBe("high");
      expect(missing?.attributes.brokenPods).toBe(missing?.attributes.podIPsChecked);
      expect(missing?.attributes.missingRoute).toEqual([]);
    });

    it("finds a secondary ENI table without its default route", async () => {
      const files = withFaults({}, eniRouteTableMissing());
      const report = await runOn(inspectRoutes, files);
      expect(kindOf(report, "routes.eni-table-missing")?.attributes.tables).toEqual([2]);
      expect(kindOf(report, "routes.pod-rule-missing")).toBeUndefined();
    });
  });
});
