import type { Severity } from "../src/domain/severity.ts";
import type { WindowMs } from "../src/domain/time.ts";
import type { EvidenceReader } from "../src/toolkit/evidence-reader.ts";
import { draft, fact, fromOccurrences, times } from "../src/toolkit/finding-drafts.ts";
import {
  buildPrefilter,
  journalLineTime,
  klogLevel,
  matchSignals,
  type LogSignal,
} from "../src/toolkit/log-signals.ts";
import { OccurrenceTable, type Occurrences } from "../src/toolkit/occurrences.ts";
import { criMessage, criTime, dedupeContainerLogs, parseContainerLogPath } from "../src/toolkit/parse-container-log.ts";
import { humanDuration, inWindow, isRecent } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";
import { z } from "zod";

/** Set on every signal kind but csi.driver-registered when it stopped well before the window's end. */
const stale = attr.flag("True when the signal stopped well before the window's end (severity lowered to info)");
const volumes = attr.texts("EBS volume ids (vol-…) named in the failing lines, at most 10");

const KINDS = {
  "csi.ebs-device-not-found": kind(
    "The EBS CSI node plugin cannot find or verify the attached volume's device (Failed to find device path, no device path for device, NVMe path mismatch: already mounted): storage.ebs-device-not-found",
    {
      volumes,
      devices: attr.texts("Device paths (/dev/nvme1n1 …) named in the failing lines, at most 5"),
      stale,
    },
  ),
  "csi.ebs-attach-failed": kind(
    "EBS attach failures (AttachVolume / ControllerPublishVolume errors, timed out waiting for the condition, VolumeInUse, already attached, device name in use, attachment limit): storage.ebs-attach-timeout",
    {
      causes: z
        .array(
          z.enum(["in-use-elsewhere", "device-name-busy", "attachment-limit", "timeout", "incorrect-state", "other"]),
        )
        .describe(
          "Why attaches failed, sorted: in-use-elsewhere, device-name-busy, attachment-limit, timeout, incorrect-state, other",
        ),
      volumes,
      stale,
    },
  ),
  "csi.efs-mount-timeout": kind(
    "EFS NFS mounts time out or the TLS tunnel fails (mount.nfs4: Connection timed out, stunnel / TLS tunnel errors, mount target name not resolvable); attribute causes: storage.efs-mount-timeout",
    {
      causes: z
        .array(z.enum(["tls-tunnel", "mount-target-dns", "nfs-not-responding", "nfs-timeout"]))
        .describe("Why EFS mounts failed, sorted: tls-tunnel, mount-target-dns, nfs-not-responding, nfs-timeout"),
      stale,
    },
  ),
  "csi.mount-failed": kind(
    "Other CSI mount / stage / publish failures (Mount failed: exit status 32, wrong fs type, permission denied)",
    {
      causes: z
        .array(z.enum(["filesystem", "permission", "mount-exit-32", "other"]))
        .describe(
          "Why mounts failed, sorted: filesystem (wrong fs type, bad superblock), permission, mount-exit-32, other",
        ),
      stale,
    },
  ),
  "csi.imds-error": kind(
    "A CSI driver could not reach the instance metadata service (EC2MetadataError, 169.254.169.254 timeouts); attribute kubernetesFallback when it used the Kubernetes API instead: evidence for net.imds-unreachable",
    {
      kubernetesFallback: attr.flag("True when a driver said it took its metadata from the Kubernetes API instead"),
      stale,
    },
  ),
  "csi.registration-failed": kind(
    "The node-driver-registrar could not register the driver with the kubelet (PluginRegistered:false): storage.csi-node-plugin-missing",
    {
      drivers: attr.texts("Drivers whose registration failed (driver name, else the pod name, else `unknown`)"),
      cleared: attr.flag("True when every failing pod later registered successfully (severity info)"),
      stale,
    },
  ),
  "csi.driver-registered": kind(
    "Fact: CSI drivers the kubelet accepted on this node (PluginRegistered:true); their absence together with the kubelet's 'not found in the list of registered CSI drivers' points to storage.csi-node-plugin-missing",
    { drivers: attr.texts("Registered drivers (driver name, else the pod name, else `unknown`)") },
  ),
  "csi.plugins": kind("Fact: which CSI pods and containers logged on this node, drivers and versions", {
    pods: attr.texts("CSI pods whose logs were read, sorted"),
    containers: attr.texts("CSI containers whose logs were read (ebs-plugin, node-driver-registrar …), sorted"),
    drivers: attr.texts("CSI driver names (…csi.aws.com) the pods announced, sorted"),
    versions: attr.texts("Driver versions as `driver version`, at most 6"),
    nodePlugin: attr.flag("True when a node plugin pod (…-node-…) logged"),
    controller: attr.flag("True when a controller pod (…-controller-…) logged"),
    efsUtilsLog: attr.flag("True when the bundle holds the efs-utils mount log"),
  }),
  "csi.no-plugin-logs": kind(
    "Fact: the bundle holds container logs but none from an EBS or EFS CSI pod (no CSI node plugin ran here)",
    { containerLogFiles: attr.count("Container log files collected from other pods (files)") },
  ),
};
type Kind = keyof typeof KINDS;

const ERRORISH = /(error|fail|timed out|timeout|refused|denied|unable|could not|cannot|not found)/i;

const SIGNALS: readonly LogSignal<Kind>[] = [
  {
    kind: "csi.ebs-device-not-found",
    needles: [
      "Failed to find device path",
      "failed to find device path",
      "no device path for device",
      "already mounted on",
      "could not verify device",
      "Failed to verify device",
      "nvme: couldn't find",
    ],
    test: (l) => !/already mounted on/.test(l) || /\/dev\/nvme/.test(l),
  },
  {
    kind: "csi.ebs-attach-failed",
    needles: [
      "AttachVolume",
      "ControllerPublishVolume",
      "failed to attach",
      "Failed to attach",
      "could not attach volume",
      "Could not attach volume",
      "VolumeInUse",
      "already attached",
      "is already in use",
      "AttachmentLimitExceeded",
      "IncorrectState",
      "timed out waiting for the condition",
      "attachment of disk",
    ],
    // csi-attacher logs its failures at level I ("Error processing …: failed to attach").
    test: (l) =>
      ERRORISH.test(l) &&
      !/Detach|detach|ControllerUnpublish/.test(l) &&
      (klogLevel(l) !== "I" || /failed to attach|Error processing/.test(l)),
  },
  {
    kind: "csi.efs-mount-timeout",
    needles: [
      "Connection timed out",
      "connection timed out",
      "Failed to initialize TLS tunnel",
      "Failed to start TLS tunnel",
      "stunnel",
      "NFS server not responding",
      "Failed to resolve",
      "mount target",
    ],
    test: (l) =>
      /timed out|not responding|TLS tunnel|Failed to resolve|Failed to mount|failed|error/i.test(l) &&
      !/INFO - |level=info/.test(l) &&
      klogLevel(l) !== "I",
  },
  {
    kind: "csi.mount-failed",
    needles: [
      "Mount failed",
      "mount failed",
      "MountVolume",
      "NodeStageVolume",
      "NodePublishVolume",
      "Could not mount",
      "could not mount",
      "Failed to mount",
      "wrong fs type",
    ],
    test: (l) => ERRORISH.test(l) && klogLevel(l) !== "I" && !/INFO - /.test(l),
  },
  {
    kind: "csi.imds-error",
    needles: [
      "EC2MetadataError",
      "EC2MetadataRequestError",
      "169.254.169.254",
      "ec2imds",
      "instance metadata",
      "EC2 metadata",
      "ec2 metadata",
      "EC2 instance metadata",
    ],
    test: (l) => ERRORISH.test(l) || /EC2MetadataError|EC2MetadataRequestError|not available|unavailable/.test(l),
  },
  { kind: "csi.registration-failed", needles: ["PluginRegistered:false", "Registration process failed"] },
  { kind: "csi.driver-registered", needles: ["PluginRegistered:true"] },
];
const PREFILTER = buildPrefilter(SIGNALS, [
  "CSI driver name",
  "Driver Information",
  "Driver:",
  "from Kubernetes",
  "kubernetes api",
  "Kubernetes API",
]);

/** Every signal's test needs one of these words: lines without any skip the signal table. */
const CANDIDATE =
  /error|fail|timed out|timeout|refused|denied|unable|could not|cannot|not found|PluginRegistered|Registration process|EC2Metadata|already mounted on|device path|couldn't find|not available|unavailable|not responding/i;

/** Mount failures print several lines (Mount failed, command, arguments, Output): one failure, one count. */
const SAME_FAILURE_LINES = 8;
/** Lines of one event share their second; a repeat further apart in time is a new event. */
const SAME_EVENT_MS = 1000;
/** Bounds on what is remembered (volumes, devices, driver versions) and named in a summary. */
const MAX_VOLUMES = 10;
const MAX_DEVICES = 5;
const MAX_VERSIONS = 6;
const VOLUMES_NAMED = 3;
const SPECIFIC = new Set<Kind>(["csi.ebs-device-not-found", "csi.efs-mount-timeout", "csi.ebs-attach-failed"]);

interface Extras {
  efsCauses: Set<string>;
  attachCauses: Set<string>;
  volumes: Set<string>;
  devices: Set<string>;
  /** Pod → when its registrar last reported PluginRegistered:true. */
  registered: Map<string, number>;
  failedRegistration: Set<string>;
  driversByPod: Map<string, string>;
  versions: Set<string>;
  kubernetesFallback: boolean;
  pods: Set<string>;
  containers: Set<string>;
  mountCauses: Set<string>;
}

function efsCause(l: string): string {
  if (/TLS tunnel|stunnel/i.test(l)) return "tls-tunnel";
  if (/Failed to resolve|mount target/i.test(l)) return "mount-target-dns";
  if (/not responding/.test(l)) return "nfs-not-responding";
  return "nfs-timeout";
}

function attachCause(l: string): string {
  if (/VolumeInUse|already attached|Multi-Attach/.test(l)) return "in-use-elsewhere";
  if (/is already in use|Attachment point/.test(l)) return "device-name-busy";
  if (/AttachmentLimitExceeded|attachment limit/i.test(l)) return "attachment-limit";
  if (/timed out|timeout|deadline exceeded/i.test(l)) return "timeout";
  if (/IncorrectState/.test(l)) return "incorrect-state";
  return "other";
}

function mountCause(l: string): string {
  if (/wrong fs type|bad superblock/.test(l)) return "filesystem";
  if (/permission denied|access denied/i.test(l)) return "permission";
  if (/exit status 32/.test(l)) return "mount-exit-32";
  return "other";
}

function collect(kind: Kind, l: string, at: number | undefined, pod: string | undefined, x: Extras): void {
  const vol = /vol-[0-9a-f]{8,17}/.exec(l)?.[0];
  switch (kind) {
    case "csi.ebs-device-not-found": {
      const dev = /device path (\/dev\/\S+?)[.\s"]|(\/dev\/nvme\d+n\d+)/.exec(l);
      if (dev && x.devices.size < MAX_DEVICES) x.devices.add((dev[1] ?? dev[2]) as string);
      if (vol && x.volumes.size < MAX_VOLUMES) x.volumes.add(vol);
      break;
    }
    case "csi.ebs-attach-failed":
      x.attachCauses.add(attachCause(l));
      if (vol && x.volumes.size < MAX_VOLUMES) x.volumes.add(vol);
      break;
    case "csi.efs-mount-timeout":
      x.efsCauses.add(efsCause(l));
      break;
    case "csi.mount-failed":
      x.mountCauses.add(mountCause(l));
      break;
    // Keyed by pod: the driver name may come from another container of the pod, read later.
    case "csi.driver-registered":
      x.registered.set(pod ?? "unknown", Math.max(at ?? 0, x.registered.get(pod ?? "unknown") ?? 0));
      break;
    case "csi.registration-failed":
      x.failedRegistration.add(pod ?? "unknown");
      break;
    default:
      break;
  }
}

function noteFacts(l: string, pod: string | undefined, x: Extras): void {
  // Cheap guards first: this runs on every candidate line.
  if (l.includes("ubernetes")) {
    // Both drivers fall back to the Node object for region / AZ / instance id when IMDS is unreachable.
    if (/kubernetes api|from kubernetes/i.test(l)) x.kubernetesFallback = true;
  }
  if (!l.includes("river") && !l.includes("Version")) return;
  const driver =
    /CSI driver name:? "([a-z0-9.-]+\.[a-z0-9.-]+)"|csiDriverName="([a-z0-9.-]+)"|[dD]river="([a-z0-9.-]+)"|Driver: ([a-z0-9.-]+)/.exec(
      l,
    );
  const name = driver ? (driver[1] ?? driver[2] ?? driver[3] ?? driver[4]) : undefined;
  if (name && /csi\.aws\.com$/.test(name) && pod) x.driversByPod.set(pod, name);
  const version = /Version="(v[^"]+)"|Version: (v\S+)/.exec(l);
  if (version && x.versions.size < MAX_VERSIONS) x.versions.add(`${name ?? "driver"} ${version[1] ?? version[2]}`);
}

const BASE: Record<Kind, Severity> = {
  "csi.ebs-device-not-found": "high",
  "csi.ebs-attach-failed": "high",
  "csi.efs-mount-timeout": "high",
  "csi.mount-failed": "medium",
  "csi.imds-error": "medium",
  "csi.registration-failed": "high",
  "csi.driver-registered": "info",
  "csi.plugins": "info",
  "csi.no-plugin-logs": "info",
};

const CORRELATE: Partial<Record<Kind, string[]>> = {
  "csi.ebs-device-not-found": ["inspect_storage", "read_kubelet_journal"],
  "csi.ebs-attach-failed": ["read_kubelet_journal", "inspect_storage"],
  "csi.efs-mount-timeout": ["read_kubelet_journal", "read_dmesg"],
  "csi.mount-failed": ["read_kubelet_journal", "read_dmesg"],
  "csi.imds-error": ["read_ipamd_log", "read_bootstrap_logs"],
  "csi.registration-failed": ["read_kubelet_journal"],
  "csi.no-plugin-logs": ["read_kubelet_journal"],
};

function summarize(kind: Kind, occ: Occurrences, x: Extras): string {
  const n = times(occ.count);
  switch (kind) {
    case "csi.ebs-device-not-found":
      return `The EBS CSI node plugin could not find the device of an attached volume ${n}${x.volumes.size ? ` (${[...x.volumes].slice(0, VOLUMES_NAMED).join(", ")})` : ""}`;
    case "csi.ebs-attach-failed":
      return `EBS volumes failed to attach ${n} (${[...x.attachCauses].sort().join(", ")})`;
    case "csi.efs-mount-timeout":
      return `EFS mounts failed ${n} (${[...x.efsCauses].sort().join(", ")})`;
    case "csi.mount-failed":
      return `CSI mounts failed ${n} (${[...x.mountCauses].sort().join(", ")})`;
    case "csi.imds-error":
      return `A CSI driver could not reach instance metadata ${n}${x.kubernetesFallback ? "; it fell back to the Kubernetes API" : ""}`;
    case "csi.registration-failed":
      return `The kubelet refused the CSI driver registration of ${[...x.failedRegistration].map((p) => x.driversByPod.get(p) ?? p).join(", ")} (${n})`;
    case "csi.driver-registered":
      return `CSI driver${x.registered.size === 1 ? "" : "s"} ${[...new Set([...x.registered.keys()].map((p) => x.driversByPod.get(p) ?? p))].join(", ")} registered with the kubelet`;
    default:
      return `${KINDS[kind].description} (${n})`;
  }
}

interface Pending {
  path: string;
  line: number;
  at: number | undefined;
  text: string;
  raw: string;
}

function newExtras(): Extras {
  return {
    efsCauses: new Set(),
    attachCauses: new Set(),
    volumes: new Set(),
    devices: new Set(),
    registered: new Map(),
    failedRegistration: new Set(),
    driversByPod: new Map(),
    versions: new Set(),
    kubernetesFallback: false,
    pods: new Set(),
    containers: new Set(),
    mountCauses: new Set(),
  };
}

/** The CSI logs, read: signals per kind and what judging them needs; or, without CSI logs, how many others there were. */
type CsiLogs =
  | { state: "none"; containerLogFiles: number }
  | { state: "read"; table: OccurrenceTable<Kind>; x: Extras; files: number; efsUtilsLog: boolean };

async function readCsi(
  read: EvidenceReader,
  yearRef: number | undefined,
  window: WindowMs,
): Promise<CsiLogs | undefined> {
  const csiPaths = dedupeContainerLogs(await read.paths("csiLogs"));
  const efsPaths = await read.paths("efsUtilsLog");
  const paths = [...csiPaths, ...efsPaths];
  if (paths.length === 0) {
    const others = (await read.paths("containerLogs")).filter((p) => parseContainerLogPath(p) !== undefined);
    return others.length === 0 ? undefined : { state: "none", containerLogFiles: others.length };
  }
  const table = new OccurrenceTable<Kind>();
  const x = newExtras();
  let files = 0;
  for (const path of paths) {
    const ref = parseContainerLogPath(path);
    const pod = ref?.pod;
    const efsSource = efsPaths.includes(path) || /^efs-/.test(pod ?? "");
    if (!(await scanLog(read, path, { pod, efsSource, yearRef, window }, table, x))) continue;
    files += 1;
    if (pod) x.pods.add(pod);
    if (ref) x.containers.add(ref.container);
  }
  if (files === 0) return undefined;
  return { state: "read", table, x, files, efsUtilsLog: efsPaths.length > 0 };
}

interface LogContext {
  pod: string | undefined;
  /** An EFS pod or the efs-utils log: only there is a bare timeout an NFS mount timeout. */
  efsSource: boolean;
  yearRef: number | undefined;
  window: WindowMs;
}

/** Scans one log into `table` and `x`; false when it is unreadable. */
async function scanLog(
  read: EvidenceReader,
  path: string,
  log: LogContext,
  table: OccurrenceTable<Kind>,
  x: Extras,
): Promise<boolean> {
  const { pod } = log;
  let pending: Pending | undefined;
  let lastSpecific = Number.NEGATIVE_INFINITY;
  const lastCounted = new Map<Kind, { line: number; at: number | undefined }>();
  const flush = () => {
    if (pending && pending.line - lastSpecific > SAME_FAILURE_LINES) {
      table.get("csi.mount-failed").add(pending.path, pending.line, pending.at, pending.text);
      collect("csi.mount-failed", pending.raw, pending.at, pod, x);
    }
    pending = undefined;
  };
  const ok = await read.scanMatchingAt(path, PREFILTER, (cursor) => {
    const raw = cursor.chunk.slice(cursor.start, cursor.end);
    const line = criMessage(raw);
    noteFacts(line, pod, x);
    // Most candidates are info chatter (NodeStageVolume: called …): one regex rules them out.
    const kinds = CANDIDATE.test(line) ? matchSignals(line, SIGNALS) : [];
    if (pending && cursor.lineNo - pending.line > SAME_FAILURE_LINES) flush();
    if (kinds.length === 0) return;
    const at = criTime(raw) ?? journalLineTime(raw, log.yearRef);
    if (!inWindow(at, log.window)) return;
    // A timeout in the EBS driver (EC2 API, IMDS) is not an NFS mount timeout.
    if (!log.efsSource && kinds.includes("csi.efs-mount-timeout") && !/nfs|efs|stunnel|TLS tunnel|mount/i.test(line))
      kinds.splice(kinds.indexOf("csi.efs-mount-timeout"), 1);
    const specific = kinds.filter((k) => SPECIFIC.has(k));
    for (const kind of kinds) {
      if (kind === "csi.mount-failed") {
        // Counted only if no specific cause shows up among the lines of the same failure.
        if (specific.length > 0 || cursor.lineNo - lastSpecific <= SAME_FAILURE_LINES) continue;
        if (!pending) pending = { path, line: cursor.lineNo, at, text: cursor.text(), raw: line };
        continue;
      }
      collect(kind, line, at, pod, x);
      const previous = lastCounted.get(kind);
      lastCounted.set(kind, { line: cursor.lineNo, at });
      // The GRPC error repeats the mount output a few lines later, the registrar logs a failed
      // status and then "Registration process failed": lines of one event, counted once.
      if (
        kind !== "csi.driver-registered" &&
        previous &&
        cursor.lineNo - previous.line <= SAME_FAILURE_LINES &&
        Math.abs((at ?? 0) - (previous.at ?? 0)) <= SAME_EVENT_MS
      )
        continue;
      table.get(kind).add(path, cursor.lineNo, at, cursor.text());
    }
    if (specific.length > 0) {
      lastSpecific = cursor.lineNo;
      pending = undefined;
    }
  });
  flush();
  return ok;
}

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const logs = await readCsi(ctx.read, ctx.clock.yearReference, ctx.window);
  if (!logs) return [];
  if (logs.state === "none") return [noPluginLogsFact(logs.containerLogFiles)];
  const findings: FindingDraft[] = [];
  for (const [kind, occ] of logs.table.entries()) {
    if (occ.count > 0) findings.push(signalFinding(kind, occ, logs.x, ctx.window));
  }
  findings.push(pluginsFact(logs.x, logs.files, logs.efsUtilsLog));
  return findings;
}

/** The collector copied other pods' logs but none from a CSI pod: a fact, not an error. */
function noPluginLogsFact(containerLogFiles: number): FindingDraft {
  return draft({
    kind: "csi.no-plugin-logs",
    severity: "info",
    summary: `${containerLogFiles} container logs were collected but none from an EBS or EFS CSI pod`,
    count: 0,
    attributes: { containerLogFiles },
    correlateWith: CORRELATE["csi.no-plugin-logs"],
  });
}

function signalFinding(kind: Kind, occ: Occurrences, x: Extras, window: WindowMs): FindingDraft {
  const driverOf = (pod: string) => x.driversByPod.get(pod) ?? pod;
  let severity = BASE[kind];
  const attributes: FindingDraft["attributes"] = {};
  let note = "";
  if (severity !== "info" && !isRecent(occ, window)) {
    severity = "info";
    attributes.stale = true;
    if (occ.last !== undefined && Number.isFinite(window.end))
      note = `; last seen ${humanDuration(window.end - occ.last)} before the window's end`;
  }
  if (kind === "csi.ebs-device-not-found") {
    attributes.volumes = [...x.volumes];
    attributes.devices = [...x.devices];
  }
  if (kind === "csi.ebs-attach-failed") {
    attributes.causes = [...x.attachCauses].sort();
    attributes.volumes = [...x.volumes];
  }
  if (kind === "csi.efs-mount-timeout") attributes.causes = [...x.efsCauses].sort();
  if (kind === "csi.mount-failed") attributes.causes = [...x.mountCauses].sort();
  if (kind === "csi.imds-error") attributes.kubernetesFallback = x.kubernetesFallback;
  if (kind === "csi.registration-failed") {
    // A later successful registration from the same pod supersedes the failure.
    attributes.drivers = [...x.failedRegistration].map(driverOf);
    if ([...x.failedRegistration].every((p) => (x.registered.get(p) ?? Number.NEGATIVE_INFINITY) >= (occ.last ?? 0))) {
      severity = "info";
      attributes.cleared = true;
      note = "; registration later succeeded";
    }
  }
  if (kind === "csi.driver-registered") attributes.drivers = [...new Set([...x.registered.keys()].map(driverOf))];
  return fromOccurrences(occ, {
    kind,
    severity,
    summary: summarize(kind, occ, x) + note,
    attributes,
    correlateWith: CORRELATE[kind],
  });
}

function pluginsFact(x: Extras, files: number, efsUtilsLog: boolean): FindingDraft {
  const pods = [...x.pods].sort();
  const drivers = [...new Set(x.driversByPod.values())].sort();
  return fact(
    "csi.plugins",
    `CSI logs from ${pods.length} pod${pods.length === 1 ? "" : "s"} (${pods.join(", ") || "efs-utils"})${drivers.length ? `; drivers ${drivers.join(", ")}` : ""}`,
    {
      pods,
      containers: [...x.containers].sort(),
      drivers,
      versions: [...x.versions],
      nodePlugin: pods.some((p) => /-node-/.test(p)),
      controller: pods.some((p) => /-controller-/.test(p)),
      efsUtilsLog,
    },
    [],
    files,
  );
}

export const readCsiLogs = defineTool({
  name: "read_csi_logs",
  title: "EBS / EFS CSI driver logs",
  lane: "host",
  description:
    "Reads the EBS and EFS CSI driver container logs collected on this node (ebs-csi-node / ebs-csi-controller / efs-csi-node pods: ebs-plugin, efs-plugin, node-driver-registrar, csi-attacher…) and the efs-utils mount log if present, and classifies volume failures: EBS device not found (NVMe mapping), EBS attach failures, EFS mount timeouts and TLS tunnel errors, other mount failures, IMDS errors, driver registration failures; plus facts: drivers registered with the kubelet and which CSI pods logged here. " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. A multi-line mount failure counts once; failures that stopped long before the window are info. ` +
    "Next: read_kubelet_journal (MountVolume / Multi-Attach errors, 'not found in the list of registered CSI drivers'), inspect_storage (lsblk devices), read_dmesg (NFS not responding).",
  sources: ["csiLogs", "efsUtilsLog"],
  kinds: KINDS,
  input: {},
  analyze,
});
