import { describe, expect, it } from "vitest";
import type { ToolReport } from "../../src/domain/tool-report.ts";
import { healthyBaseline } from "../../src/fixtures/baseline.ts";
import { withFaults } from "../../src/fixtures/fault.ts";
import { ipamdDown, subnetExhausted } from "../../src/fixtures/faults/network.ts";
import type { ToolInput } from "../../src/toolkit/run-tool.ts";
import { readCniPluginLog } from "../../tools/read-cni-plugin-log.ts";
import { aboveInfo, kindOf, kindsOf, runOn } from "./helpers.ts";

const tool = readCniPluginLog;
const LOG = "var_log/aws-routed-eni/plugin.log";

async function run(lines: string[] | string | Uint8Array, input: ToolInput = {}): Promise<ToolReport> {
  const content = Array.isArray(lines) ? `${lines.join("\n")}\n` : lines;
  return runOn(tool, { [LOG]: content }, input);
}

function find(report: ToolReport, kind: string) {
  const found = kindOf(report, kind);
  if (!found) throw new Error(`no ${kind} in ${kindsOf(report).join(", ")}`);
  return found;
}

function ts(minute: number, second = 0): string {
  return new Date(Date.UTC(2026, 10, 24, 10, 0, 0) + minute * 60_000 + second * 1000).toISOString();
}

const j = (at: string, level: string, msg: string, caller = "routed-eni-cni-plugin/cni.go:128") =>
  JSON.stringify({ level, ts: at, caller, msg });
const t = (at: string, level: string, msg: string) => `${at} [${level.toUpperCase()}]\t${msg}`;

const STDIN =
  '{"cniVersion":"0.4.0","mtu":"9001","name":"aws-cni","pluginLogFile":"/var/log/aws-routed-eni/plugin.log","pluginLogLevel":"DEBUG","podSGEnforcingMode":"strict","type":"aws-cni","vethPrefix":"eni"}';

function addRequest(at: string, id: string, ns: string, pod: string, fmt: "json" | "text" = "json"): string {
  const msg = `Received CNI add request: ContainerID(${id}) Netns(/var/run/netns/cni-1f2e) IfName(eth0) Args(K8S_POD_INFRA_CONTAINER_ID=${id};K8S_POD_UID=3c1d;IgnoreUnknown=1;K8S_POD_NAMESPACE=${ns};K8S_POD_NAME=${pod}) Path(/opt/cni/bin) argsStdinData(${STDIN})`;
  return fmt === "json" ? j(at, "info", msg) : t(at, "info", msg);
}

function addOk(at: string, id: string, ip: string, fmt: "json" | "text" = "json"): string {
  const msg = `Received add network response from ipamd for container ${id} interface eth0: Success:true  IPAllocationMetadata:{IPv4Addr:"${ip}"  DeviceNumber:0  RouteTableId:1}  VPCv4CIDRs:"10.0.0.0/16"  NetworkPolicyMode:"standard"`;
  return fmt === "json" ? j(at, "info", msg) : t(at, "info", msg);
}

const ID = (n: number) =>
  `${n.toString(16).padStart(4, "0")}c0ffee1234567890abcdef1234567890abcdef1234567890abcdef1234`.slice(0, 64);

function healthy(fmt: "json" | "text" = "json"): string[] {
  return [
    addRequest(ts(0), ID(1), "kube-system", "coredns-5d8f7c9b4-x2x9q", fmt),
    addOk(ts(0, 1), ID(1), "10.0.12.40", fmt),
    addRequest(ts(5), ID(2), "shop", "orders-7c9d-4kq2z", fmt),
    addOk(ts(5, 1), ID(2), "10.0.12.41", fmt),
  ];
}

const REFUSED =
  'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:50051: connect: connection refused"';

describe("read_cni_plugin_log", () => {
  it("reports request counts and nothing above info for healthy adds in either format", async () => {
    for (const fmt of ["json", "text"] as const) {
      const report = await run(healthy(fmt));
      expect(report.status).toBe("ok");
      expect(aboveInfo(report)).toEqual([]);
      expect(find(report, "cni.requests").attributes).toMatchObject({
        adds: 2,
        dels: 0,
        successfulAdds: 2,
        failedAdds: 0,
        lastSuccessfulAddAt: ts(5, 1),
      });
    }
  });

  it("reports IPAMD unreachable on 127.0.0.1:50051 with the failing pods", async () => {
    const report = await run([
      ...healthy(),
      addRequest(ts(20), ID(3), "shop", "cart-6f7d-9xk2p"),
      j(ts(20, 1), "error", `Error received from AddNetwork grpc call for containerID ${ID(3)}: ${REFUSED}`),
      addRequest(ts(21), ID(4), "shop", "cart-6f7d-2mn8q"),
      j(ts(21, 1), "error", `Error received from AddNetwork grpc call for containerID ${ID(4)}: ${REFUSED}`),
    ]);
    const down = find(report, "cni.ipamd-unreachable");
    expect(down.severity).toBe("high");
    expect(down.attributes).toMatchObject({
      addFailures: 2,
      delFailures: 0,
      pods: ["shop/cart-6f7d-9xk2p", "shop/cart-6f7d-2mn8q"],
    });
    expect(kindsOf(report)).not.toContain("cni.add-errors");
    expect(find(report, "cni.requests").attributes.failedAdds).toBe(2);
  });

  it("reports IPAMD unreachable in the old text format", async () => {
    const report = await run([
      ...healthy("text"),
      t(
        ts(20),
        "error",
        `Error received from AddNetwork grpc call for pod cart-6f7d-9xk2p namespace shop container ${ID(3)}: rpc error: code = Unavailable desc = all SubConns are in TransientFailure, latest connection error: connection error: desc = "transport: Error while dialing dial tcp 127.0.0.1:50051: connect: connection refused"`,
      ),
    ]);
    const down = find(report, "cni.ipamd-unreachable");
    expect(down.severity).toBe("high");
    expect(down.attributes.pods).toEqual(["shop/cart-6f7d-9xk2p"]);
  });

  it("reports a brief IPAMD restart that adds recovered from as low", async () => {
    const report = await run([
      ...healthy(),
      j(ts(10), "error", `Error received from AddNetwork grpc call for containerID ${ID(3)}: ${REFUSED}`),
      addRequest(ts(11), ID(5), "shop", "cart-6f7d-9xk2p"),
      addOk(ts(11, 1), ID(5), "10.0.12.42"),
      addRequest(ts(60), ID(6), "shop", "frontend-1"),
      addOk(ts(60, 1), ID(6), "10.0.12.43"),
    ]);
    const down = find(report, "cni.ipamd-unreachable");
    expect(down.severity).toBe("low");
    expect(down.attributes.recovered).toBe(true);
  });

  it("reports IPAMD unreachable only on DEL as medium", async () => {
    const report = await run([
      ...healthy(),
      j(ts(20), "error", `Error received from DelNetwork gRPC call for container ${ID(2)}: ${REFUSED}`),
    ]);
    const down = find(report, "cni.ipamd-unreachable");
    expect(down.severity).toBe("medium");
    expect(down.attributes).toMatchObject({ addFailures: 0, delFailures: 1 });
    expect(kindsOf(report)).not.toContain("cni.del-errors");
  });

  it("reports failed IP assignment with the pod names from the add requests", async () => {
    const report = await run([
      ...healthy(),
      addRequest(ts(30), ID(7), "batch", "report-28768119-xvn9r"),
      j(ts(30, 1), "error", `Failed to assign an IP address to container ${ID(7)}`),
    ]);
    const failed = find(report, "cni.ip-assign-failed");
    expect(failed.severity).toBe("high");
    expect(failed.attributes.pods).toEqual(["batch/report-28768119-xvn9r"]);
    expect(failed.count).toBe(1);
  });

  it("counts the old 'Failed CNI request: add cmd: failed to assign' wording once", async () => {
    const report = await run([
      ...healthy("text"),
      t(ts(30), "error", "Failed CNI request: add cmd: failed to assign an IP address to container"),
      t(ts(31), "error", "Failed CNI request: add cmd: failed to assign an IP address to container"),
    ]);
    const failed = find(report, "cni.ip-assign-failed");
    expect(failed.count).toBe(2);
    expect(kindsOf(report)).not.toContain("cni.add-errors");
  });

  it("reports other ADD failures with their reasons", async () => {
    const report = await run([
      ...healthy(),
      j(
        ts(30),
        "error",
        `Failed SetupPodNetwork for container ${ID(8)}: SetupPodNetwork: failed to setup veth pair: failed to setup veth network: file exists`,
      ),
      j(ts(31), "error", "Failed to connect to network policy agent: context deadline exceeded"),
    ]);
    const errors = find(report, "cni.add-errors");
    expect(errors.severity).toBe("medium");
    expect(errors.attributes.reasons).toEqual(["network-policy", "setup-network"]);
    expect(kindsOf(report)).not.toContain("cni.ipamd-unreachable");
  });

  it("keeps a few DEL failures at info and flags many", async () => {
    const few = await run([
      ...healthy(),
      j(
        ts(30),
        "error",
        `Failed on TeardownPodNetwork for container ID ${ID(2)}: failed to delete route: no such process`,
      ),
    ]);
    expect(find(few, "cni.del-errors").severity).toBe("info");
    expect(aboveInfo(few)).toEqual([]);
    const lines = healthy();
    for (let i = 0; i < 12; i++)
      lines.push(j(ts(30, i), "error", `Failed to process delete request for container ${ID(i)}: Success == false`));
    expect(find(await run(lines), "cni.del-errors").severity).toBe("low");
  });

  it("does not read 'Container not found' on DEL as an error", async () => {
    const report = await run([...healthy(), j(ts(30), "info", `Container ${ID(9)} not found`)]);
    expect(kindsOf(report)).toEqual(["cni.requests"]);
  });

  it("marks failures that stopped hours before the window's end as stale info", async () => {
    const report = await run(
      [
        ...healthy(),
        j(ts(10), "error", `Error received from AddNetwork grpc call for containerID ${ID(3)}: ${REFUSED}`),
        j(ts(11), "error", `Failed to assign an IP address to container ${ID(3)}`),
      ],
      {
        window: { start: ts(0), end: ts(8 * 60) },
      },
    );
    expect(aboveInfo(report)).toEqual([]);
    expect(find(report, "cni.ipamd-unreachable").attributes.stale).toBe(true);
  });

  it("answers no_data when the log is missing and error when it is empty", async () => {
    const missing = await runOn(tool, { "var_log/aws-routed-eni/ipamd.log": "x\n" });
    expect(missing.status).toBe("no_data");
    const empty = await run("");
    expect(empty.status).toBe("error");
    expect(empty.gaps[0]?.source).toBe(LOG);
  });

  it("copes with CRLF line ends and binary garbage", async () => {
    const crlf = await run(
      `${[...healthy(), j(ts(20), "error", `Error received from AddNetwork grpc call for containerID ${ID(3)}: ${REFUSED}`)].join("\r\n")}\r\n`,
    );
    expect(find(crlf, "cni.ipamd-unreachable").severity).toBe("high");
    const garbage = await run(Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31 + 7) % 256));
    expect(garbage.status).toBe("ok");
    expect(garbage.findings).toEqual([]);
  });
});

describe("read_cni_plugin_log on the healthy baseline and the network faults", () => {
  const formats = [{}, { cniLogFormat: "text" as const, enisShape: "legacy" as const }];

  it.each([...formats, { ignoreIntrospection: true }])(
    "raises nothing above info on the healthy baseline %j",
    async (opts) => {
      const report = await runOn(tool, healthyBaseline(opts));
      expect(report.status).toBe("ok");
      expect(aboveInfo(report)).toEqual([]);
      const requests = find(report, "cni.requests");
      expect(requests.attributes.failedAdds).toBe(0);
      expect(requests.attributes.successfulAdds).toBe(requests.attributes.adds);
    },
  );

  it.each(formats)("reads IPAMD down as ADDs refused on 127.0.0.1:50051, naming the pods %j", async (opts) => {
    const report = await runOn(tool, withFaults(opts, ipamdDown()));
    const down = find(report, "cni.ipamd-unreachable");
    expect(down.severity).toBe("high");
    expect((down.attributes.pods as string[]).every((p) => p.startsWith("shop/"))).toBe(true);
    expect(kindsOf(report)).not.toContain("cni.ip-assign-failed");
  });

  it.each(formats)("reads an empty pool as failed IP assignment, not IPAMD down %j", async (opts) => {
    const report = await runOn(tool, withFaults(opts, subnetExhausted()));
    const failed = find(report, "cni.ip-assign-failed");
    expect(failed.severity).toBe("high");
    expect((failed.attributes.pods as string[]).length).toBeGreaterThan(0);
    expect(kindsOf(report)).not.toContain("cni.ipamd-unreachable");
  });
});
