import type { Severity } from "../src/domain/severity.ts";
import { buildPrefilter, journalLineTime, matchSignals, type LogSignal } from "../src/toolkit/log-signals.ts";
import { OccurrenceTable } from "../src/toolkit/occurrences.ts";
import { humanDuration, inWindow, isRecent } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

/** Set on every kind but messages.clock-synced when the signal stopped before the window's end. */
const stale = attr.flag("True when the signal stopped well before the window's end (severity lowered to info)");

const KINDS = {
  "messages.clock-unsynchronised": kind(
    "chronyd/ntpd cannot synchronise (no selectable sources, no majority, unreachable servers, clock unsynchronized): evidence for node.clock-skew",
    {
      recovered: attr.flag("True when chronyd selected a source again after the last loss (severity info)"),
      stale,
    },
  ),
  "messages.clock-jump": kind(
    "The system clock was wrong by a large offset or stepped (System clock wrong by N seconds, Time has been changed, clock stepped)",
    {
      maxOffsetSeconds: attr.seconds("Largest absolute clock offset or step reported; 0 when no line gave one"),
      stale,
    },
  ),
  "messages.clock-service-stopped": kind("chronyd / ntpd / systemd-timesyncd stopped or failed", { stale }),
  "messages.clock-synced": kind(
    "chronyd selected a time source (fact: the clock was synchronised; argues against clock skew)",
    {},
  ),
  "messages.unit-failed": kind(
    "systemd units that failed (attribute `units`); kubelet, containerd and sandbox-image failures are high",
    { units: attr.texts("Failed systemd units (name.service), sorted"), stale },
  ),
  "messages.kernel-oom": kind(
    "The kernel OOM killer, as relayed by rsyslog (attribute `processes`); system processes are high, pod processes info",
    {
      processes: attr.texts("Killed processes by command name, sorted"),
      system: attr.flag("True when a node-wide OOM killed a system process or the constraint was CONSTRAINT_NONE"),
      stale,
    },
  ),
  "messages.kernel-hang": kind("Soft lockups, hung tasks or RCU stalls relayed by rsyslog", { stale }),
  "messages.conntrack-table-full": kind("nf_conntrack: table full, dropping packet, relayed by rsyslog", { stale }),
  "messages.io-errors": kind(
    "Block device or filesystem I/O errors (I/O error, EXT4-fs error, XFS … error, Buffer I/O error)",
    { stale },
  ),
  "messages.no-space": kind("No space left on device reported by any service", { stale }),
};
type Kind = keyof typeof KINDS;

const CORE_UNITS = /^(kubelet|containerd|sandbox-image|chronyd|docker|nodeadm-(config|run))\.service$/;
const SYSTEM_PROCESS =
  /\((kubelet|containerd|containerd-shim[^)]*|dockerd|systemd[^)]*|sshd|aws-k8s-agent|aws-node|kube-proxy|chronyd|amazon-ssm-agen[^)]*|ssm-agent[^)]*|rsyslogd|journald)\)/;

const SIGNALS: readonly LogSignal<Kind>[] = [
  {
    kind: "messages.clock-unsynchronised",
    needles: [
      "No selectable sources",
      "no selectable sources",
      "Can't synchronise: no majority",
      "Can't synchronise",
      "clock unsynchronized",
      "No suitable source",
      "Source unreachable",
      "no servers can be used",
    ],
  },
  {
    kind: "messages.clock-jump",
    needles: [
      "System clock wrong by",
      "Time has been changed",
      "System clock was stepped",
      "clock stepped",
      "Forward time jump",
      "Backward time jump",
    ],
  },
  {
    kind: "messages.clock-service-stopped",
    needles: [
      "chronyd.service: Failed",
      "chronyd.service: Main process exited",
      "Stopped chronyd",
      "Stopped NTP client",
      "ntpd.service: Failed",
      "systemd-timesyncd.service: Failed",
      "chronyd exiting",
    ],
  },
  { kind: "messages.clock-synced", needles: ["Selected source", "System clock TAI offset", "synchronized to"] },
  {
    kind: "messages.unit-failed",
    needles: ["Failed with result", "Failed to start "],
    test: (l) => !/status=0\//.test(l),
  },
  { kind: "messages.kernel-oom", needles: ["Out of memory: Killed process", "Killed process", "invoked oom-killer"] },
  {
    kind: "messages.kernel-hang",
    needles: [
      "BUG: soft lockup",
      "blocked for more than",
      "rcu_sched detected stalls",
      "rcu: INFO: rcu_preempt detected stalls",
      "rcu_preempt detected stalls",
      "hung_task_timeout_secs",
    ],
  },
  {
    kind: "messages.conntrack-table-full",
    needles: ["nf_conntrack: table full, dropping packet", "nf_conntrack: nf_conntrack: table full"],
  },
  {
    kind: "messages.io-errors",
    needles: ["I/O error", "EXT4-fs error", "Buffer I/O error", "XFS (", "blk_update_request: I/O error"],
    test: (l) =>
      !/XFS \([^)]+\): (Mounting|Ending clean mount|Quotacheck|Unmounting)/.test(l) &&
      /error|corrupt|shutdown/i.test(l),
  },
  { kind: "messages.no-space", needles: ["No space left on device", "no space left on device"] },
];
const PREFILTER = buildPrefilter(SIGNALS);

const BASE: Record<Kind, Severity> = {
  "messages.clock-unsynchronised": "high",
  "messages.clock-jump": "medium",
  "messages.clock-service-stopped": "high",
  "messages.clock-synced": "info",
  "messages.unit-failed": "low",
  "messages.kernel-oom": "info",
  "messages.kernel-hang": "high",
  "messages.conntrack-table-full": "high",
  "messages.io-errors": "high",
  "messages.no-space": "high",
};

const CORRELATE: Partial<Record<Kind, string[]>> = {
  "messages.clock-unsynchronised": ["read_kubelet_journal", "inspect_processes"],
  "messages.clock-jump": ["read_kubelet_journal"],
  "messages.clock-service-stopped": ["inspect_processes"],
  "messages.unit-failed": ["inspect_processes"],
  "messages.kernel-oom": ["read_dmesg", "read_kubelet_config"],
  "messages.kernel-hang": ["read_dmesg"],
  "messages.conntrack-table-full": ["inspect_conntrack", "read_sysctls"],
  "messages.io-errors": ["inspect_storage", "read_dmesg"],
  "messages.no-space": ["inspect_storage"],
};

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const [path] = await ctx.read.paths("messages");
  if (!path) return [];
  const table = new OccurrenceTable<Kind>();
  const units = new Set<string>();
  const oomProcesses = new Set<string>();
  let systemOom = false;
  let coreUnitFailed = false;
  let maxClockOffset = 0;
  await ctx.read.scanMatchingAt(path, PREFILTER, (cursor) => {
    const line = cursor.chunk.slice(cursor.start, cursor.end);
    const kinds = matchSignals(line, SIGNALS);
    if (kinds.length === 0) return;
    const at = journalLineTime(line, ctx.clock.yearReference);
    if (!inWindow(at, ctx.window)) return;
    for (const kind of kinds) {
      if (
        kind === "messages.kernel-oom" &&
        !/Out of memory: Killed process|invoked oom-killer|Killed process \d+/.test(line)
      )
        continue;
      // chronyd slews away millisecond offsets all day: only a real jump (a second or more) counts.
      if (kind === "messages.clock-jump") {
        const offset = /wrong by (-?[\d.]+) seconds|stepped by (-?[\d.]+)/.exec(line);
        if (offset && Math.abs(Number(offset[1] ?? offset[2])) < 1) continue;
      }
      table.get(kind).add(path, cursor.lineNo, at, cursor.text());
      if (kind === "messages.unit-failed") {
        const unit = /([\w@.-]+\.service)/.exec(line)?.[1];
        if (unit) {
          units.add(unit);
          if (CORE_UNITS.test(unit)) coreUnitFailed = true;
        }
      }
      if (kind === "messages.kernel-oom") {
        const proc = /Killed process \d+ \(([^)]+)\)/.exec(line)?.[1];
        if (proc) oomProcesses.add(proc);
        // A memory-cgroup OOM is a container hitting its own limit, whatever the process is called.
        const memcg = /Memory cgroup out of memory|CONSTRAINT_MEMCG|oom_memcg=\/kubepods/.test(line);
        if (!memcg && ((/Out of memory: Kill/.test(line) && SYSTEM_PROCESS.test(line)) || /CONSTRAINT_NONE/.test(line)))
          systemOom = true;
      }
      if (kind === "messages.clock-jump") {
        const offset = /wrong by (-?[\d.]+) seconds|stepped by (-?[\d.]+)/.exec(line);
        if (offset) maxClockOffset = Math.max(maxClockOffset, Math.abs(Number(offset[1] ?? offset[2])));
      }
    }
  });
  const findings: FindingDraft[] = [];
  const synced = table.peek("messages.clock-synced");
  for (const [kind, occ] of table.entries()) {
    let severity = BASE[kind];
    const attributes: FindingDraft["attributes"] = {};
    const notes: string[] = [];
    if (kind === "messages.unit-failed") {
      attributes.units = [...units].sort();
      if (coreUnitFailed) severity = "high";
    }
    if (kind === "messages.kernel-oom") {
      attributes.processes = [...oomProcesses].sort();
      attributes.system = systemOom;
      if (systemOom) severity = "high";
    }
    if (kind === "messages.clock-jump") {
      attributes.maxOffsetSeconds = maxClockOffset;
      if (maxClockOffset >= 60) severity = "high";
    }
    // Lost sources that chronyd later replaced with a selected one are routine: info.
    if (
      kind === "messages.clock-unsynchronised" &&
      synced?.last !== undefined &&
      occ.last !== undefined &&
      synced.last > occ.last
    ) {
      severity = "info";
      attributes.recovered = true;
      notes.push("a source was selected again afterwards");
    }
    if (severity !== "info" && !isRecent(occ, ctx.window)) {
      severity = "info";
      attributes.stale = true;
      if (occ.last !== undefined)
        notes.push(`last seen ${humanDuration(ctx.window.end - occ.last)} before the window's end`);
    }
    const draft: FindingDraft = {
      kind,
      severity,
      summary: `${KINDS[kind].description.split(" (")[0]} (${occ.count} time${occ.count === 1 ? "" : "s"})${notes.length ? `; ${notes.join("; ")}` : ""}`,
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

export const readSystemMessages = defineTool({
  name: "read_system_messages",
  title: "System messages",
  lane: "host",
  description:
    "Reads /var/log/messages (var_log/messages, syslog format, up to 100 MB) for what the host itself said: time sync (chronyd/ntpd losing sources, clock jumps, the clock service stopping), systemd units that failed, and kernel messages relayed by rsyslog (OOM kills, soft lockups, conntrack table full, I/O errors, no space left). " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. ` +
    "Next: read_dmesg for kernel detail, inspect_processes for unit state, inspect_storage for disks.",
  sources: ["messages"],
  kinds: KINDS,
  input: {},
  analyze,
});
