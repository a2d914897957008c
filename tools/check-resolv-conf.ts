import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { EvidenceLocator } from "../src/domain/finding.ts";
import type { Severity } from "../src/domain/severity.ts";
import { splitLines } from "../src/evidence/lines.ts";
import type { EvidenceReader } from "../src/toolkit/evidence-reader.ts";
import { makeLocator } from "../src/toolkit/occurrences.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

const KINDS = {
  "dns.resolv-conf": kind(
    "The node's /etc/resolv.conf: nameservers, search domains, options (ndots, timeout, attempts, single-request-reopen, use-vc). It points at the VPC resolver, not kube-dns: that is normal",
    {
      nameservers: attr.texts("nameserver addresses, in file order"),
      search: attr.texts("Search domains from the last search/domain line"),
      options: attr.texts("Every word on options lines (e.g. ndots:5, single-request-reopen)"),
      singleRequestReopen: attr.flag("options single-request-reopen is set"),
      singleRequest: attr.flag("options single-request is set"),
      useVc: attr.flag("options use-vc or tcp is set (DNS over TCP)"),
      rotate: attr.flag("options rotate is set"),
      loopbackResolver: attr.flag("Every nameserver is a loopback address (127.x, ::1)"),
      ndots: attr.count("options ndots: dots a name needs before it is tried as absolute (dots)"),
      timeout: attr.seconds("options timeout: wait for each nameserver before retrying"),
      attempts: attr.count("options attempts: tries per nameserver (attempts)"),
    },
  ),
  "dns.cluster-dns": kind(
    "The kubelet's clusterDNS (config file, drop-ins, or --cluster-dns flag): the nameserver pods with dnsPolicy ClusterFirst get; notes NodeLocal DNSCache",
    {
      clusterDNS: attr.texts("The kubelet's clusterDNS addresses, in order"),
      source: z
        .enum(["config", "drop-in", "flag"])
        .describe("Where clusterDNS was set: kubelet config file, a config drop-in, or the --cluster-dns flag"),
      nodeLocalDns: attr.flag("A clusterDNS address is a NodeLocal DNSCache link-local address"),
      clusterDomain: attr.text("The kubelet's clusterDomain (config or --cluster-domain)"),
      resolvConf: attr.text("The kubelet's resolvConf path (config or --resolv-conf)"),
      kubeDnsClusterIP: attr.text("The kube-dns ClusterIP handed in (from inspect_iptables)"),
    },
  ),
  "dns.cluster-dns-unset": kind(
    "The kubelet configuration has no clusterDNS: ClusterFirst pods fall back to the node's resolver and cannot resolve cluster names",
    {
      configFiles: attr.texts("Kubelet config files and drop-ins read"),
    },
  ),
  "dns.clusterdns-mismatch": kind(
    "The kubelet's clusterDNS is not the kube-dns ClusterIP found in iptables (needs the kubeDnsClusterIP hand-off)",
    {
      clusterDNS: attr.texts("The kubelet's clusterDNS addresses, in order"),
      kubeDnsClusterIP: attr.text("The kube-dns ClusterIP handed in (from inspect_iptables)"),
      source: z
        .enum(["config", "drop-in", "flag"])
        .describe("Where clusterDNS was set: kubelet config file, a config drop-in, or the --cluster-dns flag"),
    },
  ),
  "dns.too-many-search-domains": kind(
    "More than 6 search domains or a search line over 256 characters: pods inherit them plus 3 cluster domains and lookups fan out or get truncated",
    {
      searchDomains: attr.count("Search domains on the search line (domains)"),
      searchChars: attr.count("Length of the search list joined by spaces (characters)"),
    },
  ),
  "dns.too-many-nameservers": kind(
    "More than 3 nameservers: the resolver ignores all but the first 3 and the kubelet warns for every pod",
    {
      nameservers: attr.texts("nameserver addresses, in file order"),
    },
  ),
  "dns.no-nameserver": kind(
    "resolv.conf names no nameserver: the resolver falls back to 127.0.0.1 and pods using the node's DNS fail",
    {
      empty: attr.flag("resolv.conf is empty"),
    },
  ),
};

const MAX_SEARCH_DOMAINS = 6;
const MAX_SEARCH_CHARS = 256;
const MAX_NAMESERVERS = 3;
const IP = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]+)$/;

interface ResolvConf {
  path: string;
  nameservers: string[];
  search: string[];
  searchChars: number;
  options: string[];
  ndots: number | undefined;
  timeout: number | undefined;
  attempts: number | undefined;
  nameserverLines: EvidenceLocator[];
  searchLine: EvidenceLocator | undefined;
  empty: boolean;
  unparsed: number;
}

function parseResolvConf(path: string, text: string): ResolvConf {
  const rc: ResolvConf = {
    path,
    nameservers: [],
    search: [],
    searchChars: 0,
    options: [],
    ndots: undefined,
    timeout: undefined,
    attempts: undefined,
    nameserverLines: [],
    searchLine: undefined,
    empty: text.trim() === "",
    unparsed: 0,
  };
  splitLines(text).forEach((raw, index) => {
    const line = raw.replace(/[#;].*$/, "").trim();
    if (line === "") return;
    const [keyword, ...args] = line.split(/\s+/);
    const locator = makeLocator(path, index + 1, undefined, raw.trim());
    switch (keyword) {
      case "nameserver":
        if (args[0] && IP.test(args[0])) {
          rc.nameservers.push(args[0]);
          rc.nameserverLines.push(locator);
        } else rc.unparsed += 1;
        break;
      // The last `search` or `domain` line wins, as in glibc.
      case "search":
      case "domain":
        rc.search = args;
        rc.searchChars = args.join(" ").length;
        rc.searchLine = locator;
        break;
      case "options":
        for (const option of args) {
          rc.options.push(option);
          const m = /^(ndots|timeout|attempts):(\d+)$/.exec(option);
          if (m) rc[m[1] as "ndots" | "timeout" | "attempts"] = Number(m[2]);
        }
        break;
      case "sortlist":
        break;
      default:
        rc.unparsed += 1;
    }
  });
  return rc;
}

interface ClusterDns {
  servers: string[];
  source: "flag" | "drop-in" | "config";
  evidence: EvidenceLocator;
}

interface KubeletDns {
  clusterDns: ClusterDns | undefined;
  clusterDomain: string | undefined;
  resolvConf: string | undefined;
  configRead: boolean;
  paths: string[];
}

function parseConfigText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return parseYaml(text) as unknown;
  }
}

function lineOf(text: string, needle: string): number | undefined {
  const index = text.indexOf(needle);
  return index < 0 ? undefined : text.slice(0, index).split("\n").length;
}

function excerptAt(text: string, line: number | undefined): string {
  return line === undefined ? "" : (splitLines(text)[line - 1] ?? "").trim();
}

/** Reads one kubelet config document; a present but unusable file becomes a gap. */
async function readConfig(
  read: EvidenceReader,
  path: string,
): Promise<{ value: Record<string, unknown>; text: string } | undefined> {
  const result = await read.textAt(path);
  if (result.state !== "ok") return undefined;
  if (result.text.trim() === "") {
    read.gap(path, "file is empty");
    return undefined;
  }
  let value: unknown;
  try {
    value = parseConfigText(result.text);
  } catch (error) {
    read.gap(path, `neither JSON nor YAML: ${(error as Error).message.slice(0, 120)}`);
    return undefined;
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    read.gap(path, "not a KubeletConfiguration object");
    return undefined;
  }
  return { value: value as Record<string, unknown>, text: result.text };
}

function stringList(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.filter((v): v is string => typeof v === "string" && v.trim() !== "").map((v) => v.trim());
}

async function readKubeletDns(read: EvidenceReader): Promise<KubeletDns> {
  const out: KubeletDns = {
    clusterDns: undefined,
    clusterDomain: undefined,
    resolvConf: undefined,
    configRead: false,
    paths: [],
  };
  const [configPath] = await read.paths("kubeletConfig");
  const documents: Array<{ path: string; source: "config" | "drop-in" }> = [];
  if (configPath) documents.push({ path: configPath, source: "config" });
  // Drop-ins apply after the main file, in lexical order, each overriding what it sets.
  for (const path of await read.paths("kubeletConfigDropIns")) documents.push({ path, source: "drop-in" });
  for (const { path, source } of documents) {
    const doc = await readConfig(read, path);
    if (!doc) continue;
    out.configRead = true;
    out.paths.push(path);
    const servers = stringList(doc.value.clusterDNS);
    if (servers && servers.length > 0) {
      const line = lineOf(doc.text, "clusterDNS");
      out.clusterDns = {
        servers,
        source,
        evidence: makeLocator(path, line, undefined, excerptAt(doc.text, line) || `clusterDNS: ${servers.join(", ")}`),
      };
    }
    if (typeof doc.value.clusterDomain === "string") out.clusterDomain = doc.value.clusterDomain;
    if (typeof doc.value.resolvConf === "string") out.resolvConf = doc.value.resolvConf;
  }
  // Command-line flags win over the configuration file.
  const [unitPath] = await read.paths("kubeletService");
  if (unitPath) {
    const unit = await read.textAt(unitPath);
    if (unit.state === "ok") {
      const lines = splitLines(unit.text);
      lines.forEach((line, index) => {
        const flag = /--cluster-dns[= ]([0-9a-fA-F.:,]+)/.exec(line);
        const servers = flag?.[1]?.split(",").filter((s) => IP.test(s));
        if (servers && servers.length > 0)
          out.clusterDns = {
            servers,
            source: "flag",
            evidence: makeLocator(unitPath, index + 1, undefined, line.trim()),
          };
        const domain = /--cluster-domain[= ]([a-z0-9.-]+)/.exec(line);
        if (domain) out.clusterDomain = domain[1];
        const resolv = /--resolv-conf[= ](\S+)/.exec(line);
        if (resolv) out.resolvConf = resolv[1];
      });
    }
  }
  return out;
}

/** NodeLocal DNSCache listens on a link-local address (169.254.20.10 by default), not the VPC resolver or IMDS. */
function isNodeLocalDns(ip: string): boolean {
  return ip.startsWith("169.254.") && ip !== "169.254.169.253" && ip !== "169.254.169.254";
}

function isLoopback(ip: string): boolean {
  return ip.startsWith("127.") || ip === "::1";
}

async function analyze(
  ctx: AnalyzerContext,
  input: { kubeDnsClusterIP?: string | undefined },
): Promise<FindingDraft[]> {
  const findings: FindingDraft[] = [];
  const resolvRead = await ctx.read.text("resolvConf");
  let rc: ResolvConf | undefined;
  if (resolvRead.state === "ok") {
    rc = parseResolvConf(resolvRead.path, resolvRead.text);
    if (rc.empty) ctx.read.gap(resolvRead.path, "file is empty");
    else if (rc.nameservers.length === 0 && rc.search.length === 0 && rc.options.length === 0 && rc.unparsed > 0) {
      ctx.read.gap(resolvRead.path, "no resolv.conf directives (nameserver, search, options)");
      rc = undefined;
    }
  }
  const kubelet = await readKubeletDns(ctx.read);

  if (rc) findings.push(...resolvFindings(rc));

  const clusterDns = kubelet.clusterDns;
  if (clusterDns) {
    const nodeLocal = clusterDns.servers.some(isNodeLocalDns);
    const handOff = input.kubeDnsClusterIP
      ? `kube-dns ClusterIP ${input.kubeDnsClusterIP} given`
      : "the kube-dns ClusterIP was not provided (run inspect_iptables and pass its iptables.kube-dns-service clusterIP as kubeDnsClusterIP), so no comparison was made";
    findings.push({
      kind: "dns.cluster-dns",
      severity: "info",
      summary: `The kubelet hands pods clusterDNS ${clusterDns.servers.join(", ")} (from the ${clusterDns.source === "flag" ? "--cluster-dns flag" : clusterDns.source === "drop-in" ? "config drop-in" : "config file"})${nodeLocal ? ", a NodeLocal DNSCache address" : ""}; ${handOff}`,
      evidence: [clusterDns.evidence],
      count: 1,
      attributes: {
        clusterDNS: clusterDns.servers,
        source: clusterDns.source,
        nodeLocalDns: nodeLocal,
        ...(kubelet.clusterDomain ? { clusterDomain: kubelet.clusterDomain } : {}),
        ...(kubelet.resolvConf ? { resolvConf: kubelet.resolvConf } : {}),
        ...(input.kubeDnsClusterIP ? { kubeDnsClusterIP: input.kubeDnsClusterIP } : {}),
      },
      correlateWith: input.kubeDnsClusterIP ? [] : ["inspect_iptables"],
    });
    if (input.kubeDnsClusterIP) {
      const mismatch = compareClusterDns(clusterDns, input.kubeDnsClusterIP, nodeLocal);
      if (mismatch) findings.push(mismatch);
    }
  } else if (kubelet.configRead) {
    findings.push({
      kind: "dns.cluster-dns-unset",
      severity: "medium",
      summary: `The kubelet configuration (${kubelet.paths.join(", ")}) sets no clusterDNS and no --cluster-dns flag was found: pods with dnsPolicy ClusterFirst get the node's resolver and cannot resolve cluster names`,
      evidence: kubelet.paths.slice(0, 2).map((path) => makeLocator(path, undefined, undefined, "no clusterDNS")),
      count: 1,
      attributes: { configFiles: kubelet.paths },
      correlateWith: ["read_kubelet_config"],
    });
  }
  return findings;
}

function compareClusterDns(clusterDns: ClusterDns, kubeDns: string, nodeLocal: boolean): FindingDraft | undefined {
  const servers = clusterDns.servers;
  if (servers[0] === kubeDns) return undefined;
  if (nodeLocal) return undefined;
  const listed = servers.includes(kubeDns);
  const severity: Severity = listed ? "low" : "high";
  return {
    kind: "dns.clusterdns-mismatch",
    severity,
    summary: listed
      ? `The kubelet lists kube-dns ${kubeDns} only after ${servers[0]} in clusterDNS: pods try ${servers[0]} first and wait for its timeout`
      : `The kubelet hands pods nameserver ${servers.join(", ")} but the kube-dns service ClusterIP is ${kubeDns}: cluster DNS lookups from pods go to the wrong address`,
    evidence: [clusterDns.evidence],
    count: 1,
    attributes: { clusterDNS: servers, kubeDnsClusterIP: kubeDns, source: clusterDns.source },
    correlateWith: ["read_kubelet_config", "inspect_iptables"],
  };
}

function resolvFindings(rc: ResolvConf): FindingDraft[] {
  const findings: FindingDraft[] = [];
  const first = rc.nameserverLines[0] ?? rc.searchLine;
  const flags = new Set(rc.options);
  const attributes: FindingDraft["attributes"] = {
    nameservers: rc.nameservers,
    search: rc.search,
    options: rc.options,
    singleRequestReopen: flags.has("single-request-reopen"),
    singleRequest: flags.has("single-request"),
    useVc: flags.has("use-vc") || flags.has("tcp"),
    rotate: flags.has("rotate"),
    loopbackResolver: rc.nameservers.length > 0 && rc.nameservers.every(isLoopback),
  };
  if (rc.ndots !== undefined) attributes.ndots = rc.ndots;
  if (rc.timeout !== undefined) attributes.timeout = rc.timeout;
  if (rc.attempts !== undefined) attributes.attempts = rc.attempts;
  if (!rc.empty) {
    findings.push({
      kind: "dns.resolv-conf",
      severity: "info",
      summary: `Node resolv.conf: nameserver ${rc.nameservers.join(", ") || "none"}; search ${rc.search.join(" ") || "none"}${rc.options.length ? `; options ${rc.options.join(" ")}` : ""} (the node's own resolver; pods get the kubelet's clusterDNS)`,
      evidence: [...rc.nameserverLines.slice(0, 2), ...(rc.searchLine ? [rc.searchLine] : [])],
      count: 1,
      attributes,
      correlateWith: [],
    });
  }
  if (rc.nameservers.length === 0) {
    findings.push({
      kind: "dns.no-nameserver",
      severity: "medium",
      summary: rc.empty
        ? "The node's resolv.conf is empty: no nameserver, the resolver falls back to 127.0.0.1"
        : "The node's resolv.conf names no nameserver: the resolver falls back to 127.0.0.1",
      evidence: first
        ? [first]
        : [makeLocator(rc.path, undefined, undefined, rc.empty ? "(empty file)" : "no nameserver line")],
      count: 1,
      attributes: { empty: rc.empty },
      correlateWith: [],
    });
  }
  if (rc.nameservers.length > MAX_NAMESERVERS) {
    findings.push({
      kind: "dns.too-many-nameservers",
      severity: "low",
      summary: `resolv.conf lists ${rc.nameservers.length} nameservers; only the first ${MAX_NAMESERVERS} are used (${rc.nameservers.slice(MAX_NAMESERVERS).join(", ")} ignored)`,
      evidence: rc.nameserverLines.slice(MAX_NAMESERVERS, MAX_NAMESERVERS + 2),
      count: rc.nameservers.length,
      attributes: { nameservers: rc.nameservers },
      correlateWith: [],
    });
  }
  if (rc.search.length > MAX_SEARCH_DOMAINS || rc.searchChars > MAX_SEARCH_CHARS) {
    findings.push({
      kind: "dns.too-many-search-domains",
      severity: "low",
      summary: `resolv.conf has ${rc.search.length} search domains (${rc.searchChars} characters); pods inherit them plus 3 cluster domains, so every lookup of a short name fans out and the kubelet truncates the list`,
      evidence: rc.searchLine ? [rc.searchLine] : [],
      count: rc.search.length,
      attributes: { searchDomains: rc.search.length, searchChars: rc.searchChars },
      correlateWith: [],
    });
  }
  return findings;
}

export const checkResolvConf = defineTool({
  name: "check_resolv_conf",
  title: "DNS configuration (resolv.conf and kubelet clusterDNS)",
  lane: "service",
  description:
    "Reads the node's /etc/resolv.conf (networking/resolv.conf: nameservers, search domains, ndots/timeout/attempts, single-request-reopen, use-vc) and the kubelet's clusterDNS (kubelet/config.json, its config.json.d drop-ins, and a --cluster-dns flag in the unit). " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. The node's own resolver pointing at the VPC resolver (e.g. 10.0.0.2, 169.254.169.253) is normal and not flagged. ` +
    "Pass `kubeDnsClusterIP` from inspect_iptables (finding iptables.kube-dns-service, attribute clusterIP) to check dns.clusterdns-mismatch; without it only facts are reported. Next: inspect_iptables, inspect_conntrack (insert_failed for 5 s DNS delays), read_kubelet_config.",
  sources: ["resolvConf", "kubeletConfig", "kubeletConfigDropIns", "kubeletService"],
  kinds: KINDS,
  input: {
    kubeDnsClusterIP: z
      .string()
      .regex(IP, "an IPv4 or IPv6 address")
      .optional()
      .describe(
        "The kube-dns service ClusterIP from inspect_iptables (finding iptables.kube-dns-service, attribute clusterIP); enables the clusterDNS mismatch check",
      ),
  },
  analyze,
});
