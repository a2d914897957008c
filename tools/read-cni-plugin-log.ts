import type { Severity } from "../src/domain/severity.ts";
import type { WindowMs } from "../src/domain/time.ts";
import { iso } from "../src/evidence/clock.ts";
import type { EvidenceReader } from "../src/toolkit/evidence-reader.ts";
import { draft, fromSeen, seen, times, type Seen } from "../src/toolkit/finding-drafts.ts";
import { buildPrefilter, matchSignals, type LogSignal } from "../src/toolkit/log-signals.ts";
import { OccurrenceTable } from "../src/toolkit/occurrences.ts";
import { createCniTimeParser, preferPrimary } from "../src/toolkit/parse-vpc-cni-log.ts";
import { humanDuration, inWindow, STALE_AFTER_MS } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

const KINDS = {
  "cni.ipamd-unreachable": kind(
    "The aws-cni plugin could not reach IPAMD's gRPC server on 127.0.0.1:50051 (connection refused, Unavailable, Error received from AddNetwork gRPC call): evidence for cni.ipamd-down; low once adds succeeded again long ago",
    {
      addFailures: attr.count("ADD requests that could not reach IPAMD"),
      delFailures: attr.count("DEL requests that could not reach IPAMD"),
      pods: attr.texts("pods (namespace/name) whose requests could not reach IPAMD"),
      stale: attr.flag("last seen long before the window's end (severity info)"),
      recovered: attr.flag("pod adds succeeded again afterwards (an IPAMD restart blip)"),
    },
  ),
  "cni.ip-assign-failed": kind(
    "IPAMD answered but had no address for the pod (Failed to assign an IP address to container): the plugin-side symptom of subnet exhaustion, node IP capacity, throttling or permission faults; attribute `pods`",
    {
      pods: attr.texts("pods (namespace/name) IPAMD had no address for"),
      stale: attr.flag("last seen long before the window's end (severity info)"),
      recovered: attr.flag("pods got addresses again afterwards and the failures stopped long before the window's end"),
      lastSuccessfulAddAt: attr.instant("last pod add that got an address"),
    },
  ),
  "cni.add-errors": kind(
    "Other CNI ADD failures (veth/route setup, network policy agent, version mismatch, bad config); attribute `reasons`",
    {
      reasons: attr.texts("classified reasons the ADDs failed"),
      stale: attr.flag("last seen long before the window's end (severity info)"),
      recovered: attr.flag("pod adds succeeded afterwards and the failures stopped long before the window's end"),
    },
  ),
  "cni.del-errors": kind(
    "CNI DEL failures (teardown, DelNetwork errors): usually benign retries; info unless frequent",
    {
      frequent: attr.flag("DEL failures frequent and recent enough to matter"),
      stale: attr.flag("last seen long before the window's end"),
    },
  ),
  "cni.requests": kind(
    "Fact: ADD/DEL request counts, successful adds and the last successful add (evidence that pod networking worked until then)",
    {
      adds: attr.count("CNI ADD requests received"),
      dels: attr.count("CNI DEL requests received"),
      successfulAdds: attr.count("ADD requests that got an address from IPAMD"),
      failedAdds: attr.count("ADD requests that failed (IPAMD unreachable, no address, other errors)"),
      lastAddAt: attr.instant("last ADD request"),
      lastSuccessfulAddAt: attr.instant("last ADD that got an address"),
    },
  ),
};
type Kind = keyof typeof KINDS;

type Signal =
  | "add-request"
  | "del-request"
  | "add-ok"
  | "unreachable"
  | "assign-failed"
  | "assign-failed-wrapped"
  | "add-error"
  | "del-error";

const UNREACHABLE =
  /connection refused|code = Unavailable|127\.0\.0\.1:50051|Error while dialing|connection error|failed to connect to backend server|Failed to connect to backend server|transport is closing|DeadlineExceeded|context deadline exceeded/;
const NETWORK_POLICY = /network policy|50052/i;

/** The request/response lines that make up most of plugin.log: classified with includes, never by the signal list. */
const ADD_REQUEST = "Received CNI add request";
const ADD_OK = "Received add network response";
const DEL_REQUEST = "Received CNI del request";
const ADD_REQUEST_SIGNALS: readonly Signal[] = ["add-request"];
const ADD_OK_SIGNALS: readonly Signal[] = ["add-ok"];
const DEL_REQUEST_SIGNALS: readonly Signal[] = ["del-request"];

const FAILURE_SIGNALS: readonly LogSignal<Signal>[] = [
  {
    kind: "unreachable",
    needles: [
      "Error received from AddNetwork",
      "Error received from DelNetwork",
      "Failed to connect to backend server",
      "failed to connect to backend server",
    ],
    test: (l) => UNREACHABLE.test(l) && !NETWORK_POLICY.test(l),
  },
  {
    kind: "assign-failed",
    needles: ["Failed to assign an IP address to container", "Failed to assign an IP address to pod"],
  },
  {
    kind: "assign-failed-wrapped",
    needles: ["failed to assign an IP address to container"],
    test: (l) => !l.includes("Failed to assign an IP address to"),
  },
  {
    kind: "add-error",
    needles: [
      "Failed SetupPodNetwork",
      "failed to setup network",
      "Failed to setup default network policy",
      "failed to setup network policy",
      "Failed to connect to network policy agent",
      "Failed to load k8s config from arg",
      "error loading config from args",
      "Error received from AddNetwork",
      "Failed CNI request: add cmd",
    ],
    test: (l) =>
      !l.includes("might not be running") &&
      !/failed to assign an IP address/i.test(l) &&
      !(/Error received from AddNetwork|Failed CNI request/.test(l) && UNREACHABLE.test(l) && !NETWORK_POLICY.test(l)),
  },
  {
    kind: "del-error",
    needles: [
      "Error received from DelNetwork",
      "Failed on TeardownPodNetwork",
      "Failed to process delete request",
      "Failed to teardown pod network",
      "Failed to delete pod network policy",
      "might not be running",
      "Failed to release IP of container",
      "del cmd: failed",
    ],
    test: (l) => !(l.includes("Error received from DelNetwork") && UNREACHABLE.test(l)),
  },
];
const PREFILTER = buildPrefilter(FAILURE_SIGNALS, [ADD_REQUEST, ADD_OK, DEL_REQUEST]);

function classify(line: string): readonly Signal[] {
  if (line.includes(ADD_REQUEST)) return ADD_REQUEST_SIGNALS;
  if (line.includes(ADD_OK)) return ADD_OK_SIGNALS;
  if (line.includes(DEL_REQUEST)) return DEL_REQUEST_SIGNALS;
  return matchSignals(line, FAILURE_SIGNALS);
}

/**
 * A copy of a short string cut from a scan chunk: a V8 substring keeps its whole parent (a megabyte
 * chunk) alive, and values kept across chunks must not.
 */
function own(text: string): string {
  return Buffer.from(text, "latin1").toString("latin1");
}

/** The hex container id after `marker` (`ContainerID(`, `container `), read without a regex. */
function containerIdAfter(line: string, marker: string): string | undefined {
  const at = line.indexOf(marker);
  if (at < 0) return undefined;
  let end = at + marker.length;
  while (end < line.length) {
    const c = line.charCodeAt(end);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) break;
    end += 1;
  }
  return end - at - marker.length >= 12 ? line.slice(at + marker.length, end) : undefined;
}

const SAMPLED = new Set<Signal>(["unreachable", "assign-failed", "assign-failed-wrapped", "add-error", "del-error"]);

const CORRELATE: Record<Kind, string[]> = {
  "cni.ipamd-unreachable": ["read_ipamd_log", "inspect_ipamd_state", "read_kubelet_journal"],
  "cni.ip-assign-failed": ["read_ipamd_log", "inspect_ipamd_state"],
  "cni.add-errors": ["read_ipamd_log", "read_kubelet_journal"],
  "cni.del-errors": ["read_ipamd_log"],
  "cni.requests": [],
};

/** Failures followed by successful adds and quiet this long before the window's end have recovered. */
const RECOVERED_AFTER_MS = 30 * 60_000;
/** IPAMD restarts in seconds; unreachable errors quiet this long with adds since were a restart blip. */
const BLIP_CLEARED_AFTER_MS = 10 * 60_000;
/** Fewer DEL failures than this are the kubelet's teardown retries. */
const DEL_NOISE = 10;
/** Bounds memory on a log of a node that churned pods for days. */
const MAX_TRACKED_CONTAINERS = 4096;
/** Pods named in a finding: enough to recognise the workload. */
const MAX_PODS = 10;

function addReason(l: string): string {
  if (/SetupPodNetwork|failed to setup network(?! policy)/.test(l)) return "setup-network";
  if (NETWORK_POLICY.test(l)) return "network-policy";
  if (/wrong client version|FailedPrecondition/.test(l)) return "version-mismatch";
  if (/k8s config|loading config|conf\.VethPrefix/.test(l)) return "config";
  return "other";
}

/** What the log said, as data: occurrences of each failure signal, request counts and the pods named. */
interface PluginLog {
  path: string;
  signals: OccurrenceTable<Signal>;
  adds: number;
  dels: number;
  successfulAdds: number;
  lastAdd: number | undefined;
  lastSuccess: number | undefined;
  /**
   * containerID → "namespace/pod" for ADDs that have not succeeded (yet): the pods a failure names.
   * `pending` holds substrings of the current scan chunk; `settled` holds copies (bounded).
   */
  pending: Map<string, string>;
  settled: Map<string, string>;
  assignPods: Set<string>;
  unreachablePods: Set<string>;
  unreachableAdds: number;
  unreachableDels: number;
  lastUnreachableAdd: number | undefined;
  addReasons: Set<string>;
}

/** Copies the ADDs still pending when the scan leaves a chunk, so no substring pins it (oldest dropped past the cap). */
function settle(x: PluginLog): void {
  for (const [id, pod] of x.pending) x.settled.set(own(id), own(pod));
  x.pending.clear();
  // Drop the older half at once: deleting a Map's oldest entries one by one is quadratic in V8.
  if (x.settled.size > MAX_TRACKED_CONTAINERS) x.settled = new Map([...x.settled].slice(-MAX_TRACKED_CONTAINERS / 2));
}

function argValue(line: string, key: string): string | undefined {
  const i = line.indexOf(`${key}=`);
  if (i < 0) return undefined;
  const m = /^[^;)\s"\\]+/.exec(line.slice(i + key.length + 1));
  return m?.[0];
}

function podOf(line: string, x: PluginLog): string | undefined {
  const old = /pod ([a-z0-9][\w.-]*),? namespace ([a-z0-9][\w.-]*)/.exec(line);
  if (old) return own(`${old[2]}/${old[1]}`);
  const id = /(?:container(?:ID| ID)?|ContainerID\(|sandbox) ?([0-9a-f]{12,64})/.exec(line);
  return id ? (x.pending.get(id[1] as string) ?? x.settled.get(id[1] as string)) : undefined;
}

function collect(signal: Signal, line: string, at: number | undefined, x: PluginLog): void {
  switch (signal) {
    case "add-request": {
      x.adds += 1;
      if (at !== undefined && (x.lastAdd === undefined || at > x.lastAdd)) x.lastAdd = at;
      const id = containerIdAfter(line, "ContainerID(");
      const ns = argValue(line, "K8S_POD_NAMESPACE");
      const name = argValue(line, "K8S_POD_NAME");
      if (id && ns && name) x.pending.set(id, `${ns}/${name}`);
      break;
    }
    case "del-request":
      x.dels += 1;
      break;
    case "add-ok": {
      x.successfulAdds += 1;
      if (at !== undefined && (x.lastSuccess === undefined || at > x.lastSuccess)) x.lastSuccess = at;
      const id = containerIdAfter(line, "container ");
      if (id && !x.pending.delete(id)) x.settled.delete(id);
      break;
    }
    case "unreachable": {
      const del = line.includes("DelNetwork");
      if (del) x.unreachableDels += 1;
      else {
        x.unreachableAdds += 1;
        if (at !== undefined && (x.lastUnreachableAdd === undefined || at > x.lastUnreachableAdd))
          x.lastUnreachableAdd = at;
      }
      const pod = podOf(line, x);
      if (pod && x.unreachablePods.size < MAX_PODS) x.unreachablePods.add(pod);
      break;
    }
    case "assign-failed":
    case "assign-failed-wrapped": {
      const pod = podOf(line, x);
      if (pod && x.assignPods.size < MAX_PODS) x.assignPods.add(pod);
      break;
    }
    case "add-error":
      x.addReasons.add(addReason(line));
      break;
    default:
      break;
  }
}

type Attributes = FindingDraft["attributes"];

function finding(kind: Kind, severity: Severity, summary: string, occ: Seen, attributes: Attributes): FindingDraft {
  return fromSeen(occ, { kind, severity, summary, attributes, correlateWith: CORRELATE[kind] });
}

/** The log read once: every failure signal's occurrences plus the request counts and the pods named. */
async function readLog(read: EvidenceReader, window: WindowMs): Promise<PluginLog | undefined> {
  const [path] = await read.paths("cniPluginLog");
  if (!path) return undefined;
  if ((await read.size(path)) === 0) {
    read.gap(path, "file is empty");
    return undefined;
  }
  const x = emptyLog(path);
  const timeOf = createCniTimeParser();
  let chunk = "";
  const ok = await read.scanMatchingAt(path, PREFILTER, (cursor) => {
    if (cursor.chunk !== chunk) {
      settle(x);
      chunk = cursor.chunk;
    }
    const line = cursor.chunk.slice(cursor.start, cursor.end);
    const signals = classify(line);
    if (signals.length === 0) return;
    const at = timeOf(line);
    if (!inWindow(at, window)) return;
    let text: string | undefined;
    for (const signal of signals) {
      if (SAMPLED.has(signal)) x.signals.get(signal).add(path, cursor.lineNo, at, (text ??= cursor.text()));
      collect(signal, line, at, x);
    }
  });
  return ok ? x : undefined;
}

function emptyLog(path: string): PluginLog {
  return {
    path,
    signals: new OccurrenceTable<Signal>(),
    adds: 0,
    dels: 0,
    successfulAdds: 0,
    lastAdd: undefined,
    lastSuccess: undefined,
    pending: new Map(),
    settled: new Map(),
    assignPods: new Set(),
    unreachablePods: new Set(),
    unreachableAdds: 0,
    unreachableDels: 0,
    lastUnreachableAdd: undefined,
    addReasons: new Set(),
  };
}

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const log = await readLog(ctx.read, ctx.window);
  if (!log) return [];
  const j: Judging = { log, end: ctx.window.end };
  return [unreachableFinding(j), assignFinding(j), addErrorFinding(j), delErrorFinding(j), requestsFinding(log)].filter(
    (d): d is FindingDraft => d !== undefined,
  );
}

interface Judging {
  log: PluginLog;
  end: number;
}

function recent(j: Judging, occ: Seen): boolean {
  return occ.last === undefined || !Number.isFinite(j.end) || occ.last >= j.end - STALE_AFTER_MS;
}

/** Whether an add succeeded after `last` and the failures have been quiet for `quietMs` since. */
function succeededAfter(j: Judging, last: number | undefined, quietMs: number): boolean {
  const { lastSuccess } = j.log;
  return (
    lastSuccess !== undefined &&
    last !== undefined &&
    lastSuccess > last &&
    Number.isFinite(j.end) &&
    j.end - last > quietMs
  );
}

function staleNote(j: Judging, occ: Seen): string {
  return occ.last !== undefined && Number.isFinite(j.end)
    ? `; last seen ${humanDuration(j.end - occ.last)} before the window's end`
    : "";
}

/** One failed add can log both spellings; the primary one counts when the log has it. */
function assignFailures(log: PluginLog): Seen | undefined {
  return seen(preferPrimary(log.signals.peek("assign-failed"), log.signals.peek("assign-failed-wrapped")));
}

function unreachableFinding(j: Judging): FindingDraft | undefined {
  const { log } = j;
  const occ = seen(log.signals.peek("unreachable"));
  if (!occ) return undefined;
  let severity: Severity = log.unreachableAdds > 0 ? "high" : "medium";
  const attributes: Attributes = {
    addFailures: log.unreachableAdds,
    delFailures: log.unreachableDels,
    pods: [...log.unreachablePods],
  };
  let note = "";
  if (!recent(j, occ)) {
    severity = "info";
    attributes.stale = true;
    note = staleNote(j, occ);
  } else if (log.unreachableAdds > 0 && succeededAfter(j, log.lastUnreachableAdd ?? occ.last, BLIP_CLEARED_AFTER_MS)) {
    severity = "low";
    attributes.recovered = true;
    note = "; pod adds succeeded again afterwards (IPAMD restart blip)";
  }
  return finding(
    "cni.ipamd-unreachable",
    severity,
    `The CNI plugin could not reach IPAMD on 127.0.0.1:50051 ${times(occ.count)} (${log.unreachableAdds} ADD, ${log.unreachableDels} DEL)${note}`,
    occ,
    attributes,
  );
}

function assignFinding(j: Judging): FindingDraft | undefined {
  const { log } = j;
  const occ = assignFailures(log);
  if (!occ) return undefined;
  let severity: Severity = "high";
  const attributes: Attributes = { pods: [...log.assignPods] };
  let note = "";
  if (!recent(j, occ)) {
    severity = "info";
    attributes.stale = true;
    note = staleNote(j, occ);
  } else if (succeededAfter(j, occ.last, RECOVERED_AFTER_MS)) {
    severity = "low";
    attributes.recovered = true;
    note = "; pods got addresses again afterwards";
  }
  if (log.lastSuccess !== undefined) attributes.lastSuccessfulAddAt = new Date(log.lastSuccess).toISOString();
  const pods = log.assignPods.size ? ` (${[...log.assignPods].slice(0, 3).join(", ")})` : "";
  return finding(
    "cni.ip-assign-failed",
    severity,
    `IPAMD had no address for ${times(occ.count).replace("time", "pod add")}${pods}${note}`,
    occ,
    attributes,
  );
}

function addErrorFinding(j: Judging): FindingDraft | undefined {
  const { log } = j;
  const occ = seen(log.signals.peek("add-error"));
  if (!occ) return undefined;
  let severity: Severity = "medium";
  const attributes: Attributes = { reasons: [...log.addReasons].sort() };
  let note = "";
  if (!recent(j, occ)) {
    severity = "info";
    attributes.stale = true;
    note = staleNote(j, occ);
  } else if (succeededAfter(j, occ.last, RECOVERED_AFTER_MS)) {
    severity = "low";
    attributes.recovered = true;
  }
  const summary = `CNI ADD failed ${times(occ.count)} (${[...log.addReasons].sort().join(", ")})${note}`;
  return finding("cni.add-errors", severity, summary, occ, attributes);
}

function delErrorFinding(j: Judging): FindingDraft | undefined {
  const occ = seen(j.log.signals.peek("del-error"));
  if (!occ) return undefined;
  const frequent = occ.count >= DEL_NOISE && recent(j, occ);
  const attributes: Attributes = { frequent };
  if (!recent(j, occ)) attributes.stale = true;
  const summary = `CNI DEL failed ${times(occ.count)}${frequent ? "" : " (teardown retries, usually benign)"}`;
  return finding("cni.del-errors", frequent ? "low" : "info", summary, occ, attributes);
}

/** A fact: how many requests the plugin handled and when an add last worked. */
function requestsFinding(log: PluginLog): FindingDraft | undefined {
  if (log.adds === 0 && log.dels === 0 && log.successfulAdds === 0) return undefined;
  const failedAdds =
    log.unreachableAdds + (assignFailures(log)?.count ?? 0) + (seen(log.signals.peek("add-error"))?.count ?? 0);
  const attributes: Attributes = {
    adds: log.adds,
    dels: log.dels,
    successfulAdds: log.successfulAdds,
    failedAdds,
  };
  if (log.lastAdd !== undefined) attributes.lastAddAt = new Date(log.lastAdd).toISOString();
  if (log.lastSuccess !== undefined) attributes.lastSuccessfulAddAt = new Date(log.lastSuccess).toISOString();
  return draft({
    kind: "cni.requests",
    severity: "info",
    summary: `The CNI plugin handled ${log.adds} ADD and ${log.dels} DEL requests; ${log.successfulAdds} adds got an address${log.lastSuccess !== undefined ? `, the last at ${new Date(log.lastSuccess).toISOString()}` : ""}`,
    evidence: [
      {
        source: log.path,
        excerpt: `${log.adds} "Received CNI add request", ${log.dels} "Received CNI del request", ${log.successfulAdds} "Received add network response" lines`,
      },
    ],
    count: log.adds + log.dels,
    attributes,
    correlateWith: CORRELATE["cni.requests"],
    lastSeen: iso(log.lastAdd),
  });
}

export const readCniPluginLog = defineTool({
  name: "read_cni_plugin_log",
  title: "VPC CNI plugin log",
  lane: "network",
  description:
    "Reads the aws-cni plugin's log (var_log/aws-routed-eni/plugin.log, JSON lines or old text) that the kubelet's sandbox setup writes through: IPAMD unreachable on 127.0.0.1:50051 (cni.ipamd-down), IP assignment failures (pool/subnet/capacity symptoms), other ADD failures, DEL failures, and request counts with the last successful add. " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. A brief IPAMD restart that adds recovered from, DEL retries and errors that stopped hours before the window are low or info. ` +
    "Next: read_ipamd_log for why IPAMD had no address or was down, inspect_ipamd_state for the pool and the introspection files.",
  sources: ["cniPluginLog"],
  kinds: KINDS,
  input: {},
  analyze,
});
