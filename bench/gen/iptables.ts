import { createHash } from "node:crypto";
import { BATCH_CHARS, Rng, Sink, ctime } from "./common.ts";

/** A Service port the node already knows about (from the healthy baseline's facts). */
export interface SeedServicePort {
  /** `ns/svc:port` (or `ns/svc` for an unnamed port). */
  key: string;
  proto: "tcp" | "udp";
  clusterIp: string;
  port: number;
  /** `ip:targetPort`. */
  endpoints: string[];
  nodePort?: number;
}

export interface IptablesOptions {
  path: string;
  /** Services written first (kubernetes, kube-dns, … as the rest of the bundle knows them). */
  seedServices?: readonly SeedServicePort[];
  /** Number of `-A` rules to reach (approximately: whole services are added). */
  rules: number;
  seed: number;
  nodeIp: string;
  vpcCidr: string;
  collectedAtMs: number;
}

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32(bytes: Uint8Array): string {
  let out = "";
  let value = 0;
  let bits = 0;
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

/** kube-proxy's chain-name hash: base32(sha256(servicePortName + protocol [+ endpoint]))[:16]. */
export function kubeProxyHash(text: string): string {
  return base32(createHash("sha256").update(text).digest()).slice(0, 16);
}

/** iptables-save prints the statistic probability after rounding it to its 31-bit fixed point. */
function probability(p: number): string {
  return (Math.round(p * 2 ** 31) / 2 ** 31).toFixed(11);
}

interface ServicePort {
  /** `ns/svc:port` (or `ns/svc` for an unnamed port). */
  key: string;
  proto: "tcp" | "udp";
  clusterIp: string;
  port: number;
  endpoints: string[];
  nodePort: number | undefined;
  hash: string;
  sepHashes: string[];
}

function plan(o: IptablesOptions, rng: Rng, fixedRules: number): ServicePort[] {
  const ports: ServicePort[] = [];
  const make = (
    key: string,
    proto: "tcp" | "udp",
    clusterIp: string,
    port: number,
    endpoints: string[],
    nodePort?: number,
  ) => {
    ports.push({
      key,
      proto,
      clusterIp,
      port,
      endpoints,
      nodePort,
      hash: kubeProxyHash(key + proto),
      sepHashes: endpoints.map((ep) => kubeProxyHash(key + proto + ep)),
    });
  };
  const seeds: readonly SeedServicePort[] = o.seedServices?.length
    ? o.seedServices
    : [
        {
          key: "default/kubernetes:https",
          proto: "tcp",
          clusterIp: "172.20.0.1",
          port: 443,
          endpoints: ["10.0.5.17:443", "10.0.40.212:443"],
        },
        {
          key: "kube-system/kube-dns:dns",
          proto: "udp",
          clusterIp: "172.20.0.10",
          port: 53,
          endpoints: ["10.0.23.45:53", "10.0.7.201:53"],
        },
        {
          key: "kube-system/kube-dns:dns-tcp",
          proto: "tcp",
          clusterIp: "172.20.0.10",
          port: 53,
          endpoints: ["10.0.23.45:53", "10.0.7.201:53"],
        },
        {
          key: "kube-system/kube-dns:metrics",
          proto: "tcp",
          clusterIp: "172.20.0.10",
          port: 9153,
          endpoints: ["10.0.23.45:9153", "10.0.7.201:9153"],
        },
        {
          key: "kube-system/eks-extension-metrics-api:metrics-api",
          proto: "tcp",
          clusterIp: "172.20.117.49",
          port: 443,
          endpoints: ["10.0.5.17:10443", "10.0.40.212:10443"],
        },
      ];
  for (const seed of seeds)
    make(seed.key, seed.proto, seed.clusterIp, seed.port, [...new Set(seed.endpoints)], seed.nodePort);
  const namespaces = [
    "default",
    "payments",
    "checkout",
    "search",
    "monitoring",
    "batch",
    "identity",
    "inventory",
    "shipping",
    "notifications",
    "analytics",
    "platform",
  ];
  const words = [
    "api",
    "web",
    "worker",
    "gateway",
    "cache",
    "db",
    "auth",
    "ledger",
    "cart",
    "orders",
    "events",
    "metrics",
    "search",
    "graph",
    "users",
    "billing",
    "queue",
    "frontend",
    "backend",
    "sync",
  ];
  const used = new Set<string>(ports.map((p) => p.clusterIp));
  let rules =
    fixedRules +
    ports.reduce((n, p) => n + (p.endpoints.length === 0 ? 1 : 2 + 3 * p.endpoints.length + (p.nodePort ? 3 : 0)), 0);
  let serial = 0;
  while (rules < o.rules) {
    serial += 1;
    const ns = rng.pick(namespaces);
    const svc = `${rng.pick(words)}-${rng.pick(words)}-${serial}`;
    let ip: string;
    do ip = `172.20.${rng.range(1, 255)}.${rng.range(1, 254)}`;
    while (used.has(ip));
    used.add(ip);
    const portCount = rng.chance(0.25) ? 2 : 1;
    for (let k = 0; k < portCount; k++) {
      // A multi-port Service must name every port; a single port may be unnamed (`ns/svc`).
      const named = portCount > 1 || rng.chance(0.85);
      const [name, port, target] = k === 0 ? ["http", 80, rng.pick([8080, 3000, 80])] : ["metrics", 9090, 9090];
      const key = named ? `${ns}/${svc}:${name}` : `${ns}/${svc}`;
      const r = rng.next();
      const count = r < 0.02 ? 0 : r < 0.35 ? 1 : r < 0.7 ? 2 : r < 0.9 ? rng.range(3, 5) : rng.range(6, 12);
      const endpointSet = new Set<string>();
      while (endpointSet.size < count) endpointSet.add(`10.0.${rng.range(0, 31)}.${rng.range(2, 254)}:${target}`);
      const endpoints = [...endpointSet];
      const nodePort = count > 0 && k === 0 && rng.chance(0.1) ? rng.range(30000, 32767) : undefined;
      make(key, "tcp", ip, port, endpoints, nodePort);
      rules += count === 0 ? 1 : 2 + 3 * count + (nodePort ? 3 : 0);
    }
  }
  return ports;
}

/** `networking/iptables-save.txt` of a kube-proxy (iptables mode) + VPC CNI node, streamed chain by chain. */
export async function writeIptablesSave(o: IptablesOptions): Promise<{ bytes: number; rules: number }> {
  const rng = new Rng(o.seed);
  const sink = new Sink(o.path);
  const when = ctime(o.collectedAtMs + 1000);
  const cidr = o.vpcCidr;
  let rules = 0;
  let batch = "";
  const flush = async (force = false) => {
    if (force || batch.length >= BATCH_CHARS) {
      await sink.write(batch);
      batch = "";
    }
  };
  const rule = async (text: string) => {
    rules += 1;
    batch += `-A ${text}\n`;
    await flush();
  };

  const mangle = [
    'PREROUTING -i eth0 -m comment --comment "AWS, primary ENI" -m addrtype --dst-type LOCAL --limit-iface-in -j CONNMARK --set-xmark 0x80/0x80',
    'PREROUTING -i eni+ -m comment --comment "AWS, primary ENI" -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80',
    'PREROUTING -i vlan+ -m comment --comment "AWS, primary ENI" -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80',
  ];
  const filterBase: Array<[string, string[]]> = [
    [
      "INPUT",
      [
        'INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
        'INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
        'INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
        "INPUT -j KUBE-FIREWALL",
      ],
    ],
    [
      "FORWARD",
      [
        'FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
        'FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
        'FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        'FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
      ],
    ],
    [
      "OUTPUT",
      [
        'OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
        'OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        "OUTPUT -j KUBE-FIREWALL",
      ],
    ],
    [
      "KUBE-FIREWALL",
      [
        'KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
      ],
    ],
    [
      "KUBE-FORWARD",
      [
        "KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name  ct_state_invalid_dropped_pkts -j DROP",
        'KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
        'KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      ],
    ],
  ];
  const natBase: Array<[string, string[]]> = [
    [
      "PREROUTING",
      [
        'PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        'PREROUTING -i eni+ -m comment --comment "AWS, outbound connections" -j AWS-CONNMARK-CHAIN-0',
        'PREROUTING -m comment --comment "AWS, CONNMARK" -j CONNMARK --restore-mark --nfmask 0x80 --ctmask 0x80',
      ],
    ],
    ["OUTPUT", ['OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES']],
    [
      "POSTROUTING",
      [
        'POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
        'POSTROUTING -m comment --comment "AWS SNAT CHAIN" -j AWS-SNAT-CHAIN-0',
      ],
    ],
    [
      "AWS-CONNMARK-CHAIN-0",
      [
        `AWS-CONNMARK-CHAIN-0 -d ${cidr} -m comment --comment "AWS CONNMARK CHAIN, VPC CIDR" -j RETURN`,
        'AWS-CONNMARK-CHAIN-0 -m comment --comment "AWS, CONNMARK" -j CONNMARK --set-xmark 0x80/0x80',
      ],
    ],
    [
      "AWS-SNAT-CHAIN-0",
      [
        `AWS-SNAT-CHAIN-0 -d ${cidr} -m comment --comment "AWS SNAT CHAIN" -j RETURN`,
        `AWS-SNAT-CHAIN-0 ! -o vlan+ -m comment --comment "AWS, SNAT" -m addrtype ! --dst-type LOCAL -j SNAT --to-source ${o.nodeIp} --random-fully`,
      ],
    ],
    ["KUBE-MARK-MASQ", ["KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000"]],
    [
      "KUBE-POSTROUTING",
      [
        "KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
        "KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0",
        'KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
      ],
    ],
  ];
  const fixed = mangle.length + [...filterBase, ...natBase].reduce((n, [, r]) => n + r.length, 0) + 1;
  const ports = plan(o, rng, fixed);

  try {
    batch += `# Generated by iptables-save v1.8.8 (nf_tables) on ${when}\n*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n`;
    for (const r of mangle) await rule(r);
    batch += `COMMIT\n# Completed on ${when}\n# Generated by iptables-save v1.8.8 (nf_tables) on ${when}\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n`;
    for (const chain of [
      "KUBE-EXTERNAL-SERVICES",
      "KUBE-FIREWALL",
      "KUBE-FORWARD",
      "KUBE-KUBELET-CANARY",
      "KUBE-NODEPORTS",
      "KUBE-PROXY-CANARY",
      "KUBE-PROXY-FIREWALL",
      "KUBE-SERVICES",
    ])
      batch += `:${chain} - [0:0]\n`;
    for (const [, rs] of filterBase) for (const r of rs) await rule(r);
    for (const p of ports) {
      if (p.endpoints.length > 0) continue;
      await rule(
        `KUBE-SERVICES -d ${p.clusterIp}/32 -p ${p.proto} -m comment --comment "${p.key} has no endpoints" -m ${p.proto} --dport ${p.port} -j REJECT --reject-with icmp-port-unreachable`,
      );
    }
    batch += `COMMIT\n# Completed on ${when}\n# Generated by iptables-save v1.8.8 (nf_tables) on ${when}\n*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n`;

    const live = ports.filter((p) => p.endpoints.length > 0);
    // Chain declarations, then every chain's rules in the same (sorted) order: all from the small plan.
    const emitters = new Map<string, () => Promise<void>>();
    for (const [chain, rs] of natBase) {
      emitters.set(chain, async () => {
        for (const r of rs) await rule(r);
      });
    }
    emitters.set("KUBE-KUBELET-CANARY", async () => {});
    emitters.set("KUBE-PROXY-CANARY", async () => {});
    emitters.set("KUBE-NODEPORTS", async () => {
      for (const p of live)
        if (p.nodePort)
          await rule(
            `KUBE-NODEPORTS -p ${p.proto} -m comment --comment "${p.key}" -m ${p.proto} --dport ${p.nodePort} -j KUBE-EXT-${p.hash}`,
          );
    });
    emitters.set("KUBE-SERVICES", async () => {
      for (const p of live)
        await rule(
          `KUBE-SERVICES -d ${p.clusterIp}/32 -p ${p.proto} -m comment --comment "${p.key} cluster IP" -m ${p.proto} --dport ${p.port} -j KUBE-SVC-${p.hash}`,
        );
      await rule(
        `KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`,
      );
    });
    for (const p of live) {
      emitters.set(`KUBE-SVC-${p.hash}`, async () => {
        await rule(
          `KUBE-SVC-${p.hash} ! -s ${cidr} -d ${p.clusterIp}/32 -p ${p.proto} -m comment --comment "${p.key} cluster IP" -m ${p.proto} --dport ${p.port} -j KUBE-MARK-MASQ`,
        );
        const n = p.endpoints.length;
        for (let i = 0; i < n; i++) {
          const stat = i < n - 1 ? ` -m statistic --mode random --probability ${probability(1 / (n - i))}` : "";
          await rule(
            `KUBE-SVC-${p.hash} -m comment --comment "${p.key} -> ${p.endpoints[i]}"${stat} -j KUBE-SEP-${p.sepHashes[i]}`,
          );
        }
      });
      p.endpoints.forEach((ep, i) => {
        const ip = ep.split(":")[0];
        emitters.set(`KUBE-SEP-${p.sepHashes[i]}`, async () => {
          await rule(`KUBE-SEP-${p.sepHashes[i]} -s ${ip}/32 -m comment --comment "${p.key}" -j KUBE-MARK-MASQ`);
          await rule(
            `KUBE-SEP-${p.sepHashes[i]} -p ${p.proto} -m comment --comment "${p.key}" -m ${p.proto} -j DNAT --to-destination ${ep}`,
          );
        });
      });
      if (p.nodePort) {
        emitters.set(`KUBE-EXT-${p.hash}`, async () => {
          await rule(
            `KUBE-EXT-${p.hash} -m comment --comment "masquerade traffic for ${p.key} external destinations" -j KUBE-MARK-MASQ`,
          );
          await rule(`KUBE-EXT-${p.hash} -j KUBE-SVC-${p.hash}`);
        });
      }
    }
    const builtins = new Set(["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"]);
    const chains = [...emitters.keys()].filter((c) => !builtins.has(c)).sort();
    for (const chain of chains) {
      batch += `:${chain} - [0:0]\n`;
      await flush();
    }
    for (const chain of ["PREROUTING", "OUTPUT", "POSTROUTING", ...chains]) await emitters.get(chain)?.();
    batch += `COMMIT\n# Completed on ${when}\n`;
    await flush(true);
  } finally {
    await sink.close();
  }
  return { bytes: sink.bytes, rules };
}
