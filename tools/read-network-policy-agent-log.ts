import type { Severity } from "../src/domain/severity.ts";
import { parseIsoTime } from "../src/evidence/clock.ts";
import type { LineCursor } from "../src/evidence/lines.ts";
import { buildPrefilter } from "../src/toolkit/log-signals.ts";
import { Occurrences } from "../src/toolkit/occurrences.ts";
import { humanDuration, inWindow, isRecent } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";

const KINDS = {
  "netpol.enforcement":
    "Whether the network policy agent enforces policy on this node (fact): eBPF client initialised, probes attached, PolicyEndpoints reconciled, policy event (flow) logging on or off",
  "netpol.deny-verdicts":
    "The agent's eBPF programs DENIED flows (`Flow Info` lines with Verdict DENY): count and top source → destination pairs; with a healthy agent, evidence for netpol.denied-by-policy",
  "netpol.conntrack-cleanup":
    "The agent's periodic conntrack-map cleanup ran (fact): cycles, entries deleted, and which implementation (legacy single pass, or the two-phase cache of aws-network-policy-agent#256)",
  "netpol.conntrack-cleanup-race":
    "Replies of flows whose conntrack entry the cleanup had just deleted were DENIED (aws-network-policy-agent#246/#462): the agent, not the policy, drops live traffic (netpol.agent-failure)",
  "netpol.agent-errors":
    "The agent or its eBPF SDK logged errors (eBPF program load or attach failures, map updates, reconcile errors, fatal exits); attribute `categories`. Known-benign startup noise is not counted",
  "netpol.agent-panic":
    "The agent panicked (panic / fatal error with goroutine traces, or a recovered reconciler panic)",
} as const;
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

const RACE_WINDOW_MS = 10 * 60_000;
const MAX_TRACKED_DELETES = 100_000;
const MAX_PAIRS = 5_000;
const BOOT_GRACE_MS = 15 * 60_000;
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
async function startsLikeAgentLog(ctx: AnalyzerContext, path: string): Promise<boolean> {
  let seen = 0;
  let json = false;
  await ctx.read.scanAt(path, (cursor) => {
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

interface State {
  denies: Occurrences;
  raceDenies: Occurrences;
  raceFlows: Set<string>;
  pairs: Map<string, number>;
  otherPairs: number;
  srcIps: Map<string, number>;
  dstIps: Map<string, number>;
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

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const [agentPath] = await ctx.read.paths("networkPolicyAgentLog");
  const sdkPaths = await ctx.read.paths("ebpfSdkLog");
  if (!agentPath && sdkPaths.length === 0) return [];
  const s: State = {
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
  const window = ctx.window;
  let agentUsable = false;

  const onError = (path: string, cursor: LineCursor, line: string, at: number | undefined, fromSdk: boolean): void => {
    if (BENIGN_ERROR.test(line)) {
      s.benignErrors += 1;
      return;
    }
    s.errors.add(path, cursor.lineNo, at, cursor.text());
    if (fromSdk) s.sdkErrors += 1;
    const category = errorCategory(line, fromSdk);
    s.categories.set(category, (s.categories.get(category) ?? 0) + 1);
  };

  const onPanic = (path: string, cursor: LineCursor, line: string, at: number | undefined): void => {
    if (/^\s*goroutine \d+ \[|"goroutine \d+ \[| goroutine \d+ \[/.test(line) && !/panic:|fatal error:/.test(line)) {
      s.traceLines += 1;
      return;
    }
    s.panics.add(path, cursor.lineNo, at, cursor.text());
    s.panicSources.add(path);
  };

  if (agentPath) {
    const size = await ctx.read.size(agentPath);
    const looksLikeLog = size === 0 ? true : await startsLikeAgentLog(ctx, agentPath);
    agentUsable =
      looksLikeLog &&
      (await ctx.read.scanMatchingAt(agentPath, PREFILTER, (cursor, path) => {
        const line = cursor.chunk.slice(cursor.start, cursor.end);
        const at = lineTime(line);
        if (at !== undefined && at > window.end) return;
        const inside = inWindow(at, window);
        if (line.includes(DENY)) {
          if (!inside) return;
          const flow = parseFlow(line);
          s.denies.add(path, cursor.lineNo, at, cursor.text());
          if (!flow) return;
          const key = flowKey(flow.src, flow.sport, flow.dst, flow.dport, flow.proto);
          const deletedAt = s.deleted.get(key);
          if (
            deletedAt !== undefined &&
            (at === undefined ||
              deletedAt === Number.NEGATIVE_INFINITY ||
              (at >= deletedAt && at - deletedAt <= RACE_WINDOW_MS))
          ) {
            s.raceDenies.add(path, cursor.lineNo, at, cursor.text());
            if (s.raceFlows.size < 50)
              s.raceFlows.add(
                `${flow.src}:${flow.sport} ↔ ${flow.dst}:${flow.dport}/${PROTO_NAME[PROTO[flow.proto] ?? ""] ?? flow.proto}`,
              );
          }
          const proto = PROTO_NAME[PROTO[flow.proto] ?? ""] ?? flow.proto;
          if (!bump(s.pairs, `${flow.src} → ${flow.dst}:${flow.dport}/${proto}`)) s.otherPairs += 1;
          bump(s.srcIps, flow.src);
          bump(s.dstIps, flow.dst);
          return;
        }
        if (line.includes(CLEANUP) || line.includes(EXPIRED_DELETE)) {
          const m = DELETED.exec(line);
          if (m) {
            const key = flowKey(m[1] as string, m[2] as string, m[3] as string, m[4] as string, m[5] as string);
            if (s.deleted.has(key)) s.deleted.delete(key);
            else {
              s.deletes += 1;
              if (s.deleted.size >= MAX_TRACKED_DELETES) {
                const oldest = s.deleted.keys().next().value;
                if (oldest !== undefined) s.deleted.delete(oldest);
              }
            }
            s.deleted.set(key, at ?? Number.NEGATIVE_INFINITY);
            s.deleteLines += 1;
            // The pre-#256 agent logged every deletion at info as `"msg":"Conntrack cleanup"` with `Delete - `/`Entry - ` fields.
            if (line.includes('"msg":"Conntrack cleanup"')) s.legacy = true;
          }
          return;
        }
        if (line.includes(CYCLE_START)) {
          if (inside) s.cycles.add(path, cursor.lineNo, at, cursor.text());
          s.signals.add("conntrack-cleanup");
          s.lastEnabled = Math.max(s.lastEnabled, at ?? Number.POSITIVE_INFINITY);
          return;
        }
        if (line.includes(HYDRATED)) {
          s.twoPhase = true;
          return;
        }
        if (line.includes(DONE_CLEANUP)) {
          s.twoPhase = true;
          const m = /deleted (\d+) stale entries/.exec(line);
          if (m && inside) s.deletes += Number(m[1]);
          return;
        }
        for (const [needle, signal] of Object.entries(ENFORCEMENT_SIGNALS)) {
          if (line.includes(needle)) {
            s.signals.add(signal);
            if (signal === "probes-attached") s.attached += 1;
            // The latest word wins: an agent restarted with other flags says so again.
            const when = at ?? Number.POSITIVE_INFINITY;
            if (signal === "disabled") s.lastDisabled = Math.max(s.lastDisabled, when);
            else if (ENABLED_SIGNALS.has(signal)) s.lastEnabled = Math.max(s.lastEnabled, when);
            return;
          }
        }
        if (!inside) return;
        if (
          line.includes('"level":"panic"') ||
          line.includes('"level":"dpanic"') ||
          PANIC_NEEDLES.some((n) => line.includes(n))
        ) {
          if (
            line.includes('"level":"panic"') ||
            line.includes('"level":"dpanic"') ||
            /panic:|Observed a panic|fatal error:|goroutine \d+ \[/.test(line)
          ) {
            onPanic(path, cursor, line, at);
            return;
          }
        }
        if (ERROR_LEVELS.some((n) => line.includes(n)) || FAILURE_NEEDLES.some((n) => line.includes(n)))
          onError(path, cursor, line, at, false);
      }));
    if (!looksLikeLog)
      ctx.read.gap(agentPath, "no JSON log lines at the start of the file: not a network policy agent log");
    else if (agentUsable && size === 0) {
      ctx.read.gap(agentPath, "file is empty");
      agentUsable = false;
    }
  }

  for (const path of sdkPaths) {
    const size = await ctx.read.size(path);
    const ok = await ctx.read.scanMatchingAt(path, PREFILTER, (cursor) => {
      const line = cursor.chunk.slice(cursor.start, cursor.end);
      const at = lineTime(line);
      if (!inWindow(at, window)) return;
      if (ERROR_LEVELS.some((n) => line.includes(n)) || FAILURE_NEEDLES.some((n) => line.includes(n)))
        onError(path, cursor, line, at, true);
    });
    // An empty SDK log is normal (it only writes when the agent programs something): not a gap.
    if (ok && size === 0 && !agentPath) ctx.read.gap(path, "file is empty");
  }

  // The collector copies each container log twice (/var/log/containers and /var/log/pods): count a line once.
  const seenContainerLines = new Set<string>();
  for (const path of await ctx.read.paths("nodeAgentContainerLogs")) {
    await ctx.read.scanMatchingAt(path, CONTAINER_PREFILTER, (cursor) => {
      const line = cursor.chunk.slice(cursor.start, cursor.end);
      const at = parseIsoTime(line.slice(0, 40));
      if (!inWindow(at, window)) return;
      const id = line.slice(0, 200);
      if (seenContainerLines.has(id)) return;
      if (seenContainerLines.size < 10_000) seenContainerLines.add(id);
      onPanic(path, cursor, line, at);
    });
  }

  const findings: FindingDraft[] = [];
  const boot = ctx.clock.bootTime;
  const staleNote = (occ: Occurrences): string =>
    occ.last !== undefined && Number.isFinite(window.end)
      ? `; last seen ${humanDuration(window.end - occ.last)} before the window's end`
      : "";
  const withTimes = (draft: FindingDraft, occ: Occurrences): FindingDraft => {
    if (occ.firstSeen) draft.firstSeen = occ.firstSeen;
    if (occ.lastSeen) draft.lastSeen = occ.lastSeen;
    return draft;
  };

  // --- panics
  if (s.panics.count > 0 || s.traceLines > 0) {
    const recent = isRecent(s.panics, window);
    const count = Math.max(1, s.panics.count);
    findings.push(
      withTimes(
        {
          kind: "netpol.agent-panic",
          severity: recent ? "critical" : "info",
          summary: `The network policy agent panicked ${count} time${count === 1 ? "" : "s"}${s.traceLines ? ` (${s.traceLines} goroutine trace lines)` : ""}${recent ? "" : staleNote(s.panics)}`,
          evidence: s.panics.evidence,
          count,
          attributes: { traceLines: s.traceLines, stale: !recent, sources: [...s.panicSources].sort() },
          correlateWith: ["read_kubelet_journal", "read_dmesg"],
        },
        s.panics,
      ),
    );
  }

  // --- errors
  if (s.errors.count > 0) {
    const recent = isRecent(s.errors, window);
    const bootOnly =
      boot !== undefined &&
      s.errors.last !== undefined &&
      s.errors.last <= boot + BOOT_GRACE_MS &&
      window.end - s.errors.last > 10 * 60_000;
    const categories = [...s.categories.keys()].sort();
    const severity: Severity = bootOnly || !recent ? "info" : "high";
    const notes = bootOnly ? "; only while the node booted" : recent ? "" : staleNote(s.errors);
    findings.push(
      withTimes(
        {
          kind: "netpol.agent-errors",
          severity,
          summary: `The network policy agent logged ${s.errors.count} error${s.errors.count === 1 ? "" : "s"} (${categories.join(", ")})${s.sdkErrors ? `, ${s.sdkErrors} from the eBPF SDK` : ""}${notes}`,
          evidence: s.errors.evidence,
          count: s.errors.count,
          attributes: {
            categories,
            sdkErrors: s.sdkErrors,
            benignErrorsIgnored: s.benignErrors,
            stale: !recent,
            bootOnly,
          },
          correlateWith: ["read_kubelet_journal", "read_dmesg", "read_cni_config"],
        },
        s.errors,
      ),
    );
  }

  // --- the conntrack cleanup race
  if (s.raceDenies.count > 0) {
    const recent = isRecent(s.raceDenies, window);
    const implementation = s.legacy ? "legacy" : s.twoPhase ? "two-phase" : "unknown";
    const severity: Severity = !recent ? "info" : s.raceDenies.count >= 3 || s.legacy ? "high" : "medium";
    findings.push(
      withTimes(
        {
          kind: "netpol.conntrack-cleanup-race",
          severity,
          summary: `${s.raceDenies.count} DENY verdict${s.raceDenies.count === 1 ? "" : "s"} hit flows whose conntrack entry the agent's cleanup had deleted moments before (${s.raceFlows.size} flow${s.raceFlows.size === 1 ? "" : "s"}; ${implementation} cleanup): the agent dropped replies of live connections${recent ? "" : staleNote(s.raceDenies)}`,
          evidence: s.raceDenies.evidence,
          count: s.raceDenies.count,
          attributes: {
            flows: [...s.raceFlows].slice(0, 10),
            implementation,
            deniesTotal: s.denies.count,
            stale: !recent,
          },
          correlateWith: ["inspect_conntrack", "inspect_iptables"],
        },
        s.raceDenies,
      ),
    );
  }

  // --- deny verdicts
  if (s.denies.count > 0) {
    const recent = isRecent(s.denies, window);
    const mostlyRace = s.raceDenies.count >= 0.9 * s.denies.count;
    const severity: Severity = !recent ? "info" : mostlyRace ? "low" : "medium";
    const pairs = top(s.pairs, 10);
    findings.push(
      withTimes(
        {
          kind: "netpol.deny-verdicts",
          severity,
          summary: `Network policy DENIED ${s.denies.count} flow${s.denies.count === 1 ? "" : "s"}${
            pairs.length
              ? `; top: ${pairs
                  .slice(0, 3)
                  .map(([pair, n]) => `${pair} ×${n}`)
                  .join(", ")}`
              : ""
          }${mostlyRace ? " (almost all explained by the conntrack cleanup race)" : ""}${recent ? "" : staleNote(s.denies)}`,
          evidence: s.denies.evidence,
          count: s.denies.count,
          attributes: {
            topPairs: pairs.map(([pair, n]) => `${pair} ×${n}`),
            topSources: top(s.srcIps, 5).map(([ip]) => ip),
            topDestinations: top(s.dstIps, 5).map(([ip]) => ip),
            distinctPairs: s.pairs.size + (s.otherPairs > 0 ? 1 : 0),
            explainedByCleanupRace: s.raceDenies.count,
            stale: !recent,
          },
          correlateWith: ["inspect_iptables", "inspect_conntrack", "read_cni_config"],
        },
        s.denies,
      ),
    );
  }

  // --- cleanup cycles
  if (s.cycles.count > 0 || s.deleteLines > 0) {
    const implementation = s.legacy ? "legacy" : s.twoPhase ? "two-phase" : "unknown";
    findings.push(
      withTimes(
        {
          kind: "netpol.conntrack-cleanup",
          severity: "info",
          summary: `The agent's conntrack-map cleanup ran ${s.cycles.count} time${s.cycles.count === 1 ? "" : "s"} and deleted ${s.deletes} entr${s.deletes === 1 ? "y" : "ies"} (${implementation === "legacy" ? "legacy single-pass cleanup, prone to deleting live entries" : implementation === "two-phase" ? "two-phase cleanup that re-checks the kernel table" : "implementation unknown"})`,
          evidence: s.cycles.evidence,
          count: s.cycles.count,
          attributes: { cycles: s.cycles.count, deletedEntries: s.deletes, implementation },
          correlateWith: [],
        },
        s.cycles,
      ),
    );
  }

  // --- enforcement (a fact, whenever the agent log was readable)
  if (agentUsable) {
    if (s.denies.count > 0) s.lastEnabled = Math.max(s.lastEnabled, s.denies.last ?? Number.POSITIVE_INFINITY);
    const enforcing = s.lastEnabled > s.lastDisabled;
    const eventLogs =
      s.signals.has("policy-event-logs-on") || s.denies.count > 0
        ? true
        : s.signals.has("policy-event-logs-off")
          ? false
          : null;
    findings.push({
      kind: "netpol.enforcement",
      severity: "info",
      summary: enforcing
        ? `Network policy enforcement is active on this node (${[...s.signals].sort().join(", ") || "DENY verdicts"})${s.attached ? `; eBPF probes attached ${s.attached} time${s.attached === 1 ? "" : "s"}` : ""}${eventLogs === false ? "; flow logging is off, so DENY verdicts would not appear" : ""}`
        : s.signals.has("disabled")
          ? "Network policy enforcement is disabled on this node (the agent runs with --enable-network-policy=false): NetworkPolicies are not applied here"
          : "The network policy agent shows no sign of enforcing policy (no eBPF client, no PolicyEndpoints, no conntrack cleanup): NetworkPolicies are not applied by this node",
      evidence: agentPath
        ? [{ source: agentPath, excerpt: `signals: ${[...s.signals].sort().join(", ") || "none"}` }]
        : [],
      count: s.signals.size,
      attributes: {
        enabled: enforcing,
        signals: [...s.signals].sort(),
        policyEventLogs: eventLogs,
        probeAttachments: s.attached,
        benignErrorsIgnored: s.benignErrors,
      },
      correlateWith: ["read_cni_config"],
    });
  }
  return findings;
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
