import type { Severity } from "../src/domain/severity.ts";
import {
  buildPrefilter,
  journalLineTime,
  klogLevel,
  matchSignals,
  type LogSignal,
} from "../src/toolkit/log-signals.ts";
import { OccurrenceTable, type Occurrences } from "../src/toolkit/occurrences.ts";
import { humanDuration, inWindow, isRecent } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

/** Set on findings whose signal stopped long before the window's end. */
const STALE = attr.flag("Set (true) when the signal stopped long before the window's end (severity lowered to info)");
const CLEARED_BY_REGISTRATION_ATTR = attr.flag("Set (true) when it stopped once the node registered");

const KINDS = {
  "kubelet.network-not-ready": kind(
    "The container runtime network is not ready (NetworkPluginNotReady, cni plugin not initialized, no networks in /etc/cni/net.d); info when it only happened at boot and cleared",
    {
      cleared: attr.flag("Set (true) when it happened only at boot and cleared"),
      stale: STALE,
    },
  ),
  "kubelet.unauthorized": kind(
    "The API server answered Unauthorized / system:anonymous to the kubelet (node identity not mapped); info when registration later succeeded",
    {
      cleared: CLEARED_BY_REGISTRATION_ATTR,
      stale: STALE,
    },
  ),
  "kubelet.node-name-forbidden": kind(
    "The node authorizer refused the kubelet writing a Node whose name differs from its credentials (custom DHCP domain, hostname override)",
    {
      claimedName: attr.text("Node name the kubelet tried to write"),
      credentialName: attr.text("Node name the kubelet's credentials are for"),
      cleared: CLEARED_BY_REGISTRATION_ATTR,
      stale: STALE,
    },
  ),
  "kubelet.apiserver-unreachable": kind(
    "Calls to the cluster endpoint time out or are refused (dial tcp …:443); info for boot-time retries that stopped",
    {
      cleared: CLEARED_BY_REGISTRATION_ATTR,
      stale: STALE,
    },
  ),
  "kubelet.apiserver-url-invalid": kind(
    'The kubelet\'s API server URL is unusable (unsupported protocol scheme, "None" or an empty host): bootstrap wrote a broken endpoint',
    {
      stale: STALE,
    },
  ),
  "kubelet.x509-unknown-authority": kind(
    "TLS to the API server fails: certificate signed by unknown authority (wrong CA in bootstrap)",
    {
      stale: STALE,
    },
  ),
  "kubelet.certificate-expired": kind("x509: certificate has expired or is not yet valid… expired", {
    certificates: attr.texts(
      'Certificates whose announced expiry passed before the window\'s end, "<name> expired <ISO 8601 instant>"',
    ),
    stale: STALE,
  }),
  "kubelet.certificate-not-yet-valid": kind("x509: certificate is not yet valid (usually clock skew)", {
    stale: STALE,
  }),
  "kubelet.certificate-rotation-failed": kind(
    "The kubelet's certificate manager could not get a new certificate signed (CSR not approved, signing failed)",
    {
      stale: STALE,
    },
  ),
  "kubelet.tls-bad-certificate": kind(
    "Clients abort TLS handshakes to the kubelet with 'remote error: tls: bad certificate' (its serving certificate is not accepted)",
    {
      stale: STALE,
    },
  ),
  "kubelet.pleg-unhealthy": kind(
    "PLEG is not healthy; attributes carry the longest relist delay; info once it recovered long ago",
    {
      maxRelistSeconds: attr.seconds('Longest PLEG relist gap reported ("last seen active … ago"), one decimal'),
      stale: STALE,
    },
  ),
  "kubelet.runtime-unavailable": kind(
    "The kubelet cannot talk to containerd (container runtime is down, containerd.sock refused, ContainerRuntimeNotReady)",
    {
      stale: STALE,
    },
  ),
  "kubelet.image-gc-failed": kind("Image garbage collection could not free the required bytes", {
    bytesToFree: attr.bytes("Bytes image GC attempted to free"),
    bytesEligible: attr.bytes("Bytes image GC found eligible to free"),
    stale: STALE,
  }),
  "kubelet.disk-pressure": kind(
    "DiskPressure, eviction reclaiming nodefs/imagefs/ephemeral-storage, or no space left on device",
    {
      stale: STALE,
    },
  ),
  "kubelet.pid-pressure": kind("PIDPressure or fork/exec failures with resource temporarily unavailable", {
    stale: STALE,
  }),
  "kubelet.memory-pressure": kind("Eviction manager reclaiming memory / MemoryPressure", {
    stale: STALE,
  }),
  "kubelet.sandbox-image-pull-failed": kind("The pause (sandbox) image cannot be pulled: failed to get sandbox image", {
    stale: STALE,
  }),
  "kubelet.sandbox-create-failed": kind(
    "Pod sandbox creation fails; attribute `causes` classifies why (cni-ip-assign, ipamd-unreachable, cni-not-initialized, sandbox-image, other)",
    {
      causes: attr.texts(
        "Distinct causes, sorted: cni-ip-assign, ipamd-unreachable, cni-not-initialized, sandbox-image, other",
      ),
      stale: STALE,
    },
  ),
  "kubelet.cni-ip-assign-failed": kind("The CNI could not assign an IP address to a pod sandbox", {
    stale: STALE,
  }),
  "kubelet.image-pull-failed": kind(
    "Workload images fail to pull; attribute `reasons` (auth, throttled, not-found, network, other)",
    {
      reasons: attr.texts("Distinct pull failure reasons, sorted: auth, throttled, not-found, network, other"),
      images: attr.texts("Image references that failed to pull (first 5)"),
      stale: STALE,
    },
  ),
  "kubelet.config-invalid": kind(
    "The kubelet cannot start because of its configuration (failed to run Kubelet, config parse, cgroup driver mismatch)",
    {
      stale: STALE,
    },
  ),
  "kubelet.restarts": kind("systemd restarted the kubelet after it exited with an error (restart counter)", {
    restartCounter: attr.count("systemd's highest restart counter for the kubelet (0 when not logged)"),
    stale: STALE,
  }),
  "kubelet.csi-driver-not-registered": kind("A CSI driver is not registered on this node", {
    drivers: attr.texts("CSI driver names the kubelet could not find"),
    stale: STALE,
  }),
  "kubelet.volume-multi-attach": kind("Multi-Attach error: a volume is still attached to another node", {
    stale: STALE,
  }),
  "kubelet.volume-mount-failed": kind(
    "MountVolume/MountDevice/attach failures; attribute `causes` (device-not-found, nfs-timeout, attach-timeout, other)",
    {
      causes: attr.texts("Distinct causes, sorted: device-not-found, nfs-timeout, attach-timeout, other"),
      stale: STALE,
    },
  ),
  "kubelet.node-not-ready": kind("The node condition went NotReady (count shows flapping)", {
    stale: STALE,
  }),
  "kubelet.evictions": kind("The kubelet evicted pods", {
    stale: STALE,
  }),
  "kubelet.container-oom-killed": kind(
    "A workload container was OOMKilled under its own limit (application-level, info)",
    {
      pods: attr.texts("Pods named in the lines, namespace/name (first 10)"),
    },
  ),
  "kubelet.probe-failures": kind("Liveness/readiness probes failed (application-level, info)", {
    pods: attr.texts("Pods named in the lines, namespace/name (first 10)"),
  }),
  "kubelet.node-registered": kind("The node registered with the API server (fact: when)", {}),
  "kubelet.version": kind("Kubelet version from its startup line (fact)", {
    version: attr.text("kubelet version (kubeletVersion=…)"),
  }),
};
type Kind = keyof typeof KINDS;

const API_NETWORK_ERROR =
  /(i\/o timeout|connection refused|no route to host|no such host|TLS handshake timeout|context deadline exceeded|connection reset by peer)/;
const PULL_CONTEXT =
  /(Failed to pull image|PullImage|ErrImagePull|ImagePullBackOff|pulling image|failed to pull and unpack)/i;
/** What every kubelet start logs before its first relist: not a runtime or PLEG problem. */
const KUBELET_STARTING = /pleg has yet to be successful|container runtime status check may not have completed yet/;
/** Sandbox network setup errors mention gRPC to IPAMD, not the container runtime. */
const CNI_CONTEXT = /(127\.0\.0\.1:50051|aws-cni|failed to setup network|plugin type=|ipamd|failed to assign an IP)/;
const PAUSE_IMAGE = /(failed to get sandbox image|\/pause:|eks\/pause)/;

const SIGNALS: readonly LogSignal<Kind>[] = [
  {
    kind: "kubelet.network-not-ready",
    needles: [
      "NetworkPluginNotReady",
      "cni plugin not initialized",
      "no networks found in /etc/cni/net.d",
      "network plugin is not ready",
    ],
  },
  {
    kind: "kubelet.unauthorized",
    needles: ["Unauthorized", "system:anonymous"],
    test: (l) => !PULL_CONTEXT.test(l) && !PAUSE_IMAGE.test(l) && level(l) !== "I",
  },
  {
    kind: "kubelet.node-name-forbidden",
    needles: ["is not allowed to modify node", "can only access CSINode with the same name", 'is forbidden: node \\"'],
  },
  {
    kind: "kubelet.apiserver-unreachable",
    needles: [
      "i/o timeout",
      "connection refused",
      "no route to host",
      "no such host",
      "TLS handshake timeout",
      "context deadline exceeded",
    ],
    test: (l) =>
      !PULL_CONTEXT.test(l) &&
      !PAUSE_IMAGE.test(l) &&
      !/containerd\.sock|127\.0\.0\.1|localhost|:50051|failed to assign an IP/.test(l) &&
      /(:443|eks\.amazonaws\.com|\/api\/v1|\/apis\/|register node|node status|lease)/.test(l) &&
      API_NETWORK_ERROR.test(l),
  },
  {
    kind: "kubelet.apiserver-url-invalid",
    needles: ["unsupported protocol scheme", "no Host in request URL", '"None/api', 'Post \\"None'],
  },
  { kind: "kubelet.x509-unknown-authority", needles: ["certificate signed by unknown authority"] },
  // Go prints "certificate has expired or is not yet valid: current time X is after|before Y" for
  // both: "is after" means expired, "is before" means not yet valid (a clock behind).
  {
    kind: "kubelet.certificate-expired",
    needles: ["certificate has expired"],
    test: (l) => !/current time \S+ is before/.test(l),
  },
  {
    kind: "kubelet.certificate-not-yet-valid",
    needles: ["not yet valid"],
    test: (l) => /current time \S+ is before/.test(l) || !/has expired or is not yet valid/.test(l),
  },
  {
    kind: "kubelet.certificate-rotation-failed",
    needles: ["certificate request was not signed", "Failed while requesting a signed certificate", "failed to rotate"],
  },
  { kind: "kubelet.tls-bad-certificate", needles: ["remote error: tls: bad certificate", "tls: expired certificate"] },
  { kind: "kubelet.pleg-unhealthy", needles: ["PLEG is not healthy"], test: (l) => !KUBELET_STARTING.test(l) },
  {
    kind: "kubelet.runtime-unavailable",
    needles: [
      "container runtime is down",
      "ContainerRuntimeNotReady",
      "containerd.sock",
      "container runtime status check may not have completed",
      "runtime service failed",
      "code = Unavailable",
    ],
    test: (l) =>
      level(l) !== "I" &&
      !/Probe/.test(l) &&
      !CNI_CONTEXT.test(l) &&
      !KUBELET_STARTING.test(l) &&
      (/(runtime is down|ContainerRuntimeNotReady|runtime status check)/.test(l) ||
        /(connection refused|no such file|Unavailable|deadline exceeded)/.test(l)),
  },
  {
    kind: "kubelet.image-gc-failed",
    needles: [
      "failed to garbage collect required amount of images",
      "Failed to garbage collect required amount of images",
      "ImageGCFailed",
      "Image garbage collection failed",
    ],
  },
  {
    kind: "kubelet.disk-pressure",
    needles: ["DiskPressure", "no space left on device", "ephemeral-storage", "nodefs.available", "imagefs.available"],
    test: (l) =>
      !/Successfully|condition cleared|NodeHasNoDiskPressure|no disk pressure/i.test(l) &&
      (/no space left|DiskPressure/.test(l)
        ? !/"DiskPressure" status="False"|DiskPressure=false/i.test(l)
        : /(attempting to reclaim|threshold|evict)/i.test(l)),
  },
  {
    kind: "kubelet.pid-pressure",
    needles: ["PIDPressure", "resource temporarily unavailable", "pthread_create failed", "fork/exec"],
    test: (l) =>
      !/NodeHasSufficientPID/.test(l) &&
      (/PIDPressure/.test(l)
        ? !/status="False"/.test(l)
        : /resource temporarily unavailable|pthread_create failed/.test(l)),
  },
  {
    kind: "kubelet.memory-pressure",
    needles: ["MemoryPressure", "memory.available"],
    test: (l) =>
      !/NodeHasSufficientMemory|status="False"/.test(l) &&
      /(attempting to reclaim|threshold|evict|MemoryPressure)/i.test(l) &&
      level(l) !== undefined,
  },
  {
    kind: "kubelet.sandbox-image-pull-failed",
    needles: ["failed to get sandbox image", "/pause:", "eks/pause"],
    test: (l) =>
      /failed to get sandbox image/.test(l) ||
      (PULL_CONTEXT.test(l) && /(fail|error|denied|Unauthorized|not found)/i.test(l)),
  },
  {
    kind: "kubelet.sandbox-create-failed",
    needles: [
      "Failed to create pod sandbox",
      "CreatePodSandbox for pod failed",
      "RunPodSandbox from runtime service failed",
      "FailedCreatePodSandBox",
    ],
  },
  { kind: "kubelet.cni-ip-assign-failed", needles: ["failed to assign an IP address to container"] },
  {
    kind: "kubelet.image-pull-failed",
    needles: [
      "Failed to pull image",
      "PullImage from image service failed",
      "ErrImagePull",
      "ImagePullBackOff",
      "Back-off pulling image",
    ],
    test: (l) => !PAUSE_IMAGE.test(l),
  },
  {
    kind: "kubelet.config-invalid",
    needles: [
      "failed to run Kubelet",
      "failed to load Kubelet config file",
      "failed to load kubelet config",
      "misconfiguration: kubelet cgroup driver",
      "failed to validate kubelet",
      "failed to parse kubelet flag",
      "unknown flag:",
      "failed to construct kubelet dependencies",
    ],
  },
  {
    kind: "kubelet.restarts",
    needles: [
      "Main process exited, code=exited, status=",
      "Scheduled restart job, restart counter is at",
      "Failed with result 'exit-code'",
    ],
    test: (l) => !/status=0\/SUCCESS/.test(l),
  },
  { kind: "kubelet.csi-driver-not-registered", needles: ["not found in the list of registered CSI drivers"] },
  { kind: "kubelet.volume-multi-attach", needles: ["Multi-Attach error"] },
  {
    kind: "kubelet.volume-mount-failed",
    needles: [
      "MountVolume.SetUp failed",
      "MountVolume.MountDevice failed",
      "Unable to attach or mount volumes",
      "AttachVolume.Attach failed",
      "MountVolume.WaitForAttach failed",
    ],
  },
  { kind: "kubelet.node-not-ready", needles: ["Node became not ready"] },
  {
    kind: "kubelet.evictions",
    needles: ["Evicting pod", "eviction manager: pods", "Eviction manager: pods", "evicted pod"],
    test: (l) => !/no pods? (to|were) evict/i.test(l),
  },
  { kind: "kubelet.container-oom-killed", needles: ["OOMKilled"] },
  { kind: "kubelet.probe-failures", needles: ["Probe failed"] },
  { kind: "kubelet.node-registered", needles: ["Successfully registered node"] },
  { kind: "kubelet.version", needles: ["Kubelet version"] },
];
/** The certificate manager says when each certificate expires: checked against the window's end. */
const EXPIRATION =
  /(kubernetes\.io\/[a-z-]+|kube-apiserver-client-kubelet|kubelet-serving)[^"]*?: Certificate expiration is (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) \+0000 UTC/;
const PREFILTER = buildPrefilter(SIGNALS, ["Certificate expiration is"]);

function level(line: string): string | undefined {
  return klogLevel(line);
}

/** Kinds that only describe the workload or a fact: never more than info. */
const INFO_ONLY = new Set<Kind>([
  "kubelet.container-oom-killed",
  "kubelet.probe-failures",
  "kubelet.node-registered",
  "kubelet.version",
]);
/** Errors the kubelet retries until the node registers: cleared once it did. */
const CLEARED_BY_REGISTRATION = new Set<Kind>([
  "kubelet.unauthorized",
  "kubelet.apiserver-unreachable",
  "kubelet.node-name-forbidden",
]);
const BOOT_GRACE_MS = 15 * 60_000;

const BASE: Record<Kind, Severity> = {
  "kubelet.network-not-ready": "high",
  "kubelet.unauthorized": "high",
  "kubelet.node-name-forbidden": "high",
  "kubelet.apiserver-unreachable": "high",
  "kubelet.apiserver-url-invalid": "high",
  "kubelet.x509-unknown-authority": "high",
  "kubelet.certificate-expired": "high",
  "kubelet.certificate-not-yet-valid": "high",
  "kubelet.certificate-rotation-failed": "medium",
  "kubelet.tls-bad-certificate": "medium",
  "kubelet.pleg-unhealthy": "high",
  "kubelet.runtime-unavailable": "high",
  "kubelet.image-gc-failed": "high",
  "kubelet.disk-pressure": "high",
  "kubelet.pid-pressure": "high",
  "kubelet.memory-pressure": "medium",
  "kubelet.sandbox-image-pull-failed": "critical",
  "kubelet.sandbox-create-failed": "high",
  "kubelet.cni-ip-assign-failed": "high",
  "kubelet.image-pull-failed": "medium",
  "kubelet.config-invalid": "critical",
  "kubelet.restarts": "medium",
  "kubelet.csi-driver-not-registered": "high",
  "kubelet.volume-multi-attach": "high",
  "kubelet.volume-mount-failed": "medium",
  "kubelet.node-not-ready": "medium",
  "kubelet.evictions": "medium",
  "kubelet.container-oom-killed": "info",
  "kubelet.probe-failures": "info",
  "kubelet.node-registered": "info",
  "kubelet.version": "info",
};

const CORRELATE: Partial<Record<Kind, string[]>> = {
  "kubelet.network-not-ready": ["inspect_ipamd_state", "read_ipamd_log", "read_cni_plugin_log"],
  "kubelet.unauthorized": ["read_kubelet_config"],
  "kubelet.node-name-forbidden": ["read_kubelet_config"],
  "kubelet.apiserver-unreachable": ["read_kubelet_config", "check_resolv_conf"],
  "kubelet.apiserver-url-invalid": ["read_kubelet_config", "read_bootstrap_logs"],
  "kubelet.x509-unknown-authority": ["read_kubelet_config"],
  "kubelet.certificate-expired": ["read_kubelet_config"],
  "kubelet.certificate-not-yet-valid": ["read_dmesg", "read_system_messages"],
  "kubelet.certificate-rotation-failed": ["read_kubelet_config"],
  "kubelet.pleg-unhealthy": ["read_containerd_log", "read_dmesg"],
  "kubelet.runtime-unavailable": ["read_containerd_log"],
  "kubelet.image-gc-failed": ["read_containerd_log"],
  "kubelet.disk-pressure": ["read_containerd_log"],
  "kubelet.pid-pressure": ["read_sysctls"],
  "kubelet.memory-pressure": ["read_dmesg"],
  "kubelet.sandbox-image-pull-failed": ["read_containerd_log"],
  "kubelet.sandbox-create-failed": ["read_cni_plugin_log", "read_ipamd_log", "read_containerd_log"],
  "kubelet.cni-ip-assign-failed": ["inspect_ipamd_state", "read_ipamd_log"],
  "kubelet.image-pull-failed": ["read_containerd_log"],
  "kubelet.config-invalid": ["read_kubelet_config"],
  "kubelet.restarts": ["read_kubelet_config"],
  "kubelet.node-not-ready": ["read_containerd_log", "inspect_ipamd_state"],
};

interface Extras {
  maxPlegSeconds: number;
  restartCounter: number;
  sandboxCauses: Set<string>;
  pullReasons: Set<string>;
  mountCauses: Set<string>;
  images: Set<string>;
  pods: Set<string>;
  drivers: Set<string>;
  forbidden: { claimed?: string; allowed?: string };
  registeredAt: number | undefined;
  version: string | undefined;
  expiredCertificates: string[];
  gcAttempted?: number;
  gcFound?: number;
}

function sandboxCause(l: string): string {
  if (/failed to assign an IP address/.test(l)) return "cni-ip-assign";
  if (/127\.0\.0\.1:50051|ipamd/.test(l)) return "ipamd-unreachable";
  if (/cni plugin not initialized|no networks found|NetworkPluginNotReady/.test(l)) return "cni-not-initialized";
  if (PAUSE_IMAGE.test(l)) return "sandbox-image";
  return "other";
}

function pullReason(l: string): string {
  if (/toomanyrequests|429|rate limit/i.test(l)) return "throttled";
  if (/no basic auth credentials|401|403|Unauthorized|pull access denied|authorization failed|denied/i.test(l))
    return "auth";
  if (/not found|manifest unknown|NotFound/i.test(l)) return "not-found";
  if (/i\/o timeout|dial tcp|TLS handshake|connection refused|no such host|deadline exceeded/i.test(l))
    return "network";
  return "other";
}

function mountCause(l: string): string {
  if (/Failed to find device path|no device path|nvme/i.test(l)) return "device-not-found";
  if (/Connection timed out|mount\.nfs|NFS server|efs/i.test(l)) return "nfs-timeout";
  if (/timed out waiting for the condition|AttachVolume/i.test(l)) return "attach-timeout";
  return "other";
}

function collectExtras(kind: Kind, l: string, at: number | undefined, x: Extras): void {
  switch (kind) {
    case "kubelet.pleg-unhealthy": {
      const m = /last seen active ((?:\d+h)?(?:\d+m)?[\d.]+s) ago/.exec(l);
      if (m) x.maxPlegSeconds = Math.max(x.maxPlegSeconds, goDuration(m[1] as string));
      break;
    }
    case "kubelet.restarts": {
      const m = /restart counter is at (\d+)/.exec(l);
      if (m) x.restartCounter = Math.max(x.restartCounter, Number(m[1]));
      break;
    }
    case "kubelet.sandbox-create-failed":
      x.sandboxCauses.add(sandboxCause(l));
      break;
    case "kubelet.image-pull-failed": {
      x.pullReasons.add(pullReason(l));
      const image = /image="([^"]+)"|pull image \\?"([^"\\]+)/.exec(l);
      if (image && x.images.size < 5) x.images.add((image[1] ?? image[2]) as string);
      break;
    }
    case "kubelet.volume-mount-failed":
      x.mountCauses.add(mountCause(l));
      break;
    case "kubelet.container-oom-killed":
    case "kubelet.probe-failures": {
      const pod = /pod="([^"]+)"/.exec(l);
      if (pod && x.pods.size < 10) x.pods.add(pod[1] as string);
      break;
    }
    case "kubelet.csi-driver-not-registered": {
      const d = /driver name ([a-z0-9.-]+) not found/.exec(l);
      if (d) x.drivers.add(d[1] as string);
      break;
    }
    case "kubelet.node-name-forbidden": {
      const m = /nodes \\?"([^"\\]+)\\?" is forbidden: node \\?"([^"\\]+)\\?" is not allowed/.exec(l);
      if (m) x.forbidden = { claimed: m[1], allowed: m[2] };
      break;
    }
    case "kubelet.node-registered":
      if (at !== undefined) x.registeredAt = Math.max(x.registeredAt ?? 0, at);
      break;
    case "kubelet.version": {
      const v = /kubeletVersion="([^"]+)"/.exec(l);
      if (v) x.version = v[1];
      break;
    }
    case "kubelet.image-gc-failed": {
      const m = /Attempted to free (\d+) bytes, but only found (\d+) bytes/.exec(l);
      if (m) {
        x.gcAttempted = Number(m[1]);
        x.gcFound = Number(m[2]);
      }
      break;
    }
    default:
      break;
  }
}

/** Go duration like 3m5.1s or 1h2m3s → seconds. */
function goDuration(text: string): number {
  let seconds = 0;
  for (const [, value, unit] of text.matchAll(/([\d.]+)(h|m|s)/g))
    seconds += Number(value) * (unit === "h" ? 3600 : unit === "m" ? 60 : 1);
  return seconds;
}

function summarize(kind: Kind, occ: Occurrences, x: Extras): string {
  const n = `${occ.count} time${occ.count === 1 ? "" : "s"}`;
  switch (kind) {
    case "kubelet.pleg-unhealthy":
      return `PLEG was unhealthy ${n} (longest relist gap ${Math.round(x.maxPlegSeconds)}s)`;
    case "kubelet.node-name-forbidden":
      return x.forbidden.claimed
        ? `The API server refused node "${x.forbidden.claimed}": the kubelet's credentials are for "${x.forbidden.allowed}" (${n})`
        : `The node authorizer refused the kubelet's node name (${n})`;
    case "kubelet.image-gc-failed":
      return x.gcAttempted !== undefined
        ? `Image GC needed ${x.gcAttempted} bytes but found only ${x.gcFound} eligible (${n})`
        : `Image garbage collection failed ${n}`;
    case "kubelet.restarts":
      return `systemd restarted the kubelet after failures (${n}${x.restartCounter ? `, restart counter ${x.restartCounter}` : ""})`;
    case "kubelet.version":
      return `Kubelet ${x.version ?? "version line found"}`;
    case "kubelet.node-registered":
      return `The node registered with the API server`;
    default:
      return `${KINDS[kind].description.split(";")[0]} (${n})`;
  }
}

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const [path] = await ctx.read.paths("kubeletJournal");
  if (!path) return [];
  const table = new OccurrenceTable<Kind>();
  const extras: Extras = {
    maxPlegSeconds: 0,
    restartCounter: 0,
    sandboxCauses: new Set(),
    pullReasons: new Set(),
    mountCauses: new Set(),
    images: new Set(),
    pods: new Set(),
    drivers: new Set(),
    forbidden: {},
    registeredAt: undefined,
    version: undefined,
    expiredCertificates: [],
  };
  const yearRef = ctx.clock.yearReference;
  const expirations = new Map<string, { at: number; line: number; text: string }>();
  await ctx.read.scanMatchingAt(path, PREFILTER, (cursor) => {
    const line = cursor.chunk.slice(cursor.start, cursor.end);
    const expiry = EXPIRATION.exec(line);
    if (expiry) {
      const at = Date.parse(`${(expiry[2] as string).replace(" ", "T")}Z`);
      expirations.set(expiry[1] as string, { at, line: cursor.lineNo, text: cursor.text() });
    }
    const kinds = matchSignals(line, SIGNALS);
    if (kinds.length === 0) return;
    const at = journalLineTime(line, yearRef);
    if (!inWindow(at, ctx.window)) return;
    const text = cursor.text();
    for (const kind of kinds) {
      table.get(kind).add(path, cursor.lineNo, at, text);
      collectExtras(kind, line, at, extras);
    }
  });

  // A certificate whose announced expiry passed before the window's end has expired, whether or
  // not anything on this node printed "x509: certificate has expired" (clients do, the kubelet not).
  for (const [certificate, e] of expirations) {
    if (!Number.isFinite(e.at) || e.at > ctx.window.end || !(ctx.window.end - e.at < 400 * 86_400_000)) continue;
    const occ = table.get("kubelet.certificate-expired");
    occ.add(path, e.line, e.at, e.text);
    extras.expiredCertificates.push(`${certificate} expired ${new Date(e.at).toISOString()}`);
  }
  const boot = ctx.clock.bootTime;
  const findings: FindingDraft[] = [];
  for (const [kind, occ] of table.entries()) {
    let severity: Severity = BASE[kind];
    const notes: string[] = [];
    const attributes: FindingDraft["attributes"] = {};
    if (INFO_ONLY.has(kind)) severity = "info";
    else if (
      CLEARED_BY_REGISTRATION.has(kind) &&
      extras.registeredAt !== undefined &&
      occ.last !== undefined &&
      extras.registeredAt >= occ.last
    ) {
      severity = "info";
      attributes.cleared = true;
      notes.push("stopped once the node registered");
    } else if (
      kind === "kubelet.network-not-ready" &&
      boot !== undefined &&
      occ.last !== undefined &&
      occ.last <= boot + BOOT_GRACE_MS &&
      ctx.window.end - occ.last > 10 * 60_000
    ) {
      severity = "info";
      attributes.cleared = true;
      notes.push(`boot-time only, cleared ${humanDuration(occ.last - boot)} after boot`);
    } else if (!isRecent(occ, ctx.window)) {
      severity = "info";
      attributes.stale = true;
      if (occ.last !== undefined)
        notes.push(`last seen ${humanDuration(ctx.window.end - occ.last)} before the window's end`);
    } else if (kind === "kubelet.restarts" && occ.count < 3) {
      severity = "low";
    } else if (kind === "kubelet.node-not-ready" && occ.count < 2) {
      severity = "low";
    }
    if (kind === "kubelet.pleg-unhealthy") attributes.maxRelistSeconds = Math.round(extras.maxPlegSeconds * 10) / 10;
    if (kind === "kubelet.restarts") attributes.restartCounter = extras.restartCounter;
    if (kind === "kubelet.sandbox-create-failed") attributes.causes = [...extras.sandboxCauses].sort();
    if (kind === "kubelet.image-pull-failed") {
      attributes.reasons = [...extras.pullReasons].sort();
      attributes.images = [...extras.images];
    }
    if (kind === "kubelet.volume-mount-failed") attributes.causes = [...extras.mountCauses].sort();
    if (kind === "kubelet.container-oom-killed" || kind === "kubelet.probe-failures")
      attributes.pods = [...extras.pods];
    if (kind === "kubelet.csi-driver-not-registered") attributes.drivers = [...extras.drivers];
    if (kind === "kubelet.node-name-forbidden") {
      if (extras.forbidden.claimed) attributes.claimedName = extras.forbidden.claimed;
      if (extras.forbidden.allowed) attributes.credentialName = extras.forbidden.allowed;
    }
    if (kind === "kubelet.version" && extras.version) attributes.version = extras.version;
    if (kind === "kubelet.certificate-expired" && extras.expiredCertificates.length)
      attributes.certificates = extras.expiredCertificates;
    if (kind === "kubelet.image-gc-failed" && extras.gcAttempted !== undefined) {
      attributes.bytesToFree = extras.gcAttempted;
      attributes.bytesEligible = extras.gcFound ?? 0;
    }
    const summary = summarize(kind, occ, extras) + (notes.length ? `; ${notes.join("; ")}` : "");
    const draft: FindingDraft = {
      kind,
      severity,
      summary,
      evidence: occ.evidence,
      count: occ.count,
      attributes,
      correlateWith: CORRELATE[kind] ?? [],
    };
    if (occ.firstSeen) draft.firstSeen = occ.firstSeen;
    if (occ.lastSeen) draft.lastSeen = occ.lastSeen;
    findings.push(draft);
  }
  return findings;
}

export const readKubeletJournal = defineTool({
  name: "read_kubelet_journal",
  title: "Kubelet journal",
  lane: "runtime",
  description:
    "Reads the kubelet's journal (kubelet/kubelet.log, journalctl -u kubelet) and classifies what the kubelet reported: network not ready, registration refused (Unauthorized, node-name mismatch), API server unreachable, certificate errors, PLEG, runtime down, image GC and disk/PID/memory pressure, sandbox and image pull failures, config errors and restart loops, CSI and volume errors. " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. Boot-time noise that cleared and errors that stopped long before the window are info. ` +
    "Next: read_containerd_log for runtime errors, inspect_ipamd_state / read_cni_plugin_log for sandbox and network failures, read_kubelet_config for identity and config.",
  sources: ["kubeletJournal"],
  kinds: KINDS,
  input: {},
  analyze,
});
