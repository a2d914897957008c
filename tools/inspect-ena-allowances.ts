import type { EvidenceLocator } from "../src/domain/finding.ts";
import type { Severity } from "../src/domain/severity.ts";
import type { EvidenceReader } from "../src/toolkit/evidence-reader.ts";
import { draft, fact } from "../src/toolkit/finding-drafts.ts";
import { makeLocator } from "../src/toolkit/occurrences.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

const KINDS = {
  "ena.allowances": kind(
    "ENA allowance counters per interface (fact): bw_in/bw_out/pps/conntrack/linklocal_allowance_exceeded and conntrack_allowance_available; all zero argues against net.ena-allowance-exceeded and dns.vpc-resolver-throttled",
    {
      countersPresent: attr.flag("Whether any interface reports ENA allowance counters"),
      interfaces: attr.texts("Interfaces with ENA allowance counters (all ethtool -S interfaces when none has them)"),
      bwInAllowanceExceeded: attr.count("bw_in_allowance_exceeded summed over the ENA interfaces (packets)"),
      bwInAllowanceExceededByInterface: attr.numbers(
        "bw_in_allowance_exceeded per interface, in the order of interfaces (packets)",
      ),
      bwOutAllowanceExceeded: attr.count("bw_out_allowance_exceeded summed over the ENA interfaces (packets)"),
      bwOutAllowanceExceededByInterface: attr.numbers(
        "bw_out_allowance_exceeded per interface, in the order of interfaces (packets)",
      ),
      ppsAllowanceExceeded: attr.count("pps_allowance_exceeded summed over the ENA interfaces (packets)"),
      ppsAllowanceExceededByInterface: attr.numbers(
        "pps_allowance_exceeded per interface, in the order of interfaces (packets)",
      ),
      conntrackAllowanceExceeded: attr.count("conntrack_allowance_exceeded summed over the ENA interfaces (packets)"),
      conntrackAllowanceExceededByInterface: attr.numbers(
        "conntrack_allowance_exceeded per interface, in the order of interfaces (packets)",
      ),
      linklocalAllowanceExceeded: attr.count("linklocal_allowance_exceeded summed over the ENA interfaces (packets)"),
      linklocalAllowanceExceededByInterface: attr.numbers(
        "linklocal_allowance_exceeded per interface, in the order of interfaces (packets)",
      ),
      conntrackAllowanceAvailableMin: attr.count(
        "Lowest conntrack_allowance_available among the ENA interfaces (connections)",
      ),
      conntrackAllowanceAvailableByInterface: attr.numbers(
        "conntrack_allowance_available per interface, in the order of interfaces; 0 where absent (connections)",
      ),
      uptimeHours: attr.number("Time from boot to collection, rounded to 0.1", "hours"),
    },
  ),
  "ena.pps-exceeded": kind(
    "Packets were queued or dropped because the instance exceeded its packets-per-second allowance (pps_allowance_exceeded > 0)",
    {
      total: attr.count("Sum of this kind's exceeded counters over the ENA interfaces (packets)"),
      interfaces: attr.texts("ENA interfaces where the counter is non-zero"),
      ppsAllowanceExceeded: attr.count("pps_allowance_exceeded summed over the ENA interfaces (packets)"),
      ppsAllowanceExceededByInterface: attr.numbers(
        "pps_allowance_exceeded per interface in interfaces, same order (packets)",
      ),
      perHourSinceBoot: attr.number("total divided by uptime, rounded to 0.1", "packets per hour"),
    },
  ),
  "ena.bandwidth-exceeded": kind(
    "Packets were queued or dropped because the instance exceeded its aggregate inbound or outbound bandwidth allowance (bw_in/bw_out_allowance_exceeded > 0)",
    {
      total: attr.count("Sum of this kind's exceeded counters over the ENA interfaces (packets)"),
      interfaces: attr.texts("ENA interfaces where the counter is non-zero"),
      bwInAllowanceExceeded: attr.count("bw_in_allowance_exceeded summed over the ENA interfaces (packets)"),
      bwInAllowanceExceededByInterface: attr.numbers(
        "bw_in_allowance_exceeded per interface in interfaces, same order (packets)",
      ),
      bwOutAllowanceExceeded: attr.count("bw_out_allowance_exceeded summed over the ENA interfaces (packets)"),
      bwOutAllowanceExceededByInterface: attr.numbers(
        "bw_out_allowance_exceeded per interface in interfaces, same order (packets)",
      ),
      perHourSinceBoot: attr.number("total divided by uptime, rounded to 0.1", "packets per hour"),
    },
  ),
  "ena.conntrack-exceeded": kind(
    "The instance's connection-tracking allowance was exhausted: new flows were dropped (conntrack_allowance_exceeded > 0)",
    {
      total: attr.count("Sum of this kind's exceeded counters over the ENA interfaces (packets)"),
      interfaces: attr.texts("ENA interfaces where the counter is non-zero"),
      conntrackAllowanceExceeded: attr.count("conntrack_allowance_exceeded summed over the ENA interfaces (packets)"),
      conntrackAllowanceExceededByInterface: attr.numbers(
        "conntrack_allowance_exceeded per interface in interfaces, same order (packets)",
      ),
      perHourSinceBoot: attr.number("total divided by uptime, rounded to 0.1", "packets per hour"),
    },
  ),
  "ena.linklocal-exceeded": kind(
    "Traffic to link-local services (VPC resolver, IMDS, Time Sync) exceeded 1024 pps per ENI and was dropped (linklocal_allowance_exceeded > 0): with CoreDNS upstream timeouts, evidence for dns.vpc-resolver-throttled",
    {
      total: attr.count("Sum of this kind's exceeded counters over the ENA interfaces (packets)"),
      interfaces: attr.texts("ENA interfaces where the counter is non-zero"),
      linklocalAllowanceExceeded: attr.count("linklocal_allowance_exceeded summed over the ENA interfaces (packets)"),
      linklocalAllowanceExceededByInterface: attr.numbers(
        "linklocal_allowance_exceeded per interface in interfaces, same order (packets)",
      ),
      perHourSinceBoot: attr.number("total divided by uptime, rounded to 0.1", "packets per hour"),
    },
  ),
};
type Kind = keyof typeof KINDS;

const COUNTERS = [
  "bw_in_allowance_exceeded",
  "bw_out_allowance_exceeded",
  "pps_allowance_exceeded",
  "conntrack_allowance_exceeded",
  "linklocal_allowance_exceeded",
  "conntrack_allowance_available",
] as const;
type Counter = (typeof COUNTERS)[number];
const COUNTER_SET = new Set<string>(COUNTERS);

/** camelCase attribute names for the counters. */
const ATTR: Record<Counter, string> = {
  bw_in_allowance_exceeded: "bwInAllowanceExceeded",
  bw_out_allowance_exceeded: "bwOutAllowanceExceeded",
  pps_allowance_exceeded: "ppsAllowanceExceeded",
  conntrack_allowance_exceeded: "conntrackAllowanceExceeded",
  linklocal_allowance_exceeded: "linklocalAllowanceExceeded",
  conntrack_allowance_available: "conntrackAllowanceAvailable",
};

interface Exceeded {
  kind: Exclude<Kind, "ena.allowances">;
  counters: Counter[];
  /** At or above this many dropped/queued packets since the driver loaded, the finding is high. */
  large: number;
  what: string;
  correlate: string[];
}

const EXCEEDED: readonly Exceeded[] = [
  {
    kind: "ena.linklocal-exceeded",
    counters: ["linklocal_allowance_exceeded"],
    large: 1000,
    what: "link-local (VPC resolver / IMDS / NTP) packets over 1024 pps per ENI",
    correlate: ["read_coredns_log", "check_resolv_conf", "read_kubelet_config"],
  },
  {
    kind: "ena.conntrack-exceeded",
    counters: ["conntrack_allowance_exceeded"],
    large: 1000,
    what: "flows over the instance's connection-tracking allowance",
    correlate: ["inspect_conntrack", "read_sysctls"],
  },
  {
    kind: "ena.pps-exceeded",
    counters: ["pps_allowance_exceeded"],
    large: 10_000,
    what: "packets over the instance's PPS allowance",
    correlate: ["inspect_conntrack", "read_coredns_log"],
  },
  {
    kind: "ena.bandwidth-exceeded",
    counters: ["bw_in_allowance_exceeded", "bw_out_allowance_exceeded"],
    large: 10_000,
    what: "packets over the instance's bandwidth allowance",
    correlate: ["read_cni_config"],
  },
];

interface InterfaceStats {
  name: string;
  line: number;
  counters: Partial<Record<Counter, number>>;
  lines: Partial<Record<Counter, { line: number; text: string }>>;
}

const HEADER_PATTERNS: readonly RegExp[] = [
  /^Interface[:\s]+([^\s:]+)/,
  /ethtool\s+(?:-S|--statistics)\s+([^\s*'"]+)/,
  /^=+\s*([^\s=]+)\s*=+\s*$/,
  /^([A-Za-z][A-Za-z0-9_.@-]{0,31}):?\s*$/,
];

function headerName(line: string): string | undefined {
  if (line.startsWith("NIC statistics")) return undefined;
  for (const pattern of HEADER_PATTERNS) {
    const m = pattern.exec(line);
    if (m) return (m[1] as string).replace(/@.*$/, "");
  }
  return undefined;
}

/** The `ethtool -S` blocks, one per interface, with only the allowance counters kept. */
interface Ethtool {
  path: string;
  interfaces: InterfaceStats[];
}

async function readEthtool(read: EvidenceReader): Promise<Ethtool | undefined> {
  const [path] = await read.paths("ethtool");
  if (!path) return undefined;
  const interfaces: InterfaceStats[] = [];
  let pendingName: string | undefined;
  let pendingLine = 0;
  let current: InterfaceStats | undefined;
  let blocks = 0;
  let unnamed = 0;
  let nonEmpty = 0;

  const ok = await read.scanAt(path, (cursor) => {
    const { chunk, start, end } = cursor;
    if (end <= start) return;
    nonEmpty += 1;
    const first = chunk.charCodeAt(start);
    // Counter lines are indented; only the allowance ones are of interest (ENA prints hundreds per queue).
    if (first === 32 || first === 9) {
      if (!current) return;
      const line = chunk.slice(start, end);
      if (!line.includes("allowance")) return;
      const m = /^\s+([a-z_]+):\s+(\d+)\s*$/.exec(line);
      if (!m || !COUNTER_SET.has(m[1] as string)) return;
      const counter = m[1] as Counter;
      current.counters[counter] = Number(m[2]);
      current.lines[counter] = { line: cursor.lineNo, text: line.trim() };
      return;
    }
    const line = chunk.slice(start, end).trim();
    if (line.startsWith("NIC statistics")) {
      blocks += 1;
      const name = pendingName ?? `interface-${++unnamed}`;
      current = { name, line: pendingLine || cursor.lineNo, counters: {}, lines: {} };
      interfaces.push(current);
      pendingName = undefined;
      return;
    }
    const name = headerName(line);
    if (name) {
      pendingName = name;
      pendingLine = cursor.lineNo;
      current = undefined;
    }
  });
  if (!ok) return undefined;
  if (nonEmpty === 0) {
    read.gap(path, "file is empty");
    return undefined;
  }
  if (blocks === 0) {
    read.gap(path, "no `ethtool -S` statistics blocks found");
    return undefined;
  }
  return { path, interfaces };
}

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const ethtool = await readEthtool(ctx.read);
  if (!ethtool) return [];
  const ena = ethtool.interfaces.filter((i) => Object.keys(i.counters).length > 0);
  if (ena.length === 0) return [noCountersFinding(ethtool)];
  const { bootTime, collectedAt } = ctx.clock;
  const uptimeHours =
    bootTime !== undefined && collectedAt !== undefined ? (collectedAt - bootTime) / 3_600_000 : undefined;
  return [
    allowancesFinding(ethtool.path, ena, uptimeHours),
    ...EXCEEDED.map((spec) => exceededFinding(spec, ethtool.path, ena, uptimeHours)),
  ].filter((d): d is FindingDraft => d !== undefined);
}

/** A counter summed over the ENA interfaces. */
function total(ena: readonly InterfaceStats[], counter: Counter): number {
  return ena.reduce((sum, i) => sum + (i.counters[counter] ?? 0), 0);
}

/** No counters: drops can be neither seen nor ruled out, which is itself worth saying. */
function noCountersFinding({ path, interfaces }: Ethtool): FindingDraft {
  return fact(
    "ena.allowances",
    `None of the ${interfaces.length} interfaces reports ENA allowance counters (not ENA, or an ENA driver older than 2.2.10): allowance drops can be neither seen nor ruled out`,
    { countersPresent: false, interfaces: interfaces.map((i) => i.name) },
    [
      makeLocator(
        path,
        interfaces[0]?.line,
        undefined,
        `${interfaces.length} ethtool -S blocks, no *_allowance_exceeded counters`,
      ),
    ],
    0,
  );
}

function allowancesFinding(path: string, ena: InterfaceStats[], uptimeHours: number | undefined): FindingDraft {
  const facts: FindingDraft["attributes"] = { countersPresent: true, interfaces: ena.map((i) => i.name) };
  for (const counter of COUNTERS) {
    const present = ena.filter((i) => i.counters[counter] !== undefined);
    if (present.length === 0) continue;
    const attr = ATTR[counter];
    if (counter === "conntrack_allowance_available")
      facts[`${attr}Min`] = Math.min(...present.map((i) => i.counters[counter] as number));
    else facts[attr] = total(ena, counter);
    facts[`${attr}ByInterface`] = ena.map((i) => i.counters[counter] ?? 0);
  }
  if (uptimeHours !== undefined) facts.uptimeHours = Math.round(uptimeHours * 10) / 10;
  const nonZero = EXCEEDED.filter((e) => e.counters.some((c) => total(ena, c) > 0)).map((e) => e.kind);
  const names = ena.map((i) => i.name).join(", ");
  return fact(
    "ena.allowances",
    nonZero.length === 0
      ? `ENA allowance counters are all zero on ${names}: no packets were dropped for exceeding pps, bandwidth, conntrack or link-local allowances`
      : `ENA allowance counters on ${names}: ${EXCEEDED.flatMap((e) => e.counters)
          .filter((c) => total(ena, c) > 0)
          .map((c) => `${c}=${total(ena, c)}`)
          .join(", ")}`,
    facts,
    ena.slice(0, 3).map((i) =>
      makeLocator(
        path,
        i.line,
        undefined,
        `${i.name}: ${COUNTERS.map((c) => (i.counters[c] !== undefined ? `${c}=${i.counters[c]}` : ""))
          .filter(Boolean)
          .join(" ")}`,
      ),
    ),
    ena.length,
  );
}

function exceededFinding(
  spec: Exceeded,
  path: string,
  ena: InterfaceStats[],
  uptimeHours: number | undefined,
): FindingDraft | undefined {
  const sum = spec.counters.reduce((s, c) => s + total(ena, c), 0);
  if (sum === 0) return undefined;
  const hit = ena.filter((i) => spec.counters.some((c) => (i.counters[c] ?? 0) > 0));
  const severity: Severity = sum >= spec.large ? "high" : "medium";
  const evidence: EvidenceLocator[] = [];
  for (const iface of hit.slice(0, 3)) {
    for (const c of spec.counters) {
      const at = iface.lines[c];
      if (at && (iface.counters[c] ?? 0) > 0)
        evidence.push(makeLocator(path, at.line, undefined, `${iface.name}: ${at.text}`));
    }
  }
  const attributes: FindingDraft["attributes"] = { total: sum, interfaces: hit.map((i) => i.name) };
  for (const c of spec.counters) {
    attributes[ATTR[c]] = total(ena, c);
    attributes[`${ATTR[c]}ByInterface`] = hit.map((i) => i.counters[c] ?? 0);
  }
  if (uptimeHours !== undefined && uptimeHours > 0)
    attributes.perHourSinceBoot = Math.round((sum / uptimeHours) * 10) / 10;
  return draft({
    kind: spec.kind,
    severity,
    summary: `${sum} ${spec.what} since the ENA driver loaded (${hit.map((i) => i.name).join(", ")}); counters are cumulative, so compare two collections to see whether they still grow`,
    evidence,
    count: sum,
    attributes,
    correlateWith: spec.correlate,
  });
}

export const inspectEnaAllowances = defineTool({
  name: "inspect_ena_allowances",
  title: "ENA allowance counters",
  lane: "network",
  description:
    "Reads `ethtool -S` for every interface (networking/ethtool.txt) and reports the ENA driver's allowance counters: bw_in/bw_out_allowance_exceeded, pps_allowance_exceeded, conntrack_allowance_exceeded, linklocal_allowance_exceeded and conntrack_allowance_available, per interface and in total. " +
    "Non-zero counters mean the instance shaped or dropped packets for exceeding an EC2 allowance (medium; high when large). linklocal_allowance_exceeded together with CoreDNS upstream timeouts is the signature of dns.vpc-resolver-throttled. Counters are cumulative since the driver loaded. " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. ` +
    "Next: read_coredns_log (upstream timeouts) and check_resolv_conf for DNS symptoms, inspect_conntrack and read_sysctls for connection-tracking limits.",
  sources: ["ethtool"],
  kinds: KINDS,
  input: {},
  analyze,
});
