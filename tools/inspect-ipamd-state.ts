import { z } from "zod";
import type { EvidenceLocator } from "../src/domain/finding.ts";
import { downgrade, type Severity } from "../src/domain/severity.ts";
import type { ArtifactName } from "../src/evidence/layout.ts";
import { splitLines } from "../src/evidence/lines.ts";
import type { EvidenceReader } from "../src/toolkit/evidence-reader.ts";
import { draft } from "../src/toolkit/finding-drafts.ts";
import { makeLocator } from "../src/toolkit/occurrences.ts";
import {
  parseCheckpoint,
  parseEnis,
  parseEnvSettings,
  type CniSettings,
  type IpamCheckpoint,
  type IpamdPool,
} from "../src/toolkit/parse-ipamd-state.ts";
import { parsePrometheusText, samplesOf, sumOf, type MetricSample } from "../src/toolkit/parse-prometheus.ts";
import { ec2ErrorClass, type Ec2ErrorClass } from "../src/toolkit/parse-vpc-cni-log.ts";
import { humanDuration, STALE_AFTER_MS } from "../src/toolkit/recency.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

const KINDS = {
  "ipamd.pool": kind(
    "Fact: the node's IPv4 pool at collection (total, assigned, free, ENIs attached vs max, per-ENI counts, prefix mode); free addresses argue against cni.subnet-exhausted and cni.node-ip-capacity",
    {
      source: z
        .enum(["enis.json", "metrics"])
        .describe("where the pool numbers came from: introspection enis.json, or the Prometheus metrics"),
      totalIps: attr.number(
        "IPv4 addresses in the pool (under prefix delegation, addresses inside /28 prefixes only)",
        "addresses",
      ),
      assignedIps: attr.number("pool addresses assigned to pods", "addresses"),
      freeIps: attr.number("pool addresses not assigned (total − assigned, floored at 0)", "addresses"),
      prefixMode: attr.flag("prefix delegation is on (from settings, else inferred from attached prefixes)"),
      prefixes: attr.number("IPv4 /28 prefixes attached", "prefixes"),
      ipv6: attr.flag(
        "the node runs IPv6 pods (ENABLE_IPv6 or IPv6 prefixes attached); the IPv4 pool then says nothing",
      ),
      noAvailableIpCount: attr.number(
        "failed pod address assignments IPAMD counted (awscni_no_available_ip_addresses, cumulative)",
        "assignments",
      ),
      enisAttached: attr.number("ENIs attached to the instance", "ENIs"),
      maxEnis: attr.number("ENIs the instance can hold (awscni_eni_max, else MAX_ENI)", "ENIs"),
      atMaxEnis: attr.flag("every ENI the instance allows is attached"),
      atCapacity: attr.flag(
        "every ENI is attached and holds every address it can (awscni_ip_max): the node cannot address more pods",
      ),
      unusableSecondaryIps: attr.number(
        "secondary /32 addresses IPAMD holds but does not hand to new pods under prefix delegation",
        "addresses",
      ),
      ipCapacity: attr.number("addresses the attachable ENIs can hold (awscni_ip_max)", "addresses"),
      shape: z.enum(["by-network-card", "flat", "legacy"]).describe("which /v1/enis JSON shape enis.json had"),
      networkCards: attr.count("network cards in enis.json"),
      eniIds: attr.texts("IDs of the attached ENIs"),
      perEni: attr.texts(
        "per-ENI summary: `eni-id [primary] [trunk] card N dev N: assigned/total assigned [(N prefixes)] [subnet]`",
      ),
      subnetIds: attr.texts("subnet IDs of the attached ENIs"),
      checkpointAllocations: attr.count("pod allocations in the ipam.json checkpoint"),
      ipamdErrorCount: attr.number("IPAMD internal errors counted (awscni_ipamd_error_count, cumulative)", "errors"),
      maxPods: attr.count("the kubelet's maxPods (input from read_kubelet_config)"),
      maxPodsWithinCapacity: attr.flag("maxPods ≤ ENI address capacity (awscni_ip_max) + 2 host-network pods"),
    },
  ),
  "ipamd.pool-exhausted": kind(
    "Every pooled address is assigned (assigned == total > 0); high when IPAMD also counted failed assignments (awscni_no_available_ip_addresses); `atMaxEnis` says whether the pool could still grow",
    {
      totalIps: attr.number("IPv4 addresses in the pool", "addresses"),
      assignedIps: attr.number("pool addresses assigned to pods", "addresses"),
      atMaxEnis: attr.nullable(
        attr.flag("every ENI the instance allows is attached; null when the ENI limit is unknown"),
      ),
      atCapacity: attr.nullable(
        attr.flag("all ENIs attached and full (awscni_ip_max); null when the ENI limit is unknown"),
      ),
      enisAttached: attr.nullable(attr.number("ENIs attached; null when unknown", "ENIs")),
      maxEnis: attr.nullable(attr.number("ENIs the instance can hold; null when unknown", "ENIs")),
      noAvailableIpCount: attr.number(
        "failed pod address assignments IPAMD counted (awscni_no_available_ip_addresses, cumulative)",
        "assignments",
      ),
      snapshotAfterWindow: attr.flag(
        "the state was collected well after the incident window's end (severity downgraded)",
      ),
    },
  ),
  "ipamd.at-max-enis": kind(
    "All the ENIs the instance can hold are attached (awscni_eni_allocated == awscni_eni_max); high only when they also hold every address they can (awscni_ip_max) and all are in use (cni.node-ip-capacity); info otherwise (`atCapacity` says which)",
    {
      enisAttached: attr.nullable(attr.number("ENIs attached; null when unknown", "ENIs")),
      maxEnis: attr.nullable(attr.number("ENIs the instance can hold; null when unknown", "ENIs")),
      freeIps: attr.number("pool addresses not assigned", "addresses"),
      totalIps: attr.number("IPv4 addresses in the pool", "addresses"),
      ipCapacity: attr.nullable(
        attr.number("addresses the ENIs can hold (awscni_ip_max); null when not in the metrics", "addresses"),
      ),
      atCapacity: attr.nullable(attr.flag("the attached ENIs hold every address they can; null when unknown")),
      snapshotAfterWindow: attr.flag(
        "the state was collected well after the incident window's end (severity downgraded)",
      ),
    },
  ),
  "ipamd.no-ips-no-enis": kind(
    "IPAMD holds no IPv4 address for pods (TotalIPs 0, or no ENI at all): with EC2 subnet errors in ipamd.log this is cni.subnet-exhausted (no /28 under prefix delegation); otherwise IPAMD could not initialise",
    {
      totalIps: attr.number("IPv4 addresses in the pool (always 0 here)", "addresses"),
      enisAttached: attr.nullable(attr.number("ENIs attached; null when unknown", "ENIs")),
      prefixMode: attr.flag("prefix delegation is on"),
      atMaxEnis: attr.nullable(
        attr.flag("every ENI the instance allows is attached; null when the ENI limit is unknown"),
      ),
      noAvailableIpCount: attr.number(
        "failed pod address assignments IPAMD counted (awscni_no_available_ip_addresses, cumulative)",
        "assignments",
      ),
      snapshotAfterWindow: attr.flag(
        "the state was collected well after the incident window's end (severity downgraded)",
      ),
    },
  ),
  "ipamd.max-pods-above-capacity": kind(
    "The kubelet's maxPods (input `maxPods` from read_kubelet_config's kubelet-config.settings) exceeds what the ENIs can address (awscni_ip_max) plus the host-network allowance: cni.node-ip-capacity",
    {
      maxPods: attr.count("the kubelet's maxPods (input from read_kubelet_config)"),
      ipCapacity: attr.number("addresses the ENIs can hold (awscni_ip_max)", "addresses"),
      hostNetworkAllowance: attr.count("host-network pods the max-pods formula adds (aws-node, kube-proxy)"),
      shortfall: attr.number("pods maxPods allows beyond ENI capacity + host-network allowance", "pods"),
      snapshotAfterWindow: attr.flag(
        "the state was collected well after the incident window's end (severity downgraded)",
      ),
    },
  ),
  "ipamd.api-errors": kind(
    "awscni_aws_api_error_count is non-zero; attribute `classes` (throttled, permission-denied, subnet-exhausted, eni-limit, other) and per api:error counts separate cni.ec2-api-throttled from cni.ipamd-permission-denied",
    {
      classes: attr.texts("error classes seen: throttled, permission-denied, subnet-exhausted, eni-limit, other"),
      throttledErrors: attr.number("throttling errors counted since IPAMD started (cumulative)", "errors"),
      permissionErrors: attr.number("permission-denied errors counted since IPAMD started (cumulative)", "errors"),
      subnetErrors: attr.number("subnet-exhausted errors counted since IPAMD started (cumulative)", "errors"),
      eniLimitErrors: attr.number("ENI-limit errors counted since IPAMD started (cumulative)", "errors"),
      otherErrors: attr.number("other AWS API errors counted since IPAMD started (cumulative)", "errors"),
      apis: attr.texts("AWS API calls that failed"),
      errorCodes: attr.texts("AWS error codes seen"),
      byApi: attr.texts("per api:error counts, `api:code=count`"),
      snapshotAfterWindow: attr.flag(
        "the state was collected well after the incident window's end (severity downgraded)",
      ),
    },
  ),
  "ipamd.introspection-skipped": kind(
    "Info: the collector ran with --ignore_introspection / --ignore_metrics, so missing or empty IPAMD files mean nothing (never evidence of cni.ipamd-down)",
    {
      introspection: attr.flag("the collector skipped IPAMD introspection (--ignore_introspection)"),
      metrics: attr.flag("the collector skipped IPAMD metrics (--ignore_metrics)"),
    },
  ),
  "ipamd.introspection-empty": kind(
    "IPAMD introspection/metrics files are present but empty while the collector did not skip them: IPAMD was not answering on :61679/:61678 at collection (evidence for cni.ipamd-down)",
    {
      files: attr.texts("bundle paths of the empty introspection/metrics files"),
      enisEmpty: attr.flag("enis.json is among the empty files"),
      metricsEmpty: attr.flag("the metrics file is among the empty files"),
      answeredFiles: attr.count("IPAMD answers that did parse (pool, settings, metrics; 0–3)"),
      checkpointAllocations: attr.count("pod allocations in the ipam.json checkpoint"),
      snapshotAfterWindow: attr.flag(
        "the state was collected well after the incident window's end (severity downgraded)",
      ),
    },
  ),
  "ipamd.pod-ips": kind(
    "Fact: the checkpoint's pod→IP map (attributes `podIPs`, `pods`, `count`), the hand-off for route and policy-routing checks",
    {
      count: attr.count("pod allocations in the checkpoint"),
      podIPs: attr.texts("pod IP addresses from the checkpoint (at most 1000)"),
      pods: attr.texts("`namespace/pod=ip` for each listed address"),
      version: attr.nullable(attr.text("checkpoint format version; null when absent")),
    },
  ),
  "ipamd.settings": kind(
    "Fact: warm/minimum targets, prefix delegation, custom networking, external SNAT, MTU, MAX_ENI as IPAMD reported them; configuration, never a fault on its own",
    {
      warmIpTarget: attr.number("WARM_IP_TARGET", "addresses"),
      warmEniTarget: attr.number("WARM_ENI_TARGET", "ENIs"),
      minimumIpTarget: attr.number("MINIMUM_IP_TARGET", "addresses"),
      warmPrefixTarget: attr.number("WARM_PREFIX_TARGET", "prefixes"),
      maxEni: attr.number("MAX_ENI", "ENIs"),
      mtu: attr.number("AWS_VPC_ENI_MTU", "bytes"),
      prefixDelegation: attr.flag("ENABLE_PREFIX_DELEGATION (else inferred from the pool)"),
      customNetworking: attr.flag("AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"),
      externalSnat: attr.flag("AWS_VPC_K8S_CNI_EXTERNALSNAT"),
      podEni: attr.flag("ENABLE_POD_ENI (security groups for pods)"),
      ipv6: attr.flag("ENABLE_IPv6"),
    },
  ),
};
type Kind = keyof typeof KINDS;

/** The kubelet's host-network pods (aws-node, kube-proxy) do not need a VPC address: the EKS max-pods formula adds 2. */
const HOST_NETWORK_ALLOWANCE = 2;
/** Throttling errors below this since IPAMD started are background noise. */
const THROTTLE_NOISE = 10;
/** Bounds the pod-IP hand-off; a node holds far fewer pods. */
const MAX_POD_IPS = 1000;

const CORRELATE: Record<Kind, string[]> = {
  "ipamd.pool": ["read_ipamd_log"],
  "ipamd.pool-exhausted": ["read_ipamd_log", "read_kubelet_config", "read_cni_plugin_log"],
  "ipamd.at-max-enis": ["read_kubelet_config", "read_ipamd_log"],
  "ipamd.no-ips-no-enis": ["read_ipamd_log"],
  "ipamd.max-pods-above-capacity": ["read_kubelet_config"],
  "ipamd.api-errors": ["read_ipamd_log"],
  "ipamd.introspection-skipped": ["read_ipamd_log", "read_cni_plugin_log"],
  "ipamd.introspection-empty": ["read_ipamd_log", "read_cni_plugin_log", "read_kubelet_journal"],
  "ipamd.pod-ips": ["inspect_routes"],
  "ipamd.settings": [],
};

type Attributes = FindingDraft["attributes"];

function finding(
  kind: Kind,
  severity: Severity,
  summary: string,
  evidence: EvidenceLocator[],
  attributes: Attributes,
  count = 1,
): FindingDraft {
  return draft({ kind, severity, summary, evidence, count, attributes, correlateWith: CORRELATE[kind] });
}

interface Loaded<T> {
  path: string;
  value: T;
}

/** What the collector was told to skip, and where it says so. */
interface SkipFlags {
  introspection: boolean;
  metrics: boolean;
  evidence: EvidenceLocator[];
}

async function readSkipFlags(read: EvidenceReader): Promise<SkipFlags> {
  const flags: SkipFlags = { introspection: false, metrics: false, evidence: [] };
  for (const [name, field] of [
    ["introspectionIgnored", "introspection"],
    ["metricsIgnored", "metrics"],
  ] as const) {
    const marker = await read.text(name, 64 * 1024);
    if (marker.state !== "ok") continue;
    flags[field] = true;
    flags.evidence.push(
      makeLocator(marker.path, 1, undefined, marker.text.trim().split("\n")[0] || "(marker file present)"),
    );
  }
  const params = await read.text("scriptParams", 64 * 1024);
  if (params.state === "ok") {
    splitLines(params.text).forEach((line, i) => {
      const m = /^\s*(ignore_introspection|ignore_metrics)\s*[:=]\s*"?(\w+)"?/i.exec(line);
      if (!m || !/^(true|yes|1)$/i.test(m[2] as string)) return;
      if ((m[1] as string).toLowerCase() === "ignore_introspection") flags.introspection = true;
      else flags.metrics = true;
      flags.evidence.push(makeLocator(params.path, i + 1, undefined, line));
    });
  }
  return flags;
}

/**
 * Reads one introspection file: `empty` when present but blank (a gap unless the collector skipped
 * it), `undefined` when missing or unusable (the reader records why).
 */
async function readIntrospection(
  read: EvidenceReader,
  name: ArtifactName,
  skipped: boolean,
): Promise<{ path: string; text: string } | { path: string; empty: true } | undefined> {
  const file = await read.text(name);
  if (file.state !== "ok") return undefined;
  if (file.text.trim() === "") {
    if (!skipped) read.gap(file.path, "file is empty: IPAMD did not answer when the bundle was collected");
    return { path: file.path, empty: true };
  }
  return { path: file.path, text: file.text };
}

function parseJsonOrGap(read: EvidenceReader, path: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    read.gap(path, `invalid JSON: ${(error as Error).message.slice(0, 120)}`);
    return undefined;
  }
}

interface Metrics {
  path: string;
  samples: MetricSample[];
  total: number | undefined;
  assigned: number | undefined;
  enisAllocated: number | undefined;
  eniMax: number | undefined;
  ipMax: number | undefined;
  prefixes: number | undefined;
  noAvailable: number | undefined;
  ipamdErrors: number | undefined;
}

function readMetrics(path: string, text: string): Metrics {
  const samples = parsePrometheusText(text, "awscni_");
  return {
    path,
    samples,
    total: sumOf(samples, "awscni_total_ip_addresses"),
    assigned: sumOf(samples, "awscni_assigned_ip_addresses"),
    enisAllocated: sumOf(samples, "awscni_eni_allocated"),
    eniMax: sumOf(samples, "awscni_eni_max"),
    ipMax: sumOf(samples, "awscni_ip_max"),
    prefixes: sumOf(samples, "awscni_total_ipv4_prefixes"),
    noAvailable: sumOf(samples, "awscni_no_available_ip_addresses"),
    ipamdErrors: sumOf(samples, "awscni_ipamd_error_count"),
  };
}

function metricLocators(metrics: Metrics | undefined, names: readonly string[]): EvidenceLocator[] {
  if (!metrics) return [];
  const lines = names.flatMap((name) => samplesOf(metrics.samples, name).slice(0, 1));
  if (lines.length === 0) return [];
  return [makeLocator(metrics.path, lines[0]?.line, undefined, lines.map((s) => s.text).join("; "))];
}

function poolLocator(loaded: Loaded<IpamdPool> | undefined): EvidenceLocator[] {
  if (!loaded) return [];
  const p = loaded.value;
  const reported =
    p.reportedTotalIps !== undefined
      ? `"TotalIPs":${p.reportedTotalIps},"AssignedIPs":${p.reportedAssignedIps ?? "?"},`
      : "";
  return [
    makeLocator(
      loaded.path,
      undefined,
      undefined,
      `{${reported}"ENIs":{${p.enis.map((e) => `"${e.id}":{"IsPrimary":${e.isPrimary},"DeviceNumber":${e.deviceNumber ?? "?"},…}`).join(",")}}} (${p.shape} shape)`,
    ),
  ];
}

interface PoolFacts {
  source: "enis.json" | "metrics";
  total: number;
  assigned: number;
  free: number;
  enisAttached: number | undefined;
  maxEnis: number | undefined;
  ipMax: number | undefined;
  prefixes: number;
  prefixMode: boolean;
  ipv6: boolean;
  atMaxEnis: boolean | undefined;
  /** All ENIs attached and holding every address they can (awscni_ip_max): the node cannot address more pods. */
  atCapacity: boolean | undefined;
  /** Under prefix delegation, secondary /32s IPAMD holds but does not hand to new pods. */
  unusableSecondaryIps: number;
  noAvailable: number;
}

function poolFacts(
  pool: IpamdPool | undefined,
  metrics: Metrics | undefined,
  settings: CniSettings | undefined,
): PoolFacts | undefined {
  if (!pool && (metrics?.total === undefined || metrics.assigned === undefined)) return undefined;
  // With prefix delegation on, IPAMD assigns new pods only from /28 prefixes (its GetIPStats counts the same way).
  const prefixOnly = pool !== undefined && settings?.prefixDelegation === true;
  const rawTotal = pool ? (pool.reportedTotalIps ?? pool.totalIps) : (metrics?.total as number);
  const total = prefixOnly ? pool.prefixIps : rawTotal;
  const assigned = prefixOnly
    ? pool.prefixAssignedIps
    : pool
      ? (pool.reportedAssignedIps ?? pool.assignedIps)
      : (metrics?.assigned as number);
  const enisAttached = pool ? pool.enis.length : metrics?.enisAllocated;
  const maxEnis =
    metrics?.eniMax !== undefined && metrics.eniMax > 0
      ? metrics.eniMax
      : settings?.maxEni !== undefined && settings.maxEni > 0
        ? settings.maxEni
        : undefined;
  const prefixes = pool ? pool.prefixes : (metrics?.prefixes ?? 0);
  const atMaxEnis = maxEnis !== undefined && enisAttached !== undefined ? enisAttached >= maxEnis : undefined;
  return {
    source: pool ? "enis.json" : "metrics",
    total,
    assigned,
    free: Math.max(0, total - assigned),
    enisAttached,
    maxEnis,
    ipMax: metrics?.ipMax,
    prefixes,
    prefixMode: settings?.prefixDelegation ?? prefixes > 0,
    ipv6: settings?.ipv6 === true || (pool?.enis.some((e) => e.ipv6Prefixes > 0) ?? false),
    atMaxEnis,
    atCapacity:
      atMaxEnis === undefined ? undefined : atMaxEnis && (metrics?.ipMax === undefined || rawTotal >= metrics.ipMax),
    unusableSecondaryIps: prefixOnly ? pool.totalIps - pool.prefixIps : 0,
    noAvailable: metrics?.noAvailable ?? 0,
  };
}

function poolAttributes(f: PoolFacts, pool: IpamdPool | undefined): Attributes {
  const attributes: Attributes = {
    source: f.source,
    totalIps: f.total,
    assignedIps: f.assigned,
    freeIps: f.free,
    prefixMode: f.prefixMode,
    prefixes: f.prefixes,
    ipv6: f.ipv6,
    noAvailableIpCount: f.noAvailable,
  };
  if (f.enisAttached !== undefined) attributes.enisAttached = f.enisAttached;
  if (f.maxEnis !== undefined) attributes.maxEnis = f.maxEnis;
  if (f.atMaxEnis !== undefined) attributes.atMaxEnis = f.atMaxEnis;
  if (f.atCapacity !== undefined) attributes.atCapacity = f.atCapacity;
  if (f.unusableSecondaryIps > 0) attributes.unusableSecondaryIps = f.unusableSecondaryIps;
  if (f.ipMax !== undefined) attributes.ipCapacity = f.ipMax;
  if (pool) {
    attributes.shape = pool.shape;
    attributes.networkCards = pool.networkCards;
    attributes.eniIds = pool.enis.map((e) => e.id);
    attributes.perEni = pool.enis.map(
      (e) =>
        `${e.id}${e.isPrimary ? " primary" : ""}${e.isTrunk ? " trunk" : ""} card ${e.networkCard} dev ${e.deviceNumber ?? "?"}: ${e.assignedIps}/${e.totalIps} assigned` +
        (e.prefixes > 0 ? ` (${e.prefixes} prefixes)` : "") +
        (e.subnetId ? ` ${e.subnetId}` : ""),
    );
    const subnets = [...new Set(pool.enis.map((e) => e.subnetId).filter((s): s is string => s !== undefined))];
    if (subnets.length > 0) attributes.subnetIds = subnets;
  }
  return attributes;
}

function apiErrorFinding(metrics: Metrics, pool: PoolFacts | undefined): FindingDraft | undefined {
  const errors = samplesOf(metrics.samples, "awscni_aws_api_error_count").filter((s) => s.value > 0);
  if (errors.length === 0) return undefined;
  const byClass = new Map<Ec2ErrorClass, number>();
  const byApi: string[] = [];
  const apis = new Set<string>();
  const codes = new Set<string>();
  let total = 0;
  for (const s of errors) {
    const code = s.labels.error ?? s.labels.code ?? "unknown";
    const api = s.labels.api ?? s.labels.fn ?? "unknown";
    const klass = ec2ErrorClass(code);
    byClass.set(klass, (byClass.get(klass) ?? 0) + s.value);
    byApi.push(`${api}:${code}=${s.value}`);
    apis.add(api);
    codes.add(code);
    total += s.value;
  }
  const count = (k: Ec2ErrorClass) => byClass.get(k) ?? 0;
  const poolEmpty = pool !== undefined && pool.free === 0;
  let severity: Severity = "info";
  if (count("throttled") >= THROTTLE_NOISE) severity = poolEmpty ? "high" : "medium";
  if (count("subnet-exhausted") > 0) severity = poolEmpty ? "high" : "medium";
  if (count("eni-limit") > 0 && severity === "info") severity = "low";
  if (count("permission-denied") > 0) severity = "high";
  const classes = [...byClass.keys()].sort();
  const described = classes.map((k) => `${k} ${byClass.get(k)}`).join(", ");
  const evidence = errors.slice(0, 3).map((s) => makeLocator(metrics.path, s.line, undefined, s.text));
  return finding(
    "ipamd.api-errors",
    severity,
    `IPAMD counted ${total} failed AWS API call${total === 1 ? "" : "s"} since it started (${described}); counters are cumulative, not rates`,
    evidence,
    {
      classes,
      throttledErrors: count("throttled"),
      permissionErrors: count("permission-denied"),
      subnetErrors: count("subnet-exhausted"),
      eniLimitErrors: count("eni-limit"),
      otherErrors: count("other"),
      apis: [...apis].sort(),
      errorCodes: [...codes].sort(),
      byApi,
    },
    total,
  );
}

function settingsFinding(paths: string[], settings: CniSettings, pool: PoolFacts | undefined): FindingDraft {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(settings)) if (value !== undefined) attributes[key] = value;
  if (settings.prefixDelegation === undefined && pool) attributes.prefixDelegation = pool.prefixMode;
  const parts: string[] = [];
  if (settings.warmIpTarget) parts.push(`WARM_IP_TARGET=${settings.warmIpTarget}`);
  if (settings.warmEniTarget !== undefined) parts.push(`WARM_ENI_TARGET=${settings.warmEniTarget}`);
  if (settings.minimumIpTarget) parts.push(`MINIMUM_IP_TARGET=${settings.minimumIpTarget}`);
  if (attributes.prefixDelegation === true) parts.push("prefix delegation");
  if (settings.customNetworking) parts.push("custom networking");
  if (settings.externalSnat) parts.push("external SNAT");
  if (settings.mtu !== undefined) parts.push(`MTU ${settings.mtu}`);
  return finding(
    "ipamd.settings",
    "info",
    `IPAMD settings: ${parts.join(", ") || "defaults"}`,
    paths.map((p) => makeLocator(p, undefined, undefined, JSON.stringify(settings).slice(0, 280))),
    attributes,
  );
}

function podIpsFinding(path: string, checkpoint: IpamCheckpoint): FindingDraft {
  const ips: string[] = [];
  const pods: string[] = [];
  for (const a of checkpoint.allocations) {
    const ip = a.ipv4 ?? a.ipv6;
    if (!ip || ips.length >= MAX_POD_IPS) continue;
    ips.push(ip);
    pods.push(`${a.namespace ?? "?"}/${a.pod ?? a.containerId.slice(0, 12)}=${ip}`);
  }
  const n = checkpoint.allocations.length;
  const excerpt =
    n > 0 ? JSON.stringify(checkpoint.allocations[0]) : `{"version":"${checkpoint.version ?? "?"}","allocations":[]}`;
  return finding(
    "ipamd.pod-ips",
    "info",
    `The IPAMD checkpoint assigns ${n} pod address${n === 1 ? "" : "es"}`,
    [makeLocator(path, undefined, undefined, excerpt)],
    {
      count: n,
      podIPs: ips,
      pods,
      version: checkpoint.version ?? null,
    },
    n,
  );
}

/** A snapshot taken long after the incident window says less about the incident. */
function ageAgainstWindow(ctx: AnalyzerContext, drafts: FindingDraft[]): FindingDraft[] {
  const collected = ctx.clock.collectedAt;
  if (collected === undefined || !Number.isFinite(ctx.window.end) || collected - ctx.window.end <= STALE_AFTER_MS)
    return drafts;
  const lag = humanDuration(collected - ctx.window.end);
  return drafts.map((d) =>
    d.severity === "info" || d.kind === "ipamd.introspection-skipped"
      ? d
      : {
          ...d,
          severity: downgrade(d.severity),
          summary: `${d.summary} (state collected ${lag} after the window's end)`,
          attributes: { ...d.attributes, snapshotAfterWindow: true },
        },
  );
}

/** The artifacts this tool reads; with none of them in the bundle it has nothing to say. */
const ARTIFACTS: ArtifactName[] = [
  "ipamdEnis",
  "ipamdEnvSettings",
  "networkUtilsEnvSettings",
  "ipamdMetrics",
  "ipamdCheckpoint",
  "introspectionIgnored",
  "metricsIgnored",
];

/** IPAMD's state as the collector saved it, parsed; files that did not parse are gaps, not state. */
interface IpamdState {
  skip: SkipFlags;
  /** Introspection files present but empty although the collector did not skip them. */
  emptyFiles: string[];
  enisEmpty: boolean;
  metricsEmpty: boolean;
  pool: Loaded<IpamdPool> | undefined;
  settings: CniSettings | undefined;
  settingsPaths: string[];
  metrics: Metrics | undefined;
  checkpoint: Loaded<IpamCheckpoint> | undefined;
}

async function readState(read: EvidenceReader): Promise<IpamdState | undefined> {
  const present = await Promise.all(ARTIFACTS.map(async (n) => (await read.paths(n)).length > 0));
  if (!present.some(Boolean)) return undefined;
  const skip = await readSkipFlags(read);

  const emptyFiles: string[] = [];
  const empty = (file: { path: string } | undefined, skipped: boolean) => {
    if (file && "empty" in file && !skipped) emptyFiles.push(file.path);
  };

  const enisFile = await readIntrospection(read, "ipamdEnis", skip.introspection);
  empty(enisFile, skip.introspection);
  let pool: Loaded<IpamdPool> | undefined;
  if (enisFile && "text" in enisFile) {
    const value = parseJsonOrGap(read, enisFile.path, enisFile.text);
    if (value !== undefined) {
      const parsed = parseEnis(value);
      if ("error" in parsed) read.gap(enisFile.path, parsed.error);
      else pool = { path: enisFile.path, value: parsed };
    }
  }

  const settingsValues: unknown[] = [];
  const settingsPaths: string[] = [];
  for (const name of ["ipamdEnvSettings", "networkUtilsEnvSettings"] as const) {
    const file = await readIntrospection(read, name, skip.introspection);
    empty(file, skip.introspection);
    if (!file || !("text" in file)) continue;
    const value = parseJsonOrGap(read, file.path, file.text);
    if (value === undefined) continue;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      read.gap(file.path, "env settings are not a JSON object");
      continue;
    }
    settingsValues.push(value);
    settingsPaths.push(file.path);
  }
  const settings = settingsValues.length > 0 ? parseEnvSettings(...settingsValues) : undefined;

  const metricsFile = await readIntrospection(read, "ipamdMetrics", skip.metrics);
  empty(metricsFile, skip.metrics);
  let metrics: Metrics | undefined;
  if (metricsFile && "text" in metricsFile) {
    const parsed = readMetrics(metricsFile.path, metricsFile.text);
    if (parsed.samples.length === 0) read.gap(metricsFile.path, "no awscni_ Prometheus samples in the file");
    else metrics = parsed;
  }

  let checkpoint: Loaded<IpamCheckpoint> | undefined;
  const checkpointRead = await read.json("ipamdCheckpoint");
  if (checkpointRead.state === "ok") {
    const parsed = parseCheckpoint(checkpointRead.value);
    if ("error" in parsed) read.gap(checkpointRead.path, parsed.error);
    else checkpoint = { path: checkpointRead.path, value: parsed };
  }

  return {
    skip,
    emptyFiles,
    enisEmpty: enisFile !== undefined && emptyFiles.includes(enisFile.path),
    metricsEmpty: metricsFile !== undefined && emptyFiles.includes(metricsFile.path),
    pool,
    settings,
    settingsPaths,
    metrics,
    checkpoint,
  };
}

async function analyze(ctx: AnalyzerContext, input: { maxPods?: number | undefined }): Promise<FindingDraft[]> {
  const state = await readState(ctx.read);
  if (!state) return [];
  const facts = poolFacts(state.pool?.value, state.metrics, state.settings);
  const findings = [
    skippedFinding(state.skip),
    emptyFinding(state),
    ...(facts ? poolFindings(state, facts, input.maxPods) : []),
    state.metrics ? apiErrorFinding(state.metrics, facts) : undefined,
    state.settings ? settingsFinding(state.settingsPaths, state.settings, facts) : undefined,
    state.checkpoint ? podIpsFinding(state.checkpoint.path, state.checkpoint.value) : undefined,
  ].filter((d): d is FindingDraft => d !== undefined);
  return ageAgainstWindow(ctx, findings);
}

function skippedFinding(skip: SkipFlags): FindingDraft | undefined {
  if (!skip.introspection && !skip.metrics) return undefined;
  const what = [skip.introspection ? "introspection" : "", skip.metrics ? "metrics" : ""].filter(Boolean).join(" and ");
  return finding(
    "ipamd.introspection-skipped",
    "info",
    `The collector was told to skip IPAMD ${what}: absent or empty IPAMD files are expected and say nothing about IPAMD's health`,
    skip.evidence,
    { introspection: skip.introspection, metrics: skip.metrics },
  );
}

function emptyFinding(state: IpamdState): FindingDraft | undefined {
  const { emptyFiles, enisEmpty, checkpoint } = state;
  if (emptyFiles.length === 0) return undefined;
  const answered = [state.pool, state.settings, state.metrics].filter((x) => x !== undefined).length;
  const severity: Severity = enisEmpty && answered === 0 ? "medium" : "low";
  const attributes: Attributes = {
    files: emptyFiles,
    enisEmpty,
    metricsEmpty: state.metricsEmpty,
    answeredFiles: answered,
  };
  if (checkpoint) attributes.checkpointAllocations = checkpoint.value.allocations.length;
  return finding(
    "ipamd.introspection-empty",
    severity,
    `${emptyFiles.length} IPAMD introspection file${emptyFiles.length === 1 ? " is" : "s are"} empty although the collector did not skip introspection: IPAMD was not answering on 127.0.0.1:61679${answered === 0 ? "" : " for part of the collection"}`,
    emptyFiles.map((p) => makeLocator(p, undefined, undefined, "(empty file)")),
    attributes,
    emptyFiles.length,
  );
}

/** The pool as a fact, then what its numbers say: no addresses, all used, all ENIs attached, maxPods too high. */
function poolFindings(state: IpamdState, facts: PoolFacts, maxPods: number | undefined): FindingDraft[] {
  const evidence = [
    ...poolLocator(state.pool),
    ...metricLocators(state.metrics, [
      "awscni_total_ip_addresses",
      "awscni_assigned_ip_addresses",
      "awscni_eni_allocated",
      "awscni_eni_max",
    ]),
  ];
  const poolFull = facts.total > 0 && facts.assigned >= facts.total;
  return [
    poolFinding(state, facts, maxPods, evidence),
    shortageFinding(facts, poolFull, evidence),
    atMaxEnisFinding(state, facts, poolFull),
    maxPodsFinding(state, facts, poolFull, maxPods),
  ].filter((d): d is FindingDraft => d !== undefined);
}

function poolFinding(
  state: IpamdState,
  facts: PoolFacts,
  maxPods: number | undefined,
  evidence: EvidenceLocator[],
): FindingDraft {
  const { checkpoint, metrics } = state;
  const attributes = poolAttributes(facts, state.pool?.value);
  if (checkpoint) attributes.checkpointAllocations = checkpoint.value.allocations.length;
  if (metrics?.ipamdErrors !== undefined) attributes.ipamdErrorCount = metrics.ipamdErrors;
  if (maxPods !== undefined) {
    attributes.maxPods = maxPods;
    if (facts.ipMax !== undefined) attributes.maxPodsWithinCapacity = maxPods <= facts.ipMax + HOST_NETWORK_ALLOWANCE;
  }
  const enis =
    facts.enisAttached !== undefined
      ? `, ${facts.enisAttached}${facts.maxEnis !== undefined ? `/${facts.maxEnis}` : ""} ENIs`
      : "";
  return finding(
    "ipamd.pool",
    "info",
    `IPAMD pool: ${facts.assigned} of ${facts.total} addresses assigned, ${facts.free} free${enis}${facts.prefixMode ? `, prefix delegation (${facts.prefixes} prefixes)` : ""}`,
    evidence,
    attributes,
  );
}

/** No address at all, or every address in use (IPv6 pools are not counted in addresses). */
function shortageFinding(facts: PoolFacts, poolFull: boolean, evidence: EvidenceLocator[]): FindingDraft | undefined {
  if (facts.ipv6) return undefined;
  if (facts.total === 0) {
    const noEnis = facts.enisAttached === 0;
    return finding(
      "ipamd.no-ips-no-enis",
      "high",
      noEnis
        ? "IPAMD has no ENI in its datastore: it never initialised the node's network (check ipamd.log for IMDS, permission or API server errors)"
        : `IPAMD holds no address for pods on its ${facts.enisAttached ?? "?"} ENI${facts.enisAttached === 1 ? "" : "s"}${facts.prefixMode ? " (prefix delegation: no /28 could be attached)" : ""}: every new pod fails to get an IP`,
      evidence,
      {
        totalIps: 0,
        enisAttached: facts.enisAttached ?? null,
        prefixMode: facts.prefixMode,
        atMaxEnis: facts.atMaxEnis ?? null,
        noAvailableIpCount: facts.noAvailable,
      },
    );
  }
  if (!poolFull) return undefined;
  const grow =
    facts.atCapacity === true
      ? "all ENIs are attached and full, so the pool cannot grow (node capacity)"
      : facts.atMaxEnis === true
        ? "all ENIs are attached but could hold more addresses, so IPAMD failed to add any (subnet, EC2 API or permissions)"
        : facts.atMaxEnis === false
          ? "more ENIs could be attached, so IPAMD failed to grow the pool (subnet, EC2 API or permissions)"
          : "ENI limit unknown";
  return finding(
    "ipamd.pool-exhausted",
    facts.noAvailable > 0 ? "high" : "medium",
    `All ${facts.total} pooled addresses are assigned; ${grow}${facts.noAvailable > 0 ? `; ${facts.noAvailable} assignments already failed` : ""}`,
    evidence,
    {
      totalIps: facts.total,
      assignedIps: facts.assigned,
      atMaxEnis: facts.atMaxEnis ?? null,
      atCapacity: facts.atCapacity ?? null,
      enisAttached: facts.enisAttached ?? null,
      maxEnis: facts.maxEnis ?? null,
      noAvailableIpCount: facts.noAvailable,
    },
  );
}

function atMaxEnisFinding(state: IpamdState, facts: PoolFacts, poolFull: boolean): FindingDraft | undefined {
  if (facts.atMaxEnis !== true) return undefined;
  const capacityReached = poolFull && facts.atCapacity === true && !facts.ipv6;
  const summary = capacityReached
    ? `All ${facts.maxEnis} ENIs are attached, full, and every address is in use: the node cannot address more pods`
    : poolFull
      ? `All ${facts.maxEnis} ENIs are attached and every pooled address is in use, but the ENIs could hold ${facts.ipMax !== undefined ? facts.ipMax - facts.total : "more"} more addresses: not a capacity limit`
      : `All ${facts.maxEnis} ENIs the instance allows are attached; ${facts.free} addresses still free`;
  return finding(
    "ipamd.at-max-enis",
    capacityReached ? "high" : "info",
    summary,
    [
      ...metricLocators(state.metrics, ["awscni_eni_allocated", "awscni_eni_max", "awscni_ip_max"]),
      ...poolLocator(state.pool),
    ].slice(0, 3),
    {
      enisAttached: facts.enisAttached ?? null,
      maxEnis: facts.maxEnis ?? null,
      freeIps: facts.free,
      totalIps: facts.total,
      ipCapacity: facts.ipMax ?? null,
      atCapacity: facts.atCapacity ?? null,
    },
  );
}

function maxPodsFinding(
  state: IpamdState,
  facts: PoolFacts,
  poolFull: boolean,
  maxPods: number | undefined,
): FindingDraft | undefined {
  if (
    maxPods === undefined ||
    facts.ipMax === undefined ||
    maxPods <= facts.ipMax + HOST_NETWORK_ALLOWANCE ||
    facts.prefixMode
  )
    return undefined;
  return finding(
    "ipamd.max-pods-above-capacity",
    poolFull ? "high" : "medium",
    `The kubelet allows ${maxPods} pods but the ENIs can address only ${facts.ipMax} (+${HOST_NETWORK_ALLOWANCE} host-network pods)`,
    metricLocators(state.metrics, ["awscni_ip_max"]),
    {
      maxPods,
      ipCapacity: facts.ipMax,
      hostNetworkAllowance: HOST_NETWORK_ALLOWANCE,
      shortfall: maxPods - facts.ipMax - HOST_NETWORK_ALLOWANCE,
    },
  );
}

export const inspectIpamdState = defineTool({
  name: "inspect_ipamd_state",
  title: "IPAMD state (introspection, metrics, checkpoint)",
  lane: "network",
  description:
    "Reads the VPC CNI's IPAMD state as the log collector saved it: ipamd/enis.json (all three /v1/enis shapes), the env-settings answers, the Prometheus metrics (ipamd/metrics.json is text), the ipam.json checkpoint and the collector's skip markers. " +
    "Reports the IPv4 pool as numbers (total, assigned, free, ENIs vs max, prefix mode) so synthesis can tell cni.subnet-exhausted (pool empty or full below max ENIs, subnet API errors) from cni.node-ip-capacity (full at max ENIs, no EC2 errors), cni.ipamd-down (empty introspection without the skip marker), cni.ec2-api-throttled and cni.ipamd-permission-denied (API error counters by class). " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. Empty files are never read as IPAMD down when the collector ran with --ignore_introspection. ` +
    "Hand-off: ipamd.pod-ips carries `podIPs` (string[]), the input of inspect_routes' policy-routing checks; optional input `maxPods` comes from read_kubelet_config. Next: read_ipamd_log for the errors behind the numbers, read_cni_plugin_log for failed pod adds, read_kubelet_config for maxPods.",
  sources: [
    "ipamdEnis",
    "ipamdEnvSettings",
    "networkUtilsEnvSettings",
    "ipamdMetrics",
    "ipamdCheckpoint",
    "introspectionIgnored",
    "metricsIgnored",
    "scriptParams",
  ],
  kinds: KINDS,
  input: {
    maxPods: z
      .number()
      .int()
      .positive()
      .max(1000)
      .optional()
      .describe(
        "The kubelet's maxPods, from read_kubelet_config (finding kubelet-config.settings, attribute maxPods); compared with the ENI capacity (awscni_ip_max) to flag ipamd.max-pods-above-capacity",
      ),
  },
  analyze,
});
