import { z } from "zod";
import { iso } from "../src/evidence/clock.ts";
import type { LineCursor } from "../src/evidence/lines.ts";
import { makeLocator } from "../src/toolkit/occurrences.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

const KINDS = {
  "node.identity": kind(
    "Who the node is: instance id, region, AZ, hostname, kernel, kubelet / containerd / VPC CNI versions, boot and collection time and how the collection time was derived (fact)",
    {
      nodeName: attr.text("Node name the investigation is about"),
      instanceId: attr.text("EC2 instance id (system/instance-id.txt)"),
      region: attr.text("AWS region (system/region.txt)"),
      availabilityZone: attr.text("Availability zone (system/availability-zone.txt)"),
      hostname: attr.text("OS hostname (uname -a, second field)"),
      kernel: attr.text("Kernel release (uname -a, third field)"),
      kubeletVersion: attr.text("kubelet version from its journal's startup line (e.g. v1.29.3)"),
      containerdVersion: attr.text("containerd version from its log's startup line"),
      cniVersion: attr.text("VPC CNI (ipamd) version from its log's startup line"),
      bootTime: attr.instant("When the node booted (btime)"),
      collectedAt: attr.instant("When the bundle was collected"),
      collectedFrom: z
        .enum(["archive-name", "newest-timestamp", "unknown"])
        .describe(
          "How the collection time was derived: from the archive name, the newest timestamp in the bundle, or unknown",
        ),
    },
  ),
  "node.hostname-mismatch": kind(
    "The OS hostname is not the EC2 private DNS name the node's credentials are issued for (custom DHCP domain-name, hostname concatenated with a domain): evidence for a node-name mismatch",
    { hostname: attr.text("OS hostname (uname -a) that is not an EC2 private DNS name") },
  ),
  "node.identity-missing": kind("The bundle does not say which instance it is from (no instance-id / region)", {}),
};

const HEAD_BYTES = 2 * 1024 * 1024;
/** EC2 private DNS names: ip-a-b-c-d.ec2.internal or ip-a-b-c-d.<region>.compute.internal. */
const PRIVATE_DNS =
  /^ip-\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}\.(ec2\.internal|[a-z]{2}(-gov)?-[a-z]+-\d\.compute\.internal)$/;

/** Reads up to the first matching line of a (possibly huge) log, stopping early. */
async function firstMatch(
  ctx: AnalyzerContext,
  name: "kubeletJournal" | "containerdLog" | "ipamdLog",
  pattern: RegExp,
): Promise<{ path: string; line: number; text: string; match: RegExpExecArray } | undefined> {
  const [path] = await ctx.read.paths(name);
  if (!path) return undefined;
  let found: { path: string; line: number; text: string; match: RegExpExecArray } | undefined;
  let seen = 0;
  await ctx.read.scanAt(path, (cursor: LineCursor) => {
    seen += cursor.end - cursor.start + 1;
    const text = cursor.chunk.slice(cursor.start, cursor.end);
    const match = pattern.exec(text);
    if (match) {
      found = { path, line: cursor.lineNo, text: cursor.text(), match };
      return false;
    }
    return seen < HEAD_BYTES;
  });
  return found;
}

async function small(
  ctx: AnalyzerContext,
  name: "instanceId" | "region" | "availabilityZone" | "uname",
): Promise<string | undefined> {
  const read = await ctx.read.text(name, 64 * 1024);
  return read.state === "ok" ? read.text.trim() || undefined : undefined;
}

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const instanceId = await small(ctx, "instanceId");
  const region = await small(ctx, "region");
  const az = await small(ctx, "availabilityZone");
  const uname = await small(ctx, "uname");
  const unameParts = uname?.split(/\s+/) ?? [];
  const hostname = unameParts[1];
  const kernel = unameParts[2];
  const kubelet = await firstMatch(ctx, "kubeletJournal", /kubeletVersion="(v[^"]+)"|Kubernetes v(\d+\.\d+\.\d+\S*)/);
  const containerd = await firstMatch(
    ctx,
    "containerdLog",
    /starting containerd"? .*version=(v?[\w.+-]+)|containerd (?:successfully booted|version) .*?(v?\d+\.\d+\.\d+[\w.+-]*)/,
  );
  const cni = await firstMatch(ctx, "ipamdLog", /Starting L-IPAMD\s*(v[\w.+-]+)|"version":"(v[\w.+-]+)"/);
  const attributes: FindingDraft["attributes"] = {};
  const set = (key: string, value: string | undefined) => {
    if (value) attributes[key] = value;
  };
  set("nodeName", ctx.node);
  set("instanceId", instanceId);
  set("region", region);
  set("availabilityZone", az);
  set("hostname", hostname);
  set("kernel", kernel);
  set("kubeletVersion", kubelet ? (kubelet.match[1] ?? kubelet.match[2]) : undefined);
  set("containerdVersion", containerd ? (containerd.match[1] ?? containerd.match[2]) : undefined);
  set("cniVersion", cni ? (cni.match[1] ?? cni.match[2]) : undefined);
  set("bootTime", iso(ctx.clock.bootTime));
  set("collectedAt", iso(ctx.clock.collectedAt));
  attributes.collectedFrom = ctx.clock.collectedFrom;
  const evidence = [kubelet, containerd, cni]
    .filter((x) => x !== undefined)
    .map((x) => makeLocator(x.path, x.line, undefined, x.text));
  const findings: FindingDraft[] = [
    {
      kind: "node.identity",
      severity: "info",
      summary: `${ctx.node}${instanceId ? ` (${instanceId}${az ? `, ${az}` : ""})` : ""}${kernel ? `, kernel ${kernel}` : ""}${attributes.kubeletVersion ? `, kubelet ${attributes.kubeletVersion}` : ""}`,
      evidence,
      count: 1,
      attributes,
      correlateWith: [],
    },
  ];
  if (hostname && /^ip-\d/.test(hostname) && !PRIVATE_DNS.test(hostname) && hostname.includes(".")) {
    const [unamePath] = await ctx.read.paths("uname");
    findings.push({
      kind: "node.hostname-mismatch",
      severity: "medium",
      summary: `The hostname ${hostname} is not an EC2 private DNS name (ip-….ec2.internal / ….compute.internal): a custom DHCP domain-name or hostname override makes the node's name differ from its credentials`,
      evidence: unamePath ? [makeLocator(unamePath, 1, undefined, uname ?? "")] : [],
      count: 1,
      attributes: { hostname },
      correlateWith: ["read_kubelet_journal", "read_kubelet_config"],
    });
  }
  if (!instanceId || !region) {
    findings.push({
      kind: "node.identity-missing",
      severity: "low",
      summary: `The bundle does not say ${!instanceId ? "which instance it is from" : "which region it is in"} (system/instance-id.txt, region.txt)`,
      evidence: [],
      count: 1,
      attributes: {},
      correlateWith: ["list_bundle_inventory"],
    });
  }
  return findings;
}

export const readNodeIdentity = defineTool({
  name: "read_node_identity",
  title: "Node identity",
  lane: "host",
  description:
    "Reads who the node is: instance id, region and AZ (system/*.txt), hostname and kernel (uname), kubelet, containerd and VPC CNI versions (from their logs' startup lines), boot time (btime) and collection time (and how it was derived). " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. A hostname that is not an EC2 private DNS name is evidence for a node-name mismatch. ` +
    "Next: read_kubelet_journal for registration errors, list_bundle_inventory for what the bundle holds.",
  sources: ["instanceId", "region", "availabilityZone", "uname"],
  kinds: KINDS,
  input: {},
  analyze,
});
