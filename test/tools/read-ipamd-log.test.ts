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
import type { ToolInput } from "../../src/toolkit/run-tool.ts";
import { parsePoolStats, readIpamdLog } from "../../tools/read-ipamd-log.ts";
import { aboveInfo, kindOf, kindsOf, runOn } from "./helpers.ts";

const tool = readIpamdLog;
const LOG = "var_log/aws-routed-eni/ipamd.log";

async function run(
  lines: string[] | string | Uint8Array,
  input: ToolInput = {},
  extra: Record<string, string> = {},
): Promise<ToolReport> {
  const content = Array.isArray(lines) ? `${lines.join("\n")}\n` : lines;
  return runOn(tool, { [LOG]: content, ...extra }, input);
}

function find(report: ToolReport, kind: string) {
  const found = kindOf(report, kind);
  if (!found) throw new Error(`no ${kind} in ${kindsOf(report).join(", ")}`);
  return found;
}

/** 2026-11-24T10:MM:SS.mmmZ for minute offsets from 10:00. */
function ts(minute: number, second = 0): string {
  const d = new Date(Date.UTC(2026, 10, 24, 10, 0, 0) + minute * 60_000 + second * 1000);
  return d.toISOString();
}

const j = (at: string, level: string, msg: string, caller = "ipamd/ipamd.go:700") =>
  JSON.stringify({ level, ts: at, caller, msg });
/** Old seelog text format of CNI <= 1.5. */
const t = (at: string, level: string, msg: string) => `${at} [${level.toUpperCase()}]\t${msg}`;

/** A healthy start, a fill, some adds and pool stats — the shape of every real ipamd.log. */
function healthyStart(fmt: "json" | "text" = "json", at = 0): string[] {
  const l = fmt === "json" ? j : t;
  return [
    l(ts(at), "info", "Starting L-IPAMD v1.20.4-eksbuild.1  ..."),
    l(ts(at, 1), "info", "Testing communication with server"),
    l(ts(at, 2), "debug", "Discovered region: us-east-1"),
    l(ts(at, 3), "info", "Serving RPC Handler on 127.0.0.1:50051"),
    l(
      ts(at, 4),
      "debug",
      "Found ENI eni-0a1 that has less than the maximum number of IP/Prefixes addresses allocated: cur=0, max=9",
    ),
    l(ts(at, 5), "debug", "AssignPodIPv4Address: Assign IP 10.0.12.40 to sandbox aws-cni/0f1e2d3c4b5a/eth0"),
    l(ts(at, 6), "debug", "IP pool stats: Total IPs/Prefixes = 9/0, AssignedIPs/CooldownIPs: 1/0, c.maxIPsPerENI = 9"),
  ];
}

const INSUFFICIENT =
  "Failed to increase pool size due to not able to allocate ENI AllocENI: error assigning private IP addrs: InsufficientFreeAddressesInSubnet: The specified subnet does not have enough free addresses to satisfy the request.\n\tstatus code: 400, request id: 2c3f0a1e-9b7d-4c55-8f1a-6d2e0b9c7a11";

describe("read_ipamd_log", () => {
  it("reports nothing above info for a healthy start in either format", async () => {
    for (const fmt of ["json", "text"] as const) {
      const report = await run(healthyStart(fmt));
      expect(report.status).toBe("ok");
      expect(aboveInfo(report)).toEqual([]);
      expect(find(report, "ipamd.restart").attributes).toMatchObject({
        count: 1,
        versions: ["v1.20.4-eksbuild.1"],
        servedAfterLastStart: true,
        crashLoop: false,
      });
      expect(find(report, "ipamd.pool-stats").attributes).toMatchObject({
        lastTotal: 9,
        lastAssigned: 1,
        everFull: false,
      });
    }
  });

  it("reports a full subnet when ipamd logs InsufficientFreeAddressesInSubnet and pods find the datastore empty", async () => {
    const report = await run([
      ...healthyStart(),
      j(ts(20), "error", INSUFFICIENT),
      j(ts(21), "error", "DataStore has no available IP/Prefix addresses", "datastore/data_store.go:1023"),
      j(
        ts(21),
        "info",
        "Send AddNetworkReply: IPv4Addr: , IPv6Addr: , DeviceNumber: -1, err: assignPodIPv4AddressUnsafe: no available IP/Prefix addresses",
        "rpc/rpc.pb.go:881",
      ),
      j(
        ts(22),
        "error",
        "Unable to attach IPs/Prefixes for the ENI, subnet doesn't seem to have enough IPs/Prefixes. Consider using new subnet or carve a reserved range using create-subnet-cidr-reservation",
      ),
    ]);
    const subnet = find(report, "ipamd.subnet-exhausted");
    expect(subnet.severity).toBe("high");
    expect(subnet.attributes).toMatchObject({
      errorCodes: ["InsufficientFreeAddressesInSubnet"],
      datastoreEmpty: true,
      ec2Errors: true,
    });
    expect(subnet.count).toBe(2);
    const ds = find(report, "ipamd.datastore-empty");
    expect(ds.severity).toBe("high");
    // The datastore line and the RPC reply that repeats it are one event.
    expect(ds.count).toBe(1);
    expect(ds.evidence[0]?.line).toBe(9);
  });

  it("reports a full subnet in the old text format", async () => {
    const report = await run([
      ...healthyStart("text"),
      t(ts(20), "error", INSUFFICIENT.replace("\n\t", " ")),
      t(ts(20, 30), "debug", "IP pool stats: total = 56, used = 56, c.maxIPsPerENI = 14"),
      t(
        ts(21),
        "info",
        "Send AddNetworkReply: IPv4Addr , DeviceNumber: 0, err: assignPodIPv4AddressUnsafe: no available IP addresses",
      ),
    ]);
    expect(find(report, "ipamd.subnet-exhausted").severity).toBe("high");
    expect(find(report, "ipamd.datastore-empty").count).toBe(1);
    expect(find(report, "ipamd.pool-stats").attributes).toMatchObject({
      lastTotal: 56,
      lastAssigned: 56,
      everFull: true,
      maxIpsPerEni: 14,
    });
  });

  it("reports a subnet without a free /28 under prefix delegation (InsufficientCidrBlocks)", async () => {
    const report = await run([
      ...healthyStart(),
      j(
        ts(30),
        "warn",
        "failed to allocate all available IPv4 Prefixes on ENI eni-0a1, err: operation error EC2: AssignPrivateIpAddresses, https response error StatusCode: 400, RequestID: 5b1c, api error InsufficientCidrBlocks: There are not enough free cidr blocks in the specified subnet to satisfy the request.",
      ),
      j(ts(30, 1), "debug", "Recently we had InsufficientCidr error hence will wait for 2m0s before retrying"),
    ]);
    const subnet = find(report, "ipamd.subnet-exhausted");
    expect(subnet.attributes).toMatchObject({
      prefixDelegation: true,
      errorCodes: ["InsufficientCidrBlocks"],
      apis: ["AssignPrivateIpAddresses"],
    });
    expect(subnet.severity).toBe("medium");
  });

  it("reports a prefix target left short with 0 free prefixes and an empty datastore (no /28 to carve)", async () => {
    const lines = healthyStart();
    for (let m = 10; m <= 40; m += 5) {
      lines.push(j(ts(m), "debug", "Prefix target is 1, short of 1 prefixes, free 0 prefixes", "ipamd/ipamd.go:2128"));
      lines.push(
        j(
          ts(m, 1),
          "debug",
          "AssignIPv4Address: IP address pool stats: total: 0, assigned 0",
          "datastore/data_store.go:713",
        ),
      );
      lines.push(j(ts(m, 1), "error", "DataStore has no available IP/Prefix addresses", "datastore/data_store.go:713"));
    }
    const report = await run(lines);
    const subnet = find(report, "ipamd.subnet-exhausted");
    expect(subnet.severity).toBe("high");
    expect(subnet.attributes).toMatchObject({ prefixDelegation: true, ec2Errors: false });
    expect(find(report, "ipamd.pool-stats").attributes).toMatchObject({ lastTotal: 0, zeroTotalSamples: 7 });
  });

  it("ignores a prefix shortfall that cleared at startup", async () => {
    const report = await run([
      ...healthyStart(),
      j(ts(0, 8), "debug", "Prefix target is 1, short of 1 prefixes, free 0 prefixes"),
    ]);
    expect(kindsOf(report)).not.toContain("ipamd.subnet-exhausted");
  });

  it("reports a datastore that emptied long ago but recovered as low", async () => {
    const report = await run(
      [
        ...healthyStart(),
        j(ts(10), "error", "DataStore has no available IP/Prefix addresses"),
        j(ts(12), "debug", "AssignPodIPv4Address: Assign IP 10.0.12.41 to sandbox aws-cni/1a2b/eth0"),
      ],
      { window: { start: ts(0), end: ts(90) } },
    );
    const ds = find(report, "ipamd.datastore-empty");
    expect(ds.severity).toBe("low");
    expect(ds.attributes.recovered).toBe(true);
  });

  it("reports EC2 throttling with the throttled APIs", async () => {
    const lines = healthyStart();
    for (let i = 0; i < 8; i++)
      lines.push(
        j(
          ts(20, i),
          "error",
          `Failed to increase pool size: failed to allocate one IP addresses on ENI eni-0a1, err: operation error EC2: AssignPrivateIpAddresses, exceeded maximum number of attempts, 3, https response error StatusCode: 503, RequestID: 9f, api error RequestLimitExceeded: Request limit exceeded.`,
        ),
      );
    const report = await run(lines);
    const throttled = find(report, "ipamd.ec2-throttled");
    expect(throttled.severity).toBe("medium");
    expect(throttled.attributes.apis).toEqual(["AssignPrivateIpAddresses"]);
    expect(throttled.count).toBe(8);
  });

  it("keeps a couple of throttles at info", async () => {
    const report = await run([
      ...healthyStart(),
      j(ts(20), "warn", "DescribeNetworkInterfaces: Throttling: Rate exceeded"),
    ]);
    const throttled = find(report, "ipamd.ec2-throttled");
    expect(throttled.severity).toBe("info");
    expect(throttled.attributes.noise).toBe(true);
  });

  it("reports permission denied with the API names from SDK v2 and IAM messages", async () => {
    const report = await run([
      ...healthyStart(),
      j(
        ts(20),
        "error",
        "Failed to increase pool size due to not able to allocate ENI AllocENI: error creating ENI: operation error EC2: CreateNetworkInterface, https response error StatusCode: 403, RequestID: 77, api error UnauthorizedOperation: You are not authorized to perform this operation. User: arn:aws:sts::111122223333:assumed-role/eks-node-role/i-0abc is not authorized to perform: ec2:CreateNetworkInterface on resource: arn:aws:ec2:us-east-1:111122223333:subnet/subnet-0abc because no identity-based policy allows the ec2:CreateNetworkInterface action",
      ),
      j(
        ts(21),
        "error",
        "failed to allocate one IP addresses on ENI eni-0a1, err: operation error EC2: AssignPrivateIpAddresses, https response error StatusCode: 403, api error UnauthorizedOperation: You are not authorized to perform this operation.",
      ),
    ]);
    const denied = find(report, "ipamd.permission-denied");
    expect(denied.severity).toBe("high");
    expect(denied.attributes).toMatchObject({
      apis: ["AssignPrivateIpAddresses", "CreateNetworkInterface"],
      errorCodes: ["UnauthorizedOperation"],
    });
  });

  it("infers the API of an old SDK v1 permission error from ipamd's wording", async () => {
    const report = await run([
      ...healthyStart("text"),
      t(
        ts(20),
        "error",
        "Failed to increase pool size due to not able to allocate ENI AllocENI: error attaching ENI: attachENI: failed to attach ENI:UnauthorizedOperation: You are not authorized to perform this operation.",
      ),
    ]);
    expect(find(report, "ipamd.permission-denied").attributes.apis).toEqual(["AttachNetworkInterface"]);
  });

  it("reports the ENI limit as node capacity when pods also found no address", async () => {
    const report = await run([
      ...healthyStart(),
      j(ts(20), "debug", "IP pool stats: Total IPs/Prefixes = 27/0, AssignedIPs/CooldownIPs: 27/0, c.maxIPsPerENI = 9"),
      j(ts(20, 1), "debug", "Skipping ENI allocation as the max ENI limit is already reached"),
      j(ts(21), "error", "DataStore has no available IP/Prefix addresses"),
    ]);
    const limit = find(report, "ipamd.eni-limit-reached");
    expect(limit.severity).toBe("high");
    expect(limit.attributes).toMatchObject({ poolFull: true, datastoreEmpty: true });
    expect(kindsOf(report)).not.toContain("ipamd.subnet-exhausted");
  });

  it("keeps the ENI limit at info while the pool has room, and reads cur=N, max=N and AttachmentLimitExceeded", async () => {
    const quiet = await run([
      ...healthyStart(),
      j(ts(20), "debug", "Skipping ENI allocation as the max ENI limit is already reached"),
    ]);
    expect(find(quiet, "ipamd.eni-limit-reached").severity).toBe("info");

    const full = await run([
      ...healthyStart(),
      j(
        ts(20),
        "debug",
        "Found ENI eni-0c3 that has less than the maximum number of IP/Prefixes addresses allocated: cur=9, max=9",
      ),
    ]);
    expect(find(full, "ipamd.eni-limit-reached").attributes.maxEnis).toBe(9);

    const refused = await run([
      ...healthyStart(),
      j(
        ts(20),
        "error",
        "Failed to increase pool size due to not able to allocate ENI AllocENI: error attaching ENI: attachENI: failed to attach ENI:AttachmentLimitExceeded: Interface count 4 exceeds the limit for m5.large",
      ),
      j(ts(20, 1), "info", "Discovered the instance max ENI allowed is: 3"),
    ]);
    const limit = find(refused, "ipamd.eni-limit-reached");
    expect(limit.severity).toBe("medium");
    expect(limit.attributes).toMatchObject({ attachmentLimitExceeded: true, maxEnis: 3, instanceType: "m5.large" });
  });

  it("does not read an ENI with room (cur < max) as the ENI limit", async () => {
    const report = await run(healthyStart());
    expect(kindsOf(report)).not.toContain("ipamd.eni-limit-reached");
  });

  it("keeps IMDS retries at startup that cleared at info", async () => {
    const report = await run([
      j(ts(0), "info", "Starting L-IPAMD v1.19.6  ..."),
      j(
        ts(0, 5),
        "warn",
        "Retrying EC2 metadata request: EC2MetadataError: failed to make EC2Metadata request: dial tcp 169.254.169.254:80: i/o timeout",
      ),
      j(ts(0, 20), "info", "Serving RPC Handler on 127.0.0.1:50051"),
      j(ts(30), "debug", "AssignPodIPv4Address: Assign IP 10.0.12.44 to sandbox aws-cni/9/eth0"),
    ]);
    const imds = find(report, "ipamd.imds-error");
    expect(imds.severity).toBe("info");
    expect(imds.attributes.cleared).toBe(true);
  });

  it("reports IMDS errors that keep IPAMD from starting", async () => {
    const lines: string[] = [];
    for (let m = 0; m < 40; m += 8) {
      lines.push(j(ts(m), "info", "Starting L-IPAMD v1.19.6  ..."));
      lines.push(
        j(
          ts(m, 30),
          "error",
          "Failed to create a new IPAMD context: get instance metadata: failed to retrieve region data from instance metadata EC2MetadataError: failed to get IMDSv2 token and fallback to IMDSv1 is disabled",
        ),
      );
    }
    const report = await run(lines);
    expect(find(report, "ipamd.imds-error").severity).toBe("high");
    const restart = find(report, "ipamd.restart");
    expect(restart.severity).toBe("high");
    expect(restart.attributes).toMatchObject({ crashLoop: true, count: 5 });
  });

  it("reports an API server that IPAMD cannot reach, in a crash loop", async () => {
    const lines: string[] = [];
    for (let m = 0; m < 30; m += 6) {
      lines.push(j(ts(m), "info", "Starting L-IPAMD v1.20.4-eksbuild.1  ..."));
      lines.push(j(ts(m, 1), "info", "Testing communication with server"));
      lines.push(
        j(
          ts(m, 33),
          "error",
          'Failed to check API server connectivity: Get "https://172.20.0.1:443/version?timeout=32s": dial tcp 172.20.0.1:443: i/o timeout',
        ),
      );
      lines.push(
        j(
          ts(m, 33),
          "error",
          'Unable to reach API Server, Get "https://172.20.0.1:443/version?timeout=32s": dial tcp 172.20.0.1:443: i/o timeout',
        ),
      );
    }
    const report = await run(lines);
    expect(find(report, "ipamd.apiserver-error").severity).toBe("high");
    expect(find(report, "ipamd.restart").attributes.servedAfterLastStart).toBe(false);
  });

  it("keeps API server retries before IPAMD served at info", async () => {
    const report = await run([
      j(ts(0), "info", "Starting L-IPAMD v1.20.4-eksbuild.1  ..."),
      j(
        ts(0, 20),
        "error",
        'Failed to check API server connectivity: Get "https://172.20.0.1:443/version": dial tcp 172.20.0.1:443: connect: connection refused',
      ),
      j(ts(1), "info", "Serving RPC Handler on 127.0.0.1:50051"),
      j(ts(45), "debug", "IP pool stats: Total IPs/Prefixes = 9/0, AssignedIPs/CooldownIPs: 2/0, c.maxIPsPerENI = 9"),
    ]);
    expect(find(report, "ipamd.apiserver-error").severity).toBe("info");
    expect(aboveInfo(report)).toEqual([]);
  });

  it("treats two IPAMD starts days apart (an upgrade) as info", async () => {
    const report = await run([...healthyStart("json", 0), ...healthyStart("json", 2 * 24 * 60)]);
    const restart = find(report, "ipamd.restart");
    expect(restart.severity).toBe("info");
    expect(restart.count).toBe(2);
  });

  it("reports IPAMD that stopped serving after its last start", async () => {
    const report = await run([
      ...healthyStart("json", 0),
      j(ts(120), "info", "Starting L-IPAMD v1.20.4-eksbuild.1  ..."),
      j(ts(121), "info", "Testing communication with server"),
      j(ts(150), "debug", "IP pool stats: Total IPs/Prefixes = 9/0, AssignedIPs/CooldownIPs: 1/0, c.maxIPsPerENI = 9"),
    ]);
    const restart = find(report, "ipamd.restart");
    expect(restart.severity).toBe("medium");
    expect(restart.attributes.servedAfterLastStart).toBe(false);
  });

  it("marks errors that stopped hours before the window's end as stale info", async () => {
    const report = await run(
      [
        ...healthyStart(),
        j(ts(10), "error", INSUFFICIENT),
        j(ts(10, 1), "error", "DataStore has no available IP/Prefix addresses"),
      ],
      { window: { start: ts(0), end: ts(6 * 60) } },
    );
    for (const kind of ["ipamd.subnet-exhausted", "ipamd.datastore-empty"]) {
      const f = find(report, kind);
      expect(f.severity).toBe("info");
      expect(f.attributes.stale).toBe(true);
    }
  });

  it("ignores lines outside the window", async () => {
    const report = await run([...healthyStart(), j(ts(10), "error", INSUFFICIENT)], {
      window: { start: ts(30), end: ts(60) },
    });
    expect(kindsOf(report)).not.toContain("ipamd.subnet-exhausted");
  });

  it("answers no_data when the log is missing and error when it is empty", async () => {
    const missing = await runOn(tool, { "ipamd/ipam.json": "{}" });
    expect(missing.status).toBe("no_data");
    const empty = await run("");
    expect(empty.status).toBe("error");
    expect(empty.gaps).toEqual([{ source: LOG, reason: "file is empty" }]);
  });

  it("copes with CRLF line ends and binary garbage", async () => {
    const crlf = await run(
      `${[...healthyStart(), j(ts(20), "error", INSUFFICIENT.replace("\n\t", " "))].join("\r\n")}\r\n`,
    );
    expect(find(crlf, "ipamd.subnet-exhausted").evidence[0]?.excerpt.endsWith("\r")).toBe(false);
    const garbage = await run(Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7919 + 13) % 256));
    expect(garbage.status).toBe("ok");
  });
});

describe("parsePoolStats", () => {
  it.each([
    ["IP pool stats: total = 56, used = 51, c.maxIPsPerENI = 14", { total: 56, assigned: 51, maxIpsPerEni: 14 }],
    ["IP pool stats: total=12, used=3, c.currentMaxAddrsPerENI =9, c.maxAddrsPerENI = 10", { total: 12, assigned: 3 }],
    [
      "IP pool stats: Total IPs/Prefixes = 29/0, AssignedIPs/CooldownIPs: 10/0, c.maxIPsPerENI = 29",
      { total: 29, assigned: 10, cooldown: 0, prefixes: 0, maxIpsPerEni: 29 },
    ],
    [
      "IP pool stats for network card 0: Total IPs/Prefixes = 32/2, AssignedIPs/CooldownIPs: 30/1, c.maxIPsPerENI = 9",
      { total: 32, assigned: 30, cooldown: 1, prefixes: 2 },
    ],
    ["IP stats - total IPs: 29, assigned IPs: 10, cooldown IPs: 0", { total: 29, assigned: 10, cooldown: 0 }],
    ["AssignPodIPv4Address: IP address pool stats: total 29, assigned 9", { total: 29, assigned: 9 }],
    ["AssignIPv4Address: IP address pool stats: total: 0, assigned 0", { total: 0, assigned: 0 }],
    ["IP pool stats: Total IPs/Prefixes = 48, assigned IPs/CIDRs = 48", { total: 48, assigned: 48 }],
  ])("reads %s", (line, expected) => {
    expect(parsePoolStats(line)).toMatchObject(expected);
  });

  it("returns undefined without a total", () => {
    expect(parsePoolStats("AssignPodIPv6Address: IPv6 address pool stats: assigned 3")).toBeUndefined();
  });
});

describe("read_ipamd_log on the healthy baseline and the network faults", () => {
  const formats = [{}, { cniLogFormat: "text" as const, enisShape: "legacy" as const }];

  it.each([...formats, { enisShape: "flat" as const }, { ignoreIntrospection: true }])(
    "raises nothing above info on the healthy baseline %j",
    async (opts) => {
      const report = await runOn(tool, healthyBaseline(opts));
      expect(report.status).toBe("ok");
      expect(aboveInfo(report)).toEqual([]);
      expect(find(report, "ipamd.pool-stats").attributes.everFull).toBe(false);
    },
  );

  it.each(formats)("reads a full subnet, not a capacity or permission problem %j", async (opts) => {
    const report = await runOn(tool, withFaults(opts, subnetExhausted()));
    expect(find(report, "ipamd.subnet-exhausted")).toMatchObject({
      severity: "high",
      attributes: { errorCodes: ["InsufficientFreeAddressesInSubnet"], datastoreEmpty: true },
    });
    expect(find(report, "ipamd.datastore-empty").severity).toBe("high");
    expect(aboveInfo(report).filter((k) => !/subnet-exhausted|datastore-empty/.test(k))).toEqual([]);
  });

  it("reads the prefix-delegation variant as no /28 in the subnet", async () => {
    const report = await runOn(tool, withFaults({}, subnetExhausted({ prefixDelegation: true })));
    expect(find(report, "ipamd.subnet-exhausted")).toMatchObject({
      severity: "high",
      attributes: { prefixDelegation: true, errorCodes: ["InsufficientCidrBlocks"] },
    });
    expect(find(report, "ipamd.pool-stats").attributes).toMatchObject({ lastTotal: 0 });
    expect(find(report, "ipamd.restart").severity).toBe("info");
  });

  it.each(formats)(
    "reads pods beyond the ENI capacity as the ENI limit with an empty datastore and no EC2 errors %j",
    async (opts) => {
      const report = await runOn(tool, withFaults(opts, nodeIpCapacity()));
      expect(find(report, "ipamd.eni-limit-reached")).toMatchObject({
        severity: "high",
        attributes: { poolFull: true, datastoreEmpty: true },
      });
      expect(find(report, "ipamd.pool-stats").attributes.everFull).toBe(true);
      expect(kindsOf(report)).not.toContain("ipamd.subnet-exhausted");
      expect(kindsOf(report)).not.toContain("ipamd.ec2-throttled");
      expect(kindsOf(report)).not.toContain("ipamd.permission-denied");
    },
  );

  it.each(formats)("reads IPAMD restarting without serving as a crash loop %j", async (opts) => {
    const report = await runOn(tool, withFaults(opts, ipamdDown()));
    expect(find(report, "ipamd.restart")).toMatchObject({
      severity: "high",
      attributes: { crashLoop: true, servedAfterLastStart: false },
    });
    expect(kindsOf(report)).not.toContain("ipamd.datastore-empty");
  });

  it.each(formats)("reads EC2 throttling with the throttled APIs and no permission error %j", async (opts) => {
    const report = await runOn(tool, withFaults(opts, ec2Throttled()));
    expect(find(report, "ipamd.ec2-throttled")).toMatchObject({
      severity: "high",
      attributes: { apis: ["AssignPrivateIpAddresses", "DescribeNetworkInterfaces"] },
    });
    expect(kindsOf(report)).not.toContain("ipamd.permission-denied");
    expect(kindsOf(report)).not.toContain("ipamd.subnet-exhausted");
  });

  it.each(formats)("reads a missing CNI policy as permission denied on AssignPrivateIpAddresses %j", async (opts) => {
    const report = await runOn(tool, withFaults(opts, ipamdPermissionDenied()));
    expect(find(report, "ipamd.permission-denied")).toMatchObject({
      severity: "high",
      attributes: { apis: ["AssignPrivateIpAddresses"], errorCodes: ["UnauthorizedOperation"] },
    });
    expect(kindsOf(report)).not.toContain("ipamd.ec2-throttled");
  });

  it("names CreateNetworkInterface when the role cannot create ENIs", async () => {
    const report = await runOn(tool, withFaults({}, ipamdPermissionDenied({ api: "CreateNetworkInterface" })));
    expect(find(report, "ipamd.permission-denied").attributes.apis).toEqual(["CreateNetworkInterface"]);
  });
});
