import type { Severity } from "../src/domain/severity.ts";
import {
  buildPrefilter,
  journalLineTime,
  klogLevel,
  matchSignals,
  type LogSignal,
} from "../src/toolkit/log-signals.ts";
import { Occurrences, OccurrenceTable } from "../src/toolkit/occurrences.ts";
import {
  criMessage,
  criTime,
  dedupeContainerLogs,
  goDurationSeconds,
  parseContainerLogPath,
} from "../src/toolkit/parse-container-log.ts";
import { humanDuration, inWindow, isRecent } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";

const KINDS = {
  "kube-proxy.restore-failed":
    "kube-proxy could not program its rules: Failed to execute iptables-restore / iptables-restore: line N failed / nftables sync failed; attribute `causes` (xtables-lock, rule-error, nftables, other); info once syncs succeeded again",
  "kube-proxy.xtables-lock":
    "Another app is currently holding the xtables lock: kube-proxy contended for the iptables lock; low when rare, info when it stopped",
  "kube-proxy.sync-slow":
    "A rules sync took longer than 10 s (SyncProxyRules complete elapsed / syncProxyRules took); attributes maxSeconds, slowSyncs",
  "kube-proxy.syncs":
    "Fact: how many rule syncs were logged, the slowest and the last rule counts (numServices, numNATRules); argues against sync failures",
  "kube-proxy.crash":
    'kube-proxy panicked, exited ("command failed", Error running ProxyServer, failed to run) or restarted repeatedly; attributes starts, restartIndex',
  "kube-proxy.apiserver-errors":
    "kube-proxy could not list/watch Services or EndpointSlices (i/o timeout, connection refused, Unauthorized): its rules go stale; info for boot-time retries that stopped",
  "kube-proxy.mode": "Fact: the proxier in use (iptables, ipvs, nftables) and the kube-proxy version",
  "kube-proxy.conntrack-settings":
    "Fact: conntrack limits kube-proxy enforces; attribute `conntrackMax` (number) is the nf_conntrack_max kube-proxy set, for inspect_conntrack / read_sysctls",
  "kube-proxy.no-log-lines": "Fact: the kube-proxy log exists but holds no lines (kube-proxy never logged here)",
} as const;
type Kind = keyof typeof KINDS;

const API_ERROR =
  /(i\/o timeout|connection refused|no route to host|Unauthorized|forbidden|TLS handshake timeout|context deadline exceeded|no such host)/;

const SIGNALS: readonly LogSignal<Kind>[] = [
  {
    kind: "kube-proxy.restore-failed",
    // The last four are continuation lines of a multi-line err=< … > (iptables-nft's wording).
    needles: [
      "Failed to execute iptables-restore",
      "iptables-restore: line",
      "nftables sync failed",
      "Failed to sync nftables",
      "Couldn't load target",
      "Couldn't load match",
      "Error occurred at line",
      "No chain/target/match by that name",
    ],
  },
  { kind: "kube-proxy.xtables-lock", needles: ["Another app is currently holding the xtables lock"] },
  {
    kind: "kube-proxy.syncs",
    needles: [
      "SyncProxyRules complete",
      "syncProxyRules complete",
      "syncProxyRules took",
      "SyncProxyRules took",
      "Reloading service iptables data",
    ],
  },
  {
    kind: "kube-proxy.crash",
    needles: [
      "panic:",
      "goroutine 1 [running]",
      "Error running ProxyServer",
      '"command failed"',
      "failed to run",
      "Failed to run",
      "unable to create proxier",
      "Version info",
      "] Version: v",
    ],
    test: (l) => !/10256|healthz/.test(l),
  },
  {
    kind: "kube-proxy.apiserver-errors",
    needles: [
      "Failed to watch",
      "failed to list",
      "Failed to list",
      "Failed to retrieve node info",
      "Unable to reach the API server",
      "Failed to get node",
    ],
    test: (l) => API_ERROR.test(l) && !/10256|healthz/.test(l),
  },
  {
    kind: "kube-proxy.mode",
    needles: [
      "Using iptables Proxier",
      "Using iptables proxy",
      "Using ipvs Proxier",
      "Using ipvs proxy",
      "Using nftables Proxier",
      "Using nftables proxy",
      "Using userspace Proxier",
      "assuming iptables proxy",
      "Can't use the IPVS proxier",
      "Can't use ipvs proxier",
    ],
  },
  {
    kind: "kube-proxy.conntrack-settings",
    needles: ["nf_conntrack_max", "conntrack hashsize", "nf_conntrack_tcp_timeout"],
  },
];
const PREFILTER = buildPrefilter(SIGNALS, ["Sync failed", "Caches are synced"]);
const SYNC_ONLY: Kind[] = ["kube-proxy.syncs"];

const SLOW_SYNC_SECONDS = 10;
/** How far a multi-line err=< … > block reaches after its header line. */
const CONTINUATION_LINES = 6;
/** A failure followed by this many logged syncs without a new failure is over. */
const CLEARED_AFTER_SYNCS = 3;

interface State {
  syncs: number;
  syncsSinceFailure: number;
  maxSyncSeconds: number;
  lastSyncSeconds: number | undefined;
  slow: Occurrences | undefined;
  numServices: number | undefined;
  numNatRules: number | undefined;
  restoreCauses: Set<string>;
  failedRuleLines: Set<number>;
  lastRestoreLine: Map<string, number>;
  syncFailed: number;
  starts: number;
  lastStart: number | undefined;
  fatal: number;
  restartIndex: number;
  mode: string | undefined;
  ipvsFallback: boolean;
  version: string | undefined;
  conntrack: { max?: number; hashsize?: number; tcpEstablished?: number; tcpCloseWait?: number };
  cachesSyncedAt: number | undefined;
  failureSeen: boolean;
}

function restoreCause(line: string): string {
  if (/xtables lock|exit status 4/.test(line)) return "xtables-lock";
  if (
    /line \d+ failed|Error occurred at line|No chain\/target\/match|Bad rule|Couldn't load|does not exist|RULE_APPEND failed/.test(
      line,
    )
  )
    return "rule-error";
  if (/nftables|nft /.test(line)) return "nftables";
  return "other";
}

function proxyMode(line: string): string | undefined {
  const m = /Using (iptables|ipvs|nftables|userspace) (?:Proxier|proxy)/.exec(line);
  if (m) return m[1];
  if (/assuming iptables proxy/.test(line)) return "iptables";
  return undefined;
}

/** The number after `key=` / `key: ` / `to ` in a structured or printf kube-proxy line. */
function numberAfter(line: string, pattern: RegExp): number | undefined {
  const m = pattern.exec(line);
  const digits = m?.slice(1).find((g) => g !== undefined);
  return digits === undefined ? undefined : Number(digits);
}

function collect(
  kind: Kind,
  line: string,
  at: number | undefined,
  lineNo: number,
  path: string,
  occ: Occurrences,
  s: State,
): boolean {
  switch (kind) {
    case "kube-proxy.restore-failed": {
      const failed = /iptables-restore: line (\d+) failed|Error occurred at line: (\d+)/.exec(line);
      if (failed) s.failedRuleLines.add(Number(failed[1] ?? failed[2]));
      // `err=<` opens a multi-line error: the cause is on the continuation lines.
      if (!line.trimEnd().endsWith("err=<")) s.restoreCauses.add(restoreCause(line));
      s.syncsSinceFailure = 0;
      s.failureSeen = true;
      // klog prints a multi-line err=< … > block: its continuation lines belong to the same failure.
      const previous = s.lastRestoreLine.get(path);
      s.lastRestoreLine.set(path, lineNo);
      if (
        previous !== undefined &&
        lineNo - previous <= CONTINUATION_LINES &&
        !/Failed to execute iptables-restore|nftables sync failed/.test(line)
      )
        return false;
      return true;
    }
    case "kube-proxy.xtables-lock": {
      // Inside a restore failure's err=< … > block the lock is that failure's cause.
      const header = s.lastRestoreLine.get(path);
      if (header !== undefined && lineNo - header <= CONTINUATION_LINES) s.restoreCauses.add("xtables-lock");
      return true;
    }
    case "kube-proxy.syncs": {
      if (/Reloading service iptables data/.test(line)) {
        s.numServices = numberAfter(line, /numServices=(\d+)/) ?? s.numServices;
        s.numNatRules = numberAfter(line, /numNATRules=(\d+)/) ?? s.numNatRules;
        return false;
      }
      const seconds = syncSeconds(line);
      s.syncs += 1;
      s.syncsSinceFailure += 1;
      if (seconds !== undefined) {
        s.lastSyncSeconds = seconds;
        s.maxSyncSeconds = Math.max(s.maxSyncSeconds, seconds);
        if (seconds > SLOW_SYNC_SECONDS) (s.slow ??= new Occurrences()).add(path, lineNo, at, line);
      }
      return true;
    }
    case "kube-proxy.crash": {
      if (/Version info|\] Version: v/.test(line)) {
        s.starts += 1;
        if (at !== undefined) s.lastStart = Math.max(s.lastStart ?? at, at);
        const v = /version="([^"]+)"|Version: (v[^\s"]+)/.exec(line);
        if (v) s.version = v[1] ?? v[2];
        return false;
      }
      const level = klogLevel(line);
      if (level === "I" && !/panic:|goroutine 1 \[running\]/.test(line)) return false;
      // A panic prints its stack right after: one crash, not one per line of the dump.
      if (/goroutine 1 \[running\]/.test(line) && s.fatal > 0 && occ.count > 0) return false;
      s.fatal += 1;
      return true;
    }
    case "kube-proxy.mode": {
      if (/Can't use (?:the IPVS|ipvs) proxier/i.test(line)) s.ipvsFallback = true;
      s.mode = proxyMode(line) ?? s.mode;
      return true;
    }
    case "kube-proxy.conntrack-settings": {
      const c = s.conntrack;
      if (/nf_conntrack_max/.test(line))
        c.max =
          numberAfter(
            line,
            /(?:nf_conntrack_max' to |nf_conntrack_max to |nfConntrackMax=|nf_conntrack_max" value=)(\d+)/,
          ) ?? c.max;
      if (/hashsize/.test(line))
        c.hashsize = numberAfter(line, /(?:hashsize to |conntrackHashsize=)(\d+)/) ?? c.hashsize;
      if (/tcp_timeout_established/.test(line))
        c.tcpEstablished =
          numberAfter(line, /tcp_timeout_established'? (?:to |value=)?"?(\d+)|tcp_timeout_established" value=(\d+)/) ??
          c.tcpEstablished;
      if (/tcp_timeout_close_wait/.test(line))
        c.tcpCloseWait =
          numberAfter(line, /tcp_timeout_close_wait'? (?:to |value=)?"?(\d+)|tcp_timeout_close_wait" value=(\d+)/) ??
          c.tcpCloseWait;
      return true;
    }
    default:
      return true;
  }
}

/** `elapsed="48.3ms"` (the common case, read without a regex) or any Go duration after elapsed= / took. */
function syncSeconds(line: string): number | undefined {
  const i = line.indexOf('elapsed="');
  if (i >= 0) {
    const end = line.indexOf('"', i + 9);
    const value = line.slice(i + 9, end < 0 ? undefined : end);
    const ms = value.endsWith("ms") ? Number(value.slice(0, -2)) : Number.NaN;
    if (Number.isFinite(ms)) return ms / 1000;
    return goDurationSeconds(value);
  }
  const m = /(?:elapsed=|took )([\d.]+(?:h|ms|m|s|µs|us|ns)[\d.hmsµun]*)/.exec(line);
  return m ? goDurationSeconds(m[1] as string) : undefined;
}

function summarize(kind: Kind, occ: Occurrences, s: State): string {
  const n = `${occ.count} time${occ.count === 1 ? "" : "s"}`;
  switch (kind) {
    case "kube-proxy.restore-failed":
      return `kube-proxy failed to apply its rules ${n} (${[...s.restoreCauses].sort().join(", ")})`;
    case "kube-proxy.xtables-lock":
      return `kube-proxy found the xtables lock held by another process ${n}`;
    case "kube-proxy.syncs":
      return `kube-proxy logged ${s.syncs} rule sync${s.syncs === 1 ? "" : "s"}; slowest ${round(s.maxSyncSeconds)}s${s.numServices !== undefined ? `, ${s.numServices} services` : ""}`;
    case "kube-proxy.crash":
      return s.fatal > 0
        ? `kube-proxy crashed or exited with an error ${s.fatal} time${s.fatal === 1 ? "" : "s"} (${s.starts} starts logged)`
        : `kube-proxy started ${s.starts} times`;
    case "kube-proxy.apiserver-errors":
      return `kube-proxy could not list or watch the API server ${n}`;
    case "kube-proxy.mode":
      return `kube-proxy uses the ${s.mode ?? "unknown"} proxier${s.version ? ` (${s.version})` : ""}${s.ipvsFallback ? "; IPVS was requested but unavailable" : ""}`;
    case "kube-proxy.conntrack-settings":
      return s.conntrack.max !== undefined
        ? `kube-proxy sets nf_conntrack_max to ${s.conntrack.max}`
        : "kube-proxy adjusted conntrack settings";
    default:
      return `${KINDS[kind]} (${n})`;
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

const CORRELATE: Partial<Record<Kind, string[]>> = {
  "kube-proxy.restore-failed": ["inspect_iptables", "read_kubelet_journal"],
  "kube-proxy.xtables-lock": ["inspect_iptables", "read_ipamd_log"],
  "kube-proxy.sync-slow": ["inspect_iptables"],
  "kube-proxy.crash": ["inspect_iptables", "read_kubelet_journal"],
  "kube-proxy.apiserver-errors": ["read_kubelet_journal", "check_resolv_conf"],
  "kube-proxy.conntrack-settings": ["inspect_conntrack", "read_sysctls"],
  "kube-proxy.mode": ["inspect_iptables"],
};

function draft(
  kind: Kind,
  severity: Severity,
  summary: string,
  occ: Occurrences | undefined,
  attributes: FindingDraft["attributes"],
): FindingDraft {
  const d: FindingDraft = {
    kind,
    severity,
    summary,
    evidence: occ?.evidence ?? [],
    count: occ?.count ?? 0,
    attributes,
    correlateWith: CORRELATE[kind] ?? [],
  };
  if (occ?.firstSeen) d.firstSeen = occ.firstSeen;
  if (occ?.lastSeen) d.lastSeen = occ.lastSeen;
  return d;
}

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const all = dedupeContainerLogs(await ctx.read.paths("kubeProxyLog"));
  if (all.length === 0) return [];
  // var_log/kube-proxy.log is where old DaemonSets redirected kube-proxy's output (then the
  // container log is empty); when the container logs have content they are the same stream.
  const containerLogs = all.filter((p) => parseContainerLogPath(p) !== undefined);
  let containerBytes = 0;
  for (const path of containerLogs) containerBytes += (await ctx.read.size(path)) ?? 0;
  const paths = containerBytes > 0 ? containerLogs : all;
  const table = new OccurrenceTable<Kind>();
  const s: State = {
    syncs: 0,
    syncsSinceFailure: 0,
    maxSyncSeconds: 0,
    lastSyncSeconds: undefined,
    slow: undefined,
    numServices: undefined,
    numNatRules: undefined,
    restoreCauses: new Set(),
    failedRuleLines: new Set(),
    lastRestoreLine: new Map(),
    syncFailed: 0,
    starts: 0,
    lastStart: undefined,
    fatal: 0,
    restartIndex: 0,
    mode: undefined,
    ipvsFallback: false,
    version: undefined,
    conntrack: {},
    cachesSyncedAt: undefined,
    failureSeen: false,
  };
  const yearRef = ctx.clock.yearReference;
  let bytes = 0;
  const readable: string[] = [];
  for (const path of paths) {
    const ref = parseContainerLogPath(path);
    if (ref?.restart !== undefined) s.restartIndex = Math.max(s.restartIndex, ref.restart);
    bytes += (await ctx.read.size(path)) ?? 0;
    const ok = await ctx.read.scanMatchingAt(path, PREFILTER, (cursor) => {
      const raw = cursor.chunk.slice(cursor.start, cursor.end);
      const line = criMessage(raw);
      const at = criTime(raw) ?? journalLineTime(raw, yearRef);
      if (!inWindow(at, ctx.window)) return;
      if (line.includes("Sync failed")) s.syncFailed += 1;
      if (line.includes("Caches are synced") && at !== undefined)
        s.cachesSyncedAt = Math.max(s.cachesSyncedAt ?? at, at);
      // The most frequent line by far: skip the signal table for it.
      const kinds = line.includes("SyncProxyRules complete") ? SYNC_ONLY : matchSignals(line, SIGNALS);
      if (kinds.length === 0) return;
      for (const kind of kinds) {
        const occ = table.get(kind);
        if (!collect(kind, line, at, cursor.lineNo, path, occ, s)) continue;
        // A busy node logs a sync per endpoint change: keep samples of the first few only.
        if (kind === "kube-proxy.syncs" && occ.count >= 2) occ.addCountOnly(at);
        else occ.add(path, cursor.lineNo, at, cursor.text());
      }
    });
    if (ok) readable.push(path);
  }
  if (readable.length === 0) return [];
  const findings: FindingDraft[] = [];
  if (bytes === 0) {
    findings.push(
      draft(
        "kube-proxy.no-log-lines",
        "info",
        `The kube-proxy log${readable.length > 1 ? "s are" : " is"} empty: kube-proxy logged nothing on this node`,
        undefined,
        { files: readable },
      ),
    );
    return findings;
  }

  const stale = (occ: Occurrences) => !isRecent(occ, ctx.window);
  const staleNote = (occ: Occurrences) =>
    occ.last !== undefined && Number.isFinite(ctx.window.end)
      ? `; last seen ${humanDuration(ctx.window.end - occ.last)} before the window's end`
      : "";

  const restore = table.peek("kube-proxy.restore-failed");
  if (restore && restore.count > 0) {
    const attributes: FindingDraft["attributes"] = {
      causes: [...s.restoreCauses].sort(),
      failedRuleLines: [...s.failedRuleLines].sort((a, b) => a - b).slice(0, 10),
      syncFailed: s.syncFailed,
      syncsAfterLastFailure: s.syncsSinceFailure,
    };
    let severity: Severity = restore.count >= 2 ? "high" : "medium";
    let note = "";
    if (s.syncsSinceFailure >= CLEARED_AFTER_SYNCS) {
      severity = "info";
      attributes.cleared = true;
      note = `; ${s.syncsSinceFailure} syncs succeeded afterwards`;
    } else if (stale(restore)) {
      severity = "info";
      attributes.stale = true;
      note = staleNote(restore);
    }
    findings.push(
      draft(
        "kube-proxy.restore-failed",
        severity,
        summarize("kube-proxy.restore-failed", restore, s) + note,
        restore,
        attributes,
      ),
    );
  }

  const lock = table.peek("kube-proxy.xtables-lock");
  if (lock && lock.count > 0) {
    const attributes: FindingDraft["attributes"] = {};
    let severity: Severity = lock.count >= 3 ? "high" : "low";
    let note = "";
    if (s.syncsSinceFailure >= CLEARED_AFTER_SYNCS && s.failureSeen) {
      severity = "info";
      attributes.cleared = true;
      note = "; syncs succeeded afterwards";
    } else if (stale(lock)) {
      severity = "info";
      attributes.stale = true;
      note = staleNote(lock);
    }
    findings.push(
      draft(
        "kube-proxy.xtables-lock",
        severity,
        summarize("kube-proxy.xtables-lock", lock, s) + note,
        lock,
        attributes,
      ),
    );
  }

  const syncs = table.peek("kube-proxy.syncs");
  if (syncs && s.syncs > 0) {
    const attributes: FindingDraft["attributes"] = { syncs: s.syncs, maxSeconds: round(s.maxSyncSeconds) };
    if (s.lastSyncSeconds !== undefined) attributes.lastSeconds = round(s.lastSyncSeconds);
    if (s.numServices !== undefined) attributes.numServices = s.numServices;
    if (s.numNatRules !== undefined) attributes.numNATRules = s.numNatRules;
    findings.push(draft("kube-proxy.syncs", "info", summarize("kube-proxy.syncs", syncs, s), syncs, attributes));
  }
  if (s.slow && s.slow.count > 0) {
    const slow = s.slow;
    const attributes: FindingDraft["attributes"] = {
      maxSeconds: round(s.maxSyncSeconds),
      slowSyncs: slow.count,
      syncs: s.syncs,
    };
    let severity: Severity = s.maxSyncSeconds >= 60 || slow.count >= 5 ? "high" : "medium";
    if (stale(slow)) {
      severity = "info";
      attributes.stale = true;
    }
    if (s.numNatRules !== undefined) attributes.numNATRules = s.numNatRules;
    const summary = `${slow.count} kube-proxy rule sync${slow.count === 1 ? "" : "s"} took longer than ${SLOW_SYNC_SECONDS}s (slowest ${round(s.maxSyncSeconds)}s)${attributes.stale ? staleNote(slow) : ""}`;
    findings.push(draft("kube-proxy.sync-slow", severity, summary, slow, attributes));
  }

  const crash = table.peek("kube-proxy.crash");
  const restarts = Math.max(s.starts - 1, s.restartIndex);
  if ((crash && crash.count > 0) || restarts >= 2) {
    const attributes: FindingDraft["attributes"] = { starts: s.starts, exits: s.fatal, restartIndex: s.restartIndex };
    let severity: Severity = "info";
    if (crash && crash.count > 0) severity = stale(crash) ? "info" : "high";
    else if (restarts >= 2)
      severity =
        s.lastStart !== undefined && Number.isFinite(ctx.window.end) && ctx.window.end - s.lastStart > 2 * 3600_000
          ? "info"
          : "medium";
    if (severity === "info") attributes.stale = true;
    findings.push(
      draft(
        "kube-proxy.crash",
        severity,
        summarize("kube-proxy.crash", crash ?? table.get("kube-proxy.crash"), s),
        crash,
        attributes,
      ),
    );
  }

  const api = table.peek("kube-proxy.apiserver-errors");
  if (api && api.count > 0) {
    const attributes: FindingDraft["attributes"] = {};
    let severity: Severity = api.count >= 3 ? "high" : "medium";
    let note = "";
    if (s.cachesSyncedAt !== undefined && api.last !== undefined && s.cachesSyncedAt >= api.last) {
      severity = "info";
      attributes.cleared = true;
      note = "; its informers synced afterwards";
    } else if (stale(api)) {
      severity = "info";
      attributes.stale = true;
      note = staleNote(api);
    }
    findings.push(
      draft(
        "kube-proxy.apiserver-errors",
        severity,
        summarize("kube-proxy.apiserver-errors", api, s) + note,
        api,
        attributes,
      ),
    );
  }

  const mode = table.peek("kube-proxy.mode");
  if ((mode && mode.count > 0) || s.version) {
    const attributes: FindingDraft["attributes"] = {
      mode: s.mode ?? "unknown",
      ipvsFallback: s.ipvsFallback,
      starts: s.starts,
    };
    if (s.version) attributes.version = s.version;
    findings.push(
      draft(
        "kube-proxy.mode",
        "info",
        summarize("kube-proxy.mode", mode ?? table.get("kube-proxy.mode"), s),
        mode,
        attributes,
      ),
    );
  }

  const conntrack = table.peek("kube-proxy.conntrack-settings");
  if (conntrack && conntrack.count > 0) {
    const attributes: FindingDraft["attributes"] = {};
    if (s.conntrack.max !== undefined) attributes.conntrackMax = s.conntrack.max;
    if (s.conntrack.hashsize !== undefined) attributes.hashsize = s.conntrack.hashsize;
    if (s.conntrack.tcpEstablished !== undefined) attributes.tcpTimeoutEstablished = s.conntrack.tcpEstablished;
    if (s.conntrack.tcpCloseWait !== undefined) attributes.tcpTimeoutCloseWait = s.conntrack.tcpCloseWait;
    findings.push(
      draft(
        "kube-proxy.conntrack-settings",
        "info",
        summarize("kube-proxy.conntrack-settings", conntrack, s),
        conntrack,
        attributes,
      ),
    );
  }
  return findings;
}

export const readKubeProxyLog = defineTool({
  name: "read_kube_proxy_log",
  title: "kube-proxy log",
  lane: "service",
  description:
    "Reads kube-proxy's log (var_log/kube-proxy.log and the kube-proxy container logs, CRI-wrapped klog) and reports whether it programs service rules: iptables-restore / nftables failures, xtables lock contention, slow syncs (> 10 s), crashes and restart loops, API server list/watch errors; and facts: proxier mode and version, sync counts and rule counts, the conntrack limits it sets (attribute conntrackMax, a hand-off for inspect_conntrack and read_sysctls). " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. Failures followed by successful syncs, boot-time retries and healthz chatter on 127.0.0.1:10256 are info; a missing log is no_data, an empty one the fact kube-proxy.no-log-lines. ` +
    "Next: inspect_iptables to see whether KUBE-SERVICES is programmed, inspect_conntrack with conntrackMax.",
  sources: ["kubeProxyLog"],
  kinds: KINDS,
  input: {},
  analyze,
});
