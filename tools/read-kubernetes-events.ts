import type { Severity } from "../src/domain/severity.ts";
import { parseIsoTime } from "../src/evidence/clock.ts";
import { KubernetesEventSchema, type KubernetesEvent } from "../src/evidence/kubernetes-events.ts";
import { OccurrenceTable, type Occurrences } from "../src/toolkit/occurrences.ts";
import { inWindow, isRecent } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

const KINDS = {
  "events.sandbox-failed": kind(
    "FailedCreatePodSandBox events; attribute `causes` (cni-ip-assign, ipamd-unreachable, cni-not-initialized, sandbox-image, other)",
    {
      causes: attr.texts(
        "Distinct causes read from the event messages, sorted: cni-ip-assign, ipamd-unreachable, cni-not-initialized, sandbox-image, other",
      ),
      stale: attr.flag("Set (true) when no such event falls in the recent part of the window"),
    },
  ),
  "events.multi-attach": kind("Multi-Attach errors: a volume is still attached to another node", {
    stale: attr.flag("Set (true) when no such event falls in the recent part of the window"),
  }),
  "events.attach-failed": kind("FailedAttachVolume events (attach timeouts, volume in use)", {
    stale: attr.flag("Set (true) when no such event falls in the recent part of the window"),
  }),
  "events.mount-failed": kind(
    "FailedMount events; attribute `causes` (device-not-found, nfs-timeout, attach-timeout, csi-driver-missing, other)",
    {
      causes: attr.texts(
        "Distinct causes read from the event messages, sorted: device-not-found, nfs-timeout, attach-timeout, csi-driver-missing, other",
      ),
      stale: attr.flag("Set (true) when no such event falls in the recent part of the window"),
    },
  ),
  "events.disk-pressure": kind(
    "NodeHasDiskPressure, EvictionThresholdMet on disk, FreeDiskSpaceFailed or ImageGCFailed events",
    { stale: attr.flag("Set (true) when no such event falls in the recent part of the window") },
  ),
  "events.pid-pressure": kind("NodeHasInsufficientPID events", {
    stale: attr.flag("Set (true) when no such event falls in the recent part of the window"),
  }),
  "events.memory-pressure": kind("NodeHasInsufficientMemory / memory eviction events", {
    stale: attr.flag("Set (true) when no such event falls in the recent part of the window"),
  }),
  "events.system-oom": kind(
    "SystemOOM events from the kubelet: the kernel OOM killer hit a process outside pod limits",
    { stale: attr.flag("Set (true) when no such event falls in the recent part of the window") },
  ),
  "events.image-pull-failed": kind(
    "Failed / ErrImagePull / image pull back-off events for workload images; attribute `reasons`",
    {
      reasons: attr.texts("Distinct pull failure reasons, sorted: throttled, auth, not-found, network, other"),
      stale: attr.flag("Set (true) when no such event falls in the recent part of the window"),
    },
  ),
  "events.node-not-ready": kind("NodeNotReady events", {
    stale: attr.flag("Set (true) when no such event falls in the recent part of the window"),
  }),
  "events.rebooted": kind("Rebooted events for the node", {
    stale: attr.flag("Set (true) when no such event falls in the recent part of the window"),
  }),
  "events.workload-oom": kind("Containers OOMKilled under their own limits (application-level, info)", {
    stale: attr.flag("Set (true) when no such event falls in the recent part of the window"),
  }),
  "events.container-backoff": kind(
    "BackOff restarting failed containers (application-level unless the node explains it, info)",
    { stale: attr.flag("Set (true) when no such event falls in the recent part of the window") },
  ),
  "events.probe-failures": kind("Unhealthy events: liveness/readiness probe failures (application-level, info)", {
    stale: attr.flag("Set (true) when no such event falls in the recent part of the window"),
  }),
  "events.summary": kind("How many events concern this node, by reason (fact)", {
    reasons: attr.texts('Up to 15 event reasons with their event counts ("Reason=count"), most frequent first'),
  }),
};
type Kind = keyof typeof KINDS;

const BASE: Record<Kind, Severity> = {
  "events.sandbox-failed": "high",
  "events.multi-attach": "high",
  "events.attach-failed": "high",
  "events.mount-failed": "medium",
  "events.disk-pressure": "high",
  "events.pid-pressure": "high",
  "events.memory-pressure": "medium",
  "events.system-oom": "high",
  "events.image-pull-failed": "medium",
  "events.node-not-ready": "medium",
  "events.rebooted": "low",
  "events.workload-oom": "info",
  "events.container-backoff": "info",
  "events.probe-failures": "info",
  "events.summary": "info",
};

const CORRELATE: Partial<Record<Kind, string[]>> = {
  "events.sandbox-failed": ["read_cni_plugin_log", "inspect_ipamd_state", "read_containerd_log"],
  "events.multi-attach": ["read_csi_logs"],
  "events.attach-failed": ["read_csi_logs"],
  "events.mount-failed": ["read_csi_logs", "inspect_storage"],
  "events.disk-pressure": ["inspect_storage", "read_kubelet_journal"],
  "events.pid-pressure": ["inspect_processes", "read_sysctls"],
  "events.system-oom": ["read_dmesg", "read_kubelet_config"],
  "events.image-pull-failed": ["read_containerd_log"],
  "events.node-not-ready": ["read_kubelet_journal"],
};

function text(e: KubernetesEvent): string {
  return e.message ?? e.note ?? "";
}

function classify(e: KubernetesEvent): Kind | undefined {
  const reason = e.reason ?? "";
  const msg = text(e);
  if (reason === "FailedCreatePodSandBox" || /Failed to create pod sandbox/.test(msg)) return "events.sandbox-failed";
  if (/Multi-Attach error/.test(msg)) return "events.multi-attach";
  if (reason === "FailedAttachVolume") return "events.attach-failed";
  if (reason === "FailedMount" || reason === "FailedMapVolume") return "events.mount-failed";
  if (reason === "SystemOOM") return "events.system-oom";
  if (
    /^(NodeHasDiskPressure|FreeDiskSpaceFailed|ImageGCFailed)$/.test(reason) ||
    (reason === "EvictionThresholdMet" && /(ephemeral-storage|nodefs|imagefs|disk)/i.test(msg)) ||
    (reason === "Evicted" && /ephemeral-storage|nodefs|imagefs/.test(msg))
  )
    return "events.disk-pressure";
  if (reason === "NodeHasInsufficientPID" || (reason === "EvictionThresholdMet" && /pid/i.test(msg)))
    return "events.pid-pressure";
  if (
    reason === "NodeHasInsufficientMemory" ||
    (reason === "EvictionThresholdMet" && /memory/i.test(msg)) ||
    (reason === "Evicted" && /memory/i.test(msg))
  )
    return "events.memory-pressure";
  if (
    (reason === "Failed" || reason === "BackOff" || reason === "ErrImagePull") &&
    /(pull|image)/i.test(msg) &&
    !/Back-off restarting/.test(msg)
  )
    return "events.image-pull-failed";
  if (reason === "NodeNotReady") return "events.node-not-ready";
  if (reason === "Rebooted") return "events.rebooted";
  if (reason === "OOMKilling" || /OOMKilled/.test(msg)) return "events.workload-oom";
  if (reason === "BackOff" && /Back-off restarting/.test(msg)) return "events.container-backoff";
  if (reason === "Unhealthy") return "events.probe-failures";
  return undefined;
}

function sandboxCause(msg: string): string {
  if (/failed to assign an IP address/.test(msg)) return "cni-ip-assign";
  if (/127\.0\.0\.1:50051|ipamd/.test(msg)) return "ipamd-unreachable";
  if (/cni plugin not initialized|NetworkPluginNotReady|no networks found/.test(msg)) return "cni-not-initialized";
  if (/sandbox image|\/pause:/.test(msg)) return "sandbox-image";
  return "other";
}

function mountCause(msg: string): string {
  if (/not found in the list of registered CSI drivers/.test(msg)) return "csi-driver-missing";
  if (/Failed to find device path|no device path/i.test(msg)) return "device-not-found";
  if (/Connection timed out|mount\.nfs|NFS/i.test(msg)) return "nfs-timeout";
  if (/timed out waiting for the condition|Unable to attach or mount/i.test(msg)) return "attach-timeout";
  return "other";
}

function pullReason(msg: string): string {
  if (/toomanyrequests|429/i.test(msg)) return "throttled";
  if (/no basic auth credentials|401|403|Unauthorized|pull access denied|denied/i.test(msg)) return "auth";
  if (/not found|manifest unknown/i.test(msg)) return "not-found";
  if (/i\/o timeout|dial tcp|TLS handshake|no such host/i.test(msg)) return "network";
  return "other";
}

function eventTime(e: KubernetesEvent): number | undefined {
  for (const t of [e.series?.lastObservedTime, e.lastTimestamp, e.eventTime, e.firstTimestamp]) {
    const ms = t ? parseIsoTime(t) : undefined;
    if (ms !== undefined) return ms;
  }
  return undefined;
}

function excerpt(e: KubernetesEvent): string {
  const object = e.involvedObject ?? e.regarding;
  const who = object
    ? `${object.kind ?? ""}/${object.namespace ? `${object.namespace}/` : ""}${object.name ?? ""}`
    : "";
  return `${e.type ?? "Normal"} ${e.reason ?? ""} ${who} (x${e.count ?? e.series?.count ?? 1}): ${text(e)}`;
}

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const read = await ctx.read.json("kubernetesEvents");
  if (read.state !== "ok") return [];
  const items = (read.value as { items?: unknown[] }).items;
  if (!Array.isArray(items)) {
    ctx.read.gap(read.path, "events overlay is not a List");
    return [];
  }
  const table = new OccurrenceTable<Kind>();
  const causes = new Map<Kind, Set<string>>();
  const reasons = new Map<string, number>();
  let index = 0;
  for (const item of items) {
    index += 1;
    const parsed = KubernetesEventSchema.safeParse(item);
    if (!parsed.success) continue;
    const e = parsed.data;
    const at = eventTime(e);
    if (!inWindow(at, ctx.window)) continue;
    const count = Math.max(1, e.count ?? e.series?.count ?? 1);
    reasons.set(e.reason ?? "(none)", (reasons.get(e.reason ?? "(none)") ?? 0) + count);
    const kind = classify(e);
    if (!kind) continue;
    const occ = table.get(kind);
    occ.add(read.path, index, at, excerpt(e));
    for (let i = 1; i < count; i += 1) occ.addCountOnly(at);
    const set = causes.get(kind) ?? new Set<string>();
    if (kind === "events.sandbox-failed") set.add(sandboxCause(text(e)));
    if (kind === "events.mount-failed") set.add(mountCause(text(e)));
    if (kind === "events.image-pull-failed") set.add(pullReason(text(e)));
    causes.set(kind, set);
  }
  const findings: FindingDraft[] = [];
  for (const [kind, occ] of table.entries()) findings.push(draft(kind, occ, ctx, causes.get(kind)));
  const total = [...reasons.values()].reduce((a, b) => a + b, 0);
  findings.push({
    kind: "events.summary",
    severity: "info",
    summary: `${total} event${total === 1 ? "" : "s"} concern this node in the window`,
    evidence: [],
    count: total,
    attributes: {
      reasons: [...reasons]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 15)
        .map(([r, n]) => `${r}=${n}`),
    },
    correlateWith: [],
  });
  return findings;
}

function draft(kind: Kind, occ: Occurrences, ctx: AnalyzerContext, causes: Set<string> | undefined): FindingDraft {
  const recent = isRecent(occ, ctx.window);
  const severity: Severity = recent ? BASE[kind] : "info";
  const attributes: FindingDraft["attributes"] = {};
  if (!recent) attributes.stale = true;
  if (causes?.size) attributes[kind === "events.image-pull-failed" ? "reasons" : "causes"] = [...causes].sort();
  const out: FindingDraft = {
    kind,
    severity,
    summary: `${KINDS[kind].description.split(";")[0]} (${occ.count} event${occ.count === 1 ? "" : "s"})`,
    evidence: occ.evidence,
    count: occ.count,
    attributes,
    correlateWith: CORRELATE[kind] ?? [],
  };
  if (occ.firstSeen) out.firstSeen = occ.firstSeen;
  if (occ.lastSeen) out.lastSeen = occ.lastSeen;
  return out;
}

export const readKubernetesEvents = defineTool({
  name: "read_kubernetes_events",
  title: "Kubernetes events",
  lane: "runtime",
  description:
    "Reads the Kubernetes events that concern this node (given with --events: kubectl get events -o json|yaml; no node file carries them): FailedCreatePodSandBox, Multi-Attach, FailedAttachVolume, FailedMount, disk/PID/memory pressure, SystemOOM, image pull failures, NodeNotReady. " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. Without --events the tool has no data. ` +
    "Next: read_cni_plugin_log / inspect_ipamd_state for sandbox failures, read_csi_logs for volumes, inspect_storage for disk pressure, read_dmesg for SystemOOM.",
  sources: ["kubernetesEvents"],
  kinds: KINDS,
  input: {},
  analyze,
});
