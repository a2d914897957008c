import { z } from "zod";
import type { EvidenceLocator } from "../src/domain/finding.ts";
import type { Severity } from "../src/domain/severity.ts";
import { makeLocator } from "../src/toolkit/occurrences.ts";
import {
  cidrContainsIp,
  hostOf,
  isIpv4,
  LOCAL_TABLE,
  MAIN_TABLE,
  DEFAULT_TABLE,
  parseIpRoute,
  parseIpRule,
} from "../src/toolkit/parse-ip-route.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";

const KINDS = {
  "routes.summary":
    "Policy routing as collected (fact): rule count, per-pod `to <ip> lookup main` and `from <ip> lookup N` rules, tables, per-ENI tables and whether each has a default route, pod host routes in main",
  "routes.pod-rule-missing":
    "Pod IPs from the IPAMD checkpoint (or the podIPs hand-off) without their `to <ip> lookup main` rule, their host route, or (pods on a secondary ENI) their `from <ip> lookup N` rule: evidence for net.policy-routing-broken",
  "routes.eni-table-missing":
    "Rules send pod traffic to a per-ENI table (`from <ip> lookup N`) that has no default route: pods on that secondary ENI cannot leave the node (net.policy-routing-broken)",
  "routes.stale-rules": "Per-pod rules for IPs the IPAMD checkpoint no longer holds (leftovers of deleted pods) (fact)",
  "routes.main-table-empty":
    "The main table carries no routes through the secondary ENIs (or none at all): expected on a multi-ENI node, where each secondary ENI routes through its own table; a red herring on its own (fact)",
} as const;
type Kind = keyof typeof KINDS;

const CORRELATE = [
  "inspect_ipamd_state",
  "read_ipamd_log",
  "read_cni_plugin_log",
  "read_cni_config",
  "read_system_messages",
];

interface PodIp {
  ip: string;
  pod: string | undefined;
}

interface EniRange {
  id: string;
  primary: boolean;
  device: number | undefined;
  /** Addresses and prefixes the ENI holds (`10.0.1.23/32`, `10.0.1.32/28`, bare addresses). */
  ranges: string[];
}

interface TableInfo {
  routes: number;
  hasDefault: boolean;
  devs: Set<string>;
}

/** Pod → IP allocations of the IPAMD checkpoint `{"version":"vpc-cni-ipam/1","allocations":[{"containerID","ifName","ipv4","metadata":{…}}]}`. */
function checkpointPods(value: unknown): PodIp[] | undefined {
  if (!value || typeof value !== "object") return undefined;
  const allocations = (value as { allocations?: unknown }).allocations;
  if (!Array.isArray(allocations)) return undefined;
  const pods: PodIp[] = [];
  for (const entry of allocations) {
    if (!entry || typeof entry !== "object") continue;
    const record = entry as { ipv4?: unknown; metadata?: { k8sPodNamespace?: unknown; k8sPodName?: unknown } };
    const ip = typeof record.ipv4 === "string" ? hostOf(record.ipv4) : undefined;
    if (!ip || !isIpv4(ip)) continue;
    const ns = record.metadata?.k8sPodNamespace;
    const name = record.metadata?.k8sPodName;
    pods.push({ ip, pod: typeof ns === "string" && typeof name === "string" ? `${ns}/${name}` : undefined });
  }
  return pods;
}

/**
 * ENIs of IPAMD `/v1/enis` in any of its shapes (keyed by network card since v1.20, one object before,
 * `ENIIPPools` on very old CNIs): any object with `IsPrimary` and its addresses or prefixes.
 */
function eniRanges(value: unknown): EniRange[] {
  const out: EniRange[] = [];
  const visit = (node: unknown, depth: number): void => {
    if (!node || typeof node !== "object" || depth > 6) return;
    const obj = node as Record<string, unknown>;
    if (
      typeof obj.IsPrimary === "boolean" &&
      (obj.AvailableIPv4Cidrs !== undefined || obj.IPv4Addresses !== undefined)
    ) {
      const ranges: string[] = [];
      for (const field of ["AvailableIPv4Cidrs", "IPv4Addresses"]) {
        const map = obj[field];
        if (map && typeof map === "object" && !Array.isArray(map)) ranges.push(...Object.keys(map));
      }
      out.push({
        id: typeof obj.ID === "string" ? obj.ID : "?",
        primary: obj.IsPrimary,
        device: typeof obj.DeviceNumber === "number" ? obj.DeviceNumber : undefined,
        ranges,
      });
      return;
    }
    for (const child of Object.values(obj)) visit(child, depth + 1);
  };
  visit(value, 0);
  return out;
}

function eniOf(ip: string, enis: readonly EniRange[]): EniRange | undefined {
  return enis.find((eni) => eni.ranges.some((range) => cidrContainsIp(range, ip)));
}

function sample<T>(items: readonly T[], max = 20): T[] {
  return items.slice(0, max);
}

async function analyze(ctx: AnalyzerContext, input: { podIPs?: string[] | undefined }): Promise<FindingDraft[]> {
  const [rulesPath] = await ctx.read.paths("ipRules");
  const [routesPath] = await ctx.read.paths("ipRoutes");
  if (!rulesPath && !routesPath) return [];

  // --- ip rule show
  let ruleCount = 0;
  const toRules = new Map<string, { table: number | undefined; line: number; text: string }>();
  const fromRules = new Map<string, { table: number | undefined; line: number; text: string }>();
  let rulesUsable = false;
  if (rulesPath) {
    const ok = await ctx.read.scanAt(rulesPath, (cursor) => {
      const text = cursor.text();
      const rule = parseIpRule(text);
      if (!rule) return;
      ruleCount += 1;
      if (rule.not || rule.action) return;
      // `from <pod> lookup N` (old CNIs: `from <pod> to <VPC CIDR> lookup N`), `from all to <pod> lookup main`.
      if (rule.from !== "all") {
        const ip = hostOf(rule.from);
        if (isIpv4(ip) && !ip.includes("/")) fromRules.set(ip, { table: rule.table, line: cursor.lineNo, text });
      } else if (rule.to !== undefined && rule.fwmark === undefined && rule.iif === undefined) {
        const ip = hostOf(rule.to);
        if (isIpv4(ip)) toRules.set(ip, { table: rule.table, line: cursor.lineNo, text });
      }
    });
    if (ok && ruleCount === 0)
      ctx.read.gap(rulesPath, (await ctx.read.size(rulesPath)) ? "no `ip rule` lines found" : "file is empty");
    rulesUsable = ok && ruleCount > 0;
  }

  // --- ip route show table all
  const tables = new Map<number, TableInfo>();
  const hostRoutes = new Map<string, string | undefined>();
  let routeCount = 0;
  let routesUsable = false;
  if (routesPath) {
    const ok = await ctx.read.scanAt(routesPath, (cursor) => {
      const route = parseIpRoute(cursor.text());
      if (!route) return;
      routeCount += 1;
      let info = tables.get(route.table);
      if (!info) {
        info = { routes: 0, hasDefault: false, devs: new Set() };
        tables.set(route.table, info);
      }
      info.routes += 1;
      if (route.dst === "default" || route.dst === "0.0.0.0/0") info.hasDefault = true;
      if (route.dev) info.devs.add(route.dev);
      // Pod host routes live in main: `10.0.12.77 dev eni1a2b3c4d5e6 scope link`.
      if (route.type === "unicast" && route.table === MAIN_TABLE) {
        const host = hostOf(route.dst);
        if (isIpv4(host)) hostRoutes.set(host, route.dev);
      }
    });
    if (ok && routeCount === 0)
      ctx.read.gap(routesPath, (await ctx.read.size(routesPath)) ? "no `ip route` lines found" : "file is empty");
    routesUsable = ok && routeCount > 0;
  }
  if (!rulesUsable && !routesUsable) return [];

  // --- pod IPs: the typed hand-off, else the IPAMD checkpoint
  let pods: PodIp[] | undefined;
  let podSource: "input" | "checkpoint" | "none" = "none";
  let checkpointPath: string | undefined;
  if (input.podIPs && input.podIPs.length > 0) {
    pods = [...new Set(input.podIPs.map(hostOf).filter(isIpv4))].map((ip) => ({ ip, pod: undefined }));
    podSource = "input";
  } else {
    const checkpoint = await ctx.read.json("ipamdCheckpoint");
    if (checkpoint.state === "ok") {
      checkpointPath = checkpoint.path;
      pods = checkpointPods(checkpoint.value);
      if (pods === undefined) ctx.read.gap(checkpoint.path, "not an IPAMD checkpoint (no `allocations` array)");
      else podSource = "checkpoint";
    }
  }
  const enisRead = await ctx.read.json("ipamdEnis");
  const enis = enisRead.state === "ok" ? eniRanges(enisRead.value) : [];

  const main = tables.get(MAIN_TABLE);
  const mainRoutes = main?.routes ?? 0;
  const perEniTables = [...tables.keys()]
    .filter((t) => t !== MAIN_TABLE && t !== LOCAL_TABLE && t !== DEFAULT_TABLE && t > 0)
    .sort((a, b) => a - b);
  const fromTables = [
    ...new Set(
      [...fromRules.values()].map((r) => r.table).filter((t): t is number => t !== undefined && t !== MAIN_TABLE),
    ),
  ].sort((a, b) => a - b);
  const findings: FindingDraft[] = [];
  const ruleLocator = (excerpt: string): EvidenceLocator =>
    makeLocator(rulesPath ?? routesPath ?? "", undefined, undefined, excerpt);
  const routeLocator = (excerpt: string): EvidenceLocator =>
    makeLocator(routesPath ?? rulesPath ?? "", undefined, undefined, excerpt);

  // --- per-pod checks
  const missingTo: string[] = [];
  const missingRoute: string[] = [];
  const missingFrom: string[] = [];
  const affectedPods = new Set<string>();
  const podByIp = new Map<string, PodIp>();
  const routesCheckable = routesUsable && mainRoutes > 0;
  let needFrom = 0;
  for (const pod of pods ?? []) {
    podByIp.set(pod.ip, pod);
    let broken = false;
    if (rulesUsable) {
      const rule = toRules.get(pod.ip);
      if (!rule || (rule.table !== undefined && rule.table !== MAIN_TABLE)) {
        missingTo.push(pod.ip);
        broken = true;
      }
      const eni = eniOf(pod.ip, enis);
      if (eni && !eni.primary) {
        needFrom += 1;
        if (!fromRules.has(pod.ip)) {
          missingFrom.push(pod.ip);
          broken = true;
        }
      }
    }
    // An empty main table is a red herring on its own: pod host routes are only judged when main was captured.
    if (routesCheckable && !hostRoutes.has(pod.ip)) {
      missingRoute.push(pod.ip);
      broken = true;
    }
    if (broken) affectedPods.add(pod.pod ?? pod.ip);
  }

  const checked = pods?.length ?? 0;
  if (affectedPods.size > 0) {
    const broken = affectedPods.size;
    const severity: Severity = broken >= 2 || (checked > 0 && broken / checked >= 0.25) ? "high" : "medium";
    const parts: string[] = [];
    if (missingTo.length) parts.push(`${missingTo.length} without a \`to <ip> lookup main\` rule`);
    if (missingFrom.length)
      parts.push(`${missingFrom.length} on a secondary ENI without a \`from <ip> lookup <table>\` rule`);
    if (missingRoute.length) parts.push(`${missingRoute.length} without a host route`);
    const evidence: EvidenceLocator[] = [];
    const first = missingTo[0] ?? missingFrom[0] ?? missingRoute[0];
    if (first !== undefined) {
      const who = podByIp.get(first)?.pod;
      if (checkpointPath)
        evidence.push(
          makeLocator(
            checkpointPath,
            undefined,
            undefined,
            `allocation ${first}${who ? ` (${who})` : ""} in the IPAMD checkpoint`,
          ),
        );
      if (missingTo.includes(first))
        evidence.push(ruleLocator(`no \`to ${first} lookup main\` rule among ${ruleCount} rules`));
      else if (missingFrom.includes(first))
        evidence.push(ruleLocator(`no \`from ${first} lookup <table>\` rule for a pod on a secondary ENI`));
      if (missingRoute.includes(first))
        evidence.push(routeLocator(`no host route to ${first} in the main table (${mainRoutes} routes)`));
    }
    findings.push({
      kind: "routes.pod-rule-missing",
      severity,
      summary: `${broken} of ${checked} pod IPs lack their policy routing: ${parts.join(", ")}`,
      evidence,
      count: broken,
      attributes: {
        missingToRule: sample(missingTo),
        missingFromRule: sample(missingFrom),
        missingRoute: sample(missingRoute),
        pods: sample([...affectedPods]),
        brokenPods: broken,
        podIPsChecked: checked,
        podIPSource: podSource,
        routesChecked: routesCheckable,
        fromRulesChecked: enis.length > 0,
      },
      correlateWith: CORRELATE,
    });
  }

  // --- per-ENI tables named by pod rules must route somewhere
  if (rulesUsable && routesUsable) {
    const tablesWithoutDefault = fromTables.filter((t) => !tables.get(t)?.hasDefault);
    if (tablesWithoutDefault.length > 0) {
      const podsThere = [...fromRules]
        .filter(([, r]) => r.table !== undefined && tablesWithoutDefault.includes(r.table))
        .map(([ip]) => podByIp.get(ip)?.pod ?? ip);
      const firstRule = [...fromRules.values()].find(
        (r) => r.table !== undefined && tablesWithoutDefault.includes(r.table),
      );
      const evidence: EvidenceLocator[] = [];
      if (firstRule && rulesPath) evidence.push(makeLocator(rulesPath, firstRule.line, undefined, firstRule.text));
      evidence.push(
        routeLocator(
          `no default route in table${tablesWithoutDefault.length === 1 ? "" : "s"} ${tablesWithoutDefault.join(", ")}`,
        ),
      );
      findings.push({
        kind: "routes.eni-table-missing",
        severity: "high",
        summary: `Pod rules look up table${tablesWithoutDefault.length === 1 ? "" : "s"} ${tablesWithoutDefault.join(", ")}, which ha${tablesWithoutDefault.length === 1 ? "s" : "ve"} no default route: ${podsThere.length} pod IP${podsThere.length === 1 ? "" : "s"} on secondary ENIs cannot leave the node`,
        evidence,
        count: podsThere.length,
        attributes: { tables: tablesWithoutDefault, pods: sample(podsThere), affectedPodIPs: podsThere.length },
        correlateWith: CORRELATE,
      });
    }
  }

  // --- rules of pods that are gone
  if (pods && podSource === "checkpoint" && rulesUsable) {
    const known = new Set(pods.map((p) => p.ip));
    const stale = [...new Set([...toRules.keys(), ...fromRules.keys()])].filter((ip) => !known.has(ip));
    if (stale.length > 0) {
      findings.push({
        kind: "routes.stale-rules",
        severity: "info",
        summary: `${stale.length} per-pod rule${stale.length === 1 ? "" : "s"} name IPs the IPAMD checkpoint does not hold (leftovers of deleted pods)`,
        evidence: [ruleLocator(`rules for ${sample(stale, 5).join(", ")}`)],
        count: stale.length,
        attributes: { ips: sample(stale) },
        correlateWith: ["inspect_ipamd_state"],
      });
    }
  }

  // --- the main table on a multi-ENI node
  if (routesUsable) {
    const secondaryDevs = new Set<string>();
    for (const t of perEniTables) for (const dev of tables.get(t)?.devs ?? []) secondaryDevs.add(dev);
    for (const dev of main?.devs ?? []) secondaryDevs.delete(dev);
    if (mainRoutes === 0 || (perEniTables.length > 0 && secondaryDevs.size > 0)) {
      findings.push({
        kind: "routes.main-table-empty",
        severity: "info",
        summary:
          mainRoutes === 0
            ? "The main route table is empty in the collected output; on its own this explains nothing (pods on secondary ENIs route through their own tables)"
            : `The main table has no routes through ${[...secondaryDevs].sort().join(", ")}: expected on a multi-ENI node, where each secondary ENI routes through its own table`,
        evidence: [
          routeLocator(
            mainRoutes === 0
              ? "no route without a `table` in `ip route show table all`"
              : `routes via ${[...secondaryDevs].sort().join(", ")} only in tables ${perEniTables.join(", ")}`,
          ),
        ],
        count: 1,
        attributes: {
          mainRoutes,
          scope: mainRoutes === 0 ? "all" : "secondary-enis",
          secondaryDevices: [...secondaryDevs].sort(),
          perEniTables,
        },
        correlateWith: [],
      });
    }
  }

  // --- the summary (always, when anything was readable)
  const podRoutes = [...hostRoutes.values()].filter(
    (dev) => dev !== undefined && !/^(eth|ens|enp|lo)/.test(dev),
  ).length;
  findings.push({
    kind: "routes.summary",
    severity: "info",
    summary:
      `${ruleCount} ip rules (${toRules.size} to-pod, ${fromRules.size} from-pod), ${tables.size} route tables` +
      (perEniTables.length
        ? ` incl. per-ENI table${perEniTables.length === 1 ? "" : "s"} ${perEniTables.join(", ")}`
        : "") +
      (checked
        ? `; ${checked} pod IPs checked (${podSource})`
        : "; no pod IPs to check against (no checkpoint, no podIPs input)"),
    evidence: [
      ...(rulesPath && rulesUsable ? [makeLocator(rulesPath, undefined, undefined, `${ruleCount} rules`)] : []),
      ...(routesPath && routesUsable
        ? [makeLocator(routesPath, undefined, undefined, `${routeCount} routes in ${tables.size} tables`)]
        : []),
    ],
    count: ruleCount,
    attributes: {
      ruleCount,
      toPodRules: toRules.size,
      fromPodRules: fromRules.size,
      routeCount,
      tables: [...tables.keys()].sort((a, b) => a - b),
      perEniTables,
      perEniTablesWithDefault: perEniTables.filter((t) => tables.get(t)?.hasDefault),
      fromRuleTables: fromTables,
      mainRoutes,
      mainHasDefault: main?.hasDefault ?? false,
      podHostRoutes: podRoutes,
      podIPsChecked: checked,
      podIPSource: podSource,
      podsOnSecondaryEnis: needFrom,
      enisKnown: enis.length,
    },
    correlateWith: CORRELATE,
  });
  return findings;
}

export const inspectRoutes = defineTool({
  name: "inspect_routes",
  title: "Policy routing (ip rule / ip route)",
  lane: "network",
  description:
    "Reads `ip rule show` (networking/iprule.txt) and `ip route show table all` (networking/iproute.txt) and checks the VPC CNI's policy routing against the pods IPAMD placed on the node: " +
    "every pod IP needs `to <ip> lookup main` (priority 512) and a host route to its veth; pods on a secondary ENI also need `from <ip> lookup <table>` (priority 1536) and that table needs a default route via the ENI. " +
    "Pod IPs come from the `podIPs` input (inspect_ipamd_state's hand-off) or else from the IPAMD checkpoint ipamd/ipam.json; ENI membership from ipamd/enis.json when present. " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. An empty main table on a multi-ENI node is reported as a fact only. ` +
    "Next: inspect_ipamd_state and read_ipamd_log (why rules were not programmed), read_cni_plugin_log (failed ADDs), read_system_messages (a systemd-networkd restart flushes foreign rules), read_cni_config.",
  sources: ["ipRules", "ipRoutes", "ipamdCheckpoint", "ipamdEnis"],
  kinds: KINDS,
  input: {
    podIPs: z
      .array(z.string().min(1).max(64))
      .max(5000)
      .optional()
      .describe(
        "Pod IPv4 addresses to check (hand-off: attribute `podIPs` of inspect_ipamd_state's pod-IP finding); defaults to the allocations in ipamd/ipam.json",
      ),
  },
  analyze,
});

export type { Kind as RouteFindingKind };
