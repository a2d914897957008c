import { z } from "zod";
import type { Severity } from "../src/domain/severity.ts";
import { journalLineTime } from "../src/toolkit/log-signals.ts";
import { OccurrenceTable, type Occurrences } from "../src/toolkit/occurrences.ts";
import { criMessage, criTime, dedupeContainerLogs, parseContainerLogPath } from "../src/toolkit/parse-container-log.ts";
import { humanDuration, inWindow, isRecent } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";

const KINDS = {
  "coredns.upstream-timeouts":
    "CoreDNS forwarded queries that timed out (read udp …->upstream:53: i/o timeout, no healthy proxies): evidence for dns.vpc-resolver-throttled; attributes upstreams, toVpcResolver",
  "coredns.loop-detected":
    "[FATAL] plugin/loop: CoreDNS forwards to itself (resolv.conf points at a local stub) and exits",
  "coredns.servfail": "Queries answered SERVFAIL (from the log plugin's query lines); attributes names, slowAnswers",
  "coredns.apiserver-unreachable":
    "The kubernetes plugin cannot list/watch the API server (failed to list, Kubernetes API connection failure): cluster names do not resolve; info for start-up retries that stopped",
  "coredns.errors":
    "Other [ERROR] lines (connection refused, network is unreachable, REFUSED upstreams…); attribute causes",
  "coredns.nxdomain": "Fact: NXDOMAIN answers (search-path expansions, health-check names): a red herring on its own",
  "coredns.pods": "Fact: which CoreDNS pods logged on this node, their version and how many lines were errors",
} as const;
type Kind = keyof typeof KINDS;

/** One global regex over whole chunks; everything else in a query log is skipped unread. */
const PREFILTER = /\[ERROR\]|\[FATAL\]|\[WARNING\]|SERVFAIL|NXDOMAIN|CoreDNS-|plugin\/ready|plugin\/loop/g;
const QUERY_LINE = /"(\S+) IN (\S+) (?:udp|tcp) \d+ (?:true|false) \d+" (\w+) \S* \d+ ([\d.]+)s/;
const ERRORS_LINE = /\[ERROR\] plugin\/errors: (\d+) (\S+) (\S+): (.*)$/;
const TIMEOUT = /i\/o timeout|timed out|deadline exceeded|no healthy proxies|no healthy upstream/;
const API =
  /plugin\/kubernetes|failed to list|Failed to watch|failed to watch|Kubernetes API connection failure|:443\b|\/api\/v1|\/apis\//;
const HEALTH_NAME = /health|readiness|liveness|probe|ping|canary/i;
/** Names that only exist because of the pod's search path (ndots:5 expansions). */
const SEARCH_EXPANSION = /\.(svc\.cluster\.local|cluster\.local|ec2\.internal|compute\.internal)\.$/;

interface Extras {
  upstreams: Map<string, number>;
  qtypes: Set<string>;
  timeoutNames: Set<string>;
  loopProbeOnly: boolean;
  servfailNames: Set<string>;
  slowAnswers: number;
  nxNames: Set<string>;
  nxHealth: number;
  nxSearch: number;
  errorCauses: Set<string>;
  loopZones: Set<string>;
  pods: Set<string>;
  version: string | undefined;
  errorLines: number;
  readyWaits: number;
}

function errorCause(err: string): string {
  if (/connection refused/.test(err)) return "connection-refused";
  if (/network is unreachable|no route to host/.test(err)) return "unreachable";
  if (/REFUSED/.test(err)) return "upstream-refused";
  if (/overflow|truncated/i.test(err)) return "truncated";
  return "other";
}

function upstreamOf(err: string): string | undefined {
  const m =
    /->\[?([0-9a-fA-F.:]+?)\]?:(\d+)/.exec(err) ??
    /(?:dial|read|write) (?:udp|tcp) \[?([0-9a-fA-F.:]+?)\]?:(\d+)/.exec(err);
  return m ? `${m[1]}:${m[2]}` : undefined;
}

function classify(line: string): Kind | "ready-wait" | undefined {
  if (line.includes("[FATAL]") && line.includes("plugin/loop")) return "coredns.loop-detected";
  const q = line.includes("SERVFAIL") || line.includes("NXDOMAIN") ? QUERY_LINE.exec(line) : null;
  if (q) return q[3] === "SERVFAIL" ? "coredns.servfail" : q[3] === "NXDOMAIN" ? "coredns.nxdomain" : undefined;
  if (line.includes("plugin/ready") && line.includes("Still waiting on")) return "ready-wait";
  const isError = line.includes("[ERROR]") || line.includes("[FATAL]");
  const isWarning = line.includes("[WARNING]");
  if (!isError && !isWarning) return undefined;
  if (
    API.test(line) &&
    (TIMEOUT.test(line) ||
      /connection refused|no route to host|Unauthorized|forbidden|connection failure|failed to list|Failed to watch/.test(
        line,
      ))
  )
    return "coredns.apiserver-unreachable";
  if (!isError) return undefined;
  if (ERRORS_LINE.test(line) && TIMEOUT.test(line)) return "coredns.upstream-timeouts";
  return "coredns.errors";
}

function collect(kind: Kind, line: string, x: Extras): void {
  switch (kind) {
    case "coredns.upstream-timeouts": {
      const m = ERRORS_LINE.exec(line);
      if (!m) break;
      const [, , name, qtype, err] = m as unknown as [string, string, string, string, string];
      x.qtypes.add(qtype);
      if (qtype !== "HINFO") x.loopProbeOnly = false;
      if (x.timeoutNames.size < 5 && qtype !== "HINFO") x.timeoutNames.add(name);
      const upstream = upstreamOf(err) ?? (/no healthy/.test(err) ? "no-healthy-upstream" : "unknown");
      x.upstreams.set(upstream, (x.upstreams.get(upstream) ?? 0) + 1);
      break;
    }
    case "coredns.servfail": {
      const q = QUERY_LINE.exec(line);
      if (!q) break;
      if (x.servfailNames.size < 5) x.servfailNames.add(q[2] as string);
      if (Number(q[4]) >= 2) x.slowAnswers += 1;
      break;
    }
    case "coredns.nxdomain": {
      const q = QUERY_LINE.exec(line);
      if (!q) break;
      const name = q[2] as string;
      if (HEALTH_NAME.test(name)) x.nxHealth += 1;
      if (SEARCH_EXPANSION.test(name)) x.nxSearch += 1;
      if (x.nxNames.size < 5) x.nxNames.add(name);
      break;
    }
    case "coredns.errors": {
      const m = ERRORS_LINE.exec(line);
      x.errorCauses.add(errorCause(m ? (m[4] as string) : line));
      break;
    }
    case "coredns.loop-detected": {
      const z = /detected for zone "([^"]+)"/.exec(line);
      if (z) x.loopZones.add(z[1] as string);
      break;
    }
    default:
      break;
  }
}

/** The VPC resolver is the VPC base +2 (x.x.x.2 on the usual /16../24) or the link-local 169.254.169.253. */
function looksLikeVpcResolver(ip: string): boolean {
  return ip === "169.254.169.253" || /^\d+\.\d+\.0\.2$/.test(ip) || /^\d+\.\d+\.\d+\.2$/.test(ip);
}

const BASE: Record<Kind, Severity> = {
  "coredns.upstream-timeouts": "high",
  "coredns.loop-detected": "critical",
  "coredns.servfail": "medium",
  "coredns.apiserver-unreachable": "high",
  "coredns.errors": "medium",
  "coredns.nxdomain": "info",
  "coredns.pods": "info",
};

const CORRELATE: Partial<Record<Kind, string[]>> = {
  "coredns.upstream-timeouts": ["check_resolv_conf", "inspect_conntrack", "read_sysctls"],
  "coredns.loop-detected": ["check_resolv_conf"],
  "coredns.servfail": ["check_resolv_conf"],
  "coredns.apiserver-unreachable": ["inspect_iptables", "read_kube_proxy_log"],
  "coredns.errors": ["check_resolv_conf"],
};

function severityFor(kind: Kind, occ: Occurrences, x: Extras): Severity {
  const n = occ.count;
  switch (kind) {
    case "coredns.upstream-timeouts":
      if (x.loopProbeOnly) return n >= 3 ? "low" : "info";
      return n >= 10 ? "high" : n >= 3 ? "medium" : "low";
    case "coredns.servfail":
      return n >= 20 ? "medium" : "low";
    case "coredns.errors":
      return n >= 5 ? "medium" : "low";
    case "coredns.apiserver-unreachable":
      return n >= 3 ? "high" : "medium";
    default:
      return BASE[kind];
  }
}

function summarize(kind: Kind, occ: Occurrences, x: Extras, vpcHit: boolean): string {
  const n = `${occ.count} time${occ.count === 1 ? "" : "s"}`;
  switch (kind) {
    case "coredns.upstream-timeouts": {
      const ups = [...x.upstreams.keys()].slice(0, 3).join(", ");
      return `CoreDNS upstream queries timed out ${n} (upstream ${ups}${vpcHit ? ", the VPC resolver" : ""})${x.loopProbeOnly ? "; only its start-up HINFO probes" : ""}`;
    }
    case "coredns.loop-detected":
      return `CoreDNS detected a forwarding loop${x.loopZones.size ? ` for zone ${[...x.loopZones].join(", ")}` : ""} and exits (${n})`;
    case "coredns.servfail":
      return `CoreDNS answered SERVFAIL ${n}${x.slowAnswers ? ` (${x.slowAnswers} after ≥ 2 s)` : ""}`;
    case "coredns.apiserver-unreachable":
      return `CoreDNS's kubernetes plugin could not reach the API server ${n}`;
    case "coredns.errors":
      return `CoreDNS logged ${occ.count} other error${occ.count === 1 ? "" : "s"} (${[...x.errorCauses].sort().join(", ")})`;
    case "coredns.nxdomain":
      return `CoreDNS answered NXDOMAIN ${n} (${x.nxSearch} search-path expansions, ${x.nxHealth} health-check names)`;
    default:
      return KINDS[kind];
  }
}

async function analyze(ctx: AnalyzerContext, input: { nameservers?: string[] | undefined }): Promise<FindingDraft[]> {
  const paths = dedupeContainerLogs(await ctx.read.paths("corednsLogs"));
  if (paths.length === 0) return [];
  const table = new OccurrenceTable<Kind>();
  const x: Extras = {
    upstreams: new Map(),
    qtypes: new Set(),
    timeoutNames: new Set(),
    loopProbeOnly: true,
    servfailNames: new Set(),
    slowAnswers: 0,
    nxNames: new Set(),
    nxHealth: 0,
    nxSearch: 0,
    errorCauses: new Set(),
    loopZones: new Set(),
    pods: new Set(),
    version: undefined,
    errorLines: 0,
    readyWaits: 0,
  };
  const yearRef = ctx.clock.yearReference;
  const read: string[] = [];
  for (const path of paths) {
    const pod = parseContainerLogPath(path)?.pod;
    const ok = await ctx.read.scanMatchingAt(path, PREFILTER, (cursor) => {
      const raw = cursor.chunk.slice(cursor.start, cursor.end);
      const line = criMessage(raw);
      if (line.startsWith("CoreDNS-")) {
        x.version = line.trim();
        return;
      }
      const kind = classify(line);
      if (!kind) return;
      const at = criTime(raw) ?? journalLineTime(raw, yearRef);
      if (!inWindow(at, ctx.window)) return;
      if (kind === "ready-wait") {
        x.readyWaits += 1;
        return;
      }
      if (kind !== "coredns.nxdomain" && kind !== "coredns.servfail") x.errorLines += 1;
      const occ = table.get(kind);
      // Query logs can hold millions of NXDOMAIN lines: count them without decoding each one.
      if (kind === "coredns.nxdomain" && occ.count >= 3) {
        occ.addCountOnly(at);
        collect(kind, line, x);
        return;
      }
      occ.add(path, cursor.lineNo, at, cursor.text());
      collect(kind, line, x);
    });
    if (ok) {
      read.push(path);
      if (pod) x.pods.add(pod);
    }
  }
  if (read.length === 0) return [];

  const resolvers = input.nameservers?.filter((ip) => !/^127\./.test(ip)) ?? [];
  const upstreamIps = [...x.upstreams.keys()].map((u) => u.replace(/:\d+$/, ""));
  const vpcHit = upstreamIps.some((ip) => (resolvers.length > 0 ? resolvers.includes(ip) : looksLikeVpcResolver(ip)));

  const findings: FindingDraft[] = [];
  for (const [kind, occ] of table.entries()) {
    let severity = severityFor(kind, occ, x);
    const attributes: FindingDraft["attributes"] = {};
    let note = "";
    if (severity !== "info" && !isRecent(occ, ctx.window)) {
      severity = "info";
      attributes.stale = true;
      if (occ.last !== undefined && Number.isFinite(ctx.window.end))
        note = `; last seen ${humanDuration(ctx.window.end - occ.last)} before the window's end`;
    }
    if (kind === "coredns.upstream-timeouts") {
      attributes.upstreams = [...x.upstreams.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([u]) => u)
        .slice(0, 5);
      attributes.toVpcResolver = vpcHit;
      attributes.qtypes = [...x.qtypes].sort();
      attributes.names = [...x.timeoutNames];
      attributes.loopProbeOnly = x.loopProbeOnly;
    }
    if (kind === "coredns.servfail") {
      attributes.names = [...x.servfailNames];
      attributes.slowAnswers = x.slowAnswers;
    }
    if (kind === "coredns.nxdomain") {
      attributes.names = [...x.nxNames];
      attributes.healthCheckNames = x.nxHealth;
      attributes.searchPathExpansions = x.nxSearch;
    }
    if (kind === "coredns.errors") attributes.causes = [...x.errorCauses].sort();
    if (kind === "coredns.loop-detected") attributes.zones = [...x.loopZones];
    if (kind === "coredns.apiserver-unreachable") attributes.readyWaits = x.readyWaits;
    const d: FindingDraft = {
      kind,
      severity,
      summary: summarize(kind, occ, x, vpcHit) + note,
      evidence: occ.evidence,
      count: occ.count,
      attributes,
      correlateWith: CORRELATE[kind] ?? [],
    };
    if (occ.firstSeen) d.firstSeen = occ.firstSeen;
    if (occ.lastSeen) d.lastSeen = occ.lastSeen;
    findings.push(d);
  }
  const pods = [...x.pods].sort();
  const podsAttributes: FindingDraft["attributes"] = { pods, files: read.length, errorLines: x.errorLines };
  if (x.version) podsAttributes.version = x.version;
  findings.push({
    kind: "coredns.pods",
    severity: "info",
    summary: `CoreDNS pod${pods.length === 1 ? "" : "s"} ${pods.join(", ") || "(unnamed)"} logged on this node${x.version ? ` (${x.version})` : ""}; ${x.errorLines} error line${x.errorLines === 1 ? "" : "s"}`,
    evidence: [],
    count: read.length,
    attributes: podsAttributes,
    correlateWith: [],
  });
  return findings;
}

export const readCorednsLog = defineTool({
  name: "read_coredns_log",
  title: "CoreDNS log",
  lane: "service",
  description:
    "Reads the logs of CoreDNS pods that ran on this node (CRI-wrapped CoreDNS output in var_log) and classifies DNS failures: upstream timeouts to the VPC resolver (dns.vpc-resolver-throttled), forwarding loops ([FATAL] plugin/loop), SERVFAIL answers, the kubernetes plugin unable to reach the API server, other errors; plus facts: NXDOMAIN volume (a red herring on its own) and which CoreDNS pods logged here. " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. Pass nameservers (check_resolv_conf's dns.resolv-conf attribute) to attribute timeouts to the VPC resolver exactly. Most nodes run no CoreDNS pod: then the report is no_data. ` +
    "Next: check_resolv_conf, inspect_conntrack (insert_failed for the DNS race), the ENA linklocal_allowance_exceeded counters.",
  sources: ["corednsLogs"],
  kinds: KINDS,
  input: {
    nameservers: z
      .array(z.string().regex(/^[0-9a-fA-F.:]+$/))
      .max(10)
      .optional()
      .describe(
        "The node's resolvers, which CoreDNS's forward plugin uses (check_resolv_conf's dns.resolv-conf attribute nameservers, normally the VPC resolver); upstream timeouts to one of them set toVpcResolver. Without it x.x.x.2 and 169.254.169.253 are taken for the VPC resolver",
      ),
  },
  analyze,
});
