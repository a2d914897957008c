import type { EvidenceLocator } from "../src/domain/finding.ts";
import type { Severity } from "../src/domain/severity.ts";
import { iso } from "../src/evidence/clock.ts";
import { buildPrefilter, matchSignals, type LogSignal } from "../src/toolkit/log-signals.ts";
import { OccurrenceTable, type Occurrences } from "../src/toolkit/occurrences.ts";
import { createCniTimeParser, preferPrimary } from "../src/toolkit/parse-vpc-cni-log.ts";
import { humanDuration, inWindow, STALE_AFTER_MS } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";

const KINDS = {
  "cni.ipamd-unreachable":
    "The aws-cni plugin could not reach IPAMD's gRPC server on 127.0.0.1:50051 (connection refused, Unavailable, Error received from AddNetwork gRPC call): evidence for cni.ipamd-down; low once adds succeeded again long ago",
  "cni.ip-assign-failed":
    "IPAMD answered but had no address for the pod (Failed to assign an IP address to container): the plugin-side symptom of subnet exhaustion, node IP capacity, throttling or permission faults; attribute `pods`",
  "cni.add-errors":
    "Other CNI ADD failures (veth/route setup, network policy agent, version mismatch, bad config); attribute `reasons`",
  "cni.del-errors": "CNI DEL failures (teardown, DelNetwork errors): usually benign retries; info unless frequent",
  "cni.requests":
    "Fact: ADD/DEL request counts, successful adds and the last successful add (evidence that pod networking worked until then)",
} as const;
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

const RECOVERED_AFTER_MS = 30 * 60_000;
const BLIP_CLEARED_AFTER_MS = 10 * 60_000;
const DEL_NOISE = 10;
const MAX_TRACKED_CONTAINERS = 4096;
const MAX_PODS = 10;

function addReason(l: string): string {
  if (/SetupPodNetwork|failed to setup network(?! policy)/.test(l)) return "setup-network";
  if (NETWORK_POLICY.test(l)) return "network-policy";
  if (/wrong client version|FailedPrecondition/.test(l)) return "version-mismatch";
  if (/k8s config|loading config|conf\.VethPrefix/.test(l)) return "config";
  return "other";
}

interface Extras {
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
function settle(x: Extras): void {
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

function podOf(line: string, x: Extras): string | undefined {
  const old = /pod ([a-z0-9][\w.-]*),? namespace ([a-z0-9][\w.-]*)/.exec(line);
  if (old) return own(`${old[2]}/${old[1]}`);
  const id = /(?:container(?:ID| ID)?|ContainerID\(|sandbox) ?([0-9a-f]{12,64})/.exec(line);
  return id ? (x.pending.get(id[1] as string) ?? x.settled.get(id[1] as string)) : undefined;
}

function collect(signal: Signal, line: string, at: number | undefined, x: Extras): void {
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

interface Seen {
  count: number;
  first: number | undefined;
  last: number | undefined;
  evidence: EvidenceLocator[];
}

function seen(occ: Occurrences | undefined): Seen | undefined {
  return occ && occ.count > 0
    ? { count: occ.count, first: occ.first, last: occ.last, evidence: occ.evidence }
    : undefined;
}

type Attributes = FindingDraft["attributes"];

function finding(
  kind: Kind,
  severity: Severity,
  summary: string,
  occ: Seen | undefined,
  attributes: Attributes,
  count?: number,
): FindingDraft {
  const d: FindingDraft = {
    kind,
    severity,
    summary,
    evidence: occ?.evidence ?? [],
    count: count ?? occ?.count ?? 1,
    attributes,
    correlateWith: CORRELATE[kind],
  };
  const first = iso(occ?.first);
  const last = iso(occ?.last);
  if (first) d.firstSeen = first;
  if (last) d.lastSeen = last;
  return d;
}

function times(n: number): string {
  return `${n} time${n === 1 ? "" : "s"}`;
}

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const [path] = await ctx.read.paths("cniPluginLog");
  if (!path) return [];
  if ((await ctx.read.size(path)) === 0) {
    ctx.read.gap(path, "file is empty");
    return [];
  }
  const table = new OccurrenceTable<Signal>();
  const x: Extras = {
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
  const timeOf = createCniTimeParser();
  let chunk = "";
  const ok = await ctx.read.scanMatchingAt(path, PREFILTER, (cursor) => {
    if (cursor.chunk !== chunk) {
      settle(x);
      chunk = cursor.chunk;
    }
    const line = cursor.chunk.slice(cursor.start, cursor.end);
    const signals = classify(line);
    if (signals.length === 0) return;
    const at = timeOf(line);
    if (!inWindow(at, ctx.window)) return;
    let text: string | undefined;
    for (const signal of signals) {
      if (SAMPLED.has(signal)) table.get(signal).add(path, cursor.lineNo, at, (text ??= cursor.text()));
      collect(signal, line, at, x);
    }
  });
  if (!ok) return [];

  const end = ctx.window.end;
  const recent = (occ: Seen) => occ.last === undefined || !Number.isFinite(end) || occ.last >= end - STALE_AFTER_MS;
  const succeededAfter = (last: number | undefined, quietMs: number) =>
    x.lastSuccess !== undefined &&
    last !== undefined &&
    x.lastSuccess > last &&
    Number.isFinite(end) &&
    end - last > quietMs;
  const staleNote = (occ: Seen) =>
    occ.last !== undefined && Number.isFinite(end)
      ? `; last seen ${humanDuration(end - occ.last)} before the window's end`
      : "";
  const findings: FindingDraft[] = [];

  const unreachable = seen(table.peek("unreachable"));
  if (unreachable) {
    let severity: Severity = x.unreachableAdds > 0 ? "high" : "medium";
    const attributes: Attributes = {
      addFailures: x.unreachableAdds,
      delFailures: x.unreachableDels,
      pods: [...x.unreachablePods],
    };
    let note = "";
    if (!recent(unreachable)) {
      severity = "info";
      attributes.stale = true;
      note = staleNote(unreachable);
    } else if (
      x.unreachableAdds === 0 ||
      succeededAfter(x.lastUnreachableAdd ?? unreachable.last, BLIP_CLEARED_AFTER_MS)
    ) {
      if (x.unreachableAdds > 0) {
        severity = "low";
        attributes.recovered = true;
        note = "; pod adds succeeded again afterwards (IPAMD restart blip)";
      }
    }
    findings.push(
      finding(
        "cni.ipamd-unreachable",
        severity,
        `The CNI plugin could not reach IPAMD on 127.0.0.1:50051 ${times(unreachable.count)} (${x.unreachableAdds} ADD, ${x.unreachableDels} DEL)${note}`,
        unreachable,
        attributes,
      ),
    );
  }

  const assign = seen(preferPrimary(table.peek("assign-failed"), table.peek("assign-failed-wrapped")));
  if (assign) {
    let severity: Severity = "high";
    const attributes: Attributes = { pods: [...x.assignPods] };
    let note = "";
    if (!recent(assign)) {
      severity = "info";
      attributes.stale = true;
      note = staleNote(assign);
    } else if (succeededAfter(assign.last, RECOVERED_AFTER_MS)) {
      severity = "low";
      attributes.recovered = true;
      note = "; pods got addresses again afterwards";
    }
    if (x.lastSuccess !== undefined) attributes.lastSuccessfulAddAt = new Date(x.lastSuccess).toISOString();
    findings.push(
      finding(
        "cni.ip-assign-failed",
        severity,
        `IPAMD had no address for ${times(assign.count).replace("time", "pod add")}${x.assignPods.size ? ` (${[...x.assignPods].slice(0, 3).join(", ")})` : ""}${note}`,
        assign,
        attributes,
      ),
    );
  }

  const addErrors = seen(table.peek("add-error"));
  if (addErrors) {
    let severity: Severity = "medium";
    const attributes: Attributes = { reasons: [...x.addReasons].sort() };
    let note = "";
    if (!recent(addErrors)) {
      severity = "info";
      attributes.stale = true;
      note = staleNote(addErrors);
    } else if (succeededAfter(addErrors.last, RECOVERED_AFTER_MS)) {
      severity = "low";
      attributes.recovered = true;
    }
    findings.push(
      finding(
        "cni.add-errors",
        severity,
        `CNI ADD failed ${times(addErrors.count)} (${[...x.addReasons].sort().join(", ")})${note}`,
        addErrors,
        attributes,
      ),
    );
  }

  const delErrors = seen(table.peek("del-error"));
  if (delErrors) {
    const frequent = delErrors.count >= DEL_NOISE && recent(delErrors);
    const attributes: Attributes = { frequent };
    if (!recent(delErrors)) attributes.stale = true;
    findings.push(
      finding(
        "cni.del-errors",
        frequent ? "low" : "info",
        `CNI DEL failed ${times(delErrors.count)}${frequent ? "" : " (teardown retries, usually benign)"}`,
        delErrors,
        attributes,
      ),
    );
  }

  if (x.adds > 0 || x.dels > 0 || x.successfulAdds > 0) {
    const failedAdds = x.unreachableAdds + (assign?.count ?? 0) + (addErrors?.count ?? 0);
    const attributes: Attributes = { adds: x.adds, dels: x.dels, successfulAdds: x.successfulAdds, failedAdds };
    if (x.lastAdd !== undefined) attributes.lastAddAt = new Date(x.lastAdd).toISOString();
    if (x.lastSuccess !== undefined) attributes.lastSuccessfulAddAt = new Date(x.lastSuccess).toISOString();
    const d = finding(
      "cni.requests",
      "info",
      `The CNI plugin handled ${x.adds} ADD and ${x.dels} DEL requests; ${x.successfulAdds} adds got an address${x.lastSuccess !== undefined ? `, the last at ${new Date(x.lastSuccess).toISOString()}` : ""}`,
      undefined,
      attributes,
      x.adds + x.dels,
    );
    d.evidence = [
      {
        source: path,
        excerpt: `${x.adds} "Received CNI add request", ${x.dels} "Received CNI del request", ${x.successfulAdds} "Received add network response" lines`,
      },
    ];
    const lastSeen = iso(x.lastAdd);
    if (lastSeen) d.lastSeen = lastSeen;
    findings.push(d);
  }
  return findings;
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
