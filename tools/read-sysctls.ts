import type { Severity } from "../src/domain/severity.ts";
import { makeLocator } from "../src/toolkit/occurrences.ts";
import { readSysctlValues, sysctlNumber, type SysctlEntry } from "../src/toolkit/parse-sysctls.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";
import { z } from "zod";

/** A curated setting: a number when the value is a safe integer, else the raw text (ranges, lists, huge values). */
const setting = (description: string) =>
  z.union([z.number(), z.string()]).describe(`${description}; a number when an integer, else the raw text`);

const KINDS = {
  "sysctl.values": kind(
    "The curated kernel settings that node diagnosis needs (conntrack, PIDs, forwarding, rp_filter, ports, files, maps, sockets) as typed attributes; hand-offs `conntrackMax`, `conntrackCount`, `pidMax`, `threadsMax`",
    {
      "net.netfilter.nf_conntrack_max": setting("Conntrack table size limit (entries)"),
      "net.netfilter.nf_conntrack_count": setting("Conntrack entries in use when collected (entries)"),
      "net.netfilter.nf_conntrack_buckets": setting("Conntrack hash table buckets (buckets)"),
      "net.netfilter.nf_conntrack_tcp_timeout_established": setting(
        "How long an established TCP conntrack entry lives idle (seconds)",
      ),
      "net.nf_conntrack_max": setting("Conntrack table size limit, legacy key (entries)"),
      "kernel.pid_max": setting("Highest PID plus one (PIDs)"),
      "kernel.threads-max": setting("System-wide thread limit (threads)"),
      "net.ipv4.ip_forward": setting("IPv4 forwarding (0 off, 1 on)"),
      "net.ipv6.conf.all.forwarding": setting("IPv6 forwarding on all interfaces (0 off, 1 on)"),
      "net.ipv4.conf.all.rp_filter": setting("Reverse-path filtering for all interfaces (0 off, 1 strict, 2 loose)"),
      "net.ipv4.conf.default.rp_filter": setting(
        "Reverse-path filtering default for new interfaces (0 off, 1 strict, 2 loose)",
      ),
      "net.ipv4.ip_local_port_range": setting("Ephemeral port range, `low high` (port numbers)"),
      "net.ipv4.ip_local_reserved_ports": setting("Ports excluded from ephemeral use (port list)"),
      "net.ipv4.tcp_mtu_probing": setting("TCP path-MTU probing (0 off, 1 after a black hole, 2 always)"),
      "net.ipv4.neigh.default.gc_thresh1": setting(
        "Neighbour table size below which no entries are collected (entries)",
      ),
      "net.ipv4.neigh.default.gc_thresh2": setting("Neighbour table soft limit (entries)"),
      "net.ipv4.neigh.default.gc_thresh3": setting("Neighbour table hard limit (entries)"),
      "net.core.somaxconn": setting("Listen backlog limit per socket (connections)"),
      "net.core.netdev_max_backlog": setting("Per-CPU input packet queue limit (packets)"),
      "fs.file-max": setting("System-wide open file limit (file handles)"),
      "fs.nr_open": setting("Per-process open file limit ceiling (file descriptors)"),
      "fs.inotify.max_user_watches": setting("inotify watches per user (watches)"),
      "fs.inotify.max_user_instances": setting("inotify instances per user (instances)"),
      "vm.max_map_count": setting("Memory map areas per process (maps)"),
      "vm.overcommit_memory": setting("Memory overcommit mode (0 heuristic, 1 always, 2 never)"),
      "vm.panic_on_oom": setting("Panic instead of OOM-killing (0 no, 1 or 2 yes)"),
      "kernel.panic": setting("Reboot this long after a panic, 0 never (seconds)"),
      "kernel.panic_on_oops": setting("Panic on a kernel oops (0 no, 1 yes)"),
      conntrackMax: attr.number("Conntrack table size limit (nf_conntrack_max, else the legacy key)", "entries"),
      conntrackCount: attr.number("Conntrack entries in use when collected", "entries"),
      pidMax: attr.number("kernel.pid_max", "PIDs"),
      threadsMax: attr.number("kernel.threads-max", "threads"),
      ephemeralPorts: attr.number("Size of the ephemeral port range (high − low + 1)", "ports"),
    },
  ),
  "sysctl.ip-forward-disabled": kind(
    "net.ipv4.ip_forward = 0: the node does not route, so pods cannot reach anything off their veth",
    { ipForward: attr.number("net.ipv4.ip_forward (always 0 here)", "0 off, 1 on") },
  ),
  "sysctl.conntrack-near-max": kind(
    "net.netfilter.nf_conntrack_count is at least 75% (medium) / 90% (high) of nf_conntrack_max",
    {
      conntrackCount: attr.number("Conntrack entries in use when collected", "entries"),
      conntrackMax: attr.number("Conntrack table size limit", "entries"),
      percent: attr.percent("Share of the conntrack table in use, to 0.1"),
    },
  ),
  "sysctl.pid-max-low": kind("kernel.pid_max is below 65536 (medium below 32768): a busy node can run out of PIDs", {
    pidMax: attr.number("kernel.pid_max", "PIDs"),
    threadsMax: attr.number("kernel.threads-max", "threads"),
  }),
  "sysctl.rp-filter-strict": kind(
    "Strict reverse-path filtering (rp_filter=1) is effective on a node interface; on multi-ENI nodes it can drop asymmetric traffic (the VPC CNI sets loose mode on the interfaces it manages). A fact, info unless secondary ENIs are strict",
    {
      rpFilterAll: attr.number("net.ipv4.conf.all.rp_filter, 0 when absent", "0 off, 1 strict, 2 loose"),
      strictInterfaces: attr.texts("ENI-backed interfaces where strict filtering is effective, primary first"),
      looseInterfaces: attr.texts("ENI-backed interfaces where loose filtering is effective"),
      secondaryStrict: attr.texts("Strict interfaces other than the primary (lowest-numbered) one"),
    },
  ),
};

/** Settings reported as typed attributes of `sysctl.values`. */
const CURATED = [
  "net.netfilter.nf_conntrack_max",
  "net.netfilter.nf_conntrack_count",
  "net.netfilter.nf_conntrack_buckets",
  "net.netfilter.nf_conntrack_tcp_timeout_established",
  "net.nf_conntrack_max",
  "kernel.pid_max",
  "kernel.threads-max",
  "net.ipv4.ip_forward",
  "net.ipv6.conf.all.forwarding",
  "net.ipv4.conf.all.rp_filter",
  "net.ipv4.conf.default.rp_filter",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_mtu_probing",
  "net.ipv4.neigh.default.gc_thresh1",
  "net.ipv4.neigh.default.gc_thresh2",
  "net.ipv4.neigh.default.gc_thresh3",
  "net.core.somaxconn",
  "net.core.netdev_max_backlog",
  "fs.file-max",
  "fs.nr_open",
  "fs.inotify.max_user_watches",
  "fs.inotify.max_user_instances",
  "vm.max_map_count",
  "vm.overcommit_memory",
  "vm.panic_on_oom",
  "kernel.panic",
  "kernel.panic_on_oops",
] as const;
const CURATED_SET = new Set<string>(CURATED);
const RP_FILTER = /^net\.ipv4\.conf\.([^.]+)\.rp_filter$/;
// ENI-backed interfaces: eth0.. on AL2; ens5, enp.., enX.. (predictable names) on AL2023.
const PHYSICAL = /^(eth|ens|enp|enX)\d/;

const CONNTRACK_HIGH = 0.9;
const CONNTRACK_MEDIUM = 0.75;

function wanted(key: string): boolean {
  return CURATED_SET.has(key) || (key.startsWith("net.ipv4.conf.") && key.endsWith(".rp_filter"));
}

function typed(raw: string): string | number {
  return /^-?\d+$/.test(raw) && Number.isSafeInteger(Number(raw)) ? Number(raw) : raw;
}

/** Interface names sorted so that eth2 < eth10 and ens5 < ens6 (the lowest is the primary ENI). */
function byDevice(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const read = await readSysctlValues(ctx.read, wanted);
  if (read.state !== "ok") return [];
  const { path, values } = read;
  const locate = (key: string, entry: SysctlEntry | undefined) =>
    entry ? [makeLocator(path, entry.line, undefined, `${key} = ${entry.value}`)] : [];
  const findings: FindingDraft[] = [];

  const conntrackMax =
    sysctlNumber(values, "net.netfilter.nf_conntrack_max") ?? sysctlNumber(values, "net.nf_conntrack_max");
  const conntrackCount = sysctlNumber(values, "net.netfilter.nf_conntrack_count");
  const pidMax = sysctlNumber(values, "kernel.pid_max");
  const threadsMax = sysctlNumber(values, "kernel.threads-max");
  const ipForward = sysctlNumber(values, "net.ipv4.ip_forward");

  const attributes: FindingDraft["attributes"] = {};
  for (const key of CURATED) {
    const entry = values.get(key);
    if (entry) attributes[key] = typed(entry.value);
  }
  if (conntrackMax !== undefined) attributes.conntrackMax = conntrackMax;
  if (conntrackCount !== undefined) attributes.conntrackCount = conntrackCount;
  if (pidMax !== undefined) attributes.pidMax = pidMax;
  if (threadsMax !== undefined) attributes.threadsMax = threadsMax;
  const range = values.get("net.ipv4.ip_local_port_range")?.value.split(" ").map(Number);
  if (range && range.length === 2 && range.every(Number.isFinite))
    attributes.ephemeralPorts = (range[1] as number) - (range[0] as number) + 1;
  const shown = [
    conntrackMax !== undefined ? `nf_conntrack_max ${conntrackMax}` : undefined,
    conntrackCount !== undefined ? `nf_conntrack_count ${conntrackCount}` : undefined,
    pidMax !== undefined ? `pid_max ${pidMax}` : undefined,
    ipForward !== undefined ? `ip_forward ${ipForward}` : undefined,
  ].filter((s): s is string => s !== undefined);
  findings.push({
    kind: "sysctl.values",
    severity: "info",
    summary: `Kernel settings (${values.size} of interest${shown.length ? `: ${shown.join(", ")}` : ""})`,
    evidence: [
      ...locate("net.netfilter.nf_conntrack_max", values.get("net.netfilter.nf_conntrack_max")),
      ...locate("kernel.pid_max", values.get("kernel.pid_max")),
    ],
    count: 1,
    attributes,
    correlateWith: ["inspect_conntrack"],
  });

  if (ipForward === 0) {
    findings.push({
      kind: "sysctl.ip-forward-disabled",
      severity: "high",
      summary:
        "net.ipv4.ip_forward = 0: the node does not forward packets, so pod traffic cannot leave the node or reach pods",
      evidence: locate("net.ipv4.ip_forward", values.get("net.ipv4.ip_forward")),
      count: 1,
      attributes: { ipForward: 0 },
      correlateWith: ["inspect_iptables"],
    });
  }

  if (conntrackMax !== undefined && conntrackMax > 0 && conntrackCount !== undefined) {
    const ratio = conntrackCount / conntrackMax;
    if (ratio >= CONNTRACK_MEDIUM) {
      const severity: Severity = ratio >= CONNTRACK_HIGH ? "high" : "medium";
      const percent = Math.round(ratio * 1000) / 10;
      findings.push({
        kind: "sysctl.conntrack-near-max",
        severity,
        summary: `The conntrack table holds ${conntrackCount} of ${conntrackMax} entries (${percent}%): new flows are dropped once it is full`,
        evidence: [
          ...locate("net.netfilter.nf_conntrack_count", values.get("net.netfilter.nf_conntrack_count")),
          ...locate("net.netfilter.nf_conntrack_max", values.get("net.netfilter.nf_conntrack_max")),
        ],
        count: 1,
        attributes: { conntrackCount, conntrackMax, percent },
        correlateWith: ["inspect_conntrack", "read_dmesg"],
      });
    }
  }

  if (pidMax !== undefined && pidMax < 65536) {
    findings.push({
      kind: "sysctl.pid-max-low",
      severity: pidMax < 32768 ? "medium" : "low",
      summary: `kernel.pid_max is ${pidMax}: a node running many pods and threads can run out of PIDs (EKS AMIs raise it to 4194304)`,
      evidence: locate("kernel.pid_max", values.get("kernel.pid_max")),
      count: 1,
      attributes: { pidMax, ...(threadsMax !== undefined ? { threadsMax } : {}) },
      correlateWith: ["read_kubelet_journal"],
    });
  }

  findings.push(...rpFilter(values, locate));
  return findings;
}

function rpFilter(
  values: Map<string, SysctlEntry>,
  locate: (key: string, entry: SysctlEntry | undefined) => FindingDraft["evidence"],
): FindingDraft[] {
  const all = sysctlNumber(values, "net.ipv4.conf.all.rp_filter") ?? 0;
  const physical: Array<{ name: string; own: number }> = [];
  for (const [key, entry] of values) {
    const name = RP_FILTER.exec(key)?.[1];
    if (!name || !PHYSICAL.test(name) || !/^\d+$/.test(entry.value)) continue;
    physical.push({ name, own: Number(entry.value) });
  }
  physical.sort((a, b) => byDevice(a.name, b.name));
  // The kernel applies the larger of conf.all and conf.<interface>: 1 strict, 2 loose, 0 off.
  const strict = physical.filter((p) => Math.max(all, p.own) === 1).map((p) => p.name);
  // conf.all=1 with every interface loose (the VPC CNI's setting) is loose in effect: nothing to say.
  if (strict.length === 0 && !(all === 1 && physical.length === 0)) return [];
  const primary = physical[0]?.name;
  const secondaryStrict = strict.filter((name) => name !== primary);
  const severity: Severity = secondaryStrict.length > 0 ? "low" : "info";
  const loose = physical.filter((p) => Math.max(all, p.own) === 2).map((p) => p.name);
  const where = strict.length ? `on ${strict.join(", ")}` : "through conf.all (the dump has no per-interface setting)";
  const evidence = [...locate("net.ipv4.conf.all.rp_filter", values.get("net.ipv4.conf.all.rp_filter"))];
  for (const name of strict.slice(0, 2))
    evidence.push(...locate(`net.ipv4.conf.${name}.rp_filter`, values.get(`net.ipv4.conf.${name}.rp_filter`)));
  return [
    {
      kind: "sysctl.rp-filter-strict",
      severity,
      summary:
        `Strict reverse-path filtering is effective ${where}` +
        (secondaryStrict.length > 0
          ? "; traffic arriving on a secondary ENI and answered through another interface can be dropped"
          : "; on the primary interface alone this is the distribution default"),
      evidence,
      count: strict.length,
      attributes: { rpFilterAll: all, strictInterfaces: strict, looseInterfaces: loose, secondaryStrict },
      correlateWith: ["inspect_ipamd_state"],
    },
  ];
}

export const readSysctls = defineTool({
  name: "read_sysctls",
  title: "Kernel settings (sysctl)",
  lane: "host",
  description:
    "Reads the node's `sysctl --all` dump (sysctls/sysctl_all.txt) and reports the kernel settings node diagnosis needs as typed attributes: conntrack max/count, pid_max, threads-max, ip_forward, rp_filter per interface, local port range, file-max, max_map_count, somaxconn, tcp_mtu_probing, inotify and neighbour-table limits. " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. ` +
    "The `sysctl.values` finding carries hand-off attributes `conntrackMax` and `pidMax` (pass `conntrackMax` to inspect_conntrack when its bundle lacks the sysctl file). Next: inspect_conntrack for the table itself, read_dmesg for `nf_conntrack: table full`, read_kubelet_journal for PID pressure.",
  sources: ["sysctls"],
  kinds: KINDS,
  input: {},
  analyze,
});
