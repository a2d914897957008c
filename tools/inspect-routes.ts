import { z } from "zod";
import type { EvidenceLocator } from "../src/domain/finding.ts";
import type { Severity } from "../src/domain/severity.ts";
import type { EvidenceReader } from "../src/toolkit/evidence-reader.ts";
import { draft, fact } from "../src/toolkit/finding-drafts.ts";
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
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

const KINDS = {
  "routes.summary": kind(
    "Policy routing as collected (fact): rule count, per-pod `to <ip> lookup main` and `from <ip> lookup N` rules, tables, per-ENI tables and whether each has a default route, pod host routes in main",
    {
      ruleCount: attr.count("ip rules read"),
      toPodRules: attr.count("per-pod `to <ip> lookup main` rules"),
      fromPodRules: attr.count("per-pod `from <ip> lookup N` rules"),
      routeCount: attr.count("routes read across all tables"),
      tables: attr.numbers("route table ids present, ascending"),
      perEniTables: attr.numbers("per-ENI route table ids (secondary ENIs)"),
      perEniTablesWithDefault: attr.numbers("per-ENI table ids that have a default route"),
      fromRuleTables: attr.numbers("table ids the `from <pod>` rules look up, main excluded"),
      mainRoutes: attr.count("routes in the main table"),
      mainHasDefault: attr.flag("the main table has a default route"),
      podHostRoutes: attr.count("host routes in main through pod veths"),
      podIPsChecked: attr.count("pod IPs checked against the rules and routes"),
      podIPSource: z
        .enum(["input", "checkpoint", "none"])
        .describe("where the pod IPs came from: the podIPs hand-off input, the IPAMD checkpoint, or nowhere"),
      podsOnSecondaryEnis: attr.count("checked pod IPs on a secondary ENI (they need a `from` rule)"),
      enisKnown: attr.count("ENIs known from enis.json"),
    },
  ),
  "routes.pod-rule-missing": kind(
    "Pod IPs from the IPAMD checkpoint (or the podIPs hand-off) without their `to <ip> lookup main` rule, their host route, or (pods on a secondary ENI) their `from <ip> lookup N` rule: evidence for net.policy-routing-broken",
    {
      missingToRule: attr.texts("pod IPs without a `to <ip> lookup main` rule (at most 20)"),
      missingFromRule: attr.texts("pod IPs on a secondary ENI without a `from <ip> lookup N` rule (at most 20)"),
      missingRoute: attr.texts("pod IPs without a host route in main (at most 20)"),
      pods: attr.texts("affected pods, namespace/name or the IP when unnamed (at most 20)"),
      brokenPods: attr.count("pods lacking some of their policy routing"),
      podIPsChecked: attr.count("pod IPs checked"),
      podIPSource: z
        .enum(["input", "checkpoint", "none"])
        .describe("where the pod IPs came from: the podIPs hand-off input, the IPAMD checkpoint, or nowhere"),
      routesChecked: attr.flag("host routes were checked (the main table was captured and non-empty)"),
      fromRulesChecked: attr.flag("`from` rules were checked (ENI membership known from enis.json)"),
    },
  ),
  "routes.eni-table-missing": kind(
    "Rules send pod traffic to a per-ENI table (`from <ip> lookup N`) that has no default route: pods on that secondary ENI cannot leave the node (net.policy-routing-broken)",
    {
      tables: attr.numbers("per-ENI table ids named by pod rules that have no default route"),
      pods: attr.texts("pods (namespace/name, or IP) whose rules look up those tables (at most 20)"),
      affectedPodIPs: attr.count("pod IPs whose rules look up those tables"),
    },
  ),
  "routes.stale-rules": kind(
    "Per-pod rules for IPs the IPAMD checkpoint no longer holds (leftovers of deleted pods) (fact)",
    { ips: attr.texts("IPs with per-pod rules the IPAMD checkpoint no longer holds (at most 20)") },
  ),
  "routes.main-table-empty": kind(
    "The main table carries no routes through the secondary ENIs (or none at all): expected on a multi-ENI node, where each secondary ENI routes through its own table; a red herring on its own (fact)",
    {
      mainRoutes: attr.count("routes in the main table"),
      scope: z
        .enum(["all", "secondary-enis"])
        .describe("all: main is empty; secondary-enis: main has no route through the secondary ENIs"),
      secondaryDevices: attr.texts("secondary ENI devices routed only through their own tables"),
      perEniTables: attr.numbers("per-ENI route table ids"),
    },
  ),
};
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

/** Lists in attributes stay readable on a node with hundreds of pods. */
const SAMPLE_MAX = 20;
/** Two broken pods, or a quarter of those checked, is a node-wide routing fault rather than one pod's race. */
const BROKEN_PODS_HIGH = 2;
const BROKEN_SHARE_HIGH = 0.25;

function sample<T>(items: readonly T[], max = SAMPLE_MAX): T[] {
  return items.slice(0, max);
}

interface PolicyRule {
  table: number | undefined;
  line: number;
  text: string;
}

interface RuleSet {
  usable: boolean;
  count: number;
  /** `from all to <pod> lookup main`, by pod IP. */
  to: Map<string, PolicyRule>;
  /** `from <pod> lookup N`, by pod IP. */
  from: Map<string, PolicyRule>;
}

interface RouteSet {
  usable: boolean;
  count: number;
  tables: Map<number, TableInfo>;
  /** Host routes in main, by destination IP, with their device. */
  hostRoutes: Map<string, string | undefined>;
}

type PodSource = "input" | "checkpoint" | "none";

/** What the node's policy routing holds and which pods it should serve. */
interface Routing {
  rulesPath: string | undefined;
  routesPath: string | undefined;
  rules: RuleSet;
  routes: RouteSet;
  pods: PodIp[] | undefined;
  podSource: PodSource;
  checkpointPath: string | undefined;
  enis: EniRange[];
  main: TableInfo | undefined;
  mainRoutes: number;
  perEniTables: number[];
  /** Tables the `from <pod>` rules look up, main excluded. */
  fromTables: number[];
}

async function readRules(read: EvidenceReader, path: string | undefined): Promise<RuleSet> {
  const rules: RuleSet = { usable: false, count: 0, to: new Map(), from: new Map() };
  if (!path) return rules;
  const ok = await read.scanAt(path, (cursor) => {
    const text = cursor.text();
    const rule = parseIpRule(text);
    if (!rule) return;
    rules.count += 1;
    if (rule.not || rule.action) return;
    // `from <pod> lookup N` (old CNIs: `from <pod> to <VPC CIDR> lookup N`), `from all to <pod> lookup main`.
    if (rule.from !== "all") {
      const ip = hostOf(rule.from);
      if (isIpv4(ip) && !ip.includes("/")) rules.from.set(ip, { table: rule.table, line: cursor.lineNo, text });
    } else if (rule.to !== undefined && rule.fwmark === undefined && rule.iif === undefined) {
      const ip = hostOf(rule.to);
      if (isIpv4(ip)) rules.to.set(ip, { table: rule.table, line: cursor.lineNo, text });
    }
  });
  if (ok && rules.count === 0) read.gap(path, (await read.size(path)) ? "no `ip rule` lines found" : "file is empty");
  rules.usable = ok && rules.count > 0;
  return rules;
}

async function readRoutes(read: EvidenceReader, path: string | undefined): Promise<RouteSet> {
  const routes: RouteSet = { usable: false, count: 0, tables: new Map(), hostRoutes: new Map() };
  if (!path) return routes;
  const ok = await read.scanAt(path, (cursor) => {
    const route = parseIpRoute(cursor.text());
    if (!route) return;
    routes.count += 1;
    let info = routes.tables.get(route.table);
    if (!info) {
      info = { routes: 0, hasDefault: false, devs: new Set() };
      routes.tables.set(route.table, info);
    }
    info.routes += 1;
    if (route.dst === "default" || route.dst === "0.0.0.0/0") info.hasDefault = true;
    if (route.dev) info.devs.add(route.dev);
    // Pod host routes live in main: `10.0.12.77 dev eni1a2b3c4d5e6 scope link`.
    if (route.type === "unicast" && route.table === MAIN_TABLE) {
      const host = hostOf(route.dst);
      if (isIpv4(host)) routes.hostRoutes.set(host, route.dev);
    }
  });
  if (ok && routes.count === 0) read.gap(path, (await read.size(path)) ? "no `ip route` lines found" : "file is empty");
  routes.usable = ok && routes.count > 0;
  return routes;
}

/** Pod IPs: the typed hand-off, else the IPAMD checkpoint. */
async function readPods(
  read: EvidenceReader,
  podIPs: string[] | undefined,
): Promise<Pick<Routing, "pods" | "podSource" | "checkpointPath">> {
  if (podIPs && podIPs.length > 0) {
    const pods = [...new Set(podIPs.map(hostOf).filter(isIpv4))].map((ip) => ({ ip, pod: undefined }));
    return { pods, podSource: "input", checkpointPath: undefined };
  }
  const checkpoint = await read.json("ipamdCheckpoint");
  if (checkpoint.state !== "ok") return { pods: undefined, podSource: "none", checkpointPath: undefined };
  const pods = checkpointPods(checkpoint.value);
  if (pods === undefined) read.gap(checkpoint.path, "not an IPAMD checkpoint (no `allocations` array)");
  return { pods, podSource: pods === undefined ? "none" : "checkpoint", checkpointPath: checkpoint.path };
}

async function readRouting(read: EvidenceReader, podIPs: string[] | undefined): Promise<Routing | undefined> {
  const [rulesPath] = await read.paths("ipRules");
  const [routesPath] = await read.paths("ipRoutes");
  if (!rulesPath && !routesPath) return undefined;
  const rules = await readRules(read, rulesPath);
  const routes = await readRoutes(read, routesPath);
  if (!rules.usable && !routes.usable) return undefined;
  const pods = await readPods(read, podIPs);
  const enisRead = await read.json("ipamdEnis");
  const enis = enisRead.state === "ok" ? eniRanges(enisRead.value) : [];
  const main = routes.tables.get(MAIN_TABLE);
  const perEniTables = [...routes.tables.keys()]
    .filter((t) => t !== MAIN_TABLE && t !== LOCAL_TABLE && t !== DEFAULT_TABLE && t > 0)
    .sort((a, b) => a - b);
  const fromTables = [
    ...new Set(
      [...rules.from.values()].map((r) => r.table).filter((t): t is number => t !== undefined && t !== MAIN_TABLE),
    ),
  ].sort((a, b) => a - b);
  return {
    rulesPath,
    routesPath,
    rules,
    routes,
    ...pods,
    enis,
    main,
    mainRoutes: main?.routes ?? 0,
    perEniTables,
    fromTables,
  };
}

async function analyze(ctx: AnalyzerContext, input: { podIPs?: string[] | undefined }): Promise<FindingDraft[]> {
  const routing = await readRouting(ctx.read, input.podIPs);
  if (!routing) return [];
  const check = checkPods(routing);
  return [
    podRuleFinding(routing, check),
    eniTableFinding(routing, check),
    staleRulesFinding(routing),
    mainTableFinding(routing),
    summaryFinding(routing, check),
  ].filter((d): d is FindingDraft => d !== undefined);
}

/** Each pod IP held against the rules and routes it needs. */
interface PodCheck {
  missingTo: string[];
  missingRoute: string[];
  missingFrom: string[];
  /** Pod names (or IPs) with anything missing. */
  affectedPods: Set<string>;
  podByIp: Map<string, PodIp>;
  /** Whether host routes were judged: only when main was captured. */
  routesCheckable: boolean;
  /** Pods on a secondary ENI, which need a `from <ip>` rule. */
  needFrom: number;
  checked: number;
}

function checkPods(routing: Routing): PodCheck {
  const { rules, routes, enis } = routing;
  const check: PodCheck = {
    missingTo: [],
    missingRoute: [],
    missingFrom: [],
    affectedPods: new Set(),
    podByIp: new Map(),
    // An empty main table is a red herring on its own: pod host routes are only judged when main was captured.
    routesCheckable: routes.usable && routing.mainRoutes > 0,
    needFrom: 0,
    checked: routing.pods?.length ?? 0,
  };
  for (const pod of routing.pods ?? []) {
    check.podByIp.set(pod.ip, pod);
    let broken = false;
    if (rules.usable) {
      const rule = rules.to.get(pod.ip);
      if (!rule || (rule.table !== undefined && rule.table !== MAIN_TABLE)) {
        check.missingTo.push(pod.ip);
        broken = true;
      }
      const eni = eniOf(pod.ip, enis);
      if (eni && !eni.primary) {
        check.needFrom += 1;
        if (!rules.from.has(pod.ip)) {
          check.missingFrom.push(pod.ip);
          broken = true;
        }
      }
    }
    if (check.routesCheckable && !routes.hostRoutes.has(pod.ip)) {
      check.missingRoute.push(pod.ip);
      broken = true;
    }
    if (broken) check.affectedPods.add(pod.pod ?? pod.ip);
  }
  return check;
}

function ruleLocator(routing: Routing, excerpt: string): EvidenceLocator {
  return makeLocator(routing.rulesPath ?? routing.routesPath ?? "", undefined, undefined, excerpt);
}

function routeLocator(routing: Routing, excerpt: string): EvidenceLocator {
  return makeLocator(routing.routesPath ?? routing.rulesPath ?? "", undefined, undefined, excerpt);
}

function podRuleFinding(routing: Routing, check: PodCheck): FindingDraft | undefined {
  const { missingTo, missingFrom, missingRoute, affectedPods, checked } = check;
  if (affectedPods.size === 0) return undefined;
  const broken = affectedPods.size;
  const severity: Severity =
    broken >= BROKEN_PODS_HIGH || (checked > 0 && broken / checked >= BROKEN_SHARE_HIGH) ? "high" : "medium";
  const parts: string[] = [];
  if (missingTo.length) parts.push(`${missingTo.length} without a \`to <ip> lookup main\` rule`);
  if (missingFrom.length)
    parts.push(`${missingFrom.length} on a secondary ENI without a \`from <ip> lookup <table>\` rule`);
  if (missingRoute.length) parts.push(`${missingRoute.length} without a host route`);
  return draft({
    kind: "routes.pod-rule-missing",
    severity,
    summary: `${broken} of ${checked} pod IPs lack their policy routing: ${parts.join(", ")}`,
    evidence: firstBrokenPodEvidence(routing, check),
    count: broken,
    attributes: {
      missingToRule: sample(missingTo),
      missingFromRule: sample(missingFrom),
      missingRoute: sample(missingRoute),
      pods: sample([...affectedPods]),
      brokenPods: broken,
      podIPsChecked: checked,
      podIPSource: routing.podSource,
      routesChecked: check.routesCheckable,
      fromRulesChecked: routing.enis.length > 0,
    },
    correlateWith: CORRELATE,
  });
}

/** The first broken pod's allocation and what it lacks. */
function firstBrokenPodEvidence(routing: Routing, check: PodCheck): EvidenceLocator[] {
  const { missingTo, missingFrom, missingRoute } = check;
  const evidence: EvidenceLocator[] = [];
  const first = missingTo[0] ?? missingFrom[0] ?? missingRoute[0];
  if (first === undefined) return evidence;
  const who = check.podByIp.get(first)?.pod;
  if (routing.checkpointPath)
    evidence.push(
      makeLocator(
        routing.checkpointPath,
        undefined,
        undefined,
        `allocation ${first}${who ? ` (${who})` : ""} in the IPAMD checkpoint`,
      ),
    );
  if (missingTo.includes(first))
    evidence.push(ruleLocator(routing, `no \`to ${first} lookup main\` rule among ${routing.rules.count} rules`));
  else if (missingFrom.includes(first))
    evidence.push(ruleLocator(routing, `no \`from ${first} lookup <table>\` rule for a pod on a secondary ENI`));
  if (missingRoute.includes(first))
    evidence.push(routeLocator(routing, `no host route to ${first} in the main table (${routing.mainRoutes} routes)`));
  return evidence;
}

/** Per-ENI tables named by pod rules must route somewhere. */
function eniTableFinding(routing: Routing, check: PodCheck): FindingDraft | undefined {
  const { rules, routes, rulesPath } = routing;
  if (!rules.usable || !routes.usable) return undefined;
  const tablesWithoutDefault = routing.fromTables.filter((t) => !routes.tables.get(t)?.hasDefault);
  if (tablesWithoutDefault.length === 0) return undefined;
  const podsThere = [...rules.from]
    .filter(([, r]) => r.table !== undefined && tablesWithoutDefault.includes(r.table))
    .map(([ip]) => check.podByIp.get(ip)?.pod ?? ip);
  const firstRule = [...rules.from.values()].find(
    (r) => r.table !== undefined && tablesWithoutDefault.includes(r.table),
  );
  const evidence: EvidenceLocator[] = [];
  if (firstRule && rulesPath) evidence.push(makeLocator(rulesPath, firstRule.line, undefined, firstRule.text));
  const one = tablesWithoutDefault.length === 1;
  evidence.push(routeLocator(routing, `no default route in table${one ? "" : "s"} ${tablesWithoutDefault.join(", ")}`));
  return draft({
    kind: "routes.eni-table-missing",
    severity: "high",
    summary: `Pod rules look up table${one ? "" : "s"} ${tablesWithoutDefault.join(", ")}, which ha${one ? "s" : "ve"} no default route: ${podsThere.length} pod IP${podsThere.length === 1 ? "" : "s"} on secondary ENIs cannot leave the node`,
    evidence,
    count: podsThere.length,
    attributes: { tables: tablesWithoutDefault, pods: sample(podsThere), affectedPodIPs: podsThere.length },
    correlateWith: CORRELATE,
  });
}

/** Rules of pods that are gone: only the checkpoint says which pods the node still holds. */
function staleRulesFinding(routing: Routing): FindingDraft | undefined {
  const { pods, rules } = routing;
  if (!pods || routing.podSource !== "checkpoint" || !rules.usable) return undefined;
  const known = new Set(pods.map((p) => p.ip));
  const stale = [...new Set([...rules.to.keys(), ...rules.from.keys()])].filter((ip) => !known.has(ip));
  if (stale.length === 0) return undefined;
  return draft({
    kind: "routes.stale-rules",
    severity: "info",
    summary: `${stale.length} per-pod rule${stale.length === 1 ? "" : "s"} name IPs the IPAMD checkpoint does not hold (leftovers of deleted pods)`,
    evidence: [ruleLocator(routing, `rules for ${sample(stale, 5).join(", ")}`)],
    count: stale.length,
    attributes: { ips: sample(stale) },
    correlateWith: ["inspect_ipamd_state"],
  });
}

/** The main table on a multi-ENI node: a fact, so that nobody blames it. */
function mainTableFinding(routing: Routing): FindingDraft | undefined {
  const { routes, perEniTables, mainRoutes } = routing;
  if (!routes.usable) return undefined;
  const secondaryDevs = new Set<string>();
  for (const t of perEniTables) for (const dev of routes.tables.get(t)?.devs ?? []) secondaryDevs.add(dev);
  for (const dev of routing.main?.devs ?? []) secondaryDevs.delete(dev);
  if (mainRoutes !== 0 && (perEniTables.length === 0 || secondaryDevs.size === 0)) return undefined;
  const devs = [...secondaryDevs].sort();
  return fact(
    "routes.main-table-empty",
    mainRoutes === 0
      ? "The main route table is empty in the collected output; on its own this explains nothing (pods on secondary ENIs route through their own tables)"
      : `The main table has no routes through ${devs.join(", ")}: expected on a multi-ENI node, where each secondary ENI routes through its own table`,
    { mainRoutes, scope: mainRoutes === 0 ? "all" : "secondary-enis", secondaryDevices: devs, perEniTables },
    [
      routeLocator(
        routing,
        mainRoutes === 0
          ? "no route without a `table` in `ip route show table all`"
          : `routes via ${devs.join(", ")} only in tables ${perEniTables.join(", ")}`,
      ),
    ],
  );
}

/** The summary: always, when anything was readable. */
function summaryFinding(routing: Routing, check: PodCheck): FindingDraft {
  const { rules, routes, perEniTables, rulesPath, routesPath } = routing;
  const { tables } = routes;
  const { checked } = check;
  const podRoutes = [...routes.hostRoutes.values()].filter(
    (dev) => dev !== undefined && !/^(eth|ens|enp|lo)/.test(dev),
  ).length;
  return draft({
    kind: "routes.summary",
    severity: "info",
    summary:
      `${rules.count} ip rules (${rules.to.size} to-pod, ${rules.from.size} from-pod), ${tables.size} route tables` +
      (perEniTables.length
        ? ` incl. per-ENI table${perEniTables.length === 1 ? "" : "s"} ${perEniTables.join(", ")}`
        : "") +
      (checked
        ? `; ${checked} pod IPs checked (${routing.podSource})`
        : "; no pod IPs to check against (no checkpoint, no podIPs input)"),
    evidence: [
      ...(rulesPath && rules.usable ? [makeLocator(rulesPath, undefined, undefined, `${rules.count} rules`)] : []),
      ...(routesPath && routes.usable
        ? [makeLocator(routesPath, undefined, undefined, `${routes.count} routes in ${tables.size} tables`)]
        : []),
    ],
    count: rules.count,
    attributes: {
      ruleCount: rules.count,
      toPodRules: rules.to.size,
      fromPodRules: rules.from.size,
      routeCount: routes.count,
      tables: [...tables.keys()].sort((a, b) => a - b),
      perEniTables,
      perEniTablesWithDefault: perEniTables.filter((t) => tables.get(t)?.hasDefault),
      fromRuleTables: routing.fromTables,
      mainRoutes: routing.mainRoutes,
      mainHasDefault: routing.main?.hasDefault ?? false,
      podHostRoutes: podRoutes,
      podIPsChecked: checked,
      podIPSource: routing.podSource,
      podsOnSecondaryEnis: check.needFrom,
      enisKnown: routing.enis.length,
    },
    correlateWith: CORRELATE,
  });
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
