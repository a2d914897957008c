import { z } from "zod";
import type { EvidenceLocator } from "../src/domain/finding.ts";
import type { Severity } from "../src/domain/severity.ts";
import type { BundleClock } from "../src/evidence/bundle-clock.ts";
import type { LineCursor } from "../src/evidence/lines.ts";
import type { EvidenceReader } from "../src/toolkit/evidence-reader.ts";
import { draft, fact } from "../src/toolkit/finding-drafts.ts";
import { makeLocator } from "../src/toolkit/occurrences.ts";
import { readSysctlValues, sysctlNumber, type SysctlEntry } from "../src/toolkit/parse-sysctls.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

const KINDS = {
  "conntrack.stats": kind(
    "`conntrack -S` counters summed over CPUs (found, invalid, insert, insert_failed, drop, early_drop, error, search_restart, clash_resolve); insert_failed=0 argues against the DNS conntrack race",
    {
      format: z
        .enum(["per-cpu", "aggregated"])
        .describe("conntrack -S layout: per-CPU lines (summed) or the legacy aggregated table"),
      cpus: attr.count("CPU lines summed (0 in the aggregated format)"),
      found: attr.count("conntrack -S found summed over CPUs since boot"),
      invalid: attr.count("conntrack -S invalid summed over CPUs since boot"),
      ignore: attr.count("conntrack -S ignore summed over CPUs since boot"),
      insert: attr.count("conntrack -S insert summed over CPUs since boot"),
      insertFailed: attr.count("conntrack -S insert_failed summed over CPUs since boot"),
      drop: attr.count("conntrack -S drop summed over CPUs since boot"),
      earlyDrop: attr.count("conntrack -S early_drop summed over CPUs since boot"),
      error: attr.count("conntrack -S error summed over CPUs since boot"),
      icmpError: attr.count("conntrack -S icmp_error summed over CPUs since boot"),
      searchRestart: attr.count("conntrack -S search_restart summed over CPUs since boot"),
      clashResolve: attr.count("conntrack -S clash_resolve summed over CPUs since boot"),
      chainTooLong: attr.count("conntrack -S chaintoolong summed over CPUs since boot"),
      entries: attr.count("Table entries reported by the legacy aggregated format"),
    },
  ),
  "conntrack.insert-failed": kind(
    "insert_failed > 0: conntrack inserts lost a race (parallel UDP A/AAAA lookups → 5 s DNS delays); severity grows with the count",
    {
      insertFailed: attr.count("conntrack -S insert_failed summed over CPUs since boot"),
      insert: attr.count("conntrack -S insert summed over CPUs since boot"),
      insertFailedRatio: attr.number("insertFailed / insert, rounded to 6 decimals", "ratio, 0–1"),
      insertFailedPerHour: attr.number("insertFailed divided by uptime, rounded to 0.1", "failures per hour"),
      clashResolve: attr.count("conntrack -S clash_resolve summed over CPUs since boot (races the kernel resolved)"),
    },
  ),
  "conntrack.drops": kind(
    "drop / early_drop > 0: packets were dropped or entries evicted because the conntrack table was full at some point",
    {
      drop: attr.count("conntrack -S drop summed over CPUs since boot (packets)"),
      earlyDrop: attr.count("conntrack -S early_drop summed over CPUs since boot (entries evicted)"),
    },
  ),
  "conntrack.table-near-full": kind(
    "Entries (conntrack -L, or nf_conntrack_count) are at least 75% (medium) / 90% (high) of nf_conntrack_max",
    {
      entries: attr.number("Largest of the listed, legacy and nf_conntrack_count entry counts", "entries"),
      conntrackMax: attr.number("nf_conntrack_max, from the sysctl dump or the conntrackMax input", "entries"),
      percent: attr.percent("entries as a share of conntrackMax, rounded to 0.1"),
      listed: attr.count("Entries conntrack -L listed"),
      conntrackCount: attr.number("net.netfilter.nf_conntrack_count from the sysctl dump", "entries"),
    },
  ),
  "conntrack.entries": kind(
    "Entries in the table by protocol and TCP state, UDP/53 (DNS) entries and how many of those never got a reply, against nf_conntrack_max",
    {
      entries: attr.number("Largest of the listed, legacy and nf_conntrack_count entry counts", "entries"),
      udp53: attr.count("UDP entries to port 53 (DNS)"),
      udp53Unreplied: attr.count("UDP/53 entries marked [UNREPLIED]"),
      tcp53: attr.count("TCP entries to port 53 (DNS)"),
      byProtocol: attr.texts("Listed entries per protocol as protocol=count, most first"),
      tcpStates: attr.texts("Listed TCP entries per state as STATE=count, most first"),
      dnsDestinations: attr.texts("UDP/53 destinations as address=count, most first (at most 10 addresses)"),
      maxSource: z.enum(["sysctl", "input", "unknown"]).describe("Where conntrackMax came from"),
      listed: attr.count("Entries conntrack -L listed"),
      reported: attr.count("Entries conntrack said it showed (`N flow entries have been shown`)"),
      conntrackCount: attr.number("net.netfilter.nf_conntrack_count from the sysctl dump", "entries"),
      conntrackMax: attr.number("nf_conntrack_max, from the sysctl dump or the conntrackMax input", "entries"),
      percent: attr.percent("entries as a share of conntrackMax, rounded to 0.1"),
    },
  ),
};

// insert_failed counts since boot: a handful is background noise, hundreds mean lookups keep timing out.
const INSERT_FAILED_MEDIUM = 100;
const INSERT_FAILED_HIGH = 1000;
/** A failed share of inserts this high is medium however small the count (a lightly used node). */
const INSERT_FAILED_RATIO_MEDIUM = 0.001;
/** Packet drops since boot from a full table; past this many, connections were visibly lost. */
const DROP_HIGH = 100;
/** Shares of nf_conntrack_max: the kernel drops new connections once the table is full. */
const NEAR_FULL_HIGH = 0.9;
const NEAR_FULL_MEDIUM = 0.75;
const MAX_DNS_DESTINATIONS = 10;
const MAX_SAMPLES = 3;
const SHOWN_DNS_SAMPLES = 2;

/** Counter names as `conntrack -S` prints them, and the attribute each one becomes. */
const COUNTERS: ReadonlyArray<[string, string]> = [
  ["found", "found"],
  ["invalid", "invalid"],
  ["ignore", "ignore"],
  ["insert", "insert"],
  ["insert_failed", "insertFailed"],
  ["drop", "drop"],
  ["early_drop", "earlyDrop"],
  ["error", "error"],
  ["icmp_error", "icmpError"],
  ["search_restart", "searchRestart"],
  ["clash_resolve", "clashResolve"],
  ["chaintoolong", "chainTooLong"],
];

type Section = "none" | "stats" | "list" | "other";

interface Stats {
  sums: Map<string, number>;
  cpus: number;
  legacy: boolean;
  legacyEntries: number | undefined;
  firstLine: EvidenceLocator | undefined;
  insertFailedLines: EvidenceLocator[];
  dropLines: EvidenceLocator[];
}

interface Table {
  entries: number;
  byProto: Map<string, number>;
  tcpStates: Map<string, number>;
  udp53: number;
  udp53Unreplied: number;
  tcp53: number;
  dnsDestinations: Map<string, number>;
  dnsSamples: EvidenceLocator[];
  reported: number | undefined;
  header: EvidenceLocator | undefined;
  listSeen: boolean;
  toolError: string | undefined;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function skipSpaces(s: string, i: number, end: number): number {
  while (i < end && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  return i;
}

function skipWord(s: string, i: number, end: number): number {
  while (i < end && s.charCodeAt(i) > 32) i++;
  return i;
}

function protocolAt(s: string, start: number, end: number): string | undefined {
  switch (end - start) {
    case 3:
      if (s.startsWith("tcp", start)) return "tcp";
      if (s.startsWith("udp", start)) return "udp";
      break;
    case 4:
      if (s.startsWith("icmp", start)) return "icmp";
      if (s.startsWith("sctp", start)) return "sctp";
      break;
    default:
      break;
  }
  const name = s.slice(start, end);
  return /^[a-z0-9]{2,16}$/.test(name) ? name : undefined;
}

/**
 * Counts one `conntrack -L` line (`tcp 6 86399 ESTABLISHED src=… dst=… sport=… dport=… …`, with an
 * optional `ipv4 2` prefix in extended output). The hot path of a million-entry table: no regex,
 * no allocation for the common line. Returns false when the line is not an entry.
 */
function countEntry(cursor: LineCursor, path: string, t: Table): boolean {
  const s = cursor.chunk;
  const end = cursor.end;
  let i = cursor.start;
  if (s.startsWith("ipv4 ", i) || s.startsWith("ipv6 ", i)) {
    i = skipSpaces(s, skipWord(s, skipSpaces(s, skipWord(s, i, end), end), end), end);
  }
  const protoStart = i;
  i = skipWord(s, i, end);
  if (i === protoStart) return false;
  const proto = protocolAt(s, protoStart, i);
  if (proto === undefined) return false;
  i = skipSpaces(s, i, end);
  if (!isDigit(s.charCodeAt(i))) return false;
  i = skipSpaces(s, skipWord(s, i, end), end); // protocol number
  if (!isDigit(s.charCodeAt(i))) return false;
  i = skipSpaces(s, skipWord(s, i, end), end); // seconds to live
  let state: string | undefined;
  const c = s.charCodeAt(i);
  if (c >= 65 && c <= 90) {
    const stateStart = i;
    i = skipWord(s, i, end);
    state = tcpState(s, stateStart, i);
    i = skipSpaces(s, i, end);
  }
  if (!s.startsWith("src=", i)) return false;

  t.entries += 1;
  t.byProto.set(proto, (t.byProto.get(proto) ?? 0) + 1);
  if (state !== undefined && proto === "tcp") t.tcpStates.set(state, (t.tcpStates.get(state) ?? 0) + 1);
  if (proto !== "tcp" && proto !== "udp") return true;
  // The first dport= is the original direction's destination port; always inside a tcp/udp line.
  const d = s.indexOf("dport=", i);
  if (d < 0 || d >= end) return true;
  const p = d + 6;
  const isDns = s.startsWith("53", p) && (p + 2 >= end || !isDigit(s.charCodeAt(p + 2)));
  if (!isDns) return true;
  if (proto === "tcp") {
    t.tcp53 += 1;
    return true;
  }
  t.udp53 += 1;
  // `[UNREPLIED]` follows the original tuple, after optional accounting fields (packets= bytes=).
  let f = skipSpaces(s, p + 2, end);
  while (f < end && (s.startsWith("packets=", f) || s.startsWith("bytes=", f)))
    f = skipSpaces(s, skipWord(s, f, end), end);
  const unreplied = s.startsWith("[UNREPLIED]", f);
  if (unreplied) t.udp53Unreplied += 1;
  const dstAt = s.indexOf("dst=", i);
  if (dstAt >= 0 && dstAt < end) {
    const dst = s.slice(dstAt + 4, skipWord(s, dstAt + 4, end));
    const seen = t.dnsDestinations.get(dst);
    if (seen !== undefined) t.dnsDestinations.set(dst, seen + 1);
    else if (t.dnsDestinations.size < MAX_DNS_DESTINATIONS) t.dnsDestinations.set(own(dst), 1);
  }
  if (unreplied && t.dnsSamples.length < MAX_SAMPLES)
    t.dnsSamples.push(makeLocator(path, cursor.lineNo, undefined, cursor.text()));
  return true;
}

const TCP_STATES = [
  "ESTABLISHED",
  "TIME_WAIT",
  "SYN_SENT",
  "SYN_RECV",
  "FIN_WAIT",
  "CLOSE_WAIT",
  "LAST_ACK",
  "CLOSE",
  "LISTEN",
  "NONE",
  "SYN_SENT2",
];

/** The TCP state word as a shared constant (no allocation per entry for the usual states). */
function tcpState(s: string, start: number, end: number): string {
  for (const state of TCP_STATES) if (end - start === state.length && s.startsWith(state, start)) return state;
  return s.slice(start, end);
}

/** Detaches a short string from the big chunk it was sliced from, so a map key does not keep the chunk alive. */
function own(text: string): string {
  return Buffer.from(text, "latin1").toString("latin1");
}

function parseStatsLine(line: string, cursor: LineCursor, path: string, st: Stats): boolean {
  if (line.startsWith("cpu=")) {
    st.cpus += 1;
    let insertFailed = 0;
    let drop = 0;
    for (const m of line.matchAll(/([a-z_]+)=(\d+)/g)) {
      const name = m[1] as string;
      if (name === "cpu") continue;
      const value = Number(m[2]);
      st.sums.set(name, (st.sums.get(name) ?? 0) + value);
      if (name === "insert_failed") insertFailed = value;
      if (name === "drop" || name === "early_drop") drop += value;
    }
    const locator = () => makeLocator(path, cursor.lineNo, undefined, cursor.text().trim());
    st.firstLine ??= locator();
    if (insertFailed > 0 && st.insertFailedLines.length < MAX_SAMPLES) st.insertFailedLines.push(locator());
    if (drop > 0 && st.dropLines.length < MAX_SAMPLES) st.dropLines.push(locator());
    return true;
  }
  // Legacy aggregated format: `insert_failed		0`, `entries   		90`.
  const m = /^([a-z_]+)\s+(\d+)\s*$/.exec(line);
  if (!m) return false;
  const name = m[1] as string;
  const value = Number(m[2]);
  st.legacy = true;
  const locator = makeLocator(path, cursor.lineNo, undefined, line.trim());
  st.firstLine ??= locator;
  if (name === "entries") {
    st.legacyEntries = value;
    return true;
  }
  st.sums.set(name, (st.sums.get(name) ?? 0) + value);
  if (name === "insert_failed" && value > 0) st.insertFailedLines.push(locator);
  if ((name === "drop" || name === "early_drop") && value > 0) st.dropLines.push(locator);
  return true;
}

function sortedCounts(map: Map<string, number>): string[] {
  return [...map].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, v]) => `${k}=${v}`);
}

/** nf_conntrack_max and _count, and where they were read. */
interface Limits {
  conntrackMax: number | undefined;
  maxSource: "sysctl" | "input" | "unknown";
  sysctlCount: number | undefined;
  countEvidence: EvidenceLocator[];
  maxEvidence: EvidenceLocator[];
}

/** The conntrack file's counters and table, against the limits: plain data, no verdicts. */
interface Model {
  stats: Stats;
  table: Table;
  limits: Limits;
}

/** Streams conntrack.txt; undefined (with a gap) when it holds neither counters nor entries. */
async function readConntrackFile(
  read: EvidenceReader,
  path: string,
): Promise<{ stats: Stats; table: Table } | undefined> {
  const st: Stats = {
    sums: new Map(),
    cpus: 0,
    legacy: false,
    legacyEntries: undefined,
    firstLine: undefined,
    insertFailedLines: [],
    dropLines: [],
  };
  const t: Table = {
    entries: 0,
    byProto: new Map(),
    tcpStates: new Map(),
    udp53: 0,
    udp53Unreplied: 0,
    tcp53: 0,
    dnsDestinations: new Map(),
    dnsSamples: [],
    reported: undefined,
    header: undefined,
    listSeen: false,
    toolError: undefined,
  };
  let section: Section = "none";
  let lines = 0;
  let statsSeen = false;

  const ok = await read.scanAt(path, (cursor) => {
    lines += 1;
    const s = cursor.chunk;
    const start = cursor.start;
    if (cursor.end === start) return;
    const c = s.charCodeAt(start);
    if (c === 42 /* * */ && s.startsWith("*** Output of ", start)) {
      const header = s.slice(start, cursor.end);
      if (header.includes("conntrack -S")) {
        section = "stats";
        statsSeen = true;
      } else if (header.includes("conntrack -L")) {
        section = "list";
        t.listSeen = true;
        t.header = makeLocator(path, cursor.lineNo, undefined, header.trim());
      } else section = "other";
      return;
    }
    if (section === "list" && countEntry(cursor, path, t)) return;
    if (section === "none" && countEntry(cursor, path, t)) {
      t.listSeen = true;
      return;
    }
    if (section === "other") return;
    const line = s.slice(start, cursor.end).trim();
    if (line.startsWith("conntrack v") || line.startsWith("conntrack:")) {
      const shown = /(\d+) flow entries have been shown/.exec(line);
      if (shown) t.reported = Number(shown[1]);
      else t.toolError ??= cursor.text().trim().slice(0, 200);
      return;
    }
    if (section === "stats" || section === "none") {
      if (parseStatsLine(line, cursor, path, st)) statsSeen = true;
    }
  });
  if (!ok) return undefined;
  if (lines === 0) {
    read.gap(path, "file is empty");
    return undefined;
  }
  if (!hasStats(st) && t.entries === 0 && !t.listSeen) {
    read.gap(
      path,
      t.toolError ? `no conntrack output: ${t.toolError}` : "no `conntrack -S` counters or `conntrack -L` entries",
    );
    return undefined;
  }
  if (statsSeen && !hasStats(st) && t.entries === 0) {
    read.gap(
      path,
      t.toolError
        ? `conntrack printed no counters or entries: ${t.toolError}`
        : "the `conntrack -S` and `conntrack -L` sections are empty",
    );
    return undefined;
  }
  return { stats: st, table: t };
}

/** nf_conntrack_max and _count from the sysctl dump; the hand-off stands in when it is absent. */
async function readLimits(read: EvidenceReader, inputMax: number | undefined): Promise<Limits> {
  const sysctl = await readSysctlValues(
    read,
    (key) =>
      key === "net.netfilter.nf_conntrack_max" ||
      key === "net.nf_conntrack_max" ||
      key === "net.netfilter.nf_conntrack_count",
  );
  const values = sysctl.state === "ok" ? sysctl.values : new Map<string, SysctlEntry>();
  const locators = (key: string) => {
    const entry = values.get(key);
    return sysctl.state === "ok" && entry
      ? [makeLocator(sysctl.path, entry.line, undefined, `${key} = ${entry.value}`)]
      : [];
  };
  const sysctlMax =
    sysctlNumber(values, "net.netfilter.nf_conntrack_max") ?? sysctlNumber(values, "net.nf_conntrack_max");
  return {
    conntrackMax: sysctlMax ?? inputMax,
    maxSource: sysctlMax !== undefined ? "sysctl" : inputMax !== undefined ? "input" : "unknown",
    sysctlCount: sysctlNumber(values, "net.netfilter.nf_conntrack_count"),
    countEvidence: locators("net.netfilter.nf_conntrack_count"),
    maxEvidence: locators("net.netfilter.nf_conntrack_max"),
  };
}

async function readConntrack(read: EvidenceReader, inputMax: number | undefined): Promise<Model | undefined> {
  const [path] = await read.paths("conntrack");
  if (!path) return undefined;
  const file = await readConntrackFile(read, path);
  if (!file) return undefined;
  return { ...file, limits: await readLimits(read, inputMax) };
}

async function analyze(ctx: AnalyzerContext, input: { conntrackMax?: number | undefined }): Promise<FindingDraft[]> {
  const model = await readConntrack(ctx.read, input.conntrackMax);
  if (!model) return [];
  const fill = occupancy(model);
  return [
    ...(hasStats(model.stats)
      ? [statsFinding(model.stats), insertFailedFinding(model.stats, uptimeHours(ctx.clock)), dropsFinding(model.stats)]
      : []),
    entriesFinding(model, fill),
    nearFullFinding(model, fill),
  ].filter((f): f is FindingDraft => f !== undefined);
}

function hasStats(st: Stats): boolean {
  return st.cpus > 0 || st.legacy;
}

function counter(st: Stats, name: string): number {
  return st.sums.get(name) ?? 0;
}

function uptimeHours(clock: BundleClock): number | undefined {
  return clock.collectedAt !== undefined && clock.bootTime !== undefined && clock.collectedAt > clock.bootTime
    ? (clock.collectedAt - clock.bootTime) / 3_600_000
    : undefined;
}

interface Occupancy {
  /** Entries `conntrack -L` listed, when it ran. */
  listed: number | undefined;
  /** The largest of the listed, legacy and sysctl counts: each source can lag the others. */
  entries: number | undefined;
  percent: number | undefined;
}

function occupancy({ stats, table, limits }: Model): Occupancy {
  const listed = table.listSeen ? table.entries : undefined;
  const counts = [listed, stats.legacyEntries, limits.sysctlCount].filter((n): n is number => n !== undefined);
  const entries = counts.length ? Math.max(...counts) : undefined;
  const max = limits.conntrackMax;
  const percent =
    entries !== undefined && max !== undefined && max > 0 ? Math.round((entries / max) * 1000) / 10 : undefined;
  return { listed, entries, percent };
}

function statsFinding(st: Stats): FindingDraft {
  const attributes: FindingDraft["attributes"] = {
    format: st.legacy && st.cpus === 0 ? "aggregated" : "per-cpu",
    cpus: st.cpus,
  };
  // The counters the judges read are always shown, even when conntrack did not print them.
  for (const [name, attr] of COUNTERS)
    if (st.sums.has(name) || name === "insert_failed" || name === "drop" || name === "early_drop")
      attributes[attr] = counter(st, name);
  if (st.legacyEntries !== undefined) attributes.entries = st.legacyEntries;
  const insertFailed = counter(st, "insert_failed");
  const verdict = insertFailed === 0 ? "insert_failed=0, so no conntrack insert race" : `insert_failed=${insertFailed}`;
  return draft({
    kind: "conntrack.stats",
    severity: "info",
    summary: `conntrack -S${st.cpus ? ` over ${st.cpus} CPUs` : ""}: ${verdict}, drop=${counter(st, "drop")}, early_drop=${counter(st, "early_drop")}, insert=${counter(st, "insert")}, invalid=${counter(st, "invalid")}`,
    evidence: st.firstLine ? [st.firstLine] : [],
    attributes,
    correlateWith: insertFailed > 0 ? ["check_resolv_conf"] : [],
  });
}

function insertFailedFinding(st: Stats, uptime: number | undefined): FindingDraft | undefined {
  const insertFailed = counter(st, "insert_failed");
  if (insertFailed === 0) return undefined;
  const insert = counter(st, "insert");
  const ratio = insert > 0 ? insertFailed / insert : undefined;
  let severity: Severity =
    insertFailed >= INSERT_FAILED_HIGH ? "high" : insertFailed >= INSERT_FAILED_MEDIUM ? "medium" : "low";
  if (severity === "low" && ratio !== undefined && ratio >= INSERT_FAILED_RATIO_MEDIUM) severity = "medium";
  const perHour = uptime !== undefined && uptime > 0 ? Math.round((insertFailed / uptime) * 10) / 10 : undefined;
  return draft({
    kind: "conntrack.insert-failed",
    severity,
    summary:
      `conntrack insert_failed=${insertFailed}${st.cpus ? ` across ${st.cpus} CPUs` : ""}${perHour !== undefined ? ` (~${perHour}/h since boot)` : ""}: ` +
      "packets lost a conntrack insert race, the signature of 5 s DNS delays from parallel A/AAAA lookups",
    evidence: st.insertFailedLines,
    count: insertFailed,
    attributes: {
      insertFailed,
      insert,
      ...(ratio !== undefined ? { insertFailedRatio: Math.round(ratio * 1e6) / 1e6 } : {}),
      ...(perHour !== undefined ? { insertFailedPerHour: perHour } : {}),
      clashResolve: counter(st, "clash_resolve"),
    },
    correlateWith: ["check_resolv_conf", "inspect_iptables"],
  });
}

function dropsFinding(st: Stats): FindingDraft | undefined {
  const drop = counter(st, "drop");
  const earlyDrop = counter(st, "early_drop");
  if (drop === 0 && earlyDrop === 0) return undefined;
  // Early drops evict idle entries to make room; real drops lose packets.
  const severity: Severity = drop >= DROP_HIGH ? "high" : drop > 0 ? "medium" : "low";
  return draft({
    kind: "conntrack.drops",
    severity,
    summary: `conntrack dropped ${drop} packet(s) and evicted ${earlyDrop} entr${earlyDrop === 1 ? "y" : "ies"} early: the table was full at some point since boot`,
    evidence: st.dropLines,
    count: drop + earlyDrop,
    attributes: { drop, earlyDrop },
    correlateWith: ["read_sysctls", "read_dmesg"],
  });
}

function entriesFinding(
  { table: t, limits }: Model,
  { listed, entries, percent }: Occupancy,
): FindingDraft | undefined {
  if (entries === undefined) return undefined;
  const { conntrackMax, sysctlCount } = limits;
  const attributes: FindingDraft["attributes"] = {
    entries,
    udp53: t.udp53,
    udp53Unreplied: t.udp53Unreplied,
    tcp53: t.tcp53,
    byProtocol: sortedCounts(t.byProto),
    tcpStates: sortedCounts(t.tcpStates),
    dnsDestinations: sortedCounts(t.dnsDestinations),
    maxSource: limits.maxSource,
  };
  if (listed !== undefined) attributes.listed = listed;
  if (t.reported !== undefined) attributes.reported = t.reported;
  if (sysctlCount !== undefined) attributes.conntrackCount = sysctlCount;
  if (conntrackMax !== undefined) attributes.conntrackMax = conntrackMax;
  if (percent !== undefined) attributes.percent = percent;
  const against =
    conntrackMax !== undefined
      ? ` of nf_conntrack_max ${conntrackMax} (${percent}%)`
      : " (nf_conntrack_max unknown: no sysctl dump and no conntrackMax input)";
  return fact(
    "conntrack.entries",
    `${entries} conntrack entries${against}; ${t.udp53} UDP/53 (DNS) entries, ${t.udp53Unreplied} of them unreplied`,
    attributes,
    [...(t.header ? [t.header] : []), ...t.dnsSamples.slice(0, SHOWN_DNS_SAMPLES)],
    entries,
  );
}

function nearFullFinding(
  { table: t, limits }: Model,
  { listed, entries, percent }: Occupancy,
): FindingDraft | undefined {
  const { conntrackMax, sysctlCount } = limits;
  if (entries === undefined || percent === undefined || conntrackMax === undefined) return undefined;
  if (percent < NEAR_FULL_MEDIUM * 100) return undefined;
  return draft({
    kind: "conntrack.table-near-full",
    severity: percent >= NEAR_FULL_HIGH * 100 ? "high" : "medium",
    summary: `The conntrack table holds ${entries} of ${conntrackMax} entries (${percent}%): new connections are dropped once it is full`,
    evidence: [...limits.countEvidence, ...limits.maxEvidence, ...(t.header ? [t.header] : [])],
    count: entries,
    attributes: {
      entries,
      conntrackMax,
      percent,
      ...(listed !== undefined ? { listed } : {}),
      ...(sysctlCount !== undefined ? { conntrackCount: sysctlCount } : {}),
    },
    correlateWith: ["read_dmesg", "read_sysctls"],
  });
}

export const inspectConntrack = defineTool({
  name: "inspect_conntrack",
  title: "Conntrack statistics and table",
  lane: "service",
  description:
    "Reads networking/conntrack.txt (`conntrack -S` per-CPU counters or the legacy aggregated format, then every `conntrack -L` entry, streamed and counted by protocol, TCP state and UDP/53) and nf_conntrack_max / nf_conntrack_count from the sysctl dump. " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. conntrack.stats with insert_failed=0 argues against the DNS conntrack race; insert-failed supports it; drops and table-near-full support conntrack exhaustion. ` +
    "Input `conntrackMax` (from read_sysctls, finding sysctl.values attribute conntrackMax) is used when the bundle has no sysctl dump. Next: read_dmesg for `nf_conntrack: table full`, check_resolv_conf for DNS options, read_sysctls.",
  sources: ["conntrack", "sysctls"],
  kinds: KINDS,
  input: {
    conntrackMax: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        "net.netfilter.nf_conntrack_max from read_sysctls (finding sysctl.values, attribute conntrackMax); used only when the bundle has no sysctl dump",
      ),
  },
  analyze,
});
