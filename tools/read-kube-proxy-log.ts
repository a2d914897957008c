import { z } from "zod";
import type { Severity } from "../src/domain/severity.ts";
import type { WindowMs } from "../src/domain/time.ts";
import type { EvidenceReader } from "../src/toolkit/evidence-reader.ts";
import { draft, fromOccurrences, times } from "../src/toolkit/finding-drafts.ts";
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
import { humanDuration, inWindow, isRecent, STALE_AFTER_MS } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

const KINDS = {
  "kube-proxy.restore-failed": kind(
    "kube-proxy could not program its rules: Failed to execute iptables-restore / iptables-restore: line N failed / nftables sync failed; attribute `causes` (xtables-lock, rule-error, nftables, other); info once syncs succeeded again",
    {
      causes: attr.texts("Failure causes, sorted: xtables-lock, rule-error, nftables, other"),
      failedRuleLines: attr.numbers(
        "Line numbers of the restore input that iptables-restore rejected, ascending, at most 10",
      ),
      syncFailed: attr.count("`Sync failed` lines in the window (lines)"),
      syncsAfterLastFailure: attr.count("Rule syncs logged after the last restore failure (syncs)"),
      cleared: attr.flag(
        "Set (true) when later log lines show recovery (successful syncs or informers synced), so severity is info",
      ),
      stale: attr.flag("Set (true) when the signal stopped long before the window's end, so severity is info"),
    },
  ),
  "kube-proxy.xtables-lock": kind(
    "Another app is currently holding the xtables lock: kube-proxy contended for the iptables lock; low when rare, info when it stopped",
    {
      cleared: attr.flag(
        "Set (true) when later log lines show recovery (successful syncs or informers synced), so severity is info",
      ),
      stale: attr.flag("Set (true) when the signal stopped long before the window's end, so severity is info"),
    },
  ),
  "kube-proxy.sync-slow": kind(
    "A rules sync took longer than 10 s (SyncProxyRules complete elapsed / syncProxyRules took); attributes maxSeconds, slowSyncs",
    {
      maxSeconds: attr.seconds("Slowest rule sync, rounded to 0.01"),
      slowSyncs: attr.count("Rule syncs that took longer than 10 s (syncs)"),
      syncs: attr.count("Rule syncs logged in the window (syncs)"),
      numNATRules: attr.count("numNATRules from the last `Reloading service iptables data` line (rules)"),
      stale: attr.flag("Set (true) when the signal stopped long before the window's end, so severity is info"),
    },
  ),
  "kube-proxy.syncs": kind(
    "Fact: how many rule syncs were logged, the slowest and the last rule counts (numServices, numNATRules); argues against sync failures",
    {
      syncs: attr.count("Rule syncs logged in the window (syncs)"),
      maxSeconds: attr.seconds("Slowest rule sync, rounded to 0.01"),
      lastSeconds: attr.seconds("Duration of the last rule sync with a duration, rounded to 0.01"),
      numServices: attr.count("numServices from the last `Reloading service iptables data` line (services)"),
      numNATRules: attr.count("numNATRules from the last `Reloading service iptables data` line (rules)"),
    },
  ),
  "kube-proxy.crash": kind(
    'kube-proxy panicked, exited ("command failed", Error running ProxyServer, failed to run) or restarted repeatedly; attributes starts, restartIndex',
    {
      starts: attr.count("kube-proxy start (Version) lines in the window (starts)"),
      exits: attr.count("Panics and fatal exits logged (exits)"),
      restartIndex: attr.count("Highest container restart index among the log files read (restarts)"),
      stale: attr.flag("Set (true) when the signal stopped long before the window's end, so severity is info"),
    },
  ),
  "kube-proxy.apiserver-errors": kind(
    "kube-proxy could not list/watch Services or EndpointSlices (i/o timeout, connection refused, Unauthorized): its rules go stale; info for boot-time retries that stopped",
    {
      cleared: attr.flag(
        "Set (true) when later log lines show recovery (successful syncs or informers synced), so severity is info",
      ),
      stale: attr.flag("Set (true) when the signal stopped long before the window's end, so severity is info"),
    },
  ),
  "kube-proxy.mode": kind("Fact: the proxier in use (iptables, ipvs, nftables) and the kube-proxy version", {
    mode: z
      .enum(["iptables", "ipvs", "nftables", "userspace", "unknown"])
      .describe("Proxier kube-proxy uses, or unknown"),
    ipvsFallback: attr.flag("kube-proxy could not use the IPVS proxier and fell back"),
    starts: attr.count("kube-proxy start (Version) lines in the window (starts)"),
    version: attr.text("kube-proxy version (e.g. v1.29.0-eks-…)"),
  }),
  "kube-proxy.conntrack-settings": kind(
    "Fact: conntrack limits kube-proxy enforces; attribute `conntrackMax` (number) is the nf_conntrack_max kube-proxy set, for inspect_conntrack / read_sysctls",
    {
      conntrackMax: attr.count("nf_conntrack_max kube-proxy set (entries)"),
      hashsize: attr.count("conntrack hashsize kube-proxy set (buckets)"),
      tcpTimeoutEstablished: attr.seconds("nf_conntrack_tcp_timeout_established kube-proxy set"),
      tcpTimeoutCloseWait: attr.seconds("nf_conntrack_tcp_timeout_close_wait kube-proxy set"),
    },
  ),
  "kube-proxy.no-log-lines": kind("Fact: the kube-proxy log exists but holds no lines (kube-proxy never logged here)", {
    files: attr.texts("The empty kube-proxy log files"),
  }),
};
type Kind = keyof typeof KINDS;
type Attributes = FindingDraft["attributes"];

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
/** One sync this slow, or this many slow syncs, leaves services stale for long enough to notice. */
const SLOW_SYNC_HIGH_SECONDS = 60;
const SLOW_SYNCS_HIGH = 5;
/** A single failed restore can be a transient race; a second one is a pattern. */
const RESTORE_FAILED_HIGH = 2;
/** Lock contention now and then is normal on a busy node; repeated contention blocks syncs. */
const XTABLES_LOCK_HIGH = 3;
/** API errors beyond a couple of retries mean kube-proxy's view of services is going stale. */
const API_ERRORS_HIGH = 3;
/** Two restarts (by start lines or the container's restart index) make a loop, not a rollout. */
const RESTART_LOOP_MIN = 2;
const SHOWN_FAILED_RULE_LINES = 10;
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

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

/** What kube-proxy's logs said in the window: occurrences per signal and what the lines carried. */
interface Model extends State {
  occurrences: OccurrenceTable<Kind>;
  /** The files that could be read. */
  files: string[];
  bytes: number;
}

function emptyState(): State {
  return {
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
}

async function readKubeProxyLogs(
  read: EvidenceReader,
  window: WindowMs,
  yearRef: number | undefined,
): Promise<Model | undefined> {
  const all = dedupeContainerLogs(await read.paths("kubeProxyLog"));
  if (all.length === 0) return undefined;
  // var_log/kube-proxy.log is where old DaemonSets redirected kube-proxy's output (then the
  // container log is empty); when the container logs have content they are the same stream.
  const containerLogs = all.filter((p) => parseContainerLogPath(p) !== undefined);
  let containerBytes = 0;
  for (const path of containerLogs) containerBytes += (await read.size(path)) ?? 0;
  const paths = containerBytes > 0 ? containerLogs : all;
  const m: Model = { ...emptyState(), occurrences: new OccurrenceTable<Kind>(), files: [], bytes: 0 };
  for (const path of paths) {
    const ref = parseContainerLogPath(path);
    if (ref?.restart !== undefined) m.restartIndex = Math.max(m.restartIndex, ref.restart);
    m.bytes += (await read.size(path)) ?? 0;
    const ok = await read.scanMatchingAt(path, PREFILTER, (cursor) => {
      const raw = cursor.chunk.slice(cursor.start, cursor.end);
      const line = criMessage(raw);
      const at = criTime(raw) ?? journalLineTime(raw, yearRef);
      if (!inWindow(at, window)) return;
      if (line.includes("Sync failed")) m.syncFailed += 1;
      if (line.includes("Caches are synced") && at !== undefined)
        m.cachesSyncedAt = Math.max(m.cachesSyncedAt ?? at, at);
      // The most frequent line by far: skip the signal table for it.
      const kinds = line.includes("SyncProxyRules complete") ? SYNC_ONLY : matchSignals(line, SIGNALS);
      for (const kind of kinds) {
        const occ = m.occurrences.get(kind);
        if (!collect(kind, line, at, cursor.lineNo, path, occ, m)) continue;
        // A busy node logs a sync per endpoint change: keep samples of the first few only.
        if (kind === "kube-proxy.syncs" && occ.count >= 2) occ.addCountOnly(at);
        else occ.add(path, cursor.lineNo, at, cursor.text());
      }
    });
    if (ok) m.files.push(path);
  }
  return m.files.length > 0 ? m : undefined;
}

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const model = await readKubeProxyLogs(ctx.read, ctx.window, ctx.clock.yearReference);
  if (!model) return [];
  if (model.bytes === 0) return [noLogLinesFinding(model)];
  return [
    restoreFinding(model, ctx.window),
    lockFinding(model, ctx.window),
    syncsFinding(model),
    slowSyncFinding(model, ctx.window),
    crashFinding(model, ctx.window),
    apiFinding(model, ctx.window),
    modeFinding(model),
    conntrackFinding(model),
  ].filter((f): f is FindingDraft => f !== undefined);
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

/** A finding about a signal that may not have occurred at all (then count 0, no evidence). */
function signalFinding(
  kind: Kind,
  severity: Severity,
  summary: string,
  occ: Occurrences | undefined,
  attributes: Attributes,
): FindingDraft {
  const spec = { kind, severity, summary, attributes, correlateWith: CORRELATE[kind] ?? [] };
  return occ ? fromOccurrences(occ, spec) : draft({ ...spec, count: 0 });
}

/** The signal's occurrences, when it occurred in the window. */
function occurred(m: Model, kind: Kind): Occurrences | undefined {
  const occ = m.occurrences.peek(kind);
  return occ && occ.count > 0 ? occ : undefined;
}

function staleNote(occ: Occurrences, window: WindowMs): string {
  return occ.last !== undefined && Number.isFinite(window.end)
    ? `; last seen ${humanDuration(window.end - occ.last)} before the window's end`
    : "";
}

/**
 * A failure is over, so info, when what followed shows recovery (`recovered` is then the note
 * saying so) or when it stopped long before the window's end.
 */
function settle(
  base: Severity,
  occ: Occurrences,
  window: WindowMs,
  recovered: string | undefined,
): { severity: Severity; note: string; attributes: Attributes } {
  if (recovered !== undefined) return { severity: "info", note: recovered, attributes: { cleared: true } };
  if (!isRecent(occ, window)) return { severity: "info", note: staleNote(occ, window), attributes: { stale: true } };
  return { severity: base, note: "", attributes: {} };
}

function noLogLinesFinding(m: Model): FindingDraft {
  return signalFinding(
    "kube-proxy.no-log-lines",
    "info",
    `The kube-proxy log${m.files.length > 1 ? "s are" : " is"} empty: kube-proxy logged nothing on this node`,
    undefined,
    { files: m.files },
  );
}

function restoreFinding(m: Model, window: WindowMs): FindingDraft | undefined {
  const restore = occurred(m, "kube-proxy.restore-failed");
  if (!restore) return undefined;
  const { severity, note, attributes } = settle(
    restore.count >= RESTORE_FAILED_HIGH ? "high" : "medium",
    restore,
    window,
    m.syncsSinceFailure >= CLEARED_AFTER_SYNCS ? `; ${m.syncsSinceFailure} syncs succeeded afterwards` : undefined,
  );
  return signalFinding(
    "kube-proxy.restore-failed",
    severity,
    `kube-proxy failed to apply its rules ${times(restore.count)} (${[...m.restoreCauses].sort().join(", ")})${note}`,
    restore,
    {
      causes: [...m.restoreCauses].sort(),
      failedRuleLines: [...m.failedRuleLines].sort((a, b) => a - b).slice(0, SHOWN_FAILED_RULE_LINES),
      syncFailed: m.syncFailed,
      syncsAfterLastFailure: m.syncsSinceFailure,
      ...attributes,
    },
  );
}

function lockFinding(m: Model, window: WindowMs): FindingDraft | undefined {
  const lock = occurred(m, "kube-proxy.xtables-lock");
  if (!lock) return undefined;
  const { severity, note, attributes } = settle(
    lock.count >= XTABLES_LOCK_HIGH ? "high" : "low",
    lock,
    window,
    m.syncsSinceFailure >= CLEARED_AFTER_SYNCS && m.failureSeen ? "; syncs succeeded afterwards" : undefined,
  );
  return signalFinding(
    "kube-proxy.xtables-lock",
    severity,
    `kube-proxy found the xtables lock held by another process ${times(lock.count)}${note}`,
    lock,
    attributes,
  );
}

function syncsFinding(m: Model): FindingDraft | undefined {
  const syncs = m.occurrences.peek("kube-proxy.syncs");
  if (!syncs || m.syncs === 0) return undefined;
  const attributes: Attributes = { syncs: m.syncs, maxSeconds: round(m.maxSyncSeconds) };
  if (m.lastSyncSeconds !== undefined) attributes.lastSeconds = round(m.lastSyncSeconds);
  if (m.numServices !== undefined) attributes.numServices = m.numServices;
  if (m.numNatRules !== undefined) attributes.numNATRules = m.numNatRules;
  return signalFinding(
    "kube-proxy.syncs",
    "info",
    `kube-proxy logged ${m.syncs} rule sync${m.syncs === 1 ? "" : "s"}; slowest ${round(m.maxSyncSeconds)}s${m.numServices !== undefined ? `, ${m.numServices} services` : ""}`,
    syncs,
    attributes,
  );
}

function slowSyncFinding(m: Model, window: WindowMs): FindingDraft | undefined {
  const slow = m.slow;
  if (!slow || slow.count === 0) return undefined;
  const stale = !isRecent(slow, window);
  const attributes: Attributes = { maxSeconds: round(m.maxSyncSeconds), slowSyncs: slow.count, syncs: m.syncs };
  if (stale) attributes.stale = true;
  if (m.numNatRules !== undefined) attributes.numNATRules = m.numNatRules;
  const severity: Severity = stale
    ? "info"
    : m.maxSyncSeconds >= SLOW_SYNC_HIGH_SECONDS || slow.count >= SLOW_SYNCS_HIGH
      ? "high"
      : "medium";
  return signalFinding(
    "kube-proxy.sync-slow",
    severity,
    `${slow.count} kube-proxy rule sync${slow.count === 1 ? "" : "s"} took longer than ${SLOW_SYNC_SECONDS}s (slowest ${round(m.maxSyncSeconds)}s)${stale ? staleNote(slow, window) : ""}`,
    slow,
    attributes,
  );
}

function crashFinding(m: Model, window: WindowMs): FindingDraft | undefined {
  const crash = occurred(m, "kube-proxy.crash");
  const restarts = Math.max(m.starts - 1, m.restartIndex);
  if (!crash && restarts < RESTART_LOOP_MIN) return undefined;
  // Restarts alone (no exit logged) are a loop only while the last start is recent.
  const severity: Severity = crash
    ? isRecent(crash, window)
      ? "high"
      : "info"
    : m.lastStart !== undefined && Number.isFinite(window.end) && window.end - m.lastStart > STALE_AFTER_MS
      ? "info"
      : "medium";
  const attributes: Attributes = { starts: m.starts, exits: m.fatal, restartIndex: m.restartIndex };
  if (severity === "info") attributes.stale = true;
  return signalFinding(
    "kube-proxy.crash",
    severity,
    m.fatal > 0
      ? `kube-proxy crashed or exited with an error ${times(m.fatal)} (${m.starts} starts logged)`
      : `kube-proxy started ${m.starts} times`,
    crash,
    attributes,
  );
}

function apiFinding(m: Model, window: WindowMs): FindingDraft | undefined {
  const api = occurred(m, "kube-proxy.apiserver-errors");
  if (!api) return undefined;
  const { severity, note, attributes } = settle(
    api.count >= API_ERRORS_HIGH ? "high" : "medium",
    api,
    window,
    m.cachesSyncedAt !== undefined && api.last !== undefined && m.cachesSyncedAt >= api.last
      ? "; its informers synced afterwards"
      : undefined,
  );
  return signalFinding(
    "kube-proxy.apiserver-errors",
    severity,
    `kube-proxy could not list or watch the API server ${times(api.count)}${note}`,
    api,
    attributes,
  );
}

function modeFinding(m: Model): FindingDraft | undefined {
  const mode = occurred(m, "kube-proxy.mode");
  if (!mode && !m.version) return undefined;
  const attributes: Attributes = { mode: m.mode ?? "unknown", ipvsFallback: m.ipvsFallback, starts: m.starts };
  if (m.version) attributes.version = m.version;
  return signalFinding(
    "kube-proxy.mode",
    "info",
    `kube-proxy uses the ${m.mode ?? "unknown"} proxier${m.version ? ` (${m.version})` : ""}${m.ipvsFallback ? "; IPVS was requested but unavailable" : ""}`,
    mode,
    attributes,
  );
}

function conntrackFinding(m: Model): FindingDraft | undefined {
  const conntrack = occurred(m, "kube-proxy.conntrack-settings");
  if (!conntrack) return undefined;
  const c = m.conntrack;
  const attributes: Attributes = {};
  if (c.max !== undefined) attributes.conntrackMax = c.max;
  if (c.hashsize !== undefined) attributes.hashsize = c.hashsize;
  if (c.tcpEstablished !== undefined) attributes.tcpTimeoutEstablished = c.tcpEstablished;
  if (c.tcpCloseWait !== undefined) attributes.tcpTimeoutCloseWait = c.tcpCloseWait;
  return signalFinding(
    "kube-proxy.conntrack-settings",
    "info",
    c.max !== undefined ? `kube-proxy sets nf_conntrack_max to ${c.max}` : "kube-proxy adjusted conntrack settings",
    conntrack,
    attributes,
  );
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
