import { z } from "zod";
import type { EvidenceLocator } from "../src/domain/finding.ts";
import type { EvidenceReader } from "../src/toolkit/evidence-reader.ts";
import { draft } from "../src/toolkit/finding-drafts.ts";
import { makeLocator } from "../src/toolkit/occurrences.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

const KINDS = {
  "cni-config.settings": kind(
    "The VPC CNI's effective configuration (fact): prefix delegation, custom networking, external SNAT, security groups for pods mode, MTU, warm targets, network policy, plugins chained in the conflist",
    {
      prefixDelegation: attr.flag("ENABLE_PREFIX_DELEGATION (false when unset)"),
      customNetworking: attr.flag("AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG (false when unset)"),
      externalSnat: attr.flag("AWS_VPC_K8S_CNI_EXTERNALSNAT (false when unset)"),
      podEni: attr.flag("ENABLE_POD_ENI: security groups for pods (false when unset)"),
      sgppMode: attr.nullable(
        attr.text("security-groups-for-pods enforcing mode (strict, standard); null when ENABLE_POD_ENI is off"),
      ),
      networkPolicy: attr.nullable(attr.flag("ENABLE_NETWORK_POLICY; null when unset")),
      ipv6: attr.flag("ENABLE_IPv6 (false when unset)"),
      mtu: attr.number("effective ENI MTU (AWS_VPC_ENI_MTU, default 9001)", "bytes"),
      podMtu: attr.number("effective pod MTU (conflist mtu, POD_MTU, else the ENI MTU)", "bytes"),
      mtuExplicit: attr.flag("the MTU was set explicitly (AWS_VPC_ENI_MTU or the conflist), not the default"),
      warmIpTarget: attr.nullable(attr.number("WARM_IP_TARGET; null when unset", "addresses")),
      minimumIpTarget: attr.nullable(attr.number("MINIMUM_IP_TARGET; null when unset", "addresses")),
      warmPrefixTarget: attr.nullable(attr.number("WARM_PREFIX_TARGET; null when unset", "prefixes")),
      warmEniTarget: attr.nullable(
        attr.number(
          "WARM_ENI_TARGET (1 by default when no IP target is set); null when unset and IP targets are",
          "ENIs",
        ),
      ),
      maxEni: attr.nullable(attr.number("MAX_ENI; null when unset", "ENIs")),
      vethPrefix: attr.text("host-side veth name prefix (default eni)"),
      plugins: attr.texts("plugin types chained in the conflist, in order"),
      egressCni: attr.nullable(
        attr.flag("the egress-cni plugin is chained and enabled; null without an aws-cni conflist"),
      ),
      portmap: attr.nullable(attr.flag("the portmap plugin is chained; null without an aws-cni conflist")),
      cniVersion: attr.nullable(attr.text("the conflist's cniVersion; null when unknown")),
      cniImage: attr.nullable(attr.text("aws-node container image; null when unknown")),
      configured: attr.texts("known CNI env settings as configured, `KEY=value`"),
      sources: attr.texts(
        "where the settings came from (conflist, aws-node env, ipamd env-settings, networkutils env-settings)",
      ),
    },
  ),
  "cni-config.jumbo-mtu": kind(
    "Pods and ENIs use a 9001-byte MTU (the VPC CNI default): a fact that only matters with tunnelled, VPN, peering or internet paths that cannot carry jumbo frames",
    {
      eniMtu: attr.number("effective ENI MTU", "bytes"),
      podMtu: attr.number("effective pod MTU", "bytes"),
      explicit: attr.flag("the MTU was set explicitly, not the VPC CNI default"),
      source: z
        .enum(["conflist", "env", "default"])
        .describe("where the MTU came from: the conflist, AWS_VPC_ENI_MTU, or the VPC CNI default"),
    },
  ),
  "cni-config.other-cni": kind(
    "Other CNI configurations sit next to 10-aws.conflist; the runtime uses the first in lexical order (fact)",
    {
      files: attr.texts("CNI configuration file names in /etc/cni/net.d"),
      active: attr.text("the file the runtime uses (first in lexical order)"),
      awsIsActive: attr.flag("the aws-cni conflist is the one in use"),
    },
  ),
  "cni-config.conflist-missing": kind(
    "The aws-node container is configured but no CNI conflist was collected: ipamd never wrote 10-aws.conflist (kubelet reports `no networks found in /etc/cni/net.d`)",
    {
      sources: attr.texts(
        "where the CNI settings were found (aws-node env, ipamd env-settings, networkutils env-settings)",
      ),
    },
  ),
  "cni-config.invalid": kind(
    "A CNI conflist is present but is not valid JSON or has no plugins: the runtime cannot set up pod networking with it",
    {
      file: attr.text("bundle path of the unusable conflist"),
      problem: attr.text("why it cannot be used (empty, invalid JSON, no plugins array)"),
    },
  ),
  "cni-config.mtu-mismatch": kind(
    "Pods are configured with a larger MTU than the node's own uplink interfaces carry (ifconfig): large pod packets are fragmented or dropped (net.mtu-mismatch)",
    {
      podMtu: attr.number("effective pod MTU", "bytes"),
      eniMtu: attr.number("effective ENI MTU", "bytes"),
      uplinkMtus: attr.texts("the node's uplink interfaces and their MTUs, `name=mtu` (bytes)"),
      minUplinkMtu: attr.number("smallest uplink interface MTU", "bytes"),
    },
  ),
};
type Kind = keyof typeof KINDS;

/**
 * The aws-node env keys fathom reports. The container's env also holds credentials and unrelated
 * values: anything not listed here is never copied into a finding.
 */
const KNOWN_ENV = new Set([
  "ENABLE_PREFIX_DELEGATION",
  "WARM_PREFIX_TARGET",
  "WARM_IP_TARGET",
  "MINIMUM_IP_TARGET",
  "WARM_ENI_TARGET",
  "MAX_ENI",
  "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG",
  "ENI_CONFIG_LABEL_DEF",
  "ENI_CONFIG_ANNOTATION_DEF",
  "AWS_VPC_K8S_CNI_EXTERNALSNAT",
  "AWS_VPC_K8S_CNI_EXCLUDE_SNAT_CIDRS",
  "AWS_VPC_K8S_CNI_EXTERNAL_SERVICE_CIDRS",
  "AWS_VPC_K8S_CNI_RANDOMIZESNAT",
  "AWS_VPC_K8S_CNI_CONNMARK",
  "AWS_VPC_ENI_MTU",
  "POD_MTU",
  "AWS_VPC_K8S_CNI_VETHPREFIX",
  "ENABLE_POD_ENI",
  "POD_SECURITY_GROUP_ENFORCING_MODE",
  "ENABLE_NETWORK_POLICY",
  "NETWORK_POLICY_ENFORCING_MODE",
  "ENABLE_IPv4",
  "ENABLE_IPv6",
  "ENABLE_V4_EGRESS",
  "ENABLE_V6_EGRESS",
  "ENABLE_BANDWIDTH_PLUGIN",
  "ENABLE_SUBNET_DISCOVERY",
  "ENABLE_MULTI_NIC",
  "AWS_VPC_CNI_NODE_PORT_SUPPORT",
  "AWS_VPC_K8S_CNI_CONFIGURE_RPFILTER",
  "DISABLE_INTROSPECTION",
  "DISABLE_METRICS",
  "DISABLE_NETWORK_RESOURCE_PROVISIONING",
  "DISABLE_TCP_EARLY_DEMUX",
  "DISABLE_LEAKED_ENI_CLEANUP",
  "ANNOTATE_POD_IP",
  "AWS_VPC_K8S_CNI_LOGLEVEL",
  "AWS_VPC_K8S_PLUGIN_LOG_LEVEL",
  "AWS_VPC_K8S_CNI_VETHPREFIX",
  "VPC_CNI_VERSION",
]);

type EnvValue = string | number | boolean;

interface Sources {
  values: Map<string, EnvValue>;
  used: string[];
  evidence: EvidenceLocator[];
  image: string | undefined;
}

/** Splits text holding one or more concatenated JSON documents (`ctr container info` once per container). */
function jsonDocuments(text: string): unknown[] | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  try {
    return [JSON.parse(trimmed)];
  } catch {
    // fall through: several documents back to back
  }
  const docs: unknown[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 92) escaped = true;
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (depth === 0) start = i;
      depth += 1;
    } else if (c === 125 || c === 93) {
      depth -= 1;
      if (depth === 0 && start >= 0) {
        try {
          docs.push(JSON.parse(trimmed.slice(start, i + 1)));
        } catch {
          return undefined;
        }
        start = -1;
      } else if (depth < 0) return undefined;
    }
  }
  return docs.length > 0 && depth === 0 ? docs : undefined;
}

interface ContainerEnv {
  env: Map<string, string>;
  image: string | undefined;
  created: number;
}

/** Env lists of `ctr container info` (`Spec.process.env`), `docker inspect` (`Config.Env`) or a pod spec (`env: [{name, value}]`). */
function containerEnvs(doc: unknown): ContainerEnv[] {
  const out: ContainerEnv[] = [];
  const visitContainer = (node: Record<string, unknown>): void => {
    const env = new Map<string, string>();
    const collect = (value: unknown, depth: number): void => {
      if (!value || typeof value !== "object" || depth > 6) return;
      if (Array.isArray(value)) {
        for (const item of value) {
          if (typeof item === "string") {
            const eq = item.indexOf("=");
            if (eq > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(item.slice(0, eq)))
              env.set(item.slice(0, eq), item.slice(eq + 1));
          } else if (
            item &&
            typeof item === "object" &&
            typeof (item as { name?: unknown }).name === "string" &&
            typeof (item as { value?: unknown }).value === "string"
          ) {
            env.set((item as { name: string }).name, (item as { value: string }).value);
          } else collect(item, depth + 1);
        }
        return;
      }
      for (const [k, v] of Object.entries(value))
        if (k === "env" || k === "Env" || typeof v === "object") collect(v, depth + 1);
    };
    collect(node, 0);
    const image =
      typeof node.Image === "string"
        ? node.Image
        : typeof (node.Config as { Image?: unknown } | undefined)?.Image === "string"
          ? (node.Config as { Image: string }).Image
          : undefined;
    const createdText =
      typeof node.CreatedAt === "string" ? node.CreatedAt : typeof node.Created === "string" ? node.Created : undefined;
    const created = createdText ? Date.parse(createdText) : Number.NaN;
    if (env.size > 0) out.push({ env, image, created: Number.isFinite(created) ? created : 0 });
  };
  if (Array.isArray(doc)) {
    for (const item of doc) if (item && typeof item === "object") visitContainer(item as Record<string, unknown>);
  } else if (doc && typeof doc === "object") {
    visitContainer(doc as Record<string, unknown>);
  }
  return out;
}

function asBool(v: EnvValue | undefined): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "string" && /^(true|false)$/i.test(v.trim())) return v.trim().toLowerCase() === "true";
  return undefined;
}

function asInt(v: EnvValue | undefined): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string" && /^\s*-?\d+\s*$/.test(v)) return Number(v);
  return undefined;
}

interface Conflist {
  path: string;
  cniVersion: string | undefined;
  plugins: string[];
  mtu: number | undefined;
  vethPrefix: string | undefined;
  sgMode: string | undefined;
  egressEnabled: boolean | undefined;
  portmapSnat: boolean | undefined;
}

function readConflist(path: string, value: unknown): Conflist | undefined {
  if (!value || typeof value !== "object" || !Array.isArray((value as { plugins?: unknown }).plugins)) return undefined;
  const doc = value as { cniVersion?: unknown; plugins: unknown[] };
  const result: Conflist = {
    path,
    cniVersion: typeof doc.cniVersion === "string" ? doc.cniVersion : undefined,
    plugins: [],
    mtu: undefined,
    vethPrefix: undefined,
    sgMode: undefined,
    egressEnabled: undefined,
    portmapSnat: undefined,
  };
  for (const plugin of doc.plugins) {
    if (!plugin || typeof plugin !== "object") continue;
    const p = plugin as Record<string, unknown>;
    const type = typeof p.type === "string" ? p.type : "?";
    result.plugins.push(type);
    if (type === "aws-cni") {
      result.mtu = asInt(p.mtu as EnvValue | undefined);
      if (typeof p.vethPrefix === "string") result.vethPrefix = p.vethPrefix;
      if (typeof p.podSGEnforcingMode === "string") result.sgMode = p.podSGEnforcingMode;
    } else if (type.startsWith("egress-")) {
      result.egressEnabled = asBool(p.enabled as EnvValue | undefined) ?? true;
    } else if (type === "portmap") {
      result.portmapSnat = asBool(p.snat as EnvValue | undefined);
    }
  }
  return result;
}

async function readEnvSources(read: EvidenceReader): Promise<Sources> {
  const sources: Sources = { values: new Map(), used: [], evidence: [], image: undefined };
  // 1. The aws-node container's own env (what was configured).
  const [envPath] = await read.paths("cniEnv");
  if (envPath) {
    const file = await read.textAt(envPath);
    if (file.state === "ok") {
      const docs = jsonDocuments(file.text);
      if (!docs)
        read.gap(
          envPath,
          file.text.trim() === "" ? "file is empty" : "not JSON (expected `ctr container info` output)",
        );
      else {
        const containers = docs.flatMap(containerEnvs).sort((a, b) => b.created - a.created);
        const newest = containers[0];
        if (!newest) read.gap(envPath, "no container env found");
        else {
          for (const [k, v] of newest.env) if (KNOWN_ENV.has(k)) sources.values.set(k, v);
          sources.image = newest.image;
          sources.used.push("aws-node env");
          sources.evidence.push(
            makeLocator(
              envPath,
              undefined,
              undefined,
              `aws-node container env (${[...newest.env.keys()].filter((k) => KNOWN_ENV.has(k)).length} CNI settings)`,
            ),
          );
        }
      }
    }
  }
  // 2. IPAMD introspection: the values ipamd / networkutils actually parsed (typed JSON).
  for (const name of ["ipamdEnvSettings", "networkUtilsEnvSettings"] as const) {
    const json = await read.json(name);
    if (json.state !== "ok") continue;
    const value = json.value;
    if (!value || typeof value !== "object" || Array.isArray(value)) {
      read.gap(json.path, "not a JSON object of settings");
      continue;
    }
    let added = 0;
    for (const [k, v] of Object.entries(value)) {
      if (!KNOWN_ENV.has(k) || sources.values.has(k)) continue;
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") {
        sources.values.set(k, v);
        added += 1;
      }
    }
    sources.used.push(name === "ipamdEnvSettings" ? "ipamd env-settings" : "networkutils env-settings");
    sources.evidence.push(makeLocator(json.path, undefined, undefined, `${added} settings from IPAMD introspection`));
  }
  return sources;
}

interface Uplink {
  name: string;
  mtu: number;
  path: string;
  line: number;
  text: string;
}

/** MTUs of the node's ENI interfaces (`ens5: flags=4163<UP,…>  mtu 9001`); pod veths and lo are skipped. */
async function uplinkMtus(read: EvidenceReader): Promise<Uplink[]> {
  const [path] = await read.paths("ifconfig");
  if (!path) return [];
  const out: Uplink[] = [];
  await read.scanAt(path, (cursor) => {
    const line = cursor.chunk.slice(cursor.start, cursor.end);
    const m = /^((?:eth|ens|enp|enX)\d[\w.]*):? flags=\S+\s+mtu (\d+)/.exec(line);
    if (m) out.push({ name: m[1] as string, mtu: Number(m[2]), path, line: cursor.lineNo, text: line.trim() });
  });
  return out;
}

/** The VPC CNI's ENI MTU when AWS_VPC_ENI_MTU is unset. */
const DEFAULT_ENI_MTU = 9001;
/** At or above this, frames are jumbo: fine inside a VPC, dropped or fragmented on many paths out of it. */
const JUMBO_MTU = 9000;
/** A conflist is a few hundred bytes; anything this large is not one. */
const MAX_CONFLIST_BYTES = 4 << 20;

/** A conflist the runtime cannot use, and why. */
interface InvalidConflist {
  path: string;
  problem: string;
  head: string;
}

/** What the node holds of the CNI's configuration: conflists, the aws-node env, the uplinks' MTUs. */
interface CniConfig {
  conflistPaths: string[];
  conflists: Conflist[];
  invalid: InvalidConflist[];
  /** The conflist that chains aws-cni. */
  aws: Conflist | undefined;
  env: Sources;
  /** Read only when there is a configuration to compare them with. */
  uplinks: Uplink[];
}

async function readConflists(
  read: EvidenceReader,
  paths: string[],
): Promise<{ conflists: Conflist[]; invalid: InvalidConflist[] }> {
  const conflists: Conflist[] = [];
  const invalid: InvalidConflist[] = [];
  for (const path of paths) {
    const file = await read.textAt(path, MAX_CONFLIST_BYTES);
    if (file.state !== "ok") continue;
    let value: unknown;
    let problem: string | undefined;
    if (file.text.trim() === "") problem = "file is empty";
    else {
      try {
        value = JSON.parse(file.text);
      } catch (error) {
        problem = `invalid JSON: ${(error as Error).message.slice(0, 120)}`;
      }
    }
    const parsed = problem ? undefined : readConflist(path, value);
    if (!parsed) {
      problem ??= "no `plugins` array: not a CNI conflist";
      read.gap(path, problem);
      invalid.push({ path, problem, head: file.text.slice(0, 200) });
      continue;
    }
    conflists.push(parsed);
  }
  return { conflists, invalid };
}

async function readConfig(read: EvidenceReader): Promise<CniConfig | undefined> {
  const conflistPaths = await read.paths("cniConflist");
  const { conflists, invalid } = await readConflists(read, conflistPaths);
  const aws = conflists.find((c) => c.plugins.includes("aws-cni"));
  const env = await readEnvSources(read);
  if (conflistPaths.length === 0 && env.used.length === 0) return undefined;
  const config: CniConfig = { conflistPaths, conflists, invalid, aws, env, uplinks: [] };
  if (describable(config)) config.uplinks = await uplinkMtus(read);
  return config;
}

/** Whether anything usable describes the CNI; when nothing does, the invalid-conflist findings and gaps say why. */
function describable(config: CniConfig): boolean {
  return config.aws !== undefined || config.conflists.length > 0 || config.env.used.length > 0;
}

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const config = await readConfig(ctx.read);
  if (!config) return [];
  const files = [...config.invalid.map(invalidFinding), conflistMissingFinding(config), otherCniFinding(config)];
  if (!describable(config)) return files.filter((d): d is FindingDraft => d !== undefined);
  const settings = effectiveSettings(config);
  const evidence = settingsEvidence(config);
  return [
    ...files,
    settingsFinding(settings, evidence),
    mtuMismatchFinding(config, settings, evidence),
    jumboMtuFinding(config, settings, evidence),
  ].filter((d): d is FindingDraft => d !== undefined);
}

function invalidFinding(file: InvalidConflist): FindingDraft {
  return draft({
    kind: "cni-config.invalid",
    severity: "medium",
    summary: `${file.path} cannot be used by the container runtime: ${file.problem}`,
    evidence: [makeLocator(file.path, 1, undefined, file.head || "(empty)")],
    attributes: { file: file.path, problem: file.problem },
    correlateWith: ["read_kubelet_journal", "inspect_ipamd_state", "read_ipamd_log"],
  });
}

function conflistMissingFinding(config: CniConfig): FindingDraft | undefined {
  const { env } = config;
  if (config.conflistPaths.length > 0 || env.used.length === 0) return undefined;
  return draft({
    kind: "cni-config.conflist-missing",
    severity: "medium",
    summary:
      "The aws-node container is configured but no CNI conflist was collected: ipamd never wrote 10-aws.conflist, so the runtime has no pod network",
    evidence: env.evidence.slice(0, 2),
    attributes: { sources: env.used },
    correlateWith: ["read_kubelet_journal", "inspect_ipamd_state", "read_ipamd_log"],
  });
}

/** The runtime uses the first conflist in lexical order. */
function otherCniFinding(config: CniConfig): FindingDraft | undefined {
  const { conflistPaths, aws } = config;
  if (conflistPaths.length <= 1) return undefined;
  const names = conflistPaths.map((p) => p.slice(p.lastIndexOf("/") + 1));
  const active = [...names].sort()[0] as string;
  return draft({
    kind: "cni-config.other-cni",
    severity: "info",
    summary: `${names.length} CNI configurations are present (${names.join(", ")}); the runtime uses ${active}`,
    evidence: conflistPaths.slice(0, 3).map((p) => makeLocator(p, undefined, undefined, p)),
    count: names.length,
    attributes: {
      files: names,
      active,
      awsIsActive: active === (aws ? aws.path.slice(aws.path.lastIndexOf("/") + 1) : "10-aws.conflist"),
    },
    correlateWith: ["read_cni_plugin_log"],
  });
}

/** The configuration in effect: env first, introspection second, the conflist for what only it knows. */
interface EffectiveSettings {
  /** AWS_VPC_ENI_MTU as configured, if it was. */
  eniMtu: number | undefined;
  effectiveEniMtu: number;
  effectivePodMtu: number;
  podEni: boolean;
  sgppMode: string | null;
  warmIp: number | undefined;
  minIp: number | undefined;
  warmPrefix: number | undefined;
  warmEni: number | undefined;
  attributes: FindingDraft["attributes"];
}

function effectiveSettings(config: CniConfig): EffectiveSettings {
  const { aws, env, conflists } = config;
  const v = env.values;
  const bool = (k: string) => asBool(v.get(k));
  const int = (k: string) => asInt(v.get(k));
  const eniMtu = int("AWS_VPC_ENI_MTU");
  const podMtu = aws?.mtu ?? int("POD_MTU") ?? eniMtu;
  const effectiveEniMtu = eniMtu ?? DEFAULT_ENI_MTU;
  const effectivePodMtu = podMtu ?? effectiveEniMtu;
  const podEni = bool("ENABLE_POD_ENI") ?? false;
  // The conflist always carries podSGEnforcingMode; it only means something when ENABLE_POD_ENI is on.
  const sgppMode = podEni ? String(v.get("POD_SECURITY_GROUP_ENFORCING_MODE") ?? aws?.sgMode ?? "strict") : null;
  const warmIp = int("WARM_IP_TARGET");
  const minIp = int("MINIMUM_IP_TARGET");
  const warmPrefix = int("WARM_PREFIX_TARGET");
  const warmEni = int("WARM_ENI_TARGET");
  const attributes: FindingDraft["attributes"] = {
    prefixDelegation: bool("ENABLE_PREFIX_DELEGATION") ?? false,
    customNetworking: bool("AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG") ?? false,
    externalSnat: bool("AWS_VPC_K8S_CNI_EXTERNALSNAT") ?? false,
    podEni,
    sgppMode,
    networkPolicy: bool("ENABLE_NETWORK_POLICY") ?? null,
    ipv6: bool("ENABLE_IPv6") ?? false,
    mtu: effectiveEniMtu,
    podMtu: effectivePodMtu,
    mtuExplicit: eniMtu !== undefined || aws?.mtu !== undefined,
    warmIpTarget: warmIp ?? null,
    minimumIpTarget: minIp ?? null,
    warmPrefixTarget: warmPrefix ?? null,
    warmEniTarget: warmEni ?? (warmIp === undefined && minIp === undefined ? 1 : null),
    maxEni: int("MAX_ENI") ?? null,
    vethPrefix:
      aws?.vethPrefix ??
      (typeof v.get("AWS_VPC_K8S_CNI_VETHPREFIX") === "string"
        ? (v.get("AWS_VPC_K8S_CNI_VETHPREFIX") as string)
        : "eni"),
    plugins: aws?.plugins ?? conflists[0]?.plugins ?? [],
    egressCni: aws ? (aws.egressEnabled ?? false) : null,
    portmap: aws ? aws.plugins.includes("portmap") : null,
    cniVersion: aws?.cniVersion ?? null,
    cniImage: env.image ?? null,
    configured: [...v]
      .filter(([k]) => KNOWN_ENV.has(k))
      .map(([k, value]) => `${k}=${String(value)}`)
      .sort(),
    sources: [...(aws ? ["conflist"] : []), ...env.used],
  };
  return {
    eniMtu,
    effectiveEniMtu,
    effectivePodMtu,
    podEni,
    sgppMode,
    warmIp,
    minIp,
    warmPrefix,
    warmEni,
    attributes,
  };
}

function settingsEvidence(config: CniConfig): EvidenceLocator[] {
  const { aws } = config;
  return [
    ...(aws
      ? [makeLocator(aws.path, undefined, undefined, `plugins ${aws.plugins.join(", ")}; mtu ${aws.mtu ?? "unset"}`)]
      : []),
    ...config.env.evidence,
  ].slice(0, 3);
}

function settingsFinding(s: EffectiveSettings, evidence: EvidenceLocator[]): FindingDraft {
  const { attributes, warmEni, warmIp, minIp, warmPrefix } = s;
  const facts: string[] = [];
  if (attributes.prefixDelegation) facts.push("prefix delegation");
  if (attributes.customNetworking) facts.push("custom networking");
  if (attributes.externalSnat) facts.push("external SNAT");
  if (s.podEni) facts.push(`security groups for pods (${String(s.sgppMode)})`);
  if (attributes.networkPolicy) facts.push("network policy");
  const targets =
    [
      warmEni !== undefined ? `WARM_ENI_TARGET=${warmEni}` : "",
      warmIp !== undefined ? `WARM_IP_TARGET=${warmIp}` : "",
      minIp !== undefined ? `MINIMUM_IP_TARGET=${minIp}` : "",
      warmPrefix !== undefined ? `WARM_PREFIX_TARGET=${warmPrefix}` : "",
    ]
      .filter(Boolean)
      .join(" ") || "default";
  return draft({
    kind: "cni-config.settings",
    severity: "info",
    summary: `VPC CNI configuration: MTU ${s.effectivePodMtu}${facts.length ? `, ${facts.join(", ")}` : ", secondary-IP mode with default SNAT"}; warm targets ${targets}`,
    evidence,
    attributes,
    correlateWith: ["inspect_ipamd_state", "inspect_routes"],
  });
}

function mtuMismatchFinding(
  config: CniConfig,
  s: EffectiveSettings,
  evidence: EvidenceLocator[],
): FindingDraft | undefined {
  const { uplinks, aws } = config;
  if (uplinks.length === 0 || (aws?.mtu === undefined && s.eniMtu === undefined)) return undefined;
  const smallest = Math.min(...uplinks.map((u) => u.mtu));
  if (s.effectivePodMtu <= smallest) return undefined;
  const narrow = uplinks.filter((u) => u.mtu < s.effectivePodMtu);
  return draft({
    kind: "cni-config.mtu-mismatch",
    severity: "high",
    summary: `Pods use a ${s.effectivePodMtu}-byte MTU but ${narrow.map((u) => `${u.name} carries ${u.mtu}`).join(", ")}: pod packets larger than ${smallest} bytes are fragmented or dropped on the way out`,
    evidence: [
      ...evidence.slice(0, 1),
      ...narrow.slice(0, 2).map((u) => makeLocator(u.path, u.line, undefined, u.text)),
    ],
    count: narrow.length,
    attributes: {
      podMtu: s.effectivePodMtu,
      eniMtu: s.effectiveEniMtu,
      uplinkMtus: uplinks.map((u) => `${u.name}=${u.mtu}`),
      minUplinkMtu: smallest,
    },
    correlateWith: ["inspect_ena_allowances", "read_dmesg", "inspect_conntrack"],
  });
}

function jumboMtuFinding(
  config: CniConfig,
  s: EffectiveSettings,
  evidence: EvidenceLocator[],
): FindingDraft | undefined {
  const { aws } = config;
  const { eniMtu, effectiveEniMtu, effectivePodMtu } = s;
  if (effectivePodMtu < JUMBO_MTU && effectiveEniMtu < JUMBO_MTU) return undefined;
  return draft({
    kind: "cni-config.jumbo-mtu",
    severity: "info",
    summary: `Pods use a ${effectivePodMtu}-byte MTU (ENI MTU ${effectiveEniMtu}${eniMtu === undefined ? ", the VPC CNI default" : ""}): only a problem on paths that cannot carry jumbo frames (VPN, Transit Gateway, peering across regions, internet)`,
    evidence,
    attributes: {
      eniMtu: effectiveEniMtu,
      podMtu: effectivePodMtu,
      explicit: eniMtu !== undefined || aws?.mtu !== undefined,
      source: aws?.mtu !== undefined ? "conflist" : eniMtu !== undefined ? "env" : "default",
    },
    correlateWith: ["inspect_conntrack", "inspect_routes"],
  });
}

export const readCniConfig = defineTool({
  name: "read_cni_config",
  title: "VPC CNI configuration",
  lane: "network",
  description:
    "Reads the VPC CNI's configuration: the CNI conflist (cni/10-aws.conflist and any other /etc/cni/net.d file: plugins, mtu, vethPrefix, podSGEnforcingMode, egress-cni, portmap), the aws-node container's env (cni/cni-configuration-variables-containerd.json; only the known CNI settings are reported, never other env values) and, as fallbacks, IPAMD's env-settings introspection. " +
    "Reports prefix delegation, custom networking, external SNAT, security-groups-for-pods mode, MTU and warm targets as configuration facts at info: none of them is a fault on its own. " +
    "Compares the pod MTU with the node's uplink interfaces in networking/ifconfig.txt: pods configured above what the ENIs carry is a fault (net.mtu-mismatch). " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. ` +
    "Next: inspect_ipamd_state (pool vs warm targets), inspect_routes (policy routing), inspect_ena_allowances; a jumbo MTU matters only together with evidence of paths that drop large packets.",
  sources: ["cniConflist", "cniEnv", "ipamdEnvSettings", "networkUtilsEnvSettings", "ifconfig"],
  kinds: KINDS,
  input: {},
  analyze,
});

export type { Kind as CniConfigFindingKind };
