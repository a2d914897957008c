import type { Severity } from "../src/domain/severity.ts";
import type { WindowMs } from "../src/domain/time.ts";
import { iso } from "../src/evidence/clock.ts";
import type { EvidenceReader } from "../src/toolkit/evidence-reader.ts";
import { draft, fromSeen, seen, times, type Seen } from "../src/toolkit/finding-drafts.ts";
import { buildPrefilter, matchSignals, type LogSignal } from "../src/toolkit/log-signals.ts";
import { makeLocator, OccurrenceTable } from "../src/toolkit/occurrences.ts";
import {
  cniLineLevel,
  createCniTimeParser,
  ec2ErrorCodesIn,
  ec2OperationsIn,
  preferPrimary,
} from "../src/toolkit/parse-vpc-cni-log.ts";
import { humanDuration, inWindow, STALE_AFTER_MS } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

const KINDS = {
  "ipamd.subnet-exhausted": kind(
    'EC2 refused addresses because the subnet is full: InsufficientFreeAddressesInSubnet, "There aren\'t sufficient free Ipv4 addresses or prefixes", InsufficientCidrBlocks (no free /28 under prefix delegation), or a prefix target left short with 0 free prefixes for minutes; high when pods also found the datastore empty',
    {
      errorCodes: attr.texts(
        "EC2 error codes naming the full subnet (InsufficientFreeAddressesInSubnet, InsufficientCidrBlocks, …)",
      ),
      apis: attr.texts("EC2 API calls that failed for lack of addresses"),
      prefixDelegation: attr.flag("the shortage was of /28 prefixes (prefix delegation), not single addresses"),
      datastoreEmpty: attr.flag("pods also found the IPAMD datastore empty"),
      ec2Errors: attr.flag(
        "EC2 itself reported the subnet full (false: only a prefix target left short with 0 free prefixes)",
      ),
      stale: attr.flag("last seen long before the window's end (severity info)"),
    },
  ),
  "ipamd.datastore-empty": kind(
    "IPAMD had no address to give a pod (DataStore has no available IP/Prefix addresses): the shared symptom of subnet exhaustion, node IP capacity, throttling and permission faults; low once assignments resumed long ago",
    {
      stale: attr.flag("last seen long before the window's end (severity info)"),
      recovered: attr.flag(
        "pods were assigned addresses afterwards and the failures stopped 30+ minutes before the window's end",
      ),
      lastAssignedAt: attr.instant("last time IPAMD assigned a pod address"),
      assignmentsSeen: attr.count("pod address assignments logged in the window"),
    },
  ),
  "ipamd.ec2-throttled": kind(
    "EC2 throttled IPAMD (RequestLimitExceeded / Throttling); attribute `apis`; a handful of throttles is noise (info)",
    {
      apis: attr.texts("EC2 API calls that were throttled"),
      stale: attr.flag("last seen long before the window's end (severity info)"),
      noise: attr.flag("fewer than 5 throttles: retried away by the SDK"),
    },
  ),
  "ipamd.permission-denied": kind(
    "EC2 refused IPAMD for lack of permission (UnauthorizedOperation / AccessDenied); attribute `apis` names the calls (AssignPrivateIpAddresses, CreateNetworkInterface, AttachNetworkInterface, …)",
    {
      apis: attr.texts("EC2 API calls that were denied"),
      errorCodes: attr.texts("denial error codes (UnauthorizedOperation, AccessDenied, …)"),
      stale: attr.flag("last seen long before the window's end (severity info)"),
      cleared: attr.flag("IPAMD served and assigned addresses afterwards"),
    },
  ),
  "ipamd.eni-limit-reached": kind(
    "The instance holds all the ENIs it can (max ENI limit reached, cur=N max=N, AttachmentLimitExceeded); high together with an empty datastore (cni.node-ip-capacity), info on its own",
    {
      attachmentLimitExceeded: attr.flag("EC2 refused another ENI attachment (AttachmentLimitExceeded)"),
      datastoreEmpty: attr.flag("pods found the IPAMD datastore empty"),
      poolFull: attr.flag("the last pool stats had every address assigned"),
      maxEnis: attr.count("the instance's ENI limit as IPAMD logged it"),
      instanceType: attr.text("instance type named in the limit error"),
      stale: attr.flag("last seen long before the window's end (severity info)"),
    },
  ),
  "ipamd.imds-error": kind(
    "IPAMD could not read instance metadata (EC2MetadataError, 169.254.169.254 timeouts, failed to get region); info when it was a startup retry that cleared",
    {
      cleared: attr.flag("startup retries that stopped once IPAMD served"),
      stale: attr.flag("last seen long before the window's end (severity info)"),
    },
  ),
  "ipamd.apiserver-error": kind(
    "IPAMD could not reach the Kubernetes API (Failed to create client, Unable to reach API Server); info when it was a startup retry that cleared",
    {
      cleared: attr.flag("startup retries that stopped once IPAMD served"),
      stale: attr.flag("last seen long before the window's end (severity info)"),
    },
  ),
  "ipamd.restart": kind(
    "IPAMD started (Starting L-IPAMD): count, versions, whether it served after its last start; high for a crash loop",
    {
      count: attr.count("IPAMD starts in the window"),
      versions: attr.texts("IPAMD versions that started (at most 10)"),
      crashLoop: attr.flag("3 or more starts within an hour"),
      servedAfterLastStart: attr.flag("IPAMD served RPCs or assigned addresses after its last start"),
      lastStartAt: attr.instant("IPAMD's last start"),
    },
  ),
  "ipamd.pool-stats": kind(
    "Fact: the last IP pool stats IPAMD logged (total, assigned, cooldown, prefixes) and whether assigned ever reached total",
    {
      samples: attr.count("pool-stats lines in the window"),
      lastTotal: attr.count("addresses in the pool at the last sample"),
      lastAssigned: attr.count("addresses assigned at the last sample"),
      lastFree: attr.count("addresses free at the last sample (total − assigned − cooldown, floored at 0)"),
      everFull: attr.flag("some sample had every address assigned"),
      fullSamples: attr.count("samples with every address assigned"),
      zeroTotalSamples: attr.count("samples with no address in the pool"),
      lastCooldown: attr.count("addresses in cooldown at the last sample"),
      lastPrefixes: attr.count("/28 prefixes at the last sample"),
      maxIpsPerEni: attr.count("addresses one ENI can hold, as IPAMD logged it"),
      lastAt: attr.instant("time of the last sample"),
      lastFullAt: attr.instant("last time the pool was full"),
    },
  ),
};
type Kind = keyof typeof KINDS;

type Signal =
  | "subnet"
  | "prefix-short"
  | "ds-empty"
  | "ds-empty-reply"
  | "throttled"
  | "permission"
  | "eni-limit"
  | "imds"
  | "apiserver"
  | "start"
  | "ready"
  | "assigned"
  | "pool";

const ERRORISH = /(error|fail|unable|timeout|timed out|refused|could not|cannot|deadline exceeded)/i;
const EQUAL_CUR_MAX = /cur=(\d+), max=(\d+)/;

/** The two line types that dominate a debug ipamd.log: classified with two includes, never by the full signal list. */
const POOL_NEEDLES = ["IP pool stats", "IP stats - total", "address pool stats:"] as const;
const ASSIGNED_NEEDLE = "Assign IP ";
const POOL: readonly Signal[] = ["pool"];
const ASSIGNED: readonly Signal[] = ["assigned"];

const RARE_SIGNALS: readonly LogSignal<Signal>[] = [
  {
    kind: "subnet",
    needles: [
      "InsufficientFreeAddressesInSubnet",
      "There aren't sufficient free Ipv4 addresses or prefixes",
      "InsufficientCidrBlocks",
      "subnet doesn't seem to have enough IPs/Prefixes",
      "Recently we had InsufficientCidr error",
      "does not have enough free addresses",
      "not enough free cidr blocks",
    ],
  },
  { kind: "prefix-short", needles: ["free 0 prefixes"], test: (l) => /short of [1-9]/.test(l) },
  { kind: "ds-empty", needles: ["DataStore has no available IP"] },
  {
    kind: "ds-empty-reply",
    needles: ["no available IP/Prefix address", "no available IP address"],
    test: (l) => !l.includes("DataStore has no available"),
  },
  { kind: "throttled", needles: ["RequestLimitExceeded", "Throttling", "Rate exceeded"] },
  { kind: "permission", needles: ["UnauthorizedOperation", "AccessDenied", "not authorized to perform"] },
  {
    kind: "eni-limit",
    needles: [
      "AttachmentLimitExceeded",
      "max ENI limit is already reached",
      "max ENI already attached",
      "Discovered the instance max ENI allowed",
      "exceeds the limit for",
      ", max=",
    ],
    test: (l) => {
      if (l.includes(", max=") && !l.includes("AttachmentLimitExceeded") && !l.includes("max ENI")) {
        const m = EQUAL_CUR_MAX.exec(l);
        return m !== null && m[1] === m[2];
      }
      return !l.includes("exceeds the limit for") || /Interface count|AttachmentLimitExceeded/.test(l);
    },
  },
  {
    kind: "imds",
    needles: [
      "EC2MetadataError",
      "169.254.169.254",
      "ec2metadata",
      "instance metadata",
      "IMDS",
      "failed to get region",
      "Failed to get region",
    ],
    test: (l) => ERRORISH.test(l) && cniLineLevel(l) !== "debug",
  },
  {
    kind: "apiserver",
    needles: [
      "Failed to create client",
      "Failed to create kube client",
      "Unable to reach API Server",
      "Unable to reach API server",
      "Failed to check API server connectivity",
      "error communicating with apiserver",
    ],
    test: (l) => cniLineLevel(l) !== "debug",
  },
  { kind: "start", needles: ["Starting L-IPAMD"] },
  { kind: "ready", needles: ["Serving RPC Handler"] },
];
const PREFILTER = buildPrefilter(RARE_SIGNALS, [...POOL_NEEDLES, ASSIGNED_NEEDLE]);

function classify(line: string): readonly Signal[] {
  if (line.includes("pool stats") || line.includes("IP stats - total")) return POOL;
  if (line.includes(ASSIGNED_NEEDLE)) return ASSIGNED;
  return matchSignals(line, RARE_SIGNALS);
}

/** Signals whose every occurrence is kept with an excerpt (the rest are counted cheaply). */
const SAMPLED = new Set<Signal>([
  "subnet",
  "prefix-short",
  "ds-empty",
  "ds-empty-reply",
  "throttled",
  "permission",
  "eni-limit",
  "imds",
  "apiserver",
  "start",
]);

const CORRELATE: Record<Kind, string[]> = {
  "ipamd.subnet-exhausted": ["inspect_ipamd_state", "read_cni_plugin_log"],
  "ipamd.datastore-empty": ["inspect_ipamd_state", "read_cni_plugin_log"],
  "ipamd.ec2-throttled": ["inspect_ipamd_state"],
  "ipamd.permission-denied": ["inspect_ipamd_state"],
  "ipamd.eni-limit-reached": ["inspect_ipamd_state", "read_kubelet_config"],
  "ipamd.imds-error": ["read_kubelet_config"],
  "ipamd.apiserver-error": ["read_kubelet_journal", "check_resolv_conf"],
  "ipamd.restart": ["inspect_ipamd_state", "read_cni_plugin_log"],
  "ipamd.pool-stats": ["inspect_ipamd_state"],
};

/** A failure that stopped this long before the window's end, with pods assigned since, has recovered. */
const RECOVERED_AFTER_MS = 30 * 60_000;
/** Startup retries (IMDS, API server) that stopped once IPAMD served are benign after this long. */
const CLEARED_AFTER_MS = 10 * 60_000;
/** This many starts within CRASH_LOOP_SPAN_MS is a crash loop, not an upgrade or a node reboot. */
const CRASH_LOOP_STARTS = 3;
const CRASH_LOOP_SPAN_MS = 60 * 60_000;
/** Fewer throttles than this are retried away by the SDK: noise. */
const THROTTLE_NOISE = 5;
/** This many throttles slow pod starts on their own, with or without an empty datastore. */
const THROTTLE_SEVERE = 20;
/** A prefix target short for this long is a subnet without a free /28, not a refill in progress. */
const PREFIX_SHORT_PERSIST_MS = 5 * 60_000;
/** Bounds memory on a log of a node that restarted IPAMD all day; the last starts are the ones judged. */
const MAX_STARTS_KEPT = 1000;

interface PoolStats {
  total: number;
  assigned: number;
  cooldown: number | undefined;
  prefixes: number | undefined;
  maxIpsPerEni: number | undefined;
}

/** A pool-stats line kept as evidence; the locator is made once, at the end (ASCII lines, kept undecoded). */
interface PoolSample extends PoolStats {
  at: number | undefined;
  lineNo: number;
  text: string;
}

/** Parses the pool-stats spellings of every CNI version; undefined when the line has no total. */
export function parsePoolStats(line: string): PoolStats | undefined {
  const at = line.search(/pool stats\b|IP stats - /);
  if (at < 0) return undefined;
  const text = line.slice(at);
  let total: number | undefined;
  let prefixes: number | undefined;
  let assigned: number | undefined;
  let cooldown: number | undefined;
  const slashTotal = /Total IPs\/Prefixes\s*=\s*(\d+)\/(\d+)/.exec(text);
  if (slashTotal) {
    total = Number(slashTotal[1]);
    prefixes = Number(slashTotal[2]);
  } else {
    const m = /total(?: IPs(?:\/Prefixes)?)?\s*[:=]?\s*(\d+)/i.exec(text);
    if (m) total = Number(m[1]);
  }
  const slashAssigned = /AssignedIPs\/CooldownIPs:\s*(\d+)\/(\d+)/.exec(text);
  if (slashAssigned) {
    assigned = Number(slashAssigned[1]);
    cooldown = Number(slashAssigned[2]);
  } else {
    const m = /\b(?:used|assigned(?: IPs(?:\/CIDRs)?)?)\s*[:=]?\s*(\d+)/i.exec(text);
    if (m) assigned = Number(m[1]);
    const c = /cooldown IPs:\s*(\d+)/i.exec(text);
    if (c) cooldown = Number(c[1]);
  }
  if (total === undefined || assigned === undefined) return undefined;
  const max = /max(?:IPs|Addrs)PerENI\s*=\s*(\d+)/.exec(text);
  return { total, assigned, cooldown, prefixes, maxIpsPerEni: max ? Number(max[1]) : undefined };
}

/** What the log said, as data: occurrences of each sampled signal and the facts its lines carried. */
interface IpamdLog {
  path: string;
  signals: OccurrenceTable<Signal>;
  subnetCodes: Set<string>;
  subnetApis: Set<string>;
  prefixSubnet: boolean;
  throttledApis: Set<string>;
  deniedApis: Set<string>;
  deniedCodes: Set<string>;
  maxEnis: number | undefined;
  attachmentLimitExceeded: boolean;
  instanceType: string | undefined;
  imdsErrorLevel: boolean;
  versions: string[];
  starts: number[];
  lastReady: number | undefined;
  readySeen: boolean;
  lastAssigned: number | undefined;
  assignedCount: number;
  pool: {
    count: number;
    first: PoolSample | undefined;
    last: PoolSample | undefined;
    firstFull: PoolSample | undefined;
    lastFullAt: number | undefined;
    fullCount: number;
    zeroTotalCount: number;
    /** The last stats text and its parse: steady-state pools log the same numbers for hours. */
    lastKey: string;
    lastStats: PoolStats | undefined;
  };
}

/** A copy of a string cut from a scan chunk (a V8 substring pins its megabyte parent). */
function own(text: string): string {
  return Buffer.from(text, "latin1").toString("latin1");
}

function collectPool(line: string, at: number | undefined, lineNo: number, x: IpamdLog): void {
  const p = x.pool;
  const from = line.search(/pool stats\b|IP stats - /);
  const key = from < 0 ? line : line.slice(from);
  let stats: PoolStats | undefined;
  if (key === p.lastKey) stats = p.lastStats;
  else {
    stats = parsePoolStats(key);
    p.lastKey = key;
    p.lastStats = stats;
  }
  if (!stats) return;
  p.count += 1;
  const full = stats.total > 0 && stats.assigned >= stats.total;
  const sample: PoolSample = { ...stats, at, lineNo, text: line };
  if (!p.first) p.first = sample;
  p.last = sample;
  if (stats.total === 0) p.zeroTotalCount += 1;
  if (full) {
    p.fullCount += 1;
    if (!p.firstFull) p.firstFull = sample;
    if (at !== undefined) p.lastFullAt = at;
  }
}

function collect(signal: Signal, line: string, at: number | undefined, x: IpamdLog): void {
  switch (signal) {
    case "subnet":
      for (const code of ec2ErrorCodesIn(line)) if (code !== "PrivateIpAddressLimitExceeded") x.subnetCodes.add(code);
      for (const op of ec2OperationsIn(line)) x.subnetApis.add(op);
      if (/InsufficientCidrBlocks|prefixes|Prefixes|InsufficientCidr/.test(line)) x.prefixSubnet = true;
      break;
    case "prefix-short":
      x.prefixSubnet = true;
      break;
    case "throttled":
      for (const op of ec2OperationsIn(line)) x.throttledApis.add(op);
      break;
    case "permission":
      for (const op of ec2OperationsIn(line)) x.deniedApis.add(op);
      for (const code of ec2ErrorCodesIn(line)) if (/Unauthorized|AccessDenied/.test(code)) x.deniedCodes.add(code);
      break;
    case "eni-limit": {
      const m = /max ENI allowed is:?\s*(\d+)|attached to the instance\s*:\s*(\d+)|cur=(\d+), max=\d+/.exec(line);
      if (m) x.maxEnis = Number(m[1] ?? m[2] ?? m[3]);
      if (line.includes("AttachmentLimitExceeded") || line.includes("exceeds the limit for"))
        x.attachmentLimitExceeded = true;
      const t = /exceeds the limit for ([a-z0-9]+\.[a-z0-9]+)/.exec(line);
      if (t) x.instanceType = own(t[1] as string);
      break;
    }
    case "imds":
      if (cniLineLevel(line) === "error" || cniLineLevel(line) === "fatal") x.imdsErrorLevel = true;
      break;
    case "start": {
      const v = /Starting L-IPAMD\s+(v?[\w.+-]+)/.exec(line);
      if (v && !x.versions.includes(v[1] as string) && x.versions.length < 10) x.versions.push(own(v[1] as string));
      if (at !== undefined) {
        x.starts.push(at);
        if (x.starts.length > MAX_STARTS_KEPT) x.starts.shift();
      }
      break;
    }
    case "ready":
      x.readySeen = true;
      if (at !== undefined && (x.lastReady === undefined || at > x.lastReady)) x.lastReady = at;
      break;
    default:
      break;
  }
}

/** The log read once: every sampled signal's occurrences plus what its lines said. */
async function readLog(read: EvidenceReader, window: WindowMs): Promise<IpamdLog | undefined> {
  const [path] = await read.paths("ipamdLog");
  if (!path) return undefined;
  if ((await read.size(path)) === 0) {
    read.gap(path, "file is empty");
    return undefined;
  }
  const x = emptyLog(path);
  const timeOf = createCniTimeParser();
  const ok = await read.scanMatchingAt(path, PREFILTER, (cursor) => {
    const line = cursor.chunk.slice(cursor.start, cursor.end);
    const signals = classify(line);
    if (signals.length === 0) return;
    const at = timeOf(line);
    if (!inWindow(at, window)) return;
    if (signals === POOL) return collectPool(line, at, cursor.lineNo, x);
    if (signals === ASSIGNED) {
      x.assignedCount += 1;
      if (at !== undefined && (x.lastAssigned === undefined || at > x.lastAssigned)) x.lastAssigned = at;
      return;
    }
    const text = cursor.text();
    for (const signal of signals) {
      if (SAMPLED.has(signal)) x.signals.get(signal).add(path, cursor.lineNo, at, text);
      collect(signal, line, at, x);
    }
  });
  return ok ? x : undefined;
}

function emptyLog(path: string): IpamdLog {
  return {
    path,
    signals: new OccurrenceTable<Signal>(),
    subnetCodes: new Set(),
    subnetApis: new Set(),
    prefixSubnet: false,
    throttledApis: new Set(),
    deniedApis: new Set(),
    deniedCodes: new Set(),
    maxEnis: undefined,
    attachmentLimitExceeded: false,
    instanceType: undefined,
    imdsErrorLevel: false,
    versions: [],
    starts: [],
    lastReady: undefined,
    readySeen: false,
    lastAssigned: undefined,
    assignedCount: 0,
    pool: {
      count: 0,
      first: undefined,
      last: undefined,
      firstFull: undefined,
      lastFullAt: undefined,
      fullCount: 0,
      zeroTotalCount: 0,
      lastKey: "",
      lastStats: undefined,
    },
  };
}

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const log = await readLog(ctx.read, ctx.window);
  if (!log) return [];
  const j = judging(log, ctx.window.end);
  return [
    subnetFinding(j),
    datastoreFinding(j),
    throttleFinding(j),
    permissionFinding(j),
    eniLimitFinding(j),
    startupRetryFinding(j, "imds", "ipamd.imds-error", "IPAMD failed to read instance metadata (169.254.169.254)"),
    startupRetryFinding(j, "apiserver", "ipamd.apiserver-error", "IPAMD could not reach the Kubernetes API server"),
    restartFinding(j),
    poolFinding(log),
  ].filter((d): d is FindingDraft => d !== undefined);
}

type Attributes = FindingDraft["attributes"];

/** Two signals reported as one finding (count, first/last, the earliest evidence). */
function mergeSeen(a: Seen | undefined, b: Seen | undefined): Seen | undefined {
  if (!a || !b) return a ?? b;
  const firsts = [a.first, b.first].filter((t): t is number => t !== undefined);
  const lasts = [a.last, b.last].filter((t): t is number => t !== undefined);
  return {
    count: a.count + b.count,
    first: firsts.length ? Math.min(...firsts) : undefined,
    last: lasts.length ? Math.max(...lasts) : undefined,
    evidence: [...a.evidence, ...b.evidence].sort((x, y) => (x.at ?? "").localeCompare(y.at ?? "")).slice(0, 3),
  };
}

function finding(kind: Kind, severity: Severity, summary: string, occ: Seen, attributes: Attributes): FindingDraft {
  return fromSeen(occ, { kind, severity, summary, attributes, correlateWith: CORRELATE[kind] });
}

/** The log judged against the window's end: the pod-facing state every failure's severity leans on. */
interface Judging {
  log: IpamdLog;
  end: number;
  dsEmpty: Seen | undefined;
  /** Pods found the datastore empty recently and were not assigned addresses since. */
  dsEmptyActive: boolean;
  poolFullNow: boolean;
  poolZeroNow: boolean;
}

function judging(log: IpamdLog, end: number): Judging {
  const dsEmpty = seen(preferPrimary(log.signals.peek("ds-empty"), log.signals.peek("ds-empty-reply")));
  const j: Judging = { log, end, dsEmpty, dsEmptyActive: false, poolFullNow: false, poolZeroNow: false };
  j.dsEmptyActive = dsEmpty !== undefined && recent(j, dsEmpty) && !recoveredSince(j, dsEmpty);
  const lastPool = log.pool.last;
  j.poolFullNow = lastPool !== undefined && lastPool.total > 0 && lastPool.assigned >= lastPool.total;
  j.poolZeroNow = lastPool !== undefined && lastPool.total === 0;
  return j;
}

function recent(j: Judging, occ: Seen): boolean {
  return occ.last === undefined || !Number.isFinite(j.end) || occ.last >= j.end - STALE_AFTER_MS;
}

function staleNote(j: Judging, occ: Seen): string {
  return occ.last !== undefined && Number.isFinite(j.end)
    ? `; last seen ${humanDuration(j.end - occ.last)} before the window's end`
    : "";
}

function recoveredSince(j: Judging, occ: Seen): boolean {
  const { lastAssigned } = j.log;
  return (
    lastAssigned !== undefined &&
    occ.last !== undefined &&
    lastAssigned > occ.last &&
    Number.isFinite(j.end) &&
    j.end - occ.last > RECOVERED_AFTER_MS
  );
}

function clearedByReady(j: Judging, occ: Seen): boolean {
  const { lastReady } = j.log;
  return (
    lastReady !== undefined &&
    occ.last !== undefined &&
    lastReady >= occ.last &&
    (!Number.isFinite(j.end) || j.end - occ.last > CLEARED_AFTER_MS)
  );
}

/** EC2's own errors, or a prefix target left short with no free prefix for minutes. */
function subnetFinding(j: Judging): FindingDraft | undefined {
  const { log, dsEmpty, dsEmptyActive, poolFullNow, poolZeroNow } = j;
  const subnet = seen(log.signals.peek("subnet"));
  const prefixShort = seen(log.signals.peek("prefix-short"));
  const prefixPersisted =
    prefixShort !== undefined &&
    prefixShort.first !== undefined &&
    prefixShort.last !== undefined &&
    prefixShort.last - prefixShort.first >= PREFIX_SHORT_PERSIST_MS &&
    (dsEmpty !== undefined || log.pool.zeroTotalCount > 0);
  const occ = mergeSeen(subnet, prefixPersisted ? prefixShort : undefined);
  if (!occ) return undefined;
  let severity: Severity = dsEmptyActive || poolFullNow || poolZeroNow ? "high" : "medium";
  const attributes: Attributes = {
    errorCodes: [...log.subnetCodes].sort(),
    apis: [...log.subnetApis].sort(),
    prefixDelegation: log.prefixSubnet,
    datastoreEmpty: dsEmpty !== undefined,
    ec2Errors: subnet !== undefined,
  };
  let note = "";
  if (!recent(j, occ)) {
    severity = "info";
    attributes.stale = true;
    note = staleNote(j, occ);
  } else if (!subnet && !dsEmptyActive && !poolZeroNow) severity = "medium";
  const what = subnet
    ? `EC2 reported the subnet out of ${log.prefixSubnet ? "free /28 prefixes" : "free addresses"} (${[...log.subnetCodes].join(", ") || "insufficient addresses"})`
    : "IPAMD stayed short of its prefix target with 0 free prefixes (no /28 could be carved)";
  const summary = `${what}, ${times(occ.count)}${dsEmpty ? "; pods found the datastore empty" : ""}${note}`;
  return finding("ipamd.subnet-exhausted", severity, summary, occ, attributes);
}

function datastoreFinding(j: Judging): FindingDraft | undefined {
  const { log, dsEmpty } = j;
  if (!dsEmpty) return undefined;
  let severity: Severity = "high";
  const attributes: Attributes = {};
  let note = "";
  if (!recent(j, dsEmpty)) {
    severity = "info";
    attributes.stale = true;
    note = staleNote(j, dsEmpty);
  } else if (recoveredSince(j, dsEmpty)) {
    severity = "low";
    attributes.recovered = true;
    note = "; pods were assigned addresses afterwards";
  }
  if (log.lastAssigned !== undefined) attributes.lastAssignedAt = new Date(log.lastAssigned).toISOString();
  attributes.assignmentsSeen = log.assignedCount;
  const summary = `IPAMD had no free address for a pod ${times(dsEmpty.count)}${note}`;
  return finding("ipamd.datastore-empty", severity, summary, dsEmpty, attributes);
}

function throttleFinding(j: Judging): FindingDraft | undefined {
  const { log } = j;
  const occ = seen(log.signals.peek("throttled"));
  if (!occ) return undefined;
  let severity: Severity =
    occ.count >= THROTTLE_SEVERE || (occ.count >= THROTTLE_NOISE && j.dsEmptyActive)
      ? "high"
      : occ.count >= THROTTLE_NOISE
        ? "medium"
        : "info";
  const attributes: Attributes = { apis: [...log.throttledApis].sort() };
  let note = "";
  if (!recent(j, occ)) {
    severity = "info";
    attributes.stale = true;
    note = staleNote(j, occ);
  }
  if (occ.count < THROTTLE_NOISE) attributes.noise = true;
  const apis = log.throttledApis.size ? ` (${[...log.throttledApis].join(", ")})` : "";
  return finding(
    "ipamd.ec2-throttled",
    severity,
    `EC2 throttled IPAMD's calls ${times(occ.count)}${apis}${note}`,
    occ,
    attributes,
  );
}

function permissionFinding(j: Judging): FindingDraft | undefined {
  const { log } = j;
  const occ = seen(log.signals.peek("permission"));
  if (!occ) return undefined;
  let severity: Severity = "high";
  const attributes: Attributes = { apis: [...log.deniedApis].sort(), errorCodes: [...log.deniedCodes].sort() };
  let note = "";
  if (!recent(j, occ)) {
    severity = "info";
    attributes.stale = true;
    note = staleNote(j, occ);
  } else if (recoveredSince(j, occ) && clearedByReady(j, occ)) {
    severity = "low";
    attributes.cleared = true;
    note = "; IPAMD served and assigned addresses afterwards";
  }
  const summary = `EC2 denied IPAMD's ${log.deniedApis.size ? [...log.deniedApis].join(", ") : "API"} calls (${[...log.deniedCodes].join(", ") || "not authorized"}) ${times(occ.count)}${note}`;
  return finding("ipamd.permission-denied", severity, summary, occ, attributes);
}

function eniLimitFinding(j: Judging): FindingDraft | undefined {
  const { log } = j;
  const occ = seen(log.signals.peek("eni-limit"));
  if (!occ) return undefined;
  const starved = j.dsEmptyActive || j.poolFullNow;
  let severity: Severity = starved ? "high" : log.attachmentLimitExceeded ? "medium" : "info";
  const attributes: Attributes = {
    attachmentLimitExceeded: log.attachmentLimitExceeded,
    datastoreEmpty: j.dsEmpty !== undefined,
    poolFull: j.poolFullNow,
  };
  if (log.maxEnis !== undefined) attributes.maxEnis = log.maxEnis;
  if (log.instanceType) attributes.instanceType = log.instanceType;
  let note = "";
  if (!recent(j, occ)) {
    severity = "info";
    attributes.stale = true;
    note = staleNote(j, occ);
  }
  const summary = `The instance is at its ENI limit${log.maxEnis !== undefined ? ` (${log.maxEnis} ENIs)` : ""}${log.attachmentLimitExceeded ? "; EC2 refused another attachment (AttachmentLimitExceeded)" : ""}${starved ? " while pods found no free address" : ""}${note}`;
  return finding("ipamd.eni-limit-reached", severity, summary, occ, attributes);
}

/** IMDS and API server errors: often startup retries that stop once IPAMD serves. */
function startupRetryFinding(
  j: Judging,
  signal: "imds" | "apiserver",
  kind: Kind,
  what: string,
): FindingDraft | undefined {
  const occ = seen(j.log.signals.peek(signal));
  if (!occ) return undefined;
  let severity: Severity = signal === "imds" && !j.log.imdsErrorLevel ? "medium" : "high";
  const attributes: Attributes = {};
  let note = "";
  if (clearedByReady(j, occ)) {
    severity = "info";
    attributes.cleared = true;
    note = "; startup retries that stopped once IPAMD served";
  } else if (!recent(j, occ)) {
    severity = "info";
    attributes.stale = true;
    note = staleNote(j, occ);
  }
  return finding(kind, severity, `${what} ${times(occ.count)}${note}`, occ, attributes);
}

function restartFinding(j: Judging): FindingDraft | undefined {
  const { log, end } = j;
  const starts = seen(log.signals.peek("start"));
  if (!starts) return undefined;
  const lastStart = log.starts.at(-1);
  const servedAfter =
    lastStart === undefined ||
    (log.lastReady !== undefined && log.lastReady >= lastStart) ||
    (log.lastAssigned !== undefined && log.lastAssigned >= lastStart);
  let crashLoop = false;
  for (let i = CRASH_LOOP_STARTS - 1; i < log.starts.length; i++) {
    if ((log.starts[i] as number) - (log.starts[i - CRASH_LOOP_STARTS + 1] as number) <= CRASH_LOOP_SPAN_MS)
      crashLoop = true;
  }
  const stuck =
    !servedAfter &&
    log.readySeen &&
    lastStart !== undefined &&
    Number.isFinite(end) &&
    end - lastStart > CLEARED_AFTER_MS;
  let severity: Severity = "info";
  if (crashLoop && recent(j, starts)) severity = "high";
  else if (stuck) severity = "medium";
  else if (starts.count >= CRASH_LOOP_STARTS && recent(j, starts)) severity = "low";
  const attributes: Attributes = {
    count: starts.count,
    versions: log.versions,
    crashLoop,
    servedAfterLastStart: servedAfter,
  };
  if (lastStart !== undefined) attributes.lastStartAt = new Date(lastStart).toISOString();
  const summary = `IPAMD started ${times(starts.count)}${log.versions.length ? ` (${log.versions.join(", ")})` : ""}${crashLoop ? "; it restarted repeatedly within an hour (crash loop)" : ""}${stuck ? "; it has not served requests since its last start" : ""}`;
  return finding("ipamd.restart", severity, summary, starts, attributes);
}

/** A fact: the last pool stats, with the first full sample as evidence when the pool ever filled. */
function poolFinding(log: IpamdLog): FindingDraft | undefined {
  const p = log.pool;
  const last = p.last;
  if (!last) return undefined;
  const free = Math.max(0, last.total - last.assigned - (last.cooldown ?? 0));
  const attributes: Attributes = {
    samples: p.count,
    lastTotal: last.total,
    lastAssigned: last.assigned,
    lastFree: free,
    everFull: p.fullCount > 0,
    fullSamples: p.fullCount,
    zeroTotalSamples: p.zeroTotalCount,
  };
  if (last.cooldown !== undefined) attributes.lastCooldown = last.cooldown;
  if (last.prefixes !== undefined) attributes.lastPrefixes = last.prefixes;
  if (last.maxIpsPerEni !== undefined) attributes.maxIpsPerEni = last.maxIpsPerEni;
  if (last.at !== undefined) attributes.lastAt = new Date(last.at).toISOString();
  if (p.lastFullAt !== undefined) attributes.lastFullAt = new Date(p.lastFullAt).toISOString();
  const evidence = (p.firstFull && p.firstFull !== last ? [p.firstFull, last] : [last]).map((sample) =>
    makeLocator(log.path, sample.lineNo, sample.at, sample.text),
  );
  return draft({
    kind: "ipamd.pool-stats",
    severity: "info",
    summary: `Last IP pool stats: ${last.assigned} of ${last.total} assigned (${free} free)${p.fullCount > 0 ? `; the pool was full in ${p.fullCount} of ${p.count} samples` : "; never full"}`,
    evidence,
    count: p.count,
    attributes,
    correlateWith: CORRELATE["ipamd.pool-stats"],
    firstSeen: iso(p.first?.at),
    lastSeen: iso(last.at),
  });
}

export const readIpamdLog = defineTool({
  name: "read_ipamd_log",
  title: "IPAMD log",
  lane: "network",
  description:
    "Reads the VPC CNI's IPAMD log (var_log/aws-routed-eni/ipamd.log, JSON lines or the old text format) and classifies why pods could not get addresses: subnet out of addresses or /28 prefixes, datastore empty, EC2 throttling, permission denied (with the API names), ENI limit reached, IMDS and API server errors, IPAMD restarts, and the last pool stats. " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. Debug chatter, startup retries that cleared once IPAMD served, a handful of throttles and errors that stopped hours before the window are info. ` +
    "Next: inspect_ipamd_state for the pool at collection (ENIs vs max, API error counters), read_cni_plugin_log for the pods that failed, read_kubelet_config for maxPods.",
  sources: ["ipamdLog"],
  kinds: KINDS,
  input: {},
  analyze,
});
