import { z } from "zod";
import type { Severity } from "../src/domain/severity.ts";
import type { ArtifactName } from "../src/evidence/layout.ts";
import type { EvidenceReader } from "../src/toolkit/evidence-reader.ts";
import { draft } from "../src/toolkit/finding-drafts.ts";
import { buildPrefilter, journalLineTime } from "../src/toolkit/log-signals.ts";
import { Occurrences } from "../src/toolkit/occurrences.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

const KINDS = {
  "bootstrap.failed": kind(
    "nodeadm, bootstrap.sh or a cloud-init user-data script failed in the latest boot (fatal Command failed, [eks-bootstrap] ERROR, Failed running …/scripts/part-001, unit failed); attribute causes; medium when only a script after a completed bootstrap failed, info when a later run succeeded: node.bootstrap-misconfigured",
    {
      stages: attr.texts(
        "Bootstrap logs holding the failures, sorted: nodeadm-config, nodeadm-run, cloud-init-output, cloud-init, user-data",
      ),
      causes: attr.texts(
        "Distinct failure causes, sorted: endpoint, ca, cluster-name, cidr, describe-cluster, imds, permission, network, exec, config-parse, user-script, other",
      ),
      latestRun: attr.flag("Set (true) when the failures are in the latest run and nothing cleared them"),
      afterBootstrapComplete: attr.flag("Set (true) when only a user-data step failed after bootstrap completed"),
      cleared: attr.flag(
        "Set (true) when the failures are from an earlier attempt or boot and the latest run completed",
      ),
    },
  ),
  "bootstrap.endpoint": kind(
    "Fact: the API server endpoint host bootstrap configured and where it came from (nodeadm config, bootstrap.sh flags, user-data trace)",
    {
      host: attr.text("API server endpoint host as written (empty when the URL has none)"),
      source: attr.text(
        "Bootstrap log the value came from: nodeadm-config, nodeadm-run, cloud-init-output, cloud-init or user-data",
      ),
      https: attr.flag("Whether the endpoint is an https URL (always true for this kind)"),
    },
  ),
  "bootstrap.endpoint-invalid": kind(
    "The API server endpoint bootstrap used is empty, None/null, an unsubstituted template or not https: the kubelet cannot reach the cluster",
    {
      reason: z
        .enum(["empty", "placeholder", "unsubstituted-template", "not-https", "no-host", "not-a-url"])
        .describe("What is wrong with the endpoint value"),
      source: attr.text(
        "Bootstrap log the value came from: nodeadm-config, nodeadm-run, cloud-init-output, cloud-init or user-data",
      ),
      value: attr.text("The endpoint value as written, only when it is empty or a placeholder (None, null, …)"),
      host: attr.text("The endpoint's host, when the value is otherwise invalid but has one"),
    },
  ),
  "bootstrap.ca-invalid": kind(
    "The cluster CA bootstrap used is empty, None, not base64 or not a PEM certificate (x509 errors follow)",
    {
      reason: z
        .enum(["empty", "placeholder", "unsubstituted-template", "not-base64", "not-a-certificate"])
        .describe("What is wrong with the cluster CA value"),
      source: attr.text(
        "Bootstrap log the value came from: nodeadm-config, nodeadm-run, cloud-init-output, cloud-init or user-data",
      ),
      length: attr.count("Length of the CA value as written (characters)"),
    },
  ),
  "bootstrap.max-pods": kind(
    "Fact: max-pods set at bootstrap (attribute maxPods, a number), for capacity checks against the CNI's IP capacity",
    {
      maxPods: attr.count("max-pods set at bootstrap (pods)"),
      source: attr.text(
        "Bootstrap log the value came from: nodeadm-config, nodeadm-run, cloud-init-output, cloud-init or user-data",
      ),
      useMaxPods: attr.flag("Value of bootstrap.sh --use-max-pods, when given"),
    },
  ),
  "bootstrap.settings": kind(
    "Fact: bootstrap method, cluster name, container runtime, kubelet version, whether kubelet extra args were given, DNS cluster IP",
    {
      sources: attr.texts(
        "Bootstrap logs read, in reading order: nodeadm-config, nodeadm-run, cloud-init-output, cloud-init, user-data",
      ),
      runs: attr.count("Bootstrap runs seen across those logs"),
      method: z.enum(["nodeadm", "bootstrap.sh"]).describe("How the node was bootstrapped"),
      clusterName: attr.text("EKS cluster name bootstrap used"),
      containerRuntime: attr.text("Container runtime bootstrap configured (containerd with nodeadm)"),
      kubeletVersion: attr.text("kubelet version bootstrap reported"),
      kubeletExtraArgs: attr.flag("Whether non-empty kubelet extra args / flags were given"),
      dnsClusterIp: attr.text(
        "Cluster DNS IP bootstrap passed (--dns-cluster-ip or clusterDNS; may be a comma-separated list)",
      ),
      describeCluster: attr.flag(
        "Set (true) when nodeadm described the cluster (DescribeCluster) to fill in its details",
      ),
      ipFamily: attr.text("IP family bootstrap used (ipv4 / ipv6)"),
      configSource: attr.text("nodeadm configSource URI (e.g. imds://user-data)"),
    },
  ),
};
type Kind = keyof typeof KINDS;

const SOURCES: readonly ArtifactName[] = ["nodeadmConfig", "nodeadmRun", "cloudInitOutput", "cloudInit", "userData"];
const STAGE: Record<string, string> = {
  nodeadmConfig: "nodeadm-config",
  nodeadmRun: "nodeadm-run",
  cloudInitOutput: "cloud-init-output",
  cloudInit: "cloud-init",
  userData: "user-data",
};

interface Hit {
  path: string;
  source: string;
  line: number;
  at: number | undefined;
  excerpt: string;
}

interface Failure extends Hit {
  cause: string;
  afterComplete: boolean;
}

interface Run {
  failures: Failure[];
  completedAt: Hit | undefined;
  sawBody: boolean;
  lastStage: string | undefined;
}

interface Value<T> {
  value: T;
  source: string;
  hit: Hit;
}

interface Settings {
  endpoint?: Value<string>;
  ca?: Value<string>;
  clusterName?: Value<string>;
  maxPods?: Value<number>;
  useMaxPods?: boolean;
  runtime?: string;
  kubeletVersion?: string;
  extraArgs?: boolean;
  dnsClusterIp?: string;
  describeCluster?: boolean;
  ipFamily?: string;
  method?: "nodeadm" | "bootstrap.sh";
  configSource?: string;
}

const FAILURE = [
  /"level":"(?:fatal|error|panic)"/,
  /(?:^|\]: )(?:fatal|error|panic)\s+\S+\.go:\d+\s/,
  /\.service: Main process exited, code=exited, status=[1-9]/,
  /Failed to start nodeadm-/,
  /\.service: Failed with result/,
  /Failed at step EXEC/,
  /\[eks-bootstrap\] ERROR/,
  /Exited with error on line \d+/,
  /Failed running \/var\/lib\/cloud\/instance\/scripts\//,
  /Failed to run module scripts-user/,
  /Running module scripts-user .* failed/,
  /could not get cluster details/,
  /An error occurred \(\w+\) when calling the DescribeCluster operation/,
  /Could not connect to the endpoint URL/,
];
/** Lines that merely repeat a failure already counted (systemd's follow-ups). */
const FOLLOW_UP =
  /\.service: Main process exited|\.service: Failed with result|Failed to start nodeadm-|Failed to run module scripts-user|Running module scripts-user .* failed/;
/** systemd prints its follow-ups right after the failure: further away, a follow-up line is a failure of its own. */
const FOLLOW_UP_LINES = 5;
const COMPLETE =
  /"msg":"done!"|\s(?:info|INFO)\s+\S+\.go:\d+\s+done!|\[eks-bootstrap\] INFO: complete!|Finished nodeadm-(?:config|run)\.service/;

/** journald / ISO / cloud-init.log times, and the RFC 2822 date in cloud-init's stage banner. */
function lineTime(line: string, yearRef: number | undefined): number | undefined {
  const t = journalLineTime(line, yearRef);
  if (t !== undefined) return t;
  const banner =
    /^Cloud-init v\. \S+ (?:running '[^']+'|finished) at ([A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4})/.exec(
      line,
    );
  if (!banner) return undefined;
  const parsed = Date.parse(banner[1] as string);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** Run boundaries, failures, completions and settings: only lines holding one of these are read. */
const PREFILTER = buildPrefilter(
  [],
  [
    "Starting nodeadm-",
    "Checking user is root",
    "Cloud-init v. ",
    '"level":"fatal"',
    '"level":"error"',
    '"level":"panic"',
    "]: fatal ",
    "]: error ",
    "]: panic ",
    "Main process exited",
    "Failed to start nodeadm-",
    "Failed with result",
    "Failed at step EXEC",
    "[eks-bootstrap]",
    "Exited with error on line",
    "Failed running /var/lib/cloud/instance/scripts/",
    "Failed to run module scripts-user",
    "Running module scripts-user",
    "could not get cluster details",
    "An error occurred (",
    "Could not connect to the endpoint URL",
    "done!",
    "Finished nodeadm-",
    "apiserver-endpoint",
    "apiServerEndpoint",
    "b64-cluster-ca",
    "certificateAuthority",
    "max-pods",
    "maxPods",
    "container runtime",
    "kubelet version",
    "kubelet-extra-args",
    "dns-cluster-ip",
    "describing cluster",
    "IP family",
    "configSource",
    "bootstrap.sh",
    "CLUSTER_NAME",
    "API_SERVER_URL",
    "APISERVER_ENDPOINT",
    "B64_CLUSTER_CA",
    "Loaded configuration",
  ],
);

function failureCause(l: string): string {
  if (/endpoint is missing|apiserver.?endpoint|ApiServerEndpoint/i.test(l)) return "endpoint";
  if (/Certificate authority is missing|b64-cluster-ca|certificate/i.test(l)) return "ca";
  if (/Name is missing|cluster name is not defined/i.test(l)) return "cluster-name";
  if (/CIDR is missing/i.test(l)) return "cidr";
  if (/could not get cluster details|DescribeCluster|describe-cluster|describing cluster/i.test(l))
    return "describe-cluster";
  if (/imds|169\.254\.169\.254|EC2Metadata|metadata/i.test(l)) return "imds";
  if (/AccessDenied|UnauthorizedOperation|not authorized/i.test(l)) return "permission";
  if (/Could not connect to the endpoint URL|dial tcp|i\/o timeout|connection refused|no such host/i.test(l))
    return "network";
  if (/Failed at step EXEC|status=203|Permission denied/.test(l)) return "exec";
  if (/parse|unmarshal|yaml|invalid character/i.test(l)) return "config-parse";
  if (/Failed running \/var\/lib\/cloud\/instance\/scripts|scripts-user|Exited with error on line/.test(l))
    return "user-script";
  return "other";
}

const PLACEHOLDER = /^(none|null|nil|undefined|<nil>)$/i;

function endpointProblem(value: string): string | undefined {
  if (value.trim() === "") return "empty";
  if (PLACEHOLDER.test(value.trim())) return "placeholder";
  if (/\$\{|\$\(|MASTER_ENDPOINT|\{\{/.test(value)) return "unsubstituted-template";
  if (!/^https:\/\//i.test(value)) return "not-https";
  try {
    if (!new URL(value).hostname) return "no-host";
  } catch {
    return "not-a-url";
  }
  return undefined;
}

/** Whether a logged value was shortened (`LS0tLS1CRUdJTi...`): it cannot be judged. */
function truncated(value: string): boolean {
  return /(\.\.\.|…)$/.test(value.trim());
}

function caProblem(value: string): string | undefined {
  const v = value.trim();
  if (v === "") return "empty";
  if (truncated(v)) return undefined;
  if (PLACEHOLDER.test(v)) return "placeholder";
  if (/\$\{|\$\(|\{\{/.test(v)) return "unsubstituted-template";
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(v)) return "not-base64";
  const head = Buffer.from(v.slice(0, 64), "base64").toString("latin1");
  if (!head.startsWith("-----BEGIN CERTIFICATE")) return "not-a-certificate";
  return undefined;
}

/** Keeps certificate data and nodeadm's whole-config dump out of excerpts. */
function scrub(line: string, settings: Settings): string {
  let out = line
    .replace(
      /(--b64-cluster-ca(?:=|\s+)['"]?)([A-Za-z0-9+/=]{12,})/g,
      (_m, head: string, ca: string) => `${head}<base64 CA, ${ca.length} chars>`,
    )
    .replace(
      /("certificateAuthority"\s*:\s*")([^"]{12,})"/g,
      (_m, head: string, ca: string) => `${head}<base64 CA, ${ca.length} chars>"`,
    )
    .replace(
      /(B64_CLUSTER_CA=['"]?)([A-Za-z0-9+/=]{12,})/g,
      (_m, head: string, ca: string) => `${head}<base64 CA, ${ca.length} chars>`,
    );
  const loaded = out.indexOf("Loaded configuration");
  if (loaded >= 0) {
    const host = settings.endpoint ? hostOf(settings.endpoint.value) : undefined;
    out = `${out.slice(0, loaded + "Loaded configuration".length)} … (cluster ${settings.clusterName?.value ?? "?"}, endpoint ${host ?? settings.endpoint?.value ?? "?"})`;
  }
  return out;
}

/** The host as written (EKS endpoints are upper-case hex; URL would lower-case them). */
function hostOf(endpoint: string): string | undefined {
  return /^[a-z][a-z0-9+.-]*:\/\/([^/:?#\s]+)/i.exec(endpoint)?.[1];
}

function firstGroup(m: RegExpExecArray | null): string | undefined {
  return m?.slice(1).find((g) => g !== undefined);
}

/** Reads every setting a line states; later lines (later boots) win. */
function noteSettings(l: string, source: string, hit: Hit, s: Settings): void {
  if (l.includes("Loaded configuration") || l.includes("Checking user is root") || l.includes("nodeadm"))
    s.method ??= "nodeadm";
  if (l.includes("[eks-bootstrap]") || l.includes("bootstrap.sh"))
    s.method = s.method === "nodeadm" && source.startsWith("nodeadm") ? "nodeadm" : "bootstrap.sh";
  const endpoint =
    firstGroup(/--apiserver-endpoint(?:=|\s+)['"]?([^'"\s]*)/.exec(l)) ??
    firstGroup(/"apiServerEndpoint"\s*:\s*"([^"]*)"/.exec(l)) ??
    firstGroup(/\b(?:API_SERVER_URL|APISERVER_ENDPOINT)=['"]?([^'"\s]*)/.exec(l));
  // A `$VAR` in a script or trace line is a reference, not the value; bootstrap.sh's own log line
  // prints what it received, so there an unexpanded variable is the real (broken) value.
  const authoritative = l.includes("[eks-bootstrap]") || l.includes("Loaded configuration");
  const usable = (v: string | undefined): v is string => v !== undefined && (authoritative || !v.startsWith("$"));
  if (usable(endpoint)) s.endpoint = { value: endpoint, source, hit };
  else if (/"apiServerEndpoint"\s*:\s*null/.test(l)) s.endpoint = { value: "", source, hit };
  const ca =
    firstGroup(/--b64-cluster-ca(?:=|\s+)['"]?([^'"\s]*)/.exec(l)) ??
    firstGroup(/"certificateAuthority"\s*:\s*"([^"]*)"/.exec(l)) ??
    firstGroup(/\bB64_CLUSTER_CA=['"]?([^'"\s]*)/.exec(l));
  if (usable(ca)) s.ca = { value: ca, source, hit };
  else if (/"certificateAuthority"\s*:\s*null/.test(l)) s.ca = { value: "", source, hit };
  const name =
    firstGroup(/"cluster"\s*:\s*\{[^{}]*?"name"\s*:\s*"([^"]*)"/.exec(l)) ??
    firstGroup(/bootstrap\.sh['"]?\s+['"]?([A-Za-z0-9][A-Za-z0-9_-]*)/.exec(l)) ??
    firstGroup(/\bCLUSTER_NAME=['"]?([A-Za-z0-9][A-Za-z0-9_-]*)/.exec(l));
  if (name !== undefined) s.clusterName = { value: name, source, hit };
  const maxPods = firstGroup(/--max-pods(?:=|\s+)['"]?(\d+)/.exec(l)) ?? firstGroup(/"maxPods"\s*:\s*(\d+)/.exec(l));
  if (maxPods !== undefined) s.maxPods = { value: Number(maxPods), source, hit };
  const useMax = /--use-max-pods(?:=|\s+)['"]?(true|false)/.exec(l);
  if (useMax) s.useMaxPods = useMax[1] === "true";
  const runtime = /Using (\S+) as the container runtime/.exec(l) ?? /--container-runtime(?:=|\s+)['"]?([a-z]+)/.exec(l);
  if (runtime) s.runtime = runtime[1];
  const kubelet =
    /Using kubelet version (\S+)/.exec(l) ??
    /(?:Fetched|Detected) kubelet version["\s,{]*(?:"version"\s*:\s*)?"?(v?[\d.]+[^"\s}]*)/.exec(l);
  if (kubelet) s.kubeletVersion = kubelet[1];
  const extra =
    /--kubelet-extra-args(?:=|\s+)(['"])(.*?)\1/.exec(l) ?? /--kubelet-extra-args(?:=|\s+)(\S)(\S*)/.exec(l);
  if (extra) s.extraArgs = (extra[2] ?? "").trim() !== "";
  const flags = /"flags"\s*:\s*\[([^\]]*)\]/.exec(l);
  if (flags) s.extraArgs = (flags[1] ?? "").trim() !== "";
  const dns =
    firstGroup(/--dns-cluster-ip(?:=|\s+)['"]?([0-9a-fA-F.:,]+)/.exec(l)) ??
    firstGroup(/"clusterDNS"\s*:\s*\["([0-9a-fA-F.:]+)"/.exec(l));
  if (dns) s.dnsClusterIp = dns;
  if (/describing cluster/.test(l)) s.describeCluster = true;
  const family = /Using IP family: (\w+)/.exec(l) ?? /--ip-family(?:=|\s+)['"]?(ipv[46])/.exec(l);
  if (family) s.ipFamily = family[1];
  const configSource = /"configSource"\s*:\s*\[?"([a-z]+:\/\/[^"]*)"/.exec(l);
  if (configSource) s.configSource = configSource[1];
}

const CORRELATE: Partial<Record<Kind, string[]>> = {
  "bootstrap.failed": ["read_kubelet_journal", "read_kubelet_config"],
  "bootstrap.endpoint-invalid": ["read_kubelet_config", "read_kubelet_journal"],
  "bootstrap.ca-invalid": ["read_kubelet_journal", "read_kubelet_config"],
  "bootstrap.max-pods": ["read_kubelet_config", "inspect_ipamd_state"],
  "bootstrap.endpoint": ["read_kubelet_config"],
};

/** A finding over `hits`: its evidence (first two and last) and first / last time are theirs. */
function finding(
  kind: Kind,
  severity: Severity,
  summary: string,
  hits: Hit[],
  attributes: FindingDraft["attributes"],
  count = hits.length,
): FindingDraft {
  const occ = new Occurrences();
  for (const h of hits) occ.add(h.path, h.line, h.at, h.excerpt);
  return draft({
    kind,
    severity,
    summary,
    evidence: occ.evidence,
    count,
    attributes,
    correlateWith: CORRELATE[kind],
    firstSeen: occ.firstSeen,
    lastSeen: occ.lastSeen,
  });
}

/** Lines worth reading whole: failures, completions and the settings noteSettings knows. */
function interesting(l: string): boolean {
  return (
    FAILURE.some((r) => r.test(l)) ||
    COMPLETE.test(l) ||
    /apiserver|apiServerEndpoint|b64-cluster-ca|certificateAuthority|max-pods|maxPods|container runtime|kubelet version|kubelet-extra-args|dns-cluster-ip|describing cluster|IP family|configSource|bootstrap\.sh|CLUSTER_NAME|API_SERVER_URL|B64_CLUSTER_CA|Loaded configuration|\[eks-bootstrap\]/.test(
      l,
    )
  );
}

function newRun(): Run {
  return { failures: [], completedAt: undefined, sawBody: false, lastStage: undefined };
}

/** One source's bootstrap runs, oldest first; the last is the one in progress. */
class Runs {
  readonly all: Run[] = [newRun()];

  get current(): Run {
    return this.all[this.all.length - 1] as Run;
  }

  /** Run boundaries: systemd starting the unit, nodeadm's first message, cloud-init's first stage. */
  boundary(l: string): void {
    if (/Starting nodeadm-(?:config|run)\.service/.test(l)) {
      if (this.current.sawBody) this.all.push(newRun());
      this.current.sawBody = true;
      this.current.lastStage = "systemd";
    } else if (l.includes("Checking user is root")) {
      if (this.current.sawBody && this.current.lastStage !== "systemd") this.all.push(newRun());
      this.current.sawBody = true;
      this.current.lastStage = "nodeadm";
    } else if (
      /Cloud-init v\. \S+ running 'init-local'/.test(l) ||
      (/Cloud-init v\. \S+ running 'init'/.test(l) && this.current.lastStage !== "init-local")
    ) {
      if (this.current.sawBody) this.all.push(newRun());
      this.current.sawBody = true;
      this.current.lastStage = /init-local/.test(l) ? "init-local" : "init";
    }
  }

  /** An interesting line of the current run: a completion, a failure, or only a setting. */
  note(hit: Hit, text: string): void {
    const run = this.current;
    run.sawBody = true;
    if (COMPLETE.test(text)) run.completedAt = hit;
    if (!FAILURE.some((r) => r.test(text))) return;
    const previous = run.failures[run.failures.length - 1];
    if (FOLLOW_UP.test(text) && previous && hit.line - previous.line <= FOLLOW_UP_LINES) return;
    run.failures.push({
      ...hit,
      cause: failureCause(text),
      afterComplete: run.completedAt !== undefined && /\[eks-bootstrap\]|nodeadm/.test(run.completedAt.excerpt),
    });
  }
}

/** One source's latest run, and the runs before it (earlier attempts or boots). */
interface SourceLog {
  source: string;
  run: Run;
  earlier: Run[];
}

interface Bootstrap {
  settings: Settings;
  logs: SourceLog[];
}

/** Reads every bootstrap source; settings accumulate across them, later sources winning. */
async function readBootstrap(
  read: EvidenceReader,
  yearRef: number | undefined,
  windowEnd: number,
): Promise<Bootstrap | undefined> {
  const settings: Settings = {};
  const logs: SourceLog[] = [];
  for (const name of SOURCES) {
    const runs = await readSource(read, name, settings, yearRef, windowEnd);
    if (runs) logs.push({ source: STAGE[name] as string, run: runs.at(-1) as Run, earlier: runs.slice(0, -1) });
  }
  return logs.length > 0 ? { settings, logs } : undefined;
}

/** One source's runs, noting the settings its lines state into `settings`; undefined when absent or unreadable. */
async function readSource(
  read: EvidenceReader,
  name: ArtifactName,
  settings: Settings,
  yearRef: number | undefined,
  windowEnd: number,
): Promise<Run[] | undefined> {
  const [path] = await read.paths(name);
  if (!path) return undefined;
  const size = await read.size(path);
  if (size === 0) {
    read.gap(path, "file is empty");
    return undefined;
  }
  const source = STAGE[name] as string;
  const runs = new Runs();
  let pastEnd = false;
  const ok = await read.scanMatchingAt(path, PREFILTER, (cursor) => {
    const l = cursor.chunk.slice(cursor.start, cursor.end);
    // Bootstrap state lasts until the next boot, so nothing before the window is dropped; but a
    // boot after the window's end (and every line after it) is not the state the incident saw.
    if (pastEnd) return;
    const at = lineTime(l, yearRef);
    if (at !== undefined && at > windowEnd) {
      pastEnd = true;
      return;
    }
    runs.boundary(l);
    if (!interesting(l)) return;
    const text = cursor.text();
    const hit: Hit = { path, source, line: cursor.lineNo, at, excerpt: "" };
    noteSettings(text, source, hit, settings);
    // Scrubbed after noting, so the summary of a config dump names this line's own settings.
    hit.excerpt = scrub(text, settings);
    runs.note(hit, text);
  });
  return ok ? runs.all : undefined;
}

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const model = await readBootstrap(ctx.read, ctx.clock.yearReference, ctx.window.end);
  if (!model) return [];
  const { settings, logs } = model;
  return [
    failedFinding(logs),
    endpointFinding(settings),
    caFinding(settings),
    maxPodsFinding(settings),
    settingsFact(settings, logs),
  ].filter((f): f is FindingDraft => f !== undefined);
}

/**
 * Only the latest run's failures are live. A failure after bootstrap completed is a user-data
 * step's (the node may still have joined); failures a later completion or run cleared are history.
 */
function failedFinding(logs: SourceLog[]): FindingDraft | undefined {
  const active: Failure[] = [];
  const afterComplete: Failure[] = [];
  const cleared: Failure[] = [];
  for (const { run, earlier } of logs) {
    for (const f of run.failures) {
      if (f.afterComplete) afterComplete.push(f);
      else if (run.completedAt && run.completedAt.line > f.line) cleared.push(f);
      else active.push(f);
    }
    for (const r of earlier) cleared.push(...r.failures);
  }
  const stagesOf = (fs: Failure[]) => [...new Set(fs.map((f) => f.source))].sort();
  const causesOf = (fs: Failure[]) => [...new Set(fs.map((f) => f.cause))].sort();
  if (active.length > 0)
    return finding(
      "bootstrap.failed",
      "high",
      `Bootstrap failed in the latest boot (${stagesOf(active).join(", ")}: ${causesOf(active).join(", ")})`,
      active,
      { stages: stagesOf(active), causes: causesOf(active), latestRun: true },
    );
  if (afterComplete.length > 0)
    return finding(
      "bootstrap.failed",
      "medium",
      `A user-data step failed after bootstrap completed (${causesOf(afterComplete).join(", ")})`,
      afterComplete,
      { stages: stagesOf(afterComplete), causes: causesOf(afterComplete), afterBootstrapComplete: true },
    );
  if (cleared.length > 0)
    return finding(
      "bootstrap.failed",
      "info",
      `Bootstrap errors from an earlier attempt or boot (${causesOf(cleared).join(", ")}); the latest run completed`,
      cleared,
      { stages: stagesOf(cleared), causes: causesOf(cleared), cleared: true },
    );
  return undefined;
}

function endpointFinding(settings: Settings): FindingDraft | undefined {
  if (!settings.endpoint) return undefined;
  const { value, source, hit } = settings.endpoint;
  const problem = endpointProblem(value);
  const host = hostOf(value);
  if (!problem)
    return finding(
      "bootstrap.endpoint",
      "info",
      `Bootstrap configured the API server endpoint ${host} (from ${source})`,
      [hit],
      { host: host ?? "", source, https: true },
    );
  const attributes: FindingDraft["attributes"] = { reason: problem, source };
  // An empty or placeholder value is safe to quote; anything else is reduced to its host.
  if (problem === "empty" || problem === "placeholder") attributes.value = value;
  else if (host) attributes.host = host;
  return finding(
    "bootstrap.endpoint-invalid",
    "high",
    `Bootstrap configured the API server endpoint as ${value === "" ? "an empty string" : `"${problem === "placeholder" ? value : (host ?? "an invalid value")}"`} (${problem}, from ${source})`,
    [hit],
    attributes,
  );
}

function caFinding(settings: Settings): FindingDraft | undefined {
  if (!settings.ca) return undefined;
  const problem = caProblem(settings.ca.value);
  if (!problem) return undefined;
  return finding(
    "bootstrap.ca-invalid",
    "high",
    `The cluster CA passed at bootstrap is ${problem.replace(/-/g, " ")} (from ${settings.ca.source})`,
    [settings.ca.hit],
    { reason: problem, source: settings.ca.source, length: settings.ca.value.length },
  );
}

function maxPodsFinding(settings: Settings): FindingDraft | undefined {
  if (!settings.maxPods) return undefined;
  const attributes: FindingDraft["attributes"] = { maxPods: settings.maxPods.value, source: settings.maxPods.source };
  if (settings.useMaxPods !== undefined) attributes.useMaxPods = settings.useMaxPods;
  return finding(
    "bootstrap.max-pods",
    "info",
    `Bootstrap set max-pods to ${settings.maxPods.value} (from ${settings.maxPods.source})`,
    [settings.maxPods.hit],
    attributes,
  );
}

function settingsFact(settings: Settings, logs: SourceLog[]): FindingDraft {
  const attributes: FindingDraft["attributes"] = {
    sources: logs.map((l) => l.source),
    runs: logs.reduce((n, l) => n + 1 + l.earlier.length, 0),
  };
  if (settings.method) attributes.method = settings.method;
  if (settings.clusterName) attributes.clusterName = settings.clusterName.value;
  if (settings.runtime) attributes.containerRuntime = settings.runtime;
  // nodeadm only ever configures containerd, and does not say so.
  else if (settings.method === "nodeadm") attributes.containerRuntime = "containerd";
  if (settings.kubeletVersion) attributes.kubeletVersion = settings.kubeletVersion;
  if (settings.extraArgs !== undefined) attributes.kubeletExtraArgs = settings.extraArgs;
  if (settings.dnsClusterIp) attributes.dnsClusterIp = settings.dnsClusterIp;
  if (settings.describeCluster !== undefined) attributes.describeCluster = settings.describeCluster;
  if (settings.ipFamily) attributes.ipFamily = settings.ipFamily;
  if (settings.configSource) attributes.configSource = settings.configSource;
  const settingHits = [settings.clusterName?.hit].filter((h): h is Hit => h !== undefined);
  return finding(
    "bootstrap.settings",
    "info",
    `Bootstrap via ${settings.method ?? "unknown method"}${settings.clusterName ? ` for cluster ${settings.clusterName.value}` : ""}${settings.kubeletVersion ? `, kubelet ${settings.kubeletVersion}` : ""}`,
    settingHits,
    attributes,
    logs.length,
  );
}

export const readBootstrapLogs = defineTool({
  name: "read_bootstrap_logs",
  title: "Node bootstrap logs",
  lane: "runtime",
  description:
    "Reads how the node was bootstrapped: the nodeadm-config / nodeadm-run journals (AL2023, JSON or console zap lines), cloud-init.log, cloud-init-output.log and user-data.log (AL2 bootstrap.sh output and user-data traces). Reports bootstrap failures in the latest boot (node.bootstrap-misconfigured), an API server endpoint that is empty / None / not https, a cluster CA that is empty or not a base64 PEM; and facts: the endpoint host and its source, max-pods (attribute maxPods, for capacity checks), cluster name, container runtime, kubelet version, whether kubelet extra args were given. " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. Secrets in user data are never copied: only the cluster name, endpoint host, max-pods and similar settings become attributes. ` +
    "Next: read_kubelet_config (kubeconfig server, maxPods), read_kubelet_journal (x509 / Unauthorized / unreachable endpoint), inspect_ipamd_state for max-pods against IP capacity.",
  sources: ["nodeadmConfig", "nodeadmRun", "cloudInitOutput", "cloudInit", "userData"],
  kinds: KINDS,
  input: {},
  analyze,
});
