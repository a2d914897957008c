import { z } from "zod";
import type { EvidenceLocator } from "../src/domain/finding.ts";
import type { Severity } from "../src/domain/severity.ts";
import type { LineCursor } from "../src/evidence/lines.ts";
import { splitLines } from "../src/evidence/lines.ts";
import type { EvidenceReader } from "../src/toolkit/evidence-reader.ts";
import { makeLocator } from "../src/toolkit/occurrences.ts";
import { defineTool, type AnalyzerContext, type FindingDraft } from "../src/toolkit/tool-definition.ts";
import { attr, kind } from "../src/toolkit/finding-kinds.ts";

const KINDS = {
  "iptables.summary": kind(
    "Tables, chains and rules per table; kube-proxy chains present and how many services (KUBE-SVC-*) and endpoints (KUBE-SEP-*) they program; FORWARD policy; which format was read",
    {
      format: z.enum(["iptables-save", "iptables -nvL"]).describe("Which iptables output was read"),
      tables: attr.texts("Tables found, in file order"),
      totalRules: attr.count("Rules over all tables"),
      kubeServicesRules: attr.count("Rules in nat KUBE-SERVICES, not counting the trailing jump to KUBE-NODEPORTS"),
      kubeNodeportsRules: attr.count("Rules in nat KUBE-NODEPORTS"),
      services: attr.count("KUBE-SVC-* chains (services kube-proxy programs)"),
      endpoints: attr.count("KUBE-SEP-* chains (service endpoints)"),
      localServices: attr.count("KUBE-SVL-* chains (services with local traffic policy)"),
      externalServices: attr.count("KUBE-EXT-* chains (services with external access)"),
      firewallChains: attr.count("KUBE-FW-* and KUBE-XLB-* chains"),
      kubeProxyChains: attr.texts(
        "Well-known kube-proxy chains present in nat or filter (KUBE-SERVICES, KUBE-NODEPORTS, …)",
      ),
      proxyMode: z
        .enum(["iptables", "ipvs", "none"])
        .describe("kube-proxy mode inferred from the chains, ipvsadm and ip_vs modules"),
      natChains: attr.count("Chains in the nat table"),
      natRules: attr.count("Rules in the nat table"),
      filterChains: attr.count("Chains in the filter table"),
      filterRules: attr.count("Rules in the filter table"),
      mangleChains: attr.count("Chains in the mangle table"),
      mangleRules: attr.count("Rules in the mangle table"),
      rawChains: attr.count("Chains in the raw table"),
      rawRules: attr.count("Rules in the raw table"),
      securityChains: attr.count("Chains in the security table"),
      securityRules: attr.count("Rules in the security table"),
      natFooterRules: attr.number(
        "Rule total from the nat listing's `Total Number of Rules` footer (iptables -nvL only)",
        "rules",
      ),
      filterFooterRules: attr.number(
        "Rule total from the filter listing's `Total Number of Rules` footer (iptables -nvL only)",
        "rules",
      ),
      forwardPolicy: attr.text("Policy of the filter FORWARD chain (ACCEPT, DROP)"),
    },
  ),
  "iptables.proxy-mode": kind(
    "How kube-proxy programs services on this node: iptables (KUBE-SVC chains), ipvs (KUBE-IPVS chains, KUBE-* ipsets, ipvsadm virtual servers, ip_vs modules) or none; in IPVS mode missing KUBE-SVC chains are expected",
    {
      mode: z
        .enum(["iptables", "ipvs", "none"])
        .describe("kube-proxy mode: iptables (KUBE-SVC chains), ipvs, or none found"),
      ipvsSigns: attr.texts(
        "What points to IPVS mode: IPVS chains, KUBE-* ipset matches, virtual servers, ip_vs modules",
      ),
      ipvsVirtualServers: attr.count("Virtual servers listed by ipvsadm -Ln"),
    },
  ),
  "iptables.kube-dns-service": kind(
    "The kube-dns service (kube-system/kube-dns:dns): attributes `clusterIP` (the typed hand-off check_resolv_conf takes as kubeDnsClusterIP) and `endpoints`",
    {
      clusterIP: attr.text("ClusterIP of kube-system/kube-dns (hand-off for check_resolv_conf kubeDnsClusterIP)"),
      endpoints: attr.count(
        "Endpoints of the dns (UDP) port: KUBE-SEP jumps from its KUBE-SVC chain, or IPVS real servers",
      ),
      tcpEndpoints: attr.count("Endpoints of the dns-tcp port (KUBE-SEP jumps from its KUBE-SVC chain)"),
      source: z.enum(["iptables", "ipvsadm"]).describe("Where the service was found"),
      svcChain: attr.text("KUBE-SVC-* chain of the dns (UDP) port"),
      tcpSvcChain: attr.text("KUBE-SVC-* chain of the dns-tcp port"),
    },
  ),
  "iptables.kube-dns-missing": kind(
    "kube-proxy programs services but none for kube-system/kube-dns:dns: pods cannot reach cluster DNS",
    {
      services: attr.count("KUBE-SVC-* chains kube-proxy programs"),
      endpoints: attr.count("KUBE-SEP-* chains kube-proxy programs"),
    },
  ),
  "iptables.kube-dns-no-endpoints": kind(
    "The kube-dns service has no endpoints: its KUBE-SVC chain jumps to no KUBE-SEP, or kube-proxy installed the REJECT `has no endpoints` rule",
    {
      clusterIP: attr.text("ClusterIP of kube-system/kube-dns"),
      endpoints: attr.count("Endpoints of the dns (UDP) port (0 when it is the empty one)"),
      tcpEndpoints: attr.count("Endpoints of the dns-tcp port"),
      ports: attr.texts("kube-dns ports without endpoints (dns, dns-tcp)"),
      source: z.enum(["ipvsadm"]).describe("Set when found in IPVS (ipvsadm) rather than iptables"),
    },
  ),
  "iptables.kube-proxy-chains-missing": kind(
    "KUBE-SERVICES is missing or programs no service (no KUBE-SVC chains) and kube-proxy is not in IPVS mode: services do not route on this node",
    {
      kubeServicesPresent: attr.flag("Whether the nat table declares KUBE-SERVICES"),
      kubeServicesRules: attr.count("Rules in nat KUBE-SERVICES, not counting the jump to KUBE-NODEPORTS"),
      services: attr.count("KUBE-SVC-* chains (always 0 here)"),
      endpoints: attr.count("KUBE-SEP-* chains"),
      ipvsModulesLoaded: attr.flag("Whether ip_vs kernel modules are loaded"),
      cniChainsPresent: attr.flag("Whether VPC CNI chains (AWS-SNAT-CHAIN-*, AWS-CONNMARK-CHAIN-*) are present"),
    },
  ),
  "iptables.forward-drop": kind(
    "The filter FORWARD policy is DROP and no rule accepts pod traffic: forwarded pod traffic is dropped (info when a rule accepts it)",
    {
      policy: attr.text("Policy of the filter FORWARD chain (always DROP here)"),
      forwardRules: attr.count("Rules in the filter FORWARD chain"),
      podTrafficAccepted: attr.flag("Whether a FORWARD rule accepts new pod traffic"),
      forwardTargets: attr.texts("Distinct targets of FORWARD rules (at most 12)"),
    },
  ),
  "iptables.duplicate-rules": kind(
    "The same rule appears many times: kube-proxy sync failures or another agent re-appending rules (rule explosion)",
    {
      distinctDuplicated: attr.count("Distinct rules that appear more than once"),
      extraCopies: attr.count("Copies beyond the first, summed over duplicated rules"),
      maxCopies: attr.count("Copies of the most repeated rule"),
      kubeProxyExtraCopies: attr.count("Extra copies of rules in or jumping to KUBE-* chains"),
    },
  ),
  "iptables.snat": kind(
    "VPC CNI chains: AWS-SNAT-CHAIN-* (empty is expected with AWS_VPC_K8S_CNI_EXTERNALSNAT=true) and AWS-CONNMARK-CHAIN-*; facts only",
    {
      snatChains: attr.count("AWS-SNAT-CHAIN-* chains"),
      snatRules: attr.count("Rules in AWS-SNAT-CHAIN-* chains"),
      snatTargetRules: attr.count("AWS-SNAT-CHAIN-* rules with target SNAT"),
      snatReturnRules: attr.count("AWS-SNAT-CHAIN-* rules with target RETURN"),
      connmarkChains: attr.count("AWS-CONNMARK-CHAIN-* chains"),
      connmarkRules: attr.count("Rules in AWS-CONNMARK-CHAIN-* chains"),
      externalSnatLikely: attr.flag("SNAT chains exist without a SNAT rule (AWS_VPC_K8S_CNI_EXTERNALSNAT=true likely)"),
      snatToSource: attr.text("--to-source address of the first SNAT rule"),
    },
  ),
};

/** Chains kube-proxy creates in iptables mode (nat and filter); their presence shows it ran. */
const KUBE_PROXY_CHAINS = [
  "KUBE-SERVICES",
  "KUBE-NODEPORTS",
  "KUBE-POSTROUTING",
  "KUBE-MARK-MASQ",
  "KUBE-FORWARD",
  "KUBE-PROXY-CANARY",
  "KUBE-EXTERNAL-SERVICES",
  "KUBE-PROXY-FIREWALL",
];
const WELL_KNOWN = new Set(KUBE_PROXY_CHAINS);
/** Chain names only kube-proxy's IPVS mode creates. */
const IPVS_CHAINS = new Set([
  "KUBE-NODE-PORT",
  "KUBE-LOAD-BALANCER",
  "KUBE-IPVS-FILTER",
  "KUBE-IPVS-OUT-FILTER",
  "KUBE-SOURCE-RANGES-FIREWALL",
]);
const DNS_SERVICE = "kube-system/kube-dns:";
const DUP_REPORT_MIN = 2;
const DUP_SAMPLES = 3;
const MAX_DUP_TRACKED = 1000;
const MAX_TARGETS = 12;

type Format = "iptables-save" | "iptables -nvL";

interface DnsPort {
  svcChain?: string;
  clusterIP?: string;
  evidence?: EvidenceLocator;
  noEndpoints?: EvidenceLocator;
  noEndpointsIP?: string;
}

/** Detaches a short string from the chunk it was sliced from (a slice keeps the whole chunk alive). */
function own(text: string): string {
  return Buffer.from(text, "latin1").toString("latin1");
}

/** Two 32-bit FNV-1a variants folded into one exact-safe number: a rule identity without keeping the rule. */
function ruleHash(seed: string, s: string, start: number, end: number): number {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < seed.length; i++) {
    a = Math.imul(a ^ seed.charCodeAt(i), 16777619);
    b = Math.imul(b ^ seed.charCodeAt(i), 2246822519);
  }
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 16777619);
    b = Math.imul(b ^ c, 2246822519);
  }
  return (a >>> 0) * 2097152 + ((b >>> 0) & 0x1fffff);
}

function dnsPortName(text: string): string | undefined {
  const at = text.indexOf(DNS_SERVICE);
  if (at < 0) return undefined;
  return /^[A-Za-z0-9-]+/.exec(text.slice(at + DNS_SERVICE.length))?.[0];
}

function destination(text: string): string | undefined {
  const m = /(?:^| )-d (\d{1,3}(?:\.\d{1,3}){3}|[0-9a-fA-F:]+:[0-9a-fA-F:]*)(?:\/(?:32|128))?(?= |$)/.exec(text);
  return m?.[1];
}

function isOptionalCidr(token: string): boolean {
  return token === "0.0.0.0/0" || token === "::/0";
}

/**
 * An ACCEPT in FORWARD that lets new pod traffic through: not only replies (RELATED,ESTABLISHED),
 * not only kube-proxy's masquerade mark, not only docker's bridge.
 */
function acceptsPodTraffic(text: string): boolean {
  if (/RELATED,ESTABLISHED|ESTABLISHED,RELATED/.test(text) && !/NEW/.test(text)) return false;
  if (/(?:--mark|mark match) /.test(text)) return false;
  if (/-[io] (docker\d*|br-[0-9a-f]+)(?= |$)/.test(text)) return false;
  return true;
}

class Model {
  format: Format = "iptables-save";
  readonly paths: string[] = [];
  readonly tables = new Map<string, { chains: number; rules: number }>();
  readonly footers = new Map<string, number>();
  readonly declared = new Set<string>();
  readonly policies = new Map<string, { policy: string; evidence: EvidenceLocator }>();
  readonly counts = { svc: 0, sep: 0, svl: 0, ext: 0, fw: 0, xlb: 0, kubeServicesRules: 0, nodeportsRules: 0 };
  readonly ipvsSigns = new Set<string>();
  readonly dns = new Map<string, DnsPort>();
  readonly dnsSepJumps = new Map<string, number>();
  readonly forward = { rules: 0, podAccept: undefined as EvidenceLocator | undefined, targets: new Set<string>() };
  readonly snat = {
    chains: 0,
    rules: 0,
    snatRules: 0,
    returnRules: 0,
    evidence: undefined as EvidenceLocator | undefined,
    toSource: undefined as string | undefined,
  };
  readonly connmark = { chains: 0, rules: 0 };
  readonly seen = new Map<number, number>();
  readonly dupSamples = new Map<number, { evidence: EvidenceLocator; kube: boolean }>();
  kubeServicesEvidence: EvidenceLocator | undefined;

  private stats(table: string): { chains: number; rules: number } {
    let found = this.tables.get(table);
    if (!found) {
      found = { chains: 0, rules: 0 };
      this.tables.set(table, found);
    }
    return found;
  }

  table(table: string): void {
    this.stats(table);
  }

  chain(table: string, name: string, policy: string, locate: () => EvidenceLocator): void {
    this.stats(table).chains += 1;
    if (name.startsWith("KUBE-")) {
      if (name.startsWith("KUBE-SVC-")) this.counts.svc += 1;
      else if (name.startsWith("KUBE-SEP-")) this.counts.sep += 1;
      else if (name.startsWith("KUBE-SVL-")) this.counts.svl += 1;
      else if (name.startsWith("KUBE-EXT-")) this.counts.ext += 1;
      else if (name.startsWith("KUBE-FW-")) this.counts.fw += 1;
      else if (name.startsWith("KUBE-XLB-")) this.counts.xlb += 1;
      else if (name.startsWith("KUBE-IPVS-") || IPVS_CHAINS.has(name)) this.ipvsSigns.add(`chain ${own(name)}`);
      else if (WELL_KNOWN.has(name)) this.declared.add(`${table}/${own(name)}`);
    } else if (name.startsWith("AWS-SNAT-CHAIN-")) this.snat.chains += 1;
    else if (name.startsWith("AWS-CONNMARK-CHAIN-")) this.connmark.chains += 1;
    if (policy !== "-" && policy !== "")
      this.policies.set(`${table}/${own(name)}`, { policy: own(policy), evidence: locate() });
  }

  /** `text` is the rule as iptables-save prints it (`-A CHAIN … -j TARGET`), or the -nvL row rewritten so. */
  rule(table: string, chain: string, target: string, text: string, hash: number, locate: () => EvidenceLocator): void {
    this.stats(table).rules += 1;
    const copies = (this.seen.get(hash) ?? 0) + 1;
    this.seen.set(hash, copies);
    if (copies === DUP_REPORT_MIN && this.dupSamples.size < MAX_DUP_TRACKED)
      this.dupSamples.set(hash, { evidence: locate(), kube: chain.startsWith("KUBE-") || target.startsWith("KUBE-") });

    if (chain === "KUBE-SERVICES") {
      if (table === "nat") {
        // The trailing jump to KUBE-NODEPORTS exists even when no service is programmed.
        if (target !== "KUBE-NODEPORTS") this.counts.kubeServicesRules += 1;
        this.kubeServicesEvidence ??= locate();
      }
      if (text.includes("match-set KUBE-")) this.ipvsSigns.add("ipset match in KUBE-SERVICES");
    } else if (chain === "KUBE-NODEPORTS" && table === "nat") this.counts.nodeportsRules += 1;
    else if (table === "filter" && chain === "FORWARD") {
      this.forward.rules += 1;
      if (target && this.forward.targets.size < MAX_TARGETS) this.forward.targets.add(own(target));
      if (target === "ACCEPT" && !this.forward.podAccept && acceptsPodTraffic(text)) this.forward.podAccept = locate();
    } else if (chain.startsWith("AWS-SNAT-CHAIN-")) {
      this.snat.rules += 1;
      if (target === "SNAT") {
        this.snat.snatRules += 1;
        this.snat.evidence ??= locate();
        this.snat.toSource ??= /--to-source (\S+)|to:(\S+)/.exec(text)?.slice(1).find(Boolean);
      } else if (target === "RETURN") this.snat.returnRules += 1;
    } else if (chain.startsWith("AWS-CONNMARK-CHAIN-")) this.connmark.rules += 1;

    if (!text.includes(DNS_SERVICE)) return;
    const port = dnsPortName(text);
    if (!port) return;
    const entry = this.dns.get(port) ?? {};
    this.dns.set(port, entry);
    if (text.includes("has no endpoints")) {
      entry.noEndpoints ??= locate();
      entry.noEndpointsIP ??= destination(text);
    } else if (
      chain === "KUBE-SERVICES" &&
      table === "nat" &&
      target.startsWith("KUBE-SVC-") &&
      text.includes("cluster IP")
    ) {
      entry.svcChain = own(target);
      entry.clusterIP = destination(text);
      entry.evidence = locate();
    }
    if (chain.startsWith("KUBE-SVC-") && target.startsWith("KUBE-SEP-")) {
      const key = own(chain);
      this.dnsSepJumps.set(key, (this.dnsSepJumps.get(key) ?? 0) + 1);
    }
  }

  has(table: string, chain: string): boolean {
    return this.declared.has(`${table}/${chain}`);
  }

  totalRules(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.rules;
    return n;
  }
}

/** Streams iptables-save output; returns false when the file holds no table. */
async function readSave(read: EvidenceReader, path: string, model: Model): Promise<boolean> {
  let table: string | undefined;
  let lines = 0;
  let tables = 0;
  const ok = await read.scanAt(path, (cursor: LineCursor) => {
    lines += 1;
    const s = cursor.chunk;
    const end = cursor.end;
    let i = cursor.start;
    if (i === end) return;
    let c = s.charCodeAt(i);
    if (c === 91 /* [ counters from iptables-save -c */) {
      const close = s.indexOf("] ", i);
      if (close < 0 || close >= end) return;
      i = close + 2;
      c = s.charCodeAt(i);
    }
    const locate = () => makeLocator(path, cursor.lineNo, undefined, cursor.text());
    if (c === 45 /* - */ && table !== undefined && s.startsWith("-A ", i)) {
      const chainStart = i + 3;
      let chainEnd = s.indexOf(" ", chainStart);
      if (chainEnd < 0 || chainEnd > end) chainEnd = end;
      const chain = s.slice(chainStart, chainEnd);
      const text = s.slice(i, end);
      let j = text.lastIndexOf(" -j ");
      if (j < 0) j = text.lastIndexOf(" -g ");
      let target = "";
      if (j >= 0) {
        const after = text.indexOf(" ", j + 4);
        target = text.slice(j + 4, after < 0 ? text.length : after);
      }
      model.rule(table, chain, target, text, ruleHash(table, s, i, end), locate);
    } else if (c === 58 /* : */ && table !== undefined) {
      const line = s.slice(i + 1, end);
      const space = line.indexOf(" ");
      const name = space < 0 ? line : line.slice(0, space);
      const policy = space < 0 ? "-" : (line.slice(space + 1).split(" ")[0] ?? "-");
      model.chain(table, name, policy, locate);
    } else if (c === 42 /* * */) {
      const name = s.slice(i + 1, end).trim();
      if (/^[a-z]+$/.test(name)) {
        table = own(name);
        tables += 1;
        model.table(table);
      }
    }
  });
  if (!ok) return false;
  if (lines === 0) {
    read.gap(path, "file is empty");
    return false;
  }
  if (tables === 0) {
    read.gap(path, "no iptables-save table (*nat, *filter) found");
    return false;
  }
  model.paths.push(path);
  return true;
}

const OPT = /^(--|!?-?f)$/;

/** Streams one `iptables -nvL -t <table>` listing; returns false when it holds no chain. */
async function readListing(read: EvidenceReader, path: string, table: string, model: Model): Promise<boolean> {
  let chain: string | undefined;
  let lines = 0;
  let chains = 0;
  const ok = await read.scanAt(path, (cursor) => {
    lines += 1;
    const line = cursor.chunk.slice(cursor.start, cursor.end);
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("pkts ") || trimmed.startsWith("=====")) return;
    const locate = () => makeLocator(path, cursor.lineNo, undefined, cursor.text());
    if (line.startsWith("Chain ")) {
      const m = /^Chain (\S+) \((?:policy (\S+)|\d+ references?)/.exec(line);
      if (!m) return;
      chain = own(m[1] as string);
      chains += 1;
      model.chain(table, chain, m[2] ?? "-", locate);
      return;
    }
    if (line.startsWith("Total Number of Rules:")) {
      const n = Number(line.slice(22).trim());
      if (Number.isFinite(n)) model.footers.set(table, n);
      return;
    }
    if (!chain) return;
    const tokens = trimmed.split(/\s+/);
    let base: number;
    let target = "";
    if (tokens.length >= 9 && OPT.test(tokens[4] ?? "")) {
      base = 3;
      target = tokens[2] as string;
    } else if (tokens.length >= 8 && OPT.test(tokens[3] ?? "")) base = 2;
    else return;
    const [prot, , inIf, outIf, src, dst] = tokens.slice(base, base + 6) as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const extras = tokens.slice(base + 6).join(" ");
    let text = `-A ${chain}`;
    if (!isOptionalCidr(src)) text += ` -s ${src}`;
    if (!isOptionalCidr(dst)) text += ` -d ${dst}`;
    if (inIf !== "*") text += ` -i ${inIf}`;
    if (outIf !== "*") text += ` -o ${outIf}`;
    if (prot !== "all" && prot !== "0") text += ` -p ${prot}`;
    if (extras) text += ` ${extras}`;
    if (target) text += ` -j ${target}`;
    model.rule(table, chain, target, text, ruleHash(table, text, 0, text.length), locate);
  });
  if (!ok) return false;
  if (lines === 0) {
    read.gap(path, "file is empty");
    return false;
  }
  if (chains === 0) {
    read.gap(path, "no `Chain …` header: not an iptables -nvL listing");
    return false;
  }
  model.paths.push(path);
  return true;
}

interface IpvsState {
  virtualServers: number;
  dns: { clusterIP: string; realServers: number; evidence: EvidenceLocator } | undefined;
  modulesLoaded: string[];
  evidence: EvidenceLocator[];
}

/** ipvsadm -Ln and lsmod lines for ip_vs: read only to tell IPVS mode from a dead kube-proxy. */
async function readIpvs(read: EvidenceReader): Promise<IpvsState> {
  const state: IpvsState = { virtualServers: 0, dns: undefined, modulesLoaded: [], evidence: [] };
  const [ipvsPath] = await read.paths("ipvsadm");
  if (ipvsPath) {
    const text = await read.textAt(ipvsPath, 8 * 1024 * 1024);
    if (text.state === "ok") {
      let current: { clusterIP: string; realServers: number; evidence: EvidenceLocator; dns: boolean } | undefined;
      splitLines(text.text).forEach((line, index) => {
        const vs = /^(TCP|UDP|SCTP)\s+(\S+):(\w+)\s+\S+/.exec(line);
        if (vs) {
          state.virtualServers += 1;
          const evidence = makeLocator(ipvsPath, index + 1, undefined, line.trim());
          if (state.evidence.length === 0) state.evidence.push(evidence);
          const address = (vs[2] as string).replace(/^\[|\]$/g, "");
          current = {
            clusterIP: address,
            realServers: 0,
            evidence,
            dns: vs[1] === "UDP" && (vs[3] === "53" || vs[3] === "domain"),
          };
          if (current.dns && !state.dns) state.dns = current;
          return;
        }
        if (current && /^\s+->\s+\S+:\S+\s+(Masq|Route|Tunnel|Local|FullNat)/i.test(line)) current.realServers += 1;
      });
    }
  }
  const [modPath] = await read.paths("ipvsModules");
  if (modPath) {
    const text = await read.textAt(modPath, 1024 * 1024);
    if (text.state === "ok") {
      splitLines(text.text).forEach((line, index) => {
        const m = /^(ip_vs\w*)\s+\d+\s+\d+/.exec(line);
        if (!m) return;
        state.modulesLoaded.push(m[1] as string);
        if (state.modulesLoaded.length === 1)
          state.evidence.push(makeLocator(modPath, index + 1, undefined, line.trim()));
      });
    }
  }
  return state;
}

type ProxyMode = "iptables" | "ipvs" | "none";

function proxyMode(model: Model, ipvs: IpvsState): { mode: ProxyMode; signs: string[] } {
  const signs = [...model.ipvsSigns];
  if (ipvs.virtualServers > 0) signs.push(`${ipvs.virtualServers} IPVS virtual servers`);
  if (ipvs.modulesLoaded.length > 0) signs.push(`modules loaded: ${ipvs.modulesLoaded.join(", ")}`);
  if (model.counts.svc > 0) return { mode: "iptables", signs };
  if (
    model.ipvsSigns.size > 0 ||
    ipvs.virtualServers > 0 ||
    (ipvs.modulesLoaded.length > 0 && model.has("nat", "KUBE-SERVICES"))
  )
    return { mode: "ipvs", signs };
  return { mode: "none", signs };
}

async function analyze(ctx: AnalyzerContext): Promise<FindingDraft[]> {
  const model = new Model();
  const [savePath] = await ctx.read.paths("iptablesSave");
  let usable = savePath ? await readSave(ctx.read, savePath, model) : false;
  if (!usable) {
    // iptables-save absent or unusable: the -nvL listings carry the same chains.
    model.format = "iptables -nvL";
    const [natPath] = await ctx.read.paths("iptablesNat");
    const [filterPath] = await ctx.read.paths("iptablesFilter");
    if (natPath && (await readListing(ctx.read, natPath, "nat", model))) usable = true;
    if (filterPath && (await readListing(ctx.read, filterPath, "filter", model))) usable = true;
  }
  if (!usable) return [];
  const ipvs = await readIpvs(ctx.read);
  const { mode, signs } = proxyMode(model, ipvs);
  const findings: FindingDraft[] = [];

  findings.push(summaryFinding(model, mode));
  findings.push(modeFinding(model, mode, signs, ipvs));
  findings.push(...kubeProxyFindings(model, mode, signs, ipvs));
  findings.push(...dnsFindings(model, mode, ipvs));
  const forward = forwardFinding(model);
  if (forward) findings.push(forward);
  const dup = duplicateFinding(model);
  if (dup) findings.push(dup);
  findings.push(snatFinding(model));
  return findings;
}

function summaryFinding(model: Model, mode: ProxyMode): FindingDraft {
  const attributes: FindingDraft["attributes"] = {
    format: model.format,
    tables: [...model.tables.keys()],
    totalRules: model.totalRules(),
    kubeServicesRules: model.counts.kubeServicesRules,
    kubeNodeportsRules: model.counts.nodeportsRules,
    services: model.counts.svc,
    endpoints: model.counts.sep,
    localServices: model.counts.svl,
    externalServices: model.counts.ext,
    firewallChains: model.counts.fw + model.counts.xlb,
    kubeProxyChains: KUBE_PROXY_CHAINS.filter((c) => model.has("nat", c) || model.has("filter", c)),
    proxyMode: mode,
  };
  for (const [table, stats] of model.tables) {
    attributes[`${table}Chains`] = stats.chains;
    attributes[`${table}Rules`] = stats.rules;
  }
  for (const [table, n] of model.footers) attributes[`${table}FooterRules`] = n;
  const forward = model.policies.get("filter/FORWARD")?.policy;
  if (forward) attributes.forwardPolicy = forward;
  const perTable = [...model.tables].map(([t, s]) => `${t} ${s.chains} chains/${s.rules} rules`).join(", ");
  return {
    kind: "iptables.summary",
    severity: "info",
    summary: `${model.format}: ${perTable}; ${model.counts.svc} service chains (KUBE-SVC), ${model.counts.sep} endpoint chains (KUBE-SEP)${forward ? `; FORWARD policy ${forward}` : ""}`,
    evidence: model.kubeServicesEvidence ? [model.kubeServicesEvidence] : [],
    count: model.totalRules(),
    attributes,
    correlateWith: [],
  };
}

function modeFinding(model: Model, mode: ProxyMode, signs: string[], ipvs: IpvsState): FindingDraft {
  const text =
    mode === "iptables"
      ? `kube-proxy runs in iptables mode (${model.counts.svc} KUBE-SVC chains)`
      : mode === "ipvs"
        ? `kube-proxy runs in IPVS mode (${signs.join("; ")}): services live in IPVS, so missing KUBE-SVC chains are expected`
        : "No kube-proxy service programming found (no KUBE-SVC chains, no IPVS signs)";
  return {
    kind: "iptables.proxy-mode",
    severity: "info",
    summary: text,
    evidence:
      mode === "ipvs" ? ipvs.evidence.slice(0, 2) : model.kubeServicesEvidence ? [model.kubeServicesEvidence] : [],
    count: 1,
    attributes: { mode, ipvsSigns: signs, ipvsVirtualServers: ipvs.virtualServers },
    correlateWith: [],
  };
}

function kubeProxyFindings(model: Model, mode: ProxyMode, signs: string[], ipvs: IpvsState): FindingDraft[] {
  if (mode !== "none") return [];
  const present = model.has("nat", "KUBE-SERVICES");
  const ipvsHint = ipvs.modulesLoaded.length > 0;
  // ip_vs modules alone (no ipsets, no virtual servers, no KUBE-SERVICES) do not make a working IPVS proxy.
  const severity: Severity = ipvsHint ? "medium" : "high";
  const cni = model.snat.chains + model.connmark.chains > 0;
  return [
    {
      kind: "iptables.kube-proxy-chains-missing",
      severity,
      summary:
        (present
          ? `KUBE-SERVICES exists but programs no service (${model.counts.kubeServicesRules} rules, no KUBE-SVC chains)`
          : "The nat table has no KUBE-SERVICES chain") +
        ": kube-proxy has not programmed services on this node" +
        (ipvsHint ? ` (ip_vs modules are loaded: ${signs.join("; ")}, yet no IPVS service state either)` : "") +
        (cni ? "; the VPC CNI chains are present, so pods run here" : ""),
      evidence: [...(model.kubeServicesEvidence ? [model.kubeServicesEvidence] : []), ...ipvs.evidence.slice(0, 1)],
      count: 1,
      attributes: {
        kubeServicesPresent: present,
        kubeServicesRules: model.counts.kubeServicesRules,
        services: 0,
        endpoints: model.counts.sep,
        ipvsModulesLoaded: ipvsHint,
        cniChainsPresent: cni,
      },
      correlateWith: ["read_kubelet_journal"],
    },
  ];
}

function dnsFindings(model: Model, mode: ProxyMode, ipvs: IpvsState): FindingDraft[] {
  const findings: FindingDraft[] = [];
  const udp = model.dns.get("dns");
  const tcp = model.dns.get("dns-tcp");
  const endpointsOf = (port: DnsPort | undefined) => (port?.svcChain ? (model.dnsSepJumps.get(port.svcChain) ?? 0) : 0);

  if (mode === "ipvs" && !udp?.svcChain) {
    if (ipvs.dns) {
      findings.push({
        kind: "iptables.kube-dns-service",
        severity: "info",
        summary: `Cluster DNS in IPVS: UDP ${ipvs.dns.clusterIP}:53 with ${ipvs.dns.realServers} real server(s)`,
        evidence: [ipvs.dns.evidence],
        count: 1,
        attributes: { clusterIP: ipvs.dns.clusterIP, endpoints: ipvs.dns.realServers, source: "ipvsadm" },
        correlateWith: ["check_resolv_conf"],
      });
      if (ipvs.dns.realServers === 0) {
        findings.push({
          kind: "iptables.kube-dns-no-endpoints",
          severity: "high",
          summary: `The IPVS virtual server for cluster DNS (${ipvs.dns.clusterIP}:53) has no real servers: DNS queries from pods go nowhere`,
          evidence: [ipvs.dns.evidence],
          count: 1,
          attributes: { clusterIP: ipvs.dns.clusterIP, endpoints: 0, source: "ipvsadm" },
          correlateWith: ["check_resolv_conf", "inspect_conntrack"],
        });
      }
    }
    return findings;
  }

  const clusterIP = udp?.clusterIP ?? udp?.noEndpointsIP ?? tcp?.clusterIP ?? tcp?.noEndpointsIP;
  if (udp?.svcChain || udp?.noEndpoints || tcp?.svcChain) {
    const endpoints = endpointsOf(udp);
    const tcpEndpoints = endpointsOf(tcp);
    const attributes: FindingDraft["attributes"] = { endpoints, tcpEndpoints, source: "iptables" };
    if (clusterIP) attributes.clusterIP = clusterIP;
    if (udp?.svcChain) attributes.svcChain = udp.svcChain;
    if (tcp?.svcChain) attributes.tcpSvcChain = tcp.svcChain;
    findings.push({
      kind: "iptables.kube-dns-service",
      severity: "info",
      summary: `kube-system/kube-dns:dns ClusterIP ${clusterIP ?? "unknown"} with ${endpoints} endpoint(s) (dns-tcp: ${tcpEndpoints})`,
      evidence: [udp?.evidence ?? udp?.noEndpoints ?? tcp?.evidence].filter(
        (e): e is EvidenceLocator => e !== undefined,
      ),
      count: 1,
      attributes,
      correlateWith: ["check_resolv_conf"],
    });
    const empty = [udp, tcp].filter(
      (p): p is DnsPort =>
        p !== undefined && (p.noEndpoints !== undefined || (p.svcChain !== undefined && endpointsOf(p) === 0)),
    );
    if (empty.length > 0) {
      const ports = [...model.dns].filter(([, p]) => empty.includes(p)).map(([name]) => name);
      const evidence = empty
        .map((p) => p.noEndpoints ?? p.evidence)
        .filter((e): e is EvidenceLocator => e !== undefined);
      findings.push({
        kind: "iptables.kube-dns-no-endpoints",
        severity: ports.includes("dns") ? "high" : "medium",
        summary: `kube-system/kube-dns (${ports.join(", ")}) has no endpoints${empty.some((p) => p.noEndpoints) ? " (kube-proxy installed its `has no endpoints` REJECT rule)" : " (its KUBE-SVC chain jumps to no KUBE-SEP)"}: DNS queries to ${clusterIP ?? "the cluster DNS IP"} are rejected or dropped`,
        evidence,
        count: ports.length,
        attributes: { ...(clusterIP ? { clusterIP } : {}), endpoints, tcpEndpoints, ports },
        correlateWith: ["check_resolv_conf", "read_kubelet_journal"],
      });
    }
    return findings;
  }

  // No kube-dns rule at all. Blame DNS only when kube-proxy programs other services.
  if (mode === "iptables") {
    findings.push({
      kind: "iptables.kube-dns-missing",
      severity: "high",
      summary: `kube-proxy programs ${model.counts.svc} service chains but none for kube-system/kube-dns:dns: pods cannot reach cluster DNS through its ClusterIP`,
      evidence: model.kubeServicesEvidence ? [model.kubeServicesEvidence] : [],
      count: 1,
      attributes: { services: model.counts.svc, endpoints: model.counts.sep },
      correlateWith: ["check_resolv_conf", "read_kubelet_journal"],
    });
  }
  return findings;
}

function forwardFinding(model: Model): FindingDraft | undefined {
  const policy = model.policies.get("filter/FORWARD");
  if (!policy || policy.policy !== "DROP") return undefined;
  const accepted = model.forward.podAccept;
  return {
    kind: "iptables.forward-drop",
    severity: accepted ? "info" : "medium",
    summary: accepted
      ? "The FORWARD policy is DROP, but a FORWARD rule accepts pod traffic"
      : `The FORWARD policy is DROP and none of its ${model.forward.rules} rules accepts new pod traffic${model.forward.targets.size ? ` (targets: ${[...model.forward.targets].join(", ")})` : ""}: pod traffic routed through the node is dropped`,
    evidence: [policy.evidence, ...(accepted ? [accepted] : [])],
    count: 1,
    attributes: {
      policy: "DROP",
      forwardRules: model.forward.rules,
      podTrafficAccepted: accepted !== undefined,
      forwardTargets: [...model.forward.targets],
    },
    correlateWith: ["read_sysctls"],
  };
}

function duplicateFinding(model: Model): FindingDraft | undefined {
  let distinct = 0;
  let extra = 0;
  let max = 0;
  let kubeExtra = 0;
  const top: Array<{ copies: number; evidence: EvidenceLocator }> = [];
  for (const [hash, { evidence, kube }] of model.dupSamples) {
    const copies = model.seen.get(hash) ?? 0;
    distinct += 1;
    extra += copies - 1;
    max = Math.max(max, copies);
    if (kube) kubeExtra += copies - 1;
    top.push({ copies, evidence });
  }
  if (distinct === 0) return undefined;
  top.sort((a, b) => b.copies - a.copies);
  let severity: Severity;
  if (max < 3) severity = "info";
  else if (kubeExtra >= 100 || (kubeExtra > 0 && max >= 50)) severity = "high";
  else if (max >= 10) severity = "medium";
  else severity = "low";
  const kube = kubeExtra > 0 ? `, ${kubeExtra} of them kube-proxy rules` : "";
  return {
    kind: "iptables.duplicate-rules",
    severity,
    summary: `${distinct} rule(s) appear more than once (${extra} extra copies${kube}; the most repeated ${max} times)${severity === "high" ? ": kube-proxy keeps re-appending rules it cannot sync" : ""}`,
    evidence: top.slice(0, DUP_SAMPLES).map((t) => t.evidence),
    count: extra,
    attributes: { distinctDuplicated: distinct, extraCopies: extra, maxCopies: max, kubeProxyExtraCopies: kubeExtra },
    correlateWith: kubeExtra > 0 ? ["read_kubelet_journal"] : [],
  };
}

function snatFinding(model: Model): FindingDraft {
  const { snat, connmark } = model;
  let summary: string;
  if (snat.chains === 0 && connmark.chains === 0)
    summary =
      "No VPC CNI chains (AWS-SNAT-CHAIN-*, AWS-CONNMARK-CHAIN-*): aws-node has not programmed this node, or another CNI is in use";
  else if (snat.snatRules === 0)
    summary = `AWS-SNAT-CHAIN-* present (${snat.chains} chains, ${snat.rules} rules) without a SNAT rule: expected when AWS_VPC_K8S_CNI_EXTERNALSNAT=true (pods keep their IPs to external destinations)`;
  else
    summary = `AWS-SNAT-CHAIN-* SNATs pod traffic leaving the VPC${snat.toSource ? ` to ${snat.toSource}` : ""} (${snat.chains} chains, ${snat.rules} rules); AWS-CONNMARK-CHAIN-*: ${connmark.chains} chains, ${connmark.rules} rules`;
  return {
    kind: "iptables.snat",
    severity: "info",
    summary,
    evidence: snat.evidence ? [snat.evidence] : [],
    count: snat.rules,
    attributes: {
      snatChains: snat.chains,
      snatRules: snat.rules,
      snatTargetRules: snat.snatRules,
      snatReturnRules: snat.returnRules,
      connmarkChains: connmark.chains,
      connmarkRules: connmark.rules,
      externalSnatLikely: snat.chains > 0 && snat.snatRules === 0,
      ...(snat.toSource ? { snatToSource: snat.toSource } : {}),
    },
    correlateWith: [],
  };
}

export const inspectIptables = defineTool({
  name: "inspect_iptables",
  title: "iptables (kube-proxy, kube-dns, VPC CNI)",
  lane: "service",
  description:
    "Reads networking/iptables-save.txt (streamed; falls back to the iptables -nvL listings iptables-nat.txt / iptables-filter.txt with their `Total Number of Rules` footer) plus ipvsadm and ip_vs module state, and reports chains and rules per table, kube-proxy's service (KUBE-SVC) and endpoint (KUBE-SEP) chains and proxy mode, the kube-dns service's ClusterIP and endpoints, the FORWARD policy, duplicated rules and the VPC CNI SNAT/CONNMARK chains. " +
    `Emits kinds: ${Object.keys(KINDS).join(", ")}. IPVS mode without KUBE-SVC chains and empty SNAT chains under external SNAT are facts, not faults. ` +
    "The iptables.kube-dns-service finding's `clusterIP` attribute is the hand-off for check_resolv_conf (input kubeDnsClusterIP). Next: check_resolv_conf, inspect_conntrack, read_kubelet_journal.",
  sources: ["iptablesSave", "iptablesNat", "iptablesFilter", "ipvsadm", "ipvsModules"],
  kinds: KINDS,
  input: {},
  analyze,
});
