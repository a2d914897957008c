import { z } from "zod";
import type { Severity } from "../src/domain/severity.ts";
import { parseIsoTime } from "../src/evidence/clock.ts";
import type { LineCursor } from "../src/evidence/lines.ts";
import type { WindowMs } from "../src/domain/time.ts";
import type { EvidenceReader } from "../src/toolkit/evidence-reader.ts";
import { draft, fromOccurrences, times } from "../src/toolkit/finding-drafts.ts";
import { buildPrefilter } from "../src/toolkit/log-signals.ts";
import { Occurrences } from "../src/toolkit/occurrences.ts";
import { humanDuration, inWindow, isRecent } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

const KINDS = {
  "netpol.enforcement": kind(
    "Whether the network policy agent enforces policy on this node (fact): eBPF client initialised, probes attached, PolicyEndpoints reconciled, policy event (flow) logging on or off",
    {
      enabled: attr.flag(
        "The agent enforces policy: the latest enabling signal is later than the latest disabling one",
      ),
      signals: attr.texts(
        "Enforcement signals seen, sorted (ebpf-client-ready, probes-attached, policyendpoint-reconciled, conntrack-cleanup, disabled, …)",
      ),
      policyEventLogs: attr.nullable(
        attr.flag("Policy event (flow) logging is on (true), off (false), or unknown (null)"),
      ),
      probeAttachments: attr.count("`Successfully attached required eBPF probes` lines (attachments)"),
      benignErrorsIgnored: attr.count("Known-benign error lines not counted as errors (lines)"),
    },
  ),
  "netpol.deny-verdicts": kind(
    "The agent's eBPF programs DENIED flows (`Flow Info` lines with Verdict DENY): count and top source → destination pairs; with a healthy agent, evidence for netpol.denied-by-policy",
    {
      topPairs: attr.texts("Most frequent denied flows as `src → dst:dport/proto ×count`, at most 10"),
      topSources: attr.texts("Most frequent denied source IPs, at most 5"),
      topDestinations: attr.texts("Most frequent denied destination IPs, at most 5"),
      distinctPairs: attr.count(
        "Distinct source → destination pairs denied (pairs beyond the tracking limit count as one)",
      ),
      explainedByCleanupRace: attr.count("DENY verdicts explained by the conntrack cleanup race (verdicts)"),
      stale: attr.flag("True when the signal stopped long before the window's end (severity info)"),
    },
  ),
  "netpol.conntrack-cleanup": kind(
    "The agent's periodic conntrack-map cleanup ran (fact): cycles, entries deleted, and which implementation (legacy single pass, or the two-phase cache of aws-network-policy-agent#256)",
    {
      cycles: attr.count("Cleanup cycles started in the window (cycles)"),
      deletedEntries: attr.count("Conntrack-map entries the cleanup reported deleted in the window (entries)"),
      implementation: z
        .enum(["legacy", "two-phase", "unknown"])
        .describe(
          "Conntrack cleanup implementation: legacy single pass, two-phase cache (aws-network-policy-agent#256), or unknown",
        ),
    },
  ),
  "netpol.conntrack-cleanup-race": kind(
    "Replies of flows whose conntrack entry the cleanup had just deleted were DENIED (aws-network-policy-agent#246/#462): the agent, not the policy, drops live traffic (netpol.agent-failure)",
    {
      flows: attr.texts("Flows hit by the race as `src:sport ↔ dst:dport/proto`, at most 10"),
      implementation: z
        .enum(["legacy", "two-phase", "unknown"])
        .describe(
          "Conntrack cleanup implementation: legacy single pass, two-phase cache (aws-network-policy-agent#256), or unknown",
        ),
      deniesTotal: attr.count("All DENY verdicts in the window (verdicts)"),
      stale: attr.flag("True when the signal stopped long before the window's end (severity info)"),
    },
  ),
  "netpol.agent-errors": kind(
    "The agent or its eBPF SDK logged errors (eBPF program load or attach failures, map updates, reconcile errors, fatal exits); attribute `categories`. Known-benign startup noise is not counted",
    {
      categories: attr.texts(
        "Error categories, sorted: fatal, ebpf-load, attach, bpf-state-recovery, map-update, conntrack, reconcile, api, sdk, other",
      ),
      sdkErrors: attr.count("Error lines from the eBPF SDK log (lines)"),
      benignErrorsIgnored: attr.count("Known-benign error lines not counted (lines)"),
      bootOnly: attr.flag("Errors stopped within 15 min of boot and the agent has been quiet since"),
      stale: attr.flag("True when the signal stopped long before the window's end (severity info)"),
    },
  ),
  "netpol.agent-panic": kind(
    "The agent panicked (panic / fatal error with goroutine traces, or a recovered reconciler panic)",
    {
      traceLines: attr.count("Goroutine trace lines (lines)"),
      sources: attr.texts("Files the panic lines came from, sorted"),
      stale: attr.flag("True when the signal stopped long before the window's end (severity info)"),
    },
  ),
};
type Kind = keyof typeof KINDS;

const DENY = '"Verdict":"DENY"';
const ENFORCEMENT_SIGNALS: Record<string, string> = {
  "BPF Client initialization done": "ebpf-client-ready",
  "Successfully attached required eBPF probes": "probes-attached",
  "Processing Policy Endpoint": "policyendpoint-reconciled",
  "Received a new reconcile request": "reconcile",
  "Successfully loaded events probe": "events-probe-loaded",
  "Configured event logging": "policy-event-logs-on",
  "Disabled event logging": "policy-event-logs-off",
  '"enableNetworkPolicy":true': "enabled-by-flag",
  "Network policy is disabled": "disabled",
  "Network Policy feature is disabled": "disabled",
  '"enableNetworkPolicy":false': "disabled",
};
/** Lines only an agent that built its eBPF client logs (event logging is configured either way inside it). */
const ENABLED_SIGNALS = new Set([
  "ebpf-client-ready",
  "probes-attached",
  "policyendpoint-reconciled",
  "reconcile",
  "conntrack-cleanup",
  "events-probe-loaded",
  "enabled-by-flag",
  "policy-event-logs-on",
  "policy-event-logs-off",
]);
const CYCLE_START = "Check for any stale entries in the conntrack map";
const HYDRATED = "hydrated local conntrack cache";
const DONE_CLEANUP = "Done cleanup of conntrack map";
const CLEANUP = "Conntrack cleanup";
const EXPIRED_DELETE = "Expired/Delete Conntrack Key";
const ERROR_LEVELS = [
  '"level":"error"',
  '"level":"fatal"',
  '"level":"panic"',
  '"level":"dpanic"',
  '"level":"ERROR"',
  '"level":"FATAL"',
];
const FAILURE_NEEDLES = [
  "Attaching eBPF probe failed",
  "Error configuring eBPF Probes",
  "failed to attach",
  "Failed to attach",
  "Unable to load",
  "failed to load",
];
const PANIC_NEEDLES = ["panic:", "Observed a panic", "fatal error:", "goroutine "];

const PREFILTER = buildPrefilter(
  [],
  [
    DENY,
    ...Object.keys(ENFORCEMENT_SIGNALS),
    CYCLE_START,
    HYDRATED,
    DONE_CLEANUP,
    CLEANUP,
    EXPIRED_DELETE,
    ...ERROR_LEVELS,
    ...FAILURE_NEEDLES,
    ...PANIC_NEEDLES,
  ],
);
const CONTAINER_PREFILTER = buildPrefilter([], ["panic:", "fatal error:", "goroutine ", "Observed a panic"]);

/** Startup and housekeeping errors a healthy agent logs (first install, non-eni links, pods already gone). */
const BENIGN_ERROR =
  /error opening Probe|Failed to increase RLIMIT|Probe validation\/update failed but will continue|Failed to copy the eBPF binaries|expected prefix - |might not be present so moving on|no active filter to detach|Link not found|Unable to check qdisc/;

/** A DENY this soon after its flow's conntrack entry was deleted is the cleanup race, not the policy. */
const RACE_WINDOW_MS = 10 * 60_000;
/** Three or more race hits are a pattern, not a coincidence. */
const RACE_HIGH_MIN_DENIES = 3;
/** When the race explains this share of all DENY verdicts, the verdicts say little about the policy. */
const MOSTLY_RACE_SHARE = 0.9;
/** Errors that stopped within this long after boot are startup noise… */
const BOOT_GRACE_MS = 15 * 60_000;
/** …once the agent has been quiet this long before the window's end. */
const BOOT_ERRORS_QUIET_MS = 10 * 60_000;
// Memory bounds for long logs, and how much of it a finding shows.
const MAX_TRACKED_DELETES = 100_000;
const MAX_PAIRS = 5_000;
const MAX_RACE_FLOWS = 50;
const MAX_SEEN_CONTAINER_LINES = 10_000;
const SHOWN_RACE_FLOWS = 10;
const TOP_PAIRS = 10;
const SUMMARY_PAIRS = 3;
const TOP_IPS = 5;

const PROTO: Record<string, string> = {
  TCP: "6",
  UDP: "17",
  ICMP: "1",
  SCTP: "132",
  "6": "6",
  "17": "17",
  "1": "1",
  "132": "132",
};
const PROTO_NAME: Record<string, string> = { "6": "TCP", "17": "UDP", "1": "ICMP", "132": "SCTP" };

type ErrorCategory =
  | "ebpf-load"
  | "attach"
  | "bpf-state-recovery"
  | "map-update"
  | "conntrack"
  | "reconcile"
  | "api"
  | "fatal"
  | "sdk"
  | "other";

function errorCategory(line: string, fromSdk: boolean): ErrorCategory {
  if (/"level":"(fatal|FATAL)"/.test(line)) return "fatal";
  if (/load events binary|LoadBpfFile|BPF_PROG_LOAD|verifier|load program|Unable to load|failed to load/i.test(line))
    return "ebpf-load";
  if (/attach|qdisc|while loading (ingress|egress) program|filter/i.test(line)) return "attach";
  if (/recover/i.test(line)) return "bpf-state-recovery";
  if (/update map|UpdateEbpfMaps|map update|pin ?path|map entry/i.test(line)) return "map-update";
  if (/conntrack/i.test(line)) return "conntrack";
  if (/reconcile/i.test(line)) return "reconcile";
  if (/Unauthorized|forbidden|failed to list|failed to watch|apiserver|:443/i.test(line)) return "api";
  return fromSdk ? "sdk" : "other";
}

/** zap `ts`: ISO 8601 or epoch seconds. */
function lineTime(line: string): number | undefined {
  const i = line.indexOf('"ts":');
  if (i < 0) return line.length > 20 && line.charCodeAt(4) === 45 ? parseIsoTime(line.slice(0, 40)) : undefined;
  const rest = line.slice(i + 5, i + 45);
  if (rest.startsWith('"')) return parseIsoTime(rest);
  const n = Number(/^[\d.]+/.exec(rest)?.[0]);
  return Number.isFinite(n) && n > 0 ? Math.round(n * 1000) : undefined;
}

/** The agent writes zap JSON: one of the first few non-empty lines must be a JSON record. */
async function startsLikeAgentLog(read: EvidenceReader, path: string): Promise<boolean> {
  let seen = 0;
  let json = false;
  await read.scanAt(path, (cursor) => {
    if (cursor.end <= cursor.start) return;
    seen += 1;
    if (
      cursor.chunk.charCodeAt(cursor.start) === 123 &&
      cursor.chunk.slice(cursor.start, Math.min(cursor.end, cursor.start + 200)).includes('"level"')
    )
      json = true;
    return !json && seen < 20;
  });
  return json;
}

function flowKey(srcIp: string, srcPort: string, dstIp: string, dstPort: string, proto: string): string {
  const a = `${srcIp}:${srcPort}`;
  const b = `${dstIp}:${dstPort}`;
  const p = PROTO[proto] ?? proto;
  return a < b ? `${a}|${b}|${p}` : `${b}|${a}|${p}`;
}

const FLOW = /"Src IP":"([^"]*)","Src Port":(\d+),"Dest IP":"([^"]*)","Dest Port":(\d+),"Proto":"([^"]*)"/;
const DELETED = /Source IP - (\S+) Source port - (\d+) Dest IP - (\S+) Dest port - (\d+) Protocol - (\d+)/;

function parseFlow(
  line: string,
): { src: string; sport: string; dst: string; dport: string; proto: string } | undefined {
  const m = FLOW.exec(line);
  if (m)
    return {
      src: m[1] as string,
      sport: m[2] as string,
      dst: m[3] as string,
      dport: m[4] as string,
      proto: m[5] as string,
    };
  // Field order differs between versions: fall back to a real parse.
  try {
    const record = JSON.parse(line) as Record<string, unknown>;
    const get = (k: string) => (record[k] === undefined ? undefined : String(record[k]));
    const src = get("Src IP");
    const dst = get("Dest IP");
    if (!src || !dst) return undefined;
    return { src, sport: get("Src Port") ?? "0", dst, dport: get("Dest Port") ?? "0", proto: get("Proto") ?? "?" };
  } catch {
    return undefined;
  }
}

/** What the agent, its eBPF SDK and its container logs said: counts, samples and signals, no verdicts. */
interface Model {
  agentPath: string | undefined;
  /** The agent log was read and held agent lines (the enforcement fact needs it). */
  agentUsable: boolean;
  denies: Occurrences;
  /** DENY verdicts on flows whose conntrack entry the cleanup had just deleted. */
  raceDenies: Occurrences;
  raceFlows: Set<string>;
  pairs: Map<string, number>;
  /** Denied pairs past MAX_PAIRS, counted but not kept. */
  otherPairs: number;
  srcIps: Map<string, number>;
  dstIps: Map<string, number>;
  /** Flow key → when the cleanup deleted its conntrack entry (-Infinity when the line had no time). */
  deleted: Map<string, number>;
  cycles: Occurrences;
  deletes: number;
  deleteLines: number;
  twoPhase: boolean;
  legacy: boolean;
  signals: Set<string>;
  attached: number;
  errors: Occurrences;
  sdkErrors: number;
  benignErrors: number;
  categories: Map<ErrorCategory, number>;
  panics: Occurrences;
  traceLines: number;
  panicSources: Set<string>;
  lastEnabled: number;
  lastDisabled: number;
}

function emptyModel(agentPath: string | undefined): Model {
  return {
    agentPath,
    agentUsable: false,
    denies: new Occurrences(),
    raceDenies: new Occurrences(),
    raceFlows: new Set(),
    pairs: new Map(),
    otherPairs: 0,
    srcIps: new Map(),
    dstIps: new Map(),
    deleted: new Map(),
    cycles: new Occurrences(),
    deletes: 0,
    deleteLines: 0,
    twoPhase: false,
    legacy: false,
    signals: new Set(),
    attached: 0,
    errors: new Occurrences(),
    sdkErrors: 0,
    benignErrors: 0,
    categories: new Map(),
    panics: new Occurrences(),
    traceLines: 0,
    panicSources: new Set(),
    lastEnabled: Number.NEGATIVE_INFINITY,
    lastDisabled: Number.NEGATIVE_INFINITY,
  };
}

function bump(map: Map<string, number>, key: string, cap = MAX_PAIRS): boolean {
  const n = map.get(key);
  if (n !== undefined) map.set(key, n + 1);
  else if (map.size < cap) map.set(key, 1);
  else return false;
  return true;
}

function top(map: Map<string, number>, n: number): Array<[string, number]> {
  return [...map].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);
}

function protoName(proto: string): string {
  return PROTO_NAME[PROTO[proto] ?? ""] ?? proto;
}

function enforcementSignal(line: string): string | undefined {
  for (const [needle, signal] of Object.entries(ENFORCEMENT_SIGNALS)) if (line.includes(needle)) return signal;
  return undefined;
}

function isPanicLine(line: string): boolean {
  return (
    line.includes('"level":"panic"') ||
    line.includes('"level":"dpanic"') ||
    /panic:|Observed a panic|fatal error:|goroutine \d+ \[/.test(line)
  );
}

function isErrorLine(line: string): boolean {
  return ERROR_LEVELS.some((n) => line.includes(n)) || FAILURE_NEEDLES.some((n) => line.includes(n));
}

function recordError(
  m: Model,
  path: string,
  cursor: LineCursor,
  line: string,
  at: number | undefined,
  fromSdk: boolean,
): void {
  if (BENIGN_ERROR.test(line)) {
    m.benignErrors += 1;
    return;
  }
  m.errors.add(path, cursor.lineNo, at, cursor.text());
  if (fromSdk) m.sdkErrors += 1;
  const category = errorCategory(line, fromSdk);
  m.categories.set(category, (m.categories.get(category) ?? 0) + 1);
}

function recordPanic(m: Model, path: string, cursor: LineCursor, line: string, at: number | undefined): void {
  if (/^\s*goroutine \d+ \[|"goroutine \d+ \[| goroutine \d+ \[/.test(line) && !/panic:|fatal error:/.test(line)) {
    m.traceLines += 1;
    return;
  }
  m.panics.add(path, cursor.lineNo, at, cursor.text());
  m.panicSources.add(path);
}

function recordDeny(m: Model, path: string, cursor: LineCursor, line: string, at: number | undefined): void {
  const flow = parseFlow(line);
  m.denies.add(path, cursor.lineNo, at, cursor.text());
  if (!flow) return;
  const proto = protoName(flow.proto);
  const deletedAt = m.deleted.get(flowKey(flow.src, flow.sport, flow.dst, flow.dport, flow.proto));
  if (
    deletedAt !== undefined &&
    (at === undefined ||
      deletedAt === Number.NEGATIVE_INFINITY ||
      (at >= deletedAt && at - deletedAt <= RACE_WINDOW_MS))
  ) {
    m.raceDenies.add(path, cursor.lineNo, at, cursor.text());
    if (m.raceFlows.size < MAX_RACE_FLOWS)
      m.raceFlows.add(`${flow.src}:${flow.sport} ↔ ${flow.dst}:${flow.dport}/${proto}`);
  }
  if (!bump(m.pairs, `${flow.src} → ${flow.dst}:${flow.dport}/${proto}`)) m.otherPairs += 1;
  bump(m.srcIps, flow.src);
  bump(m.dstIps, flow.dst);
}

/** A conntrack entry the cleanup deleted; deletions are tracked whatever the window, for the race. */
function recordDelete(m: Model, line: string, at: number | undefined): void {
  const d = DELETED.exec(line);
  if (!d) return;
  const key = flowKey(d[1] as string, d[2] as string, d[3] as string, d[4] as string, d[5] as string);
  if (m.deleted.has(key)) m.deleted.delete(key);
  else {
    m.deletes += 1;
    if (m.deleted.size >= MAX_TRACKED_DELETES) {
      const oldest = m.deleted.keys().next().value;
      if (oldest !== undefined) m.deleted.delete(oldest);
    }
  }
  m.deleted.set(key, at ?? Number.NEGATIVE_INFINITY);
  m.deleteLines += 1;
  // The pre-#256 agent logged every deletion at info as `"msg":"Conntrack cleanup"` with `Delete - `/`Entry - ` fields.
  if (line.includes('"msg":"Conntrack cleanup"')) m.legacy = true;
}

function agentLine(m: Model, window: WindowMs, path: string, cursor: LineCursor): void {
  const line = cursor.chunk.slice(cursor.start, cursor.end);
  const at = lineTime(line);
  if (at !== undefined && at > window.end) return;
  const inside = inWindow(at, window);
  if (line.includes(DENY)) {
    if (inside) recordDeny(m, path, cursor, line, at);
    return;
  }
  if (line.includes(CLEANUP) || line.includes(EXPIRED_DELETE)) {
    recordDelete(m, line, at);
    return;
  }
  if (line.includes(CYCLE_START)) {
    if (inside) m.cycles.add(path, cursor.lineNo, at, cursor.text());
    m.signals.add("conntrack-cleanup");
    m.lastEnabled = Math.max(m.lastEnabled, at ?? Number.POSITIVE_INFINITY);
    return;
  }
  if (line.includes(HYDRATED)) {
    m.twoPhase = true;
    return;
  }
  if (line.includes(DONE_CLEANUP)) {
    m.twoPhase = true;
    const deleted = /deleted (\d+) stale entries/.exec(line);
    if (deleted && inside) m.deletes += Number(deleted[1]);
    return;
  }
  const signal = enforcementSignal(line);
  if (signal) {
    m.signals.add(signal);
    if (signal === "probes-attached") m.attached += 1;
    // The latest word wins: an agent restarted with other flags says so again.
    const when = at ?? Number.POSITIVE_INFINITY;
    if (signal === "disabled") m.lastDisabled = Math.max(m.lastDisabled, when);
    else if (ENABLED_SIGNALS.has(signal)) m.lastEnabled = Math.max(m.lastEnabled, when);
    return;
  }
  if (!inside) return;
  if (isPanicLine(line)) recordPanic(m, path, cursor, line, at);
  else if (isErrorLine(line)) recordError(m, path, cursor, line, at, false);
}

/** Whether the agent log held agent lines; an unusable or empty one leaves a gap. */
async function readAgentLog(read: EvidenceReader, path: string, window: WindowMs, m: Model): Promise<boolean> {
  const size = await read.size(path);
  const looksLikeLog = size === 0 ? true : await startsLikeAgentLog(read, path);
  const scanned =
    looksLikeLog && (await read.scanMatchingAt(path, PREFILTER, (cursor, p) => agentLine(m, window, p, cursor)));
  if (!looksLikeLog) read.gap(path, "no JSON log lines at the start of the file: not a network policy agent log");
  else if (scanned && size === 0) {
    read.gap(path, "file is empty");
    return false;
  }
  return scanned;
}

async function readSdkLog(
  read: EvidenceReader,
  path: string,
  window: WindowMs,
  m: Model,
  hasAgentLog: boolean,
): Promise<void> {
  const size = await read.size(path);
  const ok = await read.scanMatchingAt(path, PREFILTER, (cursor) => {
    const line = cursor.chunk.slice(cursor.start, cursor.end);
    const at = lineTime(line);
    if (!inWindow(at, window)) return;
    if (isErrorLine(line)) recordError(m, path, cursor, line, at, true);
  });
  // An empty SDK log is normal (it only writes when the agent programs something): not a gap.
  if (ok && size === 0 && !hasAgentLog) read.gap(path, "file is empty");
}

async function readContainerLogs(read: EvidenceReader, window: WindowMs, m: Model): Promise<void> {
  // The collector copies each container log twice (/var/log/containers and /var/log/pods): count a line once.
  const seenContainerLines = new Set<string>();
  for (const path of await read.paths("nodeAgentContainerLogs")) {
    await read.scanMatchingAt(path, CONTAINER_PREFILTER, (cursor) => {
      const line = cursor.chunk.slice(cursor.start, cursor.end);
      const at = parseIsoTime(line.slice(0, 40));
      if (!inWindow(at, window)) return;
      const id = line.slice(0, 200);
      if (seenContainerLines.has(id)) return;
      if (seenContainerLines.size < MAX_SEEN_CONTAINER_LINES) seenContainerLines.add(id);
      recordPanic(m, path, cursor, line, at);
    });
  }
}

async function readAgentLogs(read: EvidenceReader, window: WindowMs): Promise<Model | undefined> {
  const [agentPath] = await read.paths("networkPolicyAgentLog");
  const sdkPaths = await read.paths("ebpfSdkLog");
  if (!agentPath && sdkPaths.length === 0) return undefined;
  const model = emptyModel(agentPath);
  if (agentPath) model.agentUsable = await readAgentLog(read, agentPath, window, model);
  for (const path of sdkPaths) await readSdkLog(read, path, window, model, agentPath !== undefined);
  await readContainerLogs(read, window, model);
  return model;
}

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const model = await readAgentLogs(ctx.read, ctx.window);
  if (!model) return [];
  return [
    panicFinding(model, ctx.window),
    errorsFinding(model, ctx.window, ctx.clock.bootTime),
    raceFinding(model, ctx.window),
    denyFinding(model, ctx.window),
    cleanupFinding(model),
    enforcementFinding(model),
  ].filter((f): f is FindingDraft => f !== undefined);
}

function staleNote(occ: Occurrences, window: WindowMs): string {
  return occ.last !== undefined && Number.isFinite(window.end)
    ? `; last seen ${humanDuration(window.end - occ.last)} before the window's end`
    : "";
}

function implementationOf(m: Model): "legacy" | "two-phase" | "unknown" {
  return m.legacy ? "legacy" : m.twoPhase ? "two-phase" : "unknown";
}

function panicFinding(m: Model, window: WindowMs): FindingDraft | undefined {
  if (m.panics.count === 0 && m.traceLines === 0) return undefined;
  const recent = isRecent(m.panics, window);
  // Goroutine traces without their panic line still mean one panic.
  const count = Math.max(1, m.panics.count);
  return draft({
    kind: "netpol.agent-panic",
    severity: recent ? "critical" : "info",
    summary: `The network policy agent panicked ${times(count)}${m.traceLines ? ` (${m.traceLines} goroutine trace lines)` : ""}${recent ? "" : staleNote(m.panics, window)}`,
    evidence: m.panics.evidence,
    count,
    attributes: { traceLines: m.traceLines, stale: !recent, sources: [...m.panicSources].sort() },
    correlateWith: ["read_kubelet_journal", "read_dmesg"],
    firstSeen: m.panics.firstSeen,
    lastSeen: m.panics.lastSeen,
  });
}

function errorsFinding(m: Model, window: WindowMs, boot: number | undefined): FindingDraft | undefined {
  const { errors } = m;
  if (errors.count === 0) return undefined;
  const recent = isRecent(errors, window);
  const bootOnly =
    boot !== undefined &&
    errors.last !== undefined &&
    errors.last <= boot + BOOT_GRACE_MS &&
    window.end - errors.last > BOOT_ERRORS_QUIET_MS;
  const categories = [...m.categories.keys()].sort();
  const severity: Severity = bootOnly || !recent ? "info" : "high";
  const notes = bootOnly ? "; only while the node booted" : recent ? "" : staleNote(errors, window);
  return fromOccurrences(errors, {
    kind: "netpol.agent-errors",
    severity,
    summary: `The network policy agent logged ${errors.count} error${errors.count === 1 ? "" : "s"} (${categories.join(", ")})${m.sdkErrors ? `, ${m.sdkErrors} from the eBPF SDK` : ""}${notes}`,
    attributes: { categories, sdkErrors: m.sdkErrors, benignErrorsIgnored: m.benignErrors, stale: !recent, bootOnly },
    correlateWith: ["read_kubelet_journal", "read_dmesg", "read_cni_config"],
  });
}

function raceFinding(m: Model, window: WindowMs): FindingDraft | undefined {
  const { raceDenies } = m;
  if (raceDenies.count === 0) return undefined;
  const recent = isRecent(raceDenies, window);
  const implementation = implementationOf(m);
  // The legacy cleanup races on every cycle; with the two-phase one, a single hit can be a coincidence.
  const severity: Severity = !recent
    ? "info"
    : raceDenies.count >= RACE_HIGH_MIN_DENIES || m.legacy
      ? "high"
      : "medium";
  const flows = m.raceFlows.size;
  return fromOccurrences(raceDenies, {
    kind: "netpol.conntrack-cleanup-race",
    severity,
    summary: `${raceDenies.count} DENY verdict${raceDenies.count === 1 ? "" : "s"} hit flows whose conntrack entry the agent's cleanup had deleted moments before (${flows} flow${flows === 1 ? "" : "s"}; ${implementation} cleanup): the agent dropped replies of live connections${recent ? "" : staleNote(raceDenies, window)}`,
    attributes: {
      flows: [...m.raceFlows].slice(0, SHOWN_RACE_FLOWS),
      implementation,
      deniesTotal: m.denies.count,
      stale: !recent,
    },
    correlateWith: ["inspect_conntrack", "inspect_iptables"],
  });
}

function denyFinding(m: Model, window: WindowMs): FindingDraft | undefined {
  const { denies } = m;
  if (denies.count === 0) return undefined;
  const recent = isRecent(denies, window);
  const mostlyRace = m.raceDenies.count >= MOSTLY_RACE_SHARE * denies.count;
  const severity: Severity = !recent ? "info" : mostlyRace ? "low" : "medium";
  const pairs = top(m.pairs, TOP_PAIRS);
  const topText = pairs
    .slice(0, SUMMARY_PAIRS)
    .map(([pair, n]) => `${pair} ×${n}`)
    .join(", ");
  return fromOccurrences(denies, {
    kind: "netpol.deny-verdicts",
    severity,
    summary: `Network policy DENIED ${denies.count} flow${denies.count === 1 ? "" : "s"}${pairs.length ? `; top: ${topText}` : ""}${mostlyRace ? " (almost all explained by the conntrack cleanup race)" : ""}${recent ? "" : staleNote(denies, window)}`,
    attributes: {
      topPairs: pairs.map(([pair, n]) => `${pair} ×${n}`),
      topSources: top(m.srcIps, TOP_IPS).map(([ip]) => ip),
      topDestinations: top(m.dstIps, TOP_IPS).map(([ip]) => ip),
      distinctPairs: m.pairs.size + (m.otherPairs > 0 ? 1 : 0),
      explainedByCleanupRace: m.raceDenies.count,
      stale: !recent,
    },
    correlateWith: ["inspect_iptables", "inspect_conntrack", "read_cni_config"],
  });
}

const IMPLEMENTATION_NOTE = {
  legacy: "legacy single-pass cleanup, prone to deleting live entries",
  "two-phase": "two-phase cleanup that re-checks the kernel table",
  unknown: "implementation unknown",
} as const;

function cleanupFinding(m: Model): FindingDraft | undefined {
  if (m.cycles.count === 0 && m.deleteLines === 0) return undefined;
  const implementation = implementationOf(m);
  return fromOccurrences(m.cycles, {
    kind: "netpol.conntrack-cleanup",
    severity: "info",
    summary: `The agent's conntrack-map cleanup ran ${times(m.cycles.count)} and deleted ${m.deletes} entr${m.deletes === 1 ? "y" : "ies"} (${IMPLEMENTATION_NOTE[implementation]})`,
    attributes: { cycles: m.cycles.count, deletedEntries: m.deletes, implementation },
  });
}

/** A fact whenever the agent log was readable: enforcing, disabled, or silent. */
function enforcementFinding(m: Model): FindingDraft | undefined {
  if (!m.agentUsable) return undefined;
  // A DENY verdict is itself proof that the eBPF programs enforce.
  const lastEnabled =
    m.denies.count > 0 ? Math.max(m.lastEnabled, m.denies.last ?? Number.POSITIVE_INFINITY) : m.lastEnabled;
  const enforcing = lastEnabled > m.lastDisabled;
  const eventLogs =
    m.signals.has("policy-event-logs-on") || m.denies.count > 0
      ? true
      : m.signals.has("policy-event-logs-off")
        ? false
        : null;
  const signals = [...m.signals].sort();
  return draft({
    kind: "netpol.enforcement",
    severity: "info",
    summary: enforcing
      ? `Network policy enforcement is active on this node (${signals.join(", ") || "DENY verdicts"})${m.attached ? `; eBPF probes attached ${times(m.attached)}` : ""}${eventLogs === false ? "; flow logging is off, so DENY verdicts would not appear" : ""}`
      : m.signals.has("disabled")
        ? "Network policy enforcement is disabled on this node (the agent runs with --enable-network-policy=false): NetworkPolicies are not applied here"
        : "The network policy agent shows no sign of enforcing policy (no eBPF client, no PolicyEndpoints, no conntrack cleanup): NetworkPolicies are not applied by this node",
    evidence: m.agentPath ? [{ source: m.agentPath, excerpt: `signals: ${signals.join(", ") || "none"}` }] : [],
    count: m.signals.size,
    attributes: {
      enabled: enforcing,
      signals,
      policyEventLogs: eventLogs,
      probeAttachments: m.attached,
      benignErrorsIgnored: m.benignErrors,
    },
    correlateWith: ["read_cni_config"],
  });
}

export const readNetworkPolicyAgentLog = defineTool({
  name: "read_network_policy_agent_log",
  title: "Network policy agent log",
  lane: "service",
  description:
    "Reads the VPC CNI network policy agent's log (var_log/aws-routed-eni/network-policy-agent.log, zap JSON), the eBPF SDK log (ebpf-sdk.log) and the aws-eks-nodeagent container logs (panic traces). " +
    "Reports whether policy is enforced, DENY flow verdicts (top source → destination pairs), the periodic conntrack-map cleanup, and the cleanup race of aws-network-policy-agent#246/#462 (a flow's entry deleted, then its reply DENIED), agent and eBPF errors, and panics. " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. DENY verdicts with a healthy agent point at the policy as written (netpol.denied-by-policy); errors, panics or the cleanup race point at the agent (netpol.agent-failure). Known-benign startup errors are ignored. ` +
    "Next: inspect_conntrack and inspect_iptables for the flows concerned, read_cni_config for the CNI and policy settings.",
  sources: ["networkPolicyAgentLog", "ebpfSdkLog", "nodeAgentContainerLogs"],
  kinds: KINDS,
  input: {},
  analyze,
});

export type { Kind as NetpolFindingKind };
