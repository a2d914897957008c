import { z } from "zod";
import { parse as parseYaml } from "yaml";
import type { EvidenceLocator } from "../src/domain/finding.ts";
import type { Severity } from "../src/domain/severity.ts";
import { makeLocator } from "../src/toolkit/occurrences.ts";
import { parseContainerdConfig } from "../src/toolkit/parse-containerd-config.ts";
import {
  isObject,
  mergeConfig,
  parseConfigDocument,
  parseKubeletUnit,
  parseMapFlag,
  parseQuantity,
  type JsonObject,
  type KubeletUnit,
} from "../src/toolkit/parse-kubelet-config.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

const CA_SOURCE = z
  .enum(["file", "data", "data-omitted", "none", "placeholder", "not-pem", "insecure"])
  .describe(
    "How the kubeconfig gives the cluster CA: file, data, data-omitted (kubectl hid it), none, placeholder, not-pem, insecure (TLS verification off)",
  );
const AUTH_METHOD = z
  .enum(["exec", "token", "token-file", "client-certificate", "auth-provider", "basic", "none"])
  .describe("How the kubelet authenticates to the API server (kubeconfig user)");

const KINDS = {
  "kubelet-config.settings": kind(
    "Effective kubelet settings (config file, drop-ins, then unit flags): maxPods, clusterDNS, clusterDomain, cgroupDriver, eviction thresholds, reserved resources, runtime endpoint, feature gates (fact; `maxPods` is the hand-off for ENI/IP capacity checks, `clusterDNS` for DNS checks)",
    {
      maxPods: attr.nullable(
        attr.number(
          "Effective maxPods (flag, config, or the default 110 when a config was read); null when unknown",
          "pods",
        ),
      ),
      maxPodsSource: z
        .enum(["flag", "config", "default", "unknown"])
        .describe("Where maxPods came from: --max-pods, the config file, the kubelet default, or unknown"),
      configRead: attr.flag("Whether a kubelet config file (or drop-in) was read"),
      clusterDNS: attr.texts("Cluster DNS server IPs the kubelet gives pods"),
      cgroupDriver: attr.text("Effective cgroup driver (systemd / cgroupfs; cgroupfs when unset)"),
      evictionHard: attr.texts('Hard eviction thresholds, "signal<quantity", sorted'),
      evictionSoft: attr.texts('Soft eviction thresholds, "signal<quantity", sorted'),
      systemReserved: attr.texts('systemReserved resources, "resource=quantity", sorted'),
      kubeReserved: attr.texts('kubeReserved resources, "resource=quantity", sorted'),
      reservedMemoryMiB: attr.number("Memory reserved by systemReserved plus kubeReserved", "MiB"),
      featureGates: attr.texts('Feature gates, "Gate=value", sorted'),
      dropIns: attr.texts("config.json.d drop-in files merged, in order (paths)"),
      flagOverrides: attr.texts("Unit flags that override the config file (flag names without --)"),
      clusterDomain: attr.text("Cluster DNS domain (e.g. cluster.local)"),
      serverTLSBootstrap: attr.flag("serverTLSBootstrap / --rotate-server-certificates"),
      containerRuntimeEndpoint: attr.text(
        "CRI endpoint the kubelet uses (e.g. unix:///run/containerd/containerd.sock)",
      ),
      podInfraContainerImage: attr.text("--pod-infra-container-image (pause image the kubelet protects from image GC)"),
      nodeIp: attr.text("--node-ip value"),
      evictionHardMemoryAvailable: attr.text("Hard eviction threshold for memory.available (quantity, e.g. 100Mi)"),
      ignoredDropIns: attr.texts("Files in config.json.d the kubelet ignores (not *.conf) (paths)"),
      otherConfigFiles: attr.texts("Kubelet config files in the bundle other than the one used (paths)"),
      unitVariablesNotInBundle: attr.texts(
        "Environment variables the kubelet unit's ExecStart uses that the bundle does not define",
      ),
    },
  ),
  "kubelet-config.api-server": kind(
    "The API server the kubelet's kubeconfig points at: server URL and host, whether a CA is configured, how the kubelet authenticates (fact)",
    {
      server: attr.nullable(attr.text("Kubeconfig server URL; null when the cluster entry has none")),
      caConfigured: attr.flag("Whether a cluster CA is configured (file, data, or data omitted by kubectl)"),
      caSource: CA_SOURCE,
      authMethod: AUTH_METHOD,
      eksEndpoint: attr.flag("Whether the server host is an EKS endpoint (*.eks.amazonaws.com[.cn])"),
      serverHost: attr.text("Host name of the server URL"),
      execCommand: attr.text("Exec credential plugin command (basename, e.g. aws-iam-authenticator)"),
      clusterName: attr.text("Cluster name passed to the exec plugin (--cluster-name / --cluster-id / -i)"),
      region: attr.text("AWS region passed to the exec plugin (--region)"),
    },
  ),
  "kubelet-config.server-invalid": kind(
    "The kubeconfig's server is empty, `None`, not https, or an unreplaced placeholder (MASTER_ENDPOINT): bootstrap wrote a broken endpoint",
    {
      server: attr.nullable(attr.text("Kubeconfig server value; null when absent")),
      problem: attr.text("What is wrong with the server (empty, placeholder, not a URL, not https, placeholder host)"),
    },
  ),
  "kubelet-config.ca-missing": kind(
    "The kubeconfig has no usable cluster CA (no certificate-authority, a placeholder, or TLS verification disabled)",
    { caSource: CA_SOURCE },
  ),
  "kubelet-config.no-credentials": kind(
    "The kubeconfig's user has no credentials at all (no exec plugin, token or client certificate): the kubelet would call the API anonymously",
    { authMethod: AUTH_METHOD },
  ),
  "kubelet-config.kubeconfig-invalid": kind("The kubeconfig is present but not a usable YAML kubeconfig", {
    problem: attr.text("Why the kubeconfig cannot be used (invalid YAML, not a kubeconfig)"),
  }),
  "kubelet-config.no-system-reserve": kind(
    "Neither systemReserved nor kubeReserved reserves memory: pods may take memory the kubelet and containerd need (context for a system OOM)",
    {
      evictionHardMemoryAvailable: attr.nullable(
        attr.text("Hard eviction threshold for memory.available (quantity, e.g. 100Mi); null when none"),
      ),
    },
  ),
  "kubelet-config.hostname-override": kind(
    "The kubelet runs with --hostname-override (fact: the value); the node name then differs from the OS hostname",
    {
      hostnameOverride: attr.text("--hostname-override value as written"),
      unexpanded: attr.flag("Whether the value still holds an unexpanded variable ($, %, {)"),
    },
  ),
  "kubelet-config.invalid": kind(
    "A kubelet config file (config.json or a config.json.d drop-in) is present but not valid JSON/YAML or not a KubeletConfiguration: the kubelet cannot start with it",
    {
      files: attr.texts("Config files the kubelet cannot load (paths)"),
      problems: attr.texts("Why each file cannot be loaded, in the order of files"),
    },
  ),
  "kubelet-config.cgroup-driver": kind(
    "The kubelet's cgroup driver, and containerd's SystemdCgroup when known (fact)",
    {
      cgroupDriver: attr.text("The kubelet's effective cgroup driver (systemd / cgroupfs; cgroupfs when unset)"),
      explicit: attr.flag("Whether the cgroup driver is set (flag or config) rather than the default"),
      containerdSystemdCgroup: attr.flag("containerd's SystemdCgroup for runc"),
      containerdFrom: attr.text('Where SystemdCgroup came from: "input" (hand-off) or the containerd config path'),
    },
  ),
  "kubelet-config.cgroup-driver-mismatch": kind(
    "The kubelet's cgroupDriver disagrees with containerd's SystemdCgroup (systemd ↔ true, cgroupfs ↔ false): pods fail to start or the kubelet refuses to run",
    {
      cgroupDriver: attr.text("The kubelet's effective cgroup driver (systemd / cgroupfs; cgroupfs when unset)"),
      explicit: attr.flag("Whether the cgroup driver is set (flag or config) rather than the default"),
      containerdSystemdCgroup: attr.flag("containerd's SystemdCgroup for runc"),
      driverFromCri: attr.flag(
        "Whether the KubeletCgroupDriverFromCRI feature gate is on (the kubelet may follow containerd)",
      ),
    },
  ),
  "kubelet-config.sandbox-image-mismatch": kind(
    "The kubelet's --pod-infra-container-image differs from containerd's sandbox image: the image containerd uses is not the one the kubelet protects from image GC",
    {
      podInfraContainerImage: attr.text("The kubelet's --pod-infra-container-image"),
      containerdSandboxImage: attr.text("containerd's sandbox (pause) image"),
    },
  ),
};
type Kind = keyof typeof KINDS;

const CORRELATE: Partial<Record<Kind, string[]>> = {
  "kubelet-config.settings": ["inspect_ipamd_state", "check_resolv_conf", "inspect_iptables"],
  "kubelet-config.server-invalid": ["read_kubelet_journal"],
  "kubelet-config.ca-missing": ["read_kubelet_journal"],
  "kubelet-config.no-credentials": ["read_kubelet_journal"],
  "kubelet-config.kubeconfig-invalid": ["read_kubelet_journal"],
  "kubelet-config.api-server": ["read_kubelet_journal", "check_resolv_conf"],
  "kubelet-config.no-system-reserve": ["read_dmesg"],
  "kubelet-config.hostname-override": ["read_kubelet_journal"],
  "kubelet-config.invalid": ["read_kubelet_journal"],
  "kubelet-config.cgroup-driver-mismatch": ["read_kubelet_journal", "read_containerd_log"],
  "kubelet-config.sandbox-image-mismatch": ["read_containerd_log", "read_kubelet_journal"],
};

/** The kubelet's defaults for what a config may leave out (KubeletConfiguration v1beta1). */
const DEFAULT_MAX_PODS = 110;
const DEFAULT_CGROUP_DRIVER = "cgroupfs";

const PLACEHOLDER_SERVER =
  /^(?:none|null|nil|undefined|<nil>|MASTER_ENDPOINT|API_SERVER_ENDPOINT|APISERVER_ENDPOINT|CLUSTER_ENDPOINT|ENDPOINT|SERVER)$|\$\{|\$\(|\{\{|<[^>]*>/i;
const PLACEHOLDER_CA =
  /^(?:none|null|nil|B64_CLUSTER_CA|CERTIFICATE_AUTHORITY(?:_DATA)?|CA_DATA|CLUSTER_CA)$|\$\{|\$\(|\{\{/i;
/** `kubectl config view` hides data fields with these markers: the data was there. */
const OMITTED_DATA = /^(?:DATA\+OMITTED|REDACTED|\[REDACTED\])$/;

interface FileText {
  path: string;
  text: string;
}

/** The 1-based line of the first line containing `needle`, and that line (trimmed) as an excerpt. */
function locate(file: FileText, needle: string | RegExp, excerpt?: string): EvidenceLocator {
  const lines = file.text.split("\n");
  const index = lines.findIndex((line) => (typeof needle === "string" ? line.includes(needle) : needle.test(line)));
  if (index < 0) return makeLocator(file.path, undefined, undefined, excerpt ?? String(needle));
  return makeLocator(file.path, index + 1, undefined, excerpt ?? (lines[index] as string).trim());
}

function fact(
  kind: Kind,
  severity: Severity,
  summary: string,
  evidence: EvidenceLocator[],
  attributes: FindingDraft["attributes"],
): FindingDraft {
  return { kind, severity, summary, evidence, count: 1, attributes, correlateWith: CORRELATE[kind] ?? [] };
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(value))
    for (const [k, v] of Object.entries(value))
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = String(v);
  return out;
}

/** `memory.available<100Mi` style strings for typed string-array attributes. */
function thresholds(map: Record<string, string>, op = "<"): string[] {
  return Object.entries(map)
    .map(([k, v]) => `${k}${op}${v}`)
    .sort();
}

function isKubeletConfiguration(value: unknown): value is JsonObject {
  return (
    isObject(value) &&
    value.kind === "KubeletConfiguration" &&
    typeof value.apiVersion === "string" &&
    value.apiVersion.startsWith("kubelet.config.k8s.io/")
  );
}

interface ConfigRead {
  config: JsonObject;
  /** Where each top-level key came from last (file path), for evidence. */
  files: FileText[];
  readOk: boolean;
  dropIns: string[];
  ignoredDropIns: string[];
  otherConfigFiles: string[];
}

/** `configFlag`: the unit's --config, which says which file the kubelet reads when the bundle holds both. */
async function readConfigFiles(
  ctx: AnalyzerContext,
  findings: FindingDraft[],
  configFlag: string | undefined,
): Promise<ConfigRead> {
  const out: ConfigRead = {
    config: {},
    files: [],
    readOk: false,
    dropIns: [],
    ignoredDropIns: [],
    otherConfigFiles: [],
  };
  const invalid: Array<{ path: string; problem: string; evidence: EvidenceLocator }> = [];
  const load = async (path: string): Promise<JsonObject | undefined> => {
    const read = await ctx.read.textAt(path);
    if (read.state !== "ok") return undefined;
    if (read.text.trim() === "") {
      ctx.read.gap(path, "file is empty");
      return undefined;
    }
    const parsed = parseConfigDocument(read.text);
    const firstLine = read.text.split("\n", 1)[0]?.trim().slice(0, 200) ?? "";
    if (!parsed.ok) {
      ctx.read.gap(path, parsed.reason);
      invalid.push({ path, problem: parsed.reason, evidence: makeLocator(path, 1, undefined, firstLine) });
      return undefined;
    }
    if (!isKubeletConfiguration(parsed.value)) {
      const problem = isObject(parsed.value)
        ? `not a KubeletConfiguration (kind ${JSON.stringify(parsed.value.kind ?? null)}, apiVersion ${JSON.stringify(parsed.value.apiVersion ?? null)})`
        : "not a KubeletConfiguration object";
      ctx.read.gap(path, problem);
      invalid.push({ path, problem, evidence: makeLocator(path, 1, undefined, firstLine) });
      return undefined;
    }
    out.files.push({ path, text: read.text });
    return parsed.value;
  };

  const candidates = await ctx.read.paths("kubeletConfig");
  const wanted = configFlag?.split("/").pop();
  const main = candidates.find((p) => p.split("/").pop() === wanted) ?? candidates[0];
  out.otherConfigFiles = candidates.filter((p) => p !== main);
  if (main) {
    const config = await load(main);
    if (config) {
      out.config = config;
      out.readOk = true;
    }
  }
  for (const path of await ctx.read.paths("kubeletConfigDropIns")) {
    // The kubelet only reads `*.conf` files from its config dir, in lexical order.
    if (!path.endsWith(".conf")) {
      out.ignoredDropIns.push(path);
      continue;
    }
    const dropIn = await load(path);
    if (!dropIn) continue;
    out.config = mergeConfig(out.config, dropIn);
    out.dropIns.push(path);
    out.readOk = true;
  }
  if (invalid.length > 0) {
    findings.push({
      kind: "kubelet-config.invalid",
      severity: "high",
      summary: `The kubelet cannot load ${invalid.length === 1 ? (invalid[0] as { path: string }).path : `${invalid.length} config files`}: ${(invalid[0] as { problem: string }).problem}`,
      evidence: invalid.slice(0, 3).map((i) => i.evidence),
      count: invalid.length,
      attributes: { files: invalid.map((i) => i.path), problems: invalid.map((i) => i.problem) },
      correlateWith: CORRELATE["kubelet-config.invalid"] ?? [],
    });
  }
  return out;
}

interface Effective {
  /** Undefined when neither a readable config nor a flag says (the default only applies to a config that was read). */
  maxPods: number | undefined;
  maxPodsSource: "flag" | "config" | "default" | "unknown";
  clusterDNS: string[];
  clusterDomain: string | undefined;
  cgroupDriver: string;
  cgroupDriverExplicit: boolean;
  evictionHard: Record<string, string>;
  evictionSoft: Record<string, string>;
  systemReserved: Record<string, string>;
  kubeReserved: Record<string, string>;
  serverTLSBootstrap: boolean | undefined;
  containerRuntimeEndpoint: string | undefined;
  featureGates: Record<string, string>;
  podInfraContainerImage: string | undefined;
  nodeIp: string | undefined;
  hostnameOverride: string | undefined;
  flagOverrides: string[];
}

function effectiveSettings(config: JsonObject, configRead: boolean, flags: Map<string, string>): Effective {
  const overrides: string[] = [];
  const flag = (name: string): string | undefined => {
    const value = flags.get(name);
    if (value !== undefined) overrides.push(name);
    return value;
  };
  const maxPodsFlag = flag("max-pods");
  const maxPodsConfig = typeof config.maxPods === "number" ? config.maxPods : undefined;
  const maxPodsFromFlag = maxPodsFlag !== undefined && /^\d+$/.test(maxPodsFlag) ? Number(maxPodsFlag) : undefined;
  const dnsFlag = flag("cluster-dns");
  const clusterDNS =
    dnsFlag !== undefined
      ? dnsFlag.split(",").filter(Boolean)
      : Array.isArray(config.clusterDNS)
        ? config.clusterDNS.filter((x): x is string => typeof x === "string")
        : [];
  const driverFlag = flag("cgroup-driver");
  const driverConfig = str(config.cgroupDriver);
  const hard = flag("eviction-hard");
  const soft = flag("eviction-soft");
  const systemReserved = flag("system-reserved");
  const kubeReserved = flag("kube-reserved");
  const gates = flag("feature-gates");
  const tlsFlag = flag("rotate-server-certificates");
  return {
    maxPods: maxPodsFromFlag ?? maxPodsConfig ?? (configRead ? DEFAULT_MAX_PODS : undefined),
    maxPodsSource:
      maxPodsFromFlag !== undefined
        ? "flag"
        : maxPodsConfig !== undefined
          ? "config"
          : configRead
            ? "default"
            : "unknown",
    clusterDNS,
    clusterDomain: flag("cluster-domain") ?? str(config.clusterDomain),
    cgroupDriver: driverFlag ?? driverConfig ?? DEFAULT_CGROUP_DRIVER,
    cgroupDriverExplicit: driverFlag !== undefined || driverConfig !== undefined,
    evictionHard: hard !== undefined ? parseMapFlag(hard, "<") : stringMap(config.evictionHard),
    evictionSoft: soft !== undefined ? parseMapFlag(soft, "<") : stringMap(config.evictionSoft),
    systemReserved: systemReserved !== undefined ? parseMapFlag(systemReserved) : stringMap(config.systemReserved),
    kubeReserved: kubeReserved !== undefined ? parseMapFlag(kubeReserved) : stringMap(config.kubeReserved),
    serverTLSBootstrap:
      tlsFlag !== undefined
        ? tlsFlag === "true"
        : typeof config.serverTLSBootstrap === "boolean"
          ? config.serverTLSBootstrap
          : undefined,
    containerRuntimeEndpoint: flag("container-runtime-endpoint") ?? str(config.containerRuntimeEndpoint),
    featureGates: { ...stringMap(config.featureGates), ...(gates !== undefined ? parseMapFlag(gates) : {}) },
    podInfraContainerImage: flag("pod-infra-container-image"),
    nodeIp: flag("node-ip"),
    hostnameOverride: flag("hostname-override"),
    flagOverrides: overrides.filter(
      (name) => !["pod-infra-container-image", "node-ip", "hostname-override"].includes(name),
    ),
  };
}

function mib(bytes: number | undefined): number | undefined {
  return bytes === undefined ? undefined : Math.round(bytes / 2 ** 20);
}

function settingsFindings(eff: Effective, cfg: ConfigRead, unit: FileText | undefined, findings: FindingDraft[]): void {
  const evidence: EvidenceLocator[] = [];
  const mainFile = cfg.files[0];
  if (mainFile) {
    evidence.push(locate(mainFile, '"maxPods"'));
    if (eff.clusterDNS.length > 0) evidence.push(locate(mainFile, /clusterDNS/));
  }
  if (unit && eff.flagOverrides.length > 0) evidence.push(locate(unit, `--${eff.flagOverrides[0]}`));
  const systemMem = parseQuantity(eff.systemReserved.memory);
  const kubeMem = parseQuantity(eff.kubeReserved.memory);
  const attributes: FindingDraft["attributes"] = {
    maxPods: eff.maxPods ?? null,
    maxPodsSource: eff.maxPodsSource,
    configRead: cfg.readOk,
    clusterDNS: eff.clusterDNS,
    cgroupDriver: eff.cgroupDriver,
    evictionHard: thresholds(eff.evictionHard),
    evictionSoft: thresholds(eff.evictionSoft),
    systemReserved: thresholds(eff.systemReserved, "="),
    kubeReserved: thresholds(eff.kubeReserved, "="),
    reservedMemoryMiB: (mib(systemMem) ?? 0) + (mib(kubeMem) ?? 0),
    featureGates: thresholds(eff.featureGates, "="),
    dropIns: cfg.dropIns,
    flagOverrides: eff.flagOverrides,
  };
  if (eff.clusterDomain) attributes.clusterDomain = eff.clusterDomain;
  if (eff.serverTLSBootstrap !== undefined) attributes.serverTLSBootstrap = eff.serverTLSBootstrap;
  if (eff.containerRuntimeEndpoint) attributes.containerRuntimeEndpoint = eff.containerRuntimeEndpoint;
  if (eff.podInfraContainerImage) attributes.podInfraContainerImage = eff.podInfraContainerImage;
  if (eff.nodeIp) attributes.nodeIp = eff.nodeIp;
  if (eff.evictionHard["memory.available"])
    attributes.evictionHardMemoryAvailable = eff.evictionHard["memory.available"];
  if (cfg.ignoredDropIns.length > 0) attributes.ignoredDropIns = cfg.ignoredDropIns;
  if (cfg.otherConfigFiles.length > 0) attributes.otherConfigFiles = cfg.otherConfigFiles;
  const dns = eff.clusterDNS.length > 0 ? `clusterDNS ${eff.clusterDNS.join(",")}` : "no clusterDNS";
  findings.push(
    fact(
      "kubelet-config.settings",
      "info",
      `${cfg.readOk ? "" : "Kubelet config file unreadable or missing; from unit flags only: "}Kubelet maxPods ${eff.maxPods ?? "unknown"} (${eff.maxPodsSource}), ${dns}, cgroupDriver ${eff.cgroupDriver}, ${attributes.reservedMemoryMiB} MiB memory reserved`,
      evidence,
      attributes,
    ),
  );

  if (cfg.readOk && systemMem === undefined && kubeMem === undefined) {
    findings.push(
      fact(
        "kubelet-config.no-system-reserve",
        "low",
        "The kubelet reserves no memory for the system or for itself (no systemReserved/kubeReserved memory): pods can starve the kubelet and containerd",
        mainFile ? [locate(mainFile, /Reserved|"kind"/)] : unit ? [locate(unit, "ExecStart")] : [],
        { evictionHardMemoryAvailable: eff.evictionHard["memory.available"] ?? null },
      ),
    );
  }
  if (eff.hostnameOverride !== undefined && unit) {
    findings.push(
      fact(
        "kubelet-config.hostname-override",
        "info",
        `The kubelet runs with --hostname-override=${eff.hostnameOverride}`,
        [locate(unit, "--hostname-override")],
        {
          hostnameOverride: eff.hostnameOverride,
          unexpanded: /[$%{]/.test(eff.hostnameOverride),
        },
      ),
    );
  }
}

function cgroupFindings(
  eff: Effective,
  systemdCgroup: boolean | undefined,
  systemdFrom: string | undefined,
  cfg: ConfigRead,
  unit: FileText | undefined,
  findings: FindingDraft[],
): void {
  const mainFile = cfg.files.find((f) => f.text.includes("cgroupDriver")) ?? cfg.files[0];
  const evidence = mainFile ? [locate(mainFile, "cgroupDriver")] : unit ? [locate(unit, "--cgroup-driver")] : [];
  const attributes: FindingDraft["attributes"] = { cgroupDriver: eff.cgroupDriver, explicit: eff.cgroupDriverExplicit };
  if (systemdCgroup !== undefined) {
    attributes.containerdSystemdCgroup = systemdCgroup;
    attributes.containerdFrom = systemdFrom ?? "input";
  }
  findings.push(
    fact(
      "kubelet-config.cgroup-driver",
      "info",
      `Kubelet cgroup driver ${eff.cgroupDriver}${eff.cgroupDriverExplicit ? "" : " (default)"}${systemdCgroup === undefined ? "" : `; containerd SystemdCgroup=${systemdCgroup}`}`,
      evidence,
      attributes,
    ),
  );
  if (systemdCgroup === undefined) return;
  const wantsSystemd = eff.cgroupDriver === "systemd";
  if (wantsSystemd === systemdCgroup) return;
  // From 1.31 (KubeletCgroupDriverFromCRI) a kubelet takes the driver from containerd when it can, and
  // an unset cgroupDriver is only the default: both make the mismatch less certain.
  const fromCri = eff.featureGates.KubeletCgroupDriverFromCRI === "true";
  const certain = eff.cgroupDriverExplicit && !fromCri;
  findings.push(
    fact(
      "kubelet-config.cgroup-driver-mismatch",
      certain ? "high" : "medium",
      `The kubelet uses the ${eff.cgroupDriver} cgroup driver${eff.cgroupDriverExplicit ? "" : " (default, not set)"} but containerd has SystemdCgroup=${systemdCgroup}${fromCri ? "; KubeletCgroupDriverFromCRI may let the kubelet follow containerd" : ""}`,
      evidence,
      {
        cgroupDriver: eff.cgroupDriver,
        explicit: eff.cgroupDriverExplicit,
        containerdSystemdCgroup: systemdCgroup,
        driverFromCri: fromCri,
      },
    ),
  );
}

/** `602401143452.dkr.ecr…/eks/pause:3.10` and `docker.io/library/x` spellings compared as containerd resolves them. */
function normalizeImage(image: string): string {
  let ref = image.trim();
  if (!/^[^/]+[.:][^/]*\//.test(ref) && !ref.startsWith("localhost/"))
    ref = `docker.io/${ref.includes("/") ? "" : "library/"}${ref}`;
  if (!/[:@][^/]+$/.test(ref)) ref += ":latest";
  return ref;
}

interface KubeconfigFacts {
  server: string | undefined;
  caKind: "file" | "data" | "data-omitted" | "none" | "placeholder" | "not-pem" | "insecure";
  authMethod: "exec" | "token" | "token-file" | "client-certificate" | "auth-provider" | "basic" | "none";
  execCommand?: string;
  clusterName?: string;
  region?: string;
  clusterEntry: string | undefined;
}

function pickNamed(list: unknown, name: string | undefined, field: string): JsonObject | undefined {
  if (!Array.isArray(list)) return undefined;
  const entries = list.filter(isObject);
  const named = name === undefined ? undefined : entries.find((e) => e.name === name);
  const chosen = named ?? entries[0];
  const inner = chosen?.[field];
  return isObject(inner) ? inner : undefined;
}

function argAfter(args: string[], names: string[]): string | undefined {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    for (const name of names) {
      if (arg === name) return args[i + 1];
      if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
    }
  }
  return undefined;
}

function kubeconfigFacts(doc: JsonObject): KubeconfigFacts {
  const currentContext = str(doc["current-context"]);
  const context = pickNamed(doc.contexts, currentContext, "context");
  const cluster = pickNamed(doc.clusters, str(context?.cluster), "cluster");
  const user = pickNamed(doc.users, str(context?.user), "user");
  const server = cluster
    ? typeof cluster.server === "string"
      ? cluster.server.trim()
      : cluster.server === null || cluster.server === undefined
        ? undefined
        : String(cluster.server)
    : undefined;

  let caKind: KubeconfigFacts["caKind"] = "none";
  const caFile = str(cluster?.["certificate-authority"]);
  const caData = str(cluster?.["certificate-authority-data"]);
  if (caData !== undefined) {
    const data = caData.trim();
    if (OMITTED_DATA.test(data)) caKind = "data-omitted";
    else if (PLACEHOLDER_CA.test(data)) caKind = "placeholder";
    else if (data.replace(/\s+/g, "").startsWith("LS0t")) caKind = "data";
    else caKind = "not-pem";
  } else if (caFile !== undefined) caKind = PLACEHOLDER_CA.test(caFile.trim()) ? "placeholder" : "file";
  if ((caKind === "none" || caKind === "placeholder") && cluster?.["insecure-skip-tls-verify"] === true)
    caKind = "insecure";

  const facts: KubeconfigFacts = { server, caKind, authMethod: "none", clusterEntry: str(context?.cluster) };
  if (user) {
    const exec = user.exec;
    if (isObject(exec)) {
      facts.authMethod = "exec";
      const command = str(exec.command);
      if (command) facts.execCommand = command.split("/").pop() as string;
      const args = Array.isArray(exec.args) ? exec.args.map(String) : [];
      const clusterName = argAfter(args, ["--cluster-name", "--cluster-id", "-i"]);
      if (clusterName) facts.clusterName = clusterName;
      const region = argAfter(args, ["--region"]);
      if (region) facts.region = region;
    } else if (user.token !== undefined && user.token !== null && user.token !== "") facts.authMethod = "token";
    else if (str(user.tokenFile)) facts.authMethod = "token-file";
    else if (str(user["client-certificate"]) || str(user["client-certificate-data"]))
      facts.authMethod = "client-certificate";
    else if (isObject(user["auth-provider"])) facts.authMethod = "auth-provider";
    else if (str(user.username)) facts.authMethod = "basic";
  }
  return facts;
}

function serverProblem(server: string | undefined): string | undefined {
  if (server === undefined || server === "") return "the server is empty";
  if (PLACEHOLDER_SERVER.test(server)) return `the server is a placeholder (${server})`;
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return `the server is not a URL (${server})`;
  }
  if (url.protocol !== "https:") return `the server is not https (${url.protocol.replace(":", "")})`;
  if (url.hostname === "" || PLACEHOLDER_SERVER.test(url.hostname) || /^[A-Z][A-Z0-9_]*$/.test(url.hostname))
    return `the server host is a placeholder (${url.hostname || "empty"})`;
  return undefined;
}

async function kubeconfigFindings(ctx: AnalyzerContext, findings: FindingDraft[]): Promise<void> {
  const read = await ctx.read.text("kubeconfig");
  if (read.state !== "ok") return;
  const file: FileText = { path: read.path, text: read.text };
  if (read.text.trim() === "") {
    ctx.read.gap(read.path, "file is empty");
    return;
  }
  let doc: unknown;
  let problem: string | undefined;
  try {
    doc = parseYaml(read.text, { maxAliasCount: 100 });
  } catch (error) {
    problem = `invalid YAML: ${(error as Error).message.split("\n")[0]?.slice(0, 120)}`;
  }
  if (problem === undefined && (!isObject(doc) || (!Array.isArray(doc.clusters) && doc.kind !== "Config")))
    problem = "not a kubeconfig (no clusters)";
  if (problem !== undefined || !isObject(doc)) {
    const reason = problem ?? "not a kubeconfig";
    ctx.read.gap(read.path, reason);
    findings.push(
      fact(
        "kubelet-config.kubeconfig-invalid",
        "high",
        `The kubelet's kubeconfig cannot be used: ${reason}`,
        [makeLocator(read.path, 1, undefined, read.text.split("\n", 1)[0] ?? "")],
        { problem: reason },
      ),
    );
    return;
  }
  const facts = kubeconfigFacts(doc);
  const serverLine = locate(file, /^\s*server:/);
  const caLine = locate(
    file,
    /certificate-authority|insecure-skip-tls-verify/,
    facts.caKind === "data" || facts.caKind === "not-pem" ? "certificate-authority-data: <omitted>" : undefined,
  );
  let host: string | undefined;
  try {
    host = facts.server ? new URL(facts.server).hostname || undefined : undefined;
  } catch {
    host = undefined;
  }
  const caConfigured = facts.caKind === "file" || facts.caKind === "data" || facts.caKind === "data-omitted";
  const attributes: FindingDraft["attributes"] = {
    server: facts.server ?? null,
    caConfigured,
    caSource: facts.caKind,
    authMethod: facts.authMethod,
    eksEndpoint: host !== undefined && /\.eks\.amazonaws\.com(\.cn)?$/.test(host),
  };
  if (host) attributes.serverHost = host;
  if (facts.execCommand) attributes.execCommand = facts.execCommand;
  if (facts.clusterName) attributes.clusterName = facts.clusterName;
  if (facts.region) attributes.region = facts.region;
  findings.push(
    fact(
      "kubelet-config.api-server",
      "info",
      `The kubelet talks to ${facts.server || "(no server)"}; CA ${caConfigured ? "configured" : "missing"}; auth ${facts.authMethod}${facts.clusterName ? ` for cluster ${facts.clusterName}` : ""}`,
      [serverLine],
      attributes,
    ),
  );
  const bad = serverProblem(facts.server);
  if (bad)
    findings.push(
      fact(
        "kubelet-config.server-invalid",
        "high",
        `The kubelet's kubeconfig points at no usable API server: ${bad}`,
        [serverLine],
        { server: facts.server ?? null, problem: bad },
      ),
    );
  if (!caConfigured) {
    const why =
      facts.caKind === "insecure"
        ? "TLS verification is disabled (insecure-skip-tls-verify) instead of a cluster CA"
        : facts.caKind === "placeholder"
          ? "the certificate authority is a placeholder"
          : facts.caKind === "not-pem"
            ? "certificate-authority-data is not a PEM certificate"
            : "no certificate-authority or certificate-authority-data";
    findings.push(
      fact(
        "kubelet-config.ca-missing",
        facts.caKind === "insecure" ? "medium" : "high",
        `The kubelet's kubeconfig has no usable cluster CA: ${why}`,
        [facts.caKind === "none" ? serverLine : caLine],
        { caSource: facts.caKind },
      ),
    );
  }
  if (facts.authMethod === "none") {
    findings.push(
      fact(
        "kubelet-config.no-credentials",
        "high",
        "The kubelet's kubeconfig user has no credentials (no exec plugin, token or client certificate)",
        [locate(file, /^users:|^\s*user:/)],
        { authMethod: "none" },
      ),
    );
  }
}

async function readUnit(ctx: AnalyzerContext): Promise<{ file: FileText; unit: KubeletUnit } | undefined> {
  const read = await ctx.read.text("kubeletService");
  if (read.state !== "ok") return undefined;
  if (read.text.trim() === "") {
    ctx.read.gap(read.path, "file is empty");
    return undefined;
  }
  const unit = parseKubeletUnit(read.text);
  if (!unit.hasExecStart) {
    const said = read.text.trim().split("\n", 1)[0]?.slice(0, 120) ?? "";
    ctx.read.gap(read.path, `no ExecStart in the kubelet unit (${said})`);
    return undefined;
  }
  return { file: { path: read.path, text: read.text }, unit };
}

async function analyze(
  ctx: AnalyzerContext,
  input: { containerdSystemdCgroup?: boolean | undefined; containerdSandboxImage?: string | undefined },
): Promise<FindingDraft[]> {
  const findings: FindingDraft[] = [];
  const unit = await readUnit(ctx);
  const cfg = await readConfigFiles(ctx, findings, unit?.unit.flags.get("config"));
  await kubeconfigFindings(ctx, findings);
  if (!cfg.readOk && !unit) return findings;

  const eff = effectiveSettings(cfg.config, cfg.readOk, unit?.unit.flags ?? new Map());
  settingsFindings(eff, cfg, unit?.file, findings);
  const settings = findings.find((f) => f.kind === "kubelet-config.settings");
  // AL2023 keeps the flags in /etc/eks/kubelet/environment, which the bundle lacks: say they were not seen.
  if (settings && unit && unit.unit.unresolved.length > 0)
    settings.attributes.unitVariablesNotInBundle = unit.unit.unresolved;

  let systemdCgroup = input.containerdSystemdCgroup;
  let sandboxImage = input.containerdSandboxImage;
  let systemdFrom: string | undefined = systemdCgroup === undefined ? undefined : "input";
  if (systemdCgroup === undefined || (sandboxImage === undefined && eff.podInfraContainerImage !== undefined)) {
    // Without the hand-off, read containerd's own dump (quietly: it is read_containerd_log's source).
    const [path] = await ctx.read.paths("containerdConfig");
    const size = path ? await ctx.read.size(path) : undefined;
    if (path && size !== undefined && size > 0 && size < 4 << 20) {
      const read = await ctx.read.textAt(path);
      if (read.state === "ok") {
        const parsed = parseContainerdConfig(read.text);
        if (systemdCgroup === undefined && parsed.systemdCgroup !== undefined) {
          systemdCgroup = parsed.systemdCgroup;
          systemdFrom = path;
        }
        sandboxImage ??= parsed.sandboxImage;
      }
    }
  }
  // Without a readable config the kubelet's driver is unknown (the default would be a guess).
  if (cfg.readOk || eff.cgroupDriverExplicit)
    cgroupFindings(eff, systemdCgroup, systemdFrom, cfg, unit?.file, findings);

  if (
    eff.podInfraContainerImage &&
    sandboxImage &&
    normalizeImage(eff.podInfraContainerImage) !== normalizeImage(sandboxImage)
  ) {
    findings.push(
      fact(
        "kubelet-config.sandbox-image-mismatch",
        "medium",
        `The kubelet protects ${eff.podInfraContainerImage} from image GC but containerd's sandbox image is ${sandboxImage}`,
        unit ? [locate(unit.file, "--pod-infra-container-image")] : [],
        { podInfraContainerImage: eff.podInfraContainerImage, containerdSandboxImage: sandboxImage },
      ),
    );
  }
  return findings;
}

export const readKubeletConfig = defineTool({
  name: "read_kubelet_config",
  title: "Kubelet configuration",
  lane: "runtime",
  description:
    "Reads the kubelet's configuration as the node had it: kubelet/config.json (or kubelet-config.json) merged with config.json.d drop-ins, the unit's ExecStart flags and Environment lines (systemctl cat kubelet), and the kubeconfig (API server, CA, credentials; secrets are never echoed). " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. ` +
    "Hand-offs: `kubelet-config.settings` carries maxPods (compare with inspect_ipamd_state's capacity) and clusterDNS (compare with check_resolv_conf / inspect_iptables kube-dns); pass read_containerd_log's `containerd.config` attributes systemdCgroup/sandboxImage as containerdSystemdCgroup/containerdSandboxImage (without them the containerd config dump is read directly). " +
    "Next: read_kubelet_journal to see whether the kubelet actually failed on what is configured here.",
  sources: ["kubeletConfig", "kubeletConfigDropIns", "kubeconfig", "kubeletService", "containerdConfig"],
  kinds: KINDS,
  input: {
    containerdSystemdCgroup: z
      .boolean()
      .optional()
      .describe(
        "containerd's SystemdCgroup for runc: attribute `systemdCgroup` of read_containerd_log's `containerd.config` finding",
      ),
    containerdSandboxImage: z
      .string()
      .max(512)
      .optional()
      .describe(
        "containerd's sandbox (pause) image: attribute `sandboxImage` of read_containerd_log's `containerd.config` finding",
      ),
  },
  analyze,
});
