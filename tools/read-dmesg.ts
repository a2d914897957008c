import type { Severity } from "../src/domain/severity.ts";
import { iso, parseDmesgCtime, parseDmesgRelative, parseIsoTime } from "../src/evidence/clock.ts";
import type { ArtifactName } from "../src/evidence/layout.ts";
import { buildPrefilter, matchSignals, type LogSignal } from "../src/toolkit/log-signals.ts";
import { OccurrenceTable, type Occurrences } from "../src/toolkit/occurrences.ts";
import { humanDuration, inWindow, isRecent } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";
import { z } from "zod";

/** Set by draftFor on every kind but kernel.boot when it applies. */
const stale = attr.flag("True when the signal stopped well before the window's end (severity lowered to info)");
const timesUnknown = attr.flag("True when the kernel log's line times could not be turned into instants");

const KINDS = {
  "kernel.oom-kill-system": kind(
    "The node itself ran out of memory (global OOM, CONSTRAINT_NONE) or the OOM killer hit a system process (kubelet, containerd, systemd-*, aws-k8s-agent …); attributes `victims`, `systemVictims`; medium when a global OOM only killed pod processes",
    {
      victims: attr.texts("Killed processes as `comm(pid)`, at most 10"),
      systemVictims: attr.texts(
        "Killed system processes (kubelet, containerd, systemd-* …) by command name, at most 10",
      ),
      systemProcessKilled: attr.flag("True when the OOM killer killed at least one system process"),
      globalOom: attr.flag("True when at least one kill was a node-wide (global, not memcg) OOM"),
      stale,
      timesUnknown,
    },
  ),
  "kernel.oom-kill-workload": kind(
    "A container hit its own memory limit (memcg OOM inside kubepods): the workload's own fault, not the node's (info)",
    {
      victims: attr.texts("Killed container processes by command name, at most 10"),
      podUids: attr.texts("UIDs of the pods whose memory cgroup hit its limit, at most 20"),
      timesUnknown,
    },
  ),
  "kernel.conntrack-table-full": kind("nf_conntrack: table full, dropping packet: new connections are dropped", {
    stale,
    timesUnknown,
  }),
  "kernel.soft-lockup": kind("BUG: soft lockup - a CPU was stuck in the kernel (attribute `maxStuckSeconds`)", {
    maxStuckSeconds: attr.seconds("Longest time a CPU was reported stuck in the kernel; 0 when no line said"),
    processes: attr.texts("Processes running on the stuck CPUs, at most 10"),
    stale,
    timesUnknown,
  }),
  "kernel.hung-task": kind("Tasks blocked for more than 120 seconds (hung in uninterruptible sleep, usually I/O)", {
    tasks: attr.texts("Names of the hung tasks, at most 10"),
    stale,
    timesUnknown,
  }),
  "kernel.rcu-stall": kind("RCU detected stalls on CPUs/tasks", { stale, timesUnknown }),
  "kernel.fs-errors": kind(
    "Filesystem or block I/O errors (EXT4-fs error, XFS corruption or shutdown, Buffer I/O error, I/O error on dev …); attribute `devices`, `readOnly` when a filesystem was remounted read-only",
    {
      devices: attr.texts("Block devices named in the error lines (nvme1n1, xvda1, dm-0 …), at most 10"),
      readOnly: attr.flag("True when a filesystem was remounted read-only"),
      stale,
      timesUnknown,
    },
  ),
  "kernel.nvme-errors": kind("NVMe controller timeouts, aborts and resets (EBS and instance-store volumes)", {
    devices: attr.texts("NVMe controllers or block devices named in the error lines (nvme1, nvme1n1 …), at most 10"),
    stale,
    timesUnknown,
  }),
  "kernel.ena-reset": kind(
    "The ENA network driver reset the device (TX hang, keep-alive watchdog, NETDEV WATCHDOG): the node's network dropped briefly",
    {
      interfaces: attr.texts("Network interfaces named in the reset lines (eth0, ens5 …), at most 8"),
      stale,
      timesUnknown,
    },
  ),
  "kernel.fragmentation-needed": kind(
    "Fragmentation-needed / packet-too-big drops in the kernel log (MTU mismatch on a path)",
    { stale, timesUnknown },
  ),
  "kernel.time-jump": kind(
    "The kernel distrusts or jumped its clock (clocksource marked unstable, time jumped): evidence for clock skew; info when only at boot",
    {
      bootOnly: attr.flag("True when every clock jump was within 15 minutes of boot"),
      stale,
      timesUnknown,
    },
  ),
  "kernel.boot": kind("What the kernel log covers (fact): which file, timestamp style, boot time, kernel version", {
    source: attr.text("Path of the kernel log file read"),
    timestamps: z
      .enum(["ctime", "relative", "relative-without-boot-time"])
      .describe(
        "Timestamp style: ctime (wall-clock), relative (seconds since boot, placed by the boot time) or relative-without-boot-time",
      ),
    timesKnown: attr.flag("True when at least one line's time could be turned into an instant"),
    bootTime: attr.instant("When the node booted"),
    coversFrom: attr.instant("Time of the first line in the kernel log (the ring buffer may have wrapped since boot)"),
    kernelVersion: attr.text("Kernel release from the `Linux version` line"),
    binaryLines: attr.count("Lines skipped because they hold NUL bytes"),
  }),
};
type Kind = keyof typeof KINDS;

const CORRELATE: Partial<Record<Kind, string[]>> = {
  "kernel.oom-kill-system": ["read_kubelet_config", "read_kubelet_journal", "read_containerd_log"],
  "kernel.conntrack-table-full": ["inspect_conntrack", "read_sysctls"],
  "kernel.soft-lockup": ["read_kubelet_journal"],
  "kernel.hung-task": ["read_kubelet_journal"],
  "kernel.rcu-stall": ["read_kubelet_journal"],
  "kernel.fs-errors": ["read_kubelet_journal", "read_containerd_log"],
  "kernel.nvme-errors": ["read_kubelet_journal"],
  "kernel.ena-reset": ["read_ipamd_log"],
  "kernel.fragmentation-needed": ["read_sysctls", "inspect_ipamd_state"],
  "kernel.time-jump": ["read_kubelet_journal"],
};

type Simple = Exclude<Kind, "kernel.oom-kill-system" | "kernel.oom-kill-workload" | "kernel.boot">;

const FS_ERROR =
  /EXT4-fs error|EXT4-fs \([^)]+\): (?:Remounting filesystem read-only|.*(?:error|corrupt|aborted journal))|XFS \([^)]+\): .*(?:[Cc]orrupt|error|shut ?down|Shutting down)|Buffer I\/O error|I\/O error,? (?:on )?dev|blk_update_request: .*error|critical medium error|JBD2: .*(?:error|Detected IO errors)|Remounting filesystem read-only/;
const NVME_ERROR =
  /nvme\d*:? .*(?:I\/O \d+ QID \d+ timeout|controller is down|resetting controller|reset controller|Abort status|aborting|Removing after probe failure|Device not ready|frozen state error|failed to set APST)/;
const ENA_RESET =
  /Trigger reset|[Rr]eset reason|Device reset|TX hasn't completed|wasn't completed on time|Keep alive watchdog timeout|Missed keep alive|NETDEV WATCHDOG|[Ll]ink is [Dd]own/;

const SIGNALS: readonly LogSignal<Simple>[] = [
  { kind: "kernel.conntrack-table-full", needles: ["table full, dropping packet"] },
  { kind: "kernel.soft-lockup", needles: ["soft lockup"], test: (l) => /BUG: soft lockup|soft lockup - CPU/.test(l) },
  { kind: "kernel.hung-task", needles: ["blocked for more than"] },
  { kind: "kernel.rcu-stall", needles: ["detected stall", "self-detected stall"] },
  {
    kind: "kernel.fs-errors",
    needles: [
      "EXT4-fs",
      "XFS (",
      "Buffer I/O error",
      "I/O error",
      "blk_update_request",
      "critical medium error",
      "JBD2",
      "Remounting filesystem read-only",
    ],
    test: (l) => FS_ERROR.test(l),
  },
  { kind: "kernel.nvme-errors", needles: ["nvme"], test: (l) => NVME_ERROR.test(l) && !/Shutdown timeout set/.test(l) },
  {
    kind: "kernel.ena-reset",
    needles: ["ena 0000:", "ena: ", "(ena)", "NETDEV WATCHDOG"],
    test: (l) => ENA_RESET.test(l),
  },
  {
    kind: "kernel.fragmentation-needed",
    needles: ["fragmentation needed", "frag needed", "Fragmentation needed", "packet too big", "Packet too big"],
  },
  {
    kind: "kernel.time-jump",
    needles: [
      "Marking clocksource",
      "clocksource watchdog",
      "timekeeping watchdog",
      "Time jumped",
      "time jumped",
      "Time has been changed",
      "System clock wrong",
      "Marking TSC unstable",
    ],
  },
];
const OOM_NEEDLES = ["invoked oom-killer", "oom-kill:constraint=", "Killed process", "Kill process", "Task in "];
const PREFILTER = buildPrefilter(SIGNALS, [...OOM_NEEDLES, "Linux version "]);

const BASE: Record<Simple, Severity> = {
  "kernel.conntrack-table-full": "high",
  "kernel.soft-lockup": "high",
  "kernel.hung-task": "high",
  "kernel.rcu-stall": "high",
  "kernel.fs-errors": "high",
  "kernel.nvme-errors": "high",
  "kernel.ena-reset": "medium",
  "kernel.fragmentation-needed": "medium",
  "kernel.time-jump": "medium",
};

/** Processes whose death takes the node (or its networking) down with it; comm names are cut at 15 characters. */
const SYSTEM_PROCESS =
  /^(?:kubelet|containerd|containerd-shim.*|dockerd|docker|systemd.*|journald|sshd|chronyd|aws-k8s-agent|aws-node|aws-network-pol.*|amazon-ssm-agen.*|ssm-agent-worke.*|kube-proxy|auditd|dbus-daemon|dbus-broker.*|rsyslogd|NetworkManager|dhclient|agetty|crond|nodeadm|eks-pod-identit.*|sandbox-image.*)$/;
const BOOT_GRACE_MS = 15 * 60_000;

/** The instant of a dmesg line in any of the spellings the collector and people produce. */
function dmesgTime(line: string, bootTime: number | undefined): number | undefined {
  let s = line;
  if (s.charCodeAt(0) === 60) {
    // `<3>[  12.3]` raw printk level
    const j = s.indexOf(">");
    if (j > 0 && j < 6) s = s.slice(j + 1);
  } else if (/^[a-z]+ *:[a-z]+ *: /.test(s)) s = s.replace(/^[a-z]+ *:[a-z]+ *: /, ""); // dmesg -x
  if (s.charCodeAt(0) === 91) {
    const c = s.charCodeAt(1);
    return c === 32 || (c >= 48 && c <= 57) ? parseDmesgRelative(s, bootTime) : parseDmesgCtime(s);
  }
  return /^\d{4}-\d{2}-\d{2}T/.test(s) ? parseIsoTime(s.slice(0, 40)) : undefined;
}

interface OomEvent {
  scope: "global" | "memcg";
  victim: string;
  pid: string;
  memcg: string | undefined;
  system: boolean;
}

interface OomState {
  constraint: string | undefined;
  memcg: string | undefined;
  taskMemcg: string | undefined;
  taskIn: string | undefined;
}

interface Extras {
  maxStuckSeconds: number;
  lockedProcesses: Set<string>;
  hungTasks: Set<string>;
  devices: Set<string>;
  readOnly: boolean;
  interfaces: Set<string>;
  systemVictims: string[];
  victims: string[];
  workloadVictims: string[];
  podUids: Set<string>;
  globalEvents: number;
  systemEvents: number;
  kernelVersion: string | undefined;
}

function addUnique(list: string[], value: string, cap = 10): void {
  if (!list.includes(value) && list.length < cap) list.push(value);
}

function collect(kind: Simple, l: string, x: Extras): void {
  switch (kind) {
    case "kernel.soft-lockup": {
      const m = /stuck for (\d+)s!?\s*\[([^\]]+)\]/.exec(l);
      if (m) {
        x.maxStuckSeconds = Math.max(x.maxStuckSeconds, Number(m[1]));
        if (x.lockedProcesses.size < 10) x.lockedProcesses.add((m[2] as string).replace(/:\d+$/, ""));
      }
      break;
    }
    case "kernel.hung-task": {
      const m = /task (\S+?):(\d+) blocked/.exec(l);
      if (m && x.hungTasks.size < 10) x.hungTasks.add(m[1] as string);
      break;
    }
    case "kernel.fs-errors":
    case "kernel.nvme-errors": {
      const m =
        /\((?:device )?(nvme\d+n\d+(?:p\d+)?|xvd[a-z]+\d*|sd[a-z]+\d*|dm-\d+)\)|dev:? (nvme\d+n\d+(?:p\d+)?|xvd[a-z]+\d*|sd[a-z]+\d*|dm-\d+)|(nvme\d+)(?::| )/.exec(
          l,
        );
      if (m && x.devices.size < 10) x.devices.add((m[1] ?? m[2] ?? m[3]) as string);
      if (/read-only/.test(l)) x.readOnly = true;
      break;
    }
    case "kernel.ena-reset": {
      const m = /ena \S+ (eth\d+|ens\d+)|NETDEV WATCHDOG: (\S+)/.exec(l);
      if (m && x.interfaces.size < 8) x.interfaces.add((m[1] ?? m[2]) as string);
      break;
    }
    default:
      break;
  }
}

/** Reads the OOM killer's multi-line report one line at a time; returns an event on the "Killed process" line. */
function oomStep(l: string, state: OomState): OomEvent | undefined {
  if (l.includes("oom-kill:constraint=")) {
    state.constraint = /constraint=(\w+)/.exec(l)?.[1];
    state.memcg = /oom_memcg=([^,\s]+)/.exec(l)?.[1];
    state.taskMemcg = /task_memcg=([^,\s]+)/.exec(l)?.[1];
    return undefined;
  }
  if (l.includes("Task in ")) {
    state.taskIn = /limit of (\S+)/.exec(l)?.[1] ?? /Task in (\S+)/.exec(l)?.[1];
    return undefined;
  }
  if (l.includes("invoked oom-killer")) {
    state.constraint = undefined;
    state.memcg = undefined;
    state.taskMemcg = undefined;
    state.taskIn = undefined;
    return undefined;
  }
  const m = /(Memory cgroup out of memory|Out of memory)(?: \([^)]*\))?: Kill(?:ed)? process (\d+) \(([^)]*)\)/.exec(l);
  if (!m) return undefined;
  const memcgScope = m[1] === "Memory cgroup out of memory" || state.constraint === "CONSTRAINT_MEMCG";
  const memcg = memcgScope ? (state.memcg ?? state.taskIn ?? state.taskMemcg) : state.taskMemcg;
  const victim = m[3] as string;
  const inPods = memcg !== undefined && memcg.includes("kubepods");
  const system =
    memcg !== undefined
      ? !inPods && (SYSTEM_PROCESS.test(victim) || /system\.slice|runtime\.slice/.test(memcg))
      : SYSTEM_PROCESS.test(victim);
  const event: OomEvent = { scope: memcgScope ? "memcg" : "global", victim, pid: m[2] as string, memcg, system };
  state.constraint = undefined;
  state.memcg = undefined;
  state.taskMemcg = undefined;
  state.taskIn = undefined;
  return event;
}

function podUid(memcg: string | undefined): string | undefined {
  const m = memcg ? /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})/.exec(memcg) : null;
  return m ? (m[1] as string).replace(/_/g, "-") : undefined;
}

const CANDIDATES: ArtifactName[] = ["dmesgHuman", "dmesg", "dmesgBoot"];

async function chooseSource(ctx: AnalyzerContext): Promise<{ path: string; name: ArtifactName } | undefined> {
  for (const name of CANDIDATES) {
    const [path] = await ctx.read.paths(name);
    if (!path) continue;
    const size = await ctx.read.size(path);
    if (size === 0) {
      ctx.read.gap(path, "file is empty");
      continue;
    }
    return { path, name };
  }
  return undefined;
}

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const source = await chooseSource(ctx);
  if (!source) return [];
  const { path } = source;
  const boot = ctx.clock.bootTime;
  const table = new OccurrenceTable<Kind>();
  const x: Extras = {
    maxStuckSeconds: 0,
    lockedProcesses: new Set(),
    hungTasks: new Set(),
    devices: new Set(),
    readOnly: false,
    interfaces: new Set(),
    systemVictims: [],
    victims: [],
    workloadVictims: [],
    podUids: new Set(),
    globalEvents: 0,
    systemEvents: 0,
    kernelVersion: undefined,
  };
  const oom: OomState = { constraint: undefined, memcg: undefined, taskMemcg: undefined, taskIn: undefined };
  let timed = 0;
  let untimed = 0;
  let firstAt: number | undefined;
  let binary = 0;

  // The first line says where the ring buffer starts (it may have wrapped since boot).
  const firstOk = await ctx.read.scanAt(path, (cursor) => {
    const line = cursor.chunk.slice(cursor.start, cursor.end);
    if (line.trim() === "") return true;
    firstAt = dmesgTime(line, boot);
    return false;
  });
  if (!firstOk) return [];

  const scanned = await ctx.read.scanMatchingAt(path, PREFILTER, (cursor) => {
    const line = cursor.chunk.slice(cursor.start, cursor.end);
    if (line.includes("\u0000")) {
      binary += 1;
      return;
    }
    const at = dmesgTime(line, boot);
    if (at === undefined) untimed += 1;
    else timed += 1;
    if (line.includes("Linux version ")) {
      x.kernelVersion ??= /Linux version (\S+)/.exec(line)?.[1];
      return;
    }
    if (!inWindow(at, ctx.window)) return;
    const event = oomStep(line, oom);
    if (event) {
      const text = cursor.text();
      if (event.scope === "memcg" && !event.system) {
        table.get("kernel.oom-kill-workload").add(path, cursor.lineNo, at, text);
        addUnique(x.workloadVictims, event.victim);
        const uid = podUid(event.memcg);
        if (uid && x.podUids.size < 20) x.podUids.add(uid);
      } else {
        table.get("kernel.oom-kill-system").add(path, cursor.lineNo, at, text);
        addUnique(x.victims, `${event.victim}(${event.pid})`);
        if (event.system) {
          x.systemEvents += 1;
          addUnique(x.systemVictims, event.victim);
        }
        if (event.scope === "global") x.globalEvents += 1;
      }
      return;
    }
    for (const kind of matchSignals(line, SIGNALS)) {
      table.get(kind).add(path, cursor.lineNo, at, cursor.text());
      collect(kind, line, x);
    }
  });
  if (!scanned) return [];

  const findings: FindingDraft[] = [];
  const timesKnown = timed > 0 || firstAt !== undefined;
  const bootAttributes: FindingDraft["attributes"] = {
    source: path,
    timestamps: source.name === "dmesgHuman" ? "ctime" : boot !== undefined ? "relative" : "relative-without-boot-time",
    timesKnown,
  };
  if (boot !== undefined) bootAttributes.bootTime = iso(boot) as string;
  if (firstAt !== undefined) bootAttributes.coversFrom = iso(firstAt) as string;
  if (x.kernelVersion) bootAttributes.kernelVersion = x.kernelVersion;
  if (binary > 0) bootAttributes.binaryLines = binary;
  findings.push({
    kind: "kernel.boot",
    severity: "info",
    summary: `Kernel log from ${path}${x.kernelVersion ? ` (kernel ${x.kernelVersion})` : ""}${firstAt !== undefined ? `, covering from ${iso(firstAt)}` : ""}${timesKnown || untimed === 0 ? "" : "; no boot time, so line times are unknown"}`,
    evidence: [],
    count: 1,
    attributes: bootAttributes,
    correlateWith: [],
  });

  for (const [kind, occ] of table.entries()) findings.push(draftFor(kind, occ, x, ctx, timesKnown));
  return findings;
}

function draftFor(kind: Kind, occ: Occurrences, x: Extras, ctx: AnalyzerContext, timesKnown: boolean): FindingDraft {
  const n = `${occ.count} time${occ.count === 1 ? "" : "s"}`;
  const attributes: FindingDraft["attributes"] = {};
  const notes: string[] = [];
  let severity: Severity;
  let summary: string;
  switch (kind) {
    case "kernel.oom-kill-system": {
      const systemHit = x.systemVictims.length > 0;
      severity = systemHit ? "high" : "medium";
      attributes.victims = x.victims;
      attributes.systemVictims = x.systemVictims;
      attributes.systemProcessKilled = systemHit;
      attributes.globalOom = x.globalEvents > 0;
      summary = systemHit
        ? `The OOM killer killed system process${x.systemVictims.length === 1 ? "" : "es"} ${x.systemVictims.join(", ")} (${n})`
        : `The node ran out of memory: the global OOM killer killed ${x.victims.slice(0, 3).join(", ")} (${n})`;
      break;
    }
    case "kernel.oom-kill-workload":
      severity = "info";
      attributes.victims = x.workloadVictims;
      attributes.podUids = [...x.podUids];
      summary = `Containers hit their own memory limits: ${x.workloadVictims.slice(0, 3).join(", ")} killed by a memcg OOM (${n})`;
      break;
    case "kernel.soft-lockup":
      severity = BASE[kind];
      attributes.maxStuckSeconds = x.maxStuckSeconds;
      attributes.processes = [...x.lockedProcesses];
      summary = `Soft lockups: a CPU was stuck in the kernel up to ${x.maxStuckSeconds}s (${n})`;
      break;
    case "kernel.hung-task":
      severity = BASE[kind];
      attributes.tasks = [...x.hungTasks];
      summary = `Tasks hung for more than 120 s: ${[...x.hungTasks].slice(0, 4).join(", ")} (${n})`;
      break;
    case "kernel.fs-errors":
    case "kernel.nvme-errors":
      severity = BASE[kind];
      attributes.devices = [...x.devices];
      if (kind === "kernel.fs-errors") attributes.readOnly = x.readOnly;
      summary = `${kind === "kernel.fs-errors" ? "Filesystem / block I/O errors" : "NVMe controller timeouts or resets"}${x.devices.size ? ` on ${[...x.devices].join(", ")}` : ""} (${n})${x.readOnly && kind === "kernel.fs-errors" ? "; a filesystem was remounted read-only" : ""}`;
      break;
    case "kernel.ena-reset":
      severity = occ.count >= 3 ? "high" : BASE[kind];
      attributes.interfaces = [...x.interfaces];
      summary = `The ENA driver reset or timed out${x.interfaces.size ? ` on ${[...x.interfaces].join(", ")}` : ""} (${n})`;
      break;
    case "kernel.boot":
      severity = "info";
      summary = KINDS[kind].description;
      break;
    default:
      severity = BASE[kind];
      summary = `${KINDS[kind].description.split(":")[0]} (${n})`;
  }
  const boot = ctx.clock.bootTime;
  if (kind === "kernel.time-jump" && boot !== undefined && occ.last !== undefined && occ.last <= boot + BOOT_GRACE_MS) {
    severity = "info";
    attributes.bootOnly = true;
    notes.push("only while the node was booting");
  } else if (severity !== "info" && !isRecent(occ, ctx.window)) {
    severity = "info";
    attributes.stale = true;
    if (occ.last !== undefined)
      notes.push(`last seen ${humanDuration(ctx.window.end - occ.last)} before the window's end`);
  }
  if (!timesKnown) attributes.timesUnknown = true;
  const draft: FindingDraft = {
    kind,
    severity,
    summary: summary + (notes.length ? `; ${notes.join("; ")}` : ""),
    evidence: occ.evidence,
    count: occ.count,
    attributes,
    correlateWith: CORRELATE[kind] ?? [],
  };
  if (occ.firstSeen) draft.firstSeen = occ.firstSeen;
  if (occ.lastSeen) draft.lastSeen = occ.lastSeen;
  return draft;
}

export const readDmesg = defineTool({
  name: "read_dmesg",
  title: "Kernel log (dmesg)",
  lane: "host",
  description:
    "Reads the kernel ring buffer (kernel/dmesg.human.current with --ctime times when present, else kernel/dmesg.current with seconds since boot turned into instants through the boot time, else kernel/dmesg.boot). Finds OOM kills (system vs a workload's own memcg limit), conntrack table full, soft lockups, hung tasks, RCU stalls, filesystem/NVMe I/O errors, ENA resets, fragmentation-needed drops and clock jumps, each with first/last seen; signals that stopped long before the window's end are info. " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. ` +
    "Next: read_kubelet_config (system reserve) after a system OOM, inspect_conntrack / read_sysctls after conntrack drops, read_kubelet_journal for what the kubelet saw during a hang.",
  sources: ["dmesgHuman", "dmesg", "dmesgBoot"],
  kinds: KINDS,
  input: {},
  analyze,
});
