import { z } from "zod";
import type { Severity } from "../src/domain/severity.ts";
import type { WindowMs } from "../src/domain/time.ts";
import type { EvidenceReader } from "../src/toolkit/evidence-reader.ts";
import { fact, fromOccurrences, times } from "../src/toolkit/finding-drafts.ts";
import { journalLineTime } from "../src/toolkit/log-signals.ts";
import { OccurrenceTable, type Occurrences } from "../src/toolkit/occurrences.ts";
import { criMessage, criTime, dedupeContainerLogs, parseContainerLogPath } from "../src/toolkit/parse-container-log.ts";
import { humanDuration, inWindow, isRecent } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

const KINDS = {
  "coredns.upstream-timeouts": kind(
    "CoreDNS forwarded queries that timed out (read udp …->upstream:53: i/o timeout, no healthy proxies): evidence for dns.vpc-resolver-throttled; attributes upstreams, toVpcResolver",
    {
      upstreams: attr.texts(
        "Upstreams that timed out as ip:port (or no-healthy-upstream, unknown), most frequent first, at most 5",
      ),
      toVpcResolver: attr.flag(
        "A timed-out upstream is the VPC resolver (one of the nameservers input, else x.x.x.2 or 169.254.169.253)",
      ),
      qtypes: attr.texts("Query types of the timed-out queries, sorted"),
      names: attr.texts("Timed-out query names, HINFO probes excluded, at most 5"),
      loopProbeOnly: attr.flag("Only the loop plugin's start-up HINFO probes timed out"),
      stale: attr.flag("Set (true) when the signal stopped long before the window's end and was downgraded to info"),
    },
  ),
  "coredns.loop-detected": kind(
    "[FATAL] plugin/loop: CoreDNS forwards to itself (resolv.conf points at a local stub) and exits",
    {
      zones: attr.texts("Zones the loop plugin reported a loop for"),
      stale: attr.flag("Set (true) when the signal stopped long before the window's end and was downgraded to info"),
    },
  ),
  "coredns.servfail": kind(
    "Queries answered SERVFAIL (from the log plugin's query lines); attributes names, slowAnswers",
    {
      names: attr.texts("Query names answered SERVFAIL, at most 5"),
      slowAnswers: attr.count("SERVFAIL answers that took 2 s or more (answers)"),
      stale: attr.flag("Set (true) when the signal stopped long before the window's end and was downgraded to info"),
    },
  ),
  "coredns.apiserver-unreachable": kind(
    "The kubernetes plugin cannot list/watch the API server (failed to list, Kubernetes API connection failure): cluster names do not resolve; info for start-up retries that stopped",
    {
      readyWaits: attr.count("plugin/ready `Still waiting on` lines in the window (lines)"),
      stale: attr.flag("Set (true) when the signal stopped long before the window's end and was downgraded to info"),
    },
  ),
  "coredns.errors": kind(
    "Other [ERROR] lines (connection refused, network is unreachable, REFUSED upstreams…); attribute causes",
    {
      causes: attr.texts(
        "Causes of the other errors, sorted: connection-refused, unreachable, upstream-refused, truncated, other",
      ),
      stale: attr.flag("Set (true) when the signal stopped long before the window's end and was downgraded to info"),
    },
  ),
  "coredns.nxdomain": kind(
    "Fact: NXDOMAIN answers (search-path expansions, health-check names): a red herring on its own",
    {
      names: attr.texts("Query names answered NXDOMAIN, at most 5"),
      healthCheckNames: attr.count("NXDOMAIN answers for health/readiness/probe-like names (answers)"),
      searchPathExpansions: attr.count(
        "NXDOMAIN answers for search-path expansions (*.cluster.local., *.compute.internal., …) (answers)",
      ),
    },
  ),
  "coredns.pods": kind("Fact: which CoreDNS pods logged on this node, their version and how many lines were errors", {
    pods: attr.texts("CoreDNS pods whose logs were read, sorted"),
    files: attr.count("CoreDNS log files read"),
    errorLines: attr.count("Error, warning and fatal lines in the window (SERVFAIL/NXDOMAIN query lines excluded)"),
    version: attr.text("CoreDNS version banner (e.g. CoreDNS-1.11.1)"),
  }),
};
type Kind = keyof typeof KINDS;
/** Kinds read from individual log lines (coredns.pods is about the files). */
type SignalKind = Exclude<Kind, "coredns.pods">;
type Attributes = FindingDraft["attributes"];

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

// Counts in the window: a few timeouts or errors happen on any busy resolver; more are an outage.
const TIMEOUTS_MEDIUM = 3;
const TIMEOUTS_HIGH = 10;
const SERVFAIL_MEDIUM = 20;
const OTHER_ERRORS_MEDIUM = 5;
const API_ERRORS_HIGH = 3;
/** A query answered after this many seconds has outlived a client's first retry. */
const SLOW_ANSWER_SECONDS = 2;
const MAX_NAMES = 5;
const NXDOMAIN_SAMPLES = 3;
const SUMMARY_UPSTREAMS = 3;
const SHOWN_UPSTREAMS = 5;

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

function classify(line: string): SignalKind | "ready-wait" | undefined {
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

function collect(kind: SignalKind, line: string, x: Extras): void {
  switch (kind) {
    case "coredns.upstream-timeouts": {
      const m = ERRORS_LINE.exec(line);
      if (!m) break;
      const [, , name, qtype, err] = m as unknown as [string, string, string, string, string];
      x.qtypes.add(qtype);
      if (qtype !== "HINFO") x.loopProbeOnly = false;
      if (x.timeoutNames.size < MAX_NAMES && qtype !== "HINFO") x.timeoutNames.add(name);
      const upstream = upstreamOf(err) ?? (/no healthy/.test(err) ? "no-healthy-upstream" : "unknown");
      x.upstreams.set(upstream, (x.upstreams.get(upstream) ?? 0) + 1);
      break;
    }
    case "coredns.servfail": {
      const q = QUERY_LINE.exec(line);
      if (!q) break;
      if (x.servfailNames.size < MAX_NAMES) x.servfailNames.add(q[2] as string);
      if (Number(q[4]) >= SLOW_ANSWER_SECONDS) x.slowAnswers += 1;
      break;
    }
    case "coredns.nxdomain": {
      const q = QUERY_LINE.exec(line);
      if (!q) break;
      const name = q[2] as string;
      if (HEALTH_NAME.test(name)) x.nxHealth += 1;
      if (SEARCH_EXPANSION.test(name)) x.nxSearch += 1;
      if (x.nxNames.size < MAX_NAMES) x.nxNames.add(name);
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

/** What CoreDNS's logs said in the window: occurrences per signal and what the lines carried. */
interface Model extends Extras {
  occurrences: OccurrenceTable<SignalKind>;
  /** The files that could be read. */
  files: string[];
}

function emptyModel(): Model {
  return {
    occurrences: new OccurrenceTable<SignalKind>(),
    files: [],
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
}

async function readCorednsLogs(
  read: EvidenceReader,
  window: WindowMs,
  yearRef: number | undefined,
): Promise<Model | undefined> {
  const paths = dedupeContainerLogs(await read.paths("corednsLogs"));
  if (paths.length === 0) return undefined;
  const m = emptyModel();
  for (const path of paths) {
    const pod = parseContainerLogPath(path)?.pod;
    const ok = await read.scanMatchingAt(path, PREFILTER, (cursor) => {
      const raw = cursor.chunk.slice(cursor.start, cursor.end);
      const line = criMessage(raw);
      if (line.startsWith("CoreDNS-")) {
        m.version = line.trim();
        return;
      }
      const kind = classify(line);
      if (!kind) return;
      const at = criTime(raw) ?? journalLineTime(raw, yearRef);
      if (!inWindow(at, window)) return;
      if (kind === "ready-wait") {
        m.readyWaits += 1;
        return;
      }
      if (kind !== "coredns.nxdomain" && kind !== "coredns.servfail") m.errorLines += 1;
      const occ = m.occurrences.get(kind);
      // Query logs can hold millions of NXDOMAIN lines: count them without decoding each one.
      if (kind === "coredns.nxdomain" && occ.count >= NXDOMAIN_SAMPLES) occ.addCountOnly(at);
      else occ.add(path, cursor.lineNo, at, cursor.text());
      collect(kind, line, m);
    });
    if (ok) {
      m.files.push(path);
      if (pod) m.pods.add(pod);
    }
  }
  return m.files.length > 0 ? m : undefined;
}

async function analyze(ctx: AnalyzerContext, input: { nameservers?: string[] | undefined }): Promise<FindingDraft[]> {
  const model = await readCorednsLogs(ctx.read, ctx.window, ctx.clock.yearReference);
  if (!model) return [];
  const vpcHit = upstreamIsVpcResolver(model, input.nameservers);
  return [
    ...model.occurrences.entries().map(([kind, occ]) => signalFinding(kind, occ, model, vpcHit, ctx.window)),
    podsFinding(model),
  ];
}

/** Whether a timed-out upstream is the VPC resolver: one of the node's nameservers when known. */
function upstreamIsVpcResolver(m: Model, nameservers: string[] | undefined): boolean {
  const resolvers = nameservers?.filter((ip) => !/^127\./.test(ip)) ?? [];
  const upstreamIps = [...m.upstreams.keys()].map((u) => u.replace(/:\d+$/, ""));
  return upstreamIps.some((ip) => (resolvers.length > 0 ? resolvers.includes(ip) : looksLikeVpcResolver(ip)));
}

const CORRELATE: Partial<Record<Kind, string[]>> = {
  "coredns.upstream-timeouts": ["check_resolv_conf", "inspect_conntrack", "read_sysctls"],
  "coredns.loop-detected": ["check_resolv_conf"],
  "coredns.servfail": ["check_resolv_conf"],
  "coredns.apiserver-unreachable": ["inspect_iptables", "read_kube_proxy_log"],
  "coredns.errors": ["check_resolv_conf"],
};

/** One signal judged on its own: severity before recency, summary, its own attributes. */
interface Judged {
  severity: Severity;
  summary: string;
  attributes: Attributes;
}

const JUDGES: Record<SignalKind, (occ: Occurrences, m: Model, vpcHit: boolean) => Judged> = {
  "coredns.upstream-timeouts": upstreamTimeouts,
  "coredns.loop-detected": loopDetected,
  "coredns.servfail": servfail,
  "coredns.apiserver-unreachable": apiserverUnreachable,
  "coredns.errors": otherErrors,
  "coredns.nxdomain": nxdomain,
};

/** A signal's finding: its judgement, downgraded to info when it stopped long before the window's end. */
function signalFinding(kind: SignalKind, occ: Occurrences, m: Model, vpcHit: boolean, window: WindowMs): FindingDraft {
  const judged = JUDGES[kind](occ, m, vpcHit);
  const stale = judged.severity !== "info" && !isRecent(occ, window);
  const note =
    stale && occ.last !== undefined && Number.isFinite(window.end)
      ? `; last seen ${humanDuration(window.end - occ.last)} before the window's end`
      : "";
  return fromOccurrences(occ, {
    kind,
    severity: stale ? "info" : judged.severity,
    summary: judged.summary + note,
    attributes: { ...(stale ? { stale: true } : {}), ...judged.attributes },
    correlateWith: CORRELATE[kind] ?? [],
  });
}

function upstreamTimeouts(occ: Occurrences, m: Model, vpcHit: boolean): Judged {
  const n = occ.count;
  const ups = [...m.upstreams.keys()].slice(0, SUMMARY_UPSTREAMS).join(", ");
  return {
    // CoreDNS's loop plugin sends HINFO probes at start-up: their timeouts say little about the resolver.
    severity: m.loopProbeOnly
      ? n >= TIMEOUTS_MEDIUM
        ? "low"
        : "info"
      : n >= TIMEOUTS_HIGH
        ? "high"
        : n >= TIMEOUTS_MEDIUM
          ? "medium"
          : "low",
    summary: `CoreDNS upstream queries timed out ${times(n)} (upstream ${ups}${vpcHit ? ", the VPC resolver" : ""})${m.loopProbeOnly ? "; only its start-up HINFO probes" : ""}`,
    attributes: {
      upstreams: [...m.upstreams.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([u]) => u)
        .slice(0, SHOWN_UPSTREAMS),
      toVpcResolver: vpcHit,
      qtypes: [...m.qtypes].sort(),
      names: [...m.timeoutNames],
      loopProbeOnly: m.loopProbeOnly,
    },
  };
}

function loopDetected(occ: Occurrences, m: Model): Judged {
  return {
    severity: "critical",
    summary: `CoreDNS detected a forwarding loop${m.loopZones.size ? ` for zone ${[...m.loopZones].join(", ")}` : ""} and exits (${times(occ.count)})`,
    attributes: { zones: [...m.loopZones] },
  };
}

function servfail(occ: Occurrences, m: Model): Judged {
  return {
    severity: occ.count >= SERVFAIL_MEDIUM ? "medium" : "low",
    summary: `CoreDNS answered SERVFAIL ${times(occ.count)}${m.slowAnswers ? ` (${m.slowAnswers} after ≥ 2 s)` : ""}`,
    attributes: { names: [...m.servfailNames], slowAnswers: m.slowAnswers },
  };
}

function apiserverUnreachable(occ: Occurrences, m: Model): Judged {
  return {
    severity: occ.count >= API_ERRORS_HIGH ? "high" : "medium",
    summary: `CoreDNS's kubernetes plugin could not reach the API server ${times(occ.count)}`,
    attributes: { readyWaits: m.readyWaits },
  };
}

function otherErrors(occ: Occurrences, m: Model): Judged {
  const causes = [...m.errorCauses].sort();
  return {
    severity: occ.count >= OTHER_ERRORS_MEDIUM ? "medium" : "low",
    summary: `CoreDNS logged ${occ.count} other error${occ.count === 1 ? "" : "s"} (${causes.join(", ")})`,
    attributes: { causes },
  };
}

function nxdomain(occ: Occurrences, m: Model): Judged {
  return {
    severity: "info",
    summary: `CoreDNS answered NXDOMAIN ${times(occ.count)} (${m.nxSearch} search-path expansions, ${m.nxHealth} health-check names)`,
    attributes: { names: [...m.nxNames], healthCheckNames: m.nxHealth, searchPathExpansions: m.nxSearch },
  };
}

function podsFinding(m: Model): FindingDraft {
  const pods = [...m.pods].sort();
  const attributes: Attributes = { pods, files: m.files.length, errorLines: m.errorLines };
  if (m.version) attributes.version = m.version;
  return fact(
    "coredns.pods",
    `CoreDNS pod${pods.length === 1 ? "" : "s"} ${pods.join(", ") || "(unnamed)"} logged on this node${m.version ? ` (${m.version})` : ""}; ${m.errorLines} error line${m.errorLines === 1 ? "" : "s"}`,
    attributes,
    [],
    m.files.length,
  );
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
